//! What ends a session: [`SessionError`].

use std::time::Duration;

use crate::{LocalError, RtmpError};

/// What ends a session: a peer violation, the idle timeout, or (through
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
    /// Local misuse: a request was refused and nothing was sent (the
    /// inherent methods return the [`LocalError`] itself).
    #[error(transparent)]
    Local(#[from] LocalError),
}
