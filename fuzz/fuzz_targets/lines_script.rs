//! Fuzzes the line machine inside `IdleTimeout`, `RateLimit` (8 lines per
//! 10 s with option bit 6) and `MaxAge` (60 s with bit 7) under operation
//! scripts:
//! lines and raw blocks (memcached style, announced by the application)
//! from the peer, lines sent, time moving (idle and send deadlines), the
//! peer stalling, EOF.
//!
//! Input: an operation script (`wirestate_fuzz::script`). Options: bits
//! 0-1 the delimiter (LF, CRLF, `;`, `\r\n\r\n`), 2-3 the overflow policy,
//! 4 delimiters kept, 5 the EOF policy. Commands: 0 send a line, 1 send
//! raw bytes, 2 expect a raw block of the first two argument bytes' length.
#![no_main]

use std::time::{Duration, Instant};

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use wirestate_core::{IdleTimeout, Machine, MaxAge, RateLimit};
use wirestate_fuzz::{bit, check, number, Target};
use wirestate_lines::{Delimiter, EofPolicy, LineCommand, LineConfig, LineConnection, Overflow};

const MAX_LINE: usize = 512;
const MAX_RAW: usize = 4096;

struct Lines;

impl Target for Lines {
    type M = MaxAge<RateLimit<IdleTimeout<LineConnection>>>;

    fn make(&self, options: u8, now: Instant) -> Self::M {
        let delimiter = match options & 3 {
            0 => Delimiter::lf(),
            1 => Delimiter::crlf(),
            2 => Delimiter::byte(b';'),
            _ => Delimiter::sequence(b"\r\n\r\n").expect("a valid delimiter"),
        };
        let overflow = [
            Overflow::Fail,
            Overflow::Discard,
            Overflow::Split,
            Overflow::Fail,
        ][usize::from(options >> 2 & 3)];
        let eof = if bit(options, 5) {
            EofPolicy::Error
        } else {
            EofPolicy::Emit
        };
        let config = LineConfig::new(delimiter)
            .max_line(MAX_LINE)
            .expect("a valid limit")
            .overflow(overflow)
            .keep_delimiter(bit(options, 4))
            .eof(eof)
            .max_raw(MAX_RAW)
            .input_high_water(MAX_RAW);
        let idle = IdleTimeout::new(LineConnection::new(config), Duration::from_secs(30), now)
            .with_send_timeout(Some(Duration::from_secs(10)));
        let seconds = Duration::from_secs;
        let capacity = if bit(options, 6) { 8 } else { u64::MAX };
        let age = if bit(options, 7) {
            seconds(60)
        } else {
            seconds(1 << 40)
        };
        MaxAge::new(RateLimit::new(idle, capacity, seconds(10)), age)
    }

    fn command(&self, machine: &mut Self::M, code: u8, arg: &[u8], now: Instant) {
        let command = match code % 3 {
            0 => LineCommand::Send(Bytes::copy_from_slice(arg)),
            1 => LineCommand::SendRaw(Bytes::copy_from_slice(arg)),
            _ => LineCommand::ExpectRaw(usize::from(number(arg))),
        };
        let _ = machine.handle_command(command, now);
    }

    fn max_held(&self, _options: u8) -> usize {
        // A line being collected (with a delimiter's worth of lookahead),
        // or a raw block, or input up to the high-water mark while events
        // wait; plus one read.
        MAX_LINE.max(MAX_RAW) + 4 + wirestate_fuzz::run::READ_SIZE
    }
}

fuzz_target!(|data: &[u8]| check(&Lines, data));
