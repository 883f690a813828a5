//! What a server session does with each command the client sends: one
//! handler per command.

use crate::amf0::Value;
use crate::message::{Command, Connect, Play};
use crate::session::core::Incoming;
use crate::session::status;
use crate::session::{
    ConnectCaps, ConnectRequest, RequestId, ServerEvent, ServerSession, SessionError,
};

use super::streams::StreamState;
use super::Phase;

impl ServerSession {
    /// Dispatches a command to its handler. Commands no handler takes are
    /// reported as [`ServerEvent::Other`].
    pub(super) fn on_command(&mut self, context: Incoming, command: Command) {
        let stream_id = context.stream_id;
        match (self.role.phase, command) {
            (Phase::AwaitingConnect, Command::Connect(connect)) => self.on_connect(connect),
            (Phase::AwaitingConnect, Command::Other(other)) if other.name == "connect" => {
                let transaction_id = other.transaction_id.unwrap_or(1.0);
                let description = "connect without a command object".to_owned();
                self.reject_malformed_connect(transaction_id, description);
            }
            (Phase::Connected, command) => match command {
                Command::Publish {
                    transaction_id,
                    name,
                    kind,
                } if self.role.is_idle_stream(stream_id) => {
                    self.on_publish(stream_id, transaction_id, name, kind)
                }
                Command::Play(play) if self.role.is_idle_stream(stream_id) => {
                    self.on_play(stream_id, play)
                }
                command => {
                    self.on_stream_command(stream_id, &command);
                    self.report(ServerEvent::Other(context.message(command)));
                }
            },
            (_, command) => self.report(ServerEvent::Other(context.message(command))),
        }
    }

    /// The commands that are answered or acted on here and still reported:
    /// every poll that queues a transmit returns an event, so a driver
    /// writes right after it.
    fn on_stream_command(&mut self, stream_id: u32, command: &Command) {
        match command {
            Command::ReleaseStream { transaction_id, .. }
            | Command::FcPublish { transaction_id, .. } => self.on_release_stream(*transaction_id),
            Command::CreateStream { transaction_id, .. } => self.on_create_stream(*transaction_id),
            Command::FcUnpublish { name, .. } => self.on_fc_unpublish(name),
            Command::CloseStream { .. } => self.finish_stream(stream_id),
            Command::DeleteStream { stream_id: id, .. } => self.on_delete_stream(*id),
            _ => {}
        }
    }

    /// `connect`: ask the application (or accept at once in auto-accept
    /// mode).
    fn on_connect(&mut self, connect: Connect) {
        self.role.phase = Phase::ConnectPending;
        let request = self
            .role
            .new_request(connect.transaction_id, 0, Some(connect.clone()));
        let owned = |s: Option<&str>| s.map(str::to_owned);
        let caps = ConnectCaps::from_object(&connect.command_object);
        let event = ServerEvent::ConnectRequested(ConnectRequest {
            request,
            app: connect.app().unwrap_or_default().to_owned(),
            tc_url: owned(connect.tc_url()),
            flash_ver: owned(connect.flash_ver()),
            object_encoding: connect.object_encoding(),
            four_cc_list: caps.four_cc_list,
            video_four_cc_info_map: caps.video_four_cc_info_map,
            audio_four_cc_info_map: caps.audio_four_cc_info_map,
            caps_ex: caps.caps_ex,
            command: connect,
        });
        if self.role.config.auto_accept {
            // A closed session refuses the answer; its end is reported anyway.
            let _ = self.accept_connect(request);
        }
        self.report(event);
    }

    /// A `connect` that cannot be used: `_error`
    /// `NetConnection.Connect.Rejected` with `description`, then the
    /// session fails with [`SessionError::MalformedConnect`] and closes.
    pub(super) fn reject_malformed_connect(&mut self, transaction_id: f64, description: String) {
        self.role.phase = Phase::Rejected;
        self.connect_answered();
        let code = "NetConnection.Connect.Rejected";
        // A closed session cannot answer; it fails all the same.
        let _ = self.send_on(0, status::error(transaction_id, code, &description));
        self.fail(SessionError::MalformedConnect(description));
        self.close();
    }

    /// `releaseStream` and `FCPublish`: `_result` with `undefined`.
    fn on_release_stream(&mut self, transaction_id: f64) {
        let answer = status::result(transaction_id, Value::Null, vec![Value::Undefined]);
        let _ = self.send_on(0, answer);
    }

    /// `createStream`: a new message stream, or `_error` past
    /// [`ServerConfig::max_streams`](super::ServerConfig::max_streams).
    fn on_create_stream(&mut self, transaction_id: f64) {
        let answer = if self.role.streams.len() >= self.role.config.max_streams {
            let code = "NetConnection.Call.Failed";
            status::error(transaction_id, code, "too many streams")
        } else {
            self.role.streams.push(StreamState::Idle);
            let id = Value::Number(self.role.streams.len() as f64);
            status::result(transaction_id, Value::Null, vec![id])
        };
        let _ = self.send_on(0, answer);
    }

    /// `publish` on an idle stream: ask the application.
    fn on_publish(
        &mut self,
        stream_id: u32,
        transaction_id: f64,
        name: String,
        kind: Option<String>,
    ) {
        let state = StreamState::PublishPending(name.clone());
        let request = self.stream_request(stream_id, transaction_id, state);
        self.report(ServerEvent::PublishRequested {
            request,
            stream_id,
            app: self.role.app.clone(),
            name,
            kind,
        });
    }

    /// `play` on an idle stream: ask the application.
    fn on_play(&mut self, stream_id: u32, play: Play) {
        let state = StreamState::PlayPending(play.name.clone());
        let request = self.stream_request(stream_id, play.transaction_id, state);
        self.report(ServerEvent::PlayRequested {
            request,
            stream_id,
            app: self.role.app.clone(),
            name: play.name,
            start: play.start,
        });
    }

    /// Registers a `publish` or `play` request (`state` says which) on
    /// `stream_id`; in auto-accept mode, accepts it at once.
    fn stream_request(
        &mut self,
        stream_id: u32,
        transaction_id: f64,
        state: StreamState,
    ) -> RequestId {
        let publish = matches!(state, StreamState::PublishPending(_));
        self.role.set_stream(stream_id, state);
        let request = self.role.new_request(transaction_id, stream_id, None);
        if self.role.config.auto_accept {
            // A closed session refuses the answer; its end is reported anyway.
            let _ = if publish {
                self.accept_publish(request)
            } else {
                self.accept_play(request)
            };
        }
        request
    }

    /// `FCUnpublish`: the stream publishing `name` ends.
    fn on_fc_unpublish(&mut self, name: &str) {
        if let Some(stream_id) = self.role.publishing(name) {
            self.finish_stream(stream_id);
        }
    }

    /// `deleteStream`: the stream ends (it stays allocated, as before).
    fn on_delete_stream(&mut self, stream_id: f64) {
        if stream_id >= 1.0 && stream_id <= self.role.streams.len() as f64 {
            self.finish_stream(stream_id as u32);
        }
    }
}
