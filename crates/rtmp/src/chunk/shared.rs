//! Chunks encoded once and sent on many connections: a relay's fan-out.

use std::sync::{Arc, OnceLock};

use bytes::Bytes;

use super::encode::{ChunkEncoder, EncodeError, LastHeader};
use super::RawMessage;

/// The chunks of one message, shared between the encoders that send it.
///
/// The first [`ChunkEncoder::encode_shared`] with a given `SharedChunks`
/// encodes the message and keeps its chunks; every later one whose encoder
/// is in the same state for that message (chunk size, and the last header
/// on its chunk stream) sends the same bytes, cloned (reference-counted),
/// instead of cutting the message again. An encoder in another state
/// encodes its own chunks, as [`encode`](ChunkEncoder::encode) would.
/// Either way each connection gets exactly the bytes `encode` would have
/// given it.
///
/// Clones share the chunks: make one per message and hand a clone to every
/// connection that sends it. The chunks live as long as a clone does.
///
/// ```
/// use bytes::Bytes;
/// use wirestate_rtmp::chunk::{ChunkEncoder, RawMessage, SharedChunks};
///
/// let video = RawMessage { csid: 6, timestamp: 40, type_id: 9, stream_id: 1, payload: Bytes::from(vec![7; 10_000]) };
/// let shared = SharedChunks::default();
/// let (mut a, mut b) = (ChunkEncoder::default(), ChunkEncoder::default());
/// let (mut out_a, mut out_b): (Vec<Bytes>, Vec<Bytes>) = (Vec::new(), Vec::new());
/// a.encode_shared(&video, &shared, &mut out_a).unwrap();
/// b.encode_shared(&video, &shared, &mut out_b).unwrap();
/// // The same chunks, in the same memory.
/// assert_eq!(out_a, out_b);
/// assert_eq!(out_a[0].as_ptr(), out_b[0].as_ptr());
/// ```
#[derive(Debug, Clone, Default)]
pub struct SharedChunks(Arc<OnceLock<Encoded>>);

/// The chunks, with what they were encoded from.
#[derive(Debug)]
struct Encoded {
    key: Key,
    pieces: Vec<Bytes>,
    /// Kept alive with the chunks, so the address in `key` stays its own.
    _payload: Bytes,
}

/// Everything the chunks of a message depend on; the payload by its
/// address and length (see `Encoded::_payload`).
#[derive(Debug, PartialEq, Eq)]
struct Key {
    chunk_size: u32,
    last: LastHeader,
    csid: u32,
    timestamp: u32,
    type_id: u8,
    stream_id: u32,
    payload: (usize, usize),
}

impl Key {
    fn new(encoder: &ChunkEncoder, message: &RawMessage) -> Key {
        let (chunk_size, last) = encoder.state_for(message.csid);
        Key {
            chunk_size,
            last,
            csid: message.csid,
            timestamp: message.timestamp,
            type_id: message.type_id,
            stream_id: message.stream_id,
            payload: (message.payload.as_ptr() as usize, message.payload.len()),
        }
    }
}

impl ChunkEncoder {
    /// Appends the chunks of `message` to `out`, like
    /// [`encode`](Self::encode), reusing the chunks in `shared` when they
    /// were encoded from the same message in the same encoder state, and
    /// leaving this encoding there for the next encoder otherwise (if it is
    /// the first).
    ///
    /// # Errors
    ///
    /// As [`encode`](Self::encode); nothing is appended then.
    pub fn encode_shared(
        &mut self,
        message: &RawMessage,
        shared: &SharedChunks,
        out: &mut impl Extend<Bytes>,
    ) -> Result<(), EncodeError> {
        let key = Key::new(self, message);
        if let Some(encoded) = shared.0.get().filter(|encoded| encoded.key == key) {
            // The same message was valid for the same state: only the
            // last header moves, as `encode` would move it.
            self.header_format(message, message.payload.len() as u32);
            out.extend(encoded.pieces.iter().cloned());
            return Ok(());
        }
        let mut pieces = Vec::with_capacity(2);
        self.encode(message, &mut pieces)?;
        out.extend(pieces.iter().cloned());
        if shared.0.get().is_none() {
            let _ = shared.0.set(Encoded {
                key,
                pieces,
                _payload: message.payload.clone(),
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(csid: u32, timestamp: u32, len: usize) -> RawMessage {
        RawMessage {
            csid,
            timestamp,
            type_id: if csid == 4 { 8 } else { 9 },
            stream_id: 1,
            payload: Bytes::from((0..len).map(|i| i as u8).collect::<Vec<u8>>()),
        }
    }

    /// Encoders that joined at different points, with different chunk
    /// sizes, get from `encode_shared` exactly what `encode` gives them.
    #[test]
    fn every_encoder_gets_the_bytes_encode_would_give_it() {
        let messages: Vec<RawMessage> = (0..40u32)
            .map(|i| match i % 3 {
                0 => message(4, i * 20, 300),
                // Extended timestamps on some, lengths that cross chunks.
                1 if i > 30 => message(6, 0x0100_0000 + i * 20, 5000),
                _ => message(6, i * 20, 100 + i as usize * 211),
            })
            .collect();
        // (join at message, chunk size)
        let players = [
            (0, 4096),
            (0, 4096),
            (1, 4096),
            (5, 4096),
            (5, 128),
            (0, 4096),
        ];
        let mut shared_encoders: Vec<ChunkEncoder> = Vec::new();
        let mut plain_encoders: Vec<ChunkEncoder> = Vec::new();
        for &(_, size) in &players {
            let mut encoder = ChunkEncoder::default();
            encoder.set_chunk_size(size).unwrap();
            plain_encoders.push(encoder);
            let mut encoder = ChunkEncoder::default();
            encoder.set_chunk_size(size).unwrap();
            shared_encoders.push(encoder);
        }
        let mut reused = 0;
        for (at, message) in messages.iter().enumerate() {
            let shared = SharedChunks::default();
            let mut first: Option<Vec<Bytes>> = None;
            for (player, &(join, _)) in players.iter().enumerate() {
                if at < join {
                    continue;
                }
                let mut expected: Vec<Bytes> = Vec::new();
                plain_encoders[player]
                    .encode(message, &mut expected)
                    .unwrap();
                let mut got: Vec<Bytes> = Vec::new();
                shared_encoders[player]
                    .encode_shared(message, &shared, &mut got)
                    .unwrap();
                assert_eq!(
                    got.concat(),
                    expected.concat(),
                    "message {at}, player {player}"
                );
                match &first {
                    Some(first) if first[0].as_ptr() == got[0].as_ptr() => reused += 1,
                    Some(_) => {}
                    None => first = Some(got),
                }
            }
        }
        // Players in the same state shared their chunks.
        assert!(reused > 40, "{reused}");
    }

    #[test]
    fn an_invalid_message_is_refused_and_leaves_nothing() {
        let shared = SharedChunks::default();
        let mut encoder = ChunkEncoder::default();
        let mut out: Vec<Bytes> = Vec::new();
        let bad = message(1, 0, 10);
        assert_eq!(
            encoder.encode_shared(&bad, &shared, &mut out),
            Err(EncodeError::InvalidCsid(1))
        );
        assert!(out.is_empty());
        assert!(shared.0.get().is_none());
    }
}
