//! Fuzzes an RTMP server session from its first byte: handshake, connect,
//! createStream, publish and play with the application answering (or the
//! automatic answers), media both ways, with time moving (handshake, idle,
//! ping and send deadlines) and the peer stalling.
//!
//! Input: an operation script (`wirestate_fuzz::script`); commands:
//! `wirestate_fuzz::rtmp::server_command`. Options bits: 0 lenient type-3
//! timestamps, 1 idle timeout, 2 automatic answers.
#![no_main]

use std::time::Instant;

use libfuzzer_sys::fuzz_target;
use wirestate_core::{Machine, SeededRandom};
use wirestate_fuzz::{bit, check, rtmp, Target};
use wirestate_rtmp::session::{ServerConfig, ServerSession};

struct Server;

impl Target for Server {
    type M = ServerSession;

    fn make(&self, options: u8, now: Instant) -> ServerSession {
        let config = ServerConfig {
            connection: rtmp::connection(options),
            idle_timeout: rtmp::idle(options),
            auto_accept: bit(options, 2),
            ..ServerConfig::default()
        };
        ServerSession::new(config, SeededRandom::new(u64::from(options)), now)
    }

    fn command(&self, machine: &mut ServerSession, code: u8, arg: &[u8], now: Instant) {
        let _ = machine.handle_command(rtmp::server_command(code, arg), now);
    }

    fn max_held(&self, _options: u8) -> usize {
        rtmp::MAX_HELD
    }
}

fuzz_target!(|data: &[u8]| check(&Server, data));
