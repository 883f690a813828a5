//! [`WsConnection`]: one WebSocket connection in either role, from the
//! opening handshake to the close.
//!
//! The role is data ([`Role`]): it decides the handshake side (a server reads
//! the request, a client writes it and reads the answer) and the masking
//! rules. The opening handshake is the first phase of the connection
//! (`handshake_phase.rs`); then frames come in (`receive.rs`) through the
//! input buffer (`input.rs`) and go out (`send.rs`).
//!
//! # Memory
//!
//! Input handed to `handle_input` is unmasked while it is copied in (input a
//! driver reads into [`input_buffer`](Machine::input_buffer) is unmasked in
//! place), and payloads are split off the input buffer, so a single-frame
//! message is never copied again. Buffered at most: the frame in progress
//! (`max_frame_size` + 14 header bytes), plus in
//! [`Delivery::Whole`](crate::Delivery::Whole) the fragments of one message
//! (`max_message_size` of inflated bytes for a compressed message, whose
//! compressed frame is freed once inflated): [`Machine::held_bytes`].
//! Between messages the input buffer and the transmit queue are released, so
//! an idle connection owns no heap memory besides the client's random source:
//! measured on x86_64 (`tests/idle_heap.rs`, a counting allocator), an idle
//! server-role [`WsConnection`] is its 1008 inline bytes and nothing on the heap;
//! a client adds its boxed random source (32 bytes for `SeededRandom`).
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
//! the normal end. EOF during the opening handshake is
//! [`HandshakeError::Eof`](crate::HandshakeError::Eof).

mod borrowed;
mod handshake_phase;
mod input;
mod receive;
mod send;
mod timers;

use std::time::Instant;

use bytes::{Bytes, BytesMut};
use wirestate_core::{Machine, Poison, RandomSource, TimerTable, TransmitQueue};

use crate::config::WsConfig;
use crate::deflate::{DeflateConfig, DeflateParams, Deflater, Inflater};
use crate::error::{LocalError, WsError};
use crate::event::WsEvent;
use crate::frame::{rsv, FrameDecoder, FrameRules};
use crate::handshake::ClientRequest;
use crate::utf8::Utf8Validator;
use crate::WsCommand;

use handshake_phase::Phase;
use receive::Partial;
pub use timers::WsTimer;

/// Which end of the connection this machine is: it decides the handshake
/// side and the masking rules (clients mask, servers must not).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Accepted the connection; expects masked frames, sends unmasked ones.
    Server,
    /// Opened the connection; sends masked frames, expects unmasked ones.
    Client,
}

/// Where the frame layer is in the close handshake.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Both directions open.
    Open,
    /// We sent a close frame and wait for the peer's.
    CloseSent,
    /// The close handshake completed (or we echoed the peer's close).
    Closed,
    /// A fatal error happened, or the opening handshake failed.
    Failed,
}

/// permessage-deflate in force on a connection.
struct Deflate {
    params: DeflateParams,
    deflater: Deflater,
    inflater: Inflater,
    threshold: usize,
}

/// One WebSocket connection, client or server: the opening handshake, then
/// framing, masking, fragmentation, UTF-8 validation, pings, timers and the
/// close handshake.
///
/// Make one with [`client`](Self::client) (queues the upgrade request),
/// [`server`](Self::server) (waits for one and lets the application
/// [`accept`](Self::accept) or [`reject`](Self::reject) it),
/// [`server_auto_accept`](Self::server_auto_accept), or
/// [`accepted_server`](Self::accepted_server) when an HTTP server did the
/// upgrade ([`accepted_client`](Self::accepted_client) for a client).
///
/// ```
/// use std::time::Instant;
/// use wirestate_core::Machine;
/// use wirestate_websocket::{Accept, WsConfig, WsConnection, WsEvent, Message};
///
/// let now = Instant::now();
/// let mut server = WsConnection::server(WsConfig::default());
/// server.handle_input(
///     b"GET /chat HTTP/1.1\r\nHost: example.com\r\nUpgrade: websocket\r\n\
///       Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
///       Sec-WebSocket-Version: 13\r\n\r\n\
///       \x81\x82\x01\x02\x03\x04\x49\x6b", // a masked "Hi" in the same read
///     now,
/// );
/// let Some(Ok(WsEvent::Request(request))) = server.poll_event() else { panic!() };
/// assert_eq!(request.path, "/chat");
/// server.accept(Accept::default()).unwrap();
/// let response = server.poll_transmit().unwrap();
/// assert!(response.starts_with(b"HTTP/1.1 101 Switching Protocols\r\n"));
/// // The frame that came with the request was kept for after the handshake.
/// let Some(Ok(WsEvent::Message(Message::Text(text)))) = server.poll_event() else { panic!() };
/// assert_eq!(text, "Hi");
/// server.send_text("Hello").unwrap();
/// // A server's small frame goes out in one piece, header and payload.
/// assert_eq!(&server.poll_transmit().unwrap()[..], b"\x81\x05Hello");
/// ```
///
/// Deadlines ([`WsTimer`]): the opening handshake must complete within
/// [`WsConfig::handshake_timeout`] (default 10 s) of
/// [`handle_connected`](Machine::handle_connected), however slowly the peer
/// trickles it and however long a [`server`](Self::server)'s application
/// waits to accept; queued bytes the peer does not take for
/// [`WsConfig::send_timeout`] (default 30 s, fed by
/// [`handle_written`](Machine::handle_written)) end the connection in any
/// state. Keepalive pings ([`WsConfig::keepalive`]) and the idle timeout
/// ([`WsConfig::idle_timeout`]) run once the connection is open.
/// [`handle_shutdown`](Machine::handle_shutdown) says goodbye with close
/// 1001 (or a 503 during a server's handshake).
pub struct WsConnection {
    role: Role,
    config: WsConfig,
    /// The client's source of the handshake key and the mask keys.
    rng: Option<Box<dyn RandomSource + Send>>,
    phase: Phase,
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
    out: TransmitQueue,
    state: State,
    poison: Poison<WsError>,
    peer_eof: bool,
    timers: TimerTable<WsTimer>,
    deflate: Option<Deflate>,
}

impl std::fmt::Debug for WsConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WsConnection")
            .field("role", &self.role)
            .field("phase", &self.phase)
            .field("state", &self.state)
            .field("buffered", &self.buffered())
            .field("queued_transmits", &self.out.len())
            .field("timers", &self.timers)
            .finish_non_exhaustive()
    }
}

impl WsConnection {
    /// A client that has queued its upgrade request (poll transmits first).
    /// With [`WsConfig::deflate`] set, the request offers permessage-deflate.
    /// The `Sec-WebSocket-Key` and every mask key come from `rng`.
    ///
    /// ```
    /// use std::time::Instant;
    /// use wirestate_core::{Machine, SeededRandom};
    /// use wirestate_websocket::{ClientRequest, WsConfig, WsConnection, WsEvent, Message};
    ///
    /// let now = Instant::now();
    /// let request = ClientRequest::new("example.com", "/chat").with_key("dGhlIHNhbXBsZSBub25jZQ==");
    /// let mut client = WsConnection::client(request, WsConfig::default(), SeededRandom::new(1)).unwrap();
    /// let hello = client.poll_transmit().unwrap();
    /// assert!(hello.starts_with(b"GET /chat HTTP/1.1\r\nHost: example.com\r\n"));
    /// client.handle_input(
    ///     b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
    ///       Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n\x81\x02Hi",
    ///     now,
    /// );
    /// assert!(matches!(client.poll_event(), Some(Ok(WsEvent::Connected(_)))));
    /// let Some(Ok(WsEvent::Message(Message::Text(text)))) = client.poll_event() else { panic!() };
    /// assert_eq!(text, "Hi");
    /// client.send_text("Hello").unwrap();
    /// let frame = client.poll_transmit().unwrap();
    /// assert_eq!(frame[1], 0x80 | 5); // masked, 5 bytes
    /// ```
    ///
    /// # Errors
    ///
    /// [`LocalError::InvalidHeader`] if a request header or the path would
    /// break the HTTP head.
    pub fn client(
        request: ClientRequest,
        config: WsConfig,
        rng: impl RandomSource + Send + 'static,
    ) -> Result<Self, LocalError> {
        let mut rng: Box<dyn RandomSource + Send> = Box::new(rng);
        let request = match &config.deflate {
            Some(deflate) => {
                request.header("Sec-WebSocket-Extensions", crate::deflate_offer(deflate))
            }
            None => request,
        };
        let (head, key) = request.encode(&mut *rng)?;
        let phase = Phase::client(key, request.protocols);
        let mut conn = Self::build(Role::Client, config, Some(rng), phase);
        conn.out.push(head);
        Ok(conn)
    }

    /// A server waiting for an upgrade request. Each valid request is
    /// reported as [`WsEvent::Request`]; answer it with
    /// [`accept`](Self::accept) or [`reject`](Self::reject).
    pub fn server(config: WsConfig) -> Self {
        Self::build(Role::Server, config, None, Phase::server(false))
    }

    /// A server that accepts every valid request at once (no subprotocol, no
    /// extra headers; permessage-deflate if [`WsConfig::deflate`] allows
    /// the offer), still reporting it as [`WsEvent::Request`]: for echo
    /// servers, tests and fuzzing.
    pub fn server_auto_accept(config: WsConfig) -> Self {
        Self::build(Role::Server, config, None, Phase::server(true))
    }

    /// A server connection whose opening handshake happened elsewhere (an
    /// HTTP server that did the upgrade, a replayed capture): it starts
    /// open, with permessage-deflate on if `deflate` holds the agreed
    /// parameters (see [`negotiate_deflate`](crate::negotiate_deflate)). A
    /// server sends unmasked frames, so it takes no random source.
    ///
    /// ```
    /// use std::time::Instant;
    /// use wirestate_core::Machine;
    /// use wirestate_websocket::{DeflateParams, Message, WsConfig, WsConnection, WsEvent};
    ///
    /// let params = DeflateParams::default();
    /// let mut server = WsConnection::accepted_server(WsConfig::default(), Some(params));
    /// assert_eq!(server.deflate(), Some(params));
    /// // A masked text frame "Hi" from a client (mask key 01 02 03 04).
    /// server.handle_input(&[0x81, 0x82, 1, 2, 3, 4, b'H' ^ 1, b'i' ^ 2], Instant::now());
    /// let Some(Ok(WsEvent::Message(Message::Text(text)))) = server.poll_event() else { panic!() };
    /// assert_eq!(text, "Hi");
    /// ```
    pub fn accepted_server(config: WsConfig, deflate: Option<DeflateParams>) -> Self {
        Self::accepted(Role::Server, config, deflate, None)
    }

    /// A client connection whose opening handshake happened elsewhere, as
    /// [`accepted_server`](Self::accepted_server); it draws its mask keys
    /// from `rng`.
    ///
    /// ```
    /// use bytes::Bytes;
    /// use wirestate_core::{Machine, SeededRandom};
    /// use wirestate_websocket::{WsConfig, WsConnection};
    ///
    /// let mut client = WsConnection::accepted_client(WsConfig::default(), None, SeededRandom::new(0));
    /// client.send_binary(Bytes::from_static(b"hi")).unwrap();
    /// // FIN + binary, masked, length 2.
    /// assert_eq!(&client.poll_transmit().unwrap()[..2], &[0x82, 0x82]);
    /// ```
    pub fn accepted_client(
        config: WsConfig,
        deflate: Option<DeflateParams>,
        rng: impl RandomSource + Send + 'static,
    ) -> Self {
        Self::accepted(Role::Client, config, deflate, Some(Box::new(rng)))
    }

    fn accepted(
        role: Role,
        config: WsConfig,
        deflate: Option<DeflateParams>,
        rng: Option<Box<dyn RandomSource + Send>>,
    ) -> Self {
        let mut conn = Self::build(role, config, rng, Phase::Open);
        if let Some(params) = deflate {
            conn.set_deflate(params);
        }
        conn
    }

    fn build(
        role: Role,
        config: WsConfig,
        rng: Option<Box<dyn RandomSource + Send>>,
        phase: Phase,
    ) -> Self {
        let rules = FrameRules {
            require_mask: Some(role == Role::Server),
            allowed_rsv: 0,
            max_frame_size: config.max_frame_size as u64,
            accept_non_minimal_lengths: config.accept_non_minimal_lengths,
        };
        WsConnection {
            role,
            config,
            rng,
            phase,
            input: BytesMut::new(),
            spill: BytesMut::new(),
            decoder: FrameDecoder::new(rules),
            frame_started: false,
            message: None,
            utf8: Utf8Validator::default(),
            out: TransmitQueue::default(),
            state: State::Open,
            poison: Poison::default(),
            peer_eof: false,
            timers: TimerTable::default(),
            deflate: None,
        }
    }

    /// Turns on permessage-deflate with the agreed parameters. The threshold
    /// and level come from `config.deflate`, or the
    /// [`DeflateConfig::client`] defaults. RSV1 is accepted from then on.
    fn set_deflate(&mut self, params: DeflateParams) {
        let settings = self
            .config
            .deflate
            .clone()
            .unwrap_or_else(DeflateConfig::client);
        let server = (
            params.server_max_window_bits,
            params.server_no_context_takeover,
        );
        let client = (
            params.client_max_window_bits,
            params.client_no_context_takeover,
        );
        let (ours, theirs) = match self.role {
            Role::Server => (server, client),
            Role::Client => (client, server),
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

    /// This connection's role.
    pub fn role(&self) -> Role {
        self.role
    }

    /// The configuration in force.
    pub fn config(&self) -> &WsConfig {
        &self.config
    }

    /// Whether the opening handshake completed and messages can be sent
    /// (until a close frame goes out).
    pub fn is_open(&self) -> bool {
        matches!(self.phase, Phase::Open)
    }

    /// Bytes of received input not handed out yet (fragments: `held_bytes`).
    pub fn buffered(&self) -> usize {
        self.input.len() + self.spill.len()
    }

    /// The input high-water mark ([`WsConfig::input_high_water`]).
    pub fn input_high_water(&self) -> usize {
        self.config.input_high_water
    }

    /// Changes the input high-water mark (also what
    /// [`config`](Self::config) reports from then on).
    ///
    /// ```
    /// use wirestate_websocket::{WsConfig, WsConnection, DEFAULT_INPUT_HIGH_WATER};
    ///
    /// let mut ws = WsConnection::accepted_server(WsConfig::default(), None);
    /// assert_eq!(ws.input_high_water(), DEFAULT_INPUT_HIGH_WATER);
    /// ws.set_input_high_water(4096);
    /// assert_eq!(ws.input_high_water(), 4096);
    /// ```
    pub fn set_input_high_water(&mut self, bytes: usize) {
        self.config.input_high_water = bytes;
    }

    /// The deadline of `timer`, if it is armed (during the opening
    /// handshake only [`WsTimer::Handshake`] and [`WsTimer::SendStall`]
    /// run; the idle and keepalive deadlines count once it is open).
    pub fn deadline(&self, timer: WsTimer) -> Option<Instant> {
        self.timers.get(timer)
    }

    /// Executes a [`WsCommand`] through the matching inherent method.
    fn command(&mut self, cmd: WsCommand) -> Result<(), LocalError> {
        match cmd {
            WsCommand::Text(t) => self.send_text(t),
            WsCommand::Binary(b) => self.send_binary(b),
            WsCommand::Ping(p) => self.ping(p),
            WsCommand::Pong(p) => self.pong(p),
            WsCommand::Close(c) => self.close_with(c.as_ref()),
            WsCommand::Accept(a) => self.accept(a),
            WsCommand::Reject(r) => self.reject(r),
        }
    }
}

impl Machine for WsConnection {
    type Event = WsEvent;
    type Command = WsCommand;
    type Error = WsError;

    fn handle_input(&mut self, data: &[u8], now: Instant) {
        self.append_input(data);
        self.note_input(now);
    }

    fn input_buffer(&mut self) -> &mut BytesMut {
        self.input_mut()
    }

    /// Records the arrival time (keepalive and idle timers; the handshake
    /// deadline starts at the first input); decoding happens in
    /// `poll_event`.
    fn handle_buffered_input(&mut self, now: Instant) {
        self.note_input(now);
    }

    /// See the module's EOF policy. The deadlines keep running until the
    /// connection ends: bytes still waiting for a peer that half-closed
    /// and stopped reading end it with [`WsError::SendStalled`].
    fn handle_eof(&mut self, now: Instant) {
        let _ = now;
        self.peer_eof = true;
    }

    /// Sends a keepalive ping, or fails the connection: when the peer took
    /// no queued byte for the send timeout ([`WsError::SendStalled`],
    /// nothing more is sent), when the handshake deadline passed
    /// ([`WsError::HandshakeTimeout`], a server that has not answered
    /// queues a 408), on idle timeout, or when a pong (any input) is
    /// overdue, in that order when several are due.
    fn handle_timeout(&mut self, now: Instant) {
        self.expire_timers(now);
    }

    /// Starts the handshake deadline ([`WsConfig::handshake_timeout`]) of a
    /// connection that has an opening handshake; without this call it
    /// starts at the first input or write report.
    fn handle_connected(&mut self, now: Instant) {
        self.start_handshake_clock(now);
    }

    /// Arms, re-arms or stops the send-stall deadline
    /// ([`WsConfig::send_timeout`]) in any state, until the connection is
    /// finished.
    fn handle_written(&mut self, written: usize, unsent: usize, now: Instant) {
        self.note_written(written, unsent, now);
    }

    /// Open: queues a close frame with code 1001 (going away) and returns
    /// `true` until the peer's close arrives (the idle timeout still runs;
    /// `false` if the peer already sent EOF). During the opening handshake:
    /// a server that has not answered queues `503 Service Unavailable`;
    /// the connection is done, `false`. Closing already: queues nothing,
    /// `true` while our close awaits the peer's. Sending fails with
    /// [`LocalError::Closing`] afterwards.
    fn handle_shutdown(&mut self, now: Instant) -> bool {
        let _ = now;
        self.shut_down()
    }

    /// Accept and reject apply to a server role waiting for its decision;
    /// everything else needs an open connection.
    fn handle_command(&mut self, cmd: WsCommand, _now: Instant) -> Result<(), WsError> {
        self.command(cmd).map_err(WsError::Local)
    }

    /// The next event: during the opening handshake [`WsEvent::Request`]
    /// (server role) or [`WsEvent::Connected`] (client role), then messages,
    /// control frames and the close.
    ///
    /// A `None` turns into `Some` after `handle_input`, `handle_eof` or
    /// `handle_timeout` (a timer may have failed the connection), and, for a
    /// server role that reported a request, after [`accept`](Self::accept)
    /// (frames that came with the request are decoded from then on).
    /// [`reject`](Self::reject), the sending methods and `close` never add
    /// events. A fatal error is returned once; later calls return `None`.
    fn poll_event(&mut self) -> Option<Result<WsEvent, WsError>> {
        if !self.poison.is_healthy() {
            return self.poison.take_error().map(Err);
        }
        let next = match self.phase {
            Phase::Open => self.poll_frames(),
            Phase::Request { .. } => self.read_request(),
            Phase::Response { .. } => self.read_response(),
            Phase::Deciding { .. } | Phase::Done => None,
        };
        self.poison.check(next)
    }

    /// The handshake head, then frames in order; a server's data frame is two
    /// pieces (header, payload).
    ///
    /// Bytes are queued by the client constructor (the request),
    /// [`accept`](Self::accept) and [`reject`](Self::reject), the sending
    /// methods and [`close`](Self::close), `poll_event` (a pong for a ping,
    /// the echo of the peer's close, the close frame of a peer violation, a
    /// server's answer to an invalid request), `handle_timeout` (a
    /// keepalive ping, the close frame of an idle timeout, a server's 408
    /// when the handshake deadline passed) and `handle_shutdown` (close
    /// 1001, or a server's 503 during the handshake).
    fn poll_transmit(&mut self) -> Option<Bytes> {
        let next = self.out.pop();
        // An idle connection holds no heap memory (tests/idle_heap.rs).
        self.out.release_if_empty();
        next
    }

    /// The earliest running [`WsTimer`]: during the opening handshake the
    /// handshake and send-stall deadlines, once open every armed timer;
    /// `None` once the connection is finished.
    ///
    /// The answer changes after `handle_connected` and the first input
    /// (the handshake deadline starts), `handle_input` (input re-arms the
    /// idle and keepalive timers), `handle_written` (the send-stall
    /// deadline), `handle_timeout` (a keepalive ping arms the pong
    /// deadline; a failure stops everything), [`accept`](Self::accept) (the
    /// handshake deadline stops, the timers armed by the request's arrival
    /// start to count), `poll_event` (a client's handshake completes, or
    /// the connection ends), [`close`](Self::close) (keepalive stops; the
    /// idle timeout keeps running until the peer's close arrives) and
    /// `handle_shutdown`.
    fn poll_timeout(&self) -> Option<Instant> {
        self.next_deadline()
    }

    /// During the handshake: until EOF (the head limit fails the handshake);
    /// while a server decides on a request: no; once open: while buffered
    /// input is under [`WsConfig::input_high_water`] (or the frame in
    /// progress), until EOF or the end.
    fn wants_read(&self) -> bool {
        match self.phase {
            Phase::Request { .. } | Phase::Response { .. } => !self.peer_eof,
            Phase::Deciding { .. } | Phase::Done => false,
            Phase::Open => self.frames_want_read(),
        }
    }

    /// Fragments and inflated bytes of the message in progress, and spill.
    fn held_bytes(&self) -> usize {
        self.spill.capacity() + self.message.as_ref().map_or(0, |m| m.held_bytes())
    }

    /// The rest of a large frame, whose room was reserved when its header
    /// arrived (so a driver reads into it instead of growing the buffer).
    fn input_needed(&self) -> Option<usize> {
        match self.phase {
            Phase::Open => self.frame_input_needed(),
            _ => None,
        }
    }

    fn is_closed(&self) -> bool {
        match self.phase {
            Phase::Done => true,
            Phase::Open => matches!(self.state, State::Closed | State::Failed),
            _ => false,
        }
    }
}
