//! Why a chunk stream could not be decoded.

/// A chunk-stream violation by the peer, or a configured limit it exceeded.
///
/// All of these are fatal for the connection: after one, the chunk stream
/// cannot be resynchronised. `offset` counts chunk-stream bytes (after the
/// handshake) from the start of the stream to the chunk header in question.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChunkError {
    /// A SetChunkSize message carried 0 or a value with the top bit set.
    #[error(
        "invalid chunk size {size} (must be 1..=0x7FFFFFFF) in the message ending at byte {offset}"
    )]
    InvalidChunkSize {
        /// The announced size.
        size: u32,
        /// Where the SetChunkSize message ended.
        offset: u64,
    },
    /// A SetChunkSize or Abort message was shorter than its 4-byte body.
    #[error("protocol control message type {type_id} has {len} byte(s), needs 4 (ending at byte {offset})")]
    ShortControlMessage {
        /// The message type id (1 or 2).
        type_id: u8,
        /// Its length.
        len: usize,
        /// Where the message ended.
        offset: u64,
    },
    /// A message announced more bytes than [`ChunkLimits::max_message_len`](super::ChunkLimits::max_message_len).
    #[error("message on chunk stream {csid} announces {len} bytes, over the limit of {limit} (header at byte {offset})")]
    MessageTooLong {
        /// The chunk stream id.
        csid: u32,
        /// The announced length.
        len: u32,
        /// The configured limit.
        limit: u32,
        /// Where the chunk header started.
        offset: u64,
    },
    /// More chunk streams than [`ChunkLimits::max_partial_messages`](super::ChunkLimits::max_partial_messages)
    /// held an unfinished message at once.
    #[error("more than {limit} chunk streams hold a partial message (header at byte {offset})")]
    TooManyPartialMessages {
        /// The configured limit.
        limit: usize,
        /// Where the chunk header started.
        offset: u64,
    },
    /// More distinct chunk stream ids than [`ChunkLimits::max_chunk_streams`](super::ChunkLimits::max_chunk_streams).
    #[error("more than {limit} distinct chunk stream ids (header at byte {offset})")]
    TooManyChunkStreams {
        /// The configured limit.
        limit: usize,
        /// Where the chunk header started.
        offset: u64,
    },
    /// Reassembly would buffer more than [`ChunkLimits::max_buffered`](super::ChunkLimits::max_buffered) bytes.
    #[error("partial messages would buffer more than {limit} bytes (at byte {offset})")]
    BufferLimit {
        /// The configured limit.
        limit: usize,
        /// Where the chunk header started.
        offset: u64,
    },
    /// A chunk of format 0, 1 or 2 arrived on a chunk stream whose previous
    /// message was not complete yet (only type-3 chunks may continue it).
    #[error("chunk format {fmt} on chunk stream {csid} while its message is incomplete (header at byte {offset})")]
    HeaderMidMessage {
        /// The chunk stream id.
        csid: u32,
        /// The chunk format (0, 1 or 2).
        fmt: u8,
        /// Where the chunk header started.
        offset: u64,
    },
}
