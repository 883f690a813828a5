//! Errors: peer violations (fatal), local misuse (returned to the caller)
//! and configurations that cannot work.

/// Why decoding stopped, or why a request was refused.
///
/// Every variant but `Local` is the peer breaking a rule: fatal, returned
/// once from [`poll_event`](wirestate_core::Machine::poll_event), after which
/// the connection is poisoned. Local misuse is a [`LocalError`], returned
/// from the call that caused it (as `LineError::Local` from
/// [`handle_command`](wirestate_core::Machine::handle_command)); the
/// connection is unchanged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LineError {
    /// A line grew past the maximum length with [`Overflow::Fail`](crate::Overflow::Fail)
    /// (Erlang's `emsgsize`). `offset` is where the line starts in the stream.
    #[error("line at stream offset {offset} is longer than the {max}-byte limit")]
    LineTooLong {
        /// The configured maximum line length.
        max: usize,
        /// Stream offset of the first byte of the line.
        offset: u64,
    },
    /// The stream ended inside a line with [`EofPolicy::Error`](crate::EofPolicy::Error).
    #[error("stream ended inside a line ({len} bytes without a delimiter)")]
    PartialLineAtEof {
        /// Bytes of the unterminated line.
        len: usize,
    },
    /// The stream ended before a raw block was complete.
    #[error("stream ended inside a raw block: {received} of {expected} bytes arrived")]
    TruncatedRaw {
        /// The announced block length.
        expected: usize,
        /// The bytes that arrived.
        received: usize,
    },
    /// Local misuse, from [`handle_command`](wirestate_core::Machine::handle_command):
    /// nothing changed.
    #[error(transparent)]
    Local(#[from] LocalError),
}

/// Misuse by the local application, returned by the call that caused it
/// ([`send_line`](crate::LineConnection::send_line),
/// [`expect_raw`](crate::LineConnection::expect_raw), the encoder ...);
/// nothing changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LocalError {
    /// [`expect_raw`](crate::LineConnection::expect_raw) asked for more than the
    /// configured raw-block limit; nothing was reserved.
    #[error("raw block of {len} bytes is over the {max}-byte limit")]
    RawTooLarge {
        /// The requested length.
        len: usize,
        /// The configured limit.
        max: usize,
    },
    /// A raw block was requested while another one is still expected,
    /// or while an oversize line is being discarded.
    #[error("a raw block can only be requested in line mode, right after an event")]
    RawNotAllowed,
    /// A line to send contains the delimiter (or would merge with it),
    /// so the peer would read it as two lines.
    #[error("line to send contains the delimiter at byte {at}")]
    DelimiterInLine {
        /// Offset in the line where the delimiter match starts.
        at: usize,
    },
    /// The connection already failed or finished; nothing more is decoded.
    #[error("the line machine is closed")]
    Closed,
}

/// A configuration that cannot work, reported when it is built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// An empty or over-long delimiter set or sequence, or an encode delimiter
    /// that the decoder would not read as exactly one delimiter.
    #[error("bad delimiter: {0}")]
    BadDelimiter(&'static str),
    /// A maximum line length of zero.
    #[error("the maximum line length must be at least 1")]
    ZeroMaxLine,
}

/// A line or raw block that is not valid UTF-8 (from the opt-in text view).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("invalid UTF-8 after {valid_up_to} valid bytes")]
pub struct InvalidUtf8 {
    /// Length of the longest valid prefix.
    pub valid_up_to: usize,
}
