//! Round trips for every RTMP message type: `encode_payload` then
//! `Message::decode` gives the same message, and so does sending it through
//! a client connection into a server connection at a random chunk size.

use std::time::Instant;

use bytes::Bytes;
use proptest::prelude::*;
use wirestate_core::{Machine, SeededRandom};
use wirestate_rtmp::amf0::{Amf0Limits, Value};
use wirestate_rtmp::amf3;
use wirestate_rtmp::message::{
    Audio, BandwidthLimit, Command, Connect, DataMessage, GenericCommand, Message, Play, Response,
    UserControl, Video,
};
use wirestate_rtmp::{Outgoing, RtmpConnection, RtmpEvent};

fn arb_number() -> impl Strategy<Value = f64> + Clone {
    prop_oneof![(-1e9f64..1e9), Just(0.0), Just(1.0), Just(-2000.0)]
}

fn arb_text() -> impl Strategy<Value = String> + Clone {
    "[a-zA-Z0-9_. é]{0,12}".prop_map(String::from)
}

/// AMF3 values as they come behind an AVM+ switch in types 17 and 15.
fn arb_amf3() -> impl Strategy<Value = amf3::Value> {
    let leaf = prop_oneof![
        (amf3::MIN_INTEGER..=amf3::MAX_INTEGER).prop_map(amf3::Value::Integer),
        arb_number().prop_map(amf3::Value::Double),
        arb_text().prop_map(amf3::Value::String),
        proptest::collection::vec(any::<u8>(), 0..4).prop_map(amf3::Value::ByteArray),
        Just(amf3::Value::Null),
    ];
    leaf.prop_recursive(2, 8, 3, |inner| {
        proptest::collection::vec(("[a-c]{1,3}", inner), 0..3)
            .prop_map(|members| amf3::Value::Object(amf3::Object::anonymous(members)))
    })
}

fn arb_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        arb_amf3().prop_map(Value::from),
        arb_number().prop_map(Value::Number),
        any::<bool>().prop_map(Value::Boolean),
        arb_text().prop_map(Value::String),
        Just(Value::Null),
        Just(Value::Undefined),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        let props = || proptest::collection::vec((arb_text(), inner.clone()), 0..4);
        prop_oneof![
            props().prop_map(Value::Object),
            props().prop_map(Value::EcmaArray),
            proptest::collection::vec(inner, 0..4).prop_map(Value::StrictArray),
        ]
    })
}

fn arb_args() -> impl Strategy<Value = Vec<Value>> {
    proptest::collection::vec(arb_value(), 0..3)
}

fn arb_object() -> impl Strategy<Value = Value> {
    proptest::collection::vec((arb_text(), arb_value()), 0..4).prop_map(Value::Object)
}

fn arb_command() -> impl Strategy<Value = Command> {
    let tx = arb_number();
    prop_oneof![
        (tx.clone(), arb_object(), arb_args()).prop_map(
            |(transaction_id, command_object, arguments)| {
                Command::Connect(Connect {
                    transaction_id,
                    command_object,
                    arguments,
                })
            }
        ),
        (tx.clone(), arb_value(), arb_args()).prop_map(
            |(transaction_id, command_object, arguments)| {
                Command::Result(Response {
                    transaction_id,
                    command_object,
                    arguments,
                })
            }
        ),
        (tx.clone(), arb_value(), arb_args()).prop_map(
            |(transaction_id, command_object, arguments)| {
                Command::Error(Response {
                    transaction_id,
                    command_object,
                    arguments,
                })
            }
        ),
        (tx.clone(), arb_value()).prop_map(|(transaction_id, info)| Command::OnStatus {
            transaction_id,
            info
        }),
        (tx.clone(), arb_value()).prop_map(|(transaction_id, command_object)| {
            Command::CreateStream {
                transaction_id,
                command_object,
            }
        }),
        (tx.clone(), arb_text(), proptest::option::of(arb_text())).prop_map(
            |(transaction_id, name, kind)| {
                Command::Publish {
                    transaction_id,
                    name,
                    kind,
                }
            }
        ),
        (
            tx.clone(),
            arb_text(),
            0usize..4,
            arb_number(),
            arb_number(),
            any::<bool>()
        )
            .prop_map(|(transaction_id, name, n, s, d, r)| Command::Play(Play {
                transaction_id,
                name,
                start: (n > 0).then_some(s),
                duration: (n > 1).then_some(d),
                reset: (n > 2).then_some(r),
            })),
        (tx.clone(), arb_number()).prop_map(|(transaction_id, stream_id)| Command::DeleteStream {
            transaction_id,
            stream_id
        }),
        tx.clone()
            .prop_map(|transaction_id| Command::CloseStream { transaction_id }),
        (tx.clone(), arb_text(), 0..5).prop_map(|(transaction_id, name, which)| match which {
            0 => Command::ReleaseStream {
                transaction_id,
                name
            },
            1 => Command::FcPublish {
                transaction_id,
                name
            },
            2 => Command::FcUnpublish {
                transaction_id,
                name
            },
            3 => Command::FcSubscribe {
                transaction_id,
                name
            },
            _ => Command::GetStreamLength {
                transaction_id,
                name
            },
        }),
        (tx.clone(), arb_args()).prop_map(|(transaction_id, arguments)| Command::OnBwDone {
            transaction_id,
            arguments
        }),
        tx.clone()
            .prop_map(|transaction_id| Command::CheckBw { transaction_id }),
        (tx.clone(), any::<bool>(), arb_number()).prop_map(|(transaction_id, pause, position)| {
            Command::Pause {
                transaction_id,
                pause,
                position,
            }
        }),
        (tx.clone(), arb_number()).prop_map(|(transaction_id, position)| Command::Seek {
            transaction_id,
            position
        }),
        (tx.clone(), any::<bool>()).prop_map(|(transaction_id, enable)| Command::ReceiveAudio {
            transaction_id,
            enable
        }),
        (tx.clone(), any::<bool>()).prop_map(|(transaction_id, enable)| Command::ReceiveVideo {
            transaction_id,
            enable
        }),
        // Unknown names, with and without transaction id.
        ("x[a-z]{0,8}", tx, arb_value(), arb_args()).prop_map(|(name, tx, object, arguments)| {
            Command::Other(GenericCommand {
                name,
                transaction_id: Some(tx),
                command_object: Some(object),
                arguments,
            })
        }),
        (
            "on[A-Z][a-z]{0,8}",
            proptest::collection::vec(arb_text().prop_map(Value::String), 0..3)
        )
            .prop_map(|(name, arguments)| Command::Other(GenericCommand {
                name,
                transaction_id: None,
                command_object: None,
                arguments,
            })),
    ]
}

fn arb_bytes() -> impl Strategy<Value = Bytes> {
    proptest::collection::vec(any::<u8>(), 0..300).prop_map(Bytes::from)
}

fn arb_message() -> impl Strategy<Value = Message> {
    prop_oneof![
        (1u32..=0x7FFF_FFFF).prop_map(Message::SetChunkSize),
        any::<u32>().prop_map(Message::Abort),
        any::<u32>().prop_map(Message::Acknowledgement),
        any::<u32>().prop_map(Message::WindowAckSize),
        (any::<u32>(), any::<u8>()).prop_map(|(size, b)| Message::SetPeerBandwidth {
            size,
            limit: BandwidthLimit::from_byte(b)
        }),
        (0u8..9, any::<u32>(), any::<u32>(), arb_bytes()).prop_map(|(kind, a, b, data)| {
            Message::UserControl(match kind {
                0 => UserControl::StreamBegin(a),
                1 => UserControl::StreamEof(a),
                2 => UserControl::StreamDry(a),
                3 => UserControl::SetBufferLength {
                    stream_id: a,
                    millis: b,
                },
                4 => UserControl::StreamIsRecorded(a),
                5 => UserControl::PingRequest(a),
                6 => UserControl::PingResponse(a),
                _ => UserControl::Unknown {
                    event_type: 100 + (b % 1000) as u16,
                    data,
                },
            })
        }),
        arb_bytes().prop_map(|p| Message::Audio(Audio::new(p))),
        arb_bytes().prop_map(|p| Message::Video(Video::new(p))),
        (any::<bool>(), proptest::collection::vec(arb_value(), 0..4))
            .prop_map(|(amf3, values)| Message::Data(DataMessage { amf3, values })),
        (any::<bool>(), arb_command())
            .prop_map(|(amf3, command)| Message::Command { amf3, command }),
        (any::<bool>(), arb_bytes())
            .prop_map(|(amf3, payload)| Message::SharedObject { amf3, payload }),
        (23u8..=255, arb_bytes())
            .prop_map(|(type_id, payload)| Message::Unknown { type_id, payload }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]
    #[test]
    fn every_message_round_trips(message in arb_message()) {
        let decoded = Message::decode(message.type_id(), message.encode_payload(), &Amf0Limits::default()).unwrap();
        prop_assert_eq!(decoded, message);
    }
}

/// Moves bytes from `from` into `to` until `from` has nothing to send.
fn pump(from: &mut RtmpConnection, to: &mut RtmpConnection, now: Instant) -> bool {
    let mut moved = false;
    while let Some(bytes) = from.poll_transmit() {
        to.handle_input(&bytes, now);
        moved = true;
    }
    moved
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    /// Client to server over the chunk stream at a random chunk size: the
    /// server sees exactly the messages, stream ids and timestamps sent.
    #[test]
    fn messages_cross_a_connection_unchanged(
        chunk_size in 1u32..5000,
        sent in proptest::collection::vec((arb_message(), 0u32..3, any::<u32>()), 1..20),
    ) {
        let now = Instant::now();
        let mut client = RtmpConnection::client(SeededRandom::new(1));
        let mut server = RtmpConnection::server(SeededRandom::new(2));
        client.send(0, 0, Message::SetChunkSize(chunk_size)).unwrap();
        let mut expected = vec![(0, 0, Message::SetChunkSize(chunk_size))];
        for (message, stream_id, timestamp) in &sent {
            // Abort and SetChunkSize would change the stream itself; covered elsewhere.
            if matches!(message, Message::SetChunkSize(_) | Message::Abort(_)) {
                continue;
            }
            client.send_outgoing(Outgoing::new(*stream_id, *timestamp, message.clone())).unwrap();
            expected.push((*stream_id, *timestamp, message.clone()));
        }
        let mut received = Vec::new();
        loop {
            let a = pump(&mut client, &mut server, now);
            while let Some(event) = server.poll_event() {
                if let RtmpEvent::Message(m) = event.unwrap() {
                    received.push((m.stream_id, m.timestamp, m.message));
                }
            }
            let b = pump(&mut server, &mut client, now);
            while let Some(event) = client.poll_event() {
                event.unwrap();
            }
            if !a && !b {
                break;
            }
        }
        prop_assert_eq!(received, expected);
    }
}
