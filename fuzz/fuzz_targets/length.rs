//! Fuzzes `LengthConnection`: the first bytes pick a configuration, the rest is
//! the stream. Nothing may panic, and feeding the stream whole or split at a
//! fuzzer-chosen point must give the same frames, the same error and the
//! same end state, and so must the borrowed path (`for_each_frame`) in
//! front of `poll_event`. Frames must also respect the limit and the layout.
#![no_main]

use std::ops::ControlFlow;
use std::time::Instant;

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use wirestate_core::Machine;
use wirestate_length::{LengthConfig, LengthConnection, LengthEvent, LengthField, OversizePolicy};

/// Bytes of configuration at the start of each input.
const CONFIG_LEN: usize = 7;

fn framing(config: &[u8; CONFIG_LEN]) -> LengthConfig {
    let field = match config[0] % 6 {
        0 => LengthField::U8,
        1 => LengthField::U16,
        2 => LengthField::U24,
        3 => LengthField::U32,
        4 => LengthField::U64,
        _ => LengthField::Varint,
    };
    let flags = config[1];
    let framing = LengthConfig::new(field)
        .length_offset(usize::from(config[2] % 4))
        .length_adjustment(i64::from(config[3] as i8))
        .keep_header(flags & 1 != 0)
        .allow_non_minimal_varint(flags & 2 != 0)
        .oversize(if flags & 4 != 0 {
            OversizePolicy::Skip
        } else {
            OversizePolicy::Fail
        })
        .max_frame_length(usize::from(u16::from_le_bytes([config[4], config[5]])));
    if flags & 8 != 0 {
        framing.little_endian()
    } else {
        framing
    }
}

/// Everything the machine said about one feeding.
#[derive(Debug, PartialEq)]
struct Outcome {
    events: Vec<LengthEvent>,
    error: Option<String>,
    closed: bool,
}

/// Feeds `pieces`; with `borrowed`, each drain first takes what it can
/// through `for_each_frame` (copied into the same events), then polls for
/// what stopped it.
fn run(framing: &LengthConfig, input: &[u8], pieces: &[&[u8]], borrowed: bool) -> Outcome {
    let now = Instant::now();
    let mut machine = LengthConnection::new(framing.clone());
    let mut outcome = Outcome {
        events: Vec::new(),
        error: None,
        closed: false,
    };
    let drain = |machine: &mut LengthConnection, outcome: &mut Outcome| loop {
        let mut batch = 0;
        if borrowed {
            let events = &mut outcome.events;
            batch = machine.for_each_frame(|frame| {
                events.push(LengthEvent::Frame(Bytes::copy_from_slice(frame)));
                ControlFlow::Continue(())
            });
        }
        match machine.poll_event() {
            Some(Ok(event)) => outcome.events.push(event),
            Some(Err(error)) => outcome.error = Some(error.to_string()),
            None if batch == 0 => return,
            None => {}
        }
    };
    for piece in pieces {
        machine.handle_input(piece, now);
        // Memory only grows with what arrived.
        assert!(machine.buffered() <= input.len());
        drain(&mut machine, &mut outcome);
    }
    machine.handle_eof(now);
    drain(&mut machine, &mut outcome);
    assert!(machine.poll_event().is_none(), "events after the end");
    assert!(!machine.wants_read());
    outcome.closed = machine.is_closed();
    outcome
}

fuzz_target!(|data: &[u8]| {
    let Some((config, rest)) = data.split_first_chunk::<CONFIG_LEN>() else {
        return;
    };
    let framing = framing(config);
    let split = usize::from(config[6]) * rest.len() / 256;

    let whole = run(&framing, rest, &[rest], false);
    let (a, b) = rest.split_at(split);
    let cut = run(&framing, rest, &[a, b], false);
    assert_eq!(whole, cut, "split at {split}");
    // The borrowed path hands out the same, whole or cut.
    assert_eq!(whole, run(&framing, rest, &[rest], true), "borrowed");
    assert_eq!(whole, run(&framing, rest, &[a, b], true), "borrowed, split");

    // Every stream ends closed: cleanly or after its error.
    assert!(whole.closed);
    let limit = framing.frame_length_limit();
    for event in &whole.events {
        match event {
            LengthEvent::Frame(frame) if !framing.keeps_header() => assert!(frame.len() <= limit),
            LengthEvent::Frame(frame) => assert!(frame.len() > framing.offset_len()),
            LengthEvent::Oversize { len } => assert!(*len > limit as u64),
        }
    }

    // What came out re-encodes to a prefix of the stream (header stripped,
    // default offset bytes aside) when the layout allows a comparison.
    if !framing.keeps_header() && framing.offset_len() == 0 && !framing.allows_non_minimal_varint()
    {
        let mut at = 0;
        for event in &whole.events {
            let LengthEvent::Frame(frame) = event else {
                break;
            };
            let header = framing
                .encode_header(frame.len())
                .expect("a decoded frame re-encodes");
            let end = at + header.len() + frame.len();
            assert_eq!(&rest[at..at + header.len()], &header[..]);
            assert_eq!(
                Bytes::copy_from_slice(&rest[at + header.len()..end]),
                *frame
            );
            at = end;
        }
    }
});
