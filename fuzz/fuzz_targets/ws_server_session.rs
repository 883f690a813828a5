//! Fuzzes a WebSocket server from its first byte: the opening handshake
//! (permessage-deflate negotiation included), accepted or rejected by hand
//! or automatically, then frames, with time moving (handshake, idle,
//! keepalive, send and close deadlines) and the application sending.
//!
//! Input: an operation script (`wirestate_fuzz::script`). Options and
//! commands: `wirestate_fuzz::ws`.
#![no_main]

use std::time::Instant;

use libfuzzer_sys::fuzz_target;
use wirestate_core::Machine;
use wirestate_fuzz::{bit, check, ws, Target};
use wirestate_websocket::{DeflateConfig, WsConnection};

struct Server;

impl Target for Server {
    type M = WsConnection;

    fn make(&self, options: u8, _now: Instant) -> WsConnection {
        let config = ws::config(options, DeflateConfig::server());
        if bit(options, 5) {
            WsConnection::server_auto_accept(config)
        } else {
            WsConnection::server(config)
        }
    }

    fn command(&self, machine: &mut WsConnection, code: u8, arg: &[u8], now: Instant) {
        let _ = machine.handle_command(ws::command(code, arg), now);
    }

    fn max_held(&self, _options: u8) -> usize {
        ws::MAX_HELD
    }
}

fuzz_target!(|data: &[u8]| check(&Server, data));
