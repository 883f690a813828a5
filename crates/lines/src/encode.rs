//! The line encoder: a line, then the delimiter, as two pieces.

use bytes::Bytes;

use crate::delimiter::Delimiter;
use crate::error::LocalError;

/// Checks lines and frames them with the configured delimiter.
///
/// The line is never copied: [`encode`](LineEncoder::encode) returns it and
/// the delimiter as two `Bytes`, ready for a vectored write.
///
/// ```
/// use bytes::Bytes;
/// use wirestate_lines::{Delimiter, LineEncoder, LocalError};
/// let encoder = LineEncoder::new(Delimiter::crlf());
/// let (line, end) = encoder.encode(Bytes::from("get k1"))?;
/// assert_eq!((&line[..], &end[..]), (&b"get k1"[..], &b"\r\n"[..]));
/// assert_eq!(encoder.encode(Bytes::from("a\r\nb")), Err(LocalError::DelimiterInLine { at: 1 }));
/// # Ok::<(), LocalError>(())
/// ```
#[derive(Clone, Debug)]
pub struct LineEncoder {
    delimiter: Delimiter,
}

impl LineEncoder {
    /// An encoder that ends lines with `delimiter.encoded()`.
    pub fn new(delimiter: Delimiter) -> Self {
        LineEncoder { delimiter }
    }

    /// The line and the delimiter to send after it.
    ///
    /// # Errors
    ///
    /// [`LocalError::DelimiterInLine`] if the peer would not read exactly this
    /// line back: the line contains a delimiter, or its end would merge with
    /// the delimiter (a trailing CR before `\n` with [`Delimiter::lf`], the
    /// `a` of `a` + `ab` with the sequence `aab`...).
    pub fn encode(&self, line: Bytes) -> Result<(Bytes, Bytes), LocalError> {
        self.check(&line)?;
        Ok((line, self.delimiter.encoded().clone()))
    }

    /// Checks that `line` followed by the delimiter decodes as exactly `line`.
    ///
    /// # Errors
    ///
    /// As [`encode`](LineEncoder::encode).
    pub fn check(&self, line: &[u8]) -> Result<(), LocalError> {
        if let Some(found) = self.delimiter.find(line, 0) {
            return Err(LocalError::DelimiterInLine { at: found.content });
        }
        // Only the last few bytes of the line can merge with the delimiter.
        let encoded = self.delimiter.encoded();
        let tail_len = line.len().min(encoded.len());
        let mut joint = Vec::with_capacity(tail_len + encoded.len());
        joint.extend_from_slice(&line[line.len() - tail_len..]);
        joint.extend_from_slice(encoded);
        match self.delimiter.find(&joint, 0) {
            Some(found) if found.content == tail_len => Ok(()),
            Some(found) => Err(LocalError::DelimiterInLine {
                at: line.len() - tail_len + found.content,
            }),
            // Unreachable for a valid delimiter: `encoded` itself matches.
            None => Err(LocalError::DelimiterInLine { at: line.len() }),
        }
    }
}
