//! Compressing and inflating one message at a time (RFC 7692 §7.2).
//!
//! A message is compressed with a sync flush, which ends the output with an
//! empty stored block `00 00 ff ff`; that tail is stripped before sending and
//! put back before inflating the last frame of a received message.

use bytes::Bytes;
use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress, Status};

use crate::error::{ProtocolViolation, WsError};

/// The end of a sync-flushed deflate stream, not sent on the wire.
const TAIL: [u8; 4] = [0, 0, 0xff, 0xff];

/// Inflated output grows by at most this much between checks of the limit.
const INFLATE_STEP: usize = 32 << 10;

/// Our compression side. The zlib state is created on the first compressed
/// message and, without context takeover, dropped after each one.
pub(crate) struct Deflater {
    state: Option<Compress>,
    level: u32,
    bits: u8,
    takeover: bool,
    totals: DeflateTotals,
}

/// How much a connection's permessage-deflate compressed: over every
/// message it sent compressed, the bytes before and after compression
/// (`compressed / uncompressed` is the ratio a server reports).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeflateTotals {
    /// Message bytes handed to the compressor.
    pub uncompressed: u64,
    /// Bytes it produced (frame payloads, without the `00 00 ff ff` tail).
    pub compressed: u64,
}

impl Deflater {
    /// A compressor with window `bits` (9-15) at zlib `level`.
    pub fn new(level: u32, bits: u8, takeover: bool) -> Self {
        Deflater {
            state: None,
            level: level.min(9),
            bits: super::usable_bits(bits),
            takeover,
            totals: DeflateTotals::default(),
        }
    }

    /// Compresses one whole message; the result lacks the `00 00 ff ff`
    /// tail. `None` if zlib reports an error (it does not for valid state).
    pub fn compress(&mut self, data: &[u8]) -> Option<Bytes> {
        let (level, bits) = (self.level, self.bits);
        let zlib = self.state.get_or_insert_with(|| {
            Compress::new_with_window_bits(Compression::new(level), false, bits)
        });
        let start = zlib.total_in();
        let mut out = Vec::with_capacity(data.len() / 2 + 64);
        loop {
            let consumed = (zlib.total_in() - start) as usize;
            if out.capacity() - out.len() < 64 {
                out.reserve(out.capacity().max(256));
            }
            zlib.compress_vec(&data[consumed..], &mut out, FlushCompress::Sync)
                .ok()?;
            // All input taken and room left over: the flush is complete.
            if (zlib.total_in() - start) as usize == data.len() && out.len() < out.capacity() {
                break;
            }
        }
        if out.ends_with(&TAIL) {
            out.truncate(out.len() - TAIL.len());
        }
        if out.is_empty() {
            // Nothing new to flush (an empty message after another one):
            // send an empty stored block's first byte, which with the tail
            // makes a valid empty block (RFC 7692 §7.2.3.6).
            out.push(0);
        }
        if !self.takeover {
            self.state = None;
        }
        self.totals.uncompressed += data.len() as u64;
        self.totals.compressed += out.len() as u64;
        Some(Bytes::from(out))
    }

    /// What was compressed so far.
    pub fn totals(&self) -> DeflateTotals {
        self.totals
    }

    /// Frees the zlib state (the connection is over).
    pub fn release(&mut self) {
        self.state = None;
    }

    /// Whether zlib state is currently allocated.
    #[cfg(test)]
    pub fn is_allocated(&self) -> bool {
        self.state.is_some()
    }
}

/// The most inflated bytes a message (or, in streaming delivery, a frame)
/// may produce before the connection fails with 1009.
#[derive(Debug, Clone, Copy)]
pub(crate) struct InflateLimit(pub u64);

/// The peer's compression, undone. Created on the first compressed message
/// and, without context takeover (or after the peer ended its stream),
/// dropped after each one.
pub(crate) struct Inflater {
    state: Option<Decompress>,
    bits: u8,
    takeover: bool,
    /// The peer's stream ended with a final block: start afresh next time.
    ended: bool,
    /// Payload bytes were inflated for the current message.
    fed: bool,
}

impl Inflater {
    /// An inflater for a peer compressing with window `bits` (8-15).
    pub fn new(bits: u8, takeover: bool) -> Self {
        Inflater {
            state: None,
            bits: super::usable_bits(bits),
            takeover,
            ended: false,
            fed: false,
        }
    }

    /// Inflates one frame's `payload` of a compressed message, appending to
    /// `out`; `last` (the message's final frame) also inflates the stripped
    /// tail. Each new piece of output goes to `check` (UTF-8 validation) as
    /// soon as it exists. Output grows in steps of at most 32 KiB (or the
    /// spare room it already has, when that cannot pass the limit) and fails
    /// with [`WsError::MessageTooBig`] as soon as `out` would pass `limit`,
    /// so a bomb costs about a limit's worth of work and memory.
    ///
    /// # Errors
    ///
    /// [`WsError::MessageTooBig`] past `limit`, a bad deflate stream
    /// ([`ProtocolViolation::BadDeflate`](crate::ProtocolViolation::BadDeflate)),
    /// or what `check` returns.
    // One loop over the two inputs (payload, then the tail) with the limit
    // check between zlib's steps: split, the bound would be harder to see.
    pub fn inflate(
        &mut self,
        payload: &[u8],
        last: bool,
        out: &mut Vec<u8>,
        limit: InflateLimit,
        check: &mut dyn FnMut(&[u8]) -> Result<(), WsError>,
    ) -> Result<(), WsError> {
        self.fed |= !payload.is_empty();
        if !self.fed {
            // An empty compressed message is an empty message; inflating the
            // bare tail would leave a half-read block behind.
            return Ok(());
        }
        let bits = self.bits;
        let zlib = self
            .state
            .get_or_insert_with(|| Decompress::new_with_window_bits(false, bits));
        let pieces: [(&[u8], FlushDecompress); 2] = [
            (payload, FlushDecompress::None),
            (if last { &TAIL } else { &[] }, FlushDecompress::Sync),
        ];
        let limit = limit.0;
        for (input, flush) in pieces {
            if input.is_empty() {
                continue;
            }
            let mut pos = 0;
            while !self.ended {
                // Room up to one byte past the limit, so crossing it shows.
                let allowed = limit.saturating_add(1).saturating_sub(out.len() as u64);
                // Output room: a guess from the input left (deflate rarely
                // beats 4:1 on messages), then what is there, at most a step.
                let guess = (input.len() - pos)
                    .saturating_mul(4)
                    .max(out.len())
                    .max(1024);
                let step = allowed.min(INFLATE_STEP.min(guess) as u64) as usize;
                if out.capacity() - out.len() < step {
                    out.reserve(step);
                }
                let (in_before, out_before) = (zlib.total_in(), zlib.total_out());
                let from = out.len();
                let spare = out.capacity() - from;
                let (status, room) = if spare as u64 <= allowed {
                    // All the spare room stays within the limit.
                    (zlib.decompress_vec(&input[pos..], out, flush), spare)
                } else {
                    // Near the limit: never inflate more than allowed.
                    out.resize(from + step, 0);
                    let status = zlib.decompress(&input[pos..], &mut out[from..], flush);
                    let produced = (zlib.total_out() - out_before) as usize;
                    out.truncate(from + produced);
                    (status, step)
                };
                let status =
                    status.map_err(|_| WsError::Protocol(ProtocolViolation::BadDeflate))?;
                let consumed = (zlib.total_in() - in_before) as usize;
                let produced = (zlib.total_out() - out_before) as usize;
                pos += consumed;
                if out.len() as u64 > limit {
                    return Err(WsError::MessageTooBig {
                        len: out.len() as u64,
                        limit,
                    });
                }
                check(&out[from..])?;
                if status == Status::StreamEnd {
                    self.ended = true;
                    break;
                }
                let room_left = produced < room.max(1);
                if pos == input.len() && room_left {
                    break;
                }
                if consumed == 0 && produced == 0 {
                    if pos == input.len() {
                        break;
                    }
                    return Err(WsError::Protocol(ProtocolViolation::BadDeflate));
                }
            }
        }
        Ok(())
    }

    /// Frees the zlib state (the connection is over).
    pub fn release(&mut self) {
        self.state = None;
    }

    /// The message ended: drop the state unless the peer keeps its context.
    pub fn end_message(&mut self) {
        self.fed = false;
        if !self.takeover || self.ended {
            self.state = None;
            self.ended = false;
        }
    }

    /// Whether zlib state is currently allocated.
    #[cfg(test)]
    pub fn is_allocated(&self) -> bool {
        self.state.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inflate_all(
        inflater: &mut Inflater,
        frames: &[&[u8]],
        limit: u64,
    ) -> Result<Vec<u8>, WsError> {
        let mut out = Vec::new();
        for (i, frame) in frames.iter().enumerate() {
            inflater.inflate(
                frame,
                i + 1 == frames.len(),
                &mut out,
                InflateLimit(limit),
                &mut |_| Ok(()),
            )?;
        }
        inflater.end_message();
        Ok(out)
    }

    #[test]
    fn round_trips_with_and_without_takeover() {
        for takeover in [true, false] {
            let mut deflater = Deflater::new(6, 12, takeover);
            let mut inflater = Inflater::new(12, takeover);
            for text in ["hello hello hello", "", "hello hello hello again", "x"] {
                let wire = deflater.compress(text.as_bytes()).unwrap();
                assert!(!wire.ends_with(&TAIL));
                assert_eq!(
                    inflate_all(&mut inflater, &[&wire], 1 << 20).unwrap(),
                    text.as_bytes()
                );
                assert_eq!(deflater.is_allocated(), takeover);
                assert_eq!(inflater.is_allocated(), takeover);
            }
        }
    }

    #[test]
    fn empty_message_is_one_zero_byte() {
        let mut deflater = Deflater::new(6, 15, true);
        assert_eq!(&deflater.compress(b"").unwrap()[..], [0]);
        let mut inflater = Inflater::new(15, true);
        assert!(inflate_all(&mut inflater, &[&[]], 10).unwrap().is_empty());
    }

    #[test]
    fn takeover_makes_repeats_smaller() {
        let mut deflater = Deflater::new(6, 15, true);
        let text = b"a fairly long sentence that repeats across messages";
        let first = deflater.compress(text).unwrap();
        let second = deflater.compress(text).unwrap();
        assert!(
            second.len() < first.len() / 2,
            "{} vs {}",
            second.len(),
            first.len()
        );
    }

    #[test]
    fn split_frames_inflate_like_one() {
        let data: Vec<u8> = (0..100_000u32)
            .map(|i| (i % 251) as u8 ^ (i / 1000) as u8)
            .collect();
        let wire = Deflater::new(6, 15, true).compress(&data).unwrap();
        let (a, b) = wire.split_at(wire.len() / 3);
        let mut inflater = Inflater::new(15, true);
        assert_eq!(inflate_all(&mut inflater, &[a, b], 1 << 20).unwrap(), data);
    }

    #[test]
    fn limit_is_enforced_while_inflating() {
        let data = vec![0u8; 10 << 20];
        let wire = Deflater::new(9, 15, true).compress(&data).unwrap();
        let mut inflater = Inflater::new(15, true);
        let mut out = Vec::new();
        let got = inflater.inflate(
            &wire,
            true,
            &mut out,
            InflateLimit(100_000),
            &mut |_| Ok(()),
        );
        assert_eq!(
            got,
            Err(WsError::MessageTooBig {
                len: 100_001,
                limit: 100_000
            })
        );
        assert!(out.capacity() < 300_000, "{}", out.capacity());
    }

    #[test]
    fn garbage_is_a_protocol_error() {
        let mut inflater = Inflater::new(15, true);
        let got = inflate_all(&mut inflater, &[&[0xff, 0xff, 0xff, 0xff]], 1 << 20);
        assert_eq!(got, Err(WsError::Protocol(ProtocolViolation::BadDeflate)));
    }
}
