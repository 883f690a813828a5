use std::time::Instant;

use wirestate_core::{Machine, SeededRandom};

use super::*;
use crate::LocalError;

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

const SECOND: std::time::Duration = std::time::Duration::from_secs(1);

/// Polls every event; returns the error, if one came.
fn drain_error(machine: &mut RtmpConnection) -> Option<RtmpError> {
    let mut error = None;
    while let Some(event) = machine.poll_event() {
        if let Err(e) = event {
            error = Some(e);
        }
    }
    error
}

#[test]
fn a_trickled_handshake_fails_at_exactly_the_deadline() {
    let t0 = Instant::now();
    let mut machine = RtmpConnection::server(SeededRandom::new(0));
    machine.handle_connected(t0);
    let deadline = t0 + 10 * SECOND;
    assert_eq!(machine.poll_timeout(), Some(deadline));
    // One byte a second: the deadline does not move.
    let input = after_handshake(&[]);
    for (i, byte) in input[..9].iter().enumerate() {
        machine.handle_input(&[*byte], t0 + (i as u32) * SECOND);
        assert!(drain_error(&mut machine).is_none());
        assert_eq!(machine.poll_timeout(), Some(deadline));
    }
    machine.handle_timeout(deadline - std::time::Duration::from_nanos(1));
    assert!(drain_error(&mut machine).is_none());
    assert!(!machine.is_closed());
    machine.handle_timeout(deadline);
    assert!(matches!(
        drain_error(&mut machine),
        Some(RtmpError::HandshakeTimeout(d)) if d == 10 * SECOND
    ));
    assert!(machine.is_closed());
    assert_eq!(machine.poll_timeout(), None);
}

#[test]
fn the_first_input_starts_the_handshake_deadline_and_completion_stops_it() {
    let t0 = Instant::now();
    let mut machine = RtmpConnection::server(SeededRandom::new(0));
    assert_eq!(machine.poll_timeout(), None);
    let input = after_handshake(&[]);
    machine.handle_input(&input[..100], t0 + SECOND);
    assert_eq!(machine.poll_timeout(), Some(t0 + 11 * SECOND));
    machine.handle_input(&input[100..], t0 + 2 * SECOND);
    assert_eq!(
        machine.poll_event().unwrap().unwrap(),
        RtmpEvent::HandshakeComplete
    );
    assert_eq!(machine.poll_timeout(), None);
    machine.handle_timeout(t0 + 60 * SECOND);
    assert!(drain_error(&mut machine).is_none());
    assert!(!machine.is_closed());

    let config = RtmpConfig {
        handshake_timeout: None,
        ..RtmpConfig::default()
    };
    let mut never = RtmpConnection::new(Role::Server, config, SeededRandom::new(0));
    never.handle_connected(t0);
    assert_eq!(never.poll_timeout(), None);
}

#[test]
fn the_send_stall_fires_re_arms_stops_and_holds_after_eof() {
    let t0 = Instant::now();
    let mut machine = RtmpConnection::server(SeededRandom::new(0));
    machine.handle_input(&after_handshake(&[]), t0);
    assert!(drain_error(&mut machine).is_none());
    while machine.poll_transmit().is_some() {}
    // 100 bytes wait: armed; progress re-arms; nothing waiting stops it.
    machine.handle_written(0, 100, t0);
    assert_eq!(machine.poll_timeout(), Some(t0 + 30 * SECOND));
    machine.handle_written(0, 100, t0 + 20 * SECOND);
    assert_eq!(machine.poll_timeout(), Some(t0 + 30 * SECOND));
    machine.handle_written(60, 40, t0 + 20 * SECOND);
    assert_eq!(machine.poll_timeout(), Some(t0 + 50 * SECOND));
    machine.handle_written(40, 0, t0 + 21 * SECOND);
    assert_eq!(machine.poll_timeout(), None);

    // Bytes wait again, then the peer half-closes: the connection ends
    // cleanly but is not closed while the bytes wait.
    machine.send(0, 0, Message::Acknowledgement(1)).unwrap();
    machine.handle_written(0, 16, t0 + 22 * SECOND);
    machine.handle_eof(t0 + 23 * SECOND);
    assert!(drain_error(&mut machine).is_none());
    assert!(!machine.is_closed());
    let deadline = t0 + 52 * SECOND;
    assert_eq!(machine.poll_timeout(), Some(deadline));
    machine.handle_timeout(deadline);
    assert!(matches!(
        drain_error(&mut machine),
        Some(RtmpError::SendStalled(d)) if d == 30 * SECOND
    ));
    assert!(machine.poll_transmit().is_none(), "nothing more is sent");
    assert!(machine.is_closed());
    assert_eq!(machine.poll_timeout(), None);
    // A closed machine stays closed.
    machine.handle_written(0, 16, deadline);
    assert!(machine.is_closed());
}

#[test]
fn all_written_after_eof_closes_and_shutdown_says_nothing() {
    let t0 = Instant::now();
    let mut machine = RtmpConnection::server(SeededRandom::new(0));
    machine.handle_input(&after_handshake(&[]), t0);
    assert!(drain_error(&mut machine).is_none());
    machine.handle_written(0, 10, t0);
    machine.handle_eof(t0);
    assert!(drain_error(&mut machine).is_none());
    assert!(!machine.is_closed());
    machine.handle_written(10, 0, t0 + SECOND);
    assert!(machine.is_closed());

    let mut other = RtmpConnection::server(SeededRandom::new(0));
    other.handle_input(&after_handshake(&[]), t0);
    assert!(drain_error(&mut other).is_none());
    while other.poll_transmit().is_some() {}
    assert!(!other.handle_shutdown(t0));
    assert!(other.poll_transmit().is_none());
    assert!(other.is_closed());
    assert!(matches!(
        other.send(0, 0, Message::Acknowledgement(1)),
        Err(LocalError::Closed)
    ));
}
