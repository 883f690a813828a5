//! [`WsClient`]: the client role, from the upgrade request to the close.

use std::time::Instant;

use bytes::{Bytes, BytesMut};
use wirestate_core::{Machine, RandomSource};

use crate::config::Config;
use crate::connection::{Connection, Role};
use crate::deflate::client_offer;
use crate::error::{LocalError, WsError};
use crate::handshake::client::parse_response;
use crate::handshake::{ClientRequest, HandshakeError, HeadScanner};
use crate::message::{Event, Utf8Bytes};
use crate::Command;

#[derive(Debug)]
enum Phase {
    /// The request is queued; collecting the response head.
    Reading {
        scanner: HeadScanner,
        key: String,
        protocols: Vec<String>,
    },
    /// The server accepted: the connection runs.
    Open,
    /// The handshake failed.
    Done,
}

/// A WebSocket client connection: writes the upgrade request, validates the
/// server's answer, then runs the [`Connection`] (masking every frame with
/// keys from the injected random source).
///
/// ```
/// use std::time::Instant;
/// use wirestate_core::{Machine, SeededRandom};
/// use wirestate_websocket::{ClientRequest, Config, Event, Message, WsClient};
///
/// let now = Instant::now();
/// let request = ClientRequest::new("example.com", "/chat").with_key("dGhlIHNhbXBsZSBub25jZQ==");
/// let mut client = WsClient::new(request, Config::default(), SeededRandom::new(1)).unwrap();
/// let hello = client.poll_transmit().unwrap();
/// assert!(hello.starts_with(b"GET /chat HTTP/1.1\r\nHost: example.com\r\n"));
/// client.handle_input(
///     b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
///       Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n\x81\x02Hi",
///     now,
/// );
/// assert!(matches!(client.poll_event(), Some(Ok(Event::Connected(_)))));
/// let Some(Ok(Event::Message(Message::Text(text)))) = client.poll_event() else { panic!() };
/// assert_eq!(text, "Hi");
/// client.send_text("Hello").unwrap();
/// let frame = client.poll_transmit().unwrap();
/// assert_eq!(frame[1], 0x80 | 5); // masked, 5 bytes
/// ```
/// Timers ([`Config::keepalive`], [`Config::idle_timeout`]) run once the
/// connection is open; to bound the opening handshake too (a peer that
/// connects and says nothing), wrap the machine in
/// [`wirestate_core::IdleTimeout`], whose clock starts at construction.
#[derive(Debug)]
pub struct WsClient {
    conn: Connection,
    phase: Phase,
}

impl WsClient {
    /// A client that has queued its upgrade request (poll transmits first).
    /// The `Sec-WebSocket-Key` and every mask key come from `rng`.
    ///
    /// Fails if a request header or the path would break the HTTP head.
    pub fn new(
        request: ClientRequest,
        config: Config,
        rng: impl RandomSource + Send + 'static,
    ) -> Result<Self, LocalError> {
        let mut rng: Box<dyn RandomSource + Send> = Box::new(rng);
        let request = match &config.deflate {
            Some(deflate) => request.header("Sec-WebSocket-Extensions", client_offer(deflate)),
            None => request,
        };
        let (head, key) = request.encode(&mut *rng)?;
        let mut conn = Connection::build(Role::Client, config, Some(rng));
        conn.push_transmit(head);
        Ok(WsClient {
            conn,
            phase: Phase::Reading {
                scanner: HeadScanner::default(),
                key,
                protocols: request.protocols,
            },
        })
    }

    /// Whether the handshake completed and messages can be sent.
    pub fn is_open(&self) -> bool {
        matches!(self.phase, Phase::Open)
    }

    /// The connection (for its state).
    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    fn open_conn(&mut self) -> Result<&mut Connection, LocalError> {
        match self.phase {
            Phase::Open => Ok(&mut self.conn),
            Phase::Done => Err(LocalError::Closing),
            Phase::Reading { .. } => Err(LocalError::NotOpen),
        }
    }

    /// Queues a masked text message ([`Connection::send_text`]).
    pub fn send_text(&mut self, text: impl Into<Utf8Bytes>) -> Result<(), LocalError> {
        self.open_conn()?.send_text(text)
    }

    /// Queues a masked binary message ([`Connection::send_binary`]).
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

    fn read_response(&mut self) -> Option<Result<Event, WsError>> {
        let Phase::Reading {
            scanner,
            key,
            protocols,
        } = &mut self.phase
        else {
            return None;
        };
        let limit = self.conn.config().max_handshake_size;
        let max_headers = self.conn.config().max_headers;
        let outcome = match scanner.scan(self.conn.input_mut(), limit) {
            Ok(Some(end)) => {
                let head = self.conn.input_mut().split_to(end);
                let deflate = self.conn.config().deflate.as_ref();
                parse_response(&head, key, protocols, max_headers, deflate)
            }
            Ok(None) if self.conn.peer_eof() => Err(HandshakeError::Eof),
            Ok(None) => return None,
            Err(e) => Err(e),
        };
        match outcome {
            Ok(response) => {
                if let Some(params) = response.deflate {
                    self.conn.set_deflate(params);
                }
                if self.conn.input_mut().is_empty() {
                    *self.conn.input_mut() = BytesMut::new();
                }
                self.phase = Phase::Open;
                Some(Ok(Event::Connected(Box::new(response))))
            }
            Err(error) => {
                self.phase = Phase::Done;
                self.conn.finish_silently();
                Some(Err(WsError::Handshake(error)))
            }
        }
    }
}

impl Machine for WsClient {
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
        match cmd {
            Command::Accept(_) | Command::Reject(_) => Err(LocalError::WrongRole("client")),
            other => self.open_conn().and_then(|conn| conn.command(other)),
        }
        .map_err(WsError::Local)
    }

    fn poll_event(&mut self) -> Option<Result<Event, WsError>> {
        match self.phase {
            Phase::Reading { .. } => self.read_response(),
            Phase::Done => None,
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

    fn wants_read(&self) -> bool {
        match self.phase {
            Phase::Reading { .. } => !self.conn.peer_eof(),
            Phase::Done => false,
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
            Phase::Reading { .. } => false,
        }
    }
}
