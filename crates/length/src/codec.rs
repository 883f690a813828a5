//! `tokio_util::codec::{Decoder, Encoder}` for existing `Framed` code
//! (feature `tokio-util`).

use bytes::{Bytes, BytesMut};
use tokio_util::codec::{Decoder, Encoder};

use crate::decode::FrameDecoder;
use crate::{Framing, LengthError, LengthEvent};

/// Errors of [`LengthCodec`]: a framing error, or an IO error from the
/// transport `Framed` wraps.
#[derive(Debug, thiserror::Error)]
pub enum CodecError {
    /// The peer broke the framing, or a payload could not be encoded.
    #[error(transparent)]
    Length(#[from] LengthError),
    /// Reading or writing the transport failed.
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// The same framing as [`LengthMachine`](crate::LengthMachine), as a
/// tokio-util codec: decodes to [`LengthEvent`]s, encodes `Bytes` and `&[u8]`.
///
/// ```
/// use bytes::{Bytes, BytesMut};
/// use tokio_util::codec::{Decoder, Encoder};
/// use wirestate_length::{Framing, LengthCodec, LengthEvent};
///
/// let mut codec = LengthCodec::new(Framing::erlang(2));
/// let mut wire = BytesMut::new();
/// codec.encode(Bytes::from_static(b"hello"), &mut wire).unwrap();
/// assert_eq!(wire, &b"\x00\x05hello"[..]);
/// let frame = codec.decode(&mut wire).unwrap();
/// assert_eq!(frame, Some(LengthEvent::Frame(Bytes::from_static(b"hello"))));
/// ```
///
/// After a decoding error the codec is poisoned: `decode` returns `Ok(None)`
/// and discards its input. At end of stream, [`decode_eof`](Decoder::decode_eof)
/// reports a cut frame as [`LengthError::Truncated`].
#[derive(Debug, Clone)]
pub struct LengthCodec {
    decoder: FrameDecoder,
    failed: bool,
}

impl LengthCodec {
    /// A codec that decodes and encodes with `framing`.
    pub fn new(framing: Framing) -> Self {
        LengthCodec {
            decoder: FrameDecoder::new(framing),
            failed: false,
        }
    }

    /// The framing in use.
    pub fn framing(&self) -> &Framing {
        self.decoder.framing()
    }

    /// Changes the maximum frame length, for every frame not decoded yet.
    pub fn set_max_frame_length(&mut self, max: usize) {
        self.decoder.set_max_frame_length(max);
    }
}

impl Decoder for LengthCodec {
    type Item = LengthEvent;
    type Error = CodecError;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<LengthEvent>, CodecError> {
        if self.failed {
            src.clear();
            return Ok(None);
        }
        self.decoder.decode(src).map_err(|error| {
            self.failed = true;
            src.clear();
            error.into()
        })
    }

    fn decode_eof(&mut self, src: &mut BytesMut) -> Result<Option<LengthEvent>, CodecError> {
        match self.decode(src)? {
            Some(event) => Ok(Some(event)),
            None if self.failed => Ok(None),
            None => match self.decoder.eof_error(src) {
                Some(error) => {
                    self.failed = true;
                    src.clear();
                    Err(error.into())
                }
                None => Ok(None),
            },
        }
    }
}

impl Encoder<Bytes> for LengthCodec {
    type Error = CodecError;

    fn encode(&mut self, payload: Bytes, dst: &mut BytesMut) -> Result<(), CodecError> {
        Ok(self.decoder.framing().encode_into(&payload, dst)?)
    }
}

impl Encoder<&[u8]> for LengthCodec {
    type Error = CodecError;

    fn encode(&mut self, payload: &[u8], dst: &mut BytesMut) -> Result<(), CodecError> {
        Ok(self.decoder.framing().encode_into(payload, dst)?)
    }
}
