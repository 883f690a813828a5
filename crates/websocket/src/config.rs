//! Limits and behaviour switches shared by both roles.

use std::time::Duration;

use wirestate_core::{DEFAULT_HANDSHAKE_TIMEOUT, DEFAULT_SEND_TIMEOUT};

use crate::deflate::DeflateConfig;

/// How data messages reach the application.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Delivery {
    /// Reassembled whole messages ([`WsEvent::Message`](crate::WsEvent::Message)),
    /// at most `max_message_size` bytes each.
    #[default]
    Whole,
    /// Every data frame as soon as it is complete
    /// ([`WsEvent::Fragment`](crate::WsEvent::Fragment)); only `max_frame_size`
    /// bounds memory.
    Streaming,
}

/// Keepalive pings: after `interval` without input, send a ping; if nothing
/// arrives within `timeout` after it, fail with
/// [`WsError::KeepaliveTimeout`](crate::WsError::KeepaliveTimeout).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Keepalive {
    /// Quiet time before a ping is sent.
    pub interval: Duration,
    /// How long to wait for any input after the ping.
    pub timeout: Duration,
}

/// Input buffered beyond this many bytes (in complete frames the
/// application has not pulled yet) turns `wants_read` off, unless the frame
/// in progress is larger: the default of [`WsConfig::input_high_water`].
pub const DEFAULT_INPUT_HIGH_WATER: usize = 64 << 10;

/// Settings of a [`WsConnection`](crate::WsConnection). Start from
/// `WsConfig::default()` and override fields.
///
/// Worst-case buffered input: the frame in progress (`max_frame_size` + 14
/// header bytes), the rest of the read that completed it (bytes past a large
/// frame are kept apart rather than growing its buffer), and in
/// [`Delivery::Whole`] the earlier fragments of one message (at most
/// `max_message_size`); during the handshake, `max_handshake_size` plus one
/// read. A frame's length is checked against `max_frame_size` and
/// `max_message_size` before anything is reserved for it; then its buffer is
/// reserved whole if the payload is at most `eager_reserve` (so it is never
/// copied to grow), else it starts at 128 KiB or twice the bytes that
/// arrived and grows with what arrives. So a peer that announces a frame and
/// goes quiet pins at most `max(eager_reserve, 128 KiB)` plus 14 header
/// bytes.
///
/// ```
/// use wirestate_websocket::{Delivery, WsConfig};
/// let config = WsConfig { max_message_size: 1 << 20, delivery: Delivery::Streaming, ..WsConfig::default() };
/// assert_eq!(config.max_frame_size, 16 << 20);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WsConfig {
    /// Largest accepted frame payload; larger announced lengths fail with
    /// close code 1009 before anything is buffered. Default 16 MiB.
    pub max_frame_size: usize,
    /// Accept frame lengths encoded in more bytes than needed (a 16-bit
    /// length under 126, a 64-bit one under 65,536). RFC 6455 §5.2 requires
    /// senders to use the minimal encoding, so by default such a frame
    /// fails the connection (close 1002): a peer that gets the framing this
    /// wrong is likely to get other rules wrong too, and one canonical
    /// encoding per frame keeps what two parsers accept identical. Set it
    /// for a known sloppy peer. Default `false`.
    pub accept_non_minimal_lengths: bool,
    /// Largest accepted (reassembled) message; checked against each frame's
    /// announced length. Default 64 MiB.
    pub max_message_size: usize,
    /// Largest accepted opening handshake (request or response head).
    /// Default 16 KiB.
    pub max_handshake_size: usize,
    /// Most header lines accepted in the handshake. Default 64.
    pub max_headers: usize,
    /// Outgoing messages longer than this are sent as several frames.
    /// Default 1 MiB.
    pub fragment_size: usize,
    /// A frame of at most this many payload bytes (and within the limits)
    /// gets its whole buffer reserved when its header arrives, so it is
    /// never copied to grow; larger frames start at 128 KiB and grow with
    /// the bytes that arrive. It is thus the most memory (beyond 128 KiB) an
    /// announced but unsent frame can pin. Default 1 MiB.
    pub eager_reserve: usize,
    /// Buffered input (complete frames not pulled yet, plus the rest of the
    /// last read) past which [`wants_read`](wirestate_core::Machine::wants_read)
    /// turns off, so a driver stops reading until the application catches
    /// up; a frame in progress larger than this may still be read whole.
    /// Default [`DEFAULT_INPUT_HIGH_WATER`] (64 KiB).
    pub input_high_water: usize,
    /// Whole messages or streamed frames. Default whole.
    pub delivery: Delivery,
    /// Answer pings automatically with a pong echoing the payload. Default on.
    pub auto_pong: bool,
    /// Optional keepalive pings. Default off. A peer that answers them
    /// (any input counts) is never cut by the idle timeout, however quiet
    /// it is otherwise.
    pub keepalive: Option<Keepalive>,
    /// Close the connection (code 1001) after this long without input.
    /// Only bytes from the peer count: to keep a peer that only reads,
    /// turn on [`keepalive`](Self::keepalive) with a shorter interval.
    /// Default off.
    pub idle_timeout: Option<Duration>,
    /// How long the opening handshake may take, counted from the
    /// connection's start ([`handle_connected`](wirestate_core::Machine::handle_connected),
    /// or the first input or write report), however the peer trickles it:
    /// also the most a [`server`](crate::WsConnection::server)'s
    /// application may take to [`accept`](crate::WsConnection::accept) or
    /// [`reject`](crate::WsConnection::reject). Then the connection fails
    /// with [`WsError::HandshakeTimeout`](crate::WsError::HandshakeTimeout);
    /// a server that has not answered yet sends `408 Request Timeout`.
    /// Connections made open ([`accepted_server`](crate::WsConnection::accepted_server),
    /// [`accepted_client`](crate::WsConnection::accepted_client)) have no
    /// handshake to time. `None`: no limit. Default
    /// [`DEFAULT_HANDSHAKE_TIMEOUT`] (10 s).
    pub handshake_timeout: Option<Duration>,
    /// How long bytes may wait to be sent while the peer takes none of
    /// them (as the driver reports through
    /// [`handle_written`](wirestate_core::Machine::handle_written)), in any
    /// state, also after the peer's EOF and while our close waits. Then
    /// the connection fails with
    /// [`WsError::SendStalled`](crate::WsError::SendStalled), without a
    /// close frame (the peer does not read). `None`: wait forever. Default
    /// [`DEFAULT_SEND_TIMEOUT`] (30 s).
    pub send_timeout: Option<Duration>,
    /// permessage-deflate (RFC 7692): a client offers it, a server accepts
    /// an acceptable offer. Default off; use [`DeflateConfig::client`] or
    /// [`DeflateConfig::server`] as a start. With it, `max_message_size`
    /// bounds the inflated size of a message (in [`Delivery::Streaming`],
    /// `max_frame_size` bounds each frame's inflated size).
    pub deflate: Option<DeflateConfig>,
}

impl Default for WsConfig {
    fn default() -> Self {
        WsConfig {
            max_frame_size: 16 << 20,
            accept_non_minimal_lengths: false,
            max_message_size: 64 << 20,
            max_handshake_size: 16 << 10,
            max_headers: 64,
            fragment_size: 1 << 20,
            eager_reserve: 1 << 20,
            input_high_water: DEFAULT_INPUT_HIGH_WATER,
            delivery: Delivery::Whole,
            auto_pong: true,
            keepalive: None,
            idle_timeout: None,
            handshake_timeout: Some(DEFAULT_HANDSHAKE_TIMEOUT),
            send_timeout: Some(DEFAULT_SEND_TIMEOUT),
            deflate: None,
        }
    }
}
