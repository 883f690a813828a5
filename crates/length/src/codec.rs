//! `tokio_util::codec::{Decoder, Encoder}` for existing `Framed` code
//! (feature `tokio-util`).

use std::ops::ControlFlow;

use bytes::{Buf, Bytes, BytesMut};
use tokio_util::codec::{Decoder, Encoder};

use crate::decode::FrameDecoder;
use crate::{LengthConfig, LengthError, LengthEvent, LocalError};

/// Errors of [`LengthCodec`]: a framing error, or an IO error from the
/// transport `Framed` wraps.
#[derive(Debug, thiserror::Error)]
pub enum LengthCodecError {
    /// The peer broke the framing, or a payload could not be encoded.
    #[error(transparent)]
    Length(#[from] LengthError),
    /// Reading or writing the transport failed.
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

impl From<LocalError> for LengthCodecError {
    fn from(error: LocalError) -> Self {
        LengthCodecError::Length(LengthError::Local(error))
    }
}

/// The same framing as [`LengthConnection`](crate::LengthConnection), as a
/// tokio-util codec: decodes to [`LengthEvent`]s, encodes `Bytes` and `&[u8]`.
///
/// ```
/// use bytes::{Bytes, BytesMut};
/// use tokio_util::codec::{Decoder, Encoder};
/// use wirestate_length::{LengthCodec, LengthConfig, LengthEvent};
///
/// let mut codec = LengthCodec::new(LengthConfig::erlang(2));
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
    pub fn new(framing: LengthConfig) -> Self {
        LengthCodec {
            decoder: FrameDecoder::new(framing),
            failed: false,
        }
    }

    /// The framing in use.
    pub fn config(&self) -> &LengthConfig {
        self.decoder.config()
    }

    /// Changes the maximum frame length, for every frame not decoded yet.
    pub fn set_max_frame_length(&mut self, max: usize) {
        self.decoder.set_max_frame_length(max);
    }

    /// The borrowed fast path: hands every complete frame at the front of
    /// `src` to `f` as a `&[u8]`, in order, and drops them from `src` once,
    /// at the end; returns how many frames `f` saw. Same frames, limits and
    /// errors as [`decode`](Decoder::decode), without a `Bytes` per frame,
    /// for a caller that parses each frame in place and keeps none.
    ///
    /// The batch stops when `f` returns [`ControlFlow::Break`] (after the
    /// frame it was given), when the next frame is incomplete, and before
    /// anything that is not a plain frame (an oversize frame under
    /// [`OversizePolicy::Skip`](crate::OversizePolicy::Skip) and its
    /// skipping, an Erlang `raw` packet): call [`decode`](Decoder::decode)
    /// next, as usual, which hands that out or says more input is needed.
    ///
    /// ```
    /// use std::ops::ControlFlow;
    /// use bytes::BytesMut;
    /// use wirestate_length::{LengthCodec, LengthConfig};
    ///
    /// let mut codec = LengthCodec::new(LengthConfig::erlang(1));
    /// let mut src = BytesMut::from(&b"\x02hi\x03you\x05ha"[..]);
    /// let mut seen = Vec::new();
    /// let frames = codec.decode_borrowed(&mut src, |frame| {
    ///     seen.push(frame.len());
    ///     ControlFlow::Continue(())
    /// });
    /// assert_eq!(frames.unwrap(), 2);
    /// assert_eq!(seen, [2, 3]);
    /// assert_eq!(src, &b"\x05ha"[..]);
    /// ```
    ///
    /// # Errors
    ///
    /// A framing error in the frames after those handed out, as
    /// [`decode`](Decoder::decode) would return it; the codec is then
    /// poisoned, as there (`Ok(0)` from then on, its input discarded).
    pub fn decode_borrowed(
        &mut self,
        src: &mut BytesMut,
        f: impl FnMut(&[u8]) -> ControlFlow<()>,
    ) -> Result<usize, LengthCodecError> {
        if self.failed {
            src.clear();
            return Ok(0);
        }
        match self.decoder.for_each_frame(src, f) {
            Ok(batch) => {
                src.advance(batch.bytes);
                Ok(batch.frames)
            }
            Err(error) => {
                self.failed = true;
                src.clear();
                Err(error.into())
            }
        }
    }
}

impl Decoder for LengthCodec {
    type Item = LengthEvent;
    type Error = LengthCodecError;

    /// Inlined into `Framed`, with everything but a whole fixed-width frame
    /// out of line: the result is then built in the caller's frame instead
    /// of being copied out of a call (perf showed the copy's stalls costing
    /// as much as the decoding).
    #[inline]
    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<LengthEvent>, LengthCodecError> {
        if !self.failed {
            if let Some(frame) = self.decoder.decode_complete(src) {
                return Ok(Some(LengthEvent::Frame(frame)));
            }
        }
        self.decode_slow(src)
    }

    fn decode_eof(&mut self, src: &mut BytesMut) -> Result<Option<LengthEvent>, LengthCodecError> {
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

impl LengthCodec {
    /// [`Decoder::decode`] for everything but a whole fixed-width frame.
    #[cold]
    #[inline(never)]
    fn decode_slow(&mut self, src: &mut BytesMut) -> Result<Option<LengthEvent>, LengthCodecError> {
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
}

impl Encoder<Bytes> for LengthCodec {
    type Error = LengthCodecError;

    fn encode(&mut self, payload: Bytes, dst: &mut BytesMut) -> Result<(), LengthCodecError> {
        Ok(self.decoder.config().encode_into(&payload, dst)?)
    }
}

impl Encoder<&[u8]> for LengthCodec {
    type Error = LengthCodecError;

    fn encode(&mut self, payload: &[u8], dst: &mut BytesMut) -> Result<(), LengthCodecError> {
        Ok(self.decoder.config().encode_into(payload, dst)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{LengthField, OversizePolicy};

    fn frame(bytes: &'static [u8]) -> Option<LengthEvent> {
        Some(LengthEvent::Frame(Bytes::from_static(bytes)))
    }

    #[test]
    fn underrun_waits_without_consuming() {
        let mut codec = LengthCodec::new(LengthConfig::erlang(4));
        let mut src = BytesMut::new();
        for piece in [&b"\0\0"[..], b"\0\x05", b"hel"] {
            src.extend_from_slice(piece);
            let before = src.len();
            assert_eq!(codec.decode(&mut src).unwrap(), None);
            assert_eq!(src.len(), before);
        }
        src.extend_from_slice(b"lo");
        assert_eq!(codec.decode(&mut src).unwrap(), frame(b"hello"));
        assert!(src.is_empty());
        assert_eq!(codec.decode_eof(&mut src).unwrap(), None);
    }

    #[test]
    fn burst_of_frames_in_one_read() {
        let mut codec = LengthCodec::new(LengthConfig::new(LengthField::U16).little_endian());
        let mut src = BytesMut::from(&b"\x01\0a\0\0\x02\0bc\x03\0de"[..]);
        assert_eq!(codec.decode(&mut src).unwrap(), frame(b"a"));
        assert_eq!(codec.decode(&mut src).unwrap(), frame(b""));
        assert_eq!(codec.decode(&mut src).unwrap(), frame(b"bc"));
        assert_eq!(codec.decode(&mut src).unwrap(), None);
        assert!(matches!(
            codec.decode_eof(&mut src),
            Err(LengthCodecError::Length(LengthError::Truncated {
                missing: 1
            }))
        ));
    }

    #[test]
    fn max_length_is_fatal_and_poisons() {
        let mut codec = LengthCodec::new(LengthConfig::erlang(2).max_frame_length(4));
        let mut src = BytesMut::from(&b"\0\x04abcd\0\x05abcde\0\x01z"[..]);
        assert_eq!(codec.decode(&mut src).unwrap(), frame(b"abcd"));
        assert!(matches!(
            codec.decode(&mut src),
            Err(LengthCodecError::Length(LengthError::Oversize {
                len: 5,
                max: 4,
                offset: 6
            }))
        ));
        src.extend_from_slice(b"\0\x01y");
        assert_eq!(codec.decode(&mut src).unwrap(), None);
        assert_eq!(codec.decode_eof(&mut src).unwrap(), None);
        assert!(src.is_empty());
    }

    #[test]
    fn max_length_changed_between_frames() {
        let mut codec = LengthCodec::new(LengthConfig::erlang(2));
        let mut src = BytesMut::from(&b"\0\x03abc\0\x03def"[..]);
        assert_eq!(codec.decode(&mut src).unwrap(), frame(b"abc"));
        codec.set_max_frame_length(2);
        assert_eq!(codec.config().frame_length_limit(), 2);
        assert!(codec.decode(&mut src).is_err());
    }

    #[test]
    fn skip_policy_recovers_after_an_oversize_frame() {
        let framing = LengthConfig::erlang(2)
            .max_frame_length(2)
            .oversize(OversizePolicy::Skip);
        let mut codec = LengthCodec::new(framing);
        let mut src = BytesMut::from(&b"\0\x05ab"[..]);
        assert_eq!(
            codec.decode(&mut src).unwrap(),
            Some(LengthEvent::Oversize { len: 5 })
        );
        assert_eq!(codec.decode(&mut src).unwrap(), None);
        assert!(src.is_empty(), "skipped bytes are dropped as they come");
        src.extend_from_slice(b"cde\0\x02ok");
        assert_eq!(codec.decode(&mut src).unwrap(), frame(b"ok"));
        assert_eq!(codec.decode_eof(&mut src).unwrap(), None);
    }

    #[test]
    fn encoder_refuses_without_writing_then_recovers() {
        let mut codec = LengthCodec::new(LengthConfig::erlang(1));
        let mut dst = BytesMut::new();
        let too_big = Bytes::from(vec![0; 256]);
        assert!(matches!(
            codec.encode(too_big, &mut dst),
            Err(LengthCodecError::Length(LengthError::Local(
                LocalError::PayloadTooLarge { len: 256, max: 255 }
            )))
        ));
        assert!(dst.is_empty());
        codec.encode(&b"ok"[..], &mut dst).unwrap();
        codec.encode(Bytes::new(), &mut dst).unwrap();
        assert_eq!(dst, &b"\x02ok\x00"[..]);
        assert_eq!(codec.decode(&mut dst).unwrap(), frame(b"ok"));
        assert_eq!(codec.decode(&mut dst).unwrap(), frame(b""));
    }

    proptest::proptest! {
        /// The codec and the machine share a decoder: same frames, same
        /// error, from the same bytes in the same pieces.
        #[test]
        fn same_outcome_as_the_machine(
            width in 0usize..6,
            offset in 0usize..3,
            adjustment in -4i64..4,
            keep in proptest::bool::ANY,
            skip in proptest::bool::ANY,
            max in 0usize..64,
            input in proptest::collection::vec(0u8..24, 0..200),
            cuts in wirestate_core::testing::arb_cuts(200),
        ) {
            let field = [
                LengthField::U8,
                LengthField::U16,
                LengthField::U24,
                LengthField::U32,
                LengthField::U64,
                LengthField::Varint,
            ][width];
            let policy = if skip { OversizePolicy::Skip } else { OversizePolicy::Fail };
            let framing = LengthConfig::new(field)
                .length_offset(offset)
                .length_adjustment(adjustment)
                .keep_header(keep)
                .max_frame_length(max)
                .oversize(policy);
            let now = std::time::Instant::now();
            let mut machine = crate::LengthConnection::new(framing.clone());
            let expected = wirestate_core::testing::feed_cut(&mut machine, &input, &cuts, true, now);

            let mut codec = LengthCodec::new(framing);
            let mut points: Vec<usize> = cuts.iter().copied().filter(|&c| c > 0 && c < input.len()).collect();
            points.sort_unstable();
            points.push(input.len());
            let (mut src, mut start) = (BytesMut::new(), 0);
            let (mut events, mut error) = (Vec::new(), None);
            for end in points {
                src.extend_from_slice(&input[start.min(end)..end]);
                start = start.max(end);
                loop {
                    match codec.decode(&mut src) {
                        Ok(Some(event)) => events.push(event),
                        Ok(None) => break,
                        Err(e) => { error.get_or_insert(e.to_string()); break; }
                    }
                }
            }
            loop {
                match codec.decode_eof(&mut src) {
                    Ok(Some(event)) => events.push(event),
                    Ok(None) => break,
                    Err(e) => { error.get_or_insert(e.to_string()); break; }
                }
            }
            proptest::prop_assert_eq!(events, expected.events);
            proptest::prop_assert_eq!(error, expected.error);
        }
    }

    #[test]
    fn erlang_packet_types_frame_through_the_codec() {
        let mut codec = LengthCodec::new(LengthConfig::erlang_packet(crate::ErlangPacket::Fcgi));
        // Content "hi", padding 2: the padding is consumed, not returned.
        let mut src = BytesMut::from(&b"\x01\x06\x00\x01\x00\x02\x02\x00hi\xee"[..]);
        assert_eq!(codec.decode(&mut src).unwrap(), None);
        src.extend_from_slice(b"\xee");
        assert_eq!(
            codec.decode(&mut src).unwrap(),
            frame(b"\x01\x06\x00\x01\x00\x02\x02\x00hi")
        );
        assert!(src.is_empty());
        let mut tpkt = LengthCodec::new(LengthConfig::erlang_packet(crate::ErlangPacket::Tpkt));
        let mut out = BytesMut::new();
        tpkt.encode(Bytes::from_static(b"ab"), &mut out).unwrap();
        assert_eq!(out, &b"\x03\x00\x00\x06ab"[..]);
        assert_eq!(tpkt.decode(&mut out).unwrap(), frame(b"\x03\x00\x00\x06ab"));
    }

    #[test]
    fn io_errors_convert() {
        let error: LengthCodecError = std::io::Error::other("reset").into();
        assert!(matches!(error, LengthCodecError::Io(_)));
        assert_eq!(error.to_string(), "reset");
    }
}
