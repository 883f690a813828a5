//! RtmpConnection behaviour beyond the captures: protocol control answers,
//! sending, local misuse, poisoning, backpressure, aggregates and Enhanced
//! RTMP messages through the whole machine.

use std::time::Instant;

use bytes::{Bytes, BytesMut};
use wirestate_core::testing::{assert_chunk_independent, feed_cut};
use wirestate_core::{Machine, SeededRandom};
use wirestate_rtmp::chunk::{ChunkDecoder, ChunkEncoder, RawMessage};
use wirestate_rtmp::media::{ModExType, VideoTagHeader};
use wirestate_rtmp::message::{encode_aggregate, BandwidthLimit, Message, UserControl};
use wirestate_rtmp::{
    LocalError, MessageEvent, Outgoing, Role, RtmpCommand, RtmpConnection, RtmpError, RtmpEvent,
};

/// The server's S0+S1+S2.
const SERVER_HANDSHAKE: usize = 1 + 1536 + 1536;

/// A simple-handshake C0+C1+C2 followed by `messages` as chunks (chunk size 128).
fn client_stream(messages: &[RawMessage]) -> Vec<u8> {
    let mut out = vec![3u8];
    out.extend([0u8; 1536 * 2]);
    let mut encoder = ChunkEncoder::default();
    let mut pieces: Vec<Bytes> = Vec::new();
    for m in messages {
        encoder.encode(m, &mut pieces).unwrap();
        if m.type_id == 1 {
            let size = u32::from_be_bytes(m.payload[..4].try_into().unwrap());
            encoder.set_chunk_size(size).unwrap();
        }
    }
    for piece in pieces {
        out.extend_from_slice(&piece);
    }
    out
}

fn raw(csid: u32, timestamp: u32, message: &Message, stream_id: u32) -> RawMessage {
    RawMessage {
        csid,
        timestamp,
        type_id: message.type_id(),
        stream_id,
        payload: message.encode_payload(),
    }
}

fn control(message: Message) -> RawMessage {
    raw(2, 0, &message, 0)
}

fn server() -> RtmpConnection {
    RtmpConnection::server(SeededRandom::new(3))
}

/// Decodes what the server sent after its handshake.
fn sent_messages(transmitted: &[u8]) -> Vec<Message> {
    let mut decoder = ChunkDecoder::default();
    let mut buf = BytesMut::from(&transmitted[SERVER_HANDSHAKE..]);
    let mut out = Vec::new();
    while let Some(m) = decoder.decode(&mut buf).unwrap() {
        out.push(Message::decode(m.type_id, m.payload, &Default::default()).unwrap());
    }
    assert!(buf.is_empty());
    out
}

fn message_events(events: &[RtmpEvent]) -> Vec<&MessageEvent> {
    events
        .iter()
        .filter_map(|e| match e {
            RtmpEvent::Message(m) => Some(m),
            _ => None,
        })
        .collect()
}

#[test]
fn acknowledges_each_window_whatever_the_cuts() {
    let video = Message::Unknown {
        type_id: 9,
        payload: Bytes::from(vec![0x17; 3000]),
    };
    let mut messages = vec![control(Message::WindowAckSize(4096))];
    messages.extend((0..8).map(|i| raw(6, i * 40, &video, 1)));
    let input = client_stream(&messages);
    let transcript = assert_chunk_independent(server, &input, true, Instant::now());
    assert_eq!(transcript.error, None);
    let acks: Vec<Message> = sent_messages(&transcript.transmitted);
    // Every chunk-stream byte counts, the handshake's do not.
    let total = input.len() - (1 + 1536 * 2);
    assert_eq!(total / 4096, 5);
    let want: Vec<Message> = (1..=total / 4096)
        .map(|k| Message::Acknowledgement(k as u32 * 4096))
        .collect();
    assert_eq!(acks, want);
}

#[test]
fn answers_pings_and_set_peer_bandwidth_once() {
    let input = client_stream(&[
        control(Message::UserControl(UserControl::PingRequest(1234))),
        control(Message::SetPeerBandwidth {
            size: 2_500_000,
            limit: BandwidthLimit::Hard,
        }),
        control(Message::SetPeerBandwidth {
            size: 2_500_000,
            limit: BandwidthLimit::Dynamic,
        }),
        control(Message::SetPeerBandwidth {
            size: 3_000_000,
            limit: BandwidthLimit::Soft,
        }),
    ]);
    let transcript = assert_chunk_independent(server, &input, true, Instant::now());
    assert_eq!(
        sent_messages(&transcript.transmitted),
        [
            Message::UserControl(UserControl::PingResponse(1234)),
            Message::WindowAckSize(2_500_000),
            Message::WindowAckSize(3_000_000),
        ]
    );
    // The events still report every control message.
    assert_eq!(message_events(&transcript.events).len(), 4);
}

#[test]
fn aggregates_arrive_as_their_sub_messages() {
    let parts = [
        (8u8, 1000u32, Bytes::from_static(b"\xaf\x01aac")),
        (9, 1033, Bytes::from_static(b"\x27\x01\x00\x00\x00nal")),
    ];
    let aggregate = Message::Aggregate(encode_aggregate(&parts).unwrap());
    let input = client_stream(&[raw(4, 5000, &aggregate, 1)]);
    let transcript = assert_chunk_independent(server, &input, true, Instant::now());
    let got: Vec<(u8, u32, u32)> = message_events(&transcript.events)
        .iter()
        .map(|m| (m.message.type_id(), m.timestamp, m.stream_id))
        .collect();
    assert_eq!(got, [(8, 5000, 1), (9, 5033, 1)]);
}

#[test]
fn enhanced_rtmp_multitrack_and_mod_ex_through_the_machine() {
    // Two HEVC tracks in one message; then a ModEx nanosecond offset before avc1 coded frames.
    let multitrack = Bytes::from_static(
        b"\x96\x11hvc1\x00\x00\x00\x05\x00\x00\x01\xaa\xbb\x01\x00\x00\x04\x00\x00\x02\xcc",
    );
    let mod_ex = Bytes::from_static(b"\x97\x02\x0f\x42\x3f\x01avc1\x00\x00\x05\xee");
    let input = client_stream(&[
        raw(
            6,
            0,
            &Message::Unknown {
                type_id: 9,
                payload: multitrack,
            },
            1,
        ),
        raw(
            6,
            33,
            &Message::Unknown {
                type_id: 9,
                payload: mod_ex,
            },
            1,
        ),
    ]);
    let transcript = assert_chunk_independent(server, &input, true, Instant::now());
    let videos: Vec<_> = message_events(&transcript.events)
        .into_iter()
        .filter_map(|m| match &m.message {
            Message::Video(v) => Some(v.clone()),
            _ => None,
        })
        .collect();
    let Ok(VideoTagHeader::Enhanced(first)) = &videos[0].header else {
        panic!("{:?}", videos[0].header)
    };
    assert_eq!(
        first.tracks.iter().map(|t| t.track_id).collect::<Vec<_>>(),
        [0, 1]
    );
    assert_eq!(&videos[0].payload[first.tracks[1].data.clone()], b"\xcc");
    let Ok(VideoTagHeader::Enhanced(second)) = &videos[1].header else {
        panic!("{:?}", videos[1].header)
    };
    assert_eq!(second.mod_ex[0].mod_ex_type, ModExType::TimestampOffsetNano);
    assert_eq!(second.timestamp_offset_nanos, Some(999_999));
    assert_eq!(&videos[1].data()[..], b"\xee");
}

#[test]
fn a_bad_command_body_is_an_event_not_an_error() {
    let bad = Message::Unknown {
        type_id: 20,
        payload: Bytes::from_static(b"\x02\x00\x10short"),
    };
    let ok = Message::Unknown {
        type_id: 8,
        payload: Bytes::from_static(b"\xaf\x01x"),
    };
    let input = client_stream(&[raw(3, 0, &bad, 0), raw(4, 0, &ok, 1)]);
    let transcript = assert_chunk_independent(server, &input, true, Instant::now());
    assert!(matches!(
        transcript.events[1],
        RtmpEvent::InvalidMessage { .. }
    ));
    assert!(matches!(&transcript.events[2], RtmpEvent::Message(m) if m.message.type_id() == 8));
    assert_eq!(transcript.error, None);
}

#[test]
fn a_fatal_error_is_reported_once_then_the_machine_is_poisoned() {
    let mut input = client_stream(&[control(Message::SetChunkSize(0x10))]);
    // Patch the chunk size to 0: the decoder refuses it.
    let at = input.len() - 4;
    input[at..].copy_from_slice(&[0, 0, 0, 0]);
    let now = Instant::now();
    let mut machine = server();
    machine.handle_input(&input, now);
    assert_eq!(
        machine.poll_event().unwrap().unwrap(),
        RtmpEvent::HandshakeComplete
    );
    assert!(matches!(
        machine.poll_event(),
        Some(Err(RtmpError::Chunk(_)))
    ));
    assert!(machine.poll_event().is_none());
    assert!(machine.is_closed());
    assert!(!machine.wants_read());
    machine.handle_input(b"\x02more", now);
    assert!(machine.poll_event().is_none());
    assert!(matches!(
        machine.send(0, 0, Message::Acknowledgement(1)),
        Err(LocalError::Closed)
    ));
}

#[test]
fn eof_policies() {
    let now = Instant::now();
    let t = feed_cut(&mut server(), &[3u8; 100], &[], true, now);
    assert_eq!(
        t.error.as_deref(),
        Some("connection closed during the handshake")
    );
    let mut input = client_stream(&[]);
    input.extend_from_slice(b"\x03\x00\x00\x00\x00\x00\x05\x14\x00\x00\x00\x00ab"); // 2 of 5 bytes
    let t = feed_cut(&mut server(), &input, &[], true, now);
    assert_eq!(
        t.error.as_deref(),
        Some("connection closed inside a message (2 buffered payload byte(s) dropped)")
    );
    let t = feed_cut(&mut server(), &client_stream(&[]), &[], true, now);
    assert_eq!((t.error, t.closed), (None, true));
}

#[test]
fn sending_switches_chunk_size_after_the_message_and_refuses_misuse() {
    let now = Instant::now();
    let mut machine = server();
    machine.handle_input(&client_stream(&[]), now);
    assert_eq!(
        machine.poll_event().unwrap().unwrap(),
        RtmpEvent::HandshakeComplete
    );
    while machine.poll_transmit().is_some() {}
    machine.send(0, 0, Message::SetChunkSize(4096)).unwrap();
    assert_eq!(machine.chunk_size(), 4096);
    let payload = Bytes::from(vec![0x27; 1000]);
    machine
        .send(
            1,
            40,
            Message::Unknown {
                type_id: 9,
                payload: payload.clone(),
            },
        )
        .unwrap();
    let pieces: Vec<Bytes> = std::iter::from_fn(|| machine.poll_transmit()).collect();
    // SetChunkSize header + body, then the video as one chunk: header, then the payload itself.
    assert_eq!(pieces.len(), 4);
    assert_eq!(pieces[3].as_ptr(), payload.as_ptr());
    let mut decoder = ChunkDecoder::default();
    let mut buf = BytesMut::from(&pieces.concat()[..]);
    assert_eq!(decoder.decode(&mut buf).unwrap().unwrap().type_id, 1);
    assert_eq!(decoder.decode(&mut buf).unwrap().unwrap().payload, payload);

    assert!(matches!(
        machine.send(0, 0, Message::SetChunkSize(0)),
        Err(LocalError::Encode(_))
    ));
    let bad_csid = Outgoing {
        csid: 1,
        ..Outgoing::new(0, 0, Message::Acknowledgement(0))
    };
    assert!(matches!(
        machine.handle_command(RtmpCommand::Send(bad_csid), now),
        Err(RtmpError::Local(LocalError::Encode(_)))
    ));
    assert!(
        machine.poll_transmit().is_none(),
        "refused requests send nothing"
    );
    machine.handle_command(RtmpCommand::Close, now).unwrap();
    assert!(machine.is_closed());
    assert!(matches!(
        machine.send(0, 0, Message::Acknowledgement(1)),
        Err(LocalError::Closed)
    ));
}

#[test]
fn client_holds_messages_until_its_c2_is_out() {
    let now = Instant::now();
    let mut client = RtmpConnection::new(Role::Client, Default::default(), SeededRandom::new(9));
    let c0c1 = client.poll_transmit().unwrap();
    assert_eq!(c0c1.len(), 1 + 1536);
    client.send(0, 0, Message::WindowAckSize(100_000)).unwrap();
    assert!(
        client.poll_transmit().is_none(),
        "nothing before the handshake"
    );
    // A simple S0+S1+S2, then the server's first chunk in the same read.
    let mut s = vec![3u8];
    s.extend([0u8; 3072]);
    s.extend_from_slice(b"\x02\x00\x00\x00\x00\x00\x04\x01\x00\x00\x00\x00\x00\x00\x10\x00");
    client.handle_input(&s, now);
    let c2 = client.poll_transmit().unwrap();
    assert_eq!(c2.len(), 1536);
    let held: Vec<u8> = std::iter::from_fn(|| client.poll_transmit())
        .flatten()
        .collect();
    assert_eq!(
        held,
        b"\x02\x00\x00\x00\x00\x00\x04\x05\x00\x00\x00\x00\x00\x01\x86\xa0"
    );
    assert_eq!(
        client.poll_event().unwrap().unwrap(),
        RtmpEvent::HandshakeComplete
    );
    assert!(matches!(
        client.poll_event().unwrap().unwrap(),
        RtmpEvent::Message(MessageEvent {
            message: Message::SetChunkSize(4096),
            ..
        })
    ));
    assert_eq!(client.peer_chunk_size(), 4096);
}

#[test]
fn backpressure_stops_reading_until_events_are_polled() {
    let now = Instant::now();
    let video = Message::Unknown {
        type_id: 9,
        payload: Bytes::from(vec![0x27; 100]),
    };
    let messages: Vec<RawMessage> = (0..20_000).map(|i| raw(6, i, &video, 1)).collect();
    let input = client_stream(&messages);
    let mut machine = server();
    machine.handle_input(&input, now);
    assert!(input.len() > 1 << 20);
    assert!(
        !machine.wants_read(),
        "over the high-water mark with events pending"
    );
    let mut count = 0;
    while let Some(event) = machine.poll_event() {
        event.unwrap();
        count += 1;
    }
    assert_eq!(count, 20_001);
    assert!(machine.wants_read());
}

#[test]
fn enhanced_rtmp_connect_capabilities_are_typed() {
    use wirestate_rtmp::amf0::Value;
    use wirestate_rtmp::message::{Command, Connect};
    let connect = Connect::new(1.0, "live", "rtmp://127.0.0.1/live")
        .with(
            "fourCcList",
            Value::StrictArray(vec!["av01".into(), "hvc1".into(), "Opus".into()]),
        )
        .with(
            "videoFourCcInfoMap",
            Value::Object(vec![("*".into(), Value::Number(4.0))]),
        )
        .with(
            "audioFourCcInfoMap",
            Value::Object(vec![("Opus".into(), Value::Number(1.0))]),
        )
        .with("capsEx", Value::Number(2.0));
    let message = Message::Command {
        amf3: false,
        command: Command::Connect(connect),
    };
    let input = client_stream(&[raw(3, 0, &message, 0)]);
    let transcript = assert_chunk_independent(server, &input, true, Instant::now());
    let RtmpEvent::Message(MessageEvent {
        message:
            Message::Command {
                command: Command::Connect(got),
                ..
            },
        ..
    }) = &transcript.events[1]
    else {
        panic!("{:?}", transcript.events)
    };
    assert_eq!(got.four_cc_list(), Some(vec!["av01", "hvc1", "Opus"]));
    assert_eq!(
        got.video_four_cc_info_map(),
        Some(&[("*".to_owned(), Value::Number(4.0))][..])
    );
    assert_eq!(got.audio_four_cc_info_map().map(|m| m.len()), Some(1));
    assert_eq!(got.caps_ex(), Some(2.0));
    assert_eq!(got.app(), Some("live"));
}

#[test]
fn amf3_command_skips_the_format_byte_and_decodes_the_switch() {
    use wirestate_rtmp::amf0::Value;
    use wirestate_rtmp::message::Command;
    // Type 17: format byte 0, "play", tx 0, null, then an AVM+ switch and AMF3 bytes.
    let body: &[u8] =
        b"\x00\x02\x00\x04play\x00\x00\x00\x00\x00\x00\x00\x00\x00\x05\x11\x06\x09abcd";
    let message = Message::Unknown {
        type_id: 17,
        payload: Bytes::from_static(body),
    };
    let input = client_stream(&[raw(3, 0, &message, 1)]);
    let transcript = assert_chunk_independent(server, &input, true, Instant::now());
    let RtmpEvent::Message(MessageEvent {
        message: Message::Command { amf3, command },
        len,
        ..
    }) = &transcript.events[1]
    else {
        panic!("{:?}", transcript.events)
    };
    assert!(*amf3);
    assert_eq!(*len, 25);
    let Command::Other(generic) = command else {
        panic!("{command:?}")
    };
    assert_eq!(generic.name, "play");
    assert_eq!(
        generic.arguments,
        [Value::from(wirestate_rtmp::amf3::Value::String(
            "abcd".into()
        ))]
    );
}

#[test]
fn amf3_data_message_decodes_its_amf3_values_whatever_the_cuts() {
    use wirestate_rtmp::amf0::Value;
    use wirestate_rtmp::amf3::{self, Array, Object};
    // Type 15: format byte 0, "onMetaData", then 0x11 and an AMF3 array
    // {width: 640, codec: "avc1"} with a dense [true], then 0x11 and an
    // object whose traits repeat (a traits reference) inside a vector.
    let body: &[u8] = b"\x00\x02\x00\x0aonMetaData\x11\x09\x03\x0bwidth\x04\x85\x00\x0bcodec\x06\x09avc1\x01\x03\x11\x10\x05\x00\x01\x0a\x0b\x01\x03n\x04\x01\x01\x0a\x01\x00\x04\x02\x01";
    let message = Message::Unknown {
        type_id: 15,
        payload: Bytes::from_static(body),
    };
    let input = client_stream(&[raw(4, 0, &message, 1)]);
    let transcript = assert_chunk_independent(server, &input, true, Instant::now());
    let RtmpEvent::Message(MessageEvent {
        message: Message::Data(data),
        ..
    }) = &transcript.events[1]
    else {
        panic!("{:?}", transcript.events)
    };
    assert!(data.amf3);
    assert_eq!(data.name(), Some("onMetaData"));
    let n = |v| Object::anonymous(vec![("n".into(), amf3::Value::Integer(v))]);
    assert_eq!(
        data.values[1..],
        [
            Value::from(amf3::Value::Array(Array {
                associative: vec![
                    ("width".into(), amf3::Value::Integer(640)),
                    ("codec".into(), amf3::Value::String("avc1".into())),
                ],
                dense: vec![amf3::Value::Boolean(true)],
            })),
            Value::from(amf3::Value::VectorObject {
                type_name: String::new(),
                vector: amf3::Vector {
                    fixed: false,
                    items: vec![amf3::Value::Object(n(1)), amf3::Value::Object(n(2))],
                },
            }),
        ]
    );
    assert_eq!(
        data.values[1]
            .as_amf3()
            .and_then(|v| v.get("width"))
            .and_then(amf3::Value::as_f64),
        Some(640.0)
    );
    // The message re-encodes to the same bytes.
    assert_eq!(&Message::Data(data.clone()).encode_payload()[..], body);
}

/// The fuzzer's reproducer (`rtmp_chunks`, minimized): an acknowledgement
/// window of 1 byte, a 2000-byte video message cut off after 8 chunks, then
/// a header announcing a message over the 8 MiB limit. The acknowledgements
/// for the bytes before the error were sent when the input arrived cut, and
/// not when it arrived whole, because the error path skipped them.
#[test]
fn acknowledgements_before_an_error_do_not_depend_on_the_cuts() {
    let mut input = vec![3u8];
    input.resize(1 + 2 * 1536, 0);
    // Window Acknowledgement Size 1 on chunk stream 2.
    input.extend_from_slice(&[2, 0, 0, 0, 0, 0, 4, 5, 0, 0, 0, 0, 0, 0, 0, 1]);
    // Video, 2000 bytes announced, stream 1: the first chunk, then 7 more.
    input.extend_from_slice(&[4, 0, 0, 0, 0, 0x07, 0xd0, 9, 1, 0, 0, 0]);
    input.extend_from_slice(&[0; 128]);
    for _ in 0..7 {
        input.push(0xc4);
        input.extend_from_slice(&[0; 128]);
    }
    // A new message of 16 MiB - 1 bytes: over the limit.
    input.extend_from_slice(&[5, 0, 0, 0, 0xff, 0xff, 0xff, 9, 1, 0, 0, 0]);
    let transcript = assert_chunk_independent(server, &input, false, Instant::now());
    let error = transcript.error.as_deref().unwrap_or_default();
    assert!(error.contains("16777215"), "{error}");
    let acks = sent_messages(&transcript.transmitted);
    assert!(!acks.is_empty());
    assert!(acks
        .iter()
        .all(|m| matches!(m, Message::Acknowledgement(_))));
}
