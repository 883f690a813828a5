//! The memcached meta protocol on the line machine: a decoder that parses
//! every line into its typed form and reads the data blocks that `VA` and
//! `ms` announce, checked with table cases (whole, byte by byte, at cuts)
//! and on a recorded exchange with memcached 1.6.18 in meta mode.

use std::time::Instant;

use bytes::{Bytes, BytesMut};
use proptest::prelude::*;
use wirestate_core::testing::table::{case, run, Case};
use wirestate_core::testing::{
    arb_cuts, assert_chunk_independent, assert_transcripts_equal, feed_cut,
};
use wirestate_core::Machine;
use wirestate_lines::memcached::{self, MetaCommand, MetaError, MetaFlag, MetaFlags, MetaReply};
use wirestate_lines::{EofPolicy, LineCommand, LineConfig, LineConnection, LineError, LineEvent};

/// Which side's bytes are decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    /// What a client sends: commands (and data blocks after `ms`/`set`...).
    Client,
    /// What a server sends: answers (and data blocks after `VA`/`VALUE`).
    Server,
}

/// One decoded unit.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Meta {
    Command(MetaCommand),
    Reply(MetaReply),
    /// A meta line that breaks a rule; decoding goes on, as memcached does.
    Invalid(MetaError),
    /// Any other line (the classic protocol).
    Other(Bytes),
    /// A data block, with its `\r\n`.
    Block(Bytes),
}

/// A line machine that parses each line for `side` and reads the blocks
/// that lines announce, as a meta client or server does.
struct Decoder {
    lines: LineConnection,
    side: Side,
    failed: bool,
}

impl Decoder {
    fn new(side: Side) -> Self {
        Self::with_max_raw(side, 1 << 16)
    }

    fn with_max_raw(side: Side, max_raw: usize) -> Self {
        let config = LineConfig::default().eof(EofPolicy::Error).max_raw(max_raw);
        Decoder {
            lines: LineConnection::new(config),
            side,
            failed: false,
        }
    }

    fn parse(&self, line: Bytes) -> Meta {
        let parsed = match self.side {
            Side::Client => MetaCommand::parse(&line).map(|c| c.map(Meta::Command)),
            Side::Server => MetaReply::parse(&line).map(|r| r.map(Meta::Reply)),
        };
        match parsed {
            Ok(Some(meta)) => meta,
            Ok(None) => Meta::Other(line),
            Err(error) => Meta::Invalid(error),
        }
    }
}

impl Machine for Decoder {
    type Event = Meta;
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
    fn handle_command(&mut self, cmd: LineCommand, now: Instant) -> Result<(), LineError> {
        self.lines.handle_command(cmd, now)
    }
    fn poll_event(&mut self) -> Option<Result<Meta, LineError>> {
        if self.failed {
            return None;
        }
        let event = match self.lines.poll_event()? {
            Ok(LineEvent::Line { bytes, .. }) => {
                if let Some(len) = memcached::data_len(&bytes) {
                    if let Err(error) = self.lines.expect_raw(len) {
                        self.failed = true;
                        return Some(Err(error.into()));
                    }
                }
                Ok(self.parse(bytes))
            }
            Ok(LineEvent::Raw(block)) => Ok(Meta::Block(block)),
            Ok(LineEvent::Oversize { .. }) => unreachable!("the default overflow policy fails"),
            Err(error) => Err(error),
        };
        Some(event)
    }
    fn poll_transmit(&mut self) -> Option<Bytes> {
        self.lines.poll_transmit()
    }
    fn wants_read(&self) -> bool {
        !self.failed && self.lines.wants_read()
    }
    fn is_closed(&self) -> bool {
        self.failed || self.lines.is_closed()
    }
}

fn flags(list: &[&'static str]) -> MetaFlags {
    list.iter()
        .map(|f| MetaFlag::with_token(f.as_bytes()[0], &f.as_bytes()[1..]))
        .collect()
}

fn reply(line: &'static str) -> Meta {
    Meta::Reply(MetaReply::parse(&line.into()).unwrap().unwrap())
}

fn command(line: &'static str) -> Meta {
    Meta::Command(MetaCommand::parse(&line.into()).unwrap().unwrap())
}

fn block(bytes: &'static [u8]) -> Meta {
    Meta::Block(Bytes::from_static(bytes))
}

fn other(line: &'static str) -> Meta {
    Meta::Other(line.into())
}

fn server_cases() -> Vec<Case<Side, Meta>> {
    let s = Side::Server;
    let value = |size, list: &[&'static str]| {
        Meta::Reply(MetaReply::Value {
            size,
            flags: flags(list),
        })
    };
    vec![
        case(
            "VA and its block",
            s,
            "VA 5 f1 s5\r\nhello\r\nHD\r\n",
            vec![value(5, &["f1", "s5"]), block(b"hello\r\n"), reply("HD")],
        ),
        case(
            "a block that looks like answers",
            s,
            "VA 9\r\nEN\r\nMN\r\nx\r\nMN\r\n",
            vec![value(9, &[]), block(b"EN\r\nMN\r\nx\r\n"), reply("MN")],
        ),
        case(
            "empty value",
            s,
            "VA 0 t-1\r\n\r\nEN\r\n",
            vec![
                value(0, &["t-1"]),
                block(b"\r\n"),
                Meta::Reply(MetaReply::Miss(MetaFlags::new())),
            ],
        ),
        case(
            "quiet pipeline ends at MN",
            s,
            "VA 1 Oa kx\r\nz\r\nEN Ob\r\nNF Oc\r\nMN\r\n",
            vec![
                value(1, &["Oa", "kx"]),
                block(b"z\r\n"),
                reply("EN Ob"),
                reply("NF Oc"),
                reply("MN"),
            ],
        ),
        case(
            "binary value",
            s,
            [&b"VA 4 b kAAE=\r\n"[..], b"\x00\xff\r\n\r\n"].concat(),
            vec![value(4, &["b", "kAAE="]), block(b"\x00\xff\r\n\r\n")],
        ),
        case(
            "classic and meta answers mixed",
            s,
            "VALUE k 0 2\r\nhi\r\nEND\r\nHD c9\r\nSTORED\r\n",
            vec![
                other("VALUE k 0 2"),
                block(b"hi\r\n"),
                other("END"),
                reply("HD c9"),
                other("STORED"),
            ],
        ),
        case(
            "error lines",
            s,
            "ERROR\r\nCLIENT_ERROR bad data chunk\r\nSERVER_ERROR out of memory\r\n",
            vec![
                reply("ERROR"),
                reply("CLIENT_ERROR bad data chunk"),
                reply("SERVER_ERROR out of memory"),
            ],
        ),
        case(
            "ME",
            s,
            "ME foo exp=-1 la=0\r\n",
            vec![reply("ME foo exp=-1 la=0")],
        ),
        case(
            "LF line ends",
            s,
            "VA 2 f0\nhi\r\nNS\n",
            vec![value(2, &["f0"]), block(b"hi\r\n"), reply("NS")],
        ),
        case(
            "a VA without a size announces nothing",
            s,
            "VA x\r\nEX\r\n",
            vec![Meta::Invalid(MetaError::BadDataLength), reply("EX")],
        ),
        case(
            "an invalid flag",
            s,
            "HD 7\r\n",
            vec![Meta::Invalid(MetaError::InvalidFlag { flag: '7' })],
        ),
        case("a block cut by EOF", s, "VA 5\r\nhel", vec![value(5, &[])])
            .at_eof()
            .fails("stream ended inside a raw block: 3 of 7 bytes arrived"),
        case("a VA over the block limit", s, "VA 70000\r\n", vec![])
            .fails("raw block of 70002 bytes is over the 65536-byte limit"),
    ]
}

fn client_cases() -> Vec<Case<Side, Meta>> {
    let c = Side::Client;
    vec![
        case(
            "ms and its block, then mg",
            c,
            "ms k 3 T0 F5\r\na\r\n\r\nmg k v f s c k t\r\n",
            vec![
                command("ms k 3 T0 F5"),
                block(b"a\r\n\r\n"),
                command("mg k v f s c k t"),
            ],
        ),
        case(
            "base64 key",
            c,
            "ms AAE= 1 b\r\n\x00\r\nmg AAE= b k v\r\n",
            vec![
                command("ms AAE= 1 b"),
                block(b"\x00\r\n"),
                command("mg AAE= b k v"),
            ],
        ),
        case(
            "an invalid data length announces no block",
            c,
            "ms k abc\r\nhello\r\nmn\r\n",
            vec![
                Meta::Invalid(MetaError::BadDataLength),
                other("hello"),
                command("mn"),
            ],
        ),
        case(
            "an invalid flag after a valid length: the block is still read",
            c,
            "ms k 5 !\r\nhello\r\nmn\r\n",
            vec![
                Meta::Invalid(MetaError::InvalidFlag { flag: '!' }),
                block(b"hello\r\n"),
                command("mn"),
            ],
        ),
        case(
            "quiet pipeline",
            c,
            "md a q\r\nma n N0 J10 MD D3 v q\r\nmg b v q Ox\r\nmn\r\n",
            vec![
                command("md a q"),
                command("ma n N0 J10 MD D3 v q"),
                command("mg b v q Ox"),
                command("mn"),
            ],
        ),
        case(
            "classic commands mixed",
            c,
            "get k\r\nset k 0 0 1 noreply\r\nx\r\nme k\r\n",
            vec![
                other("get k"),
                other("set k 0 0 1 noreply"),
                block(b"x\r\n"),
                command("me k"),
            ],
        ),
        case(
            "a duplicate flag",
            c,
            "mg k v v\r\n",
            vec![Meta::Invalid(MetaError::DuplicateFlag { flag: 'v' })],
        ),
        case(
            "no key",
            c,
            "mg\r\n",
            vec![Meta::Invalid(MetaError::MissingKey)],
        ),
        case("a line cut by EOF", c, "mg k v", vec![])
            .at_eof()
            .fails("stream ended inside a line (6 bytes without a delimiter)"),
    ]
}

#[test]
fn server_answers_table() {
    run(server_cases(), |&side| Decoder::new(side));
}

#[test]
fn client_commands_table() {
    run(client_cases(), |&side| Decoder::new(side));
}

// ---- the recorded exchange (tests/captures/lines/memcached_meta.*) ----

fn capture(name: &str) -> Vec<u8> {
    wirestate_core::testing::capture::read(&format!("lines/{name}"))
}

fn decode(side: Side, input: &[u8]) -> Vec<Meta> {
    let transcript = feed_cut(&mut Decoder::new(side), input, &[], true, Instant::now());
    assert_eq!(transcript.error, None);
    transcript.events
}

fn count(events: &[Meta]) -> (usize, usize) {
    let blocks = events
        .iter()
        .filter(|e| matches!(e, Meta::Block(_)))
        .count();
    (events.len() - blocks, blocks)
}

#[test]
fn recorded_answers_decode_to_13_lines_and_3_blocks() {
    let input = capture("memcached_meta.s2c.bin");
    // Lines alone, as before the meta protocol was known: the blocks read as lines.
    let lines_only = feed_cut(
        &mut LineConnection::new(LineConfig::default().eof(EofPolicy::Error)),
        &input,
        &[],
        true,
        Instant::now(),
    );
    assert_eq!(lines_only.events.len(), 17);
    let events = decode(Side::Server, &input);
    assert_eq!(count(&events), (13, 3));
    let expected = vec![
        reply("HD"),
        reply("VA 5 f5 s5 c1 kfoo t-1"),
        block(b"hello\r\n"),
        reply("HD"),
        reply("VA 4 kZm9vYg== b"),
        block(b"a\r\nb\r\n"),
        reply("CLIENT_ERROR bad command line format"),
        reply("ERROR"),
        reply("NF"),
        reply("MN"),
        reply("VA 2"),
        block(b"10\r\n"),
        reply("EN Ocd"),
        reply("MN"),
        reply("MN"),
        reply("EN"),
    ];
    assert_eq!(events, expected);
    let Meta::Reply(MetaReply::Value { flags, .. }) = &events[4] else {
        panic!()
    };
    assert!(flags.base64());
    assert_eq!(flags.token(b'k').unwrap(), "Zm9vYg==");
}

#[test]
fn recorded_commands_decode_with_their_blocks() {
    let events = decode(Side::Client, &capture("memcached_meta.c2s.bin"));
    assert_eq!(count(&events), (16, 3));
    assert_eq!(events[0], command("ms foo 5 T0 F5"));
    assert_eq!(events[1], block(b"hello\r\n"));
    assert_eq!(events[4], block(b"a\r\nb\r\n"));
    // memcached read "hello" after the bad length as a command (ERROR).
    assert_eq!(
        events[6..8],
        [Meta::Invalid(MetaError::BadDataLength), other("hello")]
    );
    assert_eq!(events[events.len() - 3], block(b"\r\n"));
    assert_eq!(events.last(), Some(&command("me foo")));
}

#[test]
fn recorded_steps_cover_both_directions() {
    let steps = String::from_utf8(capture("memcached_meta.steps.tsv")).unwrap();
    let (mut c2s, mut s2c) = (0, 0);
    for row in steps.lines().skip(1) {
        let f: Vec<usize> = row
            .split('\t')
            .skip(1)
            .map(|n| n.parse().unwrap())
            .collect();
        assert_eq!((f[0], f[2]), (c2s, s2c), "{row}");
        c2s += f[1];
        s2c += f[3];
    }
    assert_eq!(c2s, capture("memcached_meta.c2s.bin").len());
    assert_eq!(s2c, capture("memcached_meta.s2c.bin").len());
}

#[test]
fn recorded_exchange_is_chunk_independent() {
    let now = Instant::now();
    for (side, name) in [
        (Side::Client, "memcached_meta.c2s.bin"),
        (Side::Server, "memcached_meta.s2c.bin"),
    ] {
        let transcript = assert_chunk_independent(|| Decoder::new(side), &capture(name), true, now);
        assert_eq!(transcript.error, None, "{name}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn recorded_exchange_at_random_cuts(server in any::<bool>(), cuts in arb_cuts(256)) {
        let (side, name) = if server {
            (Side::Server, "memcached_meta.s2c.bin")
        } else {
            (Side::Client, "memcached_meta.c2s.bin")
        };
        let input = capture(name);
        let cuts: Vec<usize> = cuts.into_iter().map(|c| c % (input.len() + 1)).collect();
        let now = Instant::now();
        let whole = feed_cut(&mut Decoder::new(side), &input, &[], true, now);
        let cut = feed_cut(&mut Decoder::new(side), &input, &cuts, true, now);
        assert_transcripts_equal(&whole, &cut, &format!("{name} cut at {cuts:?}"));
    }

    /// Any line: the parsers do not panic, and what they accept encodes
    /// back to a line that parses to the same thing.
    #[test]
    fn any_line_parses_without_panic(
        code in prop::sample::select(vec!["mg", "ms", "md", "ma", "me", "mn", "VA", "HD", "EN", "NF", "NS", "EX", "ME", "MN", "CLIENT_ERROR", "get", ""]),
        rest in proptest::collection::vec(prop_oneof![Just(b' '), any::<u8>().prop_filter("no line end", |b| *b != b'\r' && *b != b'\n')], 0..40),
    ) {
        let line = Bytes::from([code.as_bytes(), &rest].concat());
        if let Ok(Some(command)) = MetaCommand::parse(&line) {
            let encoded = command.to_line().unwrap();
            prop_assert_eq!(MetaCommand::parse(&encoded), Ok(Some(command)));
        }
        if let Ok(Some(reply)) = MetaReply::parse(&line) {
            // An `ME` key is printed by the server as it likes; the encoder
            // is stricter.
            if let Ok(encoded) = reply.to_line() {
                prop_assert_eq!(MetaReply::parse(&encoded), Ok(Some(reply)));
            } else {
                prop_assert!(matches!(reply, MetaReply::Debug { .. }), "{:?}", reply);
            }
        }
    }

    /// Any command the encoder accepts parses back to itself.
    #[test]
    fn encoded_commands_parse_back(
        key in "[!-~]{1,250}",
        data_len in 0usize..1 << 20,
        flag_list in proptest::collection::vec(("[a-zA-Z]", "[!-~]{0,8}"), 0..8),
        which in 0..5usize,
    ) {
        let mut seen = Vec::new();
        let flags: MetaFlags = flag_list
            .into_iter()
            .filter(|(f, _)| f != "b" && !seen.contains(f) && { seen.push(f.clone()); true })
            .map(|(f, t)| {
                let t = if f == "O" { t.chars().take(memcached::MAX_OPAQUE_LEN).collect() } else { t };
                MetaFlag::with_token(f.as_bytes()[0], t)
            })
            .collect();
        let key = Bytes::from(key);
        let command = match which {
            0 => MetaCommand::Get { key, flags },
            1 => MetaCommand::Set { key, data_len, flags },
            2 => MetaCommand::Delete { key, flags },
            3 => MetaCommand::Arithmetic { key, flags },
            _ => MetaCommand::Debug { key, flags },
        };
        let line = command.to_line().unwrap();
        prop_assert_eq!(MetaCommand::parse(&line), Ok(Some(command)));
    }
}

#[test]
fn a_tiny_block_limit_refuses_the_recorded_value() {
    let transcript = feed_cut(
        &mut Decoder::with_max_raw(Side::Server, 4),
        &capture("memcached_meta.s2c.bin"),
        &[],
        true,
        Instant::now(),
    );
    assert_eq!(transcript.events.len(), 1);
    assert_eq!(
        transcript.error.as_deref(),
        Some("raw block of 7 bytes is over the 4-byte limit")
    );
}
