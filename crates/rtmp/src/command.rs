//! [`RtmpCommand`] and [`Outgoing`]: what the application asks an
//! [`RtmpConnection`](crate::RtmpConnection) to send.

use crate::message::{type_id, Message};

/// What the application asks an [`RtmpConnection`](crate::RtmpConnection)
/// to do (for generic drivers; the inherent
/// [`send`](crate::RtmpConnection::send) does the same).
#[derive(Debug, Clone, PartialEq)]
pub enum RtmpCommand {
    /// Send a message.
    Send(Outgoing),
    /// Stop: no more input is read and nothing more is sent.
    Close,
}

/// A message to send, with its chunk stream id, message stream id and
/// timestamp.
#[derive(Debug, Clone, PartialEq)]
pub struct Outgoing {
    /// The chunk stream id (2 to 65599); [`Outgoing::new`] picks the usual one.
    pub csid: u32,
    /// The message stream id.
    pub stream_id: u32,
    /// Absolute timestamp in milliseconds.
    pub timestamp: u32,
    /// The message.
    pub message: Message,
}

impl Outgoing {
    /// A message on the conventional chunk stream for its kind: 2 for
    /// protocol control, 3 for commands, 4 audio, 5 data, 6 video.
    pub fn new(stream_id: u32, timestamp: u32, message: Message) -> Outgoing {
        let csid = match message.type_id() {
            1..=6 => 2,
            type_id::AUDIO => 4,
            type_id::VIDEO => 6,
            type_id::DATA | type_id::DATA_AMF3 => 5,
            _ => 3,
        };
        Outgoing {
            csid,
            stream_id,
            timestamp,
            message,
        }
    }
}
