//! Shared by the fuzz targets: operation scripts ([`script`]) and the
//! runner that plays them against a machine and checks its invariants
//! ([`run`]).

pub mod pair;
pub mod rtmp;
pub mod run;
pub mod script;
pub mod ws;

pub use pair::Pair;
pub use run::{check, run, Target, Transcript};
pub use script::{Op, Script};

/// Reads bit `n` of a target's options byte.
pub fn bit(options: u8, n: u8) -> bool {
    options >> n & 1 == 1
}

/// A command argument as text (lossy: invalid UTF-8 becomes U+FFFD).
pub fn text(arg: &[u8]) -> String {
    String::from_utf8_lossy(arg).into_owned()
}

/// The first two argument bytes as a big-endian number (0 when missing).
pub fn number(arg: &[u8]) -> u16 {
    u16::from_be_bytes([
        arg.first().copied().unwrap_or(0),
        arg.get(1).copied().unwrap_or(0),
    ])
}
