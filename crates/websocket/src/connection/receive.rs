//! Frames in: sequencing (fragments, control frames in between), UTF-8
//! validation as bytes arrive, inflating compressed messages, the peer's
//! close.

use bytes::{Bytes, BytesMut};

use super::input::LARGE_FRAME;
use super::{State, WsConnection};
use crate::close::{encode_close_payload, parse_close_payload};
use crate::config::Delivery;
use crate::deflate::InflateLimit;
use crate::error::{ProtocolViolation, WsError};
use crate::event::WsEvent;
use crate::frame::{rsv, Frame, FrameHeader, OpCode, Step};
use crate::message::{DataKind, Fragment, Message, Utf8Bytes};

/// A data message whose frames are still arriving.
#[derive(Debug)]
pub(super) struct Partial {
    kind: DataKind,
    /// Payload bytes announced so far (for the message size limit).
    announced: u64,
    /// Earlier fragments ([`Delivery::Whole`] only); empty until a second
    /// fragment arrives, so single-frame messages are never copied.
    assembled: BytesMut,
    /// RSV1 was set on the first frame: the payload is deflated.
    compressed: bool,
    /// Inflated bytes so far of a compressed message ([`Delivery::Whole`]).
    inflated: Vec<u8>,
}

impl Partial {
    /// Bytes this message holds until it is complete.
    pub(super) fn held_bytes(&self) -> usize {
        self.assembled.capacity() + self.inflated.capacity()
    }
}

impl WsConnection {
    /// `poll_event` once the connection is open: the next event, or the
    /// fatal error (after [`fail`](Self::fail) queued its close frame).
    // Inlined into `poll_event`: an event is returned through one frame less.
    #[inline]
    pub(super) fn poll_frames(&mut self) -> Option<Result<WsEvent, WsError>> {
        if !matches!(self.state, State::Open | State::CloseSent) {
            return None;
        }
        match self.next_event() {
            Ok(Some(event)) => Some(Ok(event)),
            Ok(None) => None,
            Err(error) => Some(Err(self.fail(error))),
        }
    }

    /// Decodes until one event is ready.
    fn next_event(&mut self) -> Result<Option<WsEvent>, WsError> {
        loop {
            match self.decoder.decode(&mut self.input)? {
                Step::Frame(frame) => {
                    if !self.frame_started && self.is_single_frame_message(&frame.header) {
                        return self.single_frame_message(frame).map(Some);
                    }
                    if !self.frame_started {
                        self.start_frame(&frame.header)?;
                    }
                    self.frame_started = false;
                    let header = frame.header;
                    self.check_text(&header, &frame.payload[frame.unreported_from..])?;
                    if let Some(event) = self.finish_frame(frame)? {
                        return Ok(Some(event));
                    }
                    if self.state == State::Closed {
                        return Ok(None);
                    }
                }
                Step::Partial { header, fresh } => {
                    if !self.frame_started {
                        self.start_frame(&header)?;
                        if header.payload_len >= LARGE_FRAME as u64 {
                            self.reserve_frame(header.payload_len);
                        }
                    }
                    let input = std::mem::take(&mut self.input);
                    let checked = self.check_text(&header, &input[fresh]);
                    self.input = input;
                    checked?;
                }
                Step::NeedMore => {
                    if self.input.is_empty() && !self.spill.is_empty() {
                        self.take_spill();
                        continue;
                    }
                    if self.input.is_empty() {
                        // Idle: give the memory back. Even with no spare
                        // capacity left, an empty handle still keeps the
                        // allocation its split-off payloads came from alive.
                        self.input = BytesMut::new();
                    }
                    if self.peer_eof {
                        let buffered = self.input.len()
                            + self.spill.len()
                            + self.decoder.current().map_or(0, |h| h.header_len);
                        return Err(WsError::AbnormalClosure { buffered });
                    }
                    return Ok(None);
                }
            }
        }
    }

    /// Whether a frame that arrived whole is a complete data message that
    /// needs none of the sequencing state: no message in progress, not
    /// compressed, within the message size limit, delivered whole. Most
    /// small messages are; the general path's bookkeeping (a `Partial`
    /// made and dropped per frame) cost about a fifth of a 16-byte frame.
    #[inline(always)]
    fn is_single_frame_message(&self, header: &FrameHeader) -> bool {
        is_whole_message(header, self.config.max_message_size as u64)
            && self.message.is_none()
            && self.config.delivery == Delivery::Whole
    }

    /// The message of a frame that passed
    /// [`is_single_frame_message`](Self::is_single_frame_message): what
    /// `start_frame`, `check_text` and `finish_data` produce for it.
    #[inline(always)]
    fn single_frame_message(&mut self, frame: Frame) -> Result<WsEvent, WsError> {
        let Frame {
            header, payload, ..
        } = frame;
        if header.opcode == OpCode::Binary {
            return Ok(WsEvent::Message(Message::Binary(payload)));
        }
        let invalid = |e: crate::utf8::Utf8Error| WsError::InvalidUtf8 { offset: e.offset };
        if !payload.is_empty() {
            self.utf8.feed(&payload).map_err(invalid)?;
        }
        self.utf8.finish().map_err(invalid)?;
        Ok(WsEvent::Message(Message::Text(Utf8Bytes::from_validated(
            payload,
        ))))
    }

    /// Applies the sequencing rules to a frame whose header just arrived.
    ///
    /// Extension hook: once an extension owns RSV1 (see
    /// [`FrameDecoder::set_allowed_rsv`](crate::frame::FrameDecoder::set_allowed_rsv)),
    /// this is where a message's first frame marks it as transformed, and the
    /// payload goes through the extension's per-direction transform before
    /// UTF-8 validation.
    // Inlined as before the split into files: an out-of-line call per
    // frame cost about 10% on 16-byte frames (benches/websocket.rs).
    #[inline(always)]
    fn start_frame(&mut self, header: &FrameHeader) -> Result<(), WsError> {
        self.frame_started = true;
        let whole = self.config.delivery == Delivery::Whole;
        let limit = self.config.max_message_size as u64;
        let compressed = header.rsv & rsv::RSV1 != 0;
        match header.opcode {
            OpCode::Text | OpCode::Binary => {
                if self.message.is_some() {
                    return Err(ProtocolViolation::ExpectedContinuation.into());
                }
                if whole && header.payload_len > limit {
                    return Err(WsError::MessageTooBig {
                        len: header.payload_len,
                        limit,
                    });
                }
                self.message = Some(Partial {
                    kind: if header.opcode == OpCode::Text {
                        DataKind::Text
                    } else {
                        DataKind::Binary
                    },
                    announced: header.payload_len,
                    assembled: BytesMut::new(),
                    compressed,
                    inflated: Vec::new(),
                });
            }
            OpCode::Continuation => {
                let Some(message) = self.message.as_mut() else {
                    return Err(ProtocolViolation::UnexpectedContinuation.into());
                };
                if compressed {
                    return Err(ProtocolViolation::CompressedContinuation.into());
                }
                let total = message.announced.saturating_add(header.payload_len);
                if whole && total > limit {
                    return Err(WsError::MessageTooBig { len: total, limit });
                }
                message.announced = total;
            }
            OpCode::Close | OpCode::Ping | OpCode::Pong if compressed => {
                return Err(ProtocolViolation::CompressedControl.into());
            }
            OpCode::Close | OpCode::Ping | OpCode::Pong => {}
        }
        Ok(())
    }

    /// Validates payload bytes of a text message as soon as they are
    /// unmasked, so invalid UTF-8 fails at once.
    fn check_text(&mut self, header: &FrameHeader, bytes: &[u8]) -> Result<(), WsError> {
        if header.opcode.is_control() || bytes.is_empty() {
            return Ok(());
        }
        match &self.message {
            // Compressed text is validated after inflating.
            Some(m) if m.kind == DataKind::Text && !m.compressed => self
                .utf8
                .feed(bytes)
                .map_err(|e| WsError::InvalidUtf8 { offset: e.offset }),
            _ => Ok(()),
        }
    }

    /// Handles a complete frame; returns the event it produces, if any.
    fn finish_frame(&mut self, frame: Frame) -> Result<Option<WsEvent>, WsError> {
        let Frame {
            header, payload, ..
        } = frame;
        match header.opcode {
            OpCode::Ping => {
                if self.config.auto_pong && self.state == State::Open {
                    self.write_frame(OpCode::Pong, true, 0, payload.clone());
                }
                Ok(Some(WsEvent::Ping(payload)))
            }
            OpCode::Pong => Ok(Some(WsEvent::Pong(payload))),
            OpCode::Close => self.finish_close(&payload).map(Some),
            OpCode::Text | OpCode::Binary | OpCode::Continuation => {
                self.finish_data(header.fin, payload)
            }
        }
    }

    /// The peer's close frame: echoed unless we sent ours, and the end.
    fn finish_close(&mut self, payload: &Bytes) -> Result<WsEvent, WsError> {
        let close = parse_close_payload(payload)?;
        if self.state == State::Open {
            // Echo the code and reason (already valid) back.
            let echo = match &close {
                Some(c) => encode_close_payload(Some(c)).unwrap_or_default(),
                None => Bytes::new(),
            };
            self.write_frame(OpCode::Close, true, 0, echo);
        }
        self.end(State::Closed);
        Ok(WsEvent::Close(close))
    }

    /// A complete data frame: a fragment (streaming), a whole message, or
    /// nothing yet (an earlier fragment of a whole message).
    fn finish_data(&mut self, fin: bool, payload: Bytes) -> Result<Option<WsEvent>, WsError> {
        let Some(message) = self.message.as_mut() else {
            // start_frame guarantees a message; stay safe anyway.
            return Err(ProtocolViolation::UnexpectedContinuation.into());
        };
        let kind = message.kind;
        if message.compressed {
            return self.finish_compressed(fin, &payload);
        }
        if fin && kind == DataKind::Text {
            self.utf8
                .finish()
                .map_err(|e| WsError::InvalidUtf8 { offset: e.offset })?;
        }
        match self.config.delivery {
            Delivery::Streaming => {
                if fin {
                    self.message = None;
                }
                Ok(Some(WsEvent::Fragment(Fragment { kind, payload, fin })))
            }
            Delivery::Whole => {
                if !fin {
                    message.assembled.extend_from_slice(&payload);
                    return Ok(None);
                }
                let whole = if message.assembled.is_empty() {
                    payload
                } else {
                    message.assembled.extend_from_slice(&payload);
                    std::mem::take(&mut message.assembled).freeze()
                };
                self.message = None;
                Ok(Some(WsEvent::Message(match kind {
                    DataKind::Text => Message::Text(Utf8Bytes::from_validated(whole)),
                    DataKind::Binary => Message::Binary(whole),
                })))
            }
        }
    }

    /// Inflates one frame of a compressed message (validating text as it
    /// comes out); returns the message when it is complete, or in streaming
    /// delivery the frame's inflated bytes.
    fn finish_compressed(&mut self, fin: bool, payload: &[u8]) -> Result<Option<WsEvent>, WsError> {
        let (Some(deflate), Some(message)) = (self.deflate.as_mut(), self.message.as_mut()) else {
            // RSV1 is refused unless deflate was negotiated.
            return Err(ProtocolViolation::ReservedBits(rsv::RSV1 >> 4).into());
        };
        let kind = message.kind;
        let streaming = self.config.delivery == Delivery::Streaming;
        let (mut piece, limit) = if streaming {
            (Vec::new(), self.config.max_frame_size as u64)
        } else {
            (
                std::mem::take(&mut message.inflated),
                self.config.max_message_size as u64,
            )
        };
        let utf8 = &mut self.utf8;
        let mut check = |bytes: &[u8]| match kind {
            DataKind::Text => utf8
                .feed(bytes)
                .map_err(|e| WsError::InvalidUtf8 { offset: e.offset }),
            DataKind::Binary => Ok(()),
        };
        deflate
            .inflater
            .inflate(payload, fin, &mut piece, InflateLimit(limit), &mut check)?;
        if fin {
            deflate.inflater.end_message();
            if kind == DataKind::Text {
                self.utf8
                    .finish()
                    .map_err(|e| WsError::InvalidUtf8 { offset: e.offset })?;
            }
            self.message = None;
        } else if !streaming {
            message.inflated = piece;
            return Ok(None);
        }
        let payload = Bytes::from(piece);
        Ok(Some(if streaming {
            WsEvent::Fragment(Fragment { kind, payload, fin })
        } else {
            WsEvent::Message(match kind {
                DataKind::Text => Message::Text(Utf8Bytes::from_validated(payload)),
                DataKind::Binary => Message::Binary(payload),
            })
        }))
    }
}

/// Whether a frame is a whole data message by itself: final, uncompressed,
/// data, within the message size limit (`parse_header` checked the frame
/// size limit).
#[inline(always)]
pub(super) fn is_whole_message(header: &FrameHeader, max_message: u64) -> bool {
    header.fin
        && header.rsv == 0
        && matches!(header.opcode, OpCode::Binary | OpCode::Text)
        && header.payload_len <= max_message
}
