//! What a [`LineConnection`](crate::LineConnection) can be asked to do.

use bytes::Bytes;

/// A request for the machine, so generic drivers can pass them through. Each
/// maps to an inherent method of [`LineConnection`](crate::LineConnection).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LineCommand {
    /// [`LineConnection::send_line`](crate::LineConnection::send_line): the line, then the delimiter.
    Send(Bytes),
    /// [`LineConnection::send_raw`](crate::LineConnection::send_raw): bytes as they are.
    SendRaw(Bytes),
    /// [`LineConnection::expect_raw`](crate::LineConnection::expect_raw): the next `n` bytes are a raw block.
    ExpectRaw(usize),
}
