//! Fuzzes a WebSocket client from its first byte: its request goes out,
//! the fuzzer plays the server (the response, deflate parameters it picks,
//! then frames), with time moving and the application sending.
//!
//! Input: an operation script (`wirestate_fuzz::script`). Options and
//! commands: `wirestate_fuzz::ws`; bit 7 offers the subprotocols `chat`
//! and `superchat`.
#![no_main]

use std::time::Instant;

use libfuzzer_sys::fuzz_target;
use wirestate_core::{Machine, SeededRandom};
use wirestate_fuzz::{bit, check, ws, Target};
use wirestate_websocket::{ClientRequest, DeflateConfig, WsConnection};

struct Client;

impl Target for Client {
    type M = WsConnection;

    fn make(&self, options: u8, _now: Instant) -> WsConnection {
        // The seed corpus answers this key (scripts/fuzz-corpus.py).
        let mut request =
            ClientRequest::new("localhost", "/chat").with_key("dGhlIHNhbXBsZSBub25jZQ==");
        if bit(options, 7) {
            request.protocols = vec!["chat".into(), "superchat".into()];
        }
        let config = ws::config(options, DeflateConfig::client());
        WsConnection::client(request, config, SeededRandom::new(u64::from(options)))
            .expect("a valid request")
    }

    fn command(&self, machine: &mut WsConnection, code: u8, arg: &[u8], now: Instant) {
        let _ = machine.handle_command(ws::command(code, arg), now);
    }

    fn max_held(&self, _options: u8) -> usize {
        ws::MAX_HELD
    }
}

fuzz_target!(|data: &[u8]| check(&Client, data));
