//! [`ClientSession`]: connect, then publish or play one stream, on top of
//! the shared [`Session`] core. The handlers of the server's answers are in
//! `commands.rs`.

mod commands;

use bytes::Bytes;

use crate::amf0::Value;
use crate::message::{type_id, Command, Connect, DataMessage, Message, UserControl};
use crate::session::core::hooks::RoleHooks;
use crate::session::core::{Incoming, Session, SessionRole};
use crate::session::status;
use crate::session::timers::Timing;
use crate::session::{CapsEx, ClientCommand, ClientConfig, ClientEvent, ConnectCaps};
use crate::{LocalError, MessageEvent, Role, RtmpConfig};

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

/// The client role of a [`Session`]: what it was asked to do and how far
/// it got.
#[derive(Debug)]
pub struct ClientRole {
    config: ClientConfig,
    phase: Phase,
    intent: Option<Intent>,
    /// The transaction id of the `createStream` in flight.
    create_transaction: Option<f64>,
    stream_id: Option<u32>,
    publishing: bool,
    next_transaction: f64,
    /// The Enhanced RTMP capabilities of the server's `_result`.
    server_caps: Option<ConnectCaps>,
}

/// The client side of an RTMP session: a [`Machine`](wirestate_core::Machine) that connects, then
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
/// [`poll_event`](wirestate_core::Machine::poll_event) has more to say after any
/// `handle_*` call and after [`publish`](Self::publish),
/// [`play`](Self::play), [`stop`](Self::stop) and [`close`](Session::close).
///
/// Memory: the [`RtmpConnection`](crate::RtmpConnection)'s bound plus the queued events of one
/// message.
pub type ClientSession = Session<ClientRole>;

impl Session<ClientRole> {
    /// The message stream the server created for this session, once known.
    pub fn stream_id(&self) -> Option<u32> {
        self.role.stream_id
    }

    /// The Enhanced RTMP capabilities the server stated in the `_result` of
    /// `connect` (its `fourCcList`, info maps and `capsEx`), once
    /// [`ClientEvent::Connected`]; all `None` for a legacy server.
    pub fn server_caps(&self) -> Option<&ConnectCaps> {
        self.role.server_caps.as_ref()
    }

    /// The negotiated Enhanced RTMP `capsEx`: the bits this client offered
    /// ([`ClientConfig::caps_ex`]) that the server's answer also has
    /// ([`CapsEx::NONE`] before [`ClientEvent::Connected`], when nothing
    /// was offered, or when the server answered none).
    pub fn caps_ex(&self) -> CapsEx {
        let offered = self.role.config.caps_ex.unwrap_or_default();
        let server_caps = self.role.server_caps.as_ref();
        let answered = server_caps.and_then(|caps| caps.caps_ex);
        offered & answered.unwrap_or_default()
    }

    /// Asks to publish `name` (`kind`: `live`, `record` or `append`):
    /// `releaseStream`, `FCPublish` and `createStream` now or once connected,
    /// then `publish`. Wait for [`ClientEvent::PublishStarted`].
    ///
    /// ```
    /// use std::time::Instant;
    /// use wirestate_core::{Machine, SeededRandom};
    /// use wirestate_rtmp::session::*;
    ///
    /// let now = Instant::now();
    /// let auto = ServerConfig { auto_accept: true, ..ServerConfig::default() };
    /// let mut server = ServerSession::new(auto, SeededRandom::new(1), now);
    /// let config = ClientConfig::new("live", "rtmp://127.0.0.1/live");
    /// let mut client = ClientSession::new(config, SeededRandom::new(2), now);
    /// client.publish("key", "live");
    /// let mut started = false;
    /// while !started {
    ///     while let Some(bytes) = client.poll_transmit() { server.handle_input(&bytes, now); }
    ///     while let Some(event) = server.poll_event() { event?; }
    ///     while let Some(bytes) = server.poll_transmit() { client.handle_input(&bytes, now); }
    ///     while let Some(event) = client.poll_event() {
    ///         started |= matches!(event?, ClientEvent::PublishStarted { .. });
    ///     }
    /// }
    /// client.send_video(0, bytes::Bytes::from_static(b"\x17\x00\x00\x00\x00"))?;
    /// # Ok::<(), SessionError>(())
    /// ```
    pub fn publish(&mut self, name: &str, kind: &str) {
        self.role.intent = Some(Intent::Publish {
            name: name.into(),
            kind: kind.into(),
        });
        self.start();
    }

    /// Asks to play `name` (live or recorded, from the start):
    /// `createStream` now or once connected, then `play`. Wait for
    /// [`ClientEvent::PlayStarted`] and media events.
    pub fn play(&mut self, name: &str) {
        self.role.intent = Some(Intent::Play { name: name.into() });
        self.start();
    }

    /// Sends metadata while publishing, as `@setDataFrame onMetaData
    /// properties`.
    ///
    /// # Errors
    ///
    /// [`LocalError::NotPublishing`] before
    /// [`ClientEvent::PublishStarted`]; [`LocalError::Closed`] if the
    /// session is closed.
    pub fn send_metadata(&mut self, timestamp: u32, properties: Value) -> Result<(), LocalError> {
        let stream_id = self.publishing_stream()?;
        let data = DataMessage {
            amf3: false,
            values: vec!["@setDataFrame".into(), "onMetaData".into(), properties],
        };
        self.send_data(stream_id, timestamp, data)
    }

    /// Sends an audio message body (tag header included) while publishing;
    /// the payload goes out without a copy.
    ///
    /// # Errors
    ///
    /// As [`send_metadata`](Self::send_metadata).
    pub fn send_audio(&mut self, timestamp: u32, payload: Bytes) -> Result<(), LocalError> {
        let stream_id = self.publishing_stream()?;
        self.send_media(stream_id, timestamp, type_id::AUDIO, payload)
    }

    /// Sends a video message body (tag header included) while publishing.
    ///
    /// # Errors
    ///
    /// As [`send_metadata`](Self::send_metadata).
    pub fn send_video(&mut self, timestamp: u32, payload: Bytes) -> Result<(), LocalError> {
        let stream_id = self.publishing_stream()?;
        self.send_media(stream_id, timestamp, type_id::VIDEO, payload)
    }

    /// Stops publishing or playing: `FCUnpublish` (when publishing) and
    /// `deleteStream`. The connection stays open.
    ///
    /// # Errors
    ///
    /// [`LocalError::Closed`] if the session is closed.
    pub fn stop(&mut self) -> Result<(), LocalError> {
        let Some(stream_id) = self.role.stream_id.take() else {
            return Ok(());
        };
        if let (true, Some(Intent::Publish { name, .. })) =
            (self.role.publishing, self.role.intent.clone())
        {
            let transaction_id = self.role.transaction();
            let command = Command::FcUnpublish {
                transaction_id,
                name,
            };
            self.send_control(status::command(command))?;
        }
        self.role.publishing = false;
        self.role.intent = None;
        let command = Command::DeleteStream {
            transaction_id: self.role.transaction(),
            stream_id: f64::from(stream_id),
        };
        self.send_control(status::command(command))
    }

    fn publishing_stream(&self) -> Result<u32, LocalError> {
        match (self.role.publishing, self.role.stream_id) {
            (true, Some(id)) => Ok(id),
            _ => Err(LocalError::NotPublishing),
        }
    }
}

impl ClientRole {
    fn transaction(&mut self) -> f64 {
        let id = self.next_transaction;
        self.next_transaction += 1.0;
        id
    }
}

/// The `connect` a client opens with.
fn connect_command(config: &ClientConfig) -> Connect {
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
    if let Some(map) = &config.video_four_cc_info_map {
        connect = connect.with("videoFourCcInfoMap", map.to_value());
    }
    if let Some(map) = &config.audio_four_cc_info_map {
        connect = connect.with("audioFourCcInfoMap", map.to_value());
    }
    if let Some(caps) = config.caps_ex {
        connect = connect.with("capsEx", caps.to_value());
    }
    connect
}

impl SessionRole for ClientRole {
    type Event = ClientEvent;
    type Command = ClientCommand;
    type Config = ClientConfig;
}

impl RoleHooks for ClientRole {
    const SIDE: Role = Role::Client;

    fn from_config(config: ClientConfig) -> ClientRole {
        ClientRole {
            config,
            phase: Phase::Connecting,
            intent: None,
            create_transaction: None,
            stream_id: None,
            publishing: false,
            // 1 is `connect`'s.
            next_transaction: 2.0,
            server_caps: None,
        }
    }

    /// SetChunkSize and `connect`, valid by construction: a fresh
    /// connection accepts both.
    fn on_open(session: &mut ClientSession) {
        let connect = connect_command(&session.role.config);
        let _ = session.send_control(Message::SetChunkSize(session.role.config.chunk_size));
        let _ = session.send_control(status::command(Command::Connect(connect)));
    }

    fn connection_config(&self) -> (RtmpConfig, Timing) {
        let config = &self.config;
        let timing = Timing {
            handshake: config.handshake_timeout,
            send: config.send_timeout,
            idle: config.idle_timeout,
            ping: None,
        };
        (config.connection.clone(), timing)
    }

    fn on_command(session: &mut ClientSession, context: Incoming, command: Command) {
        session.on_command(context, command);
    }

    /// Stops the stream (`FCUnpublish` when publishing, `deleteStream`).
    fn on_shutdown(session: &mut ClientSession) {
        // A refused send means the session is closed: nothing to say.
        let _ = session.stop();
    }

    fn on_other(session: &mut ClientSession, message: MessageEvent) {
        let event = match message.message {
            Message::UserControl(UserControl::StreamEof(stream_id)) => {
                ClientEvent::StreamEof { stream_id }
            }
            _ => ClientEvent::Other(message),
        };
        session.report(event);
    }

    fn takes_media(&self, _stream_id: u32) -> bool {
        true
    }

    fn handle_command(
        session: &mut ClientSession,
        command: ClientCommand,
    ) -> Result<(), LocalError> {
        match command {
            ClientCommand::Publish { name, kind } => session.publish(&name, &kind),
            ClientCommand::Play { name } => session.play(&name),
            ClientCommand::SendMetadata {
                timestamp,
                properties,
            } => return session.send_metadata(timestamp, properties),
            ClientCommand::SendAudio { timestamp, payload } => {
                return session.send_audio(timestamp, payload)
            }
            ClientCommand::SendVideo { timestamp, payload } => {
                return session.send_video(timestamp, payload)
            }
            ClientCommand::Stop => return session.stop(),
            ClientCommand::Ping(timestamp) => return session.ping(timestamp),
            ClientCommand::Close => session.close(),
        }
        Ok(())
    }
}
