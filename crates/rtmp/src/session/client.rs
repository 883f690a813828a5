//! [`ClientSession`]: connect, then publish or play one stream.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use wirestate_core::{Machine, RandomSource};

use crate::amf0::Value;
use crate::message::{
    type_id, Audio, Command, Connect, DataMessage, Message, Play, UserControl, Video,
};
use crate::session::cache::player_metadata;
use crate::session::status::{self, Status};
use crate::session::{ClientCommand, SessionError};
use crate::{ConnectionConfig, Event, MessageEvent, Outgoing, Role, RtmpConnection};

/// What a [`ClientSession`] announces in `connect` and how it sends.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// The connection underneath (set `handshake.digest` for a digest C1).
    pub connection: ConnectionConfig,
    /// `app`: the application (the URL path before the stream name).
    pub app: String,
    /// `tcUrl`: the URL up to the application.
    pub tc_url: String,
    /// `flashVer` (`FMLE/3.0 (compatible; wirestate)`).
    pub flash_ver: String,
    /// Enhanced RTMP `fourCcList` to offer (`None`: a legacy client).
    pub four_cc_list: Option<Vec<String>>,
    /// The chunk size this side sends with, announced at once (4096).
    pub chunk_size: u32,
    /// The buffer length announced when playing, in milliseconds (3000).
    pub buffer_length: u32,
    /// Without input for this long the session fails with
    /// [`SessionError::IdleTimeout`] (`None`: never).
    pub idle_timeout: Option<Duration>,
}

impl ClientConfig {
    /// A configuration for `app` at `tc_url` with the defaults above.
    pub fn new(app: &str, tc_url: &str) -> ClientConfig {
        ClientConfig {
            connection: ConnectionConfig::default(),
            app: app.into(),
            tc_url: tc_url.into(),
            flash_ver: "FMLE/3.0 (compatible; wirestate)".into(),
            four_cc_list: None,
            chunk_size: 4096,
            buffer_length: 3000,
            idle_timeout: None,
        }
    }
}

/// What a [`ClientSession`] reports.
#[derive(Debug, Clone, PartialEq)]
pub enum ClientEvent {
    /// The server accepted `connect`. A `publish` or `play` asked for goes
    /// out now.
    Connected {
        /// The `_result`'s properties (`fmsVer`, `capabilities`, Enhanced
        /// RTMP `fourCcList` ...).
        properties: Value,
        /// Its information object.
        status: Status,
    },
    /// The server refused `connect` (`_error`).
    ConnectRejected(Status),
    /// `NetStream.Publish.Start`: send media now.
    PublishStarted {
        /// The message stream published on.
        stream_id: u32,
    },
    /// `NetStream.Play.Start`: media events follow.
    PlayStarted {
        /// The message stream played on.
        stream_id: u32,
    },
    /// Any other `onStatus` (errors such as `NetStream.Publish.BadName`
    /// included; see [`Status::is_error`]).
    Status {
        /// The message stream it came on.
        stream_id: u32,
        /// The status.
        status: Status,
    },
    /// `_error` for a command other than `connect`.
    CommandError {
        /// The transaction id of the failed command.
        transaction_id: f64,
        /// The error's information object.
        status: Status,
    },
    /// Metadata (`onMetaData`) from the server, on any message stream.
    Metadata {
        /// The message stream (0 from `ffmpeg -listen`).
        stream_id: u32,
        /// Absolute timestamp in milliseconds.
        timestamp: u32,
        /// The metadata.
        data: DataMessage,
    },
    /// Audio from the server, on any message stream.
    Audio {
        /// The message stream (0 from `ffmpeg -listen`).
        stream_id: u32,
        /// Absolute timestamp in milliseconds.
        timestamp: u32,
        /// The payload and its parsed tag header.
        audio: Audio,
    },
    /// Video from the server, on any message stream.
    Video {
        /// The message stream (0 from `ffmpeg -listen`).
        stream_id: u32,
        /// Absolute timestamp in milliseconds.
        timestamp: u32,
        /// The payload and its parsed tag header.
        video: Video,
    },
    /// The server says a stream ended (user control StreamEOF): a player
    /// gets no more media on it.
    StreamEof {
        /// The message stream that ended.
        stream_id: u32,
    },
    /// Any other message, after the connection handled what it handles.
    Other(MessageEvent),
}

#[derive(Debug, Clone, PartialEq)]
enum Intent {
    Publish { name: String, kind: String },
    Play { name: String },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Connecting,
    Connected,
    Rejected,
}

/// The client side of an RTMP session: a [`Machine`] that connects, then
/// publishes or plays one stream.
///
/// ```text
/// ClientSession                              server
/// SetChunkSize, connect ───────────────────▶
///            ◀─────────────────────────────── _result           → Connected
/// publish(name):  releaseStream, FCPublish, createStream ──▶
///            ◀─────────────────────────────── _result(id)
/// publish on id ───────────────────────────▶
///            ◀─────────────────────────────── onStatus Publish.Start → PublishStarted
/// send_metadata / send_audio / send_video ─▶
/// ```
/// `play(name)` goes the same way with `createStream`, `play` and
/// SetBufferLength, and ends in [`ClientEvent::PlayStarted`] and media
/// events. `publish` and `play` may be called before the connection is
/// accepted; they go out once it is.
///
/// Memory: the [`RtmpConnection`]'s bound plus the queued events of one
/// message.
#[derive(Debug)]
pub struct ClientSession {
    connection: RtmpConnection,
    config: ClientConfig,
    phase: Phase,
    intent: Option<Intent>,
    /// The transaction id of the `createStream` in flight.
    create_transaction: Option<f64>,
    stream_id: Option<u32>,
    publishing: bool,
    next_transaction: f64,
    events: VecDeque<ClientEvent>,
    error: Option<SessionError>,
    ended: bool,
    last_input: Instant,
}

impl ClientSession {
    /// A session for a connection opened at `now`: C0+C1, SetChunkSize and
    /// `connect` are ready in [`poll_transmit`](Machine::poll_transmit)
    /// (the last two once the handshake completes).
    pub fn new(
        config: ClientConfig,
        rng: impl RandomSource + Send + 'static,
        now: Instant,
    ) -> ClientSession {
        let mut connection = RtmpConnection::new(Role::Client, config.connection.clone(), rng);
        let mut connect = Connect::new(1.0, &config.app, &config.tc_url)
            .with("type", Value::String("nonprivate".into()))
            .with("flashVer", Value::String(config.flash_ver.clone()))
            .with("fpad", Value::Boolean(false))
            .with("capabilities", Value::Number(15.0))
            .with("audioCodecs", Value::Number(4071.0))
            .with("videoCodecs", Value::Number(252.0))
            .with("videoFunction", Value::Number(1.0));
        if let Some(list) = &config.four_cc_list {
            let list = list.iter().map(|f| Value::String(f.clone())).collect();
            connect = connect.with("fourCcList", Value::StrictArray(list));
        }
        // Valid by construction: a fresh connection accepts both.
        let _ = connection.send(0, 0, Message::SetChunkSize(config.chunk_size));
        let _ = connection.send(0, 0, status::command(Command::Connect(connect)));
        ClientSession {
            connection,
            config,
            phase: Phase::Connecting,
            intent: None,
            create_transaction: None,
            stream_id: None,
            publishing: false,
            next_transaction: 2.0,
            events: VecDeque::new(),
            error: None,
            ended: false,
            last_input: now,
        }
    }

    /// The connection underneath.
    pub fn connection(&self) -> &RtmpConnection {
        &self.connection
    }

    /// The message stream the server created for this session, once known.
    pub fn stream_id(&self) -> Option<u32> {
        self.stream_id
    }

    /// Asks to publish `name` (`kind`: `live`, `record` or `append`):
    /// `releaseStream`, `FCPublish` and `createStream` now or once connected,
    /// then `publish`. Wait for [`ClientEvent::PublishStarted`].
    pub fn publish(&mut self, name: &str, kind: &str) {
        self.intent = Some(Intent::Publish {
            name: name.into(),
            kind: kind.into(),
        });
        self.start();
    }

    /// Asks to play `name` (live or recorded, from the start):
    /// `createStream` now or once connected, then `play`. Wait for
    /// [`ClientEvent::PlayStarted`] and media events.
    pub fn play(&mut self, name: &str) {
        self.intent = Some(Intent::Play { name: name.into() });
        self.start();
    }

    /// Sends metadata while publishing, as `@setDataFrame onMetaData
    /// properties`.
    pub fn send_metadata(&mut self, timestamp: u32, properties: Value) -> Result<(), SessionError> {
        let stream_id = self.publishing_stream()?;
        let data = DataMessage {
            amf3: false,
            values: vec!["@setDataFrame".into(), "onMetaData".into(), properties],
        };
        Ok(self
            .connection
            .send(stream_id, timestamp, Message::Data(data))?)
    }

    /// Sends an audio message body (tag header included) while publishing;
    /// the payload goes out without a copy.
    pub fn send_audio(&mut self, timestamp: u32, payload: Bytes) -> Result<(), SessionError> {
        self.send_media(timestamp, type_id::AUDIO, 4, payload)
    }

    /// Sends a video message body (tag header included) while publishing.
    pub fn send_video(&mut self, timestamp: u32, payload: Bytes) -> Result<(), SessionError> {
        self.send_media(timestamp, type_id::VIDEO, 6, payload)
    }

    /// Stops publishing or playing: `FCUnpublish` (when publishing) and
    /// `deleteStream`. The connection stays open.
    pub fn stop(&mut self) -> Result<(), SessionError> {
        let Some(stream_id) = self.stream_id.take() else {
            return Ok(());
        };
        if let (true, Some(Intent::Publish { name, .. })) = (self.publishing, self.intent.clone()) {
            let command = Command::FcUnpublish {
                transaction_id: self.transaction(),
                name,
            };
            self.connection.send(0, 0, status::command(command))?;
        }
        self.publishing = false;
        self.intent = None;
        let command = Command::DeleteStream {
            transaction_id: self.transaction(),
            stream_id: f64::from(stream_id),
        };
        Ok(self.connection.send(0, 0, status::command(command))?)
    }

    /// Sends a ping request; the server's PingResponse arrives as
    /// [`ClientEvent::Other`].
    pub fn ping(&mut self, timestamp: u32) -> Result<(), SessionError> {
        Ok(self.connection.send(
            0,
            0,
            Message::UserControl(UserControl::PingRequest(timestamp)),
        )?)
    }

    /// Stops the session: nothing more is read or sent; queued transmits can
    /// still be drained.
    pub fn close(&mut self) {
        self.connection.close();
    }

    fn publishing_stream(&self) -> Result<u32, SessionError> {
        match (self.publishing, self.stream_id) {
            (true, Some(id)) => Ok(id),
            _ => Err(SessionError::NotPublishing),
        }
    }

    fn send_media(
        &mut self,
        timestamp: u32,
        type_id: u8,
        csid: u32,
        payload: Bytes,
    ) -> Result<(), SessionError> {
        let stream_id = self.publishing_stream()?;
        // Sent by type id: the tag header is the caller's, not parsed again.
        Ok(self.connection.send_outgoing(Outgoing {
            csid,
            stream_id,
            timestamp,
            message: Message::Unknown { type_id, payload },
        })?)
    }

    fn transaction(&mut self) -> f64 {
        let id = self.next_transaction;
        self.next_transaction += 1.0;
        id
    }

    fn send_command(&mut self, stream_id: u32, command: Command) {
        if let Err(e) = self.connection.send(stream_id, 0, status::command(command)) {
            self.fail(e.into());
        }
    }

    fn fail(&mut self, error: SessionError) {
        if self.error.is_none() {
            self.error = Some(error);
        }
    }

    /// Sends the first commands of the intent, once connected.
    fn start(&mut self) {
        if self.phase != Phase::Connected || self.create_transaction.is_some() {
            return;
        }
        let Some(intent) = self.intent.clone() else {
            return;
        };
        if let Intent::Publish { name, .. } = &intent {
            let transaction_id = self.transaction();
            self.send_command(
                0,
                Command::ReleaseStream {
                    transaction_id,
                    name: name.clone(),
                },
            );
            let transaction_id = self.transaction();
            self.send_command(
                0,
                Command::FcPublish {
                    transaction_id,
                    name: name.clone(),
                },
            );
        }
        let transaction_id = self.transaction();
        self.create_transaction = Some(transaction_id);
        self.send_command(
            0,
            Command::CreateStream {
                transaction_id,
                command_object: Value::Null,
            },
        );
    }

    /// The stream exists: publish or play on it.
    fn stream_created(&mut self, stream_id: u32) {
        self.stream_id = Some(stream_id);
        match self.intent.clone() {
            Some(Intent::Publish { name, kind }) => {
                let transaction_id = self.transaction();
                self.send_command(
                    stream_id,
                    Command::Publish {
                        transaction_id,
                        name,
                        kind: Some(kind),
                    },
                );
            }
            Some(Intent::Play { name }) => {
                let play = Play {
                    transaction_id: self.transaction(),
                    name,
                    start: Some(-2.0),
                    duration: None,
                    reset: None,
                };
                self.send_command(stream_id, Command::Play(play));
                let millis = self.config.buffer_length;
                if let Err(e) = self.connection.send(
                    0,
                    0,
                    Message::UserControl(UserControl::SetBufferLength { stream_id, millis }),
                ) {
                    self.fail(e.into());
                }
            }
            None => {}
        }
    }

    fn on_message(&mut self, event: MessageEvent) {
        let stream_id = event.stream_id;
        let timestamp = event.timestamp;
        match event.message {
            Message::Command { command, amf3 } => match command {
                Command::Result(response)
                    if response.transaction_id == 1.0 && self.phase == Phase::Connecting =>
                {
                    self.phase = Phase::Connected;
                    let status = Status::from_info(response.info().unwrap_or(&Value::Null));
                    self.events.push_back(ClientEvent::Connected {
                        properties: response.command_object,
                        status,
                    });
                    self.start();
                }
                Command::Error(response)
                    if response.transaction_id == 1.0 && self.phase == Phase::Connecting =>
                {
                    self.phase = Phase::Rejected;
                    let status = Status::from_info(response.info().unwrap_or(&Value::Null));
                    self.events.push_back(ClientEvent::ConnectRejected(status));
                }
                Command::Result(response)
                    if Some(response.transaction_id) == self.create_transaction
                        && response.stream_id().is_some() =>
                {
                    self.create_transaction = None;
                    let id = response.stream_id().unwrap_or_default();
                    self.stream_created(id as u32);
                    // Reported too: a poll that queued transmits returns an
                    // event, so a driver writes right after it.
                    self.events.push_back(ClientEvent::Other(MessageEvent {
                        message: Message::Command {
                            amf3,
                            command: Command::Result(response),
                        },
                        ..event
                    }));
                }
                Command::Error(response) => {
                    if Some(response.transaction_id) == self.create_transaction {
                        self.create_transaction = None;
                    }
                    let status = Status::from_info(response.info().unwrap_or(&Value::Null));
                    self.events.push_back(ClientEvent::CommandError {
                        transaction_id: response.transaction_id,
                        status,
                    });
                }
                Command::OnStatus { info, .. } => {
                    let status = Status::from_info(&info);
                    let event = match status.code.as_str() {
                        "NetStream.Publish.Start" => {
                            self.publishing = true;
                            ClientEvent::PublishStarted { stream_id }
                        }
                        "NetStream.Play.Start" => ClientEvent::PlayStarted { stream_id },
                        _ => ClientEvent::Status { stream_id, status },
                    };
                    self.events.push_back(event);
                }
                command => self.events.push_back(ClientEvent::Other(MessageEvent {
                    message: Message::Command { amf3, command },
                    ..event
                })),
            },
            Message::Audio(audio) => self.events.push_back(ClientEvent::Audio {
                stream_id,
                timestamp,
                audio,
            }),
            Message::Video(video) => self.events.push_back(ClientEvent::Video {
                stream_id,
                timestamp,
                video,
            }),
            Message::Data(ref data) if data.metadata().is_some() => {
                let data = player_metadata(data).unwrap_or_else(|| data.clone());
                self.events.push_back(ClientEvent::Metadata {
                    stream_id,
                    timestamp,
                    data,
                });
            }
            Message::UserControl(UserControl::StreamEof(stream_id)) => {
                self.events.push_back(ClientEvent::StreamEof { stream_id })
            }
            message => self
                .events
                .push_back(ClientEvent::Other(MessageEvent { message, ..event })),
        }
    }
}

impl Machine for ClientSession {
    type Event = ClientEvent;
    type Command = ClientCommand;
    type Error = SessionError;

    fn input_buffer(&mut self) -> &mut BytesMut {
        self.connection.input_buffer()
    }

    fn handle_buffered_input(&mut self, now: Instant) {
        self.last_input = now;
        self.connection.handle_buffered_input(now);
    }

    fn handle_eof(&mut self, now: Instant) {
        self.connection.handle_eof(now);
    }

    fn handle_timeout(&mut self, now: Instant) {
        if let (Some(idle), Some(deadline)) = (self.config.idle_timeout, self.poll_timeout()) {
            if now >= deadline && self.error.is_none() && !self.ended {
                self.error = Some(SessionError::IdleTimeout(idle));
                self.connection.close();
            }
        }
        self.connection.handle_timeout(now);
    }

    fn handle_command(&mut self, cmd: ClientCommand, _now: Instant) -> Result<(), SessionError> {
        match cmd {
            ClientCommand::Publish { name, kind } => self.publish(&name, &kind),
            ClientCommand::Play { name } => self.play(&name),
            ClientCommand::SendMetadata {
                timestamp,
                properties,
            } => return self.send_metadata(timestamp, properties),
            ClientCommand::SendAudio { timestamp, payload } => {
                return self.send_audio(timestamp, payload)
            }
            ClientCommand::SendVideo { timestamp, payload } => {
                return self.send_video(timestamp, payload)
            }
            ClientCommand::Stop => return self.stop(),
            ClientCommand::Ping(timestamp) => return self.ping(timestamp),
            ClientCommand::Close => self.close(),
        }
        Ok(())
    }

    fn poll_event(&mut self) -> Option<Result<ClientEvent, SessionError>> {
        loop {
            if let Some(event) = self.events.pop_front() {
                return Some(Ok(event));
            }
            if self.ended {
                return None;
            }
            if let Some(error) = self.error.take() {
                self.ended = true;
                return Some(Err(error));
            }
            match self.connection.poll_event() {
                Some(Ok(Event::Message(message))) => self.on_message(message),
                Some(Ok(Event::HandshakeComplete | Event::InvalidMessage { .. })) => {}
                Some(Err(error)) => self.fail(error.into()),
                None => {
                    if self.connection.is_closed() {
                        self.ended = true;
                    }
                    return None;
                }
            }
        }
    }

    fn poll_transmit(&mut self) -> Option<Bytes> {
        self.connection.poll_transmit()
    }

    fn poll_timeout(&self) -> Option<Instant> {
        if self.ended || self.error.is_some() {
            return None;
        }
        Some(self.last_input + self.config.idle_timeout?)
    }

    fn wants_read(&self) -> bool {
        !self.ended && self.error.is_none() && self.connection.wants_read()
    }

    fn is_closed(&self) -> bool {
        (self.ended || self.connection.is_closed())
            && self.events.is_empty()
            && self.error.is_none()
    }
}
