//! [`RtmpConfig`]: how an [`RtmpConnection`](crate::RtmpConnection) behaves,
//! and which side it plays.

use crate::amf0::Amf0Limits;
use crate::chunk::DecoderConfig;
use crate::handshake::HandshakeConfig;

/// The default input high-water mark: 1 MiB.
pub const DEFAULT_INPUT_HIGH_WATER: usize = 1 << 20;

/// Which side of the TCP connection the machine plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Accepted the connection: waits for C0+C1, answers S0+S1+S2.
    Server,
    /// Opened the connection: sends C0+C1 at once, answers S1 with C2.
    Client,
}

/// How a connection behaves; [`Default`] suits servers and clients alike.
#[derive(Debug, Clone)]
pub struct RtmpConfig {
    /// Handshake options (epoch, digest handshake for clients ...).
    pub handshake: HandshakeConfig,
    /// Chunk stream limits and compatibility switches.
    pub decoder: DecoderConfig,
    /// Limits for AMF0 command and data bodies.
    pub amf0: Amf0Limits,
    /// Buffered input above which
    /// [`wants_read`](wirestate_core::Machine::wants_read) turns false while
    /// events are waiting to be polled ([`DEFAULT_INPUT_HIGH_WATER`]).
    pub input_high_water: usize,
}

impl Default for RtmpConfig {
    fn default() -> Self {
        RtmpConfig {
            handshake: HandshakeConfig::default(),
            decoder: DecoderConfig::default(),
            amf0: Amf0Limits::default(),
            input_high_water: DEFAULT_INPUT_HIGH_WATER,
        }
    }
}
