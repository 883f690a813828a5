#![cfg(feature = "peer-tests")]
//! RtmpConnection against a real nginx-rtmp (installed by
//! scripts/peers/install-nginx-rtmp.sh, started by tests/peers/nginx_rtmp.sh):
//! one client publishes a stream through nginx at its own chunk size, a second
//! client plays it, and the player must receive exactly the media sent.

mod peers;

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::{Duration, Instant};

use bytes::Bytes;
use peers::Peer;
use wirestate::core::{Machine, OsRandom};
use wirestate::rtmp::amf0::Value;
use wirestate::rtmp::message::{Audio, Command, Connect, DataMessage, Message, Play, Video};
use wirestate::rtmp::{Event, MessageEvent, RtmpConnection};

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
                if let Event::Message(m) = event.expect("no connection error") {
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
