//! What a [`LengthConnection`](crate::LengthConnection) hands out.

use bytes::Bytes;

/// What a [`LengthConnection`](crate::LengthConnection) decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LengthEvent {
    /// One frame: the payload, or header and payload with
    /// [`keep_header(true)`](crate::LengthConfig::keep_header). It shares memory with the
    /// input buffer (no copy).
    Frame(Bytes),
    /// A frame over the limit was announced and is being discarded
    /// ([`OversizePolicy::Skip`](crate::OversizePolicy::Skip)); `len` is its
    /// adjusted length. Decoding goes on with the frame after it.
    Oversize {
        /// The announced length, after the length adjustment.
        len: u64,
    },
}
