//! Replays the recorded RTMP captures (tests/captures/rtmp) and compares every
//! message with the ground truth in `*.messages.csv`: type, message stream id,
//! absolute timestamp and length, in order.

use std::time::Instant;

use bytes::BytesMut;
use proptest::prelude::*;
use wirestate_core::testing::capture;
use wirestate_core::testing::{
    arb_cuts, assert_chunk_independent, assert_transcripts_equal, feed_cut, pieces, Transcript,
};
use wirestate_core::SeededRandom;
use wirestate_rtmp::amf0::Value;
use wirestate_rtmp::chunk::{ChunkDecoder, RawMessage};
use wirestate_rtmp::handshake::HandshakeKind;
use wirestate_rtmp::media::{FourCc, VideoTagHeader};
use wirestate_rtmp::message::{Command, Message, UserControl};
use wirestate_rtmp::{MessageEvent, Role, RtmpConnection, RtmpEvent};

/// C0 + C1 + C2 (or S0 + S1 + S2): every capture's dissect file reports
/// 1536-byte handshake packets and no bytes left undecoded after the messages.
const HANDSHAKE_LEN: usize = 1 + 1536 + 1536;

const CAPTURES: &[&str] = &[
    "rtmp_ffmpeg_publish_nginx",
    "rtmp_ffmpeg_play_nginx",
    "rtmp_rtmpdump_play_nginx",
    "rtmp_ffmpeg_publish_nginx_extts_chunk128",
    "rtmp_ffmpeg_publish_ffmpeglisten",
    "rtmp_ffmpeg9_publish_nginx_ertmp_hevc",
];

fn load(name: &str, dir: &str) -> Vec<u8> {
    capture::read(&format!("rtmp/{name}.{dir}.bin"))
}

/// `(type_id, stream_id, timestamp, length)` per message.
type Row = (u8, u32, u32, usize);

fn expected(name: &str, dir: &str) -> Vec<Row> {
    let text = capture::read_to_string(&format!("rtmp/{name}.{dir}.messages.csv"));
    text.lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            let f: Vec<&str> = line.trim().split(',').collect();
            (
                f[0].parse().unwrap(),
                f[1].parse().unwrap(),
                f[2].parse().unwrap(),
                f[3].parse().unwrap(),
            )
        })
        .collect()
}

fn row(m: &RawMessage) -> Row {
    (m.type_id, m.stream_id, m.timestamp, m.payload.len())
}

/// Feeds the chunk stream to a bare decoder cut at `cuts`.
fn decode_cut(stream: &[u8], cuts: &[usize]) -> (Vec<RawMessage>, bool) {
    let mut decoder = ChunkDecoder::default();
    let mut input = BytesMut::new();
    let mut out = Vec::new();
    for piece in pieces(stream, cuts) {
        input.extend_from_slice(piece);
        while let Some(m) = decoder.decode(&mut input).unwrap() {
            out.push(m);
        }
    }
    assert!(input.is_empty(), "bytes left over");
    (out, decoder.is_idle())
}

/// Captures whose recording ends inside a message: `ffmpeg -listen` closed the
/// connection after sending the 12-byte header of a 34-byte command.
fn ends_mid_message(name: &str, dir: &str) -> bool {
    name == "rtmp_ffmpeg_publish_ffmpeglisten" && dir == "s2c"
}

#[test]
fn chunk_decoder_reproduces_every_capture() {
    for name in CAPTURES {
        for dir in ["c2s", "s2c"] {
            let bytes = load(name, dir);
            let stream = &bytes[HANDSHAKE_LEN..];
            let want = expected(name, dir);
            let whole = decode_cut(stream, &[]);
            let got: Vec<Row> = whole.0.iter().map(row).collect();
            assert_eq!(got, want, "{name}.{dir}");
            assert_eq!(
                whole.1,
                !ends_mid_message(name, dir),
                "{name}.{dir}: state at the end"
            );
            let bytewise: Vec<usize> = (1..stream.len()).collect();
            assert_eq!(
                decode_cut(stream, &bytewise),
                whole,
                "{name}.{dir} byte by byte"
            );
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    #[test]
    fn chunk_decoder_is_cut_independent(which in 0..CAPTURES.len() * 2, cuts in proptest::collection::vec(0usize..150_000, 0..64)) {
        let name = CAPTURES[which / 2];
        let dir = if which % 2 == 0 { "c2s" } else { "s2c" };
        let bytes = load(name, dir);
        let stream = &bytes[HANDSHAKE_LEN..];
        prop_assert_eq!(decode_cut(stream, &cuts), decode_cut(stream, &[]));
    }
}

// ---- The whole machine: handshake, chunk stream, typed messages ----

/// c2s is what a server receives, s2c what a client receives.
fn machine_for(dir: &str) -> RtmpConnection {
    let role = if dir == "c2s" {
        Role::Server
    } else {
        Role::Client
    };
    RtmpConnection::new(role, Default::default(), SeededRandom::new(7))
}

fn replay(name: &str, dir: &str, cuts: &[usize]) -> Transcript<RtmpEvent> {
    feed_cut(
        &mut machine_for(dir),
        &load(name, dir),
        cuts,
        true,
        Instant::now(),
    )
}

fn messages(transcript: &Transcript<RtmpEvent>) -> Vec<&MessageEvent> {
    transcript
        .events
        .iter()
        .filter_map(|e| match e {
            RtmpEvent::Message(m) => Some(m),
            RtmpEvent::InvalidMessage { raw, error } => panic!("invalid message {raw:?}: {error}"),
            RtmpEvent::HandshakeComplete => None,
        })
        .collect()
}

#[test]
fn machine_reproduces_every_capture_whole_and_byte_by_byte() {
    for name in CAPTURES {
        for dir in ["c2s", "s2c"] {
            let input = load(name, dir);
            let whole = assert_chunk_independent(|| machine_for(dir), &input, true, Instant::now());
            assert_eq!(
                whole.events.first(),
                Some(&RtmpEvent::HandshakeComplete),
                "{name}.{dir}"
            );
            let got: Vec<Row> = messages(&whole)
                .iter()
                .map(|m| (m.message.type_id(), m.stream_id, m.timestamp, m.len))
                .collect();
            // Every payload re-encodes to its original length (AMF0 is byte-exact).
            for m in messages(&whole) {
                assert_eq!(
                    m.message.encode_payload().len(),
                    m.len,
                    "{name}.{dir}: {:?}",
                    m.message
                );
            }
            assert_eq!(got, expected(name, dir), "{name}.{dir}");
            if ends_mid_message(name, dir) {
                assert_eq!(
                    whole.error.as_deref(),
                    Some("connection closed inside a message (0 buffered payload byte(s) dropped)")
                );
            } else {
                assert_eq!(whole.error, None, "{name}.{dir}");
                assert!(whole.closed, "{name}.{dir}: clean EOF closes");
            }
        }
    }
}

#[test]
fn handshake_kinds_match_the_dissection() {
    // (capture, direction, digest offset or None for the simple handshake)
    let cases: &[(&str, &str, Option<usize>)] = &[
        ("rtmp_ffmpeg_publish_nginx", "c2s", Some(494)),
        ("rtmp_ffmpeg_publish_nginx", "s2c", Some(454)),
        ("rtmp_ffmpeg_play_nginx", "s2c", Some(411)),
        ("rtmp_rtmpdump_play_nginx", "c2s", None),
        ("rtmp_rtmpdump_play_nginx", "s2c", None),
        ("rtmp_ffmpeg_publish_nginx_extts_chunk128", "s2c", Some(679)),
        ("rtmp_ffmpeg_publish_ffmpeglisten", "c2s", Some(494)),
        ("rtmp_ffmpeg_publish_ffmpeglisten", "s2c", None),
        ("rtmp_ffmpeg9_publish_nginx_ertmp_hevc", "s2c", Some(527)),
    ];
    for &(name, dir, offset) in cases {
        let mut machine = machine_for(dir);
        feed_cut(&mut machine, &load(name, dir), &[], false, Instant::now());
        let kind = machine.handshake_info().expect("handshake complete").kind;
        match (kind, offset) {
            (HandshakeKind::Simple, None) => {}
            (HandshakeKind::Digest { offset: got, .. }, Some(want)) => {
                assert_eq!(got, want, "{name}.{dir}")
            }
            other => panic!("{name}.{dir}: {other:?}"),
        }
    }
}

/// The commands of a stream, by name and transaction id.
fn commands(transcript: &Transcript<RtmpEvent>) -> Vec<(String, Option<f64>, u32)> {
    messages(transcript)
        .iter()
        .filter_map(|m| match &m.message {
            Message::Command { command, .. } => Some((
                command.name().to_owned(),
                command.transaction_id(),
                m.stream_id,
            )),
            _ => None,
        })
        .collect()
}

/// The `code` of every `onStatus` command, in order.
fn status_codes(transcript: &Transcript<RtmpEvent>) -> Vec<&str> {
    messages(transcript)
        .into_iter()
        .filter_map(|m| match &m.message {
            Message::Command {
                command: Command::OnStatus { info, .. },
                ..
            } => info.get("code")?.as_str(),
            _ => None,
        })
        .collect()
}

fn find_command<'a>(transcript: &'a Transcript<RtmpEvent>, name: &str) -> &'a Command {
    messages(transcript)
        .into_iter()
        .find_map(|m| match &m.message {
            Message::Command { command, .. } if command.name() == name => Some(command),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no {name}"))
}

#[test]
fn ffmpeg_publish_commands_decode_as_dissected() {
    let c2s = replay("rtmp_ffmpeg_publish_nginx", "c2s", &[]);
    let names: Vec<(String, Option<f64>, u32)> = commands(&c2s);
    let want: Vec<(String, Option<f64>, u32)> = [
        ("connect", 1.0, 0),
        ("releaseStream", 2.0, 0),
        ("FCPublish", 3.0, 0),
        ("createStream", 4.0, 0),
        ("publish", 5.0, 1),
        ("FCUnpublish", 6.0, 0),
        ("deleteStream", 7.0, 0),
    ]
    .iter()
    .map(|&(n, tx, s)| (n.to_owned(), Some(tx), s))
    .collect();
    assert_eq!(names, want);
    let Command::Connect(connect) = find_command(&c2s, "connect") else {
        panic!("typed connect")
    };
    assert_eq!(connect.app(), Some("live"));
    assert_eq!(connect.connection_type(), Some("nonprivate"));
    assert_eq!(
        connect.flash_ver(),
        Some("FMLE/3.0 (compatible; Lavf59.27.100)")
    );
    assert_eq!(connect.tc_url(), Some("rtmp://127.0.0.1:19350/live"));
    assert_eq!(
        find_command(&c2s, "publish"),
        &Command::Publish {
            transaction_id: 5.0,
            name: "test".into(),
            kind: Some("live".into())
        }
    );
    assert_eq!(
        find_command(&c2s, "releaseStream"),
        &Command::ReleaseStream {
            transaction_id: 2.0,
            name: "test".into()
        }
    );
    assert_eq!(
        find_command(&c2s, "deleteStream"),
        &Command::DeleteStream {
            transaction_id: 7.0,
            stream_id: 1.0
        }
    );
    let data = messages(&c2s)
        .into_iter()
        .find_map(|m| match &m.message {
            Message::Data(d) => Some(d.clone()),
            _ => None,
        })
        .unwrap();
    assert_eq!(data.name(), Some("@setDataFrame"));
    let meta = data.metadata().expect("onMetaData");
    assert_eq!(meta.get("width"), Some(&Value::Number(640.0)));
    assert_eq!(meta.get("height"), Some(&Value::Number(360.0)));
    assert_eq!(meta.get("framerate"), Some(&Value::Number(30.0)));

    let s2c = replay("rtmp_ffmpeg_publish_nginx", "s2c", &[]);
    let Command::Result(result) = find_command(&s2c, "_result") else {
        panic!("typed _result")
    };
    assert_eq!(result.code(), Some("NetConnection.Connect.Success"));
    let statuses = status_codes(&s2c);
    assert_eq!(
        statuses,
        ["NetStream.Publish.Start", "NetStream.Unpublish.Success"]
    );
    let stream_ids: Vec<Option<f64>> = messages(&s2c)
        .iter()
        .filter_map(|m| match &m.message {
            Message::Command {
                command: Command::Result(r),
                ..
            } if r.transaction_id == 4.0 => Some(r.stream_id()),
            _ => None,
        })
        .collect();
    assert_eq!(stream_ids, [Some(1.0)]);
    let control: Vec<&Message> = messages(&s2c)
        .into_iter()
        .map(|m| &m.message)
        .filter(|m| m.type_id() < 8)
        .collect();
    assert_eq!(
        control,
        [
            &Message::WindowAckSize(5_000_000),
            &Message::SetPeerBandwidth {
                size: 5_000_000,
                limit: wirestate_rtmp::message::BandwidthLimit::Dynamic
            },
            &Message::SetChunkSize(4096),
        ]
    );
}

#[test]
fn ffmpeg_listen_server_sends_on_fc_publish_without_transaction_id() {
    let s2c = replay("rtmp_ffmpeg_publish_ffmpeglisten", "s2c", &[]);
    let Command::Other(generic) = find_command(&s2c, "onFCPublish") else {
        panic!("generic")
    };
    assert_eq!(generic.transaction_id, None);
    assert!(generic.arguments.is_empty());
    assert_eq!(
        find_command(&s2c, "onBWDone"),
        &Command::OnBwDone {
            transaction_id: 0.0,
            arguments: vec![Value::Number(8192.0)]
        }
    );
    let c2s = replay("rtmp_ffmpeg_publish_ffmpeglisten", "c2s", &[]);
    assert_eq!(
        find_command(&c2s, "_checkbw"),
        &Command::CheckBw {
            transaction_id: 5.0
        }
    );
    let begins = messages(&s2c)
        .iter()
        .filter(|m| {
            m.message == Message::UserControl(UserControl::StreamBegin(0))
                || m.message == Message::UserControl(UserControl::StreamBegin(1))
        })
        .count();
    assert_eq!(begins, 2);
}

#[test]
fn players_commands_and_user_control_decode_as_dissected() {
    let c2s = replay("rtmp_ffmpeg_play_nginx", "c2s", &[]);
    let Command::Play(play) = find_command(&c2s, "play") else {
        panic!("typed play")
    };
    assert_eq!(
        (play.name.as_str(), play.start, play.transaction_id),
        ("test", Some(-2000.0), 4.0)
    );
    assert_eq!(
        find_command(&c2s, "getStreamLength"),
        &Command::GetStreamLength {
            transaction_id: 3.0,
            name: "test".into()
        }
    );
    let Command::Connect(connect) = find_command(&c2s, "connect") else {
        panic!("typed connect")
    };
    assert_eq!(connect.flash_ver(), Some("LNX 9,0,124,2"));
    assert_eq!(
        connect.command_object.get("audioCodecs"),
        Some(&Value::Number(4071.0))
    );

    let c2s = replay("rtmp_rtmpdump_play_nginx", "c2s", &[]);
    assert_eq!(
        find_command(&c2s, "FCSubscribe"),
        &Command::FcSubscribe {
            transaction_id: 3.0,
            name: "test".into()
        }
    );
    let Command::Play(play) = find_command(&c2s, "play") else {
        panic!("typed play")
    };
    assert_eq!(play.start, Some(-1000.0));
    let buffer_lengths = messages(&c2s)
        .iter()
        .filter(|m| {
            matches!(
                m.message,
                Message::UserControl(UserControl::SetBufferLength { .. })
            )
        })
        .count();
    assert_eq!(buffer_lengths, 2);

    let s2c = replay("rtmp_rtmpdump_play_nginx", "s2c", &[]);
    let events: Vec<&UserControl> = messages(&s2c)
        .into_iter()
        .filter_map(|m| match &m.message {
            Message::UserControl(e) => Some(e),
            _ => None,
        })
        .collect();
    assert_eq!(
        events,
        [&UserControl::StreamBegin(1), &UserControl::StreamEof(1)]
    );
    let data_names: Vec<String> = messages(&s2c)
        .iter()
        .filter_map(|m| match &m.message {
            Message::Data(d) => d.name().map(str::to_owned),
            _ => None,
        })
        .collect();
    assert_eq!(data_names, ["|RtmpSampleAccess", "onMetaData"]);
    let statuses = status_codes(&s2c);
    assert_eq!(statuses, ["NetStream.Play.Start", "NetStream.Play.Stop"]);
}

#[test]
fn enhanced_rtmp_hevc_video_headers() {
    let c2s = replay("rtmp_ffmpeg9_publish_nginx_ertmp_hevc", "c2s", &[]);
    let mut enhanced = 0;
    for m in messages(&c2s) {
        if let Message::Video(video) = &m.message {
            match video.header.as_ref().expect("every video header parses") {
                VideoTagHeader::Enhanced(h) => {
                    assert_eq!(h.tracks[0].fourcc, FourCc(*b"hvc1"));
                    enhanced += 1;
                }
                VideoTagHeader::Legacy(h) => panic!("legacy header {h:?}"),
            }
        }
    }
    assert_eq!(enhanced, 152);
}

#[test]
fn client_answers_set_peer_bandwidth_with_window_ack_size() {
    // nginx sends WindowAckSize 5000000 and SetPeerBandwidth 5000000: the
    // client answers once with its own WindowAckSize, after its C2.
    let t = replay("rtmp_ffmpeg_publish_nginx", "s2c", &[]);
    let sent = &t.transmitted[1 + 1536 + 1536..];
    assert_eq!(
        sent,
        b"\x02\x00\x00\x00\x00\x00\x04\x05\x00\x00\x00\x00\x00\x4c\x4b\x40"
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(16))]
    #[test]
    fn machine_is_cut_independent(which in 0..CAPTURES.len() * 2, cuts in arb_cuts(150_000)) {
        let name = CAPTURES[which / 2];
        let dir = if which % 2 == 0 { "c2s" } else { "s2c" };
        let whole = replay(name, dir, &[]);
        let cut = replay(name, dir, &cuts);
        assert_transcripts_equal(&whole, &cut, &format!("{name}.{dir} cut at {cuts:?}"));
    }
}
