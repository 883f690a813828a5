//! Helpers shared by the table tests of the Erlang packet types
//! (`packet_*.rs`).
#![allow(dead_code)]

use bytes::Bytes;
use wirestate_core::testing::table::{self, Case};
use wirestate_length::{
    ErlangPacket, LengthConfig, LengthConnection, LengthError, LengthEvent, PacketProblem,
};

/// A table row's machine: the view and the limit (`{packet_size, N}`).
#[derive(Debug, Clone, Copy)]
pub struct Setup {
    /// The packet as Erlang returns it (`true`) or the payload alone.
    pub whole: bool,
    /// The maximum frame length.
    pub max: usize,
}

/// Erlang's view, no limit to speak of.
pub const WHOLE: Setup = Setup {
    whole: true,
    max: i32::MAX as usize,
};

/// The payload alone, no limit to speak of.
pub const PAYLOAD: Setup = Setup {
    whole: false,
    max: i32::MAX as usize,
};

/// Erlang's view with `{packet_size, max}`.
pub fn limit(max: usize) -> Setup {
    Setup { whole: true, max }
}

/// The frames, in order.
pub fn frames(frames: &[&[u8]]) -> Vec<LengthEvent> {
    frames
        .iter()
        .map(|frame| LengthEvent::Frame(Bytes::copy_from_slice(frame)))
        .collect()
}

/// Runs the table for `packet`: every case whole, byte by byte and at cuts.
pub fn run(packet: ErlangPacket, cases: Vec<Case<Setup, LengthEvent>>) {
    table::run(cases, |setup: &Setup| {
        LengthConnection::new(
            LengthConfig::erlang_packet(packet)
                .keep_header(setup.whole)
                .max_frame_length(setup.max),
        )
    });
}

/// The invalid-header error.
pub fn invalid(packet: ErlangPacket, problem: PacketProblem, offset: u64) -> LengthError {
    LengthError::InvalidPacket {
        packet,
        problem,
        offset,
    }
}

/// The `{packet_size, N}` error.
pub fn oversize(len: u64, max: usize, offset: u64) -> LengthError {
    LengthError::Oversize { len, max, offset }
}

/// The EOF-inside-a-packet error.
pub fn truncated(missing: u64) -> LengthError {
    LengthError::Truncated { missing }
}
