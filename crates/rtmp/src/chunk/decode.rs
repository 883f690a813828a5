//! The chunk stream decoder: chunks in, whole messages out.

use std::collections::HashMap;

use bytes::{Buf, BytesMut};

use super::header::EXTENDED_TIMESTAMP;
use super::header::{basic_header_len, message_header_len, read_csid, read_u24, read_u32};
use super::{ChunkError, ChunkLimits, RawMessage, DEFAULT_CHUNK_SIZE};

/// What a type-3 chunk carries when its chunk stream's last header used an
/// extended timestamp.
///
/// The spec (and FFmpeg, nginx-rtmp, librtmp as senders) repeat the 4-byte
/// extended timestamp on every type-3 chunk of such a message. Some old
/// encoders leave it out on continuation chunks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Type3ExtendedTimestamp {
    /// The 4 bytes are always there, as the spec says.
    #[default]
    Required,
    /// Peek at the next 4 bytes: they are the repeated extended timestamp
    /// only if they equal the stream's last one (librtmp's reader does this);
    /// otherwise they are payload. A payload that happens to start with those
    /// 4 bytes is misread, which is why this is not the default.
    PeekAndCompare,
}

/// How a [`ChunkDecoder`] reads: limits and compatibility switches.
#[derive(Debug, Clone, Default)]
pub struct DecoderConfig {
    /// Bounds on memory and lengths.
    pub limits: ChunkLimits,
    /// How type-3 chunks after an extended timestamp are read.
    pub type3_extended_timestamp: Type3ExtendedTimestamp,
}

/// What one chunk stream id remembers between chunks. Starts zeroed, so a
/// format 1, 2 or 3 chunk on a never-seen stream is read against zeros.
#[derive(Debug, Default)]
struct StreamState {
    seen: bool,
    /// Absolute timestamp of the last message started on this stream.
    timestamp: u32,
    /// The timestamp field of the last format 0/1/2 header (the extended
    /// value if it was used): the absolute timestamp after format 0, the
    /// delta after format 1 and 2. A type-3 chunk that starts a message adds
    /// it (FFmpeg's reading, and the spec's rule for type 3 after type 0).
    delta: u32,
    /// Whether the last format 0/1/2 header used an extended timestamp.
    extended: bool,
    length: u32,
    type_id: u8,
    stream_id: u32,
    /// The message being reassembled, if one is incomplete.
    partial: Option<BytesMut>,
}

impl StreamState {
    /// Takes the fields of the header that starts a message (format 3
    /// headers carry none and repeat the previous ones).
    #[inline]
    fn start_message(&mut self, header: &Header) {
        self.timestamp = if header.fmt == 0 {
            header.timestamp
        } else {
            self.timestamp.wrapping_add(header.timestamp)
        };
        self.delta = header.timestamp;
        if header.fmt < 3 {
            self.extended = header.extended;
        }
        self.length = header.length;
        self.type_id = header.type_id;
        self.stream_id = header.stream_id;
    }
}

/// Where the decoder is inside the current chunk.
#[derive(Debug, Clone, Copy)]
enum Progress {
    /// Waiting for a chunk header; `need` is how many bytes must be buffered
    /// before it is worth looking again.
    Header { need: usize },
    /// A whole message in one chunk: wait for all `len` payload bytes, then
    /// split them off the input without copying.
    Whole { csid: u32 },
    /// Inside a chunk of a message being reassembled; `left` bytes of this
    /// chunk are still to come.
    Payload { csid: u32, left: u32 },
}

/// Decodes an RTMP chunk stream (everything after the handshake) into
/// messages.
///
/// Feed it the input buffer again and again: [`decode`](Self::decode) takes
/// what it can use from the front and returns one complete message at a time.
/// It remembers where it is inside a chunk, so a header or payload split
/// across reads is never parsed twice.
///
/// SetChunkSize and Abort are applied inside the decoder the moment they
/// complete (and still returned), so the next chunk is already read with the
/// new size.
///
/// # Memory
///
/// Worst case: the input buffer holds one chunk header plus one single-chunk
/// message (at most [`ChunkLimits::max_message_len`] bytes, and only bytes the
/// peer sent); reassembly holds at most [`ChunkLimits::max_buffered`] bytes;
/// per-stream state is about 80 bytes for each of at most
/// [`ChunkLimits::max_chunk_streams`] chunk stream ids.
///
/// ```
/// use bytes::BytesMut;
/// use wirestate_rtmp::chunk::ChunkDecoder;
///
/// let mut decoder = ChunkDecoder::default();
/// // fmt 0, csid 3, timestamp 1000, length 2, type 20, msid 1 (little-endian).
/// let mut input = BytesMut::from(&b"\x03\x00\x03\xe8\x00\x00\x02\x14\x01\x00\x00\x00hi"[..]);
/// let message = decoder.decode(&mut input).unwrap().unwrap();
/// assert_eq!((message.csid, message.timestamp, message.type_id, message.stream_id), (3, 1000, 20, 1));
/// assert_eq!(message.payload, "hi");
/// assert!(input.is_empty());
/// ```
#[derive(Debug)]
pub struct ChunkDecoder {
    config: DecoderConfig,
    chunk_size: u32,
    progress: Progress,
    /// Chunk stream ids below 64 (all real traffic), indexed directly; grown
    /// only up to the highest id seen, so an idle connection that used ids
    /// 2 to 8 keeps nine entries, not 64.
    low: Vec<StreamState>,
    high: HashMap<u32, StreamState>,
    streams_seen: usize,
    partial_messages: usize,
    buffered: usize,
    consumed: u64,
}

impl Default for ChunkDecoder {
    fn default() -> Self {
        ChunkDecoder::new(DecoderConfig::default())
    }
}

/// A parsed chunk header.
struct Header {
    len: usize,
    fmt: u8,
    csid: u32,
    /// The timestamp field (resolved through the extended timestamp).
    timestamp: u32,
    extended: bool,
    length: u32,
    type_id: u8,
    stream_id: u32,
}

impl ChunkDecoder {
    /// A decoder with the default chunk size of 128.
    pub fn new(config: DecoderConfig) -> Self {
        ChunkDecoder {
            config,
            chunk_size: DEFAULT_CHUNK_SIZE,
            progress: Progress::Header { need: 1 },
            low: Vec::new(),
            high: HashMap::new(),
            streams_seen: 0,
            partial_messages: 0,
            buffered: 0,
            consumed: 0,
        }
    }

    /// The chunk size the peer's chunks are read with (128 until the peer
    /// sends SetChunkSize).
    pub fn chunk_size(&self) -> u32 {
        self.chunk_size
    }

    /// How many chunk-stream bytes were consumed so far: the running count
    /// Acknowledgement sequence numbers are based on.
    pub fn bytes_consumed(&self) -> u64 {
        self.consumed
    }

    /// How many bytes partial messages hold right now.
    pub fn buffered(&self) -> usize {
        self.buffered
    }

    /// Whether the decoder is between messages on every chunk stream and
    /// between chunks: nothing would be lost if the stream ended here.
    pub fn is_idle(&self) -> bool {
        matches!(self.progress, Progress::Header { .. }) && self.partial_messages == 0
    }

    /// How many bytes must be in the input before [`decode`](Self::decode)
    /// can make progress (a lower bound; 1 means "any").
    pub fn needed(&self) -> usize {
        match self.progress {
            Progress::Header { need } => need,
            Progress::Whole { csid } => self.stream(csid).length as usize,
            Progress::Payload { .. } => 1,
        }
    }

    /// Takes bytes from the front of `input` and returns the next complete
    /// message, or `Ok(None)` when `input` holds no more complete message
    /// (what was taken is remembered; call again after appending input).
    ///
    /// A message that fits in one chunk is split off `input` without a copy;
    /// longer ones are reassembled. After an `Err` the stream cannot be read
    /// further.
    ///
    /// # Errors
    ///
    /// A [`ChunkError`] for a malformed chunk stream or one beyond the
    /// decoder's limits; fatal.
    pub fn decode(&mut self, input: &mut BytesMut) -> Result<Option<RawMessage>, ChunkError> {
        loop {
            match self.progress {
                Progress::Header { need } => {
                    if input.len() < need {
                        return Ok(None);
                    }
                    let header = match self.peek_header(input) {
                        Ok(header) => header,
                        Err(need) => {
                            self.progress = Progress::Header { need };
                            return Ok(None);
                        }
                    };
                    if let Some(message) = self.start_chunk(&header)? {
                        self.take(input, header.len);
                        return Ok(Some(message));
                    }
                    self.take(input, header.len);
                }
                Progress::Whole { csid } => {
                    let state = self.stream(csid);
                    let len = state.length as usize;
                    if input.len() < len {
                        return Ok(None);
                    }
                    let message = RawMessage {
                        csid,
                        timestamp: state.timestamp,
                        type_id: state.type_id,
                        stream_id: state.stream_id,
                        payload: input.split_to(len).freeze(),
                    };
                    self.consumed += len as u64;
                    self.progress = Progress::Header { need: 1 };
                    return self.finish(message).map(Some);
                }
                Progress::Payload { csid, left } => {
                    if input.is_empty() {
                        return Ok(None);
                    }
                    let left = self.copy_chunks(input, csid, left)?;
                    if left > 0 {
                        self.progress = Progress::Payload { csid, left };
                        return Ok(None);
                    }
                    self.progress = Progress::Header { need: 1 };
                    let state = self.stream_mut(csid);
                    let length = state.length as usize;
                    if state.partial.as_ref().is_some_and(|p| p.len() < length) {
                        // Between two chunks; the next header is not the
                        // plain continuation `copy_chunks` reads itself.
                        continue;
                    }
                    let payload = state.partial.take().unwrap_or_default().freeze();
                    let message = RawMessage {
                        csid,
                        timestamp: state.timestamp,
                        type_id: state.type_id,
                        stream_id: state.stream_id,
                        payload,
                    };
                    self.buffered -= length;
                    self.partial_messages -= 1;
                    return self.finish(message).map(Some);
                }
            }
        }
    }

    /// Copies payload of the message being reassembled on `csid` from the
    /// front of `input` (which is not empty): the `left` bytes of the
    /// current chunk, then, in the same loop, every following chunk whose
    /// header is the common one between two chunks of a message: one byte,
    /// format 3, the same chunk stream, no extended timestamp. Those are
    /// read without the general header path (they need none of its work:
    /// the stream was seen, the message is under way), with the same
    /// buffer-limit check at each header. Stops at the end of `input`, at
    /// the end of the message, or before any other header; returns what is
    /// left of the current chunk.
    fn copy_chunks(
        &mut self,
        input: &mut BytesMut,
        csid: u32,
        mut left: u32,
    ) -> Result<u32, ChunkError> {
        let chunk_size = self.chunk_size as usize;
        let limit = self.config.limits.max_buffered;
        let mut buffered = self.buffered;
        let consumed = self.consumed;
        let state = self.stream_mut(csid);
        let continuation = (csid < 64 && !state.extended).then_some(0xC0 | csid as u8);
        let length = state.length as usize;
        let partial = state.partial.get_or_insert_with(BytesMut::new);
        // Reserve no more than what arrived: the input already holds it.
        partial.reserve((length - partial.len()).min(input.len()));
        let mut at = 0;
        let mut result = Ok(());
        loop {
            let n = (left as usize).min(input.len() - at);
            partial.extend_from_slice(&input[at..at + n]);
            at += n;
            buffered += n;
            left -= n as u32;
            if left > 0 || partial.len() == length {
                break;
            }
            if continuation.is_none() || input.get(at).copied() != continuation {
                break;
            }
            let next = (length - partial.len()).min(chunk_size);
            if buffered + next > limit {
                result = Err(ChunkError::BufferLimit {
                    limit,
                    offset: consumed + at as u64,
                });
                break;
            }
            at += 1;
            left = next as u32;
        }
        self.buffered = buffered;
        self.take(input, at);
        result.map(|()| left)
    }

    fn take(&mut self, input: &mut BytesMut, n: usize) {
        input.advance(n);
        self.consumed += n as u64;
    }

    // Inlined into the per-chunk path (out of line it cost about 4% of the
    // chunk decode's instructions under callgrind).
    #[inline]
    fn stream(&self, csid: u32) -> &StreamState {
        static EMPTY: StreamState = StreamState {
            seen: false,
            timestamp: 0,
            delta: 0,
            extended: false,
            length: 0,
            type_id: 0,
            stream_id: 0,
            partial: None,
        };
        if csid < 64 {
            self.low.get(csid as usize).unwrap_or(&EMPTY)
        } else {
            self.high.get(&csid).unwrap_or(&EMPTY)
        }
    }

    fn stream_mut(&mut self, csid: u32) -> &mut StreamState {
        if csid < 64 {
            let index = csid as usize;
            if index >= self.low.len() {
                self.low.resize_with(index + 1, StreamState::default);
            }
            &mut self.low[index]
        } else {
            self.high.entry(csid).or_default()
        }
    }

    /// Reads the chunk header at the front of `input` without consuming it,
    /// or returns how many bytes are needed to read it.
    fn peek_header(&self, input: &[u8]) -> Result<Header, usize> {
        let first = input[0];
        let fmt = first >> 6;
        let basic = basic_header_len(first);
        let fixed = basic + message_header_len(fmt);
        if input.len() < fixed {
            return Err(fixed);
        }
        let csid = read_csid(&input[..basic]);
        let state = self.stream(csid);
        let mut header = Header {
            len: fixed,
            fmt,
            csid,
            timestamp: state.delta,
            extended: state.extended,
            length: state.length,
            type_id: state.type_id,
            stream_id: state.stream_id,
        };
        let m = &input[basic..fixed];
        if fmt < 3 {
            header.timestamp = read_u24(&m[0..3]);
            header.extended = header.timestamp == EXTENDED_TIMESTAMP;
        }
        if fmt < 2 {
            header.length = read_u24(&m[3..6]);
            header.type_id = m[6];
        }
        if fmt == 0 {
            header.stream_id = u32::from_le_bytes([m[7], m[8], m[9], m[10]]);
        }
        if header.extended {
            if input.len() < fixed + 4 {
                return Err(fixed + 4);
            }
            let value = read_u32(&input[fixed..fixed + 4]);
            if fmt < 3 {
                header.timestamp = value;
                header.len += 4;
            } else {
                match self.config.type3_extended_timestamp {
                    Type3ExtendedTimestamp::Required => {
                        header.timestamp = value;
                        header.len += 4;
                    }
                    Type3ExtendedTimestamp::PeekAndCompare => {
                        if value == state.delta {
                            header.len += 4;
                        }
                    }
                }
            }
        }
        Ok(header)
    }

    /// Applies a complete chunk header; returns a zero-length message at once.
    fn start_chunk(&mut self, header: &Header) -> Result<Option<RawMessage>, ChunkError> {
        let offset = self.consumed;
        let limits = self.config.limits;
        let chunk_size = self.chunk_size;
        let csid = header.csid;
        self.count_stream(csid, offset)?;
        let partial_messages = self.partial_messages;
        let state = self.stream_mut(csid);
        state.seen = true;
        if let Some(partial) = &state.partial {
            if header.fmt < 3 {
                return Err(ChunkError::HeaderMidMessage {
                    csid,
                    fmt: header.fmt,
                    offset,
                });
            }
            // A continuation chunk: its timestamp fields repeat the message's.
            let left = (state.length - partial.len() as u32).min(chunk_size);
            self.check_buffer(left, offset)?;
            self.progress = Progress::Payload { csid, left };
            return Ok(None);
        }
        if header.length > limits.max_message_len {
            return Err(ChunkError::MessageTooLong {
                csid,
                len: header.length,
                limit: limits.max_message_len,
                offset,
            });
        }
        state.start_message(header);
        if header.length == 0 {
            let message = RawMessage {
                csid,
                timestamp: state.timestamp,
                type_id: state.type_id,
                stream_id: state.stream_id,
                payload: Default::default(),
            };
            self.progress = Progress::Header { need: 1 };
            return self.finish(message).map(Some);
        }
        if header.length <= chunk_size {
            self.progress = Progress::Whole { csid };
            return Ok(None);
        }
        if partial_messages >= limits.max_partial_messages {
            return Err(ChunkError::TooManyPartialMessages {
                limit: limits.max_partial_messages,
                offset,
            });
        }
        self.check_buffer(chunk_size, offset)?;
        let state = self.stream_mut(csid);
        state.partial = Some(BytesMut::new());
        self.partial_messages += 1;
        self.progress = Progress::Payload {
            csid,
            left: chunk_size,
        };
        Ok(None)
    }

    /// Counts `csid` the first time it appears, up to
    /// [`max_chunk_streams`](crate::chunk::ChunkLimits::max_chunk_streams).
    #[inline]
    fn count_stream(&mut self, csid: u32, offset: u64) -> Result<(), ChunkError> {
        if !self.stream(csid).seen {
            let limit = self.config.limits.max_chunk_streams;
            if self.streams_seen >= limit {
                return Err(ChunkError::TooManyChunkStreams { limit, offset });
            }
            self.streams_seen += 1;
        }
        Ok(())
    }

    /// Checks, at a chunk header, that its `left` payload bytes still fit
    /// the reassembly limit.
    fn check_buffer(&self, left: u32, offset: u64) -> Result<(), ChunkError> {
        let limit = self.config.limits.max_buffered;
        if self.buffered + left as usize > limit {
            return Err(ChunkError::BufferLimit { limit, offset });
        }
        Ok(())
    }

    /// Applies SetChunkSize and Abort before handing the message out.
    fn finish(&mut self, message: RawMessage) -> Result<RawMessage, ChunkError> {
        if message.type_id == 1 || message.type_id == 2 {
            let Some(value) = message.payload.get(..4).map(read_u32) else {
                return Err(ChunkError::ShortControlMessage {
                    type_id: message.type_id,
                    len: message.payload.len(),
                    offset: self.consumed,
                });
            };
            if message.type_id == 1 {
                if value == 0 || value > 0x7FFF_FFFF {
                    return Err(ChunkError::InvalidChunkSize {
                        size: value,
                        offset: self.consumed,
                    });
                }
                self.chunk_size = value;
            } else {
                self.abort(value);
            }
        }
        Ok(message)
    }

    /// Drops the partial message of chunk stream `csid`, if any.
    fn abort(&mut self, csid: u32) {
        if !(2..=super::header::MAX_CSID).contains(&csid) {
            return;
        }
        let state = self.stream_mut(csid);
        if let Some(partial) = state.partial.take() {
            self.buffered -= partial.len();
            self.partial_messages -= 1;
        }
    }
}
