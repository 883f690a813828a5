//! Fuzzes the bare RTMP connection in the client role: its handshake
//! (digest or simple, as the options pick), then chunks from the fuzzed
//! server, with the application sending any message type and time moving.
//!
//! Input: an operation script (`wirestate_fuzz::script`); commands:
//! `wirestate_fuzz::rtmp::connection_command`. Options bits: 0 lenient
//! type-3 timestamps.
#![no_main]

use std::time::Instant;

use libfuzzer_sys::fuzz_target;
use wirestate_core::{Machine, SeededRandom};
use wirestate_fuzz::{check, rtmp, Target};
use wirestate_rtmp::{Role, RtmpConnection};

struct Client;

impl Target for Client {
    type M = RtmpConnection;

    fn make(&self, options: u8, _now: Instant) -> RtmpConnection {
        let config = rtmp::connection(options);
        RtmpConnection::new(Role::Client, config, SeededRandom::new(u64::from(options)))
    }

    fn command(&self, machine: &mut RtmpConnection, code: u8, arg: &[u8], now: Instant) {
        let _ = machine.handle_command(rtmp::connection_command(code, arg), now);
    }

    fn max_held(&self, _options: u8) -> usize {
        rtmp::MAX_HELD
    }
}

fuzz_target!(|data: &[u8]| check(&Client, data));
