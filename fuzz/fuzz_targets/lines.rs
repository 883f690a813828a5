//! wirestate-lines with a fuzzer-chosen configuration and input: it must not
//! panic, must keep its memory bound, and must decode the same whether the
//! input arrives whole, cut at a fuzzer-chosen point, or byte by byte, and
//! whether lines are taken in place (`for_each_line`) or polled.
#![no_main]

use std::ops::ControlFlow;
use std::time::Instant;

use bytes::Bytes;

use libfuzzer_sys::fuzz_target;
use wirestate_core::Machine;
use wirestate_lines::{Delimiter, EofPolicy, LineConfig, LineConnection, LineEvent, Overflow};

const MAX_RAW: usize = 64;

fn config(head: &[u8; 4]) -> LineConfig {
    let delimiter = match head[0] % 6 {
        0 => Delimiter::lf(),
        1 => Delimiter::crlf(),
        2 => Delimiter::byte(head[1]),
        3 => Delimiter::any_of(&[head[1], b'\n', b';'][..1 + usize::from(head[1] % 3)]).unwrap(),
        4 => Delimiter::sequence(b"\r\n\r\n").unwrap(),
        _ => Delimiter::sequence(&[head[1], head[1], b'|']).unwrap(),
    };
    let overflow = [Overflow::Fail, Overflow::Discard, Overflow::Split][usize::from(head[2] % 3)];
    let eof = [EofPolicy::Emit, EofPolicy::Drop, EofPolicy::Error][usize::from(head[2] / 3 % 3)];
    LineConfig::new(delimiter)
        .keep_delimiter(head[2] & 0x80 != 0)
        .max_line(1 + usize::from(head[3] % 64))
        .unwrap()
        .overflow(overflow)
        .eof(eof)
        .max_raw(MAX_RAW)
}

/// Feeds `input` in pieces ending at `cuts`; a line starting with `#` asks
/// for a raw block of its own length (refusals are local and ignored).
/// With `borrowed`, lines are taken through `for_each_line` first (copied
/// into the same events), and `poll_event` hands out what stopped a batch.
fn run(
    config: &LineConfig,
    input: &[u8],
    cuts: &[usize],
    borrowed: bool,
) -> (Vec<LineEvent>, Option<String>) {
    let now = Instant::now();
    let mut lines = LineConnection::new(config.clone());
    let bound = config.line_limit() + 4 + MAX_RAW;
    let mut events = Vec::new();
    let mut start = 0;
    let ends = cuts
        .iter()
        .copied()
        .filter(|&c| c > 0 && c < input.len())
        .chain([input.len()]);
    for end in ends.chain([usize::MAX]) {
        if end == usize::MAX {
            lines.handle_eof(now);
        } else if end > start {
            lines.handle_input(&input[start..end], now);
            start = end;
        } else {
            continue;
        }
        loop {
            let mut batch = 0;
            if borrowed {
                let mut raw = None;
                batch = lines.for_each_line(|line| {
                    events.push(LineEvent::line(Bytes::copy_from_slice(line)));
                    if line.first() == Some(&b'#') {
                        raw = Some(line.len());
                        return ControlFlow::Break(());
                    }
                    ControlFlow::Continue(())
                });
                if let Some(len) = raw {
                    let _ = lines.expect_raw(len);
                }
            }
            let Some(event) = lines.poll_event() else {
                if batch == 0 {
                    break;
                }
                continue;
            };
            match event {
                Ok(event) => {
                    if let LineEvent::Line { bytes, .. } = &event {
                        if bytes.first() == Some(&b'#') {
                            let _ = lines.expect_raw(bytes.len());
                        }
                    }
                    events.push(event);
                }
                Err(error) => return (events, Some(error.to_string())),
            }
        }
        assert!(
            lines.buffered() <= bound,
            "{} bytes buffered",
            lines.buffered()
        );
    }
    assert!(lines.is_closed());
    (events, None)
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 6 {
        return;
    }
    let head: [u8; 4] = data[..4].try_into().unwrap();
    let cut = usize::from(u16::from_le_bytes([data[4], data[5]]));
    let input = &data[6..];
    let config = config(&head);
    let whole = run(&config, input, &[], false);
    let cut = [cut % (input.len() + 1)];
    assert_eq!(whole, run(&config, input, &cut, false));
    // The borrowed path hands out the same, whole or cut.
    assert_eq!(whole, run(&config, input, &[], true), "borrowed");
    assert_eq!(whole, run(&config, input, &cut, true), "borrowed, cut");
    if input.len() <= 1024 {
        let every: Vec<usize> = (1..input.len()).collect();
        assert_eq!(whole, run(&config, input, &every, false));
    }
});
