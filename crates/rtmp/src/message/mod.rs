//! Typed RTMP messages: what a [`RawMessage`](crate::chunk::RawMessage)'s
//! type id and payload mean.
//!
//! | type | message |
//! |---|---|
//! | 1-3, 5, 6 | protocol control ([`Message::SetChunkSize`] ...) |
//! | 4 | [`UserControl`] events |
//! | 8, 9 | [`Audio`], [`Video`]: payload plus the parsed tag header |
//! | 18, 15 | [`DataMessage`] (15: AMF3 flavour) |
//! | 20, 17 | [`Command`] (17: AMF3 flavour) |
//!
//! The AMF3 flavours (15, 16, 17) start with a format byte (0), then AMF0
//! values as in 18 and 20; a value sent as AMF3 is an AVM+ switch (0x11)
//! followed by one AMF3 value, decoded into
//! [`amf0::Value::Amf3`](crate::amf0::Value::Amf3). Values stay in that
//! variant rather than being converted to AMF0, so nothing is lost (AMF3 has
//! integers, traits, byte arrays, vectors ...) and a message re-encodes to
//! the same values. Typed [`Command`]s expect AMF0 shapes; a command whose
//! values are AMF3 is a [`Command::Other`] with everything in it.
//! | 19, 16 | shared objects, kept opaque |
//! | 22 | aggregate, split with [`split_aggregate`] |
//!
//! ```
//! use wirestate_rtmp::amf0::Amf0Limits;
//! use wirestate_rtmp::message::{Command, Message};
//!
//! let message = Message::Command { amf3: false, command: Command::CreateStream {
//!     transaction_id: 4.0, command_object: wirestate_rtmp::amf0::Value::Null } };
//! let payload = message.encode_payload();
//! assert_eq!(message.type_id(), 20);
//! assert_eq!(Message::decode(20, payload, &Amf0Limits::default()).unwrap(), message);
//! ```

mod aggregate;
mod command;
mod control;
mod data;

use bytes::{BufMut, Bytes, BytesMut};

pub use aggregate::{encode_aggregate, split_aggregate};
pub use command::{Command, Connect, GenericCommand, Play, Response};
pub use control::{BandwidthLimit, UserControl};
pub use data::DataMessage;

use crate::amf0::{decode_all, encode_value, Amf0Error, Amf0Limits};
use crate::media::{AudioTagHeader, MediaError, VideoTagHeader};

/// Message type ids.
pub mod type_id {
    /// SetChunkSize.
    pub const SET_CHUNK_SIZE: u8 = 1;
    /// Abort.
    pub const ABORT: u8 = 2;
    /// Acknowledgement.
    pub const ACKNOWLEDGEMENT: u8 = 3;
    /// User control.
    pub const USER_CONTROL: u8 = 4;
    /// Window acknowledgement size.
    pub const WINDOW_ACK_SIZE: u8 = 5;
    /// Set peer bandwidth.
    pub const SET_PEER_BANDWIDTH: u8 = 6;
    /// Audio.
    pub const AUDIO: u8 = 8;
    /// Video.
    pub const VIDEO: u8 = 9;
    /// Data, AMF3 flavour.
    pub const DATA_AMF3: u8 = 15;
    /// Shared object, AMF3 flavour.
    pub const SHARED_OBJECT_AMF3: u8 = 16;
    /// Command, AMF3 flavour.
    pub const COMMAND_AMF3: u8 = 17;
    /// Data (AMF0).
    pub const DATA: u8 = 18;
    /// Shared object (AMF0).
    pub const SHARED_OBJECT: u8 = 19;
    /// Command (AMF0).
    pub const COMMAND: u8 = 20;
    /// Aggregate.
    pub const AGGREGATE: u8 = 22;
}

/// Why a message payload could not be interpreted. The chunk stream is
/// unaffected: the connection survives these.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MessageError {
    /// A fixed-size message was shorter than its fields.
    #[error("message type {type_id} has {len} byte(s), needs {needed}")]
    TooShort {
        /// The message type id.
        type_id: u8,
        /// Its length.
        len: usize,
        /// The bytes its fields need.
        needed: usize,
    },
    /// A command or data body was not valid AMF0 (or held a bad AMF3
    /// value, see [`Amf0Error::Amf3`]).
    #[error("bad AMF0 body: {0}")]
    Amf0(#[from] Amf0Error),
    /// A command whose first value is not a string.
    #[error("command without a name")]
    CommandWithoutName,
    /// An aggregate message whose sub-message at `offset` is truncated.
    #[error("aggregate sub-message at byte {offset} is truncated")]
    BadAggregate {
        /// Where the sub-message starts.
        offset: usize,
    },
}

/// A media message body (audio or video): the payload as received, plus its
/// parsed tag header.
#[derive(Debug, Clone, PartialEq)]
pub struct MediaPayload<H> {
    /// The tag header, or why it could not be read (the payload is kept
    /// either way).
    pub header: Result<H, MediaError>,
    /// Where the codec data starts in `payload` (0 if the header is bad).
    pub header_len: usize,
    /// The whole message body, header included.
    pub payload: Bytes,
}

/// An audio message: [`AudioTagHeader`] plus the payload.
pub type Audio = MediaPayload<AudioTagHeader>;

/// A video message: [`VideoTagHeader`] plus the payload.
pub type Video = MediaPayload<VideoTagHeader>;

impl<H> MediaPayload<H> {
    /// `payload` with the result of parsing its tag header.
    fn with_header(payload: Bytes, parsed: Result<(H, usize), MediaError>) -> Self {
        let (header, header_len) = match parsed {
            Ok((header, len)) => (Ok(header), len),
            Err(e) => (Err(e), 0),
        };
        MediaPayload {
            header,
            header_len,
            payload,
        }
    }

    /// The codec data after the tag header (for multitrack video, from the
    /// first track on), without a copy.
    pub fn data(&self) -> Bytes {
        self.payload.slice(self.header_len..)
    }
}

impl Audio {
    /// Parses the tag header of `payload`.
    pub fn new(payload: Bytes) -> Audio {
        let parsed = AudioTagHeader::parse(&payload);
        MediaPayload::with_header(payload, parsed)
    }
}

impl Video {
    /// Parses the tag header of `payload`.
    pub fn new(payload: Bytes) -> Video {
        let parsed = VideoTagHeader::parse(&payload);
        MediaPayload::with_header(payload, parsed)
    }
}

/// An RTMP message, typed by its type id.
#[derive(Debug, Clone, PartialEq)]
pub enum Message {
    /// 1: the sender's chunk size from now on.
    SetChunkSize(u32),
    /// 2: drop the partial message of this chunk stream id.
    Abort(u32),
    /// 3: bytes received so far (wrapping).
    Acknowledgement(u32),
    /// 4: a user control event.
    UserControl(UserControl),
    /// 5: acknowledge after this many bytes.
    WindowAckSize(u32),
    /// 6: limit the output bandwidth (and acknowledge window) of the receiver.
    SetPeerBandwidth {
        /// The window size.
        size: u32,
        /// How to apply it.
        limit: BandwidthLimit,
    },
    /// 8: audio.
    Audio(Audio),
    /// 9: video.
    Video(Video),
    /// 18 or 15: data (`onMetaData` ...).
    Data(DataMessage),
    /// 20 or 17: a command.
    Command {
        /// Whether it came as type 17 (a format byte, then AMF0 values, any
        /// of which may be AMF3 behind an AVM+ switch:
        /// [`Value::Amf3`](crate::amf0::Value::Amf3)).
        amf3: bool,
        /// The command.
        command: Command,
    },
    /// 19 or 16: a shared object message, not interpreted.
    SharedObject {
        /// Whether it came as type 16.
        amf3: bool,
        /// The body.
        payload: Bytes,
    },
    /// 22: an aggregate; the connection splits it into its sub-messages, so
    /// this only appears when decoding by hand or sending.
    Aggregate(Bytes),
    /// Any other type id.
    Unknown {
        /// The type id.
        type_id: u8,
        /// The body.
        payload: Bytes,
    },
}

fn word(type_id: u8, payload: &[u8], needed: usize) -> Result<u32, MessageError> {
    match payload.get(..needed) {
        Some(b) => Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]])),
        None => Err(MessageError::TooShort {
            type_id,
            len: payload.len(),
            needed,
        }),
    }
}

/// Skips the format byte in front of an AMF3-flavoured body.
fn amf3_body(type_id: u8, payload: &[u8]) -> Result<&[u8], MessageError> {
    payload.get(1..).ok_or(MessageError::TooShort {
        type_id,
        len: 0,
        needed: 1,
    })
}

impl Message {
    /// Interprets a message payload by its type id. Extra bytes after the
    /// fields of a fixed-size control message are ignored.
    ///
    /// # Errors
    ///
    /// A [`MessageError`] for a payload too short for its control message,
    /// a command or data body that is not valid AMF0, or a command without
    /// a name.
    pub fn decode(
        type_id: u8,
        payload: Bytes,
        limits: &Amf0Limits,
    ) -> Result<Message, MessageError> {
        use crate::message::type_id as t;
        Ok(match type_id {
            t::SET_CHUNK_SIZE => Message::SetChunkSize(word(type_id, &payload, 4)?),
            t::ABORT => Message::Abort(word(type_id, &payload, 4)?),
            t::ACKNOWLEDGEMENT => Message::Acknowledgement(word(type_id, &payload, 4)?),
            t::USER_CONTROL => {
                let len = payload.len();
                Message::UserControl(UserControl::decode(payload).ok_or(
                    MessageError::TooShort {
                        type_id,
                        len,
                        needed: 2,
                    },
                )?)
            }
            t::WINDOW_ACK_SIZE => Message::WindowAckSize(word(type_id, &payload, 4)?),
            t::SET_PEER_BANDWIDTH => Message::SetPeerBandwidth {
                size: word(type_id, &payload, 5)?,
                limit: BandwidthLimit::from_byte(payload[4]),
            },
            t::AUDIO => Message::Audio(Audio::new(payload)),
            t::VIDEO => Message::Video(Video::new(payload)),
            t::DATA | t::DATA_AMF3 => {
                let amf3 = type_id == t::DATA_AMF3;
                let body = if amf3 {
                    amf3_body(type_id, &payload)?
                } else {
                    &payload[..]
                };
                Message::Data(DataMessage {
                    amf3,
                    values: decode_all(body, limits)?,
                })
            }
            t::COMMAND | t::COMMAND_AMF3 => {
                let amf3 = type_id == t::COMMAND_AMF3;
                let body = if amf3 {
                    amf3_body(type_id, &payload)?
                } else {
                    &payload[..]
                };
                let values = decode_all(body, limits)?;
                let generic =
                    GenericCommand::from_values(values).ok_or(MessageError::CommandWithoutName)?;
                Message::Command {
                    amf3,
                    command: Command::from_generic(generic),
                }
            }
            t::SHARED_OBJECT | t::SHARED_OBJECT_AMF3 => Message::SharedObject {
                amf3: type_id == t::SHARED_OBJECT_AMF3,
                payload,
            },
            t::AGGREGATE => Message::Aggregate(payload),
            _ => Message::Unknown { type_id, payload },
        })
    }

    /// The type id this message is sent with.
    pub fn type_id(&self) -> u8 {
        use crate::message::type_id as t;
        match self {
            Message::SetChunkSize(_) => t::SET_CHUNK_SIZE,
            Message::Abort(_) => t::ABORT,
            Message::Acknowledgement(_) => t::ACKNOWLEDGEMENT,
            Message::UserControl(_) => t::USER_CONTROL,
            Message::WindowAckSize(_) => t::WINDOW_ACK_SIZE,
            Message::SetPeerBandwidth { .. } => t::SET_PEER_BANDWIDTH,
            Message::Audio(_) => t::AUDIO,
            Message::Video(_) => t::VIDEO,
            Message::Data(d) if d.amf3 => t::DATA_AMF3,
            Message::Data(_) => t::DATA,
            Message::Command { amf3: true, .. } => t::COMMAND_AMF3,
            Message::Command { .. } => t::COMMAND,
            Message::SharedObject { amf3: true, .. } => t::SHARED_OBJECT_AMF3,
            Message::SharedObject { .. } => t::SHARED_OBJECT,
            Message::Aggregate(_) => t::AGGREGATE,
            Message::Unknown { type_id, .. } => *type_id,
        }
    }

    /// The message body. Media, shared object, aggregate and unknown
    /// payloads are handed back as they are (no copy).
    pub fn encode_payload(&self) -> Bytes {
        let mut out = BytesMut::new();
        match self {
            Message::SetChunkSize(v)
            | Message::Abort(v)
            | Message::Acknowledgement(v)
            | Message::WindowAckSize(v) => out.put_u32(*v),
            Message::UserControl(event) => return event.encode(),
            Message::SetPeerBandwidth { size, limit } => {
                out.put_u32(*size);
                out.put_u8(limit.to_byte());
            }
            Message::Audio(a) => return a.payload.clone(),
            Message::Video(v) => return v.payload.clone(),
            Message::Data(d) => {
                if d.amf3 {
                    out.put_u8(0);
                }
                for value in &d.values {
                    encode_value(value, &mut out);
                }
            }
            Message::Command { amf3, command } => {
                if *amf3 {
                    out.put_u8(0);
                }
                command.encode(&mut out);
            }
            Message::SharedObject { payload, .. }
            | Message::Aggregate(payload)
            | Message::Unknown { payload, .. } => return payload.clone(),
        }
        out.freeze()
    }
}
