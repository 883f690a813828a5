//! [`RtmpError`] (what the peer broke) and [`LocalError`] (what the local
//! application asked for that cannot be done).

use std::time::Duration;

use crate::chunk::{ChunkError, EncodeError};
use crate::handshake::HandshakeError;
use crate::session::RequestId;

/// A fatal connection error: the peer broke a rule, or, through
/// [`Machine::handle_command`](wirestate_core::Machine::handle_command),
/// a local request was refused ([`RtmpError::Local`]).
#[derive(Debug, thiserror::Error)]
pub enum RtmpError {
    /// The peer's handshake was invalid.
    #[error("handshake: {0}")]
    Handshake(#[from] HandshakeError),
    /// The peer's chunk stream was invalid or exceeded a limit.
    #[error("chunk stream: {0}")]
    Chunk(#[from] ChunkError),
    /// The peer closed the connection during the handshake.
    #[error("connection closed during the handshake")]
    EofInHandshake,
    /// The peer closed the connection inside a message; what was buffered
    /// is dropped.
    #[error("connection closed inside a message ({buffered} buffered payload byte(s) dropped)")]
    EofInMessage {
        /// Bytes of unfinished chunks and messages that were dropped.
        buffered: usize,
    },
    /// The handshake did not complete within
    /// [`RtmpConfig::handshake_timeout`](crate::RtmpConfig::handshake_timeout).
    #[error("the handshake did not complete within {0:?}")]
    HandshakeTimeout(Duration),
    /// The peer took none of the queued bytes for
    /// [`RtmpConfig::send_timeout`](crate::RtmpConfig::send_timeout): it
    /// stopped reading. Nothing more is sent.
    #[error("the peer took no bytes for {0:?}: send timeout")]
    SendStalled(Duration),
    /// Local misuse: a request was refused and nothing was sent; the
    /// connection itself is unharmed.
    #[error(transparent)]
    Local(#[from] LocalError),
}

/// Local misuse: the application asked for something that cannot be done.
/// Nothing was sent and the connection or session is unchanged.
///
/// Returned by the inherent methods of [`RtmpConnection`](crate::RtmpConnection)
/// ([`send`](crate::RtmpConnection::send)) and of the sessions
/// ([`accept_connect`](crate::session::ServerSession::accept_connect),
/// [`send_audio`](crate::session::ClientSession::send_audio) ...).
#[derive(Debug, thiserror::Error)]
pub enum LocalError {
    /// A message the encoder cannot send: a bad chunk size or chunk stream
    /// id, a payload too large for the message length field.
    #[error("cannot send: {0}")]
    Encode(#[from] EncodeError),
    /// The connection was already closed or failed.
    #[error("the connection is closed")]
    Closed,
    /// No request with this id is waiting for an answer (or it is of
    /// another kind: accepting a `play` with a `publish` request's id).
    #[error("no pending request {0:?}")]
    UnknownRequest(RequestId),
    /// Media for a message stream that is not playing.
    #[error("message stream {0} is not playing")]
    NotPlaying(u32),
    /// Media sent before publishing started.
    #[error("not publishing")]
    NotPublishing,
}
