//! Differential properties against tungstenite: what tungstenite's client
//! sends, our server decodes to the same messages; what our client sends,
//! tungstenite's server reads back unchanged. Random messages, fragment sizes
//! and read cuts.

use std::io::{Cursor, Read, Write};
use std::time::Instant;

use proptest::prelude::*;
use tungstenite::protocol::frame::coding::CloseCode;
use tungstenite::protocol::{CloseFrame as TCloseFrame, Role as TRole, WebSocket};
use tungstenite::Message as TMessage;
use wirestate_core::testing::{arb_cuts, feed_cut};
use wirestate_core::{Machine, SeededRandom};
use wirestate_websocket::{Message, WsCommand, WsConfig, WsConnection, WsEvent};

/// A byte pipe: reads from `input`, writes to `output`.
#[derive(Default)]
struct Pipe {
    input: Cursor<Vec<u8>>,
    output: Vec<u8>,
}

impl Read for Pipe {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.input.read(buf)
    }
}

impl Write for Pipe {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.output.write(buf)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Msg {
    Text(String),
    Binary(Vec<u8>),
    Ping(Vec<u8>),
}

fn arb_msg() -> impl Strategy<Value = Msg> {
    prop_oneof![
        any::<String>().prop_map(Msg::Text),
        proptest::collection::vec(any::<u8>(), 0..70_000).prop_map(Msg::Binary),
        proptest::collection::vec(any::<u8>(), 0..=125).prop_map(Msg::Ping),
    ]
}

fn from_ours(event: WsEvent) -> Option<Msg> {
    match event {
        WsEvent::Message(Message::Text(t)) => Some(Msg::Text(t.to_string())),
        WsEvent::Message(Message::Binary(b)) => Some(Msg::Binary(b.to_vec())),
        WsEvent::Ping(p) => Some(Msg::Ping(p.to_vec())),
        _ => None,
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    #[test]
    fn our_server_decodes_what_tungstenite_sends(
        msgs in proptest::collection::vec(arb_msg(), 0..8),
        cuts in arb_cuts(300_000),
    ) {
        let mut peer = WebSocket::from_raw_socket(Pipe::default(), TRole::Client, None);
        for m in &msgs {
            let message = match m.clone() {
                Msg::Text(t) => TMessage::text(t),
                Msg::Binary(b) => TMessage::binary(b),
                Msg::Ping(p) => TMessage::Ping(p.into()),
            };
            peer.send(message).unwrap();
        }
        peer.close(Some(TCloseFrame { code: CloseCode::from(4321), reason: "fin ✓".into() })).unwrap();
        peer.flush().unwrap();
        let wire = std::mem::take(&mut peer.get_mut().output);

        let mut ours = WsConnection::accepted_server(WsConfig::default(), None);
        let t = feed_cut(&mut ours, &wire, &cuts, true, Instant::now());
        prop_assert_eq!(t.error, None);
        let close = t.events.iter().find_map(|e| match e {
            WsEvent::Close(Some(c)) => Some((c.code, c.reason.to_string())),
            _ => None,
        });
        prop_assert_eq!(close, Some((4321, "fin ✓".to_string())));
        let got: Vec<Msg> = t.events.into_iter().filter_map(from_ours).collect();
        prop_assert_eq!(got, msgs);
    }

    #[test]
    fn tungstenite_reads_what_our_client_sends(
        msgs in proptest::collection::vec(arb_msg(), 0..8),
        fragment_size in 1usize..100_000,
    ) {
        let config = WsConfig { fragment_size, ..WsConfig::default() };
        let mut ours = WsConnection::accepted_client(config, None, SeededRandom::new(5));
        for m in &msgs {
            let cmd = match m.clone() {
                Msg::Text(t) => WsCommand::Text(t.into()),
                Msg::Binary(b) => WsCommand::Binary(b.into()),
                Msg::Ping(p) => WsCommand::Ping(p.into()),
            };
            ours.handle_command(cmd, Instant::now()).unwrap();
        }
        ours.close(4321, "fin ✓").unwrap();
        let mut wire = Vec::new();
        while let Some(piece) = ours.poll_transmit() {
            wire.extend_from_slice(&piece);
        }

        let pipe = Pipe { input: Cursor::new(wire), output: Vec::new() };
        let mut peer = WebSocket::from_raw_socket(pipe, TRole::Server, None);
        let mut got = Vec::new();
        loop {
            match peer.read().expect("tungstenite accepts our frames") {
                TMessage::Text(t) => got.push(Msg::Text(t.to_string())),
                TMessage::Binary(b) => got.push(Msg::Binary(b.to_vec())),
                TMessage::Ping(p) => got.push(Msg::Ping(p.to_vec())),
                TMessage::Close(Some(c)) => {
                    prop_assert_eq!((u16::from(c.code), c.reason.as_str()), (4321, "fin ✓"));
                    break;
                }
                other => prop_assert!(false, "unexpected {:?}", other),
            }
        }
        prop_assert_eq!(got, msgs);
    }
}
