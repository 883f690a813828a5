//! The RTMP chunk stream: messages cut into chunks, interleaved by chunk
//! stream id (csid).
//!
//! Every chunk is a basic header, a message header whose size depends on the
//! format `fmt`, an optional extended timestamp, and up to `chunk_size`
//! payload bytes:
//!
//! ```text
//! basic header (1, 2 or 3 bytes)
//! +--------+          +--------+--------+          +--------+--------+--------+
//! |fmt| id |  id 2-63 |fmt|  0 | id-64  |  64-319  |fmt|  1 |  (id-64) LE     |  64-65599
//! +--------+          +--------+--------+          +--------+--------+--------+
//!
//! message header by fmt
//! fmt 0 (11): timestamp(3 BE) length(3 BE) type(1) stream id(4 LE)   a new message
//! fmt 1  (7): timestamp delta(3) length(3) type(1)                   same stream id
//! fmt 2  (3): timestamp delta(3)                                     same length and type
//! fmt 3  (0): nothing; continues a message, or starts one equal to the last
//!
//! a timestamp field of 0xFFFFFF means the value follows as 4 bytes (BE); type-3
//! chunks of such a message repeat those 4 bytes
//! ```
//!
//! A message longer than the chunk size continues in type-3 chunks on the
//! same csid, possibly interleaved with chunks of other csids:
//!
//! ```text
//! chunk size 128, a 300-byte video message on csid 6 and a command on csid 3
//! [06 hdr fmt0][128 bytes] [03 hdr fmt0][40 bytes] [C6][128 bytes] [C6][44 bytes]
//! ```
//!
//! [`ChunkDecoder`] turns the chunk stream into [`RawMessage`]s and
//! [`ChunkEncoder`] does the reverse.

mod decode;
mod encode;
mod error;
pub mod header;
mod shared;

use bytes::Bytes;

pub use decode::{ChunkDecoder, DecoderConfig, Type3ExtendedTimestamp};
pub use encode::{ChunkEncoder, EncodeError};
pub use error::ChunkError;
pub use shared::SharedChunks;

/// The chunk size both sides start with.
pub const DEFAULT_CHUNK_SIZE: u32 = 128;
/// The largest chunk size SetChunkSize may announce.
pub const MAX_CHUNK_SIZE: u32 = 0x7FFF_FFFF;
/// The largest length a message header can express (24 bits).
pub const MAX_MESSAGE_LEN: u32 = 0x00FF_FFFF;

/// One complete message of the chunk stream, before its payload is
/// interpreted.
///
/// The payload is a [`Bytes`] split off the input buffer when the message
/// arrived in a single chunk, reassembled otherwise.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawMessage {
    /// The chunk stream id it arrived on (2 to 65599).
    pub csid: u32,
    /// Absolute timestamp in milliseconds (wraps at 2^32).
    pub timestamp: u32,
    /// The message type id (1-6 protocol control, 8 audio, 9 video, 20 command ...).
    pub type_id: u8,
    /// The message stream id (0 for the connection itself).
    pub stream_id: u32,
    /// The message body.
    pub payload: Bytes,
}

/// Bounds on what a [`ChunkDecoder`] accepts and buffers. Each is checked
/// before memory is taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChunkLimits {
    /// The longest message accepted, in bytes (the header can say up to 16 MiB - 1).
    pub max_message_len: u32,
    /// How many chunk streams may hold an unfinished message at once.
    pub max_partial_messages: usize,
    /// How many payload bytes all unfinished messages together may hold.
    pub max_buffered: usize,
    /// How many distinct chunk stream ids a connection may use.
    pub max_chunk_streams: usize,
}

impl Default for ChunkLimits {
    /// 8 MiB messages, 64 partial messages, 32 MiB reassembly buffer,
    /// 1024 chunk stream ids: far above what encoders use (FFmpeg, OBS and
    /// nginx-rtmp use fewer than 10 csids and one partial message per csid).
    fn default() -> Self {
        ChunkLimits {
            max_message_len: 8 << 20,
            max_partial_messages: 64,
            max_buffered: 32 << 20,
            max_chunk_streams: 1024,
        }
    }
}
