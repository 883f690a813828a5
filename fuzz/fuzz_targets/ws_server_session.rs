//! Fuzzes a WebSocket server from its first byte: the opening handshake
//! (permessage-deflate negotiation included), accepted or rejected by hand
//! or automatically, then frames, with time moving (handshake, idle,
//! keepalive, send and close deadlines) and the application sending.
//!
//! Input: an operation script (`wirestate_fuzz::script`). Options and
//! commands: `wirestate_fuzz::ws`; bit 7 puts the connection under
//! `RateLimit` (5 messages per 10 s, close 1008) and `MaxAge` (60 s, close
//! 1001), as `serve websocket` does.
#![no_main]

use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use wirestate_core::{Machine, MaxAge, RateLimit};
use wirestate_fuzz::{bit, check, ws, Target};
use wirestate_websocket::{DeflateConfig, WsConnection};

struct Server;

impl Target for Server {
    type M = MaxAge<RateLimit<WsConnection>>;

    fn make(&self, options: u8, _now: Instant) -> Self::M {
        let config = ws::config(options, DeflateConfig::server());
        let connection = if bit(options, 5) {
            WsConnection::server_auto_accept(config)
        } else {
            WsConnection::server(config)
        };
        let seconds = Duration::from_secs;
        let capacity = if bit(options, 7) { 5 } else { u64::MAX };
        let age = if bit(options, 7) {
            seconds(60)
        } else {
            seconds(1 << 40)
        };
        MaxAge::new(RateLimit::new(connection, capacity, seconds(10)), age)
    }

    fn command(&self, machine: &mut Self::M, code: u8, arg: &[u8], now: Instant) {
        let _ = machine.handle_command(ws::command(code, arg), now);
    }

    fn max_held(&self, _options: u8) -> usize {
        ws::MAX_HELD
    }
}

fuzz_target!(|data: &[u8]| check(&Server, data));
