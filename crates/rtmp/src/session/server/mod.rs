//! [`ServerSession`]: the server side of RTMP's NetConnection and NetStream
//! commands, on top of the shared [`Session`] core.
//!
//! - `commands.rs`: one handler per command the client sends;
//! - `answer.rs`: the application's answers (`accept_*`, `reject_*`) and
//!   media out;
//! - `enhanced.rs`: Enhanced RTMP v2 (the capabilities stated in the
//!   `_result` of `connect`, the reconnect request);
//! - `streams.rs`: the message streams and the requests waiting for an
//!   answer.

mod answer;
mod commands;
mod enhanced;
mod streams;

use crate::chunk::RawMessage;
use crate::message::{type_id, Command, MessageError};
use crate::session::core::hooks::RoleHooks;
use crate::session::core::{Incoming, Session, SessionRole};
use crate::session::timers::{ping_interval, Timing};
use crate::session::{CapsEx, ServerCommand, ServerConfig, ServerEvent};
use crate::{LocalError, MessageEvent, Role, RtmpConfig};

use streams::{Pending, StreamState};

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
    /// The negotiated Enhanced RTMP `capsEx` (set on accepting `connect`).
    caps_ex: CapsEx,
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

    fn connection_config(&self) -> (RtmpConfig, Timing) {
        let config = &self.config;
        let timing = Timing {
            handshake: config.handshake_timeout,
            send: config.send_timeout,
            idle: config.idle_timeout,
            ping: ping_interval(config.ping_interval, config.idle_timeout),
        };
        (config.connection.clone(), timing)
    }

    fn from_config(config: ServerConfig) -> ServerRole {
        ServerRole {
            config,
            phase: Phase::AwaitingConnect,
            app: String::new(),
            streams: Vec::new(),
            pending: Vec::new(),
            next_request: 0,
            caps_ex: CapsEx::NONE,
        }
    }

    fn on_command(session: &mut ServerSession, context: Incoming, command: Command) {
        session.on_command(context, command);
    }

    /// A command message before `connect` that does not decode is taken
    /// for a malformed `connect`.
    fn on_invalid(session: &mut ServerSession, raw: &RawMessage, error: &MessageError) {
        let command = matches!(raw.type_id, type_id::COMMAND | type_id::COMMAND_AMF3);
        if command && raw.stream_id == 0 && session.role.phase == Phase::AwaitingConnect {
            session.reject_malformed_connect(
                1.0,
                format!("the connect command did not decode: {error}"),
            );
        }
    }

    fn on_shutdown(session: &mut ServerSession) {
        session.say_goodbye();
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
            ServerCommand::RequestReconnect {
                tc_url,
                description,
            } => session.request_reconnect(tc_url.as_deref(), description.as_deref()),
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
