//! Why an AMF0 body could not be decoded.

/// A decoding failure. Offsets count bytes from the start of the input given
/// to [`decode_value`](super::decode_value) or [`decode_all`](super::decode_all).
///
/// None of these are recoverable inside the body: AMF0 has no resync point.
/// The RTMP layer decides whether a bad command is fatal for the connection.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Amf0Error {
    /// The input ended inside a value.
    #[error("AMF0 input ends inside a value at byte {offset}: {needed} more byte(s) needed")]
    Truncated {
        /// Where the incomplete field starts.
        offset: usize,
        /// How many bytes were missing for that field.
        needed: usize,
    },
    /// A marker byte this format does not define (above 0x11).
    #[error("unknown AMF0 marker 0x{marker:02x} at byte {offset}")]
    UnknownMarker {
        /// The marker byte.
        marker: u8,
        /// Where it was.
        offset: usize,
    },
    /// A marker the specification reserves without a wire format (movie clip
    /// 0x04, record set 0x0E).
    #[error("reserved AMF0 marker 0x{marker:02x} at byte {offset}")]
    ReservedMarker {
        /// The marker byte.
        marker: u8,
        /// Where it was.
        offset: usize,
    },
    /// An object-end marker (0x09) where a value was expected.
    #[error("AMF0 object-end marker outside an object at byte {offset}")]
    UnexpectedObjectEnd {
        /// Where it was.
        offset: usize,
    },
    /// A string that is not valid UTF-8.
    #[error("AMF0 string at byte {offset} is not valid UTF-8")]
    InvalidUtf8 {
        /// Where the string's bytes start.
        offset: usize,
    },
    /// Containers nested deeper than [`Amf0Limits::max_depth`](super::Amf0Limits::max_depth).
    #[error("AMF0 containers nested deeper than {max_depth} at byte {offset}")]
    TooDeep {
        /// The configured limit.
        max_depth: usize,
        /// Where the container that broke it starts.
        offset: usize,
    },
    /// More values than [`Amf0Limits::max_values`](super::Amf0Limits::max_values)
    /// in one body.
    #[error("more than {max_values} AMF0 values in one body (at byte {offset})")]
    TooManyValues {
        /// The configured limit.
        max_values: usize,
        /// Where the value that broke it starts.
        offset: usize,
    },
    /// The AMF3 value after an AVM+ switch (0x11) could not be decoded.
    #[error("bad AMF3 value after the AVM+ switch at byte {offset}: {source}")]
    Amf3 {
        /// Where the 0x11 marker was.
        offset: usize,
        /// What was wrong; its offsets count from the byte after the marker.
        source: crate::amf3::Amf3Error,
    },
}
