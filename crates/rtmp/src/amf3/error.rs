//! Why an AMF3 value could not be decoded.

/// A decoding failure. Offsets count bytes from the start of the input given
/// to [`decode_value`](super::decode_value).
///
/// None of these are recoverable inside the value: AMF3 has no resync point.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Amf3Error {
    /// The input ended inside a value.
    #[error("AMF3 input ends inside a value at byte {offset}: {needed} more byte(s) needed")]
    Truncated {
        /// Where the incomplete field starts.
        offset: usize,
        /// How many bytes were missing for that field (at least).
        needed: usize,
    },
    /// A marker byte AMF3 does not define (above 0x11).
    #[error("unknown AMF3 marker 0x{marker:02x} at byte {offset}")]
    UnknownMarker {
        /// The marker byte.
        marker: u8,
        /// Where it was.
        offset: usize,
    },
    /// A string (or XML) that is not valid UTF-8.
    #[error("AMF3 string at byte {offset} is not valid UTF-8")]
    InvalidUtf8 {
        /// Where the string's bytes start.
        offset: usize,
    },
    /// A reference to a table entry that does not exist yet.
    #[error("AMF3 {table} reference {index} at byte {offset} is out of range ({len} entries)")]
    BadReference {
        /// Which table: `"string"`, `"object"` or `"traits"`.
        table: &'static str,
        /// The index that was sent.
        index: u32,
        /// How many entries the table had.
        len: usize,
        /// Where the reference was.
        offset: usize,
    },
    /// A reference to an object that is still being decoded: the value is a
    /// cyclic graph, which this tree representation cannot hold.
    #[error("AMF3 object reference {index} at byte {offset} is cyclic")]
    CyclicReference {
        /// The object index.
        index: u32,
        /// Where the reference was.
        offset: usize,
    },
    /// An object whose traits say "externalizable": its body is written by
    /// the class itself in a format only that class knows, so it cannot be
    /// skipped or kept.
    #[error("AMF3 externalizable object of class {class_name:?} at byte {offset}")]
    Externalizable {
        /// The class alias.
        class_name: String,
        /// Where the object starts.
        offset: usize,
    },
    /// A count (elements, members, bytes) larger than the input that is left
    /// could possibly hold.
    #[error("AMF3 count {count} at byte {offset} exceeds the remaining input")]
    CountTooLarge {
        /// The announced count.
        count: u32,
        /// Where the count was.
        offset: usize,
    },
    /// Containers nested deeper than [`Amf3Limits::max_depth`](super::Amf3Limits::max_depth)
    /// (references count with the depth of what they copy).
    #[error("AMF3 containers nested deeper than {max_depth} at byte {offset}")]
    TooDeep {
        /// The configured limit.
        max_depth: usize,
        /// Where the container or reference that broke it starts.
        offset: usize,
    },
    /// More values, or more string and byte array bytes, than
    /// [`Amf3Limits`](super::Amf3Limits) allows (references count as copies).
    #[error(
        "AMF3 value too large at byte {offset}: more than {max_values} values or {max_bytes} bytes"
    )]
    TooLarge {
        /// The configured value limit.
        max_values: usize,
        /// The configured byte limit.
        max_bytes: usize,
        /// Where the value that broke it starts.
        offset: usize,
    },
}
