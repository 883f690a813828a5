//! Frames out: messages (fragmented, compressed), control frames, our close,
//! and the close frame that reports a fatal error to the peer.

use bytes::{BufMut, Bytes, BytesMut};

use super::handshake_phase::Phase;
use super::{Role, State, WsConnection, WsTimer};
use crate::close::{encode_close_payload, CloseFrame};
use crate::error::{LocalError, WsError};
use crate::frame::{encode_header, header_len, rsv, OpCode};
use crate::mask::apply_mask;
use crate::message::{Message, Utf8Bytes};

/// Unmasked payloads up to this size are copied behind their header: the
/// copy costs less than the allocation and the write slice a second piece
/// takes (the echo benchmark's 16 B to 1 KiB messages).
const COPY_PAYLOAD_UP_TO: usize = 1024;

impl WsConnection {
    /// Queues a text message, split into frames of at most
    /// [`WsConfig::fragment_size`](crate::WsConfig::fragment_size). Poll
    /// transmits next.
    ///
    /// ```
    /// use wirestate_core::Machine;
    /// use wirestate_websocket::{Role, WsConfig, WsConnection};
    ///
    /// let mut server = WsConnection::accepted_server(WsConfig::default(), None);
    /// server.send_text("Hello").unwrap();
    /// assert_eq!(&server.poll_transmit().unwrap()[..], b"\x81\x05Hello");
    /// ```
    ///
    /// # Errors
    ///
    /// [`LocalError::NotOpen`] before the opening handshake completed;
    /// [`LocalError::Closing`] once a close frame was sent or received (or
    /// the handshake failed); [`LocalError::Deflate`] if zlib refused to
    /// compress. Nothing is queued on error.
    pub fn send_text(&mut self, text: impl Into<Utf8Bytes>) -> Result<(), LocalError> {
        self.send_data(OpCode::Text, text.into().into_bytes())
    }

    /// Queues a binary message, split into frames of at most
    /// [`WsConfig::fragment_size`](crate::WsConfig::fragment_size). A server
    /// sends `data` itself, without copying it, when it is over 1 KiB;
    /// smaller payloads are copied behind their frame header, which is
    /// cheaper than a second piece. Poll transmits next.
    ///
    /// # Errors
    ///
    /// As [`send_text`](Self::send_text).
    pub fn send_binary(&mut self, data: impl Into<Bytes>) -> Result<(), LocalError> {
        self.send_data(OpCode::Binary, data.into())
    }

    /// Queues `message` as it is: [`send_text`](Self::send_text) for text,
    /// [`send_binary`](Self::send_binary) for binary. Sending a received
    /// [`Message`] back is an echo, without a copy of a large payload.
    ///
    /// ```
    /// use std::time::Instant;
    /// use wirestate_core::{Machine, SeededRandom};
    /// use wirestate_websocket::{Message, WsConfig, WsConnection, WsEvent};
    ///
    /// let now = Instant::now();
    /// let mut client = WsConnection::accepted_client(WsConfig::default(), None, SeededRandom::new(1));
    /// let mut server = WsConnection::accepted_server(WsConfig::default(), None);
    /// client.send_text("echo me").unwrap();
    /// while let Some(bytes) = client.poll_transmit() {
    ///     server.handle_input(&bytes, now);
    /// }
    /// let Some(Ok(WsEvent::Message(message))) = server.poll_event() else { panic!() };
    /// server.send(message).unwrap();
    /// while let Some(bytes) = server.poll_transmit() {
    ///     client.handle_input(&bytes, now);
    /// }
    /// let Some(Ok(WsEvent::Message(Message::Text(text)))) = client.poll_event() else { panic!() };
    /// assert_eq!(text, "echo me");
    /// ```
    ///
    /// # Errors
    ///
    /// As [`send_text`](Self::send_text).
    pub fn send(&mut self, message: Message) -> Result<(), LocalError> {
        match message {
            Message::Text(text) => self.send_text(text),
            Message::Binary(data) => self.send_binary(data),
        }
    }

    /// Queues a ping (payload at most 125 bytes).
    ///
    /// # Errors
    ///
    /// [`LocalError::NotOpen`] or [`LocalError::Closing`] as for
    /// [`send_text`](Self::send_text); [`LocalError::ControlTooLong`] for a
    /// payload over 125 bytes.
    pub fn ping(&mut self, payload: impl Into<Bytes>) -> Result<(), LocalError> {
        self.send_control(OpCode::Ping, payload.into())
    }

    /// Queues an unsolicited pong (payload at most 125 bytes). Pings are
    /// answered automatically unless
    /// [`WsConfig::auto_pong`](crate::WsConfig::auto_pong) is off.
    ///
    /// # Errors
    ///
    /// As [`ping`](Self::ping).
    pub fn pong(&mut self, payload: impl Into<Bytes>) -> Result<(), LocalError> {
        self.send_control(OpCode::Pong, payload.into())
    }

    /// Starts the close handshake with `code` (1000-1003, 1007-1014,
    /// 3000-4999) and a reason of at most 123 bytes. Afterwards nothing but
    /// the peer's close is expected; data frames that were already in flight
    /// are still delivered. The machine is closed once the peer's close
    /// arrives.
    ///
    /// # Errors
    ///
    /// [`LocalError::NotOpen`] or [`LocalError::Closing`] as for
    /// [`send_text`](Self::send_text); [`LocalError::InvalidCloseCode`] or
    /// [`LocalError::CloseReasonTooLong`] for what may not be sent.
    pub fn close(&mut self, code: u16, reason: &str) -> Result<(), LocalError> {
        self.close_with(Some(&CloseFrame {
            code,
            reason: Utf8Bytes::from(reason.to_string()),
        }))
    }

    /// Starts the close handshake with an empty close frame (no code).
    ///
    /// # Errors
    ///
    /// [`LocalError::NotOpen`] or [`LocalError::Closing`] as for
    /// [`send_text`](Self::send_text).
    pub fn close_without_code(&mut self) -> Result<(), LocalError> {
        self.close_with(None)
    }

    /// What permessage-deflate compressed of the messages sent so far
    /// (`None` without permessage-deflate): a server's compression ratio
    /// is `compressed / uncompressed`. Messages under the threshold go out
    /// uncompressed and are not counted.
    pub fn deflate_totals(&self) -> Option<crate::DeflateTotals> {
        self.deflate.as_ref().map(|d| d.deflater.totals())
    }

    /// `handle_shutdown`: close 1001 (going away) once open, or gives the
    /// handshake up (a server that has not answered says 503). Returns
    /// whether our close awaits the peer's (it cannot after the peer's
    /// EOF).
    pub(super) fn shut_down(&mut self) -> bool {
        if !matches!(self.phase, Phase::Open) {
            self.abandon_handshake(503);
            return false;
        }
        if self.state == State::Open {
            // Cannot fail: open, and 1001 with no reason may be sent.
            let _ = self.close(1001, "");
        }
        self.state == State::CloseSent && !self.peer_eof
    }

    /// Whether the opening handshake is done, so frames may be sent.
    fn ensure_open(&self) -> Result<(), LocalError> {
        match self.phase {
            Phase::Open => Ok(()),
            Phase::Done => Err(LocalError::Closing),
            _ => Err(LocalError::NotOpen),
        }
    }

    pub(super) fn close_with(&mut self, close: Option<&CloseFrame>) -> Result<(), LocalError> {
        self.ensure_open()?;
        if self.state != State::Open {
            return Err(LocalError::Closing);
        }
        let payload = encode_close_payload(close)?;
        self.write_frame(OpCode::Close, true, 0, payload);
        self.state = State::CloseSent;
        // Keepalive pings stop with our close; the idle timeout still runs.
        self.timers.stop(WsTimer::Keepalive);
        self.timers.stop(WsTimer::PongTimeout);
        // Nothing more is compressed on this connection.
        if let Some(deflate) = self.deflate.as_mut() {
            deflate.deflater.release();
        }
        Ok(())
    }

    fn send_data(&mut self, opcode: OpCode, payload: Bytes) -> Result<(), LocalError> {
        self.ensure_open()?;
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
        self.ensure_open()?;
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
    pub(super) fn write_frame(&mut self, opcode: OpCode, fin: bool, rsv: u8, payload: Bytes) {
        match self.rng.as_mut().filter(|_| self.role == Role::Client) {
            None => {
                let len = payload.len();
                // Sized exactly, so `freeze` needs no second allocation; a
                // small payload is copied behind its header, one piece to
                // queue and write instead of two.
                let header_len = header_len(len as u64, false);
                let small = len <= COPY_PAYLOAD_UP_TO;
                let mut frame = BytesMut::with_capacity(header_len + if small { len } else { 0 });
                encode_header(&mut frame, fin, rsv, opcode, None, len as u64);
                if small {
                    frame.put_slice(&payload);
                    self.out.push(frame.freeze());
                } else {
                    self.out.push(frame.freeze());
                    self.out.push(payload);
                }
            }
            Some(rng) => {
                let key = rng.next_u32().to_be_bytes();
                let len = payload.len() as u64;
                let mut frame = BytesMut::with_capacity(header_len(len, true) + payload.len());
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
                self.out.push(frame.freeze());
            }
        }
    }

    /// Records a fatal error: queues the matching close frame (unless one was
    /// sent already or the code is never sent), drops buffered input and
    /// stops the timers, and returns the error for reporting.
    pub(super) fn fail(&mut self, error: WsError) -> WsError {
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
        self.end(State::Failed);
        error
    }

    /// The connection is over (closed or failed): timers stop, and buffered
    /// input, a partial message and zlib state are no longer needed.
    pub(super) fn end(&mut self, state: State) {
        self.state = state;
        self.timers.stop_all();
        self.input = BytesMut::new();
        self.spill = BytesMut::new();
        self.message = None;
        if let Some(deflate) = self.deflate.as_mut() {
            deflate.deflater.release();
            deflate.inflater.release();
        }
    }
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
