//! Replays every recorded Erlang `gen_tcp` `{packet,N}` capture in
//! `tests/captures/length/` through `LengthConnection`, both directions, whole,
//! one byte at a time and at proptest-chosen cuts, and checks every frame
//! against the capture's `*.events.txt` ground truth.
//!
//! The ground truth is what the Erlang server's `gen_tcp:recv/2` returned:
//! `<conn> recv <len> <hex payload or ->`, or `sha256=<hex> head=<hex>` for
//! long payloads; `<conn> error <reason>`; `<conn> closed`. The server echoes
//! every frame with the same framing, so s2c holds the same frames; it never
//! echoes past an error, so s2c always ends cleanly. Only the first error
//! counts: Erlang's later `enotconn` lines are its own socket being gone.

use std::sync::OnceLock;
use std::time::Instant;

use proptest::prelude::*;
use sha2::{Digest, Sha256};
use wirestate_core::testing::capture::{self, Capture};
use wirestate_core::testing::{assert_chunk_independent, feed_cut, feed_sizes, Transcript};
use wirestate_length::{LengthConfig, LengthConnection, LengthError, LengthEvent};

/// One payload as the ground truth describes it.
#[derive(Debug, Clone)]
enum Expected {
    Exact(Vec<u8>),
    Digest {
        len: usize,
        sha256: String,
        head: Vec<u8>,
    },
}

/// One direction of one capture.
#[derive(Debug)]
struct Stream {
    name: String,
    framing: LengthConfig,
    bytes: Vec<u8>,
    frames: Vec<Expected>,
    /// The fatal error the machine must end with, if any.
    error: Option<LengthError>,
}

fn hex(text: &str) -> Vec<u8> {
    assert!(text.len().is_multiple_of(2), "odd hex length");
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("hex digit"))
        .collect()
}

/// The framing each capture was recorded with, from its name.
fn framing_for(name: &str) -> LengthConfig {
    let framing = if name.contains("packet1") {
        LengthConfig::erlang(1)
    } else if name.contains("packet2") {
        LengthConfig::erlang(2)
    } else if name.contains("packet4") {
        LengthConfig::erlang(4)
    } else {
        panic!("{name}: no {{packet,N}} in the name");
    };
    if name.contains("oversize") {
        // Recorded with `{packet_size, 1024}`: oversize is fatal there.
        framing.max_frame_length(1024)
    } else {
        framing
    }
}

/// Parses `NAME.events.txt` into the frames and the first error, if any.
fn parse_events(text: &str) -> (Vec<Expected>, Option<String>) {
    let mut frames = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let fields: Vec<&str> = line.split_whitespace().collect();
        match fields[1] {
            "recv" => {
                let len: usize = fields[2].parse().expect("recv length");
                let expected = match fields[3] {
                    "-" => Expected::Exact(Vec::new()),
                    digest if digest.starts_with("sha256=") => Expected::Digest {
                        len,
                        sha256: digest["sha256=".len()..].to_string(),
                        head: hex(fields[4].strip_prefix("head=").expect("head=")),
                    },
                    payload => Expected::Exact(hex(payload)),
                };
                if let Expected::Exact(bytes) = &expected {
                    assert_eq!(bytes.len(), len, "{line}");
                }
                frames.push(expected);
            }
            "error" => return (frames, Some(fields[2].to_string())),
            "closed" => return (frames, None),
            other => panic!("unknown event {other:?} in {line:?}"),
        }
    }
    panic!("events end without `closed` or `error`");
}

fn load() -> Vec<Stream> {
    let mut streams = Vec::new();
    for name in capture::names("length", ".events.txt") {
        let recorded = Capture::load("length", &name);
        let events = recorded.file_to_string("events.txt");
        let (frames, error) = parse_events(&events);
        let framing = framing_for(&name);
        let c2s = recorded.c2s;
        let c2s_error = error.map(|reason| {
            assert_eq!(reason, "emsgsize", "{name}: only emsgsize is expected");
            c2s_oversize_error(&c2s, &frames, &framing)
        });
        streams.push(Stream {
            name: format!("{name} c2s"),
            framing: framing.clone(),
            bytes: c2s,
            frames: frames.clone(),
            error: c2s_error,
        });
        streams.push(Stream {
            name: format!("{name} s2c"),
            framing,
            bytes: recorded.s2c,
            frames,
            error: None,
        });
    }
    streams
}

/// Erlang's `emsgsize` as our error: the header right after the last good
/// frame announces more than the limit.
fn c2s_oversize_error(c2s: &[u8], frames: &[Expected], framing: &LengthConfig) -> LengthError {
    let field_len = framing.field().fixed_width().unwrap();
    let offset: usize = frames
        .iter()
        .map(|frame| {
            field_len
                + match frame {
                    Expected::Exact(bytes) => bytes.len(),
                    Expected::Digest { len, .. } => *len,
                }
        })
        .sum();
    let mut field = [0u8; 8];
    field[8 - field_len..].copy_from_slice(&c2s[offset..offset + field_len]);
    LengthError::Oversize {
        len: u64::from_be_bytes(field),
        max: framing.frame_length_limit(),
        offset: offset as u64,
    }
}

fn streams() -> &'static [Stream] {
    static STREAMS: OnceLock<Vec<Stream>> = OnceLock::new();
    STREAMS.get_or_init(load)
}

/// Checks a transcript against the ground truth, frame by frame.
fn check(stream: &Stream, transcript: &Transcript<LengthEvent>, how: &str) {
    let name = &stream.name;
    assert_eq!(
        transcript.events.len(),
        stream.frames.len(),
        "{name} ({how}): frame count"
    );
    for (i, (event, expected)) in transcript.events.iter().zip(&stream.frames).enumerate() {
        let LengthEvent::Frame(frame) = event else {
            panic!("{name} ({how}): event {i} is {event:?}");
        };
        match expected {
            Expected::Exact(bytes) => {
                assert_eq!(&frame[..], &bytes[..], "{name} ({how}): frame {i}")
            }
            Expected::Digest { len, sha256, head } => {
                assert_eq!(frame.len(), *len, "{name} ({how}): frame {i} length");
                assert_eq!(
                    &frame[..head.len()],
                    &head[..],
                    "{name} ({how}): frame {i} head"
                );
                let digest: String = Sha256::digest(frame)
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect();
                assert_eq!(&digest, sha256, "{name} ({how}): frame {i} sha256");
            }
        }
    }
    assert_eq!(
        transcript.error,
        stream.error.as_ref().map(ToString::to_string),
        "{name} ({how}): error"
    );
    assert!(transcript.closed, "{name} ({how}): not closed at the end");
    assert!(
        transcript.transmitted.is_empty(),
        "{name} ({how}): sent bytes"
    );
}

#[test]
fn every_capture_is_found() {
    let names: Vec<&str> = streams().iter().map(|s| s.name.as_str()).collect();
    for expected in [
        "erl_packet2_basic c2s",
        "erl_packet2_basic s2c",
        "erl_packet2_oversize c2s",
        "erl_packet2_oversize s2c",
        "erl_packet4_basic c2s",
        "erl_packet4_basic s2c",
    ] {
        assert!(
            names.contains(&expected),
            "{expected} missing from {names:?}"
        );
    }
}

#[test]
fn whole_byte_by_byte_and_fixed_cuts() {
    let now = Instant::now();
    for stream in streams() {
        let make = || LengthConnection::new(stream.framing.clone());
        // Whole, one byte at a time and a few cuts, all equal...
        let whole = assert_chunk_independent(make, &stream.bytes, true, now);
        // ...and equal to the ground truth.
        check(stream, &whole, "whole");
    }
}

#[test]
fn in_socket_read_sized_pieces() {
    let now = Instant::now();
    for stream in streams() {
        for size in [2, 3, 1460, 4096, 65_536] {
            let sizes = vec![size; stream.bytes.len() / size + 1];
            let mut machine = LengthConnection::new(stream.framing.clone());
            let transcript = feed_sizes(&mut machine, &stream.bytes, &sizes, true, now);
            check(stream, &transcript, &format!("{size}-byte pieces"));
        }
    }
}

#[test]
fn oversize_capture_fails_like_erlang() {
    let stream = streams()
        .iter()
        .find(|s| s.name == "erl_packet2_oversize c2s")
        .unwrap();
    assert_eq!(
        stream.error,
        Some(LengthError::Oversize {
            len: 2000,
            max: 1024,
            offset: 4
        })
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn at_proptest_cuts(
        (index, cuts) in (0..streams().len()).prop_flat_map(|index| {
            (Just(index), wirestate_core::testing::arb_cuts(streams()[index].bytes.len()))
        })
    ) {
        let stream = &streams()[index];
        let mut machine = LengthConnection::new(stream.framing.clone());
        let transcript = feed_cut(&mut machine, &stream.bytes, &cuts, true, Instant::now());
        check(stream, &transcript, &format!("cuts {cuts:?}"));
    }
}
