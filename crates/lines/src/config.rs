//! How a line machine decodes and encodes: delimiter, limits and policies.

use bytes::Bytes;

use crate::delimiter::Delimiter;
use crate::error::ConfigError;

/// What to do with a line longer than the maximum line length.
///
/// With a limit of 4 and `Delimiter::lf()`, the input `abcdefg\nxy\n` gives:
///
/// ```text
/// Fail:    Err(LineTooLong)                          machine poisoned
/// Discard: Oversize { discarded: 7 }, Line("xy")     nothing of "abcdefg" buffered
/// Split:   Line("abcd", partial), Line("efg"), Line("xy")
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Overflow {
    /// A fatal [`LineError::LineTooLong`](crate::LineError::LineTooLong), like
    /// Erlang's `packet_size` (`emsgsize`).
    #[default]
    Fail,
    /// Skip to the next delimiter without buffering the skipped bytes, then
    /// report one [`LineEvent::Oversize`](crate::LineEvent::Oversize) and carry
    /// on (tokio-util's `LinesCodec` behaviour, as an event instead of an error).
    Discard,
    /// Hand the line over in pieces of exactly the maximum length flagged
    /// `partial: true`; the last piece (at most the maximum, plus the
    /// delimiter if kept) is not partial. Erlang's `{packet,line}` with a
    /// small `buffer`. A piece never ends inside a delimiter.
    ///
    /// ```text
    /// max 4, delimiter kept:  "abcdefghij\n"  ->  "abcd"+  "efgh"+  "ij\n"
    /// ```
    Split,
}

/// What to do with an unterminated line when the peer closes the stream.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum EofPolicy {
    /// Deliver it as a last line (`partial: false`, no delimiter even when
    /// delimiters are kept), as tokio-util does. With [`Delimiter::lf`], a
    /// trailing CR is stripped (unless delimiters are kept), and a remainder
    /// that is only that CR is not a line.
    #[default]
    Emit,
    /// Drop it silently, as Erlang's `gen_tcp` does.
    Drop,
    /// Fail with [`LineError::PartialLineAtEof`](crate::LineError::PartialLineAtEof).
    Error,
}

/// The configuration of a line decoder, encoder or machine.
///
/// ```
/// use wirestate_lines::{Delimiter, EofPolicy, LineConfig, Overflow};
/// // Erlang's {packet, line} with {buffer, 64}: delimiter kept, long lines
/// // split into 64-byte pieces, partial line dropped at EOF.
/// let erlang = LineConfig::new(Delimiter::lf())
///     .keep_delimiter(true)
///     .max_line(64)?
///     .overflow(Overflow::Split)
///     .eof(EofPolicy::Drop);
/// assert_eq!(erlang.line_limit(), 64);
/// # Ok::<(), wirestate_lines::ConfigError>(())
/// ```
#[derive(Clone, Debug)]
pub struct LineConfig {
    pub(crate) delimiter: Delimiter,
    pub(crate) keep_delimiter: bool,
    pub(crate) max_line: usize,
    pub(crate) overflow: Overflow,
    pub(crate) eof: EofPolicy,
    pub(crate) max_raw: usize,
    pub(crate) input_high_water: usize,
}

/// Default maximum line length: 64 KiB.
pub const DEFAULT_MAX_LINE: usize = 64 * 1024;
/// Default raw-block limit: 1 MiB.
pub const DEFAULT_MAX_RAW: usize = 1024 * 1024;
/// Default input high-water mark: 64 KiB.
pub const DEFAULT_INPUT_HIGH_WATER: usize = 64 * 1024;

impl LineConfig {
    /// Lines ended by `delimiter`, delimiter stripped, at most
    /// [`DEFAULT_MAX_LINE`] bytes ([`Overflow::Fail`]), the last partial line
    /// emitted at EOF, raw blocks up to [`DEFAULT_MAX_RAW`].
    ///
    /// ```
    /// use wirestate_lines::{Delimiter, LineConfig, DEFAULT_MAX_LINE};
    /// let config = LineConfig::new(Delimiter::byte(b';'));
    /// assert_eq!(config.line_limit(), DEFAULT_MAX_LINE);
    /// assert_eq!(config.delimiter().encoded(), ";");
    /// ```
    pub fn new(delimiter: Delimiter) -> Self {
        LineConfig {
            delimiter,
            keep_delimiter: false,
            max_line: DEFAULT_MAX_LINE,
            overflow: Overflow::Fail,
            eof: EofPolicy::Emit,
            max_raw: DEFAULT_MAX_RAW,
            input_high_water: DEFAULT_INPUT_HIGH_WATER,
        }
    }

    /// Whether lines are delivered with their delimiter (Erlang) or without
    /// (tokio-util, the default).
    pub fn keep_delimiter(mut self, keep: bool) -> Self {
        self.keep_delimiter = keep;
        self
    }

    /// The maximum line length in bytes, not counting the delimiter (for
    /// [`Delimiter::lf`], a CR before the LF does count, as in tokio-util).
    ///
    /// # Errors
    ///
    /// [`ConfigError::ZeroMaxLine`] for 0.
    pub fn max_line(mut self, max: usize) -> Result<Self, ConfigError> {
        if max == 0 {
            return Err(ConfigError::ZeroMaxLine);
        }
        self.max_line = max;
        Ok(self)
    }

    /// What happens to lines over the maximum length.
    pub fn overflow(mut self, overflow: Overflow) -> Self {
        self.overflow = overflow;
        self
    }

    /// What happens to an unterminated line at EOF.
    pub fn eof(mut self, eof: EofPolicy) -> Self {
        self.eof = eof;
        self
    }

    /// The largest raw block [`expect_raw`](crate::LineConnection::expect_raw) accepts.
    /// A raw block is buffered whole, so this bounds memory too.
    pub fn max_raw(mut self, max: usize) -> Self {
        self.max_raw = max;
        self
    }

    /// Buffered input at which the machine stops asking for more
    /// ([`wants_read`](wirestate_core::Machine::wants_read) turns false until
    /// events are polled). Raised automatically to the maximum line length
    /// plus the delimiter, so a line at the limit always fits.
    pub fn input_high_water(mut self, bytes: usize) -> Self {
        self.input_high_water = bytes;
        self
    }

    /// The bytes the encoder writes after each line, for example `b"\r\n"`
    /// with [`Delimiter::lf`] to talk to a CRLF protocol while accepting bare
    /// LFs.
    ///
    /// # Errors
    ///
    /// [`ConfigError::BadDelimiter`] unless the decoder reads `encoded` as
    /// exactly one delimiter.
    pub fn encode_delimiter(mut self, encoded: impl Into<Bytes>) -> Result<Self, ConfigError> {
        self.delimiter.set_encoded(encoded.into())?;
        Ok(self)
    }

    /// The delimiter.
    pub fn delimiter(&self) -> &Delimiter {
        &self.delimiter
    }

    /// The maximum line length, set with [`max_line`](LineConfig::max_line).
    pub fn line_limit(&self) -> usize {
        self.max_line
    }

    /// The raw-block limit, set with [`max_raw`](LineConfig::max_raw).
    pub fn raw_limit(&self) -> usize {
        self.max_raw
    }

    /// The input high-water mark in force: the one set with
    /// [`input_high_water`](LineConfig::input_high_water), raised to the
    /// maximum line length plus the delimiter.
    pub fn input_high_water_limit(&self) -> usize {
        self.raise_input_high_water(self.input_high_water)
    }

    /// `bytes` raised to the maximum line length plus the delimiter.
    pub(crate) fn raise_input_high_water(&self, bytes: usize) -> usize {
        bytes.max(self.max_line.saturating_add(self.delimiter.counted_len()))
    }
}

impl Default for LineConfig {
    /// [`LineConfig::new`] with [`Delimiter::lf`].
    fn default() -> Self {
        LineConfig::new(Delimiter::lf())
    }
}
