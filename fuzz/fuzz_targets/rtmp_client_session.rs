//! Fuzzes an RTMP client session from its first byte: its C0+C1 and
//! connect go out, the fuzzer plays the server (S0+S1+S2, `_result`s,
//! onStatus, media), with time moving and the application publishing,
//! playing and sending.
//!
//! Input: an operation script (`wirestate_fuzz::script`); commands:
//! `wirestate_fuzz::rtmp::client_command`. Options bits: 0 lenient type-3
//! timestamps, 1 idle timeout.
#![no_main]

use std::time::Instant;

use libfuzzer_sys::fuzz_target;
use wirestate_core::{Machine, SeededRandom};
use wirestate_fuzz::{check, rtmp, Target};
use wirestate_rtmp::session::{ClientConfig, ClientSession};

struct Client;

impl Target for Client {
    type M = ClientSession;

    fn make(&self, options: u8, now: Instant) -> ClientSession {
        let config = ClientConfig {
            connection: rtmp::connection(options),
            idle_timeout: rtmp::idle(options),
            ..ClientConfig::new("live", "rtmp://127.0.0.1/live")
        };
        ClientSession::new(config, SeededRandom::new(u64::from(options)), now)
    }

    fn command(&self, machine: &mut ClientSession, code: u8, arg: &[u8], now: Instant) {
        let _ = machine.handle_command(rtmp::client_command(code, arg), now);
    }

    fn max_held(&self, _options: u8) -> usize {
        rtmp::MAX_HELD
    }
}

fuzz_target!(|data: &[u8]| check(&Client, data));
