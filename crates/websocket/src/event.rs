//! What a [`WsConnection`](crate::WsConnection) reports, in order: the
//! handshake's outcome, messages, control frames and the close.

use bytes::Bytes;

use crate::close::CloseFrame;
use crate::handshake::{Request, Response};
use crate::message::{Fragment, Message};

/// Everything a WebSocket connection reports, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WsEvent {
    /// Server role only: an upgrade request passed validation. Call
    /// [`WsConnection::accept`](crate::WsConnection::accept) or
    /// [`WsConnection::reject`](crate::WsConnection::reject); until then no
    /// frame is read (a connection made with
    /// [`WsConnection::server_auto_accept`](crate::WsConnection::server_auto_accept)
    /// has accepted already).
    Request(Box<Request>),
    /// Client role only: the server accepted the upgrade; frames follow.
    Connected(Box<Response>),
    /// A complete message ([`Delivery::Whole`](crate::Delivery::Whole)).
    Message(Message),
    /// One data frame ([`Delivery::Streaming`](crate::Delivery::Streaming)).
    Fragment(Fragment),
    /// A ping arrived; with `auto_pong` the pong is already queued.
    Ping(Bytes),
    /// A pong arrived.
    Pong(Bytes),
    /// The peer's close frame (`None`: it carried no code). If we had not
    /// sent a close yet, the echo is queued. The connection is finished: flush
    /// transmits, then close the socket.
    Close(Option<CloseFrame>),
}
