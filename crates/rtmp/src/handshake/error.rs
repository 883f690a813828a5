//! Why a handshake failed.

/// A fatal handshake failure. Once returned, every later
/// [`advance`](super::Handshake::advance) returns it again.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HandshakeError {
    /// The peer's C0/S0 asked for a version other than 3. Versions 6, 8 and
    /// 9 are encrypted RTMPE, which this crate does not speak; anything else
    /// is not RTMP at all (an HTTP request starts with `G` = 71, say).
    #[error("unsupported RTMP version {0} (6, 8 and 9 are encrypted RTMPE; only 3 is supported)")]
    UnsupportedVersion(u8),
}
