#![cfg(feature = "peer-tests")]
//! RtmpConnection against a real nginx-rtmp (installed by
//! scripts/peers/install-rtmp-peers.sh, started by tests/peers/nginx_rtmp.sh):
//! one client publishes a stream through nginx at its own chunk size, a second
//! client plays it, and the player must receive exactly the media sent.

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::{Duration, Instant};

use bytes::Bytes;
use wirestate::core::{Machine, OsRandom};
use wirestate::rtmp::amf0::Value;
use wirestate::rtmp::message::{Audio, Command, Connect, DataMessage, Message, Play, Video};
use wirestate::rtmp::{MessageEvent, RtmpConnection, RtmpEvent};
use wirestate_core::testing::peer::Peer;

fn free_port() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port().to_string()
}

/// A client connection on a blocking socket, driven by hand.
struct Client {
    socket: TcpStream,
    machine: RtmpConnection,
}

impl Client {
    fn connect(addr: SocketAddr) -> Client {
        let socket = TcpStream::connect(addr).unwrap();
        socket
            .set_read_timeout(Some(Duration::from_millis(50)))
            .unwrap();
        Client {
            socket,
            machine: RtmpConnection::client(OsRandom),
        }
    }

    fn flush(&mut self) {
        while let Some(bytes) = self.machine.poll_transmit() {
            self.socket.write_all(&bytes).unwrap();
        }
    }

    fn send(&mut self, stream_id: u32, timestamp: u32, message: Message) {
        self.machine.send(stream_id, timestamp, message).unwrap();
        self.flush();
    }

    fn command(&mut self, stream_id: u32, command: Command) {
        self.send(
            stream_id,
            0,
            Message::Command {
                amf3: false,
                command,
            },
        );
    }

    /// Reads and decodes until `done` accepts an event; returns the messages
    /// seen on the way (the accepted one last).
    fn until(&mut self, mut done: impl FnMut(&MessageEvent) -> bool) -> Vec<MessageEvent> {
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut seen = Vec::new();
        let mut buf = vec![0u8; 64 << 10];
        loop {
            self.flush();
            while let Some(event) = self.machine.poll_event() {
                if let RtmpEvent::Message(m) = event.expect("no connection error") {
                    let stop = done(&m);
                    seen.push(m);
                    if stop {
                        self.flush();
                        return seen;
                    }
                }
            }
            self.flush();
            assert!(
                Instant::now() < deadline,
                "timed out; saw {} messages",
                seen.len()
            );
            match self.socket.read(&mut buf) {
                Ok(0) => panic!("nginx closed the connection"),
                Ok(n) => self.machine.handle_input(&buf[..n], Instant::now()),
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
                Err(e) => panic!("read: {e}"),
            }
        }
    }

    /// Keeps reading and answering (pings, acknowledgements) for `time`.
    fn until_quiet(&mut self, time: Duration) -> Vec<MessageEvent> {
        let end = Instant::now() + time;
        let mut seen = Vec::new();
        let mut buf = vec![0u8; 64 << 10];
        while Instant::now() < end {
            self.flush();
            while let Some(Ok(RtmpEvent::Message(m))) = self.machine.poll_event() {
                seen.push(m);
            }
            match self.socket.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => self.machine.handle_input(&buf[..n], Instant::now()),
                Err(_) => {}
            }
        }
        seen
    }

    /// connect + createStream; returns the new message stream id.
    fn open(&mut self, port: &str) -> u32 {
        let connect = Connect::new(1.0, "live", &format!("rtmp://127.0.0.1:{port}/live"))
            .with("flashVer", "LNX 9,0,124,2".into());
        self.command(0, Command::Connect(connect));
        let seen = self.until(|m| is_result(m, 1.0));
        let Message::Command {
            command: Command::Result(result),
            ..
        } = &seen.last().unwrap().message
        else {
            unreachable!()
        };
        assert_eq!(result.code(), Some("NetConnection.Connect.Success"));
        self.command(
            0,
            Command::CreateStream {
                transaction_id: 2.0,
                command_object: Value::Null,
            },
        );
        let seen = self.until(|m| is_result(m, 2.0));
        let Message::Command {
            command: Command::Result(result),
            ..
        } = &seen.last().unwrap().message
        else {
            unreachable!()
        };
        result
            .stream_id()
            .expect("createStream answers a stream id") as u32
    }
}

fn is_result(m: &MessageEvent, tx: f64) -> bool {
    matches!(&m.message, Message::Command { command: Command::Result(r), .. } if r.transaction_id == tx)
}

fn status_code(m: &MessageEvent) -> Option<&str> {
    match &m.message {
        Message::Command {
            command: Command::OnStatus { info, .. },
            ..
        } => info.get("code")?.as_str(),
        _ => None,
    }
}

#[test]
fn publish_through_nginx_rtmp_and_play_back() {
    let port = free_port();
    let peer = Peer::start("bash", &["tests/peers/nginx_rtmp.sh", &port]);

    let mut publisher = Client::connect(peer.addr);
    let publish_stream = publisher.open(&port);
    publisher.command(
        publish_stream,
        Command::Publish {
            transaction_id: 3.0,
            name: "wirestate".into(),
            kind: Some("live".into()),
        },
    );
    publisher.until(|m| status_code(m) == Some("NetStream.Publish.Start"));

    let mut player = Client::connect(peer.addr);
    let play_stream = player.open(&port);
    player.command(
        play_stream,
        Command::Play(Play {
            transaction_id: 0.0,
            name: "wirestate".into(),
            start: Some(-1000.0),
            duration: None,
            reset: None,
        }),
    );
    player.until(|m| status_code(m) == Some("NetStream.Play.Start"));

    // Our own chunk size, different from nginx's 4096, so frames span chunks.
    publisher.send(0, 0, Message::SetChunkSize(1000));
    publisher.send(
        publish_stream,
        0,
        Message::Data(DataMessage {
            amf3: false,
            values: vec![
                "@setDataFrame".into(),
                "onMetaData".into(),
                Value::EcmaArray(vec![
                    ("width".into(), 640.0.into()),
                    ("height".into(), 360.0.into()),
                ]),
            ],
        }),
    );
    // AVC and AAC sequence headers, then frames with distinct payloads.
    let avc_config = Bytes::from_static(b"\x17\x00\x00\x00\x00\x01\x64\x00\x1f\xff\xe1\x00\x04\x67\x64\x00\x1f\x01\x00\x04\x68\xee\x3c\x80");
    publisher.send(publish_stream, 0, Message::Video(Video::new(avc_config)));
    publisher.send(
        publish_stream,
        0,
        Message::Audio(Audio::new(Bytes::from_static(b"\xaf\x00\x12\x10"))),
    );
    let mut sent_video = Vec::new();
    for i in 0..30u32 {
        let key = i % 10 == 0;
        let mut frame = vec![if key { 0x17 } else { 0x27 }, 1, 0, 0, 0];
        frame.extend((0..2500 + i * 97).map(|b| (b ^ i) as u8));
        let frame = Bytes::from(frame);
        publisher.send(
            publish_stream,
            i * 33,
            Message::Video(Video::new(frame.clone())),
        );
        publisher.send(
            publish_stream,
            i * 33 + 5,
            Message::Audio(Audio::new(Bytes::from(vec![0xaf, 1, i as u8, 0x55]))),
        );
        sent_video.push(frame);
    }
    let last = sent_video.last().unwrap().clone();
    let seen = player.until(|m| matches!(&m.message, Message::Video(v) if v.payload == last));

    let frames: Vec<Bytes> = seen
        .iter()
        .filter_map(|m| match &m.message {
            Message::Video(v) if v.payload.get(1) == Some(&1) => Some(v.payload.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(frames, sent_video, "every frame, in order, byte for byte");
    let timestamps: Vec<u32> = seen
        .iter()
        .filter(|m| matches!(&m.message, Message::Video(v) if v.payload.get(1) == Some(&1)))
        .map(|m| m.timestamp)
        .collect();
    assert!(
        timestamps.windows(2).all(|w| w[1] - w[0] == 33),
        "{timestamps:?}"
    );
    assert!(seen
        .iter()
        .any(|m| matches!(&m.message, Message::Data(d) if d.metadata().is_some())));
    drop(peer);
}

/// Reads the FLV file rtmpdump wrote: `(tag type, timestamp, body)` per tag.
fn flv_tags(flv: &[u8]) -> Vec<(u8, u32, Vec<u8>)> {
    assert_eq!(&flv[..3], b"FLV", "an FLV file");
    let mut at = 9 + 4;
    let mut tags = Vec::new();
    while at + 11 <= flv.len() {
        let tag = &flv[at..at + 11];
        let size = u32::from_be_bytes([0, tag[1], tag[2], tag[3]]) as usize;
        let timestamp = u32::from_be_bytes([tag[7], tag[4], tag[5], tag[6]]);
        let Some(body) = flv.get(at + 11..at + 11 + size) else {
            break;
        };
        tags.push((tag[0], timestamp, body.to_vec()));
        at += 11 + size + 4;
    }
    tags
}

/// The server side: rtmpdump (librtmp) connects to an RtmpConnection server,
/// plays, and writes what it received to FLV. The server answers connect,
/// createStream and play by hand (session logic is not part of the machine)
/// and sends frames at chunk size 300 with timestamps crossing 0xFFFFFF, so
/// librtmp reads extended timestamps on fmt 1/2 and type-3 chunks.
#[test]
fn rtmpdump_plays_from_a_wirestate_server() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port().to_string();
    let out = std::env::temp_dir().join(format!("wirestate-rtmpdump-{}.flv", std::process::id()));
    let mut rtmpdump = std::process::Command::new("bash")
        .args(["tests/peers/rtmpdump_play.sh", &port, out.to_str().unwrap()])
        .current_dir(wirestate_core::testing::peer::root())
        .spawn()
        .expect("start rtmpdump (scripts/peers/install-rtmp-peers.sh)");

    listener.set_nonblocking(true).unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    let socket = loop {
        match listener.accept() {
            Ok((socket, _)) => break socket,
            Err(e) if e.kind() == ErrorKind::WouldBlock && Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(10))
            }
            Err(e) => panic!("rtmpdump did not connect: {e}"),
        }
    };
    socket.set_nonblocking(false).unwrap();
    socket
        .set_read_timeout(Some(Duration::from_millis(50)))
        .unwrap();
    let mut server = Client {
        socket,
        machine: RtmpConnection::server(OsRandom),
    };

    let connect = server.until(|m| {
        matches!(
            &m.message,
            Message::Command {
                command: Command::Connect(_),
                ..
            }
        )
    });
    let Message::Command {
        command: Command::Connect(connect),
        ..
    } = &connect.last().unwrap().message
    else {
        unreachable!()
    };
    assert_eq!(connect.app(), Some("live"));
    server.send(0, 0, Message::WindowAckSize(5_000_000));
    server.send(0, 0, Message::SetChunkSize(300));
    let success = Value::Object(vec![
        ("level".into(), "status".into()),
        ("code".into(), "NetConnection.Connect.Success".into()),
        ("objectEncoding".into(), 0.0.into()),
    ]);
    let properties = Value::Object(vec![
        ("fmsVer".into(), "FMS/3,0,1,123".into()),
        ("capabilities".into(), 31.0.into()),
    ]);
    server.command(
        0,
        Command::Result(wirestate::rtmp::message::Response {
            transaction_id: connect.transaction_id,
            command_object: properties,
            arguments: vec![success],
        }),
    );
    let seen = server.until(|m| {
        matches!(
            &m.message,
            Message::Command {
                command: Command::CreateStream { .. },
                ..
            }
        )
    });
    let Message::Command {
        command: Command::CreateStream { transaction_id, .. },
        ..
    } = &seen.last().unwrap().message
    else {
        unreachable!()
    };
    server.command(
        0,
        Command::Result(wirestate::rtmp::message::Response {
            transaction_id: *transaction_id,
            command_object: Value::Null,
            arguments: vec![1.0.into()],
        }),
    );
    let seen = server.until(|m| {
        matches!(
            &m.message,
            Message::Command {
                command: Command::Play(_),
                ..
            }
        )
    });
    let Message::Command {
        command: Command::Play(play),
        ..
    } = &seen.last().unwrap().message
    else {
        unreachable!()
    };
    assert_eq!(play.name, "wirestate");

    let status = |code: &str| Command::OnStatus {
        transaction_id: 0.0,
        info: Value::Object(vec![
            ("level".into(), "status".into()),
            ("code".into(), code.into()),
        ]),
    };
    server.send(
        0,
        0,
        Message::UserControl(wirestate::rtmp::message::UserControl::StreamBegin(1)),
    );
    server.command(1, status("NetStream.Play.Start"));
    let base = 0x00FF_FF00u32;
    let avc_config = Bytes::from_static(b"\x17\x00\x00\x00\x00\x01\x64\x00\x1f\xff\xe1\x00\x04\x67\x64\x00\x1f\x01\x00\x04\x68\xee\x3c\x80");
    server.send(1, base, Message::Video(Video::new(avc_config)));
    let mut sent = Vec::new();
    for i in 0..20u32 {
        let mut frame = vec![if i % 10 == 0 { 0x17 } else { 0x27 }, 1, 0, 0, 0];
        frame.extend((0..1000 + i * 31).map(|b| ((b * 7) ^ i) as u8));
        let timestamp = base + i * 40;
        server.send(
            1,
            timestamp,
            Message::Video(Video::new(Bytes::from(frame.clone()))),
        );
        sent.push((timestamp, frame));
    }
    server.send(
        0,
        0,
        Message::UserControl(wirestate::rtmp::message::UserControl::StreamEof(1)),
    );
    server.command(1, status("NetStream.Play.Stop"));
    server.flush();
    // Give librtmp the stop, then close: rtmpdump finishes its file and exits.
    let _ = server.until_quiet(Duration::from_millis(500));
    drop(server);

    let deadline = Instant::now() + Duration::from_secs(15);
    while rtmpdump.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = rtmpdump.kill();
            panic!("rtmpdump did not finish");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let flv = std::fs::read(&out).expect("rtmpdump wrote an FLV file");
    let _ = std::fs::remove_file(&out);
    let frames: Vec<(u32, Vec<u8>)> = flv_tags(&flv)
        .into_iter()
        .filter(|(kind, _, body)| *kind == 9 && body.get(1) == Some(&1))
        .map(|(_, timestamp, body)| (timestamp, body))
        .collect();
    let bodies: Vec<&Vec<u8>> = frames.iter().map(|f| &f.1).collect();
    let sent_bodies: Vec<&Vec<u8>> = sent.iter().map(|f| &f.1).collect();
    assert_eq!(
        bodies, sent_bodies,
        "librtmp received every frame byte for byte"
    );
    let steps: Vec<u32> = frames
        .windows(2)
        .map(|w| w[1].0.wrapping_sub(w[0].0))
        .collect();
    assert!(
        steps.iter().all(|&s| s == 40),
        "40 ms apart across 0xFFFFFF: {steps:?} ({frames:?})",
        frames = frames.iter().map(|f| f.0).collect::<Vec<_>>()
    );
}
