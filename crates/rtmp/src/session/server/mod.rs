//! [`ServerSession`]: the server side of RTMP's NetConnection and NetStream
//! commands, on top of the shared [`Session`] core.
//!
//! - `commands.rs`: one handler per command the client sends;
//! - `answer.rs`: the application's answers (`accept_*`, `reject_*`) and
//!   media out;
//! - `streams.rs`: the message streams and the requests waiting for an
//!   answer.

mod answer;
mod commands;
mod streams;

use std::borrow::Cow;
use std::time::Duration;

use crate::media::FourCc;
use crate::message::{Command, Connect};
use crate::session::core::hooks::RoleHooks;
use crate::session::core::{Incoming, Session, SessionRole};
use crate::session::{MediaEvent, RequestId, ServerCommand};
use crate::{LocalError, MessageEvent, Role, RtmpConfig};

use streams::{Pending, StreamState};

/// How a [`ServerSession`] answers; [`Default`] matches what FFmpeg and
/// nginx-rtmp expect.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// The connection underneath (handshake, chunk limits, AMF0 limits).
    pub connection: RtmpConfig,
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
    /// [`SessionError::IdleTimeout`](crate::session::SessionError::IdleTimeout) (`None`: never).
    pub idle_timeout: Option<Duration>,
    /// Auto-accept mode (`false`): the session accepts every `connect`,
    /// `publish` and `play` itself, as [`accept_connect`](ServerSession::accept_connect),
    /// [`accept_publish`](ServerSession::accept_publish) and
    /// [`accept_play`](ServerSession::accept_play) would. The request events
    /// are still reported (so the application learns the app, stream names
    /// and stream ids), already answered: do not answer them again.
    pub auto_accept: bool,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            connection: RtmpConfig::default(),
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
            auto_accept: false,
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
    /// Metadata, audio or video from a publisher, on a stream whose
    /// `publish` was accepted.
    Media(MediaEvent),
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

impl From<MediaEvent> for ServerEvent {
    fn from(media: MediaEvent) -> ServerEvent {
        ServerEvent::Media(media)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    AwaitingConnect,
    ConnectPending,
    Connected,
    Rejected,
}

/// The server role of a [`Session`]: the accepted application, the message
/// streams and the requests waiting for the application's answer.
#[derive(Debug)]
pub struct ServerRole {
    config: ServerConfig,
    phase: Phase,
    app: String,
    /// Stream states, index `stream id - 1`.
    streams: Vec<StreamState>,
    pending: Vec<Pending>,
    next_request: u64,
}

/// The server side of an RTMP session: a [`Machine`](wirestate_core::Machine) that answers the
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
/// audio/video/data ────────────▶ Media(Audio / Video / Metadata)
/// play ────────────────────────▶ PlayRequested ─────────────▶ accept_play
///          ◀── StreamBegin, Play.Reset, Play.Start, |RtmpSampleAccess
///          ◀── send_audio / send_video / send_metadata ◀──── application
/// ```
///
/// Requests are answered in any order, at any later time. Rejections send
/// `_error` (connect) or an error `onStatus` (publish, play); the session
/// stays open so the application decides when to [`close`](Self::close).
///
/// [`poll_event`](wirestate_core::Machine::poll_event) has more to say after any
/// `handle_*` call and after [`accept_connect`](Self::accept_connect),
/// [`accept_publish`](Self::accept_publish), [`accept_play`](Self::accept_play),
/// the `reject_*` calls, [`end_play`](Self::end_play) and
/// [`close`](Session::close).
///
/// Memory: the [`RtmpConnection`](crate::RtmpConnection)'s bound, plus one entry per unanswered
/// request and per message stream (at most [`ServerConfig::max_streams`]).
pub type ServerSession = Session<ServerRole>;

impl Session<ServerRole> {
    /// The application name of the accepted `connect` (empty before).
    pub fn app(&self) -> &str {
        &self.role.app
    }
}

impl SessionRole for ServerRole {
    type Config = ServerConfig;
    type Event = ServerEvent;
    type Command = ServerCommand;
}

impl RoleHooks for ServerRole {
    const SIDE: Role = Role::Server;

    fn connection_config(&self) -> (RtmpConfig, Option<Duration>) {
        let config = &self.config;
        (config.connection.clone(), config.idle_timeout)
    }

    fn from_config(config: ServerConfig) -> ServerRole {
        ServerRole {
            config,
            phase: Phase::AwaitingConnect,
            app: String::new(),
            streams: Vec::new(),
            pending: Vec::new(),
            next_request: 0,
        }
    }

    fn on_command(session: &mut ServerSession, context: Incoming, command: Command) {
        session.on_command(context, command);
    }

    fn on_other(session: &mut ServerSession, message: MessageEvent) {
        session.report(ServerEvent::Other(message));
    }

    fn takes_media(&self, stream_id: u32) -> bool {
        matches!(self.stream(stream_id), StreamState::Publishing(_))
    }

    fn handle_command(
        session: &mut ServerSession,
        command: ServerCommand,
    ) -> Result<(), LocalError> {
        match command {
            ServerCommand::AcceptConnect(request) => session.accept_connect(request),
            ServerCommand::RejectConnect {
                request,
                description,
            } => session.reject_connect(request, &description),
            ServerCommand::AcceptPublish(request) => session.accept_publish(request),
            ServerCommand::RejectPublish {
                request,
                code,
                description,
            } => session.reject_publish(request, &code, &description),
            ServerCommand::AcceptPlay(request) => session.accept_play(request),
            ServerCommand::RejectPlay {
                request,
                code,
                description,
            } => session.reject_play(request, &code, &description),
            ServerCommand::SendMetadata {
                stream_id,
                timestamp,
                data,
            } => session.send_metadata(stream_id, timestamp, &data),
            ServerCommand::SendAudio {
                stream_id,
                timestamp,
                payload,
            } => session.send_audio(stream_id, timestamp, payload),
            ServerCommand::SendVideo {
                stream_id,
                timestamp,
                payload,
            } => session.send_video(stream_id, timestamp, payload),
            ServerCommand::EndPlay(stream_id) => session.end_play(stream_id),
            ServerCommand::Ping(timestamp) => session.ping(timestamp),
            ServerCommand::Close => {
                session.close();
                Ok(())
            }
        }
    }

    fn on_end(session: &mut ServerSession) {
        session.finish_all();
    }

    fn is_active(&self) -> bool {
        self.streams.iter().any(|s| *s != StreamState::Idle)
    }

    fn release_idle_memory(&mut self) {
        if self.pending.is_empty() && self.pending.capacity() > 0 {
            self.pending = Vec::new();
        }
    }
}

#[cfg(test)]
mod tests;
