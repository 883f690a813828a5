//! The decoder core shared by [`LengthConnection`](crate::LengthConnection) and the
//! tokio-util codec: cuts frames off the front of an input buffer.
//!
//! Decoding is lazy: nothing happens until the caller asks for the next
//! frame, and then the frame is split off the input buffer (no copy). A parsed
//! header is remembered, so a frame that arrives in many pieces has its header
//! read once; only an incomplete varint is looked at again, at most 10 bytes.

use std::ops::ControlFlow;

use bytes::{Buf, Bytes, BytesMut};

use crate::field::read_fixed;
use crate::packet::{self, ErlangPacket, Parse};
use crate::varint::{self, VarintRead};
use crate::{LengthConfig, LengthError, LengthEvent, OversizePolicy};

/// Where the decoder is in the stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Waiting for a complete header at the front of the buffer.
    Header,
    /// The header at the front of the buffer is parsed: `header` bytes of
    /// header, then `len` bytes (the adjusted length), then `trailer` bytes
    /// dropped (fcgi padding). `len + trailer` is not yet checked against the
    /// limit: the limit may change until the frame is handed out.
    Body {
        header: usize,
        len: u64,
        trailer: u64,
    },
    /// Discarding the rest of an oversize frame.
    Skip { remaining: u64 },
}

/// What [`FrameDecoder::find_frame`] found at the front of the buffer.
enum Found {
    /// A complete frame within the limit, already taken.
    Frame(Span),
    /// More input is needed.
    Incomplete,
    /// Not a plain frame: a `raw` packet, an oversize frame under the skip
    /// policy, or the skipping after it; for [`FrameDecoder::decode`].
    Other,
}

/// Where a complete frame lies at the front of the buffer.
#[derive(Debug, Clone, Copy)]
struct Span {
    header: usize,
    len: usize,
    /// Bytes after the payload that are dropped (fcgi padding).
    trailer: usize,
}

impl Span {
    /// The bytes the frame takes up in the buffer.
    fn total(&self) -> usize {
        self.header + self.len + self.trailer
    }
}

/// What [`FrameDecoder::for_each_frame`] handed out.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Batch {
    /// Frames handed out.
    pub(crate) frames: usize,
    /// Bytes they took up at the front of the buffer.
    pub(crate) bytes: usize,
}

/// A length-prefix frame decoder over a caller-owned buffer.
#[derive(Debug, Clone)]
pub(crate) struct FrameDecoder {
    framing: LengthConfig,
    /// `framing.frame_length_limit()`, cached for the hot path.
    limit: usize,
    /// Where a fixed-width length field ends (offset + width); `None` for a
    /// varint. Cached for the hot path.
    fixed_header: Option<usize>,
    state: State,
    /// Stream offset of the front of the buffer.
    consumed: u64,
    /// Where an incomplete asn1 tag scan resumes (see `packet::parse`).
    scan: usize,
}

impl FrameDecoder {
    pub(crate) fn new(framing: LengthConfig) -> Self {
        FrameDecoder {
            limit: framing.frame_length_limit(),
            fixed_header: match framing.packet() {
                Some(_) => None,
                None => framing
                    .field()
                    .fixed_width()
                    .map(|width| framing.offset_len() + width),
            },
            framing,
            state: State::Header,
            consumed: 0,
            scan: 0,
        }
    }

    pub(crate) fn config(&self) -> &LengthConfig {
        &self.framing
    }

    /// Changes the limit for every frame not handed out yet (including one
    /// whose header is already parsed).
    pub(crate) fn set_max_frame_length(&mut self, max: usize) {
        self.framing = self.framing.clone().max_frame_length(max);
        self.limit = self.framing.frame_length_limit();
    }

    /// The common case, kept small enough to inline into callers: a
    /// fixed-width header and its whole frame are buffered, within the limit.
    /// `None` when anything else is the case; then call
    /// [`decode`](FrameDecoder::decode).
    #[inline(always)]
    pub(crate) fn decode_complete(&mut self, buf: &mut BytesMut) -> Option<Bytes> {
        let span = self.find_complete(buf)?;
        self.consumed += span.total() as u64;
        Some(self.cut(buf, span))
    }

    /// The frame a buffered fixed-width header announces, if it is complete
    /// and within the limit (nothing is taken).
    #[inline(always)]
    fn find_complete(&self, buf: &[u8]) -> Option<Span> {
        let header = self.fixed_header?;
        if self.state != State::Header || buf.len() < header {
            return None;
        }
        let start = self.framing.offset_len();
        let field = read_fixed(&buf[start..header], self.framing.is_big_endian());
        let len = field.checked_add_signed(self.framing.adjustment())?;
        if len > self.limit as u64 || len as usize > buf.len() - header {
            return None;
        }
        Some(Span {
            header,
            len: len as usize,
            trailer: 0,
        })
    }

    /// Finds the next complete frame at the front of `buf` (parsing and
    /// remembering its header) and takes it: the caller must drop
    /// `span.total()` bytes from the front of `buf` before the next call.
    /// The one scanner behind both the owned path
    /// ([`decode`](FrameDecoder::decode)) and the borrowed one
    /// ([`for_each_frame`](FrameDecoder::for_each_frame)).
    #[inline]
    fn find_frame(&mut self, buf: &[u8]) -> Result<Found, LengthError> {
        if let Some(span) = self.find_complete(buf) {
            self.consumed += span.total() as u64;
            return Ok(Found::Frame(span));
        }
        loop {
            match self.state {
                State::Header if self.framing.packet() == Some(ErlangPacket::Raw) => {
                    return Ok(Found::Other);
                }
                State::Header => match self.parse_header(buf)? {
                    Some(body) => self.state = body,
                    None => return Ok(Found::Incomplete),
                },
                State::Body {
                    header,
                    len,
                    trailer,
                } => {
                    // Cannot overflow: a trailer is at most 255 bytes.
                    let body = len + trailer;
                    if body > self.limit as u64 {
                        return match self.framing.oversize_policy() {
                            OversizePolicy::Fail => Err(self.oversize_error(body)),
                            OversizePolicy::Skip => Ok(Found::Other),
                        };
                    }
                    // Cannot overflow: `limit` leaves room for the header.
                    if buf.len() < header + body as usize {
                        return Ok(Found::Incomplete);
                    }
                    self.state = State::Header;
                    let span = Span {
                        header,
                        len: len as usize,
                        trailer: trailer as usize,
                    };
                    self.consumed += span.total() as u64;
                    return Ok(Found::Frame(span));
                }
                State::Skip { .. } => return Ok(Found::Other),
            }
        }
    }

    /// Cuts the next frame off the front of `buf`. `Ok(None)`: more input is
    /// needed. An `Err` is fatal; the caller must not call again.
    pub(crate) fn decode(
        &mut self,
        buf: &mut BytesMut,
    ) -> Result<Option<LengthEvent>, LengthError> {
        loop {
            match self.find_frame(buf)? {
                Found::Frame(span) => return Ok(Some(LengthEvent::Frame(self.cut(buf, span)))),
                Found::Incomplete => return Ok(None),
                Found::Other => match self.state {
                    State::Header => return Ok(self.cut_raw(buf)),
                    State::Body { len, trailer, .. } => {
                        return Ok(Some(self.skip_oversize(len + trailer)));
                    }
                    State::Skip { .. } => {
                        self.discard_skipped(buf);
                        if let State::Skip { .. } = self.state {
                            return Ok(None);
                        }
                    }
                },
            }
        }
    }

    /// Hands each complete frame at the front of `buf` to `f` as a borrowed
    /// slice, until `f` breaks, the next frame is incomplete, or what comes
    /// next is not a plain frame (an oversize frame under
    /// [`OversizePolicy::Skip`], the skipping after it, a `raw` packet):
    /// [`decode`](FrameDecoder::decode) handles those. Returns how many
    /// frames were handed out and how many bytes they took up; the caller
    /// must drop those bytes from the front of `buf`.
    ///
    /// # Errors
    ///
    /// The error [`decode`](FrameDecoder::decode) would return after the
    /// same frames; fatal, as there.
    pub(crate) fn for_each_frame(
        &mut self,
        buf: &[u8],
        mut f: impl FnMut(&[u8]) -> ControlFlow<()>,
    ) -> Result<Batch, LengthError> {
        let keeps_header = self.framing.keeps_header();
        let mut batch = Batch::default();
        while let Found::Frame(span) = self.find_frame(&buf[batch.bytes..])? {
            let start = if keeps_header {
                batch.bytes
            } else {
                batch.bytes + span.header
            };
            let frame = &buf[start..batch.bytes + span.header + span.len];
            batch.bytes += span.total();
            batch.frames += 1;
            if f(frame).is_break() {
                break;
            }
        }
        Ok(batch)
    }

    /// Splits the taken frame at the front of `buf` off, header and all,
    /// drops the header unless it is kept, and drops the trailer.
    #[inline(always)]
    fn cut(&mut self, buf: &mut BytesMut, span: Span) -> Bytes {
        let mut frame = buf.split_to(span.header + span.len).freeze();
        if span.trailer > 0 {
            buf.advance(span.trailer);
        }
        if !self.framing.keeps_header() {
            frame.advance(span.header);
        }
        frame
    }

    /// `raw`: everything buffered is the packet; nothing buffered, none.
    fn cut_raw(&mut self, buf: &mut BytesMut) -> Option<LengthEvent> {
        if buf.is_empty() {
            return None;
        }
        self.consumed += buf.len() as u64;
        Some(LengthEvent::Frame(buf.split().freeze()))
    }

    /// Drops the buffered bytes of an oversize frame being skipped, so they
    /// never pile up. A no-op in any other state.
    pub(crate) fn discard_skipped(&mut self, buf: &mut BytesMut) {
        if let State::Skip { remaining } = self.state {
            let n = remaining.min(buf.len() as u64);
            buf.advance(n as usize);
            self.consumed += n;
            self.state = if n == remaining {
                State::Header
            } else {
                State::Skip {
                    remaining: remaining - n,
                }
            };
        }
    }

    /// The error for a frame of `len` bytes over the limit.
    #[cold]
    fn oversize_error(&self, len: u64) -> LengthError {
        LengthError::Oversize {
            len,
            max: self.limit,
            offset: self.consumed,
        }
    }

    /// Starts skipping the oversize frame (of `len` bytes after its header)
    /// at the front of the buffer, under [`OversizePolicy::Skip`].
    #[cold]
    fn skip_oversize(&mut self, len: u64) -> LengthEvent {
        if let State::Body { header, .. } = self.state {
            self.state = State::Skip {
                remaining: len.saturating_add(header as u64),
            };
        }
        LengthEvent::Oversize { len }
    }

    /// Reads the header at the front of `buf`: the body state it announces,
    /// or `None` if it is incomplete.
    #[inline]
    fn parse_header(&mut self, buf: &[u8]) -> Result<Option<State>, LengthError> {
        if let Some(packet) = self.framing.packet() {
            return self.parse_packet_header(packet, buf);
        }
        let framing = &self.framing;
        let start = framing.offset_len();
        let (field, header) = match framing.field().fixed_width() {
            Some(width) => {
                let end = start + width;
                if buf.len() < end {
                    return Ok(None);
                }
                (read_fixed(&buf[start..end], framing.is_big_endian()), end)
            }
            None => {
                if buf.len() <= start {
                    return Ok(None);
                }
                match varint::read(&buf[start..]) {
                    VarintRead::Done { value, len } => (value, start + len),
                    VarintRead::NonMinimal { value, len }
                        if framing.allows_non_minimal_varint() =>
                    {
                        (value, start + len)
                    }
                    VarintRead::NonMinimal { .. } => {
                        return Err(LengthError::NonMinimalVarint {
                            offset: self.consumed,
                        })
                    }
                    VarintRead::Overflow => {
                        return Err(LengthError::VarintOverflow {
                            offset: self.consumed,
                        })
                    }
                    VarintRead::Partial => return Ok(None),
                }
            }
        };
        Ok(Some(State::Body {
            header,
            len: self.adjust(field)?,
            trailer: 0,
        }))
    }

    /// [`parse_header`](FrameDecoder::parse_header) for an Erlang packet
    /// type.
    #[cold]
    fn parse_packet_header(
        &mut self,
        packet: ErlangPacket,
        buf: &[u8],
    ) -> Result<Option<State>, LengthError> {
        let parsed = packet::parse(packet, buf, &mut self.scan).map_err(|problem| {
            LengthError::InvalidPacket {
                packet,
                problem,
                offset: self.consumed,
            }
        })?;
        match parsed {
            Parse::Partial => Ok(None),
            Parse::Done(header) => {
                self.scan = 0;
                Ok(Some(State::Body {
                    header: header.header,
                    len: header.len,
                    trailer: header.trailer,
                }))
            }
        }
    }

    /// The frame length announced by a length field of value `field`: the
    /// bytes after the field.
    #[inline]
    fn adjust(&self, field: u64) -> Result<u64, LengthError> {
        let adjustment = self.framing.adjustment();
        if adjustment >= 0 {
            // Saturating: a length past u64::MAX is over any limit anyway.
            Ok(field.saturating_add(adjustment as u64))
        } else {
            field
                .checked_sub(adjustment.unsigned_abs())
                .ok_or(LengthError::LengthUnderflow {
                    field,
                    adjustment,
                    offset: self.consumed,
                })
        }
    }

    /// Stream offset of the front of the buffer: bytes handed out or
    /// discarded so far.
    pub(crate) fn stream_offset(&self) -> u64 {
        self.consumed
    }

    /// Whether the decoder sits between frames (nothing parsed or skipped).
    pub(crate) fn is_between_frames(&self) -> bool {
        self.state == State::Header
    }

    /// How many bytes the buffer must hold before the frame at its front can
    /// be handed out; 0 if that is not known yet or the frame is over the
    /// limit.
    pub(crate) fn frame_bytes_needed(&self) -> usize {
        match self.state {
            State::Body {
                header,
                len,
                trailer,
            } if len + trailer <= self.limit as u64 => header + (len + trailer) as usize,
            _ => 0,
        }
    }

    /// The error for an end of stream with `buf` left over, after
    /// [`decode`](FrameDecoder::decode) returned `Ok(None)`; `None` for a
    /// clean end between frames.
    pub(crate) fn eof_error(&self, buf: &[u8]) -> Option<LengthError> {
        let buffered = buf.len() as u64;
        let missing = match self.state {
            State::Header if buf.is_empty() => return None,
            State::Header => {
                let header = match (self.framing.packet(), self.framing.field().fixed_width()) {
                    (Some(packet), _) => packet.min_header_len(),
                    (None, Some(width)) => self.framing.offset_len() + width,
                    (None, None) => self.framing.offset_len() + 1,
                } as u64;
                header.saturating_sub(buffered).max(1)
            }
            State::Body {
                header,
                len,
                trailer,
            } => (header as u64 + len + trailer).saturating_sub(buffered),
            State::Skip { remaining } => remaining,
        };
        Some(LengthError::Truncated { missing })
    }
}
