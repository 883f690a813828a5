//! Round trips: whatever one role sends, the other role receives unchanged,
//! for every message type, any fragment size, any delivery mode, and input
//! cut anywhere (proptest).

use std::time::Instant;

use proptest::prelude::*;
use wirestate_core::testing::{arb_cuts, feed_cut};
use wirestate_core::SeededRandom;
use wirestate_websocket::{
    CloseFrame, DataKind, Delivery, Fragment, Message, Role, Utf8Bytes, WsCommand, WsConfig,
    WsConnection, WsEvent,
};

#[derive(Debug, Clone)]
enum Sent {
    Text(String),
    Binary(Vec<u8>),
    Ping(Vec<u8>),
    Pong(Vec<u8>),
}

fn arb_sent() -> impl Strategy<Value = Sent> {
    prop_oneof![
        any::<String>().prop_map(Sent::Text),
        proptest::collection::vec(any::<u8>(), 0..3000).prop_map(Sent::Binary),
        proptest::collection::vec(any::<u8>(), 0..=125).prop_map(Sent::Ping),
        proptest::collection::vec(any::<u8>(), 0..=125).prop_map(Sent::Pong),
        // Large frames take another path (a buffer of their own, bytes past
        // them kept apart and unmasked on arrival).
        (4_000usize..70_000, any::<u8>()).prop_map(|(len, seed)| {
            Sent::Binary(
                (0..len)
                    .map(|i| (i as u8).wrapping_mul(31) ^ seed)
                    .collect(),
            )
        }),
        (400usize..6_000).prop_map(|n| Sent::Text("ünï 🎉 ".repeat(n))),
    ]
}

fn endpoint(role: Role, config: WsConfig) -> WsConnection {
    match role {
        Role::Server => WsConnection::accepted_server(config, None),
        Role::Client => WsConnection::accepted_client(config, None, SeededRandom::new(11)),
    }
}

/// Reassembles streamed fragments so both delivery modes compare alike.
fn messages(events: Vec<WsEvent>) -> Vec<WsEvent> {
    let mut out = Vec::new();
    let mut partial: Option<(DataKind, Vec<u8>)> = None;
    for event in events {
        match event {
            WsEvent::Fragment(Fragment { kind, payload, fin }) => {
                let (_, buf) = partial.get_or_insert((kind, Vec::new()));
                buf.extend_from_slice(&payload);
                if fin {
                    let (kind, buf) = partial.take().unwrap();
                    out.push(WsEvent::Message(match kind {
                        DataKind::Text => Message::Text(String::from_utf8(buf).unwrap().into()),
                        DataKind::Binary => Message::Binary(buf.into()),
                    }));
                }
            }
            other => out.push(other),
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn what_one_side_sends_the_other_receives(
        sent in proptest::collection::vec(arb_sent(), 0..12),
        fragment_size in prop_oneof![1usize..2000, 2000usize..100_000],
        streaming in any::<bool>(),
        from_client in any::<bool>(),
        close_code in prop_oneof![Just(1000u16), 3000u16..5000],
        cuts in arb_cuts(400_000),
    ) {
        let (sender_role, receiver_role) = if from_client {
            (Role::Client, Role::Server)
        } else {
            (Role::Server, Role::Client)
        };
        let mut sender = endpoint(sender_role, WsConfig { fragment_size, ..WsConfig::default() });
        let mut expected = Vec::new();
        for item in &sent {
            let (cmd, event) = match item.clone() {
                Sent::Text(t) => (
                    WsCommand::Text(t.clone().into()),
                    WsEvent::Message(Message::Text(t.into())),
                ),
                Sent::Binary(b) => (
                    WsCommand::Binary(b.clone().into()),
                    WsEvent::Message(Message::Binary(b.into())),
                ),
                Sent::Ping(p) => (WsCommand::Ping(p.clone().into()), WsEvent::Ping(p.into())),
                Sent::Pong(p) => (WsCommand::Pong(p.clone().into()), WsEvent::Pong(p.into())),
            };
            wirestate_core::Machine::handle_command(&mut sender, cmd, Instant::now()).unwrap();
            expected.push(event);
        }
        sender.close(close_code, "done ✓").unwrap();
        expected.push(WsEvent::Close(Some(CloseFrame { code: close_code, reason: Utf8Bytes::from("done ✓") })));
        let mut wire = Vec::new();
        while let Some(piece) = wirestate_core::Machine::poll_transmit(&mut sender) {
            wire.extend_from_slice(&piece);
        }

        let delivery = if streaming { Delivery::Streaming } else { Delivery::Whole };
        let mut receiver = endpoint(receiver_role, WsConfig { delivery, ..WsConfig::default() });
        let t = feed_cut(&mut receiver, &wire, &cuts, true, Instant::now());
        prop_assert_eq!(t.error, None);
        prop_assert!(t.closed);
        prop_assert_eq!(messages(t.events), expected);
        // The receiver answered every ping and echoed the close.
        let pings = sent.iter().filter(|s| matches!(s, Sent::Ping(_))).count();
        prop_assert!(t.transmitted.len() >= 2 * (pings + 1));
    }
}

#[test]
fn send_of_a_message_is_send_text_or_send_binary() {
    use wirestate_core::Machine;
    let drain = |conn: &mut WsConnection| {
        let mut wire = Vec::new();
        while let Some(bytes) = conn.poll_transmit() {
            wire.extend_from_slice(&bytes);
        }
        wire
    };
    for role in [Role::Server, Role::Client] {
        let (mut by_send, mut by_kind) = (
            endpoint(role, WsConfig::default()),
            endpoint(role, WsConfig::default()),
        );
        by_send.send(Message::Text("echo".into())).unwrap();
        by_send.send(Message::Binary(vec![1, 2, 3].into())).unwrap();
        by_kind.send_text("echo").unwrap();
        by_kind.send_binary(vec![1, 2, 3]).unwrap();
        let wire = drain(&mut by_send);
        assert!(!wire.is_empty());
        assert_eq!(wire, drain(&mut by_kind), "{role:?}");
    }
    // Misuse is refused the same way.
    let mut closed = endpoint(Role::Server, WsConfig::default());
    closed.close(1000, "").unwrap();
    assert_eq!(
        closed.send(Message::Binary(vec![1].into())),
        closed.send_binary(vec![1])
    );
}
