//! Raw blocks, sending, flow control and poisoning of the `LineConnection` machine.

use std::time::Instant;

use bytes::Bytes;
use wirestate_core::Machine;

use crate::{
    Delimiter, LineCommand, LineConfig, LineConnection, LineError, LineEvent, LocalError, Overflow,
};

fn line(s: &str) -> LineEvent {
    LineEvent::line(Bytes::copy_from_slice(s.as_bytes()))
}

fn raw(s: &[u8]) -> LineEvent {
    LineEvent::Raw(Bytes::copy_from_slice(s))
}

/// Feeds `input` cut at `cuts`; every line `RAW <n>` is answered with
/// `expect_raw(n)`, as a memcached client answers `VALUE` lines.
fn run(
    config: &LineConfig,
    input: &[u8],
    cuts: &[usize],
    eof: bool,
) -> (Vec<LineEvent>, Option<LineError>) {
    let now = Instant::now();
    let mut lines = LineConnection::new(config.clone());
    let mut events = Vec::new();
    let mut bounds: Vec<usize> = cuts.iter().copied().filter(|&c| c < input.len()).collect();
    bounds.push(input.len());
    let mut start = 0;
    let drain = |lines: &mut LineConnection, events: &mut Vec<LineEvent>| -> Option<LineError> {
        while let Some(event) = lines.poll_event() {
            match event {
                Ok(event) => {
                    if let Some(n) = event
                        .text()
                        .and_then(|t| t.ok()?.strip_prefix("RAW ")?.parse().ok())
                    {
                        lines.expect_raw(n).unwrap();
                    }
                    events.push(event);
                }
                Err(e) => return Some(e),
            }
        }
        None
    };
    for end in bounds {
        if end <= start {
            continue;
        }
        lines.handle_input(&input[start..end], now);
        start = end;
        if let Some(e) = drain(&mut lines, &mut events) {
            return (events, Some(e));
        }
    }
    if eof {
        lines.handle_eof(now);
        if let Some(e) = drain(&mut lines, &mut events) {
            return (events, Some(e));
        }
        assert!(lines.is_closed());
    }
    (events, None)
}

#[test]
fn a_raw_block_split_at_every_byte() {
    let input = b"RAW 6\na\r\nb\n\nnext\n";
    let expected = vec![line("RAW 6"), raw(b"a\r\nb\n\n"), line("next")];
    let config = LineConfig::default();
    assert_eq!(run(&config, input, &[], false), (expected.clone(), None));
    for cut in 1..input.len() {
        assert_eq!(
            run(&config, input, &[cut], false),
            (expected.clone(), None),
            "cut at {cut}"
        );
    }
    let every: Vec<usize> = (1..input.len()).collect();
    assert_eq!(run(&config, input, &every, false), (expected, None));
}

#[test]
fn a_raw_block_then_lines_in_one_push_is_not_copied() {
    let input = Bytes::from_static(b"RAW 3\nxyzRAW 0\none\ntwo\n");
    let now = Instant::now();
    let mut lines = LineConnection::new(LineConfig::default());
    lines.handle_input(&input, now);
    assert_eq!(lines.poll_event(), Some(Ok(line("RAW 3"))));
    let buffer_start = lines.input_buffer().as_ptr() as usize;
    lines.expect_raw(3).unwrap();
    let Some(Ok(LineEvent::Raw(block))) = lines.poll_event() else {
        panic!("no raw block")
    };
    assert_eq!(block, "xyz");
    // The block is the buffer's own memory, split off, not a copy.
    assert_eq!(block.as_ptr() as usize, buffer_start);
    assert_eq!(lines.poll_event(), Some(Ok(line("RAW 0"))));
    lines.expect_raw(0).unwrap();
    assert_eq!(lines.poll_event(), Some(Ok(raw(b""))));
    assert_eq!(lines.poll_event(), Some(Ok(line("one"))));
    assert_eq!(lines.poll_event(), Some(Ok(line("two"))));
    assert_eq!(lines.poll_event(), None);
}

#[test]
fn raw_blocks_ignore_delimiters_and_limits() {
    let config = LineConfig::default()
        .max_line(6)
        .unwrap()
        .overflow(Overflow::Fail);
    let (events, error) = run(&config, b"RAW 10\n0123456789\n", &[3, 9], true);
    assert_eq!(events, vec![line("RAW 10"), raw(b"0123456789"), line("")]);
    assert_eq!(error, None);
}

#[test]
fn a_truncated_raw_block_at_eof_is_an_error() {
    let (events, error) = run(&LineConfig::default(), b"RAW 10\n01234", &[], true);
    assert_eq!(events, vec![line("RAW 10")]);
    assert_eq!(
        error,
        Some(LineError::TruncatedRaw {
            expected: 10,
            received: 5
        })
    );
}

#[test]
fn expect_raw_refuses_misuse_without_changing_anything() {
    let now = Instant::now();
    let mut lines = LineConnection::new(LineConfig::default().max_raw(100));
    assert_eq!(
        lines.expect_raw(101),
        Err(LocalError::RawTooLarge { len: 101, max: 100 })
    );
    assert_eq!(
        lines.expect_raw(usize::MAX),
        Err(LocalError::RawTooLarge {
            len: usize::MAX,
            max: 100
        })
    );
    lines.expect_raw(2).unwrap();
    assert_eq!(lines.expect_raw(2), Err(LocalError::RawNotAllowed));
    lines.handle_input(b"abc\n", now);
    assert_eq!(lines.poll_event(), Some(Ok(raw(b"ab"))));
    assert_eq!(lines.poll_event(), Some(Ok(line("c"))));

    let mut discarding = LineConnection::new(
        LineConfig::default()
            .max_line(2)
            .unwrap()
            .overflow(Overflow::Discard),
    );
    discarding.handle_input(b"abcdef", now);
    assert_eq!(discarding.poll_event(), None);
    assert_eq!(discarding.expect_raw(1), Err(LocalError::RawNotAllowed));
}

#[test]
fn lines_go_out_as_two_pieces_and_are_checked() {
    let now = Instant::now();
    let mut lines = LineConnection::new(LineConfig::new(Delimiter::crlf()));
    let payload = Bytes::from_static(b"set k 0 0 5");
    lines
        .handle_command(LineCommand::Send(payload.clone()), now)
        .unwrap();
    let first = lines.poll_transmit().unwrap();
    assert_eq!(first.as_ptr(), payload.as_ptr(), "the line is not copied");
    assert_eq!(lines.poll_transmit().unwrap(), "\r\n");
    lines
        .handle_command(LineCommand::SendRaw(Bytes::from_static(b"a\r\nb\r\n")), now)
        .unwrap();
    assert_eq!(lines.poll_transmit().unwrap(), "a\r\nb\r\n");
    lines.send_line("").unwrap();
    assert_eq!(lines.poll_transmit().unwrap(), "\r\n");
    assert_eq!(lines.poll_transmit(), None);

    assert_eq!(
        lines.send_line("a\r\nb"),
        Err(LocalError::DelimiterInLine { at: 1 })
    );
    // A trailing CR would merge with the CRLF only for lf(); for crlf() it is data.
    lines.send_line("ends in\r").unwrap();

    let mut lf = LineConnection::new(LineConfig::default());
    assert_eq!(
        lf.send_line("ends in\r"),
        Err(LocalError::DelimiterInLine { at: 7 })
    );
    assert_eq!(
        lf.send_line("two\nlines"),
        Err(LocalError::DelimiterInLine { at: 3 })
    );
    assert_eq!(lf.poll_transmit(), None, "nothing queued after a refusal");

    // "xab" + "aba" reads back as "x", then "ba".
    let mut seq = LineConnection::new(LineConfig::new(Delimiter::sequence(b"aba").unwrap()));
    assert_eq!(
        seq.send_line("xab"),
        Err(LocalError::DelimiterInLine { at: 1 })
    );
    seq.send_line("xa").unwrap();
}

#[test]
fn stops_reading_at_the_high_water_mark_until_events_are_taken() {
    let now = Instant::now();
    let config = LineConfig::default()
        .max_line(16)
        .unwrap()
        .input_high_water(32);
    let mut lines = LineConnection::new(config);
    assert!(lines.wants_read());
    lines.handle_input(&b"0123456789\n".repeat(3), now);
    assert!(!lines.wants_read(), "33 bytes buffered");
    assert!(lines.poll_event().is_some());
    assert!(lines.wants_read());
    // A raw block larger than the mark keeps the reads coming.
    let _ = lines.poll_event();
    let _ = lines.poll_event();
    lines.expect_raw(100).unwrap();
    lines.handle_input(&[b'r'; 60], now);
    assert!(lines.wants_read());
    assert_eq!(lines.poll_event(), None);
    lines.handle_input(&[b'r'; 40], now);
    assert!(!lines.wants_read());
    assert!(matches!(lines.poll_event(), Some(Ok(LineEvent::Raw(b))) if b.len() == 100));
}

#[test]
fn a_fatal_error_is_reported_once() {
    let now = Instant::now();
    let mut lines = LineConnection::new(LineConfig::default().max_line(4).unwrap());
    lines.handle_input(b"too long\nok\n", now);
    assert_eq!(
        lines.poll_event(),
        Some(Err(LineError::LineTooLong { max: 4, offset: 0 }))
    );
    assert_eq!(lines.poll_event(), None);
    assert_eq!(lines.poll_event(), None);
    assert!(lines.is_closed());
    assert!(!lines.wants_read());
    lines.handle_input(b"more\n", now);
    assert_eq!(lines.buffered(), 0, "input after a failure is not kept");
    assert_eq!(lines.poll_event(), None);
    assert_eq!(lines.expect_raw(1), Err(LocalError::Closed));
    // A goodbye can still be sent.
    lines.send_line("ERROR line too long").unwrap();
    assert!(lines.poll_transmit().is_some());
}
