//! [`WsCommand`]: the generic form of the inherent sending methods.

use bytes::Bytes;

use crate::close::CloseFrame;
use crate::handshake::{Accept, Reject};
use crate::message::Utf8Bytes;

/// Requests for [`Machine::handle_command`](wirestate_core::Machine::handle_command),
/// the generic form of the inherent methods of
/// [`WsConnection`](crate::WsConnection) (`send_text`, `accept`, ...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WsCommand {
    /// Send a text message.
    Text(Utf8Bytes),
    /// Send a binary message.
    Binary(Bytes),
    /// Send a ping.
    Ping(Bytes),
    /// Send a pong.
    Pong(Bytes),
    /// Start the close handshake (`None`: a close frame without a code).
    Close(Option<CloseFrame>),
    /// Server role: accept the pending upgrade request.
    Accept(Accept),
    /// Server role: reject the pending upgrade request.
    Reject(Reject),
}
