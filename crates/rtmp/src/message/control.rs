//! Protocol control (types 1-6) and user control events (type 4).
//!
//! ```text
//! type 1 SetChunkSize       size:u32 (top bit 0)
//! type 2 Abort              csid:u32
//! type 3 Acknowledgement    sequence:u32 (bytes received so far, wrapping)
//! type 4 UserControl        event:u16 data...
//! type 5 WindowAckSize      window:u32
//! type 6 SetPeerBandwidth   window:u32 limit:u8 (0 hard, 1 soft, 2 dynamic)
//! ```
//! All fields are big-endian.

use bytes::{BufMut, Bytes, BytesMut};

/// The limit type of a SetPeerBandwidth message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BandwidthLimit {
    /// 0: limit the output to the window.
    Hard,
    /// 1: limit the output to the smaller of this and the current window.
    Soft,
    /// 2: hard if the previous limit was hard, otherwise ignored.
    Dynamic,
    /// Any other value, kept as sent.
    Other(u8),
}

impl BandwidthLimit {
    /// The wire byte.
    pub fn to_byte(self) -> u8 {
        match self {
            BandwidthLimit::Hard => 0,
            BandwidthLimit::Soft => 1,
            BandwidthLimit::Dynamic => 2,
            BandwidthLimit::Other(b) => b,
        }
    }

    /// Reads the wire byte.
    pub fn from_byte(b: u8) -> Self {
        match b {
            0 => BandwidthLimit::Hard,
            1 => BandwidthLimit::Soft,
            2 => BandwidthLimit::Dynamic,
            b => BandwidthLimit::Other(b),
        }
    }
}

/// A user control event (message type 4).
///
/// ```
/// use bytes::Bytes;
/// use wirestate_rtmp::message::UserControl;
///
/// let ping = UserControl::PingRequest(1234);
/// let body = ping.encode();
/// assert_eq!(&body[..], b"\x00\x06\x00\x00\x04\xd2");
/// assert_eq!(UserControl::decode(body), Some(ping));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserControl {
    /// 0: the message stream is ready (data: the stream id).
    StreamBegin(u32),
    /// 1: playback of the stream ended.
    StreamEof(u32),
    /// 2: the stream has no more data for now.
    StreamDry(u32),
    /// 3: the client's buffer length for a stream, in milliseconds.
    SetBufferLength {
        /// The message stream id.
        stream_id: u32,
        /// Buffer length in milliseconds.
        millis: u32,
    },
    /// 4: the stream is a recorded one.
    StreamIsRecorded(u32),
    /// 6: the server asks for a [`PingResponse`](UserControl::PingResponse)
    /// with the same timestamp (the machine answers it itself).
    PingRequest(u32),
    /// 7: the answer to a ping.
    PingResponse(u32),
    /// Any other event type, or a known one with an unexpected data length.
    Unknown {
        /// The event type.
        event_type: u16,
        /// The event data.
        data: Bytes,
    },
}

impl UserControl {
    /// Decodes a type-4 message body; `None` if it is shorter than the 2-byte
    /// event type.
    pub fn decode(body: Bytes) -> Option<UserControl> {
        let event_type = u16::from_be_bytes([*body.first()?, *body.get(1)?]);
        let data = body.slice(2..);
        let word = |i: usize| u32::from_be_bytes([data[i], data[i + 1], data[i + 2], data[i + 3]]);
        Some(match (event_type, data.len()) {
            (0, 4) => UserControl::StreamBegin(word(0)),
            (1, 4) => UserControl::StreamEof(word(0)),
            (2, 4) => UserControl::StreamDry(word(0)),
            (3, 8) => UserControl::SetBufferLength {
                stream_id: word(0),
                millis: word(4),
            },
            (4, 4) => UserControl::StreamIsRecorded(word(0)),
            (6, 4) => UserControl::PingRequest(word(0)),
            (7, 4) => UserControl::PingResponse(word(0)),
            _ => UserControl::Unknown { event_type, data },
        })
    }

    /// The body of a type-4 message carrying this event.
    pub fn encode(&self) -> Bytes {
        let mut out = BytesMut::with_capacity(10);
        let (event_type, words): (u16, &[u32]) = match self {
            UserControl::StreamBegin(id) => (0, std::slice::from_ref(id)),
            UserControl::StreamEof(id) => (1, std::slice::from_ref(id)),
            UserControl::StreamDry(id) => (2, std::slice::from_ref(id)),
            UserControl::SetBufferLength { stream_id, millis } => {
                out.put_u16(3);
                out.put_u32(*stream_id);
                out.put_u32(*millis);
                return out.freeze();
            }
            UserControl::StreamIsRecorded(id) => (4, std::slice::from_ref(id)),
            UserControl::PingRequest(ts) => (6, std::slice::from_ref(ts)),
            UserControl::PingResponse(ts) => (7, std::slice::from_ref(ts)),
            UserControl::Unknown { event_type, data } => {
                out.put_u16(*event_type);
                out.put_slice(data);
                return out.freeze();
            }
        };
        out.put_u16(event_type);
        for word in words {
            out.put_u32(*word);
        }
        out.freeze()
    }
}
