use std::time::Instant;

use wirestate_core::{Machine, SeededRandom};

use super::*;

/// A simple handshake (C0, zero C1, zero C2) followed by `chunks`.
fn after_handshake(chunks: &[u8]) -> Vec<u8> {
    let mut input = vec![3u8];
    input.resize(1 + 2 * 1536, 0);
    input.extend_from_slice(chunks);
    input
}

/// Feeds `input` in pieces of `step` bytes, polling after each; returns
/// the transmitted bytes after the handshake answer and the error text.
fn run(input: &[u8], step: usize) -> (Vec<u8>, Option<String>) {
    let now = Instant::now();
    let mut machine = RtmpConnection::server(SeededRandom::new(0));
    let (mut sent, mut error) = (Vec::new(), None);
    for piece in input.chunks(step) {
        machine.handle_input(piece, now);
        while let Some(event) = machine.poll_event() {
            if let Err(e) = event {
                error = Some(e.to_string());
            }
        }
        while let Some(bytes) = machine.poll_transmit() {
            sent.extend_from_slice(&bytes);
        }
    }
    (sent.split_off(1 + 2 * 1536), error)
}

/// Issue 18's reproducer: WindowAckSize 1 (raised to 1024), an unfinished
/// 2000-byte video message (1024 payload bytes in 8 chunks), then a chunk
/// header announcing a message over the length limit. Whole or byte by
/// byte, the bytes consumed before the error are acknowledged.
#[test]
fn acknowledgements_do_not_depend_on_how_input_is_cut_when_an_error_follows() {
    let mut chunks = Vec::new();
    // csid 2, WindowAckSize(1).
    chunks.extend_from_slice(b"\x02\x00\x00\x00\x00\x00\x04\x05\x00\x00\x00\x00\x00\x00\x00\x01");
    // csid 4, video of 2000 bytes on stream 1: the first 128-byte chunk ...
    chunks.extend_from_slice(b"\x04\x00\x00\x00\x00\x07\xd0\x09\x01\x00\x00\x00");
    chunks.extend_from_slice(&[0; 128]);
    // ... and seven type-3 continuations.
    for _ in 0..7 {
        chunks.push(0xc4);
        chunks.extend_from_slice(&[0; 128]);
    }
    // csid 5, a message of 0xffffff bytes: over the 8 MiB limit.
    chunks.extend_from_slice(b"\x05\x00\x00\x00\xff\xff\xff\x09\x01\x00\x00\x00");
    let input = after_handshake(&chunks);

    let whole = run(&input, input.len());
    let bytewise = run(&input, 1);
    assert!(
        whole.1.as_deref().unwrap().contains("chunk stream"),
        "{whole:?}"
    );
    assert_eq!(whole, bytewise);
    // One acknowledgement: basic header, 11-byte message header, sequence
    // number 1024 (the window boundary the decoder passed).
    assert_eq!(whole.0.len(), 16, "{:02x?}", whole.0);
    assert_eq!(&whole.0[12..], &1024u32.to_be_bytes());
}

#[test]
fn buffered_counts_undecoded_input_and_partial_messages() {
    let now = Instant::now();
    let mut machine = RtmpConnection::server(SeededRandom::new(0));
    machine.handle_input(&after_handshake(&[]), now);
    assert_eq!(
        machine.poll_event().unwrap().unwrap(),
        RtmpEvent::HandshakeComplete
    );
    assert!(machine.poll_event().is_none());
    assert_eq!(machine.buffered(), 0);
    // Header of a 200-byte message and its first 128-byte chunk.
    let mut chunk = b"\x04\x00\x00\x00\x00\x00\xc8\x09\x01\x00\x00\x00".to_vec();
    chunk.extend_from_slice(&[7; 128]);
    chunk.extend_from_slice(b"\xc4\x07");
    machine.handle_input(&chunk, now);
    assert!(machine.poll_event().is_none());
    // The payload bytes of the unfinished message (headers are consumed).
    assert_eq!(machine.buffered(), 128 + 1);
    assert_eq!(machine.input_high_water(), crate::DEFAULT_INPUT_HIGH_WATER);
    machine.set_input_high_water(10);
    assert_eq!(machine.input_high_water(), 10);
}
