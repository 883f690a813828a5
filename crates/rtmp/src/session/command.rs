//! The sessions' inherent methods as values, for generic drivers that pass
//! requests through [`Machine::handle_command`](wirestate_core::Machine::handle_command)
//! (a tokio `Sink`, say).

use bytes::Bytes;

use crate::amf0::Value;
use crate::message::DataMessage;
use crate::session::RequestId;

/// A request to a [`ServerSession`](super::ServerSession); each variant
/// calls the method of the same name.
#[derive(Debug, Clone, PartialEq)]
pub enum ServerCommand {
    /// [`accept_connect`](super::ServerSession::accept_connect).
    AcceptConnect(RequestId),
    /// [`reject_connect`](super::ServerSession::reject_connect).
    RejectConnect {
        /// The request.
        request: RequestId,
        /// Why.
        description: String,
    },
    /// [`accept_publish`](super::ServerSession::accept_publish).
    AcceptPublish(RequestId),
    /// [`reject_publish`](super::ServerSession::reject_publish).
    RejectPublish {
        /// The request.
        request: RequestId,
        /// The onStatus code (`NetStream.Publish.BadName` ...).
        code: String,
        /// Why.
        description: String,
    },
    /// [`accept_play`](super::ServerSession::accept_play).
    AcceptPlay(RequestId),
    /// [`reject_play`](super::ServerSession::reject_play).
    RejectPlay {
        /// The request.
        request: RequestId,
        /// The onStatus code (`NetStream.Play.StreamNotFound` ...).
        code: String,
        /// Why.
        description: String,
    },
    /// [`send_metadata`](super::ServerSession::send_metadata).
    SendMetadata {
        /// The playing stream.
        stream_id: u32,
        /// Milliseconds.
        timestamp: u32,
        /// The metadata.
        data: DataMessage,
    },
    /// [`send_audio`](super::ServerSession::send_audio).
    SendAudio {
        /// The playing stream.
        stream_id: u32,
        /// Milliseconds.
        timestamp: u32,
        /// The message body, tag header included.
        payload: Bytes,
    },
    /// [`send_video`](super::ServerSession::send_video).
    SendVideo {
        /// The playing stream.
        stream_id: u32,
        /// Milliseconds.
        timestamp: u32,
        /// The message body, tag header included.
        payload: Bytes,
    },
    /// [`end_play`](super::ServerSession::end_play).
    EndPlay(u32),
    /// [`ping`](super::ServerSession::ping).
    Ping(u32),
    /// [`request_reconnect`](super::ServerSession::request_reconnect).
    RequestReconnect {
        /// The `tcUrl` to reconnect to (`None`: the current one).
        tc_url: Option<String>,
        /// Why, for humans.
        description: Option<String>,
    },
    /// [`close`](super::ServerSession::close).
    Close,
}

/// A request to a [`ClientSession`](super::ClientSession); each variant
/// calls the method of the same name.
#[derive(Debug, Clone, PartialEq)]
pub enum ClientCommand {
    /// [`publish`](super::ClientSession::publish).
    Publish {
        /// The stream name.
        name: String,
        /// `live`, `record` or `append`.
        kind: String,
    },
    /// [`play`](super::ClientSession::play).
    Play {
        /// The stream name.
        name: String,
    },
    /// [`send_metadata`](super::ClientSession::send_metadata).
    SendMetadata {
        /// Milliseconds.
        timestamp: u32,
        /// The metadata properties.
        properties: Value,
    },
    /// [`send_audio`](super::ClientSession::send_audio).
    SendAudio {
        /// Milliseconds.
        timestamp: u32,
        /// The message body, tag header included.
        payload: Bytes,
    },
    /// [`send_video`](super::ClientSession::send_video).
    SendVideo {
        /// Milliseconds.
        timestamp: u32,
        /// The message body, tag header included.
        payload: Bytes,
    },
    /// [`stop`](super::ClientSession::stop).
    Stop,
    /// [`ping`](super::ClientSession::ping).
    Ping(u32),
    /// [`close`](super::ClientSession::close).
    Close,
}
