//! [`Session`]: what the server and client sessions share. The wrapped
//! [`RtmpConnection`], the idle timer, the poison rule, media in and out,
//! and the [`Machine`] plumbing live here once; each role adds its command
//! handling through [`SessionRole`].

use std::collections::VecDeque;
use std::fmt::Debug;
use std::time::Instant;

use bytes::{Bytes, BytesMut};
use wirestate_core::{Machine, Poison, RandomSource, TimerTable};

use crate::chunk::SharedChunks;
use crate::message::{Command, DataMessage, Message, UserControl};
use crate::session::timers::{SessionTimer, Timing};
use crate::session::{MediaEvent, SessionError};
use crate::{LocalError, MessageEvent, Outgoing, RtmpConnection, RtmpEvent};

/// The role half of a [`Session`]: [`ServerRole`](super::ServerRole) or
/// [`ClientRole`](super::ClientRole). Sealed: the crate's two roles are the
/// only ones (its hooks live in a trait outside code cannot name).
pub trait SessionRole: hooks::RoleHooks {
    /// What the session reports.
    type Event: Debug + From<MediaEvent>;
    /// What the application asks through
    /// [`Machine::handle_command`].
    type Command;
    /// What [`Session::new`] takes.
    type Config;
}

/// The hooks a role gives the shared [`Session`]: a supertrait of
/// [`SessionRole`] in a module no other crate can name, so they can be
/// neither implemented nor imported from outside.
pub(crate) mod hooks {
    use std::fmt::Debug;

    use super::{Incoming, Session, SessionRole};
    use crate::chunk::RawMessage;
    use crate::message::{Command, MessageError};
    use crate::session::timers::Timing;
    use crate::{LocalError, MessageEvent, Role, RtmpConfig};

    /// See the module docs.
    pub trait RoleHooks: Sized + Debug {
        /// Which side of the connection the role plays.
        const SIDE: Role;

        /// The role's state at the start.
        fn from_config(config: <Self as SessionRole>::Config) -> Self
        where
            Self: SessionRole;

        /// Queues what the role sends first.
        fn on_open(_session: &mut Session<Self>)
        where
            Self: SessionRole,
        {
        }

        /// The connection's configuration and the session's deadlines.
        fn connection_config(&self) -> (RtmpConfig, Timing);

        /// Handles a command message.
        fn on_command(session: &mut Session<Self>, context: Incoming, command: Command)
        where
            Self: SessionRole;

        /// A message whose payload could not be decoded (the connection
        /// goes on unless the role says otherwise).
        fn on_invalid(_session: &mut Session<Self>, _raw: &RawMessage, _error: &MessageError)
        where
            Self: SessionRole,
        {
        }

        /// Queues the goodbye of a graceful shutdown; the session closes
        /// right after.
        fn on_shutdown(_session: &mut Session<Self>)
        where
            Self: SessionRole,
        {
        }

        /// Reports a message that is neither a command nor accepted media.
        fn on_other(session: &mut Session<Self>, message: MessageEvent)
        where
            Self: SessionRole;

        /// Whether media on `stream_id` is reported as
        /// [`MediaEvent`](crate::session::MediaEvent)s.
        fn takes_media(&self, stream_id: u32) -> bool;

        /// Runs an application request.
        fn handle_command(
            session: &mut Session<Self>,
            command: <Self as SessionRole>::Command,
        ) -> Result<(), LocalError>
        where
            Self: SessionRole;

        /// The session ends (error, idle timeout or close): report what
        /// stops.
        fn on_end(_session: &mut Session<Self>)
        where
            Self: SessionRole,
        {
        }

        /// Whether a stream is still active, which keeps a closed
        /// connection's session open until its end events are polled.
        fn is_active(&self) -> bool {
            false
        }

        /// Frees what an idle session need not hold.
        fn release_idle_memory(&mut self) {}
    }
}

/// Where and when a command message arrived, to report it again.
#[derive(Debug, Clone, Copy)]
pub struct Incoming {
    pub(crate) csid: u32,
    pub(crate) stream_id: u32,
    pub(crate) timestamp: u32,
    pub(crate) len: usize,
    pub(crate) amf3: bool,
}

impl Incoming {
    /// The command as the message event it came in.
    pub(crate) fn message(self, command: Command) -> MessageEvent {
        MessageEvent {
            csid: self.csid,
            stream_id: self.stream_id,
            timestamp: self.timestamp,
            len: self.len,
            message: Message::Command {
                amf3: self.amf3,
                command,
            },
        }
    }
}

/// An RTMP session: an [`RtmpConnection`] with the NetConnection and
/// NetStream commands of one role on top. Use it as
/// [`ServerSession`](super::ServerSession) or
/// [`ClientSession`](super::ClientSession).
///
/// Both roles share: the connection underneath (acknowledgements, ping
/// answers, chunk sizes), the deadlines (the handshake plus `connect`, the
/// send stall, an optional idle timeout; a server also pings a quiet
/// peer), the poison rule (a fatal error is reported once, after the end events it
/// caused), media in ([`MediaEvent`]) and out, [`ping`](Self::ping) and
/// [`close`](Self::close).
///
/// [`poll_event`](Machine::poll_event) has more to say after any `handle_*`
/// call and after the inherent calls that answer or start something: a
/// server's `accept_*`, `reject_*` and `end_play`, a client's `publish`,
/// `play` and `stop`, and [`close`](Self::close) on both.
///
/// # Deadlines
///
/// - The handshake and `connect` complete within the configured
///   `handshake_timeout`, counted from
///   [`handle_connected`](Machine::handle_connected) (or the first input):
///   for a server until it answered `connect`, for a client until the
///   answer arrived. Otherwise [`SessionError::HandshakeTimeout`].
/// - While the driver reports bytes waiting
///   ([`handle_written`](Machine::handle_written)), the peer must take some
///   within `send_timeout`, otherwise [`SessionError::SendStalled`] (nothing
///   more is sent). This holds after the peer's EOF and after a close too:
///   the session is not [closed](Machine::is_closed) while bytes wait. A
///   failure ends the session at once: the driver flushes what is queued
///   under its drain deadline.
/// - `idle_timeout`: any input counts as life.
/// - A server pings a peer that sent nothing for
///   [`ServerConfig::ping_interval`](super::ServerConfig::ping_interval)
///   (at most half the idle timeout), so a passive player that answers
///   pings stays connected.
#[derive(Debug)]
pub struct Session<R: SessionRole> {
    pub(super) connection: RtmpConnection,
    pub(super) timers: TimerTable<SessionTimer>,
    pub(super) timing: Timing,
    /// When the session was created: ping timestamps count from here.
    pub(super) started: Instant,
    /// Set by `handle_connected` or the first input.
    pub(super) clock_started: bool,
    /// `connect` was answered: no more handshake deadline.
    pub(super) connect_done: bool,
    /// The send stall fired after the session's end: its error is still
    /// reported.
    pub(super) stalled: bool,
    pub(super) poison: Poison<SessionError>,
    events: VecDeque<R::Event>,
    ended: bool,
    pub(crate) role: R,
}

impl<R: SessionRole> Session<R> {
    /// A session for a connection accepted (server) or opened (client) at
    /// `now`. `rng` fills the handshake's random bytes. A server waits for
    /// the client's bytes; a client has C0+C1 ready in
    /// [`poll_transmit`](Machine::poll_transmit) at once, and SetChunkSize
    /// and `connect` once the handshake completes.
    ///
    /// ```
    /// use std::time::Instant;
    /// use wirestate_core::{Machine, OsRandom};
    /// use wirestate_rtmp::session::{ClientConfig, ClientSession, ServerConfig, ServerSession};
    ///
    /// let now = Instant::now();
    /// let mut server = ServerSession::new(ServerConfig::default(), OsRandom, now);
    /// // The client speaks first: nothing to send, nothing to report yet.
    /// assert!(server.poll_transmit().is_none());
    /// assert!(server.poll_event().is_none());
    /// assert!(server.wants_read());
    ///
    /// let config = ClientConfig::new("live", "rtmp://example.com/live");
    /// let mut client = ClientSession::new(config, OsRandom, now);
    /// client.publish("stream-key", "live");
    /// // C0+C1 go out at once; write them to the socket.
    /// let c0c1 = client.poll_transmit().unwrap();
    /// assert_eq!(c0c1[0], 3);
    /// ```
    pub fn new(
        config: R::Config,
        rng: impl RandomSource + Send + 'static,
        now: Instant,
    ) -> Session<R> {
        let role = R::from_config(config);
        let (mut connection, timing) = role.connection_config();
        // The session keeps these deadlines itself (see `timers.rs`).
        connection.handshake_timeout = None;
        connection.send_timeout = None;
        let mut session = Session {
            connection: RtmpConnection::new(R::SIDE, connection, rng),
            timers: TimerTable::default(),
            timing,
            started: now,
            clock_started: false,
            connect_done: false,
            stalled: false,
            poison: Poison::default(),
            events: VecDeque::new(),
            ended: false,
            role,
        };
        session.touch(now);
        R::on_open(&mut session);
        session
    }

    /// The connection underneath (handshake info, chunk sizes ...).
    pub fn connection(&self) -> &RtmpConnection {
        &self.connection
    }

    /// Bytes of received input not handed out yet (see
    /// [`RtmpConnection::buffered`]).
    pub fn buffered(&self) -> usize {
        self.connection.buffered()
    }

    /// The input high-water mark of the connection underneath (see
    /// [`RtmpConnection::input_high_water`]).
    pub fn input_high_water(&self) -> usize {
        self.connection.input_high_water()
    }

    /// Changes the input high-water mark of the connection underneath (see
    /// [`RtmpConnection::set_input_high_water`]).
    pub fn set_input_high_water(&mut self, bytes: usize) {
        self.connection.set_input_high_water(bytes);
    }

    /// Sends a ping request; the peer's PingResponse arrives as an `Other`
    /// event.
    ///
    /// # Errors
    ///
    /// [`LocalError::Closed`] once the session is closed or failed.
    pub fn ping(&mut self, timestamp: u32) -> Result<(), LocalError> {
        self.send_control(Message::UserControl(UserControl::PingRequest(timestamp)))
    }

    /// Stops the session: nothing more is read or sent. Transmits already
    /// queued can still be drained.
    ///
    /// Poll events next: [`poll_event`](Machine::poll_event) reports what
    /// the close stopped (a server's `PlayFinished` and `PublishFinished`
    /// for its active streams), then `None`; from then on
    /// [`is_closed`](Machine::is_closed) is true.
    pub fn close(&mut self) {
        self.connection.close();
    }

    /// Queues an event.
    pub(crate) fn report(&mut self, event: R::Event) {
        self.events.push_back(event);
    }

    /// Sends a message on message stream 0 with timestamp 0.
    pub(crate) fn send_control(&mut self, message: Message) -> Result<(), LocalError> {
        self.connection.send(0, 0, message)
    }

    /// Sends a command (or another message) on `stream_id` with timestamp 0.
    pub(crate) fn send_on(&mut self, stream_id: u32, message: Message) -> Result<(), LocalError> {
        self.connection.send(stream_id, 0, message)
    }

    /// Sends an audio or video message body as it is: by type id, so the
    /// tag header is not parsed again (a relay sends one payload to many
    /// players), and without a copy.
    pub(crate) fn send_media(
        &mut self,
        stream_id: u32,
        timestamp: u32,
        type_id: u8,
        payload: Bytes,
    ) -> Result<(), LocalError> {
        let message = Message::Unknown { type_id, payload };
        self.connection.send(stream_id, timestamp, message)
    }

    /// Sends an audio or video message with its chunks shared (see
    /// [`SharedChunks`]).
    pub(crate) fn send_media_shared(
        &mut self,
        stream_id: u32,
        timestamp: u32,
        type_id: u8,
        payload: Bytes,
        shared: &SharedChunks,
    ) -> Result<(), LocalError> {
        let message = Message::Unknown { type_id, payload };
        let outgoing = Outgoing::new(stream_id, timestamp, message);
        self.connection.send_shared(outgoing, shared)
    }

    /// Sends a data message (metadata).
    pub(crate) fn send_data(
        &mut self,
        stream_id: u32,
        timestamp: u32,
        data: DataMessage,
    ) -> Result<(), LocalError> {
        self.connection
            .send(stream_id, timestamp, Message::Data(data))
    }

    /// Records a fatal error, reported by the next poll; a no-op once the
    /// session ended (its end was reported, nothing would report the error).
    pub(crate) fn fail(&mut self, error: SessionError) {
        if !self.ended {
            self.poison.fail(error);
        }
    }

    pub(super) fn is_running(&self) -> bool {
        !self.ended && self.poison.is_healthy()
    }

    fn on_message(&mut self, event: MessageEvent) {
        let MessageEvent {
            csid,
            stream_id,
            timestamp,
            len,
            message,
        } = event;
        match message {
            Message::Command { amf3, command } => {
                let context = Incoming {
                    csid,
                    stream_id,
                    timestamp,
                    len,
                    amf3,
                };
                R::on_command(self, context, command);
            }
            message if self.role.takes_media(stream_id) => {
                match MediaEvent::from_message(stream_id, timestamp, message) {
                    Ok(media) => self.report(media.into()),
                    Err(message) => R::on_other(self, MessageEvent { message, ..event }),
                }
            }
            message => R::on_other(self, MessageEvent { message, ..event }),
        }
    }

    /// An idle session keeps no queue capacity: events are large, and an
    /// idle server may hold thousands of sessions.
    fn release_idle_memory(&mut self) {
        if self.events.capacity() > 0 {
            self.events = VecDeque::new();
        }
        self.role.release_idle_memory();
    }
}

impl<R: SessionRole> Machine for Session<R> {
    type Event = R::Event;
    type Command = R::Command;
    type Error = SessionError;

    fn input_buffer(&mut self) -> &mut BytesMut {
        self.connection.input_buffer()
    }

    fn handle_buffered_input(&mut self, now: Instant) {
        self.start_clock(now);
        self.touch(now);
        self.connection.handle_buffered_input(now);
    }

    fn handle_eof(&mut self, now: Instant) {
        self.connection.handle_eof(now);
    }

    /// Starts the deadline of the handshake plus `connect`. Not forwarded:
    /// the connection underneath runs no deadline of its own.
    fn handle_connected(&mut self, now: Instant) {
        self.start_clock(now);
    }

    /// Runs the send-stall timer (the session's `send_timeout`).
    fn handle_written(&mut self, written: usize, unsent: usize, now: Instant) {
        self.track_send(written, unsent, now);
    }

    /// A server tells each player and publisher that the stream ends
    /// (`NetStream.Play.UnpublishNotify`, `NetStream.Play.Stop` and StreamEOF;
    /// `NetStream.Unpublish.Success`), then `NetConnection.Connect.Closed`;
    /// a client stops its stream (`FCUnpublish`, `deleteStream`). Then the
    /// session closes: poll the end events, flush the transmits. Returns
    /// `false`: RTMP's goodbye awaits no answer.
    fn handle_shutdown(&mut self, _now: Instant) -> bool {
        if self.is_running() && !self.connection.is_closed() {
            R::on_shutdown(self);
            self.close();
        }
        false
    }

    fn handle_timeout(&mut self, now: Instant) {
        while let Some(timer) = self.timers.expire(now) {
            self.on_timer(timer, now);
        }
    }

    fn handle_command(&mut self, command: R::Command, _now: Instant) -> Result<(), SessionError> {
        Ok(R::handle_command(self, command)?)
    }

    /// Returns the next event. Besides the `handle_*` calls, the inherent
    /// calls that answer requests or start something (`accept_*`,
    /// `reject_*`, `end_play`, `publish`, `play`, `stop`, `close`) change
    /// what comes next: a poll that returned `None` may have more to say
    /// after them.
    fn poll_event(&mut self) -> Option<Result<R::Event, SessionError>> {
        loop {
            if let Some(event) = self.events.pop_front() {
                return Some(Ok(event));
            }
            if self.ended {
                // Only a send stall is reported after the end.
                return if self.stalled_after_end() {
                    self.poison.take_error().map(Err)
                } else {
                    None
                };
            }
            if !self.poison.is_healthy() {
                self.ended = true;
                return self.poison.take_error().map(Err);
            }
            match self.connection.poll_event() {
                Some(Ok(RtmpEvent::Message(message))) => self.on_message(message),
                Some(Ok(RtmpEvent::HandshakeComplete)) => {}
                Some(Ok(RtmpEvent::InvalidMessage { raw, error })) => {
                    R::on_invalid(self, &raw, &error)
                }
                Some(Err(error)) => {
                    R::on_end(self);
                    self.fail(error.into());
                }
                None if self.connection.is_closed() => {
                    R::on_end(self);
                    self.ended = true;
                }
                None => {
                    self.release_idle_memory();
                    return None;
                }
            }
        }
    }

    fn poll_transmit(&mut self) -> Option<Bytes> {
        self.connection.poll_transmit()
    }

    /// The earliest of the session's deadlines (see [Deadlines](Session#deadlines));
    /// after the session ended or failed, only the send-stall deadline
    /// while bytes wait.
    ///
    /// Its answer changes after `handle_connected` and `handle_input`
    /// (input moves the idle and ping deadlines; the first starts the
    /// handshake deadline), `handle_written`, `handle_timeout` (a timer
    /// fires; the ping timer re-arms), answering `connect` (a server's
    /// `accept_connect`/`reject_connect`) and after a
    /// [`poll_event`](Machine::poll_event) that reports the end or an error.
    /// [`close`](Self::close) does not change it at once: it keeps its
    /// answer until the events after the close are drained (`poll_event`
    /// returned `None`). Other commands and sends do not change it.
    fn poll_timeout(&self) -> Option<Instant> {
        self.next_deadline()
    }

    fn wants_read(&self) -> bool {
        self.is_running() && self.connection.wants_read()
    }

    fn held_bytes(&self) -> usize {
        self.connection.held_bytes()
    }

    /// True once the end (or the error) was reported and no bytes wait for
    /// the peer under the send-stall timer.
    fn is_closed(&self) -> bool {
        // A failure is the end even while bytes wait, as for the bare
        // connection (see `RtmpConnection::is_closed`).
        let failed = !self.poison.is_healthy() && !self.poison.has_pending_error();
        self.events.is_empty()
            && !self.poison.has_pending_error()
            && (self.ended || (self.connection.is_closed() && !self.role.is_active()))
            && (failed || !self.timers.is_armed(SessionTimer::SendStall))
    }
}
