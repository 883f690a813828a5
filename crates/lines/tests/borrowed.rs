//! The borrowed fast path (`LineConnection::for_each_line`,
//! `LineDecoder::decode_borrowed`) against the owned one: for every
//! delimiter, limit, overflow and EOF policy, with raw blocks announced by
//! the lines themselves, and the same bytes cut anywhere, the borrowed
//! batches plus the owned polls they stop for hand out exactly the events
//! and the error the owned path alone does.

use std::ops::ControlFlow;
use std::time::Instant;

use bytes::{Bytes, BytesMut};
use proptest::prelude::*;
use wirestate_core::testing::{arb_cuts, pieces};
use wirestate_core::Machine;
use wirestate_lines::{
    Delimiter, EofPolicy, LineConfig, LineConnection, LineDecoder, LineEvent, Overflow,
};

fn arb_config() -> impl Strategy<Value = LineConfig> {
    let delimiter = prop_oneof![
        Just(Delimiter::lf()),
        Just(Delimiter::crlf()),
        Just(Delimiter::byte(b';')),
        Just(Delimiter::any_of(b"\n;").unwrap()),
        Just(Delimiter::sequence(b"\r\n;").unwrap()),
    ];
    let overflow = prop_oneof![
        Just(Overflow::Fail),
        Just(Overflow::Discard),
        Just(Overflow::Split)
    ];
    let eof = prop_oneof![
        Just(EofPolicy::Emit),
        Just(EofPolicy::Drop),
        Just(EofPolicy::Error)
    ];
    (
        delimiter,
        any::<bool>(),
        prop_oneof![Just(64 * 1024), 1usize..100],
        overflow,
        eof,
    )
        .prop_map(|(delimiter, keep, max, overflow, eof)| {
            LineConfig::new(delimiter)
                .keep_delimiter(keep)
                .max_line(max)
                .unwrap()
                .overflow(overflow)
                .eof(eof)
        })
}

/// Mostly letters (so lines span blocks), delimiters, CRs, and `#N` lines
/// that announce a raw block of N bytes.
fn arb_input() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(
        prop_oneof![
            30 => Just(b'a'),
            3 => Just(b'\n'),
            2 => Just(b'\r'),
            2 => Just(b';'),
            1 => Just(b'#'),
            1 => Just(b'3'),
        ],
        0..400,
    )
}

/// The raw block a line announces: `#` then a digit.
fn raw_len(line: &[u8]) -> Option<usize> {
    match line {
        [b'#', digit @ b'0'..=b'9', ..] => Some(usize::from(digit - b'0')),
        _ => None,
    }
}

/// The owned path alone, announcing raw blocks as the lines ask.
fn owned(config: LineConfig, input: &[u8], cuts: &[usize]) -> (Vec<LineEvent>, Option<String>) {
    let now = Instant::now();
    let mut machine = LineConnection::new(config);
    let mut events = Vec::new();
    let drain = |machine: &mut LineConnection, events: &mut Vec<LineEvent>| loop {
        match machine.poll_event() {
            Some(Ok(event)) => {
                if let LineEvent::Line { bytes, .. } = &event {
                    if let Some(len) = raw_len(bytes) {
                        machine.expect_raw(len).ok();
                    }
                }
                events.push(event);
            }
            Some(Err(e)) => return Some(e.to_string()),
            None => return None,
        }
    };
    for piece in pieces(input, cuts) {
        machine.handle_input(piece, now);
        let error = drain(&mut machine, &mut events);
        if error.is_some() {
            return (events, error);
        }
    }
    machine.handle_eof(now);
    let error = drain(&mut machine, &mut events);
    (events, error)
}

/// One borrowed batch: copies each line out, breaks after a raw-block
/// announcement (to call `expect_raw`) and after every `every`-th line.
/// Returns the block to expect, if the batch stopped at an announcement.
fn batch(
    events: &mut Vec<LineEvent>,
    every: usize,
    run: impl FnOnce(&mut dyn FnMut(&[u8]) -> ControlFlow<()>) -> Result<usize, String>,
) -> Result<Option<usize>, String> {
    let mut raw = None;
    run(&mut |line: &[u8]| {
        events.push(LineEvent::Line {
            bytes: Bytes::copy_from_slice(line),
            partial: false,
        });
        raw = raw_len(line);
        if raw.is_some() || (every > 0 && events.len().is_multiple_of(every)) {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    })?;
    Ok(raw)
}

/// Drains `machine` the borrowed way, falling back to `poll_event`.
fn drain_machine(
    machine: &mut LineConnection,
    every: usize,
    events: &mut Vec<LineEvent>,
) -> Result<(), String> {
    loop {
        let raw = batch(events, every, |f| {
            // Its errors come from poll_event, below.
            Ok(machine.for_each_line(f))
        })?;
        if let Some(len) = raw {
            machine.expect_raw(len).ok();
            continue;
        }
        match machine.poll_event() {
            Some(Ok(event)) => {
                if let LineEvent::Line { bytes, .. } = &event {
                    if let Some(len) = raw_len(bytes) {
                        machine.expect_raw(len).ok();
                    }
                }
                events.push(event);
            }
            Some(Err(e)) => return Err(e.to_string()),
            None => return Ok(()),
        }
    }
}

/// Drains `decoder` the borrowed way, falling back to `decode`/`decode_eof`.
fn drain_decoder(
    decoder: &mut LineDecoder,
    buf: &mut BytesMut,
    eof: bool,
    every: usize,
    events: &mut Vec<LineEvent>,
) -> Result<(), String> {
    loop {
        let raw = batch(events, every, |f| {
            decoder.decode_borrowed(buf, f).map_err(|e| e.to_string())
        })?;
        if let Some(len) = raw {
            decoder.expect_raw(len).ok();
            continue;
        }
        let next = if eof {
            decoder.decode_eof(buf)
        } else {
            decoder.decode(buf)
        };
        match next.map_err(|e| e.to_string())? {
            Some(event) => {
                if let LineEvent::Line { bytes, .. } = &event {
                    if let Some(len) = raw_len(bytes) {
                        decoder.expect_raw(len).ok();
                    }
                }
                events.push(event);
            }
            None => return Ok(()),
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn machine_borrowed_matches_owned(
        config in arb_config(),
        input in arb_input(),
        cuts in arb_cuts(400),
        every in 0usize..4,
    ) {
        let (expected, expected_error) = owned(config.clone(), &input, &cuts);
        let now = Instant::now();
        let mut machine = LineConnection::new(config);
        let mut events = Vec::new();
        let mut error = None;
        for piece in pieces(&input, &cuts) {
            machine.handle_input(piece, now);
            if let Err(e) = drain_machine(&mut machine, every, &mut events) {
                error = Some(e);
                break;
            }
        }
        if error.is_none() {
            machine.handle_eof(now);
            error = drain_machine(&mut machine, every, &mut events).err();
        }
        prop_assert_eq!(events, expected);
        prop_assert_eq!(error, expected_error);
        prop_assert!(machine.is_closed());
    }

    #[test]
    fn decoder_borrowed_matches_owned(
        config in arb_config(),
        input in arb_input(),
        cuts in arb_cuts(400),
        every in 0usize..4,
    ) {
        let (expected, expected_error) = owned(config.clone(), &input, &cuts);
        let mut decoder = LineDecoder::new(config);
        let mut buf = BytesMut::new();
        let mut events = Vec::new();
        let mut error = None;
        for piece in pieces(&input, &cuts) {
            buf.extend_from_slice(piece);
            if let Err(e) = drain_decoder(&mut decoder, &mut buf, false, every, &mut events) {
                error = Some(e);
                break;
            }
        }
        if error.is_none() {
            error = drain_decoder(&mut decoder, &mut buf, true, every, &mut events).err();
        }
        prop_assert_eq!(events, expected);
        prop_assert_eq!(error, expected_error);
    }
}
