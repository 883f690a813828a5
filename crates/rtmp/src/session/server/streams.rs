//! The message streams of a server session and the requests waiting for the
//! application's answer.

use crate::message::Connect;
use crate::session::status::on_status;
use crate::session::{RequestId, ServerEvent, ServerSession};
use crate::LocalError;

use super::{Phase, ServerRole};

/// What one message stream (`createStream`'s) does.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum StreamState {
    Idle,
    PublishPending(String),
    Publishing(String),
    PlayPending(String),
    Playing(String),
}

/// What a pending request asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Connect,
    Publish,
    Play,
}

/// A request waiting for the application's answer.
#[derive(Debug)]
pub(super) struct Pending {
    pub(super) id: RequestId,
    pub(super) transaction_id: f64,
    pub(super) stream_id: u32,
    pub(super) connect: Option<Connect>,
}

impl ServerRole {
    pub(super) fn stream(&self, stream_id: u32) -> &StreamState {
        static IDLE: StreamState = StreamState::Idle;
        stream_id
            .checked_sub(1)
            .and_then(|i| self.streams.get(i as usize))
            .unwrap_or(&IDLE)
    }

    fn stream_mut(&mut self, stream_id: u32) -> Option<&mut StreamState> {
        stream_id
            .checked_sub(1)
            .and_then(|i| self.streams.get_mut(i as usize))
    }

    pub(super) fn set_stream(&mut self, stream_id: u32, state: StreamState) {
        if let Some(slot) = self.stream_mut(stream_id) {
            *slot = state;
        }
    }

    /// Whether `stream_id` was created and does nothing yet.
    pub(super) fn is_idle_stream(&self, stream_id: u32) -> bool {
        let exists = stream_id >= 1 && (stream_id as usize) <= self.streams.len();
        exists && self.stream(stream_id) == &StreamState::Idle
    }

    /// The stream publishing `name`, if any.
    pub(super) fn publishing(&self, name: &str) -> Option<u32> {
        (1..=self.streams.len() as u32)
            .find(|id| matches!(self.stream(*id), StreamState::Publishing(n) if n == name))
    }

    /// Registers a request for the application to answer.
    pub(super) fn new_request(
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

    /// Removes a pending request of the given kind; a wrong id or kind is
    /// an error that changes nothing.
    pub(super) fn take_pending(
        &mut self,
        request: RequestId,
        kind: Kind,
    ) -> Result<Pending, LocalError> {
        let at = self
            .pending
            .iter()
            .position(|p| p.id == request && self.kind_of(p) == Some(kind))
            .ok_or(LocalError::UnknownRequest(request))?;
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
}

impl ServerSession {
    /// Ends whatever `stream_id` was doing, reporting it.
    pub(super) fn finish_stream(&mut self, stream_id: u32) {
        let Some(slot) = self.role.stream_mut(stream_id) else {
            return;
        };
        match std::mem::replace(slot, StreamState::Idle) {
            StreamState::Publishing(name) => {
                self.report(ServerEvent::PublishFinished { stream_id, name })
            }
            StreamState::Playing(name) => {
                self.report(ServerEvent::PlayFinished { stream_id, name })
            }
            _ => {}
        }
        self.role.pending.retain(|p| p.stream_id != stream_id);
    }

    /// Ends every stream (the session ends).
    pub(super) fn finish_all(&mut self) {
        for stream_id in 1..=self.role.streams.len() as u32 {
            self.finish_stream(stream_id);
        }
    }
}

impl ServerSession {
    /// The goodbye of a graceful shutdown: each player hears that its stream
    /// ends (as from [`end_play`](Self::end_play)), each publisher gets
    /// `NetStream.Unpublish.Success`, and a connected peer gets
    /// `NetConnection.Connect.Closed`. The streams keep their state, so the
    /// close that follows reports them finished.
    pub(super) fn say_goodbye(&mut self) {
        for stream_id in 1..=self.role.streams.len() as u32 {
            // A refused send means the session is closed: nothing to say.
            let _ = match self.role.stream(stream_id).clone() {
                StreamState::Playing(name) => self.send_play_end(stream_id, &name),
                StreamState::Publishing(name) => {
                    let description = format!("{name} is now unpublished: the server shuts down.");
                    let status = on_status(
                        "status",
                        "NetStream.Unpublish.Success",
                        &description,
                        Vec::new(),
                    );
                    self.send_on(stream_id, status)
                }
                _ => Ok(()),
            };
        }
        if self.role.phase == Phase::Connected {
            let description = "The server shuts down.";
            let status = on_status(
                "status",
                "NetConnection.Connect.Closed",
                description,
                Vec::new(),
            );
            let _ = self.send_on(0, status);
        }
    }
}
