//! [`ServerSession`]: the server side of RTMP's NetConnection and NetStream
//! commands, on top of an [`RtmpConnection`].

use std::borrow::Cow;
use std::collections::VecDeque;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use wirestate_core::{Machine, RandomSource};

use crate::amf0::Value;
use crate::media::FourCc;
use crate::message::{
    Audio, BandwidthLimit, Command, Connect, DataMessage, Message, UserControl, Video,
};
use crate::session::cache::player_metadata;
use crate::session::status::{self, on_status};
use crate::session::{RequestId, ServerCommand, SessionError};
use crate::{ConnectionConfig, Event, MessageEvent, Role, RtmpConnection};

/// How a [`ServerSession`] answers; [`Default`] matches what FFmpeg and
/// nginx-rtmp expect.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// The connection underneath (handshake, chunk limits, AMF0 limits).
    pub connection: ConnectionConfig,
    /// The chunk size this side sends with, announced on accepting
    /// `connect` (4096).
    pub chunk_size: u32,
    /// The WindowAckSize announced on accepting `connect` (2 500 000).
    pub window_ack_size: u32,
    /// The SetPeerBandwidth announced on accepting `connect` (2 500 000,
    /// dynamic).
    pub peer_bandwidth: u32,
    /// At most this many message streams per connection (`createStream`
    /// beyond it is answered with `_error`) (8).
    pub max_streams: usize,
    /// The Enhanced RTMP codecs this server accepts; the `_result` of
    /// `connect` lists those the client also offered.
    pub four_cc_list: Cow<'static, [FourCc]>,
    /// The Enhanced RTMP `capsEx` bits this server supports (0); the
    /// `_result` carries those the client also offered.
    pub caps_ex: u32,
    /// Without input for this long the session fails with
    /// [`SessionError::IdleTimeout`] (`None`: never).
    pub idle_timeout: Option<Duration>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            connection: ConnectionConfig::default(),
            chunk_size: 4096,
            window_ack_size: 2_500_000,
            peer_bandwidth: 2_500_000,
            max_streams: 8,
            four_cc_list: Cow::Borrowed(&[
                FourCc::AV1,
                FourCc::VP9,
                FourCc::VP8,
                FourCc::HEVC,
                FourCc::AVC,
                FourCc::OPUS,
                FourCc::AAC,
                FourCc::FLAC,
                FourCc::MP3,
                FourCc::AC3,
                FourCc::EAC3,
            ]),
            caps_ex: 0,
            idle_timeout: None,
        }
    }
}

/// A `connect` the application must accept or reject.
#[derive(Debug, Clone, PartialEq)]
pub struct ConnectRequest {
    /// Pass to [`ServerSession::accept_connect`] or
    /// [`ServerSession::reject_connect`].
    pub request: RequestId,
    /// `app`, the application name (empty if absent).
    pub app: String,
    /// `tcUrl`.
    pub tc_url: Option<String>,
    /// `flashVer`.
    pub flash_ver: Option<String>,
    /// `objectEncoding` (0 AMF0, 3 AMF3).
    pub object_encoding: Option<f64>,
    /// Enhanced RTMP `fourCcList`, when the client offered it.
    pub four_cc_list: Option<Vec<String>>,
    /// Enhanced RTMP `capsEx`, when the client offered it.
    pub caps_ex: Option<f64>,
    /// The whole `connect` command.
    pub command: Connect,
}

/// What a [`ServerSession`] reports.
#[derive(Debug, Clone, PartialEq)]
pub enum ServerEvent {
    /// The client sent `connect`: call [`ServerSession::accept_connect`] or
    /// [`ServerSession::reject_connect`].
    ConnectRequested(ConnectRequest),
    /// The client wants to publish `name` on `stream_id`: call
    /// [`ServerSession::accept_publish`] or [`ServerSession::reject_publish`].
    PublishRequested {
        /// The request to answer.
        request: RequestId,
        /// The message stream it publishes on.
        stream_id: u32,
        /// The application of the connection.
        app: String,
        /// The stream name (the stream key).
        name: String,
        /// `live`, `record` or `append`, if given.
        kind: Option<String>,
    },
    /// The client wants to play `name` on `stream_id`: call
    /// [`ServerSession::accept_play`] or [`ServerSession::reject_play`].
    PlayRequested {
        /// The request to answer.
        request: RequestId,
        /// The message stream to play on.
        stream_id: u32,
        /// The application of the connection.
        app: String,
        /// The stream name.
        name: String,
        /// `play`'s start (-2 live or recorded, -1 live, >= 0 seconds).
        start: Option<f64>,
    },
    /// Metadata from a publisher, as a player should get it (`onMetaData`
    /// and the properties, without `@setDataFrame`).
    Metadata {
        /// The publishing stream.
        stream_id: u32,
        /// Absolute timestamp in milliseconds.
        timestamp: u32,
        /// The metadata.
        data: DataMessage,
    },
    /// Audio from a publisher.
    Audio {
        /// The publishing stream.
        stream_id: u32,
        /// Absolute timestamp in milliseconds.
        timestamp: u32,
        /// The payload and its parsed tag header.
        audio: Audio,
    },
    /// Video from a publisher.
    Video {
        /// The publishing stream.
        stream_id: u32,
        /// Absolute timestamp in milliseconds.
        timestamp: u32,
        /// The payload and its parsed tag header.
        video: Video,
    },
    /// A publisher stopped (FCUnpublish, closeStream, deleteStream or the
    /// connection ended). No more media comes for `stream_id`.
    PublishFinished {
        /// The stream that was published.
        stream_id: u32,
        /// The stream name.
        name: String,
    },
    /// A player stopped (closeStream, deleteStream or the connection ended):
    /// stop pushing media for `stream_id`.
    PlayFinished {
        /// The stream that was played.
        stream_id: u32,
        /// The stream name.
        name: String,
    },
    /// Any other message (acknowledgements, ping responses, unknown
    /// commands, media on a stream that does not publish ...), after the
    /// session and the connection did what they do with it.
    Other(MessageEvent),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    AwaitingConnect,
    ConnectPending,
    Connected,
    Rejected,
}

#[derive(Debug, Clone, PartialEq)]
enum StreamState {
    Idle,
    PublishPending(String),
    Publishing(String),
    PlayPending(String),
    Playing(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Connect,
    Publish,
    Play,
}

#[derive(Debug)]
struct Pending {
    id: RequestId,
    transaction_id: f64,
    stream_id: u32,
    connect: Option<Connect>,
}

/// The server side of an RTMP session: a [`Machine`] that answers the
/// NetConnection and NetStream commands and turns a publisher's messages
/// into media events.
///
/// ```text
/// client                         ServerSession                application
/// connect ─────────────────────▶ ConnectRequested ──────────▶ accept_connect
///          ◀── WindowAckSize, SetPeerBandwidth, SetChunkSize, _result
/// releaseStream, FCPublish ────▶ _result
/// createStream ────────────────▶ _result(stream id)
/// publish ─────────────────────▶ PublishRequested ──────────▶ accept_publish
///          ◀── onStatus NetStream.Publish.Start
/// audio/video/data ────────────▶ Audio / Video / Metadata
/// play ────────────────────────▶ PlayRequested ─────────────▶ accept_play
///          ◀── StreamBegin, Play.Reset, Play.Start, |RtmpSampleAccess
///          ◀── send_audio / send_video / send_metadata ◀──── application
/// ```
///
/// Requests are answered in any order, at any later time. Rejections send
/// `_error` (connect) or an error `onStatus` (publish, play); the session
/// stays open so the application decides when to [`close`](Self::close).
///
/// Memory: the [`RtmpConnection`]'s bound, plus one entry per unanswered
/// request and per message stream (at most [`ServerConfig::max_streams`]).
#[derive(Debug)]
pub struct ServerSession {
    connection: RtmpConnection,
    config: ServerConfig,
    phase: Phase,
    app: String,
    /// Stream states, index `stream id - 1`.
    streams: Vec<StreamState>,
    pending: Vec<Pending>,
    next_request: u64,
    events: VecDeque<ServerEvent>,
    /// A fatal error, returned after the finish events it caused.
    error: Option<SessionError>,
    ended: bool,
    last_input: Instant,
}

impl ServerSession {
    /// A session for a connection accepted at `now`. `rng` fills the
    /// handshake's random bytes. Feed it the client's bytes next.
    pub fn new(
        config: ServerConfig,
        rng: impl RandomSource + Send + 'static,
        now: Instant,
    ) -> ServerSession {
        let connection = RtmpConnection::new(Role::Server, config.connection.clone(), rng);
        ServerSession {
            connection,
            config,
            phase: Phase::AwaitingConnect,
            app: String::new(),
            streams: Vec::new(),
            pending: Vec::new(),
            next_request: 0,
            events: VecDeque::new(),
            error: None,
            ended: false,
            last_input: now,
        }
    }

    /// The connection underneath (handshake info, chunk sizes ...).
    pub fn connection(&self) -> &RtmpConnection {
        &self.connection
    }

    /// The application name of the accepted `connect` (empty before).
    pub fn app(&self) -> &str {
        &self.app
    }

    /// Accepts a `connect`: sends WindowAckSize, SetPeerBandwidth,
    /// SetChunkSize and `_result` (with Enhanced RTMP capabilities when the
    /// client offered them). Drain [`poll_transmit`](Machine::poll_transmit)
    /// next.
    pub fn accept_connect(&mut self, request: RequestId) -> Result<(), SessionError> {
        let pending = self.take_pending(request, Kind::Connect)?;
        let connect = pending
            .connect
            .ok_or(SessionError::UnknownRequest(request))?;
        self.phase = Phase::Connected;
        self.app = connect.app().unwrap_or_default().to_owned();
        self.connection
            .send(0, 0, Message::WindowAckSize(self.config.window_ack_size))?;
        self.connection.send(
            0,
            0,
            Message::SetPeerBandwidth {
                size: self.config.peer_bandwidth,
                limit: BandwidthLimit::Dynamic,
            },
        )?;
        self.connection
            .send(0, 0, Message::SetChunkSize(self.config.chunk_size))?;
        let mut properties = vec![
            ("fmsVer".to_owned(), Value::String("FMS/3,0,1,123".into())),
            ("capabilities".to_owned(), Value::Number(31.0)),
        ];
        if let Some(offered) = connect.four_cc_list() {
            let common: Vec<Value> = self
                .config
                .four_cc_list
                .iter()
                .filter(|ours| {
                    offered
                        .iter()
                        .any(|theirs| *theirs == "*" || theirs.as_bytes() == ours.0)
                })
                .map(|fourcc| Value::String(fourcc.to_string()))
                .collect();
            properties.push(("fourCcList".to_owned(), Value::StrictArray(common)));
        }
        if let Some(offered) = connect.caps_ex() {
            let common = (offered as u32) & self.config.caps_ex;
            properties.push(("capsEx".to_owned(), Value::Number(f64::from(common))));
        }
        let encoding = connect.object_encoding().unwrap_or(0.0);
        let info = status::info(
            "status",
            "NetConnection.Connect.Success",
            "Connection succeeded.",
            vec![("objectEncoding".to_owned(), Value::Number(encoding))],
        );
        self.send_command(
            0,
            status::result(
                pending.transaction_id,
                Value::Object(properties),
                vec![info],
            ),
        )
    }

    /// Rejects a `connect` with `_error` `NetConnection.Connect.Rejected`
    /// and `description`. Later commands are ignored; close the session
    /// once the transmits are drained.
    pub fn reject_connect(
        &mut self,
        request: RequestId,
        description: &str,
    ) -> Result<(), SessionError> {
        let pending = self.take_pending(request, Kind::Connect)?;
        self.phase = Phase::Rejected;
        self.send_command(
            0,
            status::error(
                pending.transaction_id,
                "NetConnection.Connect.Rejected",
                description,
            ),
        )
    }

    /// Accepts a `publish`: sends onStatus `NetStream.Publish.Start`. Media
    /// events for the stream follow.
    pub fn accept_publish(&mut self, request: RequestId) -> Result<(), SessionError> {
        let pending = self.take_pending(request, Kind::Publish)?;
        let stream_id = pending.stream_id;
        let StreamState::PublishPending(name) = self.stream(stream_id).clone() else {
            return Err(SessionError::UnknownRequest(request));
        };
        let description = format!("{name} is now published.");
        self.set_stream(stream_id, StreamState::Publishing(name.clone()));
        self.send_command(
            stream_id,
            on_status(
                "status",
                "NetStream.Publish.Start",
                &description,
                vec![("details".to_owned(), Value::String(name))],
            ),
        )
    }

    /// Rejects a `publish` with an error onStatus `code` (for example
    /// `NetStream.Publish.BadName`) and `description`.
    pub fn reject_publish(
        &mut self,
        request: RequestId,
        code: &str,
        description: &str,
    ) -> Result<(), SessionError> {
        let pending = self.take_pending(request, Kind::Publish)?;
        self.set_stream(pending.stream_id, StreamState::Idle);
        self.send_command(
            pending.stream_id,
            on_status("error", code, description, Vec::new()),
        )
    }

    /// Accepts a `play`: sends StreamBegin, onStatus `NetStream.Play.Reset`
    /// and `NetStream.Play.Start`, and `|RtmpSampleAccess`. Push media with
    /// [`send_metadata`](Self::send_metadata),
    /// [`send_audio`](Self::send_audio) and [`send_video`](Self::send_video)
    /// next, sequence headers first ([`SequenceHeaders`](super::SequenceHeaders)).
    pub fn accept_play(&mut self, request: RequestId) -> Result<(), SessionError> {
        let pending = self.take_pending(request, Kind::Play)?;
        let stream_id = pending.stream_id;
        let StreamState::PlayPending(name) = self.stream(stream_id).clone() else {
            return Err(SessionError::UnknownRequest(request));
        };
        self.set_stream(stream_id, StreamState::Playing(name.clone()));
        self.connection.send(
            0,
            0,
            Message::UserControl(UserControl::StreamBegin(stream_id)),
        )?;
        let details = || vec![("details".to_owned(), Value::String(name.clone()))];
        self.send_command(
            stream_id,
            on_status(
                "status",
                "NetStream.Play.Reset",
                &format!("Playing and resetting {name}."),
                details(),
            ),
        )?;
        self.send_command(
            stream_id,
            on_status(
                "status",
                "NetStream.Play.Start",
                &format!("Started playing {name}."),
                details(),
            ),
        )?;
        let access = DataMessage {
            amf3: false,
            values: vec![
                Value::String("|RtmpSampleAccess".into()),
                Value::Boolean(true),
                Value::Boolean(true),
            ],
        };
        self.connection.send(stream_id, 0, Message::Data(access))?;
        Ok(())
    }

    /// Rejects a `play` with an error onStatus `code` (for example
    /// `NetStream.Play.StreamNotFound`) and `description`.
    pub fn reject_play(
        &mut self,
        request: RequestId,
        code: &str,
        description: &str,
    ) -> Result<(), SessionError> {
        let pending = self.take_pending(request, Kind::Play)?;
        self.set_stream(pending.stream_id, StreamState::Idle);
        self.send_command(
            pending.stream_id,
            on_status("error", code, description, Vec::new()),
        )
    }

    /// Sends metadata to a player (`onMetaData` and properties; a
    /// publisher's `@setDataFrame` wrapper is removed).
    pub fn send_metadata(
        &mut self,
        stream_id: u32,
        timestamp: u32,
        data: &DataMessage,
    ) -> Result<(), SessionError> {
        self.check_playing(stream_id)?;
        let data = player_metadata(data).unwrap_or_else(|| data.clone());
        Ok(self
            .connection
            .send(stream_id, timestamp, Message::Data(data))?)
    }

    /// Sends an audio message body (tag header included) to a player. The
    /// payload is not copied: it goes out as its own transmit pieces.
    pub fn send_audio(
        &mut self,
        stream_id: u32,
        timestamp: u32,
        payload: Bytes,
    ) -> Result<(), SessionError> {
        self.check_playing(stream_id)?;
        self.send_media(
            stream_id,
            timestamp,
            crate::message::type_id::AUDIO,
            payload,
        )
    }

    /// Sends a video message body (tag header included) to a player, like
    /// [`send_audio`](Self::send_audio).
    pub fn send_video(
        &mut self,
        stream_id: u32,
        timestamp: u32,
        payload: Bytes,
    ) -> Result<(), SessionError> {
        self.check_playing(stream_id)?;
        self.send_media(
            stream_id,
            timestamp,
            crate::message::type_id::VIDEO,
            payload,
        )
    }

    /// Tells a player the stream ended: onStatus
    /// `NetStream.Play.UnpublishNotify` and `NetStream.Play.Stop`, then
    /// StreamEOF. The stream stops playing.
    pub fn end_play(&mut self, stream_id: u32) -> Result<(), SessionError> {
        self.check_playing(stream_id)?;
        let StreamState::Playing(name) = self.stream(stream_id).clone() else {
            return Err(SessionError::NotPlaying(stream_id));
        };
        self.set_stream(stream_id, StreamState::Idle);
        self.send_command(
            stream_id,
            on_status(
                "status",
                "NetStream.Play.UnpublishNotify",
                &format!("{name} is now unpublished."),
                Vec::new(),
            ),
        )?;
        self.send_command(
            stream_id,
            on_status(
                "status",
                "NetStream.Play.Stop",
                &format!("Stopped playing {name}."),
                Vec::new(),
            ),
        )?;
        Ok(self.connection.send(
            0,
            0,
            Message::UserControl(UserControl::StreamEof(stream_id)),
        )?)
    }

    /// Sends a ping request; the client's PingResponse arrives as
    /// [`ServerEvent::Other`].
    pub fn ping(&mut self, timestamp: u32) -> Result<(), SessionError> {
        Ok(self.connection.send(
            0,
            0,
            Message::UserControl(UserControl::PingRequest(timestamp)),
        )?)
    }

    /// Stops the session: nothing more is read or sent. Transmits already
    /// queued can still be drained.
    pub fn close(&mut self) {
        self.connection.close();
    }

    fn send_media(
        &mut self,
        stream_id: u32,
        timestamp: u32,
        type_id: u8,
        payload: Bytes,
    ) -> Result<(), SessionError> {
        // Media is relayed as it came: sent by type id, so the tag header
        // is not parsed again for every player.
        let message = Message::Unknown { type_id, payload };
        let csid = if type_id == crate::message::type_id::AUDIO {
            4
        } else {
            6
        };
        Ok(self.connection.send_outgoing(crate::Outgoing {
            csid,
            stream_id,
            timestamp,
            message,
        })?)
    }

    fn check_playing(&self, stream_id: u32) -> Result<(), SessionError> {
        match self.stream(stream_id) {
            StreamState::Playing(_) => Ok(()),
            _ => Err(SessionError::NotPlaying(stream_id)),
        }
    }

    fn send_command(&mut self, stream_id: u32, message: Message) -> Result<(), SessionError> {
        Ok(self.connection.send(stream_id, 0, message)?)
    }

    /// Removes a pending request of the given kind; a wrong id or kind is
    /// an error that changes nothing.
    fn take_pending(&mut self, request: RequestId, kind: Kind) -> Result<Pending, SessionError> {
        let at = self
            .pending
            .iter()
            .position(|p| p.id == request && self.kind_of(p) == Some(kind))
            .ok_or(SessionError::UnknownRequest(request))?;
        Ok(self.pending.swap_remove(at))
    }

    fn kind_of(&self, pending: &Pending) -> Option<Kind> {
        if pending.connect.is_some() {
            return Some(Kind::Connect);
        }
        match self.stream(pending.stream_id) {
            StreamState::PublishPending(_) => Some(Kind::Publish),
            StreamState::PlayPending(_) => Some(Kind::Play),
            _ => None,
        }
    }

    fn new_request(
        &mut self,
        transaction_id: f64,
        stream_id: u32,
        connect: Option<Connect>,
    ) -> RequestId {
        let id = RequestId(self.next_request);
        self.next_request += 1;
        self.pending.push(Pending {
            id,
            transaction_id,
            stream_id,
            connect,
        });
        id
    }

    fn stream(&self, stream_id: u32) -> &StreamState {
        static IDLE: StreamState = StreamState::Idle;
        stream_id
            .checked_sub(1)
            .and_then(|i| self.streams.get(i as usize))
            .unwrap_or(&IDLE)
    }

    fn set_stream(&mut self, stream_id: u32, state: StreamState) {
        if let Some(slot) = stream_id
            .checked_sub(1)
            .and_then(|i| self.streams.get_mut(i as usize))
        {
            *slot = state;
        }
    }

    fn stream_exists(&self, stream_id: u32) -> bool {
        stream_id >= 1 && (stream_id as usize) <= self.streams.len()
    }

    /// Ends whatever `stream_id` was doing, reporting it.
    fn finish_stream(&mut self, stream_id: u32) {
        let state = std::mem::replace(
            match stream_id
                .checked_sub(1)
                .and_then(|i| self.streams.get_mut(i as usize))
            {
                Some(slot) => slot,
                None => return,
            },
            StreamState::Idle,
        );
        match state {
            StreamState::Publishing(name) => self
                .events
                .push_back(ServerEvent::PublishFinished { stream_id, name }),
            StreamState::Playing(name) => self
                .events
                .push_back(ServerEvent::PlayFinished { stream_id, name }),
            _ => {}
        }
        self.pending.retain(|p| p.stream_id != stream_id);
    }

    fn finish_all(&mut self) {
        for stream_id in 1..=self.streams.len() as u32 {
            self.finish_stream(stream_id);
        }
    }

    fn on_message(&mut self, event: MessageEvent) {
        let stream_id = event.stream_id;
        let timestamp = event.timestamp;
        match event.message {
            Message::Command { command, amf3 } => {
                let (csid, len) = (event.csid, event.len);
                let wrap = move |command: Command| MessageEvent {
                    csid,
                    stream_id,
                    timestamp,
                    len,
                    message: Message::Command { amf3, command },
                };
                self.on_command(stream_id, command, wrap)
            }
            Message::Audio(audio) if self.is_publishing(stream_id) => {
                self.events.push_back(ServerEvent::Audio {
                    stream_id,
                    timestamp,
                    audio,
                })
            }
            Message::Video(video) if self.is_publishing(stream_id) => {
                self.events.push_back(ServerEvent::Video {
                    stream_id,
                    timestamp,
                    video,
                })
            }
            Message::Data(ref data) if self.is_publishing(stream_id) => {
                match player_metadata(data) {
                    Some(data) => self.events.push_back(ServerEvent::Metadata {
                        stream_id,
                        timestamp,
                        data,
                    }),
                    None => self.events.push_back(ServerEvent::Other(event)),
                }
            }
            message => self
                .events
                .push_back(ServerEvent::Other(MessageEvent { message, ..event })),
        }
    }

    fn is_publishing(&self, stream_id: u32) -> bool {
        matches!(self.stream(stream_id), StreamState::Publishing(_))
    }

    fn on_command(
        &mut self,
        stream_id: u32,
        command: Command,
        wrap: impl Fn(Command) -> MessageEvent,
    ) {
        let other = |command: Command| ServerEvent::Other(wrap(command));
        if self.phase != Phase::Connected {
            match command {
                Command::Connect(connect) if self.phase == Phase::AwaitingConnect => {
                    self.phase = Phase::ConnectPending;
                    let request =
                        self.new_request(connect.transaction_id, 0, Some(connect.clone()));
                    let owned = |s: Option<&str>| s.map(str::to_owned);
                    self.events
                        .push_back(ServerEvent::ConnectRequested(ConnectRequest {
                            request,
                            app: connect.app().unwrap_or_default().to_owned(),
                            tc_url: owned(connect.tc_url()),
                            flash_ver: owned(connect.flash_ver()),
                            object_encoding: connect.object_encoding(),
                            four_cc_list: connect
                                .four_cc_list()
                                .map(|list| list.into_iter().map(str::to_owned).collect()),
                            caps_ex: connect.caps_ex(),
                            command: connect,
                        }));
                }
                command => self.events.push_back(other(command)),
            }
            return;
        }
        match command {
            // Answered here, and still reported: every poll that queues a
            // transmit returns an event, so a driver writes right after it.
            Command::ReleaseStream { transaction_id, .. }
            | Command::FcPublish { transaction_id, .. } => {
                let _ = self.send_command(
                    0,
                    status::result(transaction_id, Value::Null, vec![Value::Undefined]),
                );
                self.events.push_back(other(command));
            }
            Command::CreateStream { transaction_id, .. } => {
                let answer = if self.streams.len() >= self.config.max_streams {
                    status::error(
                        transaction_id,
                        "NetConnection.Call.Failed",
                        "too many streams",
                    )
                } else {
                    self.streams.push(StreamState::Idle);
                    status::result(
                        transaction_id,
                        Value::Null,
                        vec![Value::Number(self.streams.len() as f64)],
                    )
                };
                let _ = self.send_command(0, answer);
                self.events.push_back(other(command));
            }
            Command::Publish {
                transaction_id,
                name,
                kind,
            } if self.stream(stream_id) == &StreamState::Idle && self.stream_exists(stream_id) => {
                self.set_stream(stream_id, StreamState::PublishPending(name.clone()));
                let request = self.new_request(transaction_id, stream_id, None);
                self.events.push_back(ServerEvent::PublishRequested {
                    request,
                    stream_id,
                    app: self.app.clone(),
                    name,
                    kind,
                });
            }
            Command::Play(play)
                if self.stream(stream_id) == &StreamState::Idle
                    && self.stream_exists(stream_id) =>
            {
                self.set_stream(stream_id, StreamState::PlayPending(play.name.clone()));
                let request = self.new_request(play.transaction_id, stream_id, None);
                self.events.push_back(ServerEvent::PlayRequested {
                    request,
                    stream_id,
                    app: self.app.clone(),
                    name: play.name,
                    start: play.start,
                });
            }
            Command::FcUnpublish { ref name, .. } => {
                let publishing = (1..=self.streams.len() as u32)
                    .find(|id| matches!(self.stream(*id), StreamState::Publishing(n) if n == name));
                if let Some(id) = publishing {
                    self.finish_stream(id);
                }
                self.events.push_back(other(command));
            }
            Command::CloseStream { .. } => {
                self.finish_stream(stream_id);
                self.events.push_back(other(command));
            }
            Command::DeleteStream { stream_id: id, .. } => {
                if id >= 1.0 && id <= self.streams.len() as f64 {
                    self.finish_stream(id as u32);
                }
                self.events.push_back(other(command));
            }
            command => self.events.push_back(other(command)),
        }
    }

    /// An idle session keeps no queue capacity: events are large, and an
    /// idle server may hold thousands of sessions.
    fn release_idle_memory(&mut self) {
        if self.events.capacity() > 0 {
            self.events = VecDeque::new();
        }
        if self.pending.is_empty() && self.pending.capacity() > 0 {
            self.pending = Vec::new();
        }
    }

    fn touch(&mut self, now: Instant) {
        self.last_input = now;
    }
}

impl Machine for ServerSession {
    type Event = ServerEvent;
    type Command = ServerCommand;
    type Error = SessionError;

    fn input_buffer(&mut self) -> &mut BytesMut {
        self.connection.input_buffer()
    }

    fn handle_buffered_input(&mut self, now: Instant) {
        self.touch(now);
        self.connection.handle_buffered_input(now);
    }

    fn handle_eof(&mut self, now: Instant) {
        self.connection.handle_eof(now);
    }

    fn handle_timeout(&mut self, now: Instant) {
        if let (Some(idle), Some(deadline)) = (self.config.idle_timeout, self.poll_timeout()) {
            if now >= deadline && self.error.is_none() && !self.ended {
                self.error = Some(SessionError::IdleTimeout(idle));
                self.finish_all();
                self.connection.close();
            }
        }
        self.connection.handle_timeout(now);
    }

    fn handle_command(&mut self, cmd: ServerCommand, _now: Instant) -> Result<(), SessionError> {
        match cmd {
            ServerCommand::AcceptConnect(request) => self.accept_connect(request),
            ServerCommand::RejectConnect {
                request,
                description,
            } => self.reject_connect(request, &description),
            ServerCommand::AcceptPublish(request) => self.accept_publish(request),
            ServerCommand::RejectPublish {
                request,
                code,
                description,
            } => self.reject_publish(request, &code, &description),
            ServerCommand::AcceptPlay(request) => self.accept_play(request),
            ServerCommand::RejectPlay {
                request,
                code,
                description,
            } => self.reject_play(request, &code, &description),
            ServerCommand::SendMetadata {
                stream_id,
                timestamp,
                data,
            } => self.send_metadata(stream_id, timestamp, &data),
            ServerCommand::SendAudio {
                stream_id,
                timestamp,
                payload,
            } => self.send_audio(stream_id, timestamp, payload),
            ServerCommand::SendVideo {
                stream_id,
                timestamp,
                payload,
            } => self.send_video(stream_id, timestamp, payload),
            ServerCommand::EndPlay(stream_id) => self.end_play(stream_id),
            ServerCommand::Ping(timestamp) => self.ping(timestamp),
            ServerCommand::Close => {
                self.close();
                Ok(())
            }
        }
    }

    fn poll_event(&mut self) -> Option<Result<ServerEvent, SessionError>> {
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
                Some(Err(error)) => {
                    self.finish_all();
                    self.error = Some(error.into());
                }
                None => {
                    if self.connection.is_closed() {
                        self.finish_all();
                        self.ended = true;
                        continue;
                    }
                    self.release_idle_memory();
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
        let active = self.streams.iter().any(|s| *s != StreamState::Idle);
        self.events.is_empty()
            && self.error.is_none()
            && (self.ended || (self.connection.is_closed() && !active))
    }
}
