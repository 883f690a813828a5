//! `tokio_util::codec` adapters (feature `tokio-util`), for existing `Framed` code.

use std::ops::ControlFlow;

use bytes::{Bytes, BytesMut};
use tokio_util::codec::{Decoder, Encoder};

use crate::config::LineConfig;
use crate::decode::LineDecoder;
use crate::encode::LineEncoder;
use crate::error::{LineError, LocalError};
use crate::event::LineEvent;

/// Errors of [`LineCodec`]: a line error or an IO error of the transport.
#[derive(Debug, thiserror::Error)]
pub enum LineCodecError {
    /// The decoder or encoder refused the data.
    #[error(transparent)]
    Line(#[from] LineError),
    /// The underlying transport failed.
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

impl From<LocalError> for LineCodecError {
    fn from(error: LocalError) -> Self {
        LineCodecError::Line(LineError::Local(error))
    }
}

/// The line decoder and encoder as a `tokio_util::codec` codec.
///
/// Decodes [`LineEvent`]s (with `Framed`, call [`LineCodec::expect_raw`]
/// through `framed.codec_mut()`); encodes a `Bytes` line plus the delimiter
/// (copied into the write buffer, as `Encoder` requires).
///
/// ```
/// use bytes::BytesMut;
/// use tokio_util::codec::{Decoder, Encoder};
/// use wirestate_lines::{LineCodec, LineConfig, LineEvent};
///
/// let mut codec = LineCodec::new(LineConfig::default());
/// let mut buf = BytesMut::from(&b"one\r\ntwo"[..]);
/// assert_eq!(codec.decode(&mut buf)?, Some(LineEvent::line("one")));
/// assert_eq!(codec.decode(&mut buf)?, None);
/// assert_eq!(codec.decode_eof(&mut buf)?, Some(LineEvent::line("two")));
///
/// let mut out = BytesMut::new();
/// codec.encode("three".into(), &mut out)?;
/// assert_eq!(&out[..], b"three\n");
/// # Ok::<(), wirestate_lines::LineCodecError>(())
/// ```
#[derive(Clone, Debug)]
pub struct LineCodec {
    decoder: LineDecoder,
    encoder: LineEncoder,
}

impl LineCodec {
    /// A codec with this configuration.
    pub fn new(config: LineConfig) -> Self {
        LineCodec {
            encoder: LineEncoder::new(config.delimiter.clone()),
            decoder: LineDecoder::new(config),
        }
    }

    /// See [`LineDecoder::expect_raw`].
    ///
    /// # Errors
    ///
    /// As [`LineDecoder::expect_raw`].
    pub fn expect_raw(&mut self, len: usize) -> Result<(), LocalError> {
        self.decoder.expect_raw(len)
    }

    /// The borrowed fast path: see [`LineDecoder::decode_borrowed`]. Call
    /// [`decode`](Decoder::decode) (or `decode_eof`) next, as usual.
    ///
    /// # Errors
    ///
    /// As [`LineDecoder::decode_borrowed`].
    pub fn decode_borrowed(
        &mut self,
        src: &mut BytesMut,
        f: impl FnMut(&[u8]) -> ControlFlow<()>,
    ) -> Result<usize, LineCodecError> {
        Ok(self.decoder.decode_borrowed(src, f)?)
    }
}

impl Decoder for LineCodec {
    type Item = LineEvent;
    type Error = LineCodecError;

    /// Inlined into `Framed`, with everything but a line ending at an LF
    /// of the current block out of line, so the common line is built in the
    /// caller instead of being copied out of two calls (as
    /// `LengthCodec::decode` does).
    #[inline]
    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<LineEvent>, LineCodecError> {
        // `decode` starts with the same step: the order of work is unchanged.
        if let Some(bytes) = self.decoder.next_lf_line(src) {
            return Ok(Some(LineEvent::Line {
                bytes,
                partial: false,
            }));
        }
        self.decode_slow(src)
    }

    fn decode_eof(&mut self, src: &mut BytesMut) -> Result<Option<LineEvent>, LineCodecError> {
        Ok(self.decoder.decode_eof(src)?)
    }
}

impl LineCodec {
    /// [`Decoder::decode`] for everything but the common LF line.
    #[cold]
    #[inline(never)]
    fn decode_slow(&mut self, src: &mut BytesMut) -> Result<Option<LineEvent>, LineCodecError> {
        Ok(self.decoder.decode(src)?)
    }
}

impl Encoder<Bytes> for LineCodec {
    type Error = LineCodecError;

    fn encode(&mut self, line: Bytes, dst: &mut BytesMut) -> Result<(), LineCodecError> {
        let (line, delimiter) = self.encoder.encode(line)?;
        dst.reserve(line.len() + delimiter.len());
        dst.extend_from_slice(&line);
        dst.extend_from_slice(&delimiter);
        Ok(())
    }
}
