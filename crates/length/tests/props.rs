//! Properties of `wirestate_length`:
//!
//! - round trip: for every configuration (field width, endianness, offset,
//!   adjustment, header kept or not, varint, limit), whatever the encoder
//!   accepts decodes back to the same frames at any cuts, and whatever it
//!   refuses was really over the limit or below the adjustment;
//! - the Skip policy turns exactly the frames over the limit into `Oversize`;
//! - differential: on the configurations tokio-util's `LengthDelimitedCodec`
//!   also supports, both decoders cut the same frames from the same bytes
//!   fed in the same pieces.

use std::time::Instant;

use bytes::{Bytes, BytesMut};
use proptest::prelude::*;
use tokio_util::codec::{Decoder, LengthDelimitedCodec};
use wirestate_core::testing::{arb_cuts, feed_cut, pieces};
use wirestate_core::Machine;
use wirestate_length::{
    LengthConfig, LengthConnection, LengthEvent, LengthField, LocalError, OversizePolicy,
};

fn arb_field() -> impl Strategy<Value = LengthField> {
    prop_oneof![
        Just(LengthField::U8),
        Just(LengthField::U16),
        Just(LengthField::U24),
        Just(LengthField::U32),
        Just(LengthField::U64),
        Just(LengthField::Varint),
    ]
}

prop_compose! {
    fn arb_framing()(
        field in arb_field(),
        little in any::<bool>(),
        offset in 0usize..4,
        adjustment in -12i64..12,
        keep in any::<bool>(),
        max in prop_oneof![Just(usize::MAX), 0usize..400],
        non_minimal in any::<bool>(),
    ) -> LengthConfig {
        let framing = LengthConfig::new(field)
            .length_offset(offset)
            .length_adjustment(adjustment)
            .keep_header(keep)
            .max_frame_length(max)
            .allow_non_minimal_varint(non_minimal);
        if little { framing.little_endian() } else { framing }
    }
}

fn arb_payloads() -> impl Strategy<Value = Vec<Vec<u8>>> {
    prop::collection::vec(
        prop_oneof![
            3 => prop::collection::vec(any::<u8>(), 0..20),
            1 => prop::collection::vec(any::<u8>(), 0..600),
        ],
        0..12,
    )
}

/// Encodes what the framing accepts; checks each refusal is justified.
/// Returns the wire bytes and the frames a decoder must produce.
fn encode_all(framing: &LengthConfig, payloads: &[Vec<u8>]) -> (Vec<u8>, Vec<LengthEvent>) {
    let mut wire = BytesMut::new();
    let mut frames = Vec::new();
    for payload in payloads {
        let before = wire.len();
        match framing.encode_into(payload, &mut wire) {
            Ok(()) => {
                let header = framing.encode_header(payload.len()).unwrap();
                assert_eq!(&wire[before..before + header.len()], &header[..]);
                assert_eq!(&wire[before + header.len()..], &payload[..]);
                let frame = if framing.keeps_header() {
                    [&header[..], payload].concat()
                } else {
                    payload.clone()
                };
                frames.push(LengthEvent::Frame(Bytes::from(frame)));
            }
            Err(LocalError::PayloadTooLarge { len, max }) => {
                assert_eq!(len, payload.len());
                assert_eq!(max, framing.frame_length_limit());
                let value = len as i128 - i128::from(framing.adjustment());
                assert!(
                    len > max || value > i128::from(framing.field().max_value()),
                    "refused {len} bytes under the limit {max}"
                );
                assert_eq!(wire.len(), before, "wrote on error");
            }
            Err(LocalError::PayloadTooShort { len, min }) => {
                assert!(framing.adjustment() > 0 && (len as u64) < min);
                assert_eq!(wire.len(), before, "wrote on error");
            }
            Err(other) => panic!("unexpected encoder error {other}"),
        }
    }
    (wire.to_vec(), frames)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn encode_then_decode_round_trips(
        framing in arb_framing(),
        payloads in arb_payloads(),
        cut_seed in any::<prop::sample::Index>(),
        cuts in arb_cuts(8192),
    ) {
        let (wire, frames) = encode_all(&framing, &payloads);
        // Scale the cut points into the wire's length.
        let cuts: Vec<usize> = cuts
            .iter()
            .map(|&c| if wire.is_empty() { 0 } else { (c + cut_seed.index(wire.len())) % wire.len() })
            .collect();
        let mut machine = LengthConnection::new(framing.clone());
        let transcript = feed_cut(&mut machine, &wire, &cuts, true, Instant::now());
        prop_assert_eq!(&transcript.events, &frames);
        prop_assert_eq!(transcript.error, None);
        prop_assert!(transcript.closed);

        // The machine's own sender produces the same bytes, payloads untouched.
        let mut sender = LengthConnection::new(framing.clone());
        let mut sent = Vec::new();
        for payload in &payloads {
            let payload = Bytes::from(payload.clone());
            if sender.send(payload.clone()).is_ok() {
                sent.extend_from_slice(&sender.poll_transmit().unwrap());
                if !payload.is_empty() {
                    let piece = sender.poll_transmit().unwrap();
                    prop_assert_eq!(piece.as_ptr(), payload.as_ptr());
                    sent.extend_from_slice(&piece);
                }
                prop_assert!(sender.poll_transmit().is_none());
            }
        }
        prop_assert_eq!(sent, wire);
    }

    #[test]
    fn skip_policy_reports_exactly_the_frames_over_the_limit(
        field in arb_field(),
        keep in any::<bool>(),
        payloads in arb_payloads(),
        limit in 0usize..64,
        cuts in arb_cuts(4096),
    ) {
        let wide = LengthConfig::new(field).keep_header(keep);
        let payloads: Vec<Vec<u8>> = payloads
            .into_iter()
            .filter(|payload| wide.header_len(payload.len()).is_ok())
            .collect();
        let (wire, frames) = encode_all(&wide, &payloads);
        let narrow = wide.clone().max_frame_length(limit).oversize(OversizePolicy::Skip);
        let expected: Vec<LengthEvent> = payloads
            .iter()
            .zip(frames)
            .map(|(payload, frame)| {
                if payload.len() > limit {
                    LengthEvent::Oversize { len: payload.len() as u64 }
                } else {
                    frame
                }
            })
            .collect();
        let mut machine = LengthConnection::new(narrow);
        let transcript = feed_cut(&mut machine, &wire, &cuts, true, Instant::now());
        prop_assert_eq!(transcript.events, expected);
        prop_assert_eq!(transcript.error, None);
        prop_assert!(transcript.closed);
    }
}

/// A configuration both decoders support: fixed width, endianness, offset,
/// adjustment, header kept or stripped.
#[derive(Debug, Clone)]
struct Shared {
    width: usize,
    little: bool,
    offset: usize,
    adjustment: i64,
    keep: bool,
}

impl Shared {
    fn ours(&self) -> LengthConfig {
        let field = match self.width {
            1 => LengthField::U8,
            2 => LengthField::U16,
            3 => LengthField::U24,
            4 => LengthField::U32,
            _ => LengthField::U64,
        };
        let framing = LengthConfig::new(field)
            .length_offset(self.offset)
            .length_adjustment(self.adjustment)
            .keep_header(self.keep)
            .max_frame_length(1 << 20);
        if self.little {
            framing.little_endian()
        } else {
            framing
        }
    }

    fn theirs(&self) -> LengthDelimitedCodec {
        let mut builder = LengthDelimitedCodec::builder();
        builder
            .length_field_offset(self.offset)
            .length_field_length(self.width)
            .length_adjustment(self.adjustment as isize)
            .max_frame_length(1 << 20);
        if self.little {
            builder.little_endian();
        }
        if self.keep {
            // tokio-util counts the adjusted length from `num_skip`, so a
            // kept header must be added to the adjustment.
            builder
                .num_skip(0)
                .length_adjustment((self.adjustment + (self.offset + self.width) as i64) as isize);
        }
        builder.new_codec()
    }

    /// The header of a frame whose field holds `value`, after `prefix`.
    fn header(&self, prefix: u8, value: u64) -> Vec<u8> {
        let mut header = vec![prefix; self.offset];
        let bytes = if self.little {
            value.to_le_bytes()[..self.width].to_vec()
        } else {
            value.to_be_bytes()[8 - self.width..].to_vec()
        };
        header.extend(bytes);
        header
    }
}

prop_compose! {
    fn arb_shared()(
        width in prop::sample::select(vec![1usize, 2, 3, 4, 8]),
        little in any::<bool>(),
        offset in 0usize..3,
        adjustment in -6i64..6,
        keep in any::<bool>(),
    ) -> Shared {
        // With a kept header, tokio-util cannot see a field below a negative
        // adjustment (it adds the header first): keep those cases to ours.
        let adjustment = if keep { adjustment.abs() } else { adjustment };
        Shared { width, little, offset, adjustment, keep }
    }
}

prop_compose! {
    /// Mostly well-formed frames (field values near the adjustment, so some
    /// are below it), then arbitrary bytes.
    fn arb_stream(shared: Shared)(
        frames in prop::collection::vec((any::<u8>(), 0u64..40, any::<u8>()), 0..10),
        tail in prop::collection::vec(any::<u8>(), 0..24),
    ) -> Vec<u8> {
        let mut out = Vec::new();
        for (prefix, value, fill) in frames {
            out.extend(shared.header(prefix, value));
            let body = (value as i64 + shared.adjustment).max(0) as usize;
            out.extend(std::iter::repeat_n(fill, body));
        }
        out.extend(tail);
        out
    }
}

/// Frames tokio-util cuts from `input` fed in pieces at `cuts`, up to its
/// first error.
fn tokio_frames(shared: &Shared, input: &[u8], cuts: &[usize]) -> Vec<Bytes> {
    let mut codec = shared.theirs();
    let mut buf = BytesMut::new();
    let mut frames = Vec::new();
    for piece in pieces(input, cuts) {
        buf.extend_from_slice(piece);
        loop {
            match codec.decode(&mut buf) {
                Ok(Some(frame)) => {
                    frames.push(frame.freeze());
                    assert!(
                        frames.len() <= input.len(),
                        "tokio-util loops on {input:02x?}"
                    );
                }
                Ok(None) => break,
                Err(_) => return frames,
            }
        }
    }
    frames
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    #[test]
    fn same_frames_as_tokio_util(
        (shared, input) in arb_shared().prop_flat_map(|shared| (Just(shared.clone()), arb_stream(shared))),
        cuts in arb_cuts(400),
    ) {
        let theirs = tokio_frames(&shared, &input, &cuts);
        let mut machine = LengthConnection::new(shared.ours());
        let transcript = feed_cut(&mut machine, &input, &cuts, false, Instant::now());
        let ours: Vec<Bytes> = transcript
            .events
            .into_iter()
            .map(|event| match event {
                LengthEvent::Frame(frame) => frame,
                other => panic!("unexpected {other:?}"),
            })
            .collect();
        // Where the two disagree on what is an error (tokio-util checks the
        // raw field against its limit, we the adjusted length), neither
        // produces another frame, so the frame lists must be identical.
        prop_assert_eq!(ours, theirs);
    }
}
