//! [`RtmpConfig`]: how an [`RtmpConnection`](crate::RtmpConnection) behaves,
//! and which side it plays.

use std::time::Duration;

use wirestate_core::{DEFAULT_HANDSHAKE_TIMEOUT, DEFAULT_SEND_TIMEOUT};

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
    /// The handshake (C0+C1 to C2) must complete this long after
    /// [`handle_connected`](wirestate_core::Machine::handle_connected) (or
    /// the first input), however the peer trickles it; then the connection
    /// fails with [`RtmpError::HandshakeTimeout`](crate::RtmpError::HandshakeTimeout)
    /// (`None`: never). Default [`DEFAULT_HANDSHAKE_TIMEOUT`] (10 s).
    ///
    /// The sessions do not use this field: their own
    /// [`ServerConfig::handshake_timeout`](crate::session::ServerConfig::handshake_timeout)
    /// covers the handshake and `connect` together.
    pub handshake_timeout: Option<Duration>,
    /// Queued bytes may wait this long for the peer to take any of them
    /// (as reported through
    /// [`handle_written`](wirestate_core::Machine::handle_written)); then
    /// the connection fails with
    /// [`RtmpError::SendStalled`](crate::RtmpError::SendStalled) (`None`:
    /// never). Default [`DEFAULT_SEND_TIMEOUT`] (30 s).
    ///
    /// The sessions do not use this field either: see
    /// [`ServerConfig::send_timeout`](crate::session::ServerConfig::send_timeout).
    pub send_timeout: Option<Duration>,
}

impl Default for RtmpConfig {
    fn default() -> Self {
        RtmpConfig {
            handshake: HandshakeConfig::default(),
            decoder: DecoderConfig::default(),
            amf0: Amf0Limits::default(),
            input_high_water: DEFAULT_INPUT_HIGH_WATER,
            handshake_timeout: Some(DEFAULT_HANDSHAKE_TIMEOUT),
            send_timeout: Some(DEFAULT_SEND_TIMEOUT),
        }
    }
}
