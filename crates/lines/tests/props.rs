//! Property tests of wirestate-lines: a differential test against
//! tokio-util's `LinesCodec`, and encode→decode round trips.

use std::time::Instant;

use bytes::{Bytes, BytesMut};
use proptest::prelude::*;
use tokio_util::codec::{Decoder, LinesCodec, LinesCodecError};
use wirestate_core::testing::{arb_cuts, feed_cut, pieces};
use wirestate_core::Machine;
use wirestate_lines::{Delimiter, LineConfig, LineConnection, LineEvent, Overflow};

/// What both decoders agree on: a line, or "an over-long line was skipped".
#[derive(Debug, PartialEq, Eq)]
enum Seen {
    Line(String),
    Oversize,
}

fn tokio_lines(input: &[u8], cuts: &[usize], max: usize) -> Vec<Seen> {
    let mut codec = LinesCodec::new_with_max_length(max);
    let mut buf = BytesMut::new();
    let mut seen = Vec::new();
    let record =
        |result: Result<Option<String>, LinesCodecError>, seen: &mut Vec<Seen>| match result {
            Ok(Some(line)) => {
                seen.push(Seen::Line(line));
                true
            }
            Ok(None) => false,
            Err(LinesCodecError::MaxLineLengthExceeded) => {
                seen.push(Seen::Oversize);
                true
            }
            Err(e) => panic!("tokio-util: {e}"),
        };
    for piece in pieces(input, cuts) {
        buf.extend_from_slice(piece);
        while record(codec.decode(&mut buf), &mut seen) {}
    }
    while record(codec.decode_eof(&mut buf), &mut seen) {}
    seen
}

fn our_lines(input: &[u8], cuts: &[usize], max: usize) -> Vec<Seen> {
    let config = LineConfig::default()
        .max_line(max)
        .unwrap()
        .overflow(Overflow::Discard);
    let transcript = feed_cut(
        &mut LineConnection::new(config),
        input,
        cuts,
        true,
        Instant::now(),
    );
    assert_eq!(transcript.error, None);
    transcript
        .events
        .into_iter()
        .map(|event| match event {
            LineEvent::Line {
                bytes,
                partial: false,
            } => Seen::Line(String::from_utf8(bytes.to_vec()).unwrap()),
            LineEvent::Oversize { .. } => Seen::Oversize,
            other => panic!("unexpected {other:?}"),
        })
        .collect()
}

/// Short ASCII inputs where CR, LF and long runs are common.
fn arb_text() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(
        prop_oneof![4 => Just(b'a'), 1 => Just(b'b'), 2 => Just(b'\r'), 2 => Just(b'\n')],
        0..200,
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// LF with CR stripped and `Discard` behave exactly like tokio-util's
    /// `LinesCodec` (whose length error becomes our `Oversize` event).
    #[test]
    fn same_lines_as_tokio_util(input in arb_text(), max in 1usize..24, cuts in arb_cuts(200)) {
        let expected = tokio_lines(&input, &[], max);
        prop_assert_eq!(&our_lines(&input, &[], max), &expected);
        prop_assert_eq!(&our_lines(&input, &cuts, max), &expected);
        prop_assert_eq!(&tokio_lines(&input, &cuts, max), &expected);
    }
}

fn delimiter(kind: u8) -> Delimiter {
    match kind {
        0 => Delimiter::lf(),
        1 => Delimiter::crlf(),
        2 => Delimiter::byte(0),
        3 => Delimiter::any_of(b"\n;,").unwrap(),
        4 => Delimiter::sequence(b"\r\n\r\n").unwrap(),
        _ => Delimiter::sequence(b"aba").unwrap(),
    }
}

/// Lines and raw blocks to send: `Ok(line)` or `Err(raw block)`.
fn arb_messages() -> impl Strategy<Value = Vec<Result<Vec<u8>, Vec<u8>>>> {
    let byte = prop_oneof![
        Just(b'a'),
        Just(b'b'),
        Just(b'\r'),
        Just(b'\n'),
        Just(0u8),
        Just(b';'),
        any::<u8>()
    ];
    let bytes = proptest::collection::vec(byte, 0..40);
    proptest::collection::vec(
        prop_oneof![3 => bytes.clone().prop_map(Ok), 1 => bytes.prop_map(Err)],
        0..20,
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Whatever the encoder accepts decodes back to itself, with raw blocks
    /// (announced by a `RAW <n>` line) in between, however the wire is cut.
    #[test]
    fn encode_then_decode(kind in 0u8..6, keep in any::<bool>(), messages in arb_messages(), cuts in arb_cuts(1000)) {
        let config = LineConfig::new(delimiter(kind)).keep_delimiter(keep);
        let now = Instant::now();
        let mut sender = LineConnection::new(config.clone());
        let mut sent = Vec::new();
        for message in messages {
            match message {
                Ok(line) => {
                    let accepted = sender.send_line(Bytes::from(line.clone())).is_ok();
                    // The encoder refuses exactly what would not read back.
                    let mut probe = LineConnection::new(config.clone().keep_delimiter(false));
                    probe.handle_input(&line, now);
                    probe.handle_input(config.delimiter().encoded(), now);
                    let reads_back = probe.poll_event() == Some(Ok(LineEvent::line(line.clone())));
                    prop_assert_eq!(accepted, reads_back, "line {:?}", line);
                    if accepted {
                        let mut expected = line;
                        if keep {
                            expected.extend_from_slice(config.delimiter().encoded());
                        }
                        sent.push(LineEvent::line(expected));
                    }
                }
                Err(block) => {
                    let header = format!("RAW {}", block.len());
                    sender.send_line(header.clone()).unwrap();
                    sender.send_raw(block.clone());
                    let mut header = header.into_bytes();
                    if keep {
                        header.extend_from_slice(config.delimiter().encoded());
                    }
                    sent.push(LineEvent::line(header));
                    sent.push(LineEvent::Raw(block.into()));
                }
            }
        }
        let wire: Vec<u8> = std::iter::from_fn(|| sender.poll_transmit()).flatten().collect();

        let mut receiver = LineConnection::new(config.clone());
        let mut received = Vec::new();
        for piece in pieces(&wire, &cuts) {
            receiver.handle_input(piece, now);
            while let Some(event) = receiver.poll_event() {
                let event = event.unwrap();
                if let LineEvent::Line { bytes, .. } = &event {
                    let text = String::from_utf8_lossy(bytes);
                    if let Some(len) = text.trim_end_matches(['\r', '\n', '\0', ';', ',', 'a', 'b']).strip_prefix("RAW ") {
                        receiver.expect_raw(len.parse().unwrap()).unwrap();
                    }
                }
                received.push(event);
            }
        }
        receiver.handle_eof(now);
        prop_assert_eq!(receiver.poll_event(), None, "nothing left over");
        prop_assert_eq!(received, sent);
    }
}
