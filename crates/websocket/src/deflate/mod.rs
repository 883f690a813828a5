//! permessage-deflate (RFC 7692): settings, negotiation and the per-message
//! codec.
//!
//! Turn it on with [`WsConfig::deflate`](crate::WsConfig::deflate). A client then
//! offers it, a server accepts the first acceptable offer, and every data
//! message at least [`DeflateConfig::threshold`] bytes long is compressed
//! (RSV1 set on its first frame only). Control frames are never compressed.
//!
//! # Window bits and 8
//!
//! The window sizes are 9 to 15 bits. RFC 7692 also allows 8, but zlib
//! cannot produce a raw deflate stream with an 8-bit window (it silently
//! uses 9), so a promise to compress with 8 bits could not be kept: a
//! configured 8 is treated as 9, a server declines an offer that demands
//! `server_max_window_bits=8`, and a client fails a handshake whose answer
//! demands `client_max_window_bits=8`. Inflating a peer's 8-bit stream with
//! a 9-bit window is fine (a larger window reads a smaller one).
//!
//! # Memory per connection
//!
//! zlib's deflate state is about 260 KiB whatever the window (flate2 uses
//! zlib's default memory level 8 and offers no other); the inflate state is
//! about 47 KiB for a 12-bit window, more for larger ones. Both are created
//! only when the first compressed message goes out or comes in. Without
//! context takeover in a direction, that direction's state is dropped after
//! every message, so an idle connection holds nothing for it; with context
//! takeover it lives as long as the connection. Measured idle heap
//! (`tests/idle_heap.rs`): server defaults ([`DeflateConfig::server`]: own
//! context dropped, the client's 12-bit context kept) 47 KiB; takeover both
//! ways with 12-bit windows 306 KiB per side; no takeover either way 0.
//! Python `websockets` holds about 64 KiB with compression, so the server
//! defaults are below it; a server that wants its own context takeover pays
//! zlib's full deflate state.
//!
//! While a message is being compressed or inflated the same states exist,
//! plus the output: compressing builds the whole compressed message;
//! inflating grows the output in 32 KiB steps, never past
//! `max_message_size` (the limit is checked before each step's output is
//! kept, so a deflate bomb costs about one limit of work and memory).

mod codec;
mod negotiate;

pub use codec::DeflateTotals;
pub(crate) use codec::{Deflater, InflateLimit, Inflater};
pub(crate) use negotiate::NAME;
pub use negotiate::{check_deflate_answer, deflate_offer, negotiate_deflate};

/// Which permessage-deflate parameters to offer or accept. Used by both
/// roles; see each field for what it means on each side.
///
/// ```
/// use wirestate_websocket::{DeflateConfig, WsConfig};
/// // A client that asks the server for a small window and no takeover.
/// let config = WsConfig {
///     deflate: Some(DeflateConfig { server_max_window_bits: 10, server_no_context_takeover: true, ..DeflateConfig::client() }),
///     ..WsConfig::default()
/// };
/// assert!(config.deflate.is_some());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeflateConfig {
    /// The server compresses each message on its own (no shared history).
    /// Client: request it. Server: always answer it (it saves the server's
    /// compression state between messages); a client's request is honoured
    /// either way.
    pub server_no_context_takeover: bool,
    /// The client compresses each message on its own. Client: offer it.
    /// Server: require it in the answer (the server may then drop its
    /// inflate state between messages).
    pub client_no_context_takeover: bool,
    /// Largest window (9-15) for the server's compression. Client: below 15
    /// it is requested. Server: the most it will use (the client's offer can
    /// lower it).
    pub server_max_window_bits: u8,
    /// Largest window (9-15) for the client's compression. Client: below 15
    /// it is offered as a value (else offered bare, meaning "the server may
    /// choose"). Server: asked of clients that allow it.
    pub client_max_window_bits: u8,
    /// Messages shorter than this go out uncompressed (RSV1 clear), where
    /// deflate would save nothing.
    pub threshold: usize,
    /// zlib compression level, 0-9.
    pub level: u32,
}

impl DeflateConfig {
    /// Client defaults: offer `permessage-deflate; client_max_window_bits`
    /// and nothing restrictive (some servers decline restrictive offers).
    pub fn client() -> Self {
        DeflateConfig {
            server_no_context_takeover: false,
            client_no_context_takeover: false,
            server_max_window_bits: 15,
            client_max_window_bits: 15,
            threshold: 64,
            level: 6,
        }
    }

    /// Server defaults, chosen for memory: the client's window is asked down
    /// to 12 bits (4 KiB to inflate, with takeover kept), and the server
    /// compresses without context takeover, so its deflate state is freed
    /// after each message.
    pub fn server() -> Self {
        DeflateConfig {
            server_no_context_takeover: true,
            client_no_context_takeover: false,
            server_max_window_bits: 12,
            client_max_window_bits: 12,
            threshold: 64,
            level: 6,
        }
    }
}

impl Default for DeflateConfig {
    /// The client defaults ([`DeflateConfig::client`]).
    fn default() -> Self {
        DeflateConfig::client()
    }
}

/// The parameters both ends agreed on in the handshake.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeflateParams {
    /// The server resets its compression after every message.
    pub server_no_context_takeover: bool,
    /// The client resets its compression after every message.
    pub client_no_context_takeover: bool,
    /// The server's compression window, 8-15.
    pub server_max_window_bits: u8,
    /// The client's compression window, 8-15.
    pub client_max_window_bits: u8,
}

impl Default for DeflateParams {
    /// No restriction: context takeover both ways, 15-bit windows.
    fn default() -> Self {
        DeflateParams {
            server_no_context_takeover: false,
            client_no_context_takeover: false,
            server_max_window_bits: 15,
            client_max_window_bits: 15,
        }
    }
}

impl DeflateParams {
    /// The `Sec-WebSocket-Extensions` value describing these parameters (the
    /// server's answer).
    pub fn header_value(&self) -> String {
        let mut out = String::from("permessage-deflate");
        if self.server_no_context_takeover {
            out.push_str("; server_no_context_takeover");
        }
        if self.client_no_context_takeover {
            out.push_str("; client_no_context_takeover");
        }
        if self.server_max_window_bits < 15 {
            out.push_str(&format!(
                "; server_max_window_bits={}",
                self.server_max_window_bits
            ));
        }
        if self.client_max_window_bits < 15 {
            out.push_str(&format!(
                "; client_max_window_bits={}",
                self.client_max_window_bits
            ));
        }
        out
    }
}

/// Clamps a configured window size into what zlib can do (9-15).
pub(crate) fn usable_bits(bits: u8) -> u8 {
    bits.clamp(9, 15)
}
