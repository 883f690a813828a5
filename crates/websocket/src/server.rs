//! [`WsServer`]: the server role, from the upgrade request to the close.

use std::time::Instant;

use bytes::{Bytes, BytesMut};
use wirestate_core::Machine;

use crate::config::Config;
use crate::connection::{Connection, Role};
use crate::deflate::{server_answer, DeflateParams};
use crate::error::{LocalError, WsError};
use crate::handshake::server::{accept_response, failure_response, parse_request, reject_response};
use crate::handshake::{Accept, HandshakeError, HeadScanner, Reject};
use crate::message::{Event, Utf8Bytes};
use crate::Command;

#[derive(Debug)]
enum Phase {
    /// Collecting the request head.
    Reading(HeadScanner),
    /// The request was reported; waiting for accept or reject.
    Deciding {
        key: Vec<u8>,
        protocols: Vec<String>,
        /// The permessage-deflate parameters to answer with, if an offer was
        /// acceptable.
        deflate: Option<DeflateParams>,
    },
    /// Accepted: the connection runs.
    Open,
    /// Rejected, or the request was invalid: only the answer is left to send.
    Done,
}

/// A WebSocket server connection: validates the upgrade request, lets the
/// application accept or reject it, then runs the [`Connection`].
///
/// ```
/// use std::time::Instant;
/// use wirestate_core::Machine;
/// use wirestate_websocket::{Accept, Config, Event, Message, WsServer};
///
/// let now = Instant::now();
/// let mut server = WsServer::new(Config::default());
/// server.handle_input(
///     b"GET /chat HTTP/1.1\r\nHost: example.com\r\nUpgrade: websocket\r\n\
///       Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
///       Sec-WebSocket-Version: 13\r\n\r\n\
///       \x81\x82\x01\x02\x03\x04\x49\x6b", // a masked "Hi" in the same read
///     now,
/// );
/// let Some(Ok(Event::Request(request))) = server.poll_event() else { panic!() };
/// assert_eq!(request.path, "/chat");
/// server.accept(Accept::default()).unwrap();
/// let response = server.poll_transmit().unwrap();
/// assert!(response.starts_with(b"HTTP/1.1 101 Switching Protocols\r\n"));
/// // The frame that came with the request was kept for after the handshake.
/// let Some(Ok(Event::Message(Message::Text(text)))) = server.poll_event() else { panic!() };
/// assert_eq!(text, "Hi");
/// ```
/// Timers ([`Config::keepalive`], [`Config::idle_timeout`]) run once the
/// connection is open; to bound the opening handshake too (a peer that
/// connects and says nothing), wrap the machine in
/// [`wirestate_core::IdleTimeout`], whose clock starts at construction.
#[derive(Debug)]
pub struct WsServer {
    conn: Connection,
    phase: Phase,
    auto_accept: bool,
}

impl WsServer {
    /// A server waiting for an upgrade request. Each valid request is reported
    /// as [`Event::Request`]; answer it with [`accept`](Self::accept) or
    /// [`reject`](Self::reject).
    pub fn new(config: Config) -> Self {
        WsServer {
            conn: Connection::build(Role::Server, config, None),
            phase: Phase::Reading(HeadScanner::default()),
            auto_accept: false,
        }
    }

    /// A server that accepts every valid request at once (no subprotocol, no
    /// extra headers), still reporting it as [`Event::Request`]: for echo
    /// servers, tests and fuzzing.
    pub fn auto_accept(config: Config) -> Self {
        WsServer {
            auto_accept: true,
            ..WsServer::new(config)
        }
    }

    /// Accepts the reported request: queues the `101` answer, and frames are
    /// read from now on (including any that arrived with the request).
    pub fn accept(&mut self, accept: Accept) -> Result<(), LocalError> {
        let Phase::Deciding {
            key,
            protocols,
            deflate,
        } = &self.phase
        else {
            return Err(LocalError::NoPendingRequest);
        };
        let deflate = *deflate;
        let response = match deflate {
            Some(params) => {
                let mut accept = accept;
                accept
                    .headers
                    .push(("Sec-WebSocket-Extensions".into(), params.header_value()));
                accept_response(key, protocols, &accept)?
            }
            None => accept_response(key, protocols, &accept)?,
        };
        self.conn.push_transmit(response);
        if let Some(params) = deflate {
            self.conn.set_deflate(params);
        }
        self.phase = Phase::Open;
        Ok(())
    }

    /// Rejects the reported request with an HTTP response (e.g. 401 with
    /// `WWW-Authenticate`); the machine is closed once it is sent.
    pub fn reject(&mut self, reject: Reject) -> Result<(), LocalError> {
        if !matches!(self.phase, Phase::Deciding { .. }) {
            return Err(LocalError::NoPendingRequest);
        }
        let response = reject_response(&reject)?;
        self.conn.push_transmit(response);
        self.phase = Phase::Done;
        self.conn.finish_silently();
        Ok(())
    }

    /// Whether the handshake completed and messages can be sent.
    pub fn is_open(&self) -> bool {
        matches!(self.phase, Phase::Open)
    }

    /// The connection (for its state), once accepted.
    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    fn open_conn(&mut self) -> Result<&mut Connection, LocalError> {
        match self.phase {
            Phase::Open => Ok(&mut self.conn),
            Phase::Done => Err(LocalError::Closing),
            _ => Err(LocalError::NotOpen),
        }
    }

    /// Queues a text message ([`Connection::send_text`]).
    pub fn send_text(&mut self, text: impl Into<Utf8Bytes>) -> Result<(), LocalError> {
        self.open_conn()?.send_text(text)
    }

    /// Queues a binary message, zero-copy ([`Connection::send_binary`]).
    pub fn send_binary(&mut self, data: impl Into<Bytes>) -> Result<(), LocalError> {
        self.open_conn()?.send_binary(data)
    }

    /// Queues a ping ([`Connection::ping`]).
    pub fn ping(&mut self, payload: impl Into<Bytes>) -> Result<(), LocalError> {
        self.open_conn()?.ping(payload)
    }

    /// Queues a pong ([`Connection::pong`]).
    pub fn pong(&mut self, payload: impl Into<Bytes>) -> Result<(), LocalError> {
        self.open_conn()?.pong(payload)
    }

    /// Starts the close handshake ([`Connection::close`]).
    pub fn close(&mut self, code: u16, reason: &str) -> Result<(), LocalError> {
        self.open_conn()?.close(code, reason)
    }

    fn read_request(&mut self) -> Option<Result<Event, WsError>> {
        let Phase::Reading(scanner) = &mut self.phase else {
            return None;
        };
        let limit = self.conn.config().max_handshake_size;
        let max_headers = self.conn.config().max_headers;
        let outcome = match scanner.scan(self.conn.input_mut(), limit) {
            Ok(Some(end)) => {
                let head = self.conn.input_mut().split_to(end);
                parse_request(&head, max_headers)
            }
            Ok(None) if self.conn.peer_eof() => Err(HandshakeError::Eof),
            Ok(None) => return None,
            Err(e) => Err(e),
        };
        match outcome {
            Ok(request) => {
                if self.conn.input_mut().is_empty() {
                    *self.conn.input_mut() = BytesMut::new();
                }
                let deflate = self
                    .conn
                    .config()
                    .deflate
                    .as_ref()
                    .and_then(|config| server_answer(&request.extensions, config));
                self.phase = Phase::Deciding {
                    key: request.key.clone(),
                    protocols: request.protocols.clone(),
                    deflate,
                };
                if self.auto_accept {
                    // Cannot fail: no subprotocol, no headers.
                    let _ = self.accept(Accept::default());
                }
                Some(Ok(Event::Request(Box::new(request))))
            }
            Err(error) => {
                if error != HandshakeError::Eof {
                    self.conn.push_transmit(failure_response(&error));
                }
                self.phase = Phase::Done;
                self.conn.finish_silently();
                Some(Err(WsError::Handshake(error)))
            }
        }
    }
}

impl Machine for WsServer {
    type Event = Event;
    type Command = Command;
    type Error = WsError;

    fn handle_input(&mut self, data: &[u8], now: Instant) {
        self.conn.append_input(data);
        self.handle_buffered_input(now);
    }

    fn input_buffer(&mut self) -> &mut BytesMut {
        self.conn.input_mut()
    }

    fn handle_buffered_input(&mut self, now: Instant) {
        self.conn.note_input(now);
    }

    fn handle_eof(&mut self, now: Instant) {
        self.conn.handle_eof(now);
    }

    fn handle_timeout(&mut self, now: Instant) {
        if matches!(self.phase, Phase::Open) {
            self.conn.handle_timeout(now);
        }
    }

    fn handle_command(&mut self, cmd: Command, _now: Instant) -> Result<(), WsError> {
        let result = match cmd {
            Command::Accept(accept) => self.accept(accept),
            Command::Reject(reject) => self.reject(reject),
            other => self.open_conn().and_then(|conn| conn.command(other)),
        };
        result.map_err(WsError::Local)
    }

    fn poll_event(&mut self) -> Option<Result<Event, WsError>> {
        match self.phase {
            Phase::Reading(_) => self.read_request(),
            Phase::Deciding { .. } | Phase::Done => None,
            Phase::Open => self.conn.poll_event(),
        }
    }

    fn poll_transmit(&mut self) -> Option<Bytes> {
        self.conn.poll_transmit()
    }

    fn poll_timeout(&self) -> Option<Instant> {
        match self.phase {
            Phase::Open => self.conn.poll_timeout(),
            _ => None,
        }
    }

    /// During the handshake: until the head limit; while the application
    /// decides: no; then as [`Connection::wants_read`].
    fn wants_read(&self) -> bool {
        match &self.phase {
            Phase::Reading(_) => !self.conn.peer_eof(),
            Phase::Deciding { .. } | Phase::Done => false,
            Phase::Open => self.conn.wants_read(),
        }
    }

    fn input_needed(&self) -> Option<usize> {
        match self.phase {
            Phase::Open => self.conn.input_needed(),
            _ => None,
        }
    }

    fn is_closed(&self) -> bool {
        match self.phase {
            Phase::Done => true,
            Phase::Open => self.conn.is_closed(),
            _ => false,
        }
    }
}
