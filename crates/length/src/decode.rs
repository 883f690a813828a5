//! The decoder core shared by [`LengthMachine`](crate::LengthMachine) and the
//! tokio-util codec: cuts frames off the front of an input buffer.
//!
//! Decoding is lazy: nothing happens until the caller asks for the next
//! frame, and then the frame is split off the input buffer (no copy). A parsed
//! header is remembered, so a frame that arrives in many pieces has its header
//! read once; only an incomplete varint is looked at again, at most 10 bytes.

use bytes::{Buf, BytesMut};

use crate::field::read_fixed;
use crate::varint::{self, VarintRead};
use crate::{Framing, LengthError, LengthEvent, OversizePolicy};

/// Where the decoder is in the stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Waiting for a complete header at the front of the buffer.
    Header,
    /// The header at the front of the buffer is parsed: `header` bytes of
    /// header, then `len` bytes (the adjusted length, not yet checked against
    /// the limit: the limit may change until the frame is handed out).
    Body { header: usize, len: u64 },
    /// Discarding the rest of an oversize frame.
    Skip { remaining: u64 },
}

/// A length-prefix frame decoder over a caller-owned buffer.
#[derive(Debug, Clone)]
pub(crate) struct FrameDecoder {
    framing: Framing,
    /// `framing.frame_length_limit()`, cached for the hot path.
    limit: usize,
    state: State,
    /// Stream offset of the front of the buffer.
    consumed: u64,
}

impl FrameDecoder {
    pub(crate) fn new(framing: Framing) -> Self {
        FrameDecoder {
            limit: framing.frame_length_limit(),
            framing,
            state: State::Header,
            consumed: 0,
        }
    }

    pub(crate) fn framing(&self) -> &Framing {
        &self.framing
    }

    /// Changes the limit for every frame not handed out yet (including one
    /// whose header is already parsed).
    pub(crate) fn set_max_frame_length(&mut self, max: usize) {
        self.framing = self.framing.clone().max_frame_length(max);
        self.limit = self.framing.frame_length_limit();
    }

    /// Cuts the next frame off the front of `buf`. `Ok(None)`: more input is
    /// needed. An `Err` is fatal; the caller must not call again.
    #[inline]
    pub(crate) fn decode(
        &mut self,
        buf: &mut BytesMut,
    ) -> Result<Option<LengthEvent>, LengthError> {
        loop {
            match self.state {
                State::Header => match self.parse_header(buf)? {
                    Some((header, len)) => self.state = State::Body { header, len },
                    None => return Ok(None),
                },
                State::Body { header, len } => {
                    if len > self.limit as u64 {
                        return self.oversize(header, len).map(Some);
                    }
                    // Cannot overflow: `limit` leaves room for the header.
                    let total = header + len as usize;
                    if buf.len() < total {
                        return Ok(None);
                    }
                    self.state = State::Header;
                    self.consumed += total as u64;
                    let frame = if self.framing.keeps_header() {
                        buf.split_to(total)
                    } else {
                        buf.advance(header);
                        buf.split_to(len as usize)
                    };
                    return Ok(Some(LengthEvent::Frame(frame.freeze())));
                }
                State::Skip { .. } => {
                    self.discard_skipped(buf);
                    if let State::Skip { .. } = self.state {
                        return Ok(None);
                    }
                }
            }
        }
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

    /// Handles a frame over the limit according to the policy.
    #[cold]
    fn oversize(&mut self, header: usize, len: u64) -> Result<LengthEvent, LengthError> {
        match self.framing.oversize_policy() {
            OversizePolicy::Fail => Err(LengthError::Oversize {
                len,
                max: self.limit,
                offset: self.consumed,
            }),
            OversizePolicy::Skip => {
                self.state = State::Skip {
                    remaining: len.saturating_add(header as u64),
                };
                Ok(LengthEvent::Oversize { len })
            }
        }
    }

    /// Reads the header at the front of `buf`: its length and the adjusted
    /// frame length, or `None` if it is incomplete.
    #[inline]
    fn parse_header(&self, buf: &[u8]) -> Result<Option<(usize, u64)>, LengthError> {
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
        let adjustment = framing.adjustment();
        let len = if adjustment >= 0 {
            // Saturating: a length past u64::MAX is over any limit anyway.
            field.saturating_add(adjustment as u64)
        } else {
            field
                .checked_sub(adjustment.unsigned_abs())
                .ok_or(LengthError::LengthUnderflow {
                    field,
                    adjustment,
                    offset: self.consumed,
                })?
        };
        Ok(Some((header, len)))
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
            State::Body { header, len } if len <= self.limit as u64 => header + len as usize,
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
                let header = match self.framing.field().fixed_width() {
                    Some(width) => self.framing.offset_len() + width,
                    None => self.framing.offset_len() + 1,
                } as u64;
                header.saturating_sub(buffered).max(1)
            }
            State::Body { header, len } => (header as u64 + len).saturating_sub(buffered),
            State::Skip { remaining } => remaining,
        };
        Some(LengthError::Truncated { missing })
    }
}
