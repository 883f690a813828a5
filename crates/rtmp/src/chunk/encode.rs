//! The chunk stream encoder: messages in, chunks out.

use std::collections::HashMap;

use bytes::{BufMut, Bytes, BytesMut};

use super::header::{
    put_basic_header, put_u24, EXTENDED_TIMESTAMP, MAX_CSID, MAX_HEADER_LEN, MIN_CSID,
};
use super::{RawMessage, DEFAULT_CHUNK_SIZE, MAX_CHUNK_SIZE, MAX_MESSAGE_LEN};

/// A message the encoder refused: local misuse, nothing was written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EncodeError {
    /// The chunk stream id is outside 2..=65599.
    #[error("chunk stream id {0} is outside 2..=65599")]
    InvalidCsid(u32),
    /// The payload is longer than a message header can say (16 MiB - 1).
    #[error("message of {0} bytes is longer than 16777215")]
    MessageTooLong(usize),
    /// A chunk size of 0 or above 0x7FFFFFFF.
    #[error("invalid chunk size {0} (must be 1..=0x7FFFFFFF)")]
    InvalidChunkSize(u32),
}

/// What the encoder last wrote on one chunk stream id.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(super) struct LastHeader {
    seen: bool,
    timestamp: u32,
    /// The timestamp field as written (absolute after fmt 0, delta after 1/2).
    field: u32,
    /// Whether the last message header had format 1, 2 or 3 (a delta).
    was_delta: bool,
    length: u32,
    type_id: u8,
    stream_id: u32,
}

/// Cuts messages into chunks, compressing headers the way FFmpeg does.
///
/// Per chunk stream id it remembers the last header and picks:
/// - format 0 when the stream id changed or the timestamp went backwards
///   (or on the first message of a csid);
/// - format 1 (delta, length, type) when length or type changed;
/// - format 2 (delta) when only the timestamp moved;
/// - format 3 when even the delta repeats, but never directly after a format 0
///   header, where readers disagree about what the delta is.
///
/// Extended timestamps are written on every chunk of a message that needs
/// one. The chunk size changes only between messages
/// ([`set_chunk_size`](Self::set_chunk_size)).
///
/// ```
/// use bytes::Bytes;
/// use wirestate_rtmp::chunk::{ChunkEncoder, RawMessage};
///
/// let mut encoder = ChunkEncoder::default();
/// let mut out: Vec<Bytes> = Vec::new();
/// let message = RawMessage { csid: 3, timestamp: 0, type_id: 20, stream_id: 0, payload: Bytes::from_static(b"hi") };
/// encoder.encode(&message, &mut out).unwrap();
/// // A single chunk: the header, then the payload itself (not copied).
/// assert_eq!(out[0], &b"\x03\x00\x00\x00\x00\x00\x02\x14\x00\x00\x00\x00"[..]);
/// assert_eq!(out[1], "hi");
/// ```
#[derive(Debug)]
pub struct ChunkEncoder {
    chunk_size: u32,
    /// Chunk stream ids below 64, indexed directly; grown only up to the
    /// highest id used, so an idle session that sent on ids 2 and 3 keeps
    /// four entries, not 64.
    low: Vec<LastHeader>,
    high: HashMap<u32, LastHeader>,
}

impl Default for ChunkEncoder {
    fn default() -> Self {
        ChunkEncoder {
            chunk_size: DEFAULT_CHUNK_SIZE,
            low: Vec::new(),
            high: HashMap::new(),
        }
    }
}

impl ChunkEncoder {
    /// The chunk size messages are cut with.
    pub fn chunk_size(&self) -> u32 {
        self.chunk_size
    }

    /// Cuts the following messages with `size` bytes per chunk. Send the
    /// SetChunkSize message first (the machine does both in one step).
    ///
    /// # Errors
    ///
    /// [`EncodeError::InvalidChunkSize`] for 0 or above 0x7FFFFFFF (the size
    /// is unchanged).
    pub fn set_chunk_size(&mut self, size: u32) -> Result<(), EncodeError> {
        if size == 0 || size > MAX_CHUNK_SIZE {
            return Err(EncodeError::InvalidChunkSize(size));
        }
        self.chunk_size = size;
        Ok(())
    }

    /// Appends the chunks of `message` to `out`.
    ///
    /// A message that fits in one chunk comes out as two pieces, the header
    /// and the payload `Bytes` itself (one piece when empty); a longer one as
    /// a single buffer holding all its chunks.
    ///
    /// # Errors
    ///
    /// [`EncodeError::InvalidCsid`] for a chunk stream id outside 2..=65599,
    /// [`EncodeError::MessageTooLong`] for a payload over 16 MiB - 1; nothing
    /// is appended then.
    pub fn encode(
        &mut self,
        message: &RawMessage,
        out: &mut impl Extend<Bytes>,
    ) -> Result<(), EncodeError> {
        let csid = message.csid;
        if !(MIN_CSID..=MAX_CSID).contains(&csid) {
            return Err(EncodeError::InvalidCsid(csid));
        }
        let length = u32::try_from(message.payload.len())
            .ok()
            .filter(|&len| len <= MAX_MESSAGE_LEN)
            .ok_or(EncodeError::MessageTooLong(message.payload.len()))?;
        let (fmt, field) = self.header_format(message, length);
        let extended = field >= EXTENDED_TIMESTAMP;

        let chunk_size = self.chunk_size as usize;
        let payload = &message.payload;
        let first = payload.len().min(chunk_size);
        let chunks = payload.len().div_ceil(chunk_size).max(1);
        let mut buf = if chunks == 1 {
            BytesMut::with_capacity(MAX_HEADER_LEN)
        } else {
            // Payload plus one (at most 7-byte) continuation header per extra chunk.
            BytesMut::with_capacity(MAX_HEADER_LEN + payload.len() + (chunks - 1) * 7)
        };
        put_basic_header(fmt, csid, &mut buf);
        if fmt < 3 {
            put_u24(field.min(EXTENDED_TIMESTAMP), &mut buf);
        }
        if fmt < 2 {
            put_u24(length, &mut buf);
            buf.put_u8(message.type_id);
        }
        if fmt == 0 {
            buf.put_u32_le(message.stream_id);
        }
        if extended {
            buf.put_u32(field);
        }
        if chunks == 1 {
            out.extend([buf.freeze()]);
            if !payload.is_empty() {
                out.extend([payload.clone()]);
            }
            return Ok(());
        }
        buf.put_slice(&payload[..first]);
        let mut at = first;
        while at < payload.len() {
            put_basic_header(3, csid, &mut buf);
            if extended {
                buf.put_u32(field);
            }
            let end = (at + chunk_size).min(payload.len());
            buf.put_slice(&payload[at..end]);
            at = end;
        }
        out.extend([buf.freeze()]);
        Ok(())
    }

    /// What the chunks of `message` depend on besides the message: the
    /// chunk size and the last header on its chunk stream.
    pub(super) fn state_for(&self, csid: u32) -> (u32, LastHeader) {
        let last = if csid < 64 {
            self.low.get(csid as usize).copied()
        } else {
            self.high.get(&csid).copied()
        };
        (self.chunk_size, last.unwrap_or_default())
    }

    /// The smallest header format for `message` (of `length` bytes) after the
    /// last header on its chunk stream, and its timestamp field (absolute for
    /// format 0, else the delta); remembers this header as the last one.
    #[inline]
    pub(super) fn header_format(&mut self, message: &RawMessage, length: u32) -> (u8, u32) {
        let last = self.last_mut(message.csid);
        let continues =
            last.seen && last.stream_id == message.stream_id && message.timestamp >= last.timestamp;
        let (fmt, field) = if !continues {
            (0, message.timestamp)
        } else {
            let delta = message.timestamp - last.timestamp;
            if last.length != length || last.type_id != message.type_id {
                (1, delta)
            } else if delta == last.field && last.was_delta {
                (3, delta)
            } else {
                (2, delta)
            }
        };
        *last = LastHeader {
            seen: true,
            timestamp: message.timestamp,
            field,
            was_delta: fmt != 0,
            length,
            type_id: message.type_id,
            stream_id: message.stream_id,
        };
        (fmt, field)
    }

    fn last_mut(&mut self, csid: u32) -> &mut LastHeader {
        if csid < 64 {
            let index = csid as usize;
            if index >= self.low.len() {
                self.low.resize(index + 1, LastHeader::default());
            }
            &mut self.low[index]
        } else {
            self.high.entry(csid).or_default()
        }
    }
}
