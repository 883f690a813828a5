//! What is wrong with a meta command or answer line.

use bytes::Bytes;

use super::MetaReply;

/// A meta line that breaks the protocol's rules or the limits in
/// [`memcached`](crate::memcached) ([`MAX_KEY_LEN`](super::MAX_KEY_LEN),
/// [`MAX_FLAGS`](super::MAX_FLAGS), ...). Parsing and encoding report the
/// same errors; nothing is allocated for an over-limit line.
///
/// A server answers a bad command with [`client_error`](MetaError::client_error)
/// and goes on with the next line: memcached keeps the connection. If the
/// line was an `ms` whose data length was readable,
/// [`data_len`](super::data_len) still announces the block, which memcached
/// reads and drops; with an unreadable length there is no block, and the
/// bytes that follow are read as the next command.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MetaError {
    /// The command has no key.
    #[error("meta command without a key")]
    MissingKey,
    /// The key is longer than [`MAX_KEY_LEN`](super::MAX_KEY_LEN) (or, with
    /// the `b` flag, than [`MAX_BASE64_KEY_LEN`](super::MAX_BASE64_KEY_LEN)).
    #[error("key of {len} bytes is over the limit")]
    KeyTooLong {
        /// The key's length on the wire.
        len: usize,
    },
    /// The key holds a control character or a space (a key to encode), or
    /// is empty.
    #[error("key holds a control character, a space, or nothing")]
    BadKey,
    /// The `<datalen>` of `ms` or the `<size>` of `VA` is missing, not a
    /// decimal number, or over [`MAX_DATA_LEN`](super::MAX_DATA_LEN).
    #[error("missing or invalid data length")]
    BadDataLength,
    /// A flag that does not start with an ASCII letter, or (to encode) a
    /// token with a space or a control character.
    #[error("invalid flag {flag:?}")]
    InvalidFlag {
        /// The flag's first byte.
        flag: char,
    },
    /// A command names the same flag twice (memcached refuses it).
    #[error("duplicate flag {flag:?}")]
    DuplicateFlag {
        /// The flag.
        flag: char,
    },
    /// The opaque (`O`) token is longer than
    /// [`MAX_OPAQUE_LEN`](super::MAX_OPAQUE_LEN).
    #[error("opaque token of {len} bytes is over the limit")]
    OpaqueTooLong {
        /// The token's length.
        len: usize,
    },
    /// More than [`MAX_FLAGS`](super::MAX_FLAGS) flags.
    #[error("more flags than the limit")]
    TooManyFlags,
    /// An error message to encode holds `\r` or `\n`.
    #[error("error message holds a line break")]
    BadMessage,
}

impl MetaError {
    /// memcached's wording for this error in a `CLIENT_ERROR` answer.
    ///
    /// ```
    /// use wirestate_lines::memcached::MetaError;
    /// assert_eq!(MetaError::BadDataLength.client_error_message(), "bad data chunk");
    /// ```
    pub fn client_error_message(&self) -> &'static str {
        match self {
            MetaError::MissingKey
            | MetaError::KeyTooLong { .. }
            | MetaError::BadKey
            | MetaError::BadMessage => "bad command line format",
            MetaError::BadDataLength => "bad data chunk",
            MetaError::InvalidFlag { .. } => "invalid flag",
            MetaError::DuplicateFlag { .. } => "duplicate flag",
            MetaError::OpaqueTooLong { .. } => "opaque token too long",
            MetaError::TooManyFlags => "options flags are too long",
        }
    }

    /// The answer a server sends for this error:
    /// `CLIENT_ERROR <message>`; encode it with [`MetaReply::to_line`].
    ///
    /// ```
    /// use wirestate_lines::memcached::{MetaCommand, MetaError};
    ///
    /// let error = MetaCommand::parse(&"ms k abc".into()).unwrap_err();
    /// assert_eq!(error, MetaError::BadDataLength);
    /// assert_eq!(error.client_error().to_line()?, "CLIENT_ERROR bad data chunk");
    /// # Ok::<(), MetaError>(())
    /// ```
    pub fn client_error(&self) -> MetaReply {
        MetaReply::ClientError(Bytes::from_static(self.client_error_message().as_bytes()))
    }
}
