//! Replays the recorded line-protocol captures (tests/captures/lines) through
//! wirestate-lines: whole, byte by byte, at fixed cuts and at proptest cuts.

use std::time::Instant;

use bytes::{Bytes, BytesMut};
use proptest::prelude::*;
use sha2::{Digest, Sha256};
use wirestate_core::testing::{
    arb_cuts, assert_chunk_independent, assert_transcripts_equal, feed_cut, Transcript,
};
use wirestate_core::Machine;
use wirestate_lines::{
    memcached, Delimiter, EofPolicy, LineCommand, LineConfig, LineConnection, LineError, LineEvent,
    Overflow,
};

fn capture(name: &str) -> Vec<u8> {
    wirestate_core::testing::capture::read(&format!("lines/{name}"))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

// ---- Erlang {packet, line} ----

/// Erlang's `{packet,line}`: delimiter kept, long lines handed over in
/// `buffer`-sized pieces, a partial line dropped at EOF.
fn erlang(buffer: usize) -> LineConfig {
    LineConfig::new(Delimiter::lf())
        .keep_delimiter(true)
        .max_line(buffer)
        .unwrap()
        .overflow(Overflow::Split)
        .eof(EofPolicy::Drop)
}

/// One `recv` of the events file, as our event must print it.
fn erlang_recv(payload: &[u8]) -> String {
    if payload.len() > 512 {
        format!(
            "1 recv {} sha256={} head={}",
            payload.len(),
            hex(&Sha256::digest(payload)),
            hex(&payload[..32])
        )
    } else {
        format!("1 recv {} {}", payload.len(), hex(payload))
    }
}

fn check_erlang(name: &str, buffer: usize) {
    let input = capture(&format!("{name}.c2s.bin"));
    let expected: Vec<String> = String::from_utf8(capture(&format!("{name}.events.txt")))
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    let transcript = assert_chunk_independent(
        || LineConnection::new(erlang(buffer)),
        &input,
        true,
        Instant::now(),
    );
    assert_eq!(transcript.error, None);
    assert!(transcript.closed);
    let mut ours: Vec<String> = transcript
        .events
        .iter()
        .map(|event| match event {
            LineEvent::Line { bytes, .. } => erlang_recv(bytes),
            other => panic!("unexpected {other:?}"),
        })
        .collect();
    ours.push("1 closed".into());
    // The events file shortens long payloads to 32 head bytes.
    let shorten = |line: &String| match line.find(" head=") {
        Some(at) => line[..at + 6 + 64.min(line.len() - at - 6)].to_owned(),
        None => line.clone(),
    };
    let expected: Vec<String> = expected.iter().map(shorten).collect();
    let ours: Vec<String> = ours.iter().map(shorten).collect();
    assert_eq!(ours, expected, "{name}");

    // The echo server sent back exactly what it received.
    let echoed: Vec<u8> = transcript
        .events
        .iter()
        .flat_map(|e| e.bytes().unwrap().to_vec())
        .collect();
    assert_eq!(echoed, capture(&format!("{name}.s2c.bin")), "{name}: echo");
}

#[test]
fn erlang_line_basic() {
    check_erlang("erl_line_basic", 1460);
}

#[test]
fn erlang_line_buffer64() {
    check_erlang("erl_line_buffer64", 64);
}

#[test]
fn erlang_pieces_are_flagged_partial() {
    let input = capture("erl_line_buffer64.c2s.bin");
    let transcript = feed_cut(
        &mut LineConnection::new(erlang(64)),
        &input,
        &[],
        true,
        Instant::now(),
    );
    let flags: Vec<bool> = transcript
        .events
        .iter()
        .map(|e| matches!(e, LineEvent::Line { partial: true, .. }))
        .collect();
    assert_eq!(flags, [false, true, true, true, false, false]);
}

// ---- memcached text protocol ----

/// A `LineConnection` machine that answers every memcached header with `expect_raw`,
/// as a memcached client or server does, so the generic test helpers can
/// feed it.
struct Memcached {
    lines: LineConnection,
    /// Stream offset after each event, to line events up with the steps.
    ends: Vec<u64>,
}

impl Memcached {
    fn new() -> Self {
        // The 70000-byte value (+2) must fit a raw block.
        let config = LineConfig::default().eof(EofPolicy::Error).max_raw(1 << 20);
        Memcached {
            lines: LineConnection::new(config),
            ends: Vec::new(),
        }
    }
}

impl Machine for Memcached {
    type Event = LineEvent;
    type Command = LineCommand;
    type Error = LineError;
    fn input_buffer(&mut self) -> &mut BytesMut {
        self.lines.input_buffer()
    }
    fn handle_buffered_input(&mut self, now: Instant) {
        self.lines.handle_buffered_input(now)
    }
    fn handle_eof(&mut self, now: Instant) {
        self.lines.handle_eof(now)
    }
    fn handle_timeout(&mut self, now: Instant) {
        self.lines.handle_timeout(now)
    }
    fn handle_command(&mut self, cmd: LineCommand, now: Instant) -> Result<(), LineError> {
        self.lines.handle_command(cmd, now)
    }
    fn poll_event(&mut self) -> Option<Result<LineEvent, LineError>> {
        let event = self.lines.poll_event()?;
        if let Ok(LineEvent::Line { bytes, .. }) = &event {
            if let Some(len) = memcached::data_len(bytes) {
                if let Err(e) = self.lines.expect_raw(len) {
                    return Some(Err(e.into()));
                }
            }
        }
        self.ends.push(self.lines.decoder().offset());
        Some(event)
    }
    fn poll_transmit(&mut self) -> Option<Bytes> {
        self.lines.poll_transmit()
    }
    fn poll_timeout(&self) -> Option<Instant> {
        None
    }
    fn wants_read(&self) -> bool {
        self.lines.wants_read()
    }
    fn is_closed(&self) -> bool {
        self.lines.is_closed()
    }
}

struct Step {
    label: String,
    c2s: (u64, u64),
    s2c: (u64, u64),
}

fn steps() -> Vec<Step> {
    String::from_utf8(capture("memcached_text.steps.tsv"))
        .unwrap()
        .lines()
        .skip(1)
        .map(|row| {
            let f: Vec<&str> = row.split('\t').collect();
            let n = |i: usize| f[i].parse::<u64>().unwrap();
            Step {
                label: f[0].to_owned(),
                c2s: (n(1), n(1) + n(2)),
                s2c: (n(3), n(3) + n(4)),
            }
        })
        .collect()
}

/// Decodes one direction whole, returning the events and where each ended.
fn memcached_events(input: &[u8]) -> (Vec<LineEvent>, Vec<u64>) {
    let mut machine = Memcached::new();
    let transcript = feed_cut(&mut machine, input, &[], true, Instant::now());
    assert_eq!(transcript.error, None);
    assert!(transcript.closed);
    (transcript.events, machine.ends)
}

/// The events of each step: no event may straddle a step boundary.
fn by_step(
    events: &[LineEvent],
    ends: &[u64],
    ranges: impl Iterator<Item = (u64, u64)>,
) -> Vec<Vec<LineEvent>> {
    let mut out = Vec::new();
    let mut i = 0;
    for (start, end) in ranges {
        let mut step = Vec::new();
        while i < events.len() && ends[i] <= end {
            assert!(
                ends[i] > start || (ends[i] == start && start == end),
                "event {i} starts before step at {start}"
            );
            step.push(events[i].clone());
            i += 1;
        }
        assert!(
            i == 0 || ends[i - 1] == end || step.is_empty(),
            "an event straddles the step ending at {end}"
        );
        out.push(step);
    }
    assert_eq!(i, events.len(), "events after the last step");
    out
}

fn line(s: &str) -> LineEvent {
    LineEvent::line(Bytes::copy_from_slice(s.as_bytes()))
}

fn raw(b: &[u8]) -> LineEvent {
    LineEvent::Raw(Bytes::copy_from_slice(b))
}

#[test]
fn memcached_server_replies_decode_to_60_lines_and_18_blocks() {
    let input = capture("memcached_text.s2c.bin");
    let (events, ends) = memcached_events(&input);
    let lines = events
        .iter()
        .filter(|e| matches!(e, LineEvent::Line { .. }))
        .count();
    let blocks = events
        .iter()
        .filter(|e| matches!(e, LineEvent::Raw(_)))
        .count();
    assert_eq!((lines, blocks), (60, 18));
    assert_eq!(
        *ends.last().unwrap(),
        input.len() as u64,
        "nothing left over"
    );

    let steps = steps();
    let per_step = by_step(&events, &ends, steps.iter().map(|s| s.s2c));
    let find = |label: &str| &per_step[steps.iter().position(|s| s.label == label).unwrap()];
    assert_eq!(
        find("get simple"),
        &[line("VALUE k1 0 5"), raw(b"hello\r\n"), line("END")]
    );
    let mut binary: Vec<u8> = (0..=255).collect();
    binary.extend_from_slice(b"\r\n");
    let multi = find("multi-get");
    assert!(multi.contains(&raw(&binary)));
    assert!(multi.contains(&raw(b"line1\r\nEND\r\nVALUE fake 0 3\r\nabc\r\n\r\n")));
    assert!(multi.contains(&raw(b"\r\n\r\n")));
    assert_eq!(multi.last(), Some(&line("END")));
    assert_eq!(find("quit"), &[] as &[LineEvent]);
    assert_eq!(
        find("value too large (-I 65536): 70000 bytes swallowed"),
        &[line("SERVER_ERROR object too large for cache"), line("END")]
    );
}

#[test]
fn memcached_client_commands_decode_step_by_step() {
    let input = capture("memcached_text.c2s.bin");
    let (events, ends) = memcached_events(&input);
    assert_eq!(
        *ends.last().unwrap(),
        input.len() as u64,
        "nothing left over"
    );
    let steps = steps();
    let per_step = by_step(&events, &ends, steps.iter().map(|s| s.c2s));
    let expected: &[(&str, Vec<LineEvent>)] = &[
        ("version", vec![line("version")]),
        ("set simple", vec![line("set k1 0 0 5"), raw(b"hello\r\n")]),
        (
            "set value with CRLFs",
            vec![line("set crlf 42 0 12"), raw(b"ab\r\ncd\r\nef\r\n\r\n")],
        ),
        (
            "set value that is exactly CRLF",
            vec![line("set justcrlf 0 0 2"), raw(b"\r\n\r\n")],
        ),
        (
            "set value ending in CR",
            vec![line("set endcr 0 0 3"), raw(b"ab\r\r\n")],
        ),
        (
            "set LF-only command line",
            vec![line("set lfonly 0 0 2"), raw(b"ok\r\n")],
        ),
        (
            "set empty value",
            vec![line("set empty 0 0 0"), raw(b"\r\n")],
        ),
        ("cas ok", vec![line("cas k1 7 0 3 1"), raw(b"new\r\n")]),
        (
            "noreply",
            vec![
                line("set nr 0 0 2 noreply"),
                raw(b"hi\r\n"),
                line("delete nr noreply"),
                line("get nr"),
            ],
        ),
        ("unknown command", vec![line("bogus command")]),
        // Declared 3, sent 4: the block is "abcd\r" and the stray "\n" an empty line.
        (
            "bad data chunk (declared 3, sent 4)",
            vec![
                line("set bad 0 0 3"),
                raw(b"abcd\r"),
                line(""),
                line("get bad"),
            ],
        ),
        ("quit", vec![line("quit")]),
    ];
    for (label, events) in expected {
        let at = steps.iter().position(|s| s.label == *label).unwrap();
        assert_eq!(&per_step[at], events, "step {label:?}");
    }
    let huge = &per_step[steps
        .iter()
        .position(|s| s.label.starts_with("value too large"))
        .unwrap()];
    assert!(matches!(&huge[1], LineEvent::Raw(b) if b.len() == 70_002 && b.ends_with(b"H\r\n")));
    assert_eq!(huge[2], line("get huge"));
    let pipelined = &per_step[steps
        .iter()
        .position(|s| s.label == "pipelined in one write")
        .unwrap()];
    assert_eq!(
        pipelined,
        &[
            line("set p1 0 0 1"),
            raw(b"A\r\n"),
            line("set p2 0 0 3"),
            raw(b"\r\n\r\r\n"),
            line("get p1 p2"),
            line("delete p1"),
            line("delete p1"),
        ]
    );
    // Every line is a memcached command.
    let commands = [
        "get", "gets", "set", "cas", "append", "prepend", "incr", "decr", "touch", "gat", "delete",
        "version", "quit", "bogus", "",
    ];
    for event in &events {
        if let LineEvent::Line { bytes, .. } = event {
            let word = bytes.split(|&b| b == b' ').next().unwrap();
            assert!(
                commands.iter().any(|c| c.as_bytes() == word),
                "{:?}",
                String::from_utf8_lossy(bytes)
            );
        }
    }
}

#[test]
fn every_capture_is_chunk_independent() {
    let now = Instant::now();
    for name in ["memcached_text.c2s.bin", "memcached_text.s2c.bin"] {
        let transcript = assert_chunk_independent(Memcached::new, &capture(name), true, now);
        assert!(transcript.events.len() > 50, "{name}");
    }
}

/// Feeds a capture to the machine that decodes it, cut at `cuts`.
fn replay(name: &str, input: &[u8], cuts: &[usize]) -> Transcript<LineEvent> {
    let now = Instant::now();
    if name.starts_with("memcached") {
        feed_cut(&mut Memcached::new(), input, cuts, true, now)
    } else if name.starts_with("erl_line_buffer64") {
        feed_cut(&mut LineConnection::new(erlang(64)), input, cuts, true, now)
    } else {
        feed_cut(
            &mut LineConnection::new(erlang(1460)),
            input,
            cuts,
            true,
            now,
        )
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn captures_at_random_cuts(
        which in 0..4usize,
        cuts in arb_cuts(71_295),
    ) {
        let name = ["erl_line_basic.c2s.bin", "erl_line_buffer64.c2s.bin", "memcached_text.c2s.bin", "memcached_text.s2c.bin"][which];
        let len = capture(name).len();
        let cuts: Vec<usize> = cuts.into_iter().map(|c| c % (len + 1)).collect();
        let input = capture(name);
        let whole = replay(name, &input, &[]);
        let cut = replay(name, &input, &cuts);
        prop_assert!(!whole.events.is_empty());
        assert_transcripts_equal(&whole, &cut, &format!("{name} cut at {cuts:?}"));
    }
}
