//! The LF block search (`lf_mask`) against the plain search: same events,
//! offsets and errors, whether the buffer is cut at every offset, fed byte by
//! byte or whole, with raw blocks taking LFs out of a recorded block and
//! limits just around the block size.

use bytes::BytesMut;

use super::LineDecoder;
use crate::{EofPolicy, LineConfig, LineError, LineEvent, Overflow};

/// What one run produced.
#[derive(Debug, PartialEq)]
struct Run {
    events: Vec<LineEvent>,
    error: Option<LineError>,
    offset: u64,
}

/// Feeds `input` cut at `cuts`; a line `RAW n` makes the next `n` bytes raw.
fn run(config: &LineConfig, blocks: bool, input: &[u8], cuts: &[usize], eof: bool) -> Run {
    let mut decoder = LineDecoder::new(config.clone());
    decoder.lf_blocks = blocks;
    let max_line = config.line_limit();
    let mut buf = BytesMut::new();
    let mut events = Vec::new();
    let mut error = None;
    let mut on_event = |decoder: &mut LineDecoder, event: LineEvent| {
        if let Some(n) = event
            .bytes()
            .and_then(|b| b.strip_prefix(b"RAW "))
            .and_then(|n| std::str::from_utf8(n).ok()?.trim_end().parse().ok())
        {
            decoder.expect_raw(n).unwrap();
        }
        events.push(event);
    };
    let mut start = 0;
    for &end in cuts.iter().chain([&input.len()]) {
        buf.extend_from_slice(&input[start..end]);
        start = end;
        loop {
            match decoder.decode(&mut buf) {
                Ok(Some(event)) => on_event(&mut decoder, event),
                Ok(None) => break,
                Err(e) => {
                    error = Some(e);
                    break;
                }
            }
        }
        if !decoder.is_done() && decoder.raw_needed() == 0 {
            assert!(buf.len() <= max_line + 1, "{} bytes held", buf.len());
        }
    }
    while eof && error.is_none() {
        match decoder.decode_eof(&mut buf) {
            Ok(Some(event)) => on_event(&mut decoder, event),
            Ok(None) => break,
            Err(e) => error = Some(e),
        }
    }
    Run {
        events,
        error,
        offset: decoder.offset(),
    }
}

/// Lines of 0 to 90 bytes, some with CRLF, a bare CR or an empty line, and
/// raw blocks holding LFs.
fn stream() -> Vec<u8> {
    let mut out = Vec::new();
    let mut state = 0x2545_f491_4f6c_dd1du64;
    for n in 0..40 {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        // Now and then a line long enough to turn the block search off.
        let len = if n % 13 == 6 {
            300
        } else {
            (state % 91) as usize
        };
        if n % 9 == 4 {
            let raw = (state % 150) as usize;
            out.extend_from_slice(format!("RAW {raw}\r\n").as_bytes());
            out.extend((0..raw).map(|i| if i % 7 == 3 { b'\n' } else { b'r' }));
        }
        out.extend((0..len).map(|i| if i == 5 { b'\r' } else { b'a' + (i % 26) as u8 }));
        if state & 0x300 == 0 {
            out.push(b'\r');
        }
        out.push(b'\n');
    }
    out.extend_from_slice(b"unterminated\r");
    out
}

fn configs() -> Vec<LineConfig> {
    let mut configs = vec![
        LineConfig::default(),
        LineConfig::default().keep_delimiter(true),
        LineConfig::default().eof(EofPolicy::Drop),
    ];
    for max in [1, 62, 63, 64, 65, 80] {
        for overflow in [Overflow::Fail, Overflow::Split, Overflow::Discard] {
            configs.push(
                LineConfig::default()
                    .max_line(max)
                    .unwrap()
                    .overflow(overflow),
            );
        }
    }
    configs
}

#[test]
fn the_stream_uses_the_block_search() {
    let input = stream();
    let mut decoder = LineDecoder::new(LineConfig::default());
    let mut buf = BytesMut::from(&input[..]);
    assert!(decoder.lf_blocks);
    let first = decoder.decode(&mut buf).unwrap();
    assert!(first.is_some());
    // The first 64 bytes were searched at once, the first line split off.
    assert_eq!(decoder.scanned as u64 + decoder.offset(), 64);
}

#[test]
fn same_events_with_and_without_blocks_cut_at_every_offset() {
    let input = stream();
    for (i, config) in configs().iter().enumerate() {
        for eof in [false, true] {
            let expected = run(config, false, &input, &[], eof);
            assert!(expected.events.len() > 10 || expected.error.is_some());
            assert_eq!(
                run(config, true, &input, &[], eof),
                expected,
                "config {i} whole"
            );
            let bytes: Vec<usize> = (1..input.len()).collect();
            assert_eq!(
                run(config, true, &input, &bytes, eof),
                expected,
                "config {i} byte by byte"
            );
            for cut in 1..input.len() {
                assert_eq!(
                    run(config, true, &input, &[cut], eof),
                    expected,
                    "config {i} cut at {cut}"
                );
            }
            for step in [63, 64, 65, 100] {
                let cuts: Vec<usize> = (step..input.len()).step_by(step).collect();
                assert_eq!(
                    run(config, true, &input, &cuts, eof),
                    expected,
                    "config {i} every {step}"
                );
            }
        }
    }
}

#[test]
fn lines_found_in_one_block_then_the_buffer_grows() {
    // Two LFs in the first block, the third line completed by a later push.
    let mut decoder = LineDecoder::new(LineConfig::default());
    let mut buf = BytesMut::new();
    let mut first = vec![b'x'; 70];
    first[10] = b'\n';
    first[20] = b'\r';
    first[21] = b'\n';
    buf.extend_from_slice(&first);
    assert_eq!(
        decoder.decode(&mut buf).unwrap(),
        Some(LineEvent::line(vec![b'x'; 10]))
    );
    assert_eq!(
        decoder.lf_mask,
        1 << 10,
        "the second LF, from the new front"
    );
    assert_eq!(
        decoder.decode(&mut buf).unwrap(),
        Some(LineEvent::line(vec![b'x'; 9]))
    );
    assert_eq!(decoder.lf_mask, 0);
    assert_eq!(decoder.decode(&mut buf).unwrap(), None);
    assert_eq!(decoder.scanned, 48, "the rest searched once");
    buf.extend_from_slice(b"yz\n");
    assert_eq!(
        decoder.decode(&mut buf).unwrap(),
        Some(LineEvent::line([&[b'x'; 48][..], b"yz"].concat()))
    );
    assert_eq!(decoder.offset(), 73);
}
