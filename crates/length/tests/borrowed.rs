//! The borrowed fast path (`LengthConnection::for_each_frame`,
//! `LengthCodec::decode_borrowed`) against the owned one: for every
//! configuration (fixed and varint fields, offsets, adjustments, limits
//! under both policies, the Erlang packet types) and the same bytes cut
//! anywhere, the borrowed batches plus the owned polls they stop for hand
//! out exactly the frames and the error the owned path alone does.

use std::ops::ControlFlow;
use std::time::Instant;

use bytes::{Bytes, BytesMut};
use proptest::prelude::*;
use tokio_util::codec::Decoder;
use wirestate_core::testing::{arb_cuts, feed_cut, pieces};
use wirestate_core::Machine;
use wirestate_length::{
    ErlangPacket, LengthCodec, LengthConfig, LengthConnection, LengthEvent, LengthField,
    OversizePolicy,
};

fn arb_framing() -> impl Strategy<Value = LengthConfig> {
    let fields = [
        LengthField::U8,
        LengthField::U16,
        LengthField::U24,
        LengthField::U32,
        LengthField::U64,
        LengthField::Varint,
    ];
    let generic = (
        0..fields.len(),
        any::<bool>(),
        0usize..3,
        -4i64..4,
        any::<bool>(),
    )
        .prop_map(move |(field, little, offset, adjustment, keep)| {
            let framing = LengthConfig::new(fields[field])
                .length_offset(offset)
                .length_adjustment(adjustment)
                .keep_header(keep);
            if little {
                framing.little_endian()
            } else {
                framing
            }
        });
    let packet = (0..ErlangPacket::ALL.len())
        .prop_map(|i| LengthConfig::erlang_packet(ErlangPacket::ALL[i]));
    (
        prop_oneof![3 => generic, 1 => packet],
        prop_oneof![Just(usize::MAX), 0usize..64],
        any::<bool>(),
    )
        .prop_map(|(framing, max, skip)| {
            let policy = if skip {
                OversizePolicy::Skip
            } else {
                OversizePolicy::Fail
            };
            framing.max_frame_length(max).oversize(policy)
        })
}

/// Input that is mostly well framed at small widths: small byte values.
fn arb_input() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(prop_oneof![4 => 0u8..24, 1 => any::<u8>()], 0..200)
}

/// A `f` for the borrowed path that copies each frame out and breaks
/// after every `every`-th one (never if 0).
fn collect(
    events: &mut Vec<LengthEvent>,
    every: usize,
) -> impl FnMut(&[u8]) -> ControlFlow<()> + '_ {
    move |frame| {
        events.push(LengthEvent::Frame(Bytes::copy_from_slice(frame)));
        if every > 0 && events.len().is_multiple_of(every) {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    }
}

/// Drains `machine` the borrowed way, falling back to `poll_event` where a
/// batch stops; `false` once an error ended it.
fn drain_borrowed(
    machine: &mut LengthConnection,
    every: usize,
    events: &mut Vec<LengthEvent>,
    error: &mut Option<String>,
) -> bool {
    loop {
        // Its errors come from poll_event, below.
        machine.for_each_frame(collect(events, every));
        match machine.poll_event() {
            Some(Ok(event)) => events.push(event),
            Some(Err(e)) => {
                *error = Some(e.to_string());
                return false;
            }
            None => return true,
        }
    }
}

/// The codec's counterpart of [`drain_borrowed`].
fn drain_codec(
    codec: &mut LengthCodec,
    src: &mut BytesMut,
    eof: bool,
    every: usize,
    events: &mut Vec<LengthEvent>,
) -> Result<(), String> {
    loop {
        codec
            .decode_borrowed(src, collect(events, every))
            .map_err(|e| e.to_string())?;
        let next = if eof {
            codec.decode_eof(src)
        } else {
            codec.decode(src)
        };
        match next.map_err(|e| e.to_string())? {
            Some(event) => events.push(event),
            None => return Ok(()),
        }
    }
}

proptest! {
    #[test]
    fn machine_borrowed_matches_owned(
        framing in arb_framing(),
        input in arb_input(),
        cuts in arb_cuts(200),
        every in 0usize..4,
    ) {
        let now = Instant::now();
        let mut owned = LengthConnection::new(framing.clone());
        let expected = feed_cut(&mut owned, &input, &cuts, true, now);

        let mut machine = LengthConnection::new(framing);
        let (mut events, mut error) = (Vec::new(), None);
        let mut going = drain_borrowed(&mut machine, every, &mut events, &mut error);
        for piece in pieces(&input, &cuts) {
            if !going || machine.is_closed() {
                break;
            }
            if !piece.is_empty() {
                machine.handle_input(piece, now);
                going = drain_borrowed(&mut machine, every, &mut events, &mut error);
            }
        }
        if going && !machine.is_closed() {
            machine.handle_eof(now);
            drain_borrowed(&mut machine, every, &mut events, &mut error);
        }
        prop_assert_eq!(events, expected.events);
        prop_assert_eq!(error, expected.error);
        prop_assert_eq!(machine.is_closed(), expected.closed);
        prop_assert_eq!(machine.for_each_frame(|_| ControlFlow::Continue(())), 0);
    }

    #[test]
    fn codec_borrowed_matches_owned(
        framing in arb_framing(),
        input in arb_input(),
        cuts in arb_cuts(200),
        every in 0usize..4,
    ) {
        let (mut owned, mut borrowed) = (LengthCodec::new(framing.clone()), LengthCodec::new(framing));
        let (mut owned_src, mut src) = (BytesMut::new(), BytesMut::new());
        let (mut expected, mut events) = (Vec::new(), Vec::new());
        let (mut expected_error, mut error) = (None, None);
        let pieces: Vec<&[u8]> = pieces(&input, &cuts).collect();
        for (i, piece) in pieces.iter().enumerate() {
            let eof = i + 1 == pieces.len();
            owned_src.extend_from_slice(piece);
            src.extend_from_slice(piece);
            if expected_error.is_none() {
                loop {
                    let next = if eof { owned.decode_eof(&mut owned_src) } else { owned.decode(&mut owned_src) };
                    match next {
                        Ok(Some(event)) => expected.push(event),
                        Ok(None) => break,
                        Err(e) => { expected_error = Some(e.to_string()); break; }
                    }
                }
            }
            if error.is_none() {
                if let Err(e) = drain_codec(&mut borrowed, &mut src, eof, every, &mut events) {
                    error = Some(e);
                }
            }
        }
        prop_assert_eq!(events, expected);
        prop_assert_eq!(error, expected_error);
    }
}
