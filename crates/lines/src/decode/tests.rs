//! Table-driven decoder cases, each checked whole, byte by byte and at a few
//! cuts (wirestate_core::testing).

use std::time::Instant;

use bytes::Bytes;
use wirestate_core::testing::assert_chunk_independent;
use wirestate_core::testing::table::{case, run, Case};

use crate::{Delimiter, EofPolicy, LineConfig, LineConnection, LineError, LineEvent, Overflow};

fn line(s: &str) -> LineEvent {
    LineEvent::line(Bytes::copy_from_slice(s.as_bytes()))
}

fn piece(s: &str) -> LineEvent {
    LineEvent::Line {
        bytes: Bytes::copy_from_slice(s.as_bytes()),
        partial: true,
    }
}

fn oversize(discarded: usize) -> LineEvent {
    LineEvent::Oversize { discarded }
}

fn cfg(delimiter: Delimiter) -> LineConfig {
    LineConfig::new(delimiter)
}

fn limited(delimiter: Delimiter, max: usize, overflow: Overflow) -> LineConfig {
    cfg(delimiter).max_line(max).unwrap().overflow(overflow)
}

fn cases() -> Vec<Case<LineConfig, LineEvent>> {
    let lf = Delimiter::lf;
    let seq = |s: &[u8]| Delimiter::sequence(s).unwrap();
    vec![
        // Delimiter kinds.
        case(
            "lf and crlf",
            cfg(lf()),
            b"a\nb\r\n\nc\r\r\n",
            vec![line("a"), line("b"), line(""), line("c\r")],
        ),
        case(
            "lf keeps a lone cr",
            cfg(lf()),
            b"a\rb\n",
            vec![line("a\rb")],
        ),
        case(
            "strict crlf",
            cfg(Delimiter::crlf()),
            b"a\nb\r\nc\r\r\n\r\n",
            vec![line("a\nb"), line("c\r"), line("")],
        ),
        case(
            "one byte",
            cfg(Delimiter::byte(0)),
            b"a\0\0b\nc\0",
            vec![line("a"), line(""), line("b\nc")],
        ),
        case(
            "byte lf has no cr strip",
            cfg(Delimiter::byte(b'\n')),
            b"a\r\n",
            vec![line("a\r")],
        ),
        case(
            "set of two",
            cfg(Delimiter::any_of(b",;").unwrap()),
            b"a,b;;c",
            vec![line("a"), line("b"), line("")],
        ),
        case(
            "set of three",
            cfg(Delimiter::any_of(b",;|").unwrap()),
            b"a|b;c,",
            vec![line("a"), line("b"), line("c")],
        ),
        case(
            "sequence",
            cfg(seq(b"\r\n\r\n")),
            b"h: 1\r\nh: 2\r\n\r\n\r\n\r\nx\r\n\r",
            vec![line("h: 1\r\nh: 2"), line("")],
        ),
        case(
            "sequence with self overlap",
            cfg(seq(b"aab")),
            b"aaab-aab",
            vec![line("a"), line("-")],
        ),
        // Kept delimiters.
        case(
            "lf kept",
            cfg(lf()).keep_delimiter(true),
            b"a\r\nb\n\n",
            vec![line("a\r\n"), line("b\n"), line("\n")],
        ),
        case(
            "sequence kept",
            cfg(seq(b"--")).keep_delimiter(true),
            b"a--b---",
            vec![line("a--"), line("b--")],
        ),
        // Underrun and bursts.
        case("underrun", cfg(lf()), b"no delimiter yet", vec![]),
        case(
            "empty lines",
            cfg(lf()),
            b"\n\r\n\n",
            vec![line(""), line(""), line("")],
        ),
        // Max length, Fail.
        case(
            "fail: at the limit is fine",
            limited(lf(), 4, Overflow::Fail),
            b"abcd\n",
            vec![line("abcd")],
        ),
        case(
            "fail: over the limit",
            limited(lf(), 4, Overflow::Fail),
            b"abcd\nabcde\nok\n",
            vec![line("abcd")],
        )
        .fails(LineError::LineTooLong { max: 4, offset: 5 }),
        case(
            "fail: over the limit without a delimiter",
            limited(lf(), 4, Overflow::Fail),
            b"abcde",
            vec![],
        )
        .fails(LineError::LineTooLong { max: 4, offset: 0 }),
        case(
            "fail: lf counts the cr",
            limited(lf(), 3, Overflow::Fail),
            b"abc\r\n",
            vec![],
        )
        .fails(LineError::LineTooLong { max: 3, offset: 0 }),
        case(
            "fail: crlf does not count the cr",
            limited(Delimiter::crlf(), 3, Overflow::Fail),
            b"abc\r\n",
            vec![line("abc")],
        ),
        case(
            "fail: sequence at the limit",
            limited(seq(b"<>"), 2, Overflow::Fail),
            b"ab<>",
            vec![line("ab")],
        ),
        // Max length, Discard.
        case(
            "discard",
            limited(lf(), 4, Overflow::Discard),
            b"abcdefg\nxy\n",
            vec![oversize(7), line("xy")],
        ),
        case(
            "discard just over",
            limited(lf(), 4, Overflow::Discard),
            b"abcde\nxy\n",
            vec![oversize(5), line("xy")],
        ),
        case(
            "discard a long line",
            limited(lf(), 3, Overflow::Discard),
            b"0123456789012345678901234567890\r\nok\r\n",
            vec![oversize(32), line("ok")],
        ),
        case(
            "discard with crlf",
            limited(Delimiter::crlf(), 2, Overflow::Discard),
            b"abcd\nef\r\nok\r\n",
            vec![oversize(7), line("ok")],
        ),
        case(
            "discard with sequence",
            limited(seq(b"<>"), 2, Overflow::Discard),
            b"abcd<<>ef<>",
            vec![oversize(5), line("ef")],
        ),
        case(
            "discard then eof",
            limited(lf(), 4, Overflow::Discard),
            b"ok\nabcdefgh",
            vec![line("ok"), oversize(8)],
        )
        .at_eof(),
        // Max length, Split.
        case(
            "split",
            limited(lf(), 4, Overflow::Split),
            b"abcdefg\nxy\n",
            vec![piece("abcd"), line("efg"), line("xy")],
        ),
        case(
            "split exact multiple",
            limited(lf(), 2, Overflow::Split),
            b"abcd\n",
            vec![piece("ab"), line("cd")],
        ),
        case(
            "split kept",
            limited(lf(), 4, Overflow::Split).keep_delimiter(true),
            b"abcdefghij\n",
            vec![piece("abcd"), piece("efgh"), line("ij\n")],
        ),
        case(
            "split sequence",
            limited(seq(b"<>"), 2, Overflow::Split),
            b"aaaa<>aaa<>",
            vec![piece("aa"), line("aa"), piece("aa"), line("a")],
        ),
        case(
            "split crlf never cuts the delimiter",
            limited(Delimiter::crlf(), 3, Overflow::Split),
            b"abcd\r\nabc\r\n",
            vec![piece("abc"), line("d"), line("abc")],
        ),
        // EOF policies.
        case(
            "eof emit",
            cfg(lf()),
            b"a\nrest",
            vec![line("a"), line("rest")],
        )
        .at_eof(),
        case(
            "eof emit strips a cr",
            cfg(lf()),
            b"a\nrest\r",
            vec![line("a"), line("rest")],
        )
        .at_eof(),
        case(
            "eof emit: a lone cr is no line",
            cfg(lf()),
            b"a\n\r",
            vec![line("a")],
        )
        .at_eof(),
        case(
            "eof emit: crlf keeps the cr",
            cfg(Delimiter::crlf()),
            b"a\r",
            vec![line("a\r")],
        )
        .at_eof(),
        case(
            "eof emit after split",
            limited(lf(), 2, Overflow::Split),
            b"abc",
            vec![piece("ab"), line("c")],
        )
        .at_eof(),
        case("eof with nothing left", cfg(lf()), b"a\n", vec![line("a")]).at_eof(),
        case(
            "eof drop",
            cfg(lf()).eof(EofPolicy::Drop),
            b"a\nrest",
            vec![line("a")],
        )
        .at_eof(),
        case(
            "eof error",
            cfg(lf()).eof(EofPolicy::Error),
            b"a\nrest",
            vec![line("a")],
        )
        .at_eof()
        .fails(LineError::PartialLineAtEof { len: 4 }),
    ]
}

#[test]
fn decodes_every_case_however_cut() {
    // Closed exactly when at EOF or failed: the table's default.
    run(cases(), |config| LineConnection::new(config.clone()));
}

#[test]
fn a_burst_of_lines_in_one_push() {
    let mut input = Vec::new();
    for i in 0..1000 {
        input.extend_from_slice(format!("line {i}\r\n").as_bytes());
    }
    let transcript = assert_chunk_independent(
        || LineConnection::new(LineConfig::default()),
        &input,
        false,
        Instant::now(),
    );
    assert_eq!(transcript.events.len(), 1000);
    assert_eq!(transcript.events[999], line("line 999"));
}

#[test]
fn discarding_keeps_no_more_than_a_delimiter() {
    use wirestate_core::Machine;
    let now = Instant::now();
    let config = limited(Delimiter::sequence(b"<>").unwrap(), 8, Overflow::Discard);
    let mut lines = LineConnection::new(config);
    for _ in 0..1000 {
        lines.handle_input(&[b'x'; 100], now);
        assert_eq!(lines.poll_event(), None);
        // Only a possible first byte of "<>" stays.
        assert!(lines.buffered() <= 1, "{} bytes buffered", lines.buffered());
    }
    lines.handle_input(b"<<>ok<>", now);
    assert_eq!(lines.poll_event(), Some(Ok(oversize(100_001))));
    assert_eq!(lines.poll_event(), Some(Ok(line("ok"))));
}

#[test]
fn an_unterminated_line_is_held_up_to_the_limit_only() {
    use wirestate_core::Machine;
    let now = Instant::now();
    let config = limited(Delimiter::crlf(), 10, Overflow::Split);
    let mut lines = LineConnection::new(config);
    let mut pieces = 0;
    for _ in 0..100 {
        lines.handle_input(b"abc", now);
        while let Some(event) = lines.poll_event() {
            assert!(
                matches!(event, Ok(LineEvent::Line { partial: true, ref bytes }) if bytes.len() == 10)
            );
            pieces += 1;
        }
        assert!(lines.buffered() < 10 + 2, "max plus the delimiter");
    }
    assert_eq!(pieces, 29);
}
