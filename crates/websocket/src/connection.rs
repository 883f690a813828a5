//! The post-handshake machine: frames in, messages out; messages in, frames
//! out; the close handshake, pings and timers. [`WsServer`](crate::WsServer)
//! and [`WsClient`](crate::WsClient) run the opening handshake and then hand
//! everything to a [`Connection`]; it can also be used on its own when the
//! upgrade was done elsewhere (an HTTP server that hands over the socket).
//!
//! # Memory
//!
//! Input handed to `handle_input` is unmasked while it is copied in (input a
//! driver reads into [`input_buffer`](Machine::input_buffer) is unmasked in
//! place), and payloads are split off the input buffer, so a single-frame
//! message is never copied again. Buffered at most: the frame in
//! progress (`max_frame_size` + 14 header bytes), plus in
//! [`Delivery::Whole`] the fragments of one message (`max_message_size`, of
//! inflated bytes for a compressed message, whose compressed frame is freed
//! once inflated).
//! Between messages the input buffer and the transmit queue are released, so
//! an idle connection owns no heap memory besides the client's random source:
//! measured on x86_64 (`tests/idle_heap.rs`, a counting allocator), an idle
//! [`WsServer`](crate::WsServer) is its 864 inline bytes and nothing on the
//! heap; a [`WsClient`](crate::WsClient) adds its boxed random source (32
//! bytes for `SeededRandom`).
//!
//! With permessage-deflate, the zlib states that must outlive a message
//! (context takeover) stay; measured the same way after a compressed message
//! each way: with the server defaults ([`DeflateConfig::server`]) an idle
//! server holds 47 KiB (inflating the client's 12-bit window); with context
//! takeover both ways and 12-bit windows, 306 KiB per side (zlib's deflate
//! state is about 260 KiB at flate2's fixed memory level 8, whatever the
//! window); without context takeover either way, nothing.
//!
//! # EOF policy
//!
//! EOF before the close handshake (including in the middle of a frame, whose
//! bytes are dropped) ends with [`WsError::AbnormalClosure`], close code 1006,
//! which is reported locally and never sent. EOF after the close handshake is
//! the normal end.

use std::collections::VecDeque;
use std::time::Instant;

use bytes::{BufMut, Bytes, BytesMut};
use wirestate_core::{Machine, RandomSource};

use crate::close::{encode_close_payload, parse_close_payload, CloseFrame};
use crate::config::{Config, Delivery};
use crate::deflate::{DeflateConfig, DeflateParams, Deflater, InflateLimit, Inflater};
use crate::error::{LocalError, ProtocolViolation, WsError};
use crate::frame::{
    encode_header, rsv, Frame, FrameDecoder, FrameHeader, FrameRules, OpCode, Step,
};
use crate::mask::apply_mask;
use crate::message::{DataKind, Event, Fragment, Message, Utf8Bytes};
use crate::utf8::Utf8Validator;
use crate::Command;

/// Which end of the connection this machine is: it decides the masking rules
/// (clients mask what they send, servers must not).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Accepted the connection; expects masked frames, sends unmasked ones.
    Server,
    /// Opened the connection; sends masked frames, expects unmasked ones.
    Client,
}

/// Input buffered beyond this (in complete frames the application has not
/// pulled yet) turns `wants_read` off.
const READ_HIGH_WATER: usize = 64 << 10;

/// Frames of this size or more get an unshared input buffer while they arrive.
const LARGE_FRAME: usize = 4 << 10;

/// A frame too large to reserve whole starts with a buffer of this size (or
/// twice the bytes already here): one ordinary read buffer.
const LARGE_FRAME_FLOOR: usize = 128 << 10;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Both directions open.
    Open,
    /// We sent a close frame and wait for the peer's.
    CloseSent,
    /// The close handshake completed (or we echoed the peer's close).
    Closed,
    /// A fatal error happened (reported or about to be).
    Failed,
}

/// A data message whose frames are still arriving.
#[derive(Debug)]
struct Partial {
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

/// permessage-deflate in force on a connection.
struct Deflate {
    params: DeflateParams,
    deflater: Deflater,
    inflater: Inflater,
    threshold: usize,
}

/// Keepalive and idle timers, driven by the times passed to `handle_*`.
#[derive(Debug, Default, Clone, Copy)]
struct Timers {
    last_input: Option<Instant>,
    ping_sent: Option<Instant>,
}

/// The WebSocket frame, message and close machine for one role, after the
/// opening handshake.
///
/// ```
/// use std::time::Instant;
/// use wirestate_core::Machine;
/// use wirestate_websocket::{Config, Connection, Event, Message, Role};
///
/// let mut server = Connection::new(Role::Server, Config::default());
/// // A masked text frame "Hi" from a client (mask key 01 02 03 04).
/// server.handle_input(&[0x81, 0x82, 1, 2, 3, 4, b'H' ^ 1, b'i' ^ 2], Instant::now());
/// match server.poll_event() {
///     Some(Ok(Event::Message(Message::Text(text)))) => assert_eq!(text, "Hi"),
///     other => panic!("{other:?}"),
/// }
/// server.send_text("Hello").unwrap();
/// // A server's frame goes out as the header, then the payload itself.
/// assert_eq!(&server.poll_transmit().unwrap()[..], [0x81, 5]);
/// assert_eq!(&server.poll_transmit().unwrap()[..], b"Hello");
/// ```
pub struct Connection {
    role: Role,
    config: Config,
    rng: Option<Box<dyn RandomSource + Send>>,
    input: BytesMut,
    /// Input that arrived after the end of a large frame in progress, kept
    /// apart so the frame's buffer need not grow past the frame (it follows
    /// `input` on the wire).
    spill: BytesMut,
    decoder: FrameDecoder,
    /// Whether the sequencing rules were applied to the frame in progress.
    frame_started: bool,
    message: Option<Partial>,
    utf8: Utf8Validator,
    out: VecDeque<Bytes>,
    state: State,
    pending_error: Option<WsError>,
    peer_eof: bool,
    timers: Timers,
    deflate: Option<Deflate>,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("role", &self.role)
            .field("state", &self.state)
            .field("buffered", &self.input.len())
            .field("queued_transmits", &self.out.len())
            .finish_non_exhaustive()
    }
}

impl Connection {
    /// A server-side connection (expects masked frames). For a client, use
    /// [`Connection::client`], which needs a random source for masks.
    pub fn new(role: Role, config: Config) -> Self {
        Self::build(role, config, None)
    }

    /// A client-side connection drawing its mask keys from `rng`.
    pub fn client(config: Config, rng: impl RandomSource + Send + 'static) -> Self {
        Self::build(Role::Client, config, Some(Box::new(rng)))
    }

    pub(crate) fn build(
        role: Role,
        config: Config,
        rng: Option<Box<dyn RandomSource + Send>>,
    ) -> Self {
        let rules = FrameRules {
            require_mask: Some(role == Role::Server),
            allowed_rsv: 0,
            max_frame_size: config.max_frame_size as u64,
        };
        Connection {
            role,
            config,
            rng,
            input: BytesMut::new(),
            spill: BytesMut::new(),
            decoder: FrameDecoder::new(rules),
            frame_started: false,
            message: None,
            utf8: Utf8Validator::default(),
            out: VecDeque::new(),
            state: State::Open,
            pending_error: None,
            peer_eof: false,
            timers: Timers::default(),
            deflate: None,
        }
    }

    /// Turns on permessage-deflate with the parameters agreed in the
    /// handshake (the handshake machines call this; call it yourself when
    /// the upgrade happened elsewhere). The threshold and level come from
    /// `config.deflate`, or the [`DeflateConfig::client`] defaults. RSV1 is
    /// accepted from then on; call it before any frame is decoded.
    ///
    /// ```
    /// use wirestate_websocket::{Config, Connection, DeflateParams, Role};
    /// let mut server = Connection::new(Role::Server, Config::default());
    /// server.set_deflate(DeflateParams::default());
    /// assert_eq!(server.deflate(), Some(DeflateParams::default()));
    /// ```
    pub fn set_deflate(&mut self, params: DeflateParams) {
        let settings = self
            .config
            .deflate
            .clone()
            .unwrap_or_else(DeflateConfig::client);
        let (ours, theirs) = match self.role {
            Role::Server => (
                (
                    params.server_max_window_bits,
                    params.server_no_context_takeover,
                ),
                (
                    params.client_max_window_bits,
                    params.client_no_context_takeover,
                ),
            ),
            Role::Client => (
                (
                    params.client_max_window_bits,
                    params.client_no_context_takeover,
                ),
                (
                    params.server_max_window_bits,
                    params.server_no_context_takeover,
                ),
            ),
        };
        self.deflate = Some(Deflate {
            params,
            deflater: Deflater::new(settings.level, ours.0, !ours.1),
            inflater: Inflater::new(theirs.0, !theirs.1),
            threshold: settings.threshold,
        });
        self.decoder.set_allowed_rsv(rsv::RSV1);
    }

    /// The permessage-deflate parameters in force, if it was negotiated.
    pub fn deflate(&self) -> Option<DeflateParams> {
        self.deflate.as_ref().map(|d| d.params)
    }

    /// This machine's role.
    pub fn role(&self) -> Role {
        self.role
    }

    /// The configuration in force.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Bytes of input buffered and not decoded yet (excluding reassembled
    /// fragments).
    pub fn buffered(&self) -> usize {
        self.input.len() + self.spill.len()
    }

    /// Queues a text message, split into frames of at most
    /// [`Config::fragment_size`]. Poll transmits next.
    ///
    /// Fails with [`LocalError::Closing`] once a close frame was sent or
    /// received.
    pub fn send_text(&mut self, text: impl Into<Utf8Bytes>) -> Result<(), LocalError> {
        self.send_data(OpCode::Text, text.into().into_bytes())
    }

    /// Queues a binary message, split into frames of at most
    /// [`Config::fragment_size`]. A server sends `data` itself, without
    /// copying it. Poll transmits next.
    pub fn send_binary(&mut self, data: impl Into<Bytes>) -> Result<(), LocalError> {
        self.send_data(OpCode::Binary, data.into())
    }

    /// Queues a ping (payload at most 125 bytes).
    pub fn ping(&mut self, payload: impl Into<Bytes>) -> Result<(), LocalError> {
        self.send_control(OpCode::Ping, payload.into())
    }

    /// Queues an unsolicited pong (payload at most 125 bytes). Pings are
    /// answered automatically unless [`Config::auto_pong`] is off.
    pub fn pong(&mut self, payload: impl Into<Bytes>) -> Result<(), LocalError> {
        self.send_control(OpCode::Pong, payload.into())
    }

    /// Starts the close handshake with `code` (1000-1003, 1007-1014,
    /// 3000-4999) and a reason of at most 123 bytes. Afterwards nothing but
    /// the peer's close is expected; data frames that were already in flight
    /// are still delivered. The machine is closed once the peer's close
    /// arrives.
    pub fn close(&mut self, code: u16, reason: &str) -> Result<(), LocalError> {
        self.close_with(Some(&CloseFrame {
            code,
            reason: Utf8Bytes::from(reason.to_string()),
        }))
    }

    /// Starts the close handshake with an empty close frame (no code).
    pub fn close_without_code(&mut self) -> Result<(), LocalError> {
        self.close_with(None)
    }

    fn close_with(&mut self, close: Option<&CloseFrame>) -> Result<(), LocalError> {
        if self.state != State::Open {
            return Err(LocalError::Closing);
        }
        let payload = encode_close_payload(close)?;
        self.write_frame(OpCode::Close, true, 0, payload);
        self.state = State::CloseSent;
        // Nothing more is compressed on this connection.
        if let Some(deflate) = self.deflate.as_mut() {
            deflate.deflater.release();
        }
        Ok(())
    }

    fn send_data(&mut self, opcode: OpCode, payload: Bytes) -> Result<(), LocalError> {
        if self.state != State::Open {
            return Err(LocalError::Closing);
        }
        let (payload, mut bits) = match self.deflate.as_mut() {
            Some(d) if payload.len() >= d.threshold => (
                d.deflater.compress(&payload).ok_or(LocalError::Deflate)?,
                rsv::RSV1,
            ),
            _ => (payload, 0),
        };
        let size = self.config.fragment_size.max(1);
        if payload.len() <= size {
            self.write_frame(opcode, true, bits, payload);
            return Ok(());
        }
        let mut rest = payload;
        let mut op = opcode;
        while !rest.is_empty() {
            let piece = rest.split_to(size.min(rest.len()));
            // RSV1 marks the message, so only its first frame carries it.
            self.write_frame(op, rest.is_empty(), bits, piece);
            op = OpCode::Continuation;
            bits = 0;
        }
        Ok(())
    }

    fn send_control(&mut self, opcode: OpCode, payload: Bytes) -> Result<(), LocalError> {
        if self.state != State::Open {
            return Err(LocalError::Closing);
        }
        if payload.len() > 125 {
            return Err(LocalError::ControlTooLong(payload.len()));
        }
        self.write_frame(opcode, true, 0, payload);
        Ok(())
    }

    /// Queues one frame: a server queues the header and the payload as two
    /// pieces (no copy); a client masks a copy of the payload behind the
    /// header.
    fn write_frame(&mut self, opcode: OpCode, fin: bool, rsv: u8, payload: Bytes) {
        match self.rng.as_mut().filter(|_| self.role == Role::Client) {
            None => {
                let mut header = BytesMut::with_capacity(10);
                encode_header(&mut header, fin, rsv, opcode, None, payload.len() as u64);
                self.out.push_back(header.freeze());
                if !payload.is_empty() {
                    self.out.push_back(payload);
                }
            }
            Some(rng) => {
                let key = rng.next_u32().to_be_bytes();
                let mut frame = BytesMut::with_capacity(14 + payload.len());
                encode_header(
                    &mut frame,
                    fin,
                    rsv,
                    opcode,
                    Some(key),
                    payload.len() as u64,
                );
                let start = frame.len();
                frame.put_slice(&payload);
                apply_mask(&mut frame[start..], key, 0);
                self.out.push_back(frame.freeze());
            }
        }
    }

    /// Executes a [`Command`] (the generic form of the `send_*` methods).
    pub(crate) fn command(&mut self, cmd: Command) -> Result<(), LocalError> {
        match cmd {
            Command::Text(t) => self.send_text(t),
            Command::Binary(b) => self.send_binary(b),
            Command::Ping(p) => self.ping(p),
            Command::Pong(p) => self.pong(p),
            Command::Close(c) => self.close_with(c.as_ref()),
            Command::Accept(_) | Command::Reject(_) => Err(LocalError::WrongRole("connection")),
        }
    }

    /// Records a fatal error: queues the matching close frame (unless one was
    /// sent already or the code is never sent), drops buffered input, and
    /// returns the error for reporting.
    fn fail(&mut self, error: WsError) -> WsError {
        if self.state == State::Open {
            if let Some(code) = error.close_code().filter(|&c| c != 1006) {
                let mut reason = error.to_string();
                truncate_at_char_boundary(&mut reason, 123);
                if let Ok(payload) = encode_close_payload(Some(&CloseFrame {
                    code,
                    reason: Utf8Bytes::from(reason),
                })) {
                    self.write_frame(OpCode::Close, true, 0, payload);
                }
            }
        }
        self.state = State::Failed;
        self.input = BytesMut::new();
        self.spill = BytesMut::new();
        self.message = None;
        self.release_deflate();
        error
    }

    /// The connection is over: zlib state is no longer needed.
    fn release_deflate(&mut self) {
        if let Some(deflate) = self.deflate.as_mut() {
            deflate.deflater.release();
            deflate.inflater.release();
        }
    }

    /// Applies the sequencing rules to a frame whose header just arrived.
    ///
    /// Extension hook: once an extension owns RSV1 (see
    /// [`FrameDecoder::set_allowed_rsv`]), this is where a message's first
    /// frame marks it as transformed, and the payload goes through the
    /// extension's per-direction transform before UTF-8 validation.
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
    fn finish_frame(&mut self, frame: Frame) -> Result<Option<Event>, WsError> {
        let Frame {
            header, payload, ..
        } = frame;
        match header.opcode {
            OpCode::Ping => {
                if self.config.auto_pong && self.state == State::Open {
                    self.write_frame(OpCode::Pong, true, 0, payload.clone());
                }
                Ok(Some(Event::Ping(payload)))
            }
            OpCode::Pong => Ok(Some(Event::Pong(payload))),
            OpCode::Close => {
                let close = parse_close_payload(&payload)?;
                if self.state == State::Open {
                    // Echo the code and reason (already valid) back.
                    let echo = match &close {
                        Some(c) => encode_close_payload(Some(c)).unwrap_or_default(),
                        None => Bytes::new(),
                    };
                    self.write_frame(OpCode::Close, true, 0, echo);
                }
                self.state = State::Closed;
                self.input = BytesMut::new();
                self.spill = BytesMut::new();
                self.message = None;
                self.release_deflate();
                Ok(Some(Event::Close(close)))
            }
            OpCode::Text | OpCode::Binary | OpCode::Continuation => {
                let Some(message) = self.message.as_mut() else {
                    // start_frame guarantees a message; stay safe anyway.
                    return Err(ProtocolViolation::UnexpectedContinuation.into());
                };
                let kind = message.kind;
                if message.compressed {
                    return self.finish_compressed(header.fin, &payload);
                }
                if header.fin && kind == DataKind::Text {
                    self.utf8
                        .finish()
                        .map_err(|e| WsError::InvalidUtf8 { offset: e.offset })?;
                }
                match self.config.delivery {
                    Delivery::Streaming => {
                        if header.fin {
                            self.message = None;
                        }
                        Ok(Some(Event::Fragment(Fragment {
                            kind,
                            payload,
                            fin: header.fin,
                        })))
                    }
                    Delivery::Whole => {
                        if !header.fin {
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
                        Ok(Some(Event::Message(match kind {
                            DataKind::Text => Message::Text(Utf8Bytes::from_validated(whole)),
                            DataKind::Binary => Message::Binary(whole),
                        })))
                    }
                }
            }
        }
    }

    /// Inflates one frame of a compressed message (validating text as it
    /// comes out); returns the message when it is complete, or in streaming
    /// delivery the frame's inflated bytes.
    fn finish_compressed(&mut self, fin: bool, payload: &[u8]) -> Result<Option<Event>, WsError> {
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
            Event::Fragment(Fragment { kind, payload, fin })
        } else {
            Event::Message(match kind {
                DataKind::Text => Message::Text(Utf8Bytes::from_validated(payload)),
                DataKind::Binary => Message::Binary(payload),
            })
        }))
    }

    /// Decodes until one event is ready.
    fn next_event(&mut self) -> Result<Option<Event>, WsError> {
        loop {
            match self.decoder.decode(&mut self.input)? {
                Step::Frame(frame) => {
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
                        // The spilled bytes come next, at the front of a
                        // buffer sized for their frame (see `append_input`).
                        self.input = std::mem::take(&mut self.spill);
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

    /// A large frame is arriving: reserve room for it, sized by
    /// [`frame_reservation`] (the frame's length was already checked against
    /// the limits), so a frame up to `eager_reserve` never grows again.
    ///
    /// `BytesMut::reserve` reuses the allocation when no split-off payload
    /// still shares it (the application dropped them), moving the frame's
    /// first bytes to its front; otherwise it copies them to a new one.
    fn reserve_frame(&mut self, payload_len: u64) {
        // The header was already consumed: only payload bytes are buffered.
        let want = frame_reservation(0, payload_len, self.input.len(), self.config.eager_reserve);
        self.input.reserve(want.saturating_sub(self.input.len()));
    }

    fn timers_active(&self) -> bool {
        matches!(self.state, State::Open | State::CloseSent) && self.pending_error.is_none()
    }

    pub(crate) fn note_input(&mut self, now: Instant) {
        self.timers.last_input = Some(now);
        self.timers.ping_sent = None;
        if !matches!(self.state, State::Open | State::CloseSent) {
            // Finished: whatever the peer still sends is ignored.
            self.input = BytesMut::new();
            self.spill = BytesMut::new();
        }
    }

    /// The buffer to append received bytes to (spilled bytes first merged
    /// back, so appending keeps the wire order).
    pub(crate) fn input_mut(&mut self) -> &mut BytesMut {
        if !self.spill.is_empty() {
            let spill = std::mem::take(&mut self.spill);
            self.input.extend_from_slice(&spill);
        }
        &mut self.input
    }

    /// Appends received bytes, unmasking payload bytes of the frame in
    /// progress on the way. While a large frame arrives, bytes past its end
    /// go to `spill`, so every large frame starts at the front of a buffer
    /// of its own: its buffer never grows past it (which would copy the
    /// whole frame so far), and the next frame's bytes are never moved to
    /// make room.
    pub(crate) fn append_input(&mut self, data: &[u8]) {
        if !self.spill.is_empty() {
            self.spill.extend_from_slice(data);
            return;
        }
        let large = self
            .decoder
            .current()
            .is_some_and(|h| h.payload_len >= LARGE_FRAME as u64);
        if !large {
            self.decoder.append_payload(&mut self.input, data);
            return;
        }
        let missing = self.decoder.payload_missing(self.input.len());
        let (payload, rest) = data.split_at(missing.min(data.len()));
        self.decoder.append_payload(&mut self.input, payload);
        if rest.is_empty() {
            return;
        }
        // The rest starts with the next frame's header: size the spill for
        // that frame right away, so it can become the input buffer without
        // another copy (within the same bound as `reserve_frame`).
        let limits = (
            self.config.max_frame_size as u64,
            self.config.max_message_size as u64,
        );
        let next = match crate::frame::parse_header(rest, self.decoder.rules()) {
            Ok(Some(h))
                if h.payload_len >= LARGE_FRAME as u64
                    && h.payload_len <= limits.0.min(limits.1) =>
            {
                frame_reservation(
                    h.header_len,
                    h.payload_len,
                    rest.len(),
                    self.config.eager_reserve,
                )
            }
            _ => 0,
        };
        self.spill = BytesMut::with_capacity(next.max(rest.len()));
        self.decoder.append_next(&mut self.spill, rest);
    }

    pub(crate) fn push_transmit(&mut self, bytes: Bytes) {
        self.out.push_back(bytes);
    }

    pub(crate) fn peer_eof(&self) -> bool {
        self.peer_eof
    }

    /// Marks the whole machine finished without an error of its own (a
    /// rejected or failed handshake).
    pub(crate) fn finish_silently(&mut self) {
        self.state = State::Failed;
        self.input = BytesMut::new();
    }
}

/// The buffer size reserved for a frame whose length passed the limits, with
/// `buffered` of its bytes (header included) already here: the whole frame
/// if its payload is at most `eager_reserve`, so it never grows (no copy);
/// otherwise [`LARGE_FRAME_FLOOR`] or twice what arrived, whichever is
/// larger, after which the buffer grows with the bytes that arrive
/// (amortized doubling). A peer that announces a frame and goes quiet thus
/// pins at most `max(eager_reserve, 128 KiB)` plus the header.
fn frame_reservation(header_len: usize, payload_len: u64, buffered: usize, eager: usize) -> usize {
    let frame = (header_len as u64).saturating_add(payload_len);
    if payload_len <= eager as u64 {
        return frame as usize;
    }
    let step = (LARGE_FRAME_FLOOR as u64).max(2 * buffered as u64);
    frame.min(step) as usize
}

fn truncate_at_char_boundary(s: &mut String, max: usize) {
    if s.len() > max {
        let mut at = max;
        while !s.is_char_boundary(at) {
            at -= 1;
        }
        s.truncate(at);
    }
}

impl Machine for Connection {
    type Event = Event;
    type Command = Command;
    type Error = WsError;

    fn handle_input(&mut self, data: &[u8], now: Instant) {
        self.append_input(data);
        self.note_input(now);
    }

    fn input_buffer(&mut self) -> &mut BytesMut {
        self.input_mut()
    }

    /// Records the arrival time (keepalive and idle timers); decoding happens
    /// in `poll_event`.
    fn handle_buffered_input(&mut self, now: Instant) {
        self.note_input(now);
    }

    /// See the module's EOF policy.
    fn handle_eof(&mut self, now: Instant) {
        let _ = now;
        self.peer_eof = true;
    }

    /// Sends a keepalive ping, or fails the connection when a pong or any
    /// input is overdue, or on idle timeout.
    fn handle_timeout(&mut self, now: Instant) {
        if !self.timers_active() {
            return;
        }
        let Some(last) = self.timers.last_input else {
            return;
        };
        if let Some(idle) = self.config.idle_timeout {
            if now >= last + idle {
                let error = self.fail(WsError::IdleTimeout(idle));
                self.pending_error = Some(error);
                return;
            }
        }
        if let (Some(keepalive), State::Open) = (self.config.keepalive, self.state) {
            match self.timers.ping_sent {
                Some(sent) if now >= sent + keepalive.timeout => {
                    let error = self.fail(WsError::KeepaliveTimeout(keepalive.timeout));
                    self.pending_error = Some(error);
                }
                None if now >= last + keepalive.interval => {
                    self.write_frame(OpCode::Ping, true, 0, Bytes::new());
                    self.timers.ping_sent = Some(now);
                }
                _ => {}
            }
        }
    }

    fn handle_command(&mut self, cmd: Command, _now: Instant) -> Result<(), WsError> {
        self.command(cmd).map_err(WsError::Local)
    }

    fn poll_event(&mut self) -> Option<Result<Event, WsError>> {
        if self.pending_error.is_some() {
            return self.pending_error.take().map(Err);
        }
        if !matches!(self.state, State::Open | State::CloseSent) {
            return None;
        }
        match self.next_event() {
            Ok(Some(event)) => Some(Ok(event)),
            Ok(None) => None,
            Err(error) => Some(Err(self.fail(error))),
        }
    }

    /// Frames in order; a server's data frame is two pieces (header, payload).
    fn poll_transmit(&mut self) -> Option<Bytes> {
        let next = self.out.pop_front();
        if self.out.is_empty() && self.out.capacity() > 0 {
            self.out = VecDeque::new();
        }
        next
    }

    fn poll_timeout(&self) -> Option<Instant> {
        if !self.timers_active() {
            return None;
        }
        let last = self.timers.last_input?;
        let idle = self.config.idle_timeout.map(|d| last + d);
        let keepalive = match (self.config.keepalive, self.state) {
            (Some(k), State::Open) => Some(match self.timers.ping_sent {
                Some(sent) => sent + k.timeout,
                None => last + k.interval,
            }),
            _ => None,
        };
        match (idle, keepalive) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    fn wants_read(&self) -> bool {
        let needed = self.decoder.current().map_or(0, |h| h.payload_len as usize);
        matches!(self.state, State::Open | State::CloseSent)
            && !self.peer_eof
            && self.input.len() + self.spill.len() < READ_HIGH_WATER.max(needed)
    }

    /// The rest of a large frame, whose room was reserved when its header
    /// arrived (so a driver reads into it instead of growing the buffer).
    fn input_needed(&self) -> Option<usize> {
        let header = self.decoder.current()?;
        if header.payload_len < LARGE_FRAME as u64 || !self.spill.is_empty() {
            return None;
        }
        Some(self.decoder.payload_missing(self.input.len())).filter(|&n| n > 0)
    }

    fn is_closed(&self) -> bool {
        matches!(self.state, State::Closed | State::Failed)
    }
}
