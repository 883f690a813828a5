//! What a [`LengthConnection`](crate::LengthConnection) can be asked to do.

use bytes::Bytes;

/// What an application can ask a [`LengthConnection`](crate::LengthConnection) to do, for generic drivers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LengthCommand {
    /// Send one frame; same as [`LengthConnection::send`](crate::LengthConnection::send).
    Send(Bytes),
}
