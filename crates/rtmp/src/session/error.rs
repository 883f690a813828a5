//! What ends a session: [`SessionError`].

use std::time::Duration;

use crate::{LocalError, RtmpError};

/// What ends a session: a peer violation, a deadline, or (through
/// [`Machine::handle_command`](wirestate_core::Machine::handle_command)) a
/// refused local request.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// The connection failed: the peer broke a rule, or a command a client
    /// session sends by itself (`createStream`, `publish`, `play` once
    /// connected) could not be sent ([`RtmpError::Local`]).
    #[error(transparent)]
    Connection(#[from] RtmpError),
    /// No input arrived for this long.
    #[error("no input for {0:?}: idle timeout")]
    IdleTimeout(Duration),
    /// The handshake and `connect` did not complete within this time (the
    /// session's `handshake_timeout`).
    #[error("the handshake and connect did not complete within {0:?}")]
    HandshakeTimeout(Duration),
    /// The peer took none of the queued bytes for this long (the
    /// session's `send_timeout`): it stopped reading. Nothing more is sent.
    #[error("the peer took no bytes for {0:?}: send timeout")]
    SendStalled(Duration),
    /// A server received a `connect` it could not use: a command message
    /// that did not decode before `connect`, or a `connect` without a
    /// command object. It answered `_error` `NetConnection.Connect.Rejected`
    /// with this description and closed.
    #[error("malformed connect: {0}")]
    MalformedConnect(String),
    /// Local misuse: a request was refused and nothing was sent (the
    /// inherent methods return the [`LocalError`] itself).
    #[error(transparent)]
    Local(#[from] LocalError),
}
