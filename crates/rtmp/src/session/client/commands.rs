//! What a client session does with each command the server sends (the
//! answers to `connect` and `createStream`, `_error`, `onStatus`), and the
//! commands it sends once connected.

use crate::amf0::Value;
use crate::message::{Command, Message, Play, Response, UserControl};
use crate::session::core::Incoming;
use crate::session::status::{self, Status};
use crate::session::{ClientEvent, ClientSession, ConnectCaps, SessionError, RECONNECT_REQUEST};

use super::{Intent, Phase};

impl ClientSession {
    /// Dispatches a command to its handler; the others are reported as
    /// [`ClientEvent::Other`].
    pub(super) fn on_command(&mut self, context: Incoming, command: Command) {
        let connecting = self.role.phase == Phase::Connecting;
        match command {
            Command::Result(response) if response.transaction_id == 1.0 && connecting => {
                self.on_connect_result(response)
            }
            Command::Error(response) if response.transaction_id == 1.0 && connecting => {
                self.on_connect_error(&response)
            }
            Command::Result(response)
                if Some(response.transaction_id) == self.role.create_transaction
                    && response.stream_id().is_some() =>
            {
                self.on_create_stream_result(context, response)
            }
            Command::Error(response) => self.on_error(&response),
            Command::OnStatus { info, .. } => self.on_status(context.stream_id, &info),
            command => self.report(ClientEvent::Other(context.message(command))),
        }
    }

    /// `_result` of `connect`: connected; the intent's commands go out.
    fn on_connect_result(&mut self, response: Response) {
        self.role.phase = Phase::Connected;
        self.connect_answered();
        self.role.server_caps = Some(ConnectCaps::from_object(&response.command_object));
        let status = Status::from_info(response.info().unwrap_or(&Value::Null));
        self.report(ClientEvent::Connected {
            properties: response.command_object,
            status,
        });
        self.start();
    }

    /// `_error` of `connect`: rejected.
    fn on_connect_error(&mut self, response: &Response) {
        self.role.phase = Phase::Rejected;
        self.connect_answered();
        let status = Status::from_info(response.info().unwrap_or(&Value::Null));
        self.report(ClientEvent::ConnectRejected(status));
    }

    /// `_result` of `createStream`: publish or play on the new stream.
    fn on_create_stream_result(&mut self, context: Incoming, response: Response) {
        self.role.create_transaction = None;
        let id = response.stream_id().unwrap_or_default();
        self.stream_created(id as u32);
        // Reported too: a poll that queued transmits returns an event, so a
        // driver writes right after it.
        let message = context.message(Command::Result(response));
        self.report(ClientEvent::Other(message));
    }

    /// `_error` of another command.
    fn on_error(&mut self, response: &Response) {
        if Some(response.transaction_id) == self.role.create_transaction {
            self.role.create_transaction = None;
        }
        let status = Status::from_info(response.info().unwrap_or(&Value::Null));
        self.report(ClientEvent::CommandError {
            transaction_id: response.transaction_id,
            status,
        });
    }

    /// `onStatus`: publishing or playing started, a reconnect request (on
    /// any stream, though servers send it on 0), or another status.
    fn on_status(&mut self, stream_id: u32, info: &Value) {
        let status = Status::from_info(info);
        let event = match status.code.as_str() {
            "NetStream.Publish.Start" => {
                self.role.publishing = true;
                ClientEvent::PublishStarted { stream_id }
            }
            "NetStream.Play.Start" => ClientEvent::PlayStarted { stream_id },
            RECONNECT_REQUEST => {
                let field = |key| info.get(key).and_then(Value::as_str).map(str::to_owned);
                ClientEvent::ReconnectRequested {
                    tc_url: field("tcUrl"),
                    description: field("description"),
                }
            }
            _ => ClientEvent::Status { stream_id, status },
        };
        self.report(event);
    }

    /// Sends a command; a refused send fails the session.
    fn send_command(&mut self, stream_id: u32, command: Command) {
        self.send_or_fail(stream_id, status::command(command));
    }

    /// A command the session sends by itself could not go out: the session
    /// fails with a connection error, as the application asked for nothing
    /// it could be told about (a no-op once the session ended).
    fn send_or_fail(&mut self, stream_id: u32, message: Message) {
        if let Err(e) = self.send_on(stream_id, message) {
            self.fail(SessionError::Connection(e.into()));
        }
    }

    /// Sends the first commands of the intent, once connected.
    pub(super) fn start(&mut self) {
        if self.role.phase != Phase::Connected || self.role.create_transaction.is_some() {
            return;
        }
        let Some(intent) = self.role.intent.clone() else {
            return;
        };
        if let Intent::Publish { name, .. } = &intent {
            let transaction_id = self.role.transaction();
            let name = name.clone();
            self.send_command(
                0,
                Command::ReleaseStream {
                    transaction_id,
                    name: name.clone(),
                },
            );
            let transaction_id = self.role.transaction();
            self.send_command(
                0,
                Command::FcPublish {
                    transaction_id,
                    name,
                },
            );
        }
        let transaction_id = self.role.transaction();
        self.role.create_transaction = Some(transaction_id);
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
        self.role.stream_id = Some(stream_id);
        match self.role.intent.clone() {
            Some(Intent::Publish { name, kind }) => {
                let transaction_id = self.role.transaction();
                let publish = Command::Publish {
                    transaction_id,
                    name,
                    kind: Some(kind),
                };
                self.send_command(stream_id, publish);
            }
            Some(Intent::Play { name }) => {
                let play = Play {
                    transaction_id: self.role.transaction(),
                    name,
                    start: Some(-2.0),
                    duration: None,
                    reset: None,
                };
                self.send_command(stream_id, Command::Play(play));
                let millis = self.role.config.buffer_length;
                let buffer = UserControl::SetBufferLength { stream_id, millis };
                self.send_or_fail(0, Message::UserControl(buffer));
            }
            None => {}
        }
    }
}
