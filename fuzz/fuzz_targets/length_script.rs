//! Fuzzes the length-prefix machine inside `IdleTimeout` under operation
//! scripts, with every Erlang packet type and the common fixed and varint
//! fields: frames from the peer, frames sent, time moving (idle and send
//! deadlines), the peer stalling, EOF.
//!
//! Input: an operation script (`wirestate_fuzz::script`). Options: bits
//! 0-3 the framing (u8, u16, u32, varint, then the Erlang packet types
//! asn1, cdr, sunrm, fcgi, tpkt; raw packets are the reads, so cuts
//! matter by definition), bit 4 oversize frames skipped.
//! Commands: send a frame of the argument bytes.
#![no_main]

use std::time::{Duration, Instant};

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use wirestate_core::{IdleTimeout, Machine};
use wirestate_fuzz::{bit, check, Target};
use wirestate_length::{
    ErlangPacket, LengthCommand, LengthConfig, LengthConnection, LengthField, OversizePolicy,
};

const MAX_FRAME: usize = 1024;

fn framing(options: u8) -> LengthConfig {
    let config = match options & 15 {
        0 => LengthConfig::new(LengthField::U8),
        1 => LengthConfig::new(LengthField::U16),
        2 => LengthConfig::new(LengthField::U32),
        3 => LengthConfig::new(LengthField::Varint),
        n => {
            // Not raw: its packets are the reads, so they depend on the cuts
            // by definition.
            let packets = &ErlangPacket::ALL[..5];
            let packet = packets[usize::from(n - 4) % packets.len()];
            LengthConfig::erlang_packet(packet)
        }
    };
    let oversize = if bit(options, 4) {
        OversizePolicy::Skip
    } else {
        OversizePolicy::Fail
    };
    config.oversize(oversize).max_frame_length(MAX_FRAME)
}

struct Length;

impl Target for Length {
    type M = IdleTimeout<LengthConnection>;

    fn make(&self, options: u8, now: Instant) -> Self::M {
        let machine = LengthConnection::new(framing(options));
        IdleTimeout::new(machine, Duration::from_secs(30), now)
            .with_send_timeout(Some(Duration::from_secs(10)))
    }

    fn command(&self, machine: &mut Self::M, _code: u8, arg: &[u8], now: Instant) {
        let frame = LengthCommand::Send(Bytes::copy_from_slice(arg));
        let _ = machine.handle_command(frame, now);
    }

    fn max_held(&self, _options: u8) -> usize {
        // One frame and its header (the longest header: asn1's 1 + 1 + 126
        // length bytes at most; fcgi's padding up to 255), plus one read.
        MAX_FRAME + 512 + wirestate_fuzz::run::READ_SIZE
    }
}

fuzz_target!(|data: &[u8]| check(&Length, data));
