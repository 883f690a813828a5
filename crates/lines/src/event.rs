//! What the line machine hands out.

use bytes::Bytes;

use crate::error::InvalidUtf8;

/// A decoded unit of the stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LineEvent {
    /// A line (or, with [`Overflow::Split`](crate::Overflow::Split), a piece
    /// of one). `bytes` is a slice of the input buffer, not a copy.
    Line {
        /// The line, with or without its delimiter as configured. Pieces
        /// flagged `partial` never contain a delimiter.
        bytes: Bytes,
        /// `true` for a piece of an over-long line: more of it follows.
        partial: bool,
    },
    /// The `n` bytes asked for with [`expect_raw`](crate::LineConnection::expect_raw),
    /// as they arrived; a slice of the input buffer, not a copy.
    Raw(Bytes),
    /// An over-long line was skipped ([`Overflow::Discard`](crate::Overflow::Discard)).
    Oversize {
        /// How many bytes of it were dropped, not counting its delimiter
        /// (with [`Delimiter::lf`](crate::Delimiter::lf), a CR before the LF
        /// is counted, as it is for the limit).
        discarded: usize,
    },
}

impl LineEvent {
    /// A complete line (`partial: false`), for tests and examples.
    pub fn line(bytes: impl Into<Bytes>) -> Self {
        LineEvent::Line {
            bytes: bytes.into(),
            partial: false,
        }
    }

    /// The bytes of a line, piece or raw block; `None` for `Oversize`.
    pub fn bytes(&self) -> Option<&Bytes> {
        match self {
            LineEvent::Line { bytes, .. } | LineEvent::Raw(bytes) => Some(bytes),
            LineEvent::Oversize { .. } => None,
        }
    }

    /// The line or raw block checked as UTF-8 (with `simdutf8`); `None` for
    /// `Oversize`.
    ///
    /// # Errors
    ///
    /// [`InvalidUtf8`] (inside the `Some`) where the bytes stop being UTF-8.
    ///
    /// ```
    /// use wirestate_lines::LineEvent;
    /// assert_eq!(LineEvent::line("héllo").text(), Some(Ok("héllo")));
    /// assert!(LineEvent::line(&b"\xff"[..]).text().unwrap().is_err());
    /// ```
    pub fn text(&self) -> Option<Result<&str, InvalidUtf8>> {
        self.bytes().map(|bytes| text(bytes))
    }
}

/// `bytes` as UTF-8, or where it stops being valid.
///
/// # Errors
///
/// [`InvalidUtf8`] with the length of the valid prefix.
///
/// ```
/// use wirestate_lines::{text, InvalidUtf8};
/// assert_eq!(text(b"ok"), Ok("ok"));
/// assert_eq!(text(b"ok\xc3"), Err(InvalidUtf8 { valid_up_to: 2 }));
/// ```
pub fn text(bytes: &[u8]) -> Result<&str, InvalidUtf8> {
    simdutf8::compat::from_utf8(bytes).map_err(|e| InvalidUtf8 {
        valid_up_to: e.valid_up_to(),
    })
}
