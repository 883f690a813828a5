//! [`RtmpEvent`]: what an [`RtmpConnection`](crate::RtmpConnection) reports.

use crate::chunk::RawMessage;
use crate::message::{Message, MessageError};

/// A message received, with where and when it belongs.
#[derive(Debug, Clone, PartialEq)]
pub struct MessageEvent {
    /// The chunk stream id it arrived on.
    pub csid: u32,
    /// The message stream id (0: the connection; others: `createStream`'s).
    pub stream_id: u32,
    /// Absolute timestamp in milliseconds (wrapping at 2^32).
    pub timestamp: u32,
    /// The payload length on the wire.
    pub len: usize,
    /// The message.
    pub message: Message,
}

/// What an [`RtmpConnection`](crate::RtmpConnection) reports.
#[derive(Debug, Clone, PartialEq)]
pub enum RtmpEvent {
    /// The handshake finished;
    /// [`RtmpConnection::handshake_info`](crate::RtmpConnection::handshake_info)
    /// now says which kind it was. Messages may be sent and will arrive.
    HandshakeComplete,
    /// A message arrived. Protocol control was already applied (chunk size,
    /// abort, acknowledgement window, ping answered); it is reported anyway.
    Message(MessageEvent),
    /// A message whose payload could not be interpreted (bad AMF0, a short
    /// control message ...). The connection goes on.
    InvalidMessage {
        /// The raw message.
        raw: RawMessage,
        /// What was wrong with it.
        error: MessageError,
    },
}
