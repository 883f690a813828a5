#![cfg(feature = "peer-tests")]
//! Differential test against the real Erlang VM: `erlang:decode_packet/3`
//! (run by tests/peers/decode_packet.escript, installed with Erlang by
//! scripts/peers/install-erlang.sh) and `LengthConnection` with
//! `LengthConfig::erlang_packet` decode the same proptest-generated streams
//! and must give the same packets and the same verdict at the end (`more`,
//! or `error`).
//!
//! Streams per type: 0 to 5 valid packets of every shape the type has (asn1
//! long tags and long-form lengths, cdr byte orders, sunrm last-fragment
//! bits, fcgi padding, tpkt reserved bytes), then nothing, a truncated
//! packet, a hostile header (invalid, or announcing huge lengths) or junk;
//! `{packet_size, N}` left out or set around the packets' body lengths. The
//! VM decodes each stream whole; wirestate whole, at two sets of random cuts
//! and, below 256 bytes, byte by byte (for `raw`, whose packets follow the
//! reads, the packets joined must equal the stream's).
//!
//! All cases of a type go to one VM run, with fresh random streams each
//! time. `WIRESTATE_DIFF_CASES` sets the
//! cases per type (default 3000); the test prints how many ran.
//!
//! Run: `scripts/peer-tests.sh`, or
//! `cargo test -p wirestate-length --features peer-tests --test peer_decode_packet`.

use std::io::Read;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::mpsc::channel;
use std::time::{Duration, Instant};

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;
use wirestate_core::testing::{arb_cuts, feed_cut};
use wirestate_length::{ErlangPacket, LengthConfig, LengthConnection, LengthEvent};

/// Bounds the VM run: a hung VM fails the test, never hangs it.
const GUARD: Duration = Duration::from_secs(120);

/// Bytes, and how many of them follow the header (what `packet_size` limits).
type Piece = (Vec<u8>, usize);

fn bytes(len: std::ops::Range<usize>) -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(any::<u8>(), len)
}

/// A body: mostly short, sometimes past the one-byte lengths.
fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![4 => bytes(0..24), 1 => bytes(100..300)]
}

fn asn1_tag() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        any::<u8>().prop_map(|tag| vec![tag]),
        (
            any::<u8>(),
            prop::collection::vec(0x80u8..=0xff, 0..4),
            0u8..0x80
        )
            .prop_map(|(first, more, last)| [&[first | 0x1f][..], &more, &[last]].concat()),
    ]
}

fn asn1_packet() -> impl Strategy<Value = Piece> {
    (asn1_tag(), body(), 0usize..6).prop_map(|(tag, mut content, form)| {
        let len = content.len();
        let needed = (usize::BITS - len.leading_zeros()).div_ceil(8) as usize;
        let length = match form {
            0 if len < 0x80 => vec![len as u8],
            1 => {
                content.clear();
                vec![0x80]
            }
            _ => {
                let count = (form.max(2) - 1).clamp(needed.max(1), 4);
                let value = (len as u32).to_be_bytes();
                [&[0x80 | count as u8][..], &value[4 - count..]].concat()
            }
        };
        let len = content.len();
        ([tag, length, content].concat(), len)
    })
}

fn cdr_packet() -> impl Strategy<Value = Piece> {
    (bytes(2..3), any::<u8>(), any::<u8>(), body()).prop_map(|(version, flags, kind, body)| {
        let size = body.len() as u32;
        let size = if flags & 1 == 1 {
            size.to_le_bytes()
        } else {
            size.to_be_bytes()
        };
        let len = body.len();
        let header = [&b"GIOP"[..], &version, &[flags, kind], &size].concat();
        ([header, body].concat(), len)
    })
}

fn sunrm_packet() -> impl Strategy<Value = Piece> {
    (any::<bool>(), body()).prop_map(|(last, fragment)| {
        let mark = fragment.len() as u32 | if last { 0x8000_0000 } else { 0 };
        let len = fragment.len();
        ([&mark.to_be_bytes()[..], &fragment].concat(), len)
    })
}

fn fcgi_packet() -> impl Strategy<Value = Piece> {
    (bytes(3..4), body(), bytes(0..12), any::<u8>()).prop_map(
        |(kind_id, content, padding, reserved)| {
            let len = (content.len() as u16).to_be_bytes();
            let header = [&[1][..], &kind_id, &len, &[padding.len() as u8, reserved]].concat();
            let body = content.len() + padding.len();
            ([header, content, padding].concat(), body)
        },
    )
}

fn tpkt_packet() -> impl Strategy<Value = Piece> {
    (any::<u8>(), body()).prop_map(|(reserved, body)| {
        let length = (body.len() as u16 + 4).to_be_bytes();
        let len = body.len();
        ([&[3, reserved][..], &length, &body].concat(), len)
    })
}

fn raw_packet() -> impl Strategy<Value = Piece> {
    body().prop_map(|bytes| {
        let len = bytes.len();
        (bytes, len)
    })
}

fn packet(packet: ErlangPacket) -> BoxedStrategy<Piece> {
    match packet {
        ErlangPacket::Asn1 => asn1_packet().boxed(),
        ErlangPacket::Cdr => cdr_packet().boxed(),
        ErlangPacket::Sunrm => sunrm_packet().boxed(),
        ErlangPacket::Fcgi => fcgi_packet().boxed(),
        ErlangPacket::Tpkt => tpkt_packet().boxed(),
        ErlangPacket::Raw => raw_packet().boxed(),
    }
}

/// A length near the i32 bound or anywhere, big endian.
fn huge() -> impl Strategy<Value = [u8; 4]> {
    prop_oneof![
        (0x7fff_ffe0u32..=0x8000_0010).prop_map(u32::to_be_bytes),
        any::<u32>().prop_map(u32::to_be_bytes),
    ]
}

/// Headers a peer should not send: invalid ones, and ones announcing lengths
/// no test sends (over the limit, past i32, or just truncated).
fn hostile(packet: ErlangPacket) -> BoxedStrategy<Vec<u8>> {
    match packet {
        ErlangPacket::Asn1 => prop_oneof![
            (asn1_tag(), 0x85u8..=0xff, bytes(0..130)).prop_map(|(tag, form, rest)| [
                tag,
                vec![form],
                rest
            ]
            .concat()),
            (asn1_tag(), huge()).prop_map(|(tag, len)| [&tag[..], &[0x84], &len].concat()),
        ]
        .boxed(),
        ErlangPacket::Cdr => prop_oneof![
            bytes(12..13),
            (bytes(4..5), huge(), any::<bool>()).prop_map(|(middle, mut len, little)| {
                if little {
                    len.reverse();
                }
                let flags = u8::from(little);
                [&b"GIOP"[..], &middle[..2], &[flags], &middle[3..], &len].concat()
            }),
        ]
        .boxed(),
        ErlangPacket::Sunrm => prop_oneof![huge().prop_map(Vec::from), bytes(4..5)].boxed(),
        ErlangPacket::Fcgi => prop_oneof![
            bytes(8..9),
            bytes(7..8).prop_map(|rest| [&[1][..], &rest].concat()),
        ]
        .boxed(),
        ErlangPacket::Tpkt => prop_oneof![
            bytes(4..5),
            (any::<u8>(), 0u8..5).prop_map(|(reserved, len)| vec![3, reserved, 0, len]),
            (any::<u8>(), any::<u16>()).prop_map(|(reserved, len)| [
                &[3, reserved][..],
                &len.to_be_bytes()
            ]
            .concat()),
        ]
        .boxed(),
        ErlangPacket::Raw => bytes(0..8).boxed(),
    }
}

/// What follows the valid packets.
fn tail(kind: ErlangPacket) -> BoxedStrategy<Vec<u8>> {
    prop_oneof![
        2 => Just(Vec::new()),
        2 => (packet(kind), any::<prop::sample::Index>()).prop_map(|((bytes, _), at)| {
            bytes[..at.index(bytes.len().max(1))].to_vec()
        }),
        3 => hostile(kind),
        1 => bytes(1..40),
    ]
    .boxed()
}

/// One case: the stream, the packet_size (0: none) and two sets of cuts.
#[derive(Debug, Clone)]
struct Case {
    stream: Vec<u8>,
    packet_size: usize,
    cuts: [Vec<usize>; 2],
}

fn case(kind: ErlangPacket) -> impl Strategy<Value = Case> {
    (prop::collection::vec(packet(kind), 0..6), tail(kind))
        .prop_flat_map(|(packets, tail)| {
            let bodies: Vec<usize> = packets.iter().map(|(_, body)| *body).collect();
            let mut stream: Vec<u8> = packets.into_iter().flat_map(|(bytes, _)| bytes).collect();
            stream.extend(tail);
            let near = if bodies.is_empty() {
                (0usize..1).boxed()
            } else {
                (prop::sample::select(bodies), 0usize..2)
                    .prop_map(|(body, less)| body.saturating_sub(less).max(1))
                    .boxed()
            };
            let packet_size = prop_oneof![2 => Just(0), 2 => near, 1 => 1usize..400];
            let len = stream.len();
            (Just(stream), packet_size, arb_cuts(len), arb_cuts(len))
        })
        .prop_map(|(stream, packet_size, a, b)| Case {
            stream,
            packet_size,
            cuts: [a, b],
        })
}

/// Packets and verdict, as the escript prints them.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Outcome {
    packets: Vec<Vec<u8>>,
    verdict: &'static str,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

fn unhex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("hex from the escript"))
        .collect()
}

/// Runs the escript on every case of `kind`, in one VM.
fn erlang(kind: ErlangPacket, cases: &[Case]) -> Vec<Outcome> {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let input = dir.join(format!("decode_packet_{kind}_{}.txt", std::process::id()));
    let mut text = String::new();
    for case in cases {
        text += &format!("{kind} {} {}\n", case.packet_size, hex(&case.stream));
    }
    std::fs::write(&input, text).unwrap();
    let script =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/peers/decode_packet.escript");
    let mut child = Command::new("escript")
        .arg(&script)
        .arg(&input)
        .stdout(Stdio::piped())
        .spawn()
        .expect("escript (scripts/peers/install-erlang.sh installs it)");
    let mut stdout = child.stdout.take().unwrap();
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        let mut out = String::new();
        let read = stdout.read_to_string(&mut out);
        let _ = tx.send(read.map(|_| out));
    });
    let Ok(out) = rx.recv_timeout(GUARD) else {
        // Our own child, by its PID.
        let _ = child.kill();
        panic!("the Erlang VM did not finish {kind} within {GUARD:?}");
    };
    let status = child.wait().unwrap();
    assert!(status.success(), "escript failed: {status}");
    std::fs::remove_file(&input).unwrap();
    let out = out.unwrap();
    let mut lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.pop(), Some("DONE"), "the escript finished");
    assert_eq!(lines.len(), cases.len(), "one line per case");
    lines.iter().map(|line| parse_line(line)).collect()
}

fn parse_line(line: &str) -> Outcome {
    let mut fields = line.split(' ');
    let verdict = match fields.next() {
        Some("more") => "more",
        Some("error") => "error",
        other => panic!("unexpected escript line {other:?}"),
    };
    Outcome {
        packets: fields.map(unhex).collect(),
        verdict,
    }
}

/// wirestate's outcome for `case` fed at `cuts`.
fn wirestate(kind: ErlangPacket, case: &Case, cuts: &[usize]) -> Outcome {
    let max = match case.packet_size {
        0 => i32::MAX as usize,
        n => n,
    };
    let mut machine =
        LengthConnection::new(LengthConfig::erlang_packet(kind).max_frame_length(max));
    let transcript = feed_cut(&mut machine, &case.stream, cuts, false, Instant::now());
    let packets = transcript
        .events
        .into_iter()
        .map(|event| match event {
            LengthEvent::Frame(frame) => frame.to_vec(),
            other => panic!("unexpected {other:?}"),
        })
        .collect();
    let verdict = if transcript.error.is_some() {
        "error"
    } else {
        "more"
    };
    Outcome { packets, verdict }
}

/// For `raw`, whose packets follow the reads: the packets joined.
fn joined(outcome: Outcome) -> Outcome {
    Outcome {
        packets: vec![outcome.packets.concat()],
        verdict: outcome.verdict,
    }
}

fn differential(kind: ErlangPacket) {
    let count: usize = std::env::var("WIRESTATE_DIFF_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(3000);
    // A fresh seed each run (a failure prints the whole stream).
    let mut runner = TestRunner::default();
    let strategy = case(kind);
    let cases: Vec<Case> = (0..count)
        .map(|_| strategy.new_tree(&mut runner).unwrap().current())
        .collect();
    let expected = erlang(kind, &cases);
    let (mut errors, mut packets) = (0, 0);
    for (case, erlang) in cases.iter().zip(expected) {
        let what = |how: &str| {
            format!(
                "{kind}, packet_size {}, fed {how}: stream {}",
                case.packet_size,
                hex(&case.stream)
            )
        };
        let whole = wirestate(kind, case, &[]);
        assert_eq!(whole, erlang, "{}", what("whole"));
        errors += usize::from(erlang.verdict == "error");
        packets += erlang.packets.len();
        let bytewise: Vec<usize> = (1..case.stream.len()).collect();
        let mut cut_sets = vec![&case.cuts[0], &case.cuts[1]];
        if case.stream.len() < 256 {
            cut_sets.push(&bytewise);
        }
        for cuts in cut_sets {
            let cut = wirestate(kind, case, cuts);
            if kind == ErlangPacket::Raw {
                assert_eq!(joined(cut), joined(erlang.clone()), "{}", what("in pieces"));
            } else {
                assert_eq!(cut, erlang, "{}", what(&format!("at {cuts:?}")));
            }
        }
    }
    println!(
        "{kind}: {count} differential cases agree ({packets} packets, {errors} ending in error)"
    );
    assert!(
        errors > 0 || kind == ErlangPacket::Raw,
        "{kind}: no error case"
    );
    let least = if kind == ErlangPacket::Raw {
        count / 2
    } else {
        count
    };
    assert!(packets > least, "{kind}: too few packets");
}

#[test]
fn asn1_agrees_with_decode_packet() {
    differential(ErlangPacket::Asn1);
}

#[test]
fn cdr_agrees_with_decode_packet() {
    differential(ErlangPacket::Cdr);
}

#[test]
fn sunrm_agrees_with_decode_packet() {
    differential(ErlangPacket::Sunrm);
}

#[test]
fn fcgi_agrees_with_decode_packet() {
    differential(ErlangPacket::Fcgi);
}

#[test]
fn tpkt_agrees_with_decode_packet() {
    differential(ErlangPacket::Tpkt);
}

#[test]
fn raw_agrees_with_decode_packet() {
    differential(ErlangPacket::Raw);
}
