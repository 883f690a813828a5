//! The line decoder: finds lines in a buffer it does not own.
//!
//! The decoder keeps only a little state between calls (how far the current
//! line was already searched, the LFs found there but not yet consumed, and
//! whether it is skipping an over-long line or waiting for a raw block), so it
//! never searches a byte twice, however the input is cut. The buffer always starts at the first undecoded byte.

use std::ops::ControlFlow;

use bytes::{Buf, Bytes, BytesMut};

use crate::config::{EofPolicy, LineConfig, Overflow};
use crate::error::{LineError, LocalError};
use crate::event::LineEvent;
use crate::lf_block::{lf_mask, BLOCK};

/// A line this long makes the next line skip the block search (see
/// `LineDecoder::long_lines`); a shorter one turns it back on.
const LONG_LINE: usize = 4 * BLOCK;

/// Decodes lines and raw blocks from the front of a `BytesMut`.
///
/// This is the pure core shared by [`LineConnection`](crate::LineConnection) (which owns its
/// buffer) and the tokio-util codec. Call [`decode`](LineDecoder::decode)
/// after appending input until it returns `Ok(None)`; at EOF call
/// [`decode_eof`](LineDecoder::decode_eof) until `Ok(None)`.
///
/// ```
/// use bytes::BytesMut;
/// use wirestate_lines::{LineConfig, LineDecoder, LineEvent};
///
/// let mut decoder = LineDecoder::new(LineConfig::default());
/// let mut buf = BytesMut::from(&b"VALUE k 0 5\r\nab\r\nc\r\nEND\r\n"[..]);
/// assert_eq!(decoder.decode(&mut buf)?, Some(LineEvent::line("VALUE k 0 5")));
/// decoder.expect_raw(5 + 2)?; // the value and its CRLF, verbatim
/// assert_eq!(decoder.decode(&mut buf)?, Some(LineEvent::Raw("ab\r\nc\r\n".into())));
/// assert_eq!(decoder.decode(&mut buf)?, Some(LineEvent::line("END")));
/// assert_eq!(decoder.decode(&mut buf)?, None);
/// # Ok::<(), wirestate_lines::LineError>(())
/// ```
#[derive(Clone, Debug)]
pub struct LineDecoder {
    config: LineConfig,
    state: State,
    /// Bytes at the front of the buffer already searched. All of them are
    /// without a delimiter, except the LFs recorded in `lf_mask`.
    scanned: usize,
    /// With [`Delimiter::lf`](crate::Delimiter::lf): the LFs found but not yet
    /// consumed, bit `i` for the byte at `mask_base + i` (all below `scanned`).
    /// Non-zero only in line mode; cleared whenever the buffer front moves
    /// other than by consuming its first LF.
    lf_mask: u64,
    /// Buffer position of bit 0 of `lf_mask`.
    mask_base: usize,
    /// Whether the delimiter is [`Delimiter::lf`](crate::Delimiter::lf), which
    /// is searched a block at a time.
    lf_blocks: bool,
    /// The last line was long (found by the plain search, far past a block):
    /// the next is likely long too, and a block would only delay `memchr`.
    long_lines: bool,
    /// Stream offset of the first byte in the buffer.
    offset: u64,
}

/// Where a complete line lies at the front of the buffer.
#[derive(Clone, Copy, Debug)]
struct LineSpan {
    /// Bytes the line takes up, delimiter included.
    end: usize,
    /// Bytes handed out: `end`, or the content before the delimiter if it
    /// is stripped.
    len: usize,
}

/// Splits the taken line `span` off the front of `buf`.
#[inline(always)]
fn cut(buf: &mut BytesMut, span: LineSpan) -> Bytes {
    let mut line = buf.split_to(span.end);
    line.truncate(span.len);
    line.freeze()
}

/// What [`LineDecoder::find_line`] found at the front of the buffer.
enum Found {
    /// A complete line within the limit, already taken.
    Line(LineSpan),
    /// More input is needed.
    Incomplete,
    /// The line is over the limit; `window` bytes were searched.
    TooLong { window: usize },
}

/// What [`LineDecoder::for_each_line`] handed out.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Batch {
    /// Lines handed out.
    pub(crate) lines: usize,
    /// Bytes they took up at the front of the buffer.
    pub(crate) bytes: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Lines,
    /// Skipping an over-long line; `discarded` bytes of it are gone.
    Discarding {
        discarded: usize,
    },
    /// The next `len` bytes are a raw block.
    Raw {
        len: usize,
    },
    /// Failed or finished: nothing more is decoded. This is the decoder's
    /// own contract when used alone ([`LineDecoder::decode`],
    /// [`LineCodec`](crate::LineCodec)); a [`LineConnection`](crate::LineConnection)
    /// keeps the poison rule in its core `Poison` and reads this only as
    /// "nothing more to decode".
    Done,
}

impl LineDecoder {
    /// A decoder in line mode at stream offset 0.
    pub fn new(config: LineConfig) -> Self {
        LineDecoder {
            lf_blocks: config.delimiter.is_lf(),
            config,
            state: State::Lines,
            scanned: 0,
            lf_mask: 0,
            mask_base: 0,
            long_lines: false,
            offset: 0,
        }
    }

    /// The configuration.
    pub fn config(&self) -> &LineConfig {
        &self.config
    }

    /// Stream offset of the first byte not yet decoded.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// Whether the decoder stopped (after an error, or after EOF was decoded).
    pub fn is_done(&self) -> bool {
        self.state == State::Done
    }

    /// Makes the next `len` bytes after everything decoded so far one
    /// [`LineEvent::Raw`] block; line mode resumes after it. Call it right
    /// after the event that announced the block (a memcached `VALUE` line).
    /// The block is buffered whole and split off without copying.
    ///
    /// # Errors
    ///
    /// Local errors, the decoder is unchanged: [`LocalError::RawTooLarge`] over
    /// the configured limit (checked before anything is reserved),
    /// [`LocalError::RawNotAllowed`] while a raw block is pending or an
    /// over-long line is being discarded, [`LocalError::Closed`] when done.
    pub fn expect_raw(&mut self, len: usize) -> Result<(), LocalError> {
        match self.state {
            State::Lines => {}
            State::Done => return Err(LocalError::Closed),
            State::Raw { .. } | State::Discarding { .. } => return Err(LocalError::RawNotAllowed),
        }
        if len > self.config.max_raw {
            return Err(LocalError::RawTooLarge {
                len,
                max: self.config.max_raw,
            });
        }
        self.state = State::Raw { len };
        // LFs already found may be inside the block: search again after it.
        self.scanned = 0;
        self.lf_mask = 0;
        Ok(())
    }

    /// Bytes the decoder needs buffered before it can make progress, when it
    /// waits for a raw block (so a reader keeps reading past its high-water
    /// mark); 0 otherwise.
    pub fn raw_needed(&self) -> usize {
        match self.state {
            State::Raw { len } => len,
            _ => 0,
        }
    }

    /// Decodes the next event from the front of `buf`, splitting its bytes off
    /// (without copying). `Ok(None)`: append more input and call again.
    ///
    /// # Errors
    ///
    /// [`LineError::LineTooLong`] with [`Overflow::Fail`]; the decoder is then
    /// done and returns `Ok(None)` forever.
    pub fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<LineEvent>, LineError> {
        self.next_event(buf).transpose()
    }

    /// `decode` in the shape `Machine::poll_event` returns, inlined there:
    /// returning it directly avoids copying the event between two layouts
    /// on the hot path.
    #[inline]
    pub(crate) fn next_event(
        &mut self,
        buf: &mut BytesMut,
    ) -> Option<Result<LineEvent, LineError>> {
        if let Some(bytes) = self.next_lf_line(buf) {
            return Some(Ok(LineEvent::Line {
                bytes,
                partial: false,
            }));
        }
        loop {
            match self.state {
                State::Lines => match self.find_line(buf) {
                    Found::Line(span) => {
                        return Some(Ok(LineEvent::Line {
                            bytes: cut(buf, span),
                            partial: false,
                        }));
                    }
                    Found::Incomplete => return None,
                    Found::TooLong { window } => {
                        if let Some(event) = self.too_long(buf, window) {
                            return Some(event);
                        }
                    }
                },
                State::Raw { len } => {
                    if buf.len() < len {
                        return None;
                    }
                    self.state = State::Lines;
                    self.offset += len as u64;
                    return Some(Ok(LineEvent::Raw(buf.split_to(len).freeze())));
                }
                State::Discarding { discarded } => return self.discard(buf, discarded).map(Ok),
                State::Done => return None,
            }
        }
    }

    /// The common case of [`next_event`](LineDecoder::next_event), small
    /// enough to inline into callers: the next line ends at an LF already
    /// recorded, or at one in the next block. `None` when anything else is
    /// the case (no LF within the next block, another delimiter, another
    /// mode); then call `next_event`, which goes on from here.
    ///
    /// Returning the bare line lets callers build their event in place,
    /// instead of moving it through each layer's `Option<Result<..>>` and
    /// the poison check (9% of the instructions per 40-byte line).
    #[inline(always)]
    pub(crate) fn next_lf_line(&mut self, buf: &mut BytesMut) -> Option<Bytes> {
        let span = self.next_lf_span(buf)?;
        Some(cut(buf, span))
    }

    /// [`next_lf_line`](LineDecoder::next_lf_line) without the cut: takes the
    /// line (the caller must drop `span.end` bytes from the front of `buf`).
    #[inline(always)]
    fn next_lf_span(&mut self, buf: &[u8]) -> Option<LineSpan> {
        // `lf_mask` is only non-zero in line mode; a block is only searched
        // in line mode too, as `next_event` does before anything else.
        if self.lf_mask == 0
            && !(self.state == State::Lines
                && self.lf_blocks
                && !self.long_lines
                && self.scan_lf_block(buf))
        {
            return None;
        }
        Some(self.take_masked_line(buf))
    }

    /// With `lf_mask` empty, records the LFs of the next whole block after
    /// `scanned`, if the buffer holds one that ends within the length limit
    /// (else the general search takes over). Whether it found any.
    #[inline]
    fn scan_lf_block(&mut self, buf: &[u8]) -> bool {
        let start = self.scanned;
        let end = start + BLOCK;
        // An LF ending past `max + 1` bytes makes the line too long: leave
        // that to `next_line`, so every recorded LF ends a line within limits.
        if end > buf.len() || end > self.config.max_line.saturating_add(1) {
            return false;
        }
        let block = buf[start..end].try_into().expect("a whole block");
        self.lf_mask = lf_mask(block);
        self.mask_base = start;
        self.scanned = end;
        self.lf_mask != 0
    }

    /// Takes the line ending at the first LF of `lf_mask` (non-zero).
    /// Always inlined: building the event in place avoids a copy through the
    /// stack (a store-forwarding stall).
    #[inline(always)]
    fn take_masked_line(&mut self, buf: &[u8]) -> LineSpan {
        let bit = self.lf_mask.trailing_zeros() as usize;
        let at = self.mask_base + bit;
        let end = at + 1;
        // The remaining bits now count from the new buffer front.
        self.lf_mask = (self.lf_mask >> bit) >> 1;
        self.mask_base = 0;
        self.scanned -= end;
        self.offset += end as u64;
        let content = if at > 0 && buf[at - 1] == b'\r' {
            at - 1
        } else {
            at
        };
        LineSpan {
            end,
            len: if self.config.keep_delimiter {
                end
            } else {
                content
            },
        }
    }

    /// Line mode, after [`next_lf_span`](LineDecoder::next_lf_span) found
    /// nothing: finds the next complete line at the front of `buf` and takes
    /// it (the caller must drop `span.end` bytes from the front of `buf`).
    /// The one search behind both the owned path
    /// ([`next_event`](LineDecoder::next_event)) and the borrowed one
    /// ([`for_each_line`](LineDecoder::for_each_line)).
    #[inline]
    fn find_line(&mut self, buf: &[u8]) -> Found {
        if self.lf_blocks && !self.long_lines && self.scan_lf_block(buf) {
            return Found::Line(self.take_masked_line(buf));
        }
        let delimiter = &self.config.delimiter;
        let max = self.config.max_line;
        // A delimiter ending past `window` starts past `max`: no need to look.
        let window = buf.len().min(max.saturating_add(delimiter.counted_len()));
        let from = self.scanned.saturating_sub(delimiter.overlap());
        if let Some(found) = delimiter.find(&buf[..window], from) {
            self.scanned = 0;
            self.long_lines = found.end > LONG_LINE;
            self.offset += found.end as u64;
            return Found::Line(LineSpan {
                end: found.end,
                len: if self.config.keep_delimiter {
                    found.end
                } else {
                    found.content
                },
            });
        }
        self.scanned = window;
        if window < max.saturating_add(delimiter.counted_len()) {
            return Found::Incomplete; // could still end within the limit
        }
        Found::TooLong { window }
    }

    /// Line mode, the line at the front is over the limit (`window` bytes
    /// searched): an error, a piece, or a switch to discarding.
    fn too_long(
        &mut self,
        buf: &mut BytesMut,
        window: usize,
    ) -> Option<Result<LineEvent, LineError>> {
        let max = self.config.max_line;
        match self.config.overflow {
            Overflow::Fail => Some(Err(self.fail_too_long())),
            Overflow::Split => {
                // No delimiter starts before `max`, so the piece cuts none.
                self.scanned -= max;
                self.offset += max as u64;
                Some(Ok(LineEvent::Line {
                    bytes: buf.split_to(max).freeze(),
                    partial: true,
                }))
            }
            Overflow::Discard => {
                // Drop what was searched, except a possible delimiter start.
                let drop = window - self.config.delimiter.overlap();
                buf.advance(drop);
                self.offset += drop as u64;
                self.scanned = 0;
                self.state = State::Discarding { discarded: drop };
                None
            }
        }
    }

    /// [`Overflow::Fail`]: the decoder is done.
    #[cold]
    fn fail_too_long(&mut self) -> LineError {
        self.state = State::Done;
        LineError::LineTooLong {
            max: self.config.max_line,
            offset: self.offset,
        }
    }

    /// The borrowed fast path: hands each complete line at the front of
    /// `buf` to `f` (as [`LineEvent::Line`] would hold it), until `f`
    /// breaks, the next line is incomplete, or the decoder leaves line mode
    /// or meets a line over the limit under [`Overflow::Split`] or
    /// [`Overflow::Discard`]. Returns the lines handed out and the bytes
    /// they took up (to drop from the front of `buf`).
    ///
    /// # Errors
    ///
    /// [`LineError::LineTooLong`] with [`Overflow::Fail`], as from
    /// [`next_event`](LineDecoder::next_event); the decoder is then done.
    pub(crate) fn for_each_line(
        &mut self,
        buf: &[u8],
        mut f: impl FnMut(&[u8]) -> ControlFlow<()>,
    ) -> Result<Batch, LineError> {
        let mut batch = Batch::default();
        while self.state == State::Lines {
            let rest = &buf[batch.bytes..];
            let span = match self.next_lf_span(rest) {
                Some(span) => span,
                None => match self.find_line(rest) {
                    Found::Line(span) => span,
                    Found::Incomplete => break,
                    Found::TooLong { .. } if self.config.overflow == Overflow::Fail => {
                        return Err(self.fail_too_long());
                    }
                    // A piece or a discarded line: for `next_event`.
                    Found::TooLong { .. } => break,
                },
            };
            batch.bytes += span.end;
            batch.lines += 1;
            if f(&rest[..span.len]).is_break() {
                break;
            }
        }
        Ok(batch)
    }

    /// The borrowed fast path, for a caller that parses each line in place
    /// and keeps none: hands every complete line at the front of `buf` to
    /// `f` as a `&[u8]` (what [`LineEvent::Line`] would hold), in order,
    /// and drops them from `buf` once, at the end; returns how many lines
    /// `f` saw. Same lines, limits and errors as
    /// [`decode`](LineDecoder::decode), without a `Bytes` per line.
    ///
    /// The batch stops when `f` returns [`ControlFlow::Break`] (after the
    /// line it was given), when the next line is incomplete, and before
    /// anything that is not a plain line: a raw block (after
    /// [`expect_raw`](LineDecoder::expect_raw)), a line over the limit under
    /// [`Overflow::Split`] or [`Overflow::Discard`] and its discarding. Call
    /// [`decode`](LineDecoder::decode) (or at EOF
    /// [`decode_eof`](LineDecoder::decode_eof)) next, as usual: it hands out
    /// whatever stopped the batch, or says more input is needed.
    ///
    /// ```
    /// use std::ops::ControlFlow;
    /// use bytes::BytesMut;
    /// use wirestate_lines::{LineConfig, LineDecoder};
    ///
    /// let mut decoder = LineDecoder::new(LineConfig::default());
    /// let mut buf = BytesMut::from(&b"one\r\ntwo\nthr"[..]);
    /// let mut seen = Vec::new();
    /// let lines = decoder.decode_borrowed(&mut buf, |line| {
    ///     seen.push(line.to_vec());
    ///     ControlFlow::Continue(())
    /// })?;
    /// assert_eq!(lines, 2);
    /// assert_eq!(seen, [b"one".to_vec(), b"two".to_vec()]);
    /// assert_eq!(buf, &b"thr"[..]);
    /// # Ok::<(), wirestate_lines::LineError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`LineError::LineTooLong`] with [`Overflow::Fail`], after the lines
    /// before it; the decoder is then done, as after `decode`'s error.
    pub fn decode_borrowed(
        &mut self,
        buf: &mut BytesMut,
        f: impl FnMut(&[u8]) -> ControlFlow<()>,
    ) -> Result<usize, LineError> {
        let batch = self.for_each_line(buf, f)?;
        buf.advance(batch.bytes);
        Ok(batch.lines)
    }

    /// Discarding: drop bytes up to the next delimiter, keeping at most a
    /// delimiter's worth, then report the skipped line.
    fn discard(&mut self, buf: &mut BytesMut, discarded: usize) -> Option<LineEvent> {
        let delimiter = &self.config.delimiter;
        if let Some(found) = delimiter.find(buf, 0) {
            buf.advance(found.end);
            self.offset += found.end as u64;
            self.state = State::Lines;
            return Some(LineEvent::Oversize {
                discarded: discarded + found.counted,
            });
        }
        let drop = buf.len().saturating_sub(delimiter.overlap());
        buf.advance(drop);
        self.offset += drop as u64;
        self.state = State::Discarding {
            discarded: discarded + drop,
        };
        None
    }

    /// Like [`decode`](LineDecoder::decode), after the peer closed the stream:
    /// first the remaining complete events, then the unterminated remainder
    /// under the EOF policy, then `Ok(None)` (the decoder is done).
    ///
    /// # Errors
    ///
    /// As `decode`, plus [`LineError::PartialLineAtEof`] with
    /// [`EofPolicy::Error`] and [`LineError::TruncatedRaw`] when a raw block
    /// is incomplete (whatever the policy).
    pub fn decode_eof(&mut self, buf: &mut BytesMut) -> Result<Option<LineEvent>, LineError> {
        if let Some(event) = self.next_event(buf) {
            return event.map(Some);
        }
        let state = std::mem::replace(&mut self.state, State::Done);
        let rest = buf.len();
        self.offset += rest as u64;
        match state {
            State::Done => Ok(None),
            State::Raw { len } => Err(LineError::TruncatedRaw {
                expected: len,
                received: rest,
            }),
            State::Discarding { discarded } => {
                buf.clear();
                Ok(Some(LineEvent::Oversize {
                    discarded: discarded + rest,
                }))
            }
            State::Lines if rest == 0 => Ok(None),
            State::Lines => match self.config.eof {
                EofPolicy::Drop => {
                    buf.clear();
                    Ok(None)
                }
                EofPolicy::Error => Err(LineError::PartialLineAtEof { len: rest }),
                EofPolicy::Emit => {
                    let mut line = buf.split();
                    if self.config.delimiter.strips_cr() && line.last() == Some(&b'\r') {
                        if rest == 1 {
                            return Ok(None);
                        }
                        if !self.config.keep_delimiter {
                            line.truncate(rest - 1);
                        }
                    }
                    Ok(Some(LineEvent::Line {
                        bytes: line.freeze(),
                        partial: false,
                    }))
                }
            },
        }
    }
}

#[cfg(test)]
mod block_tests;
#[cfg(test)]
mod tests;
