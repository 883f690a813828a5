//! Fuzzes the RTMP chunk stream, alone and behind a server connection.
//!
//! Input: 2 bytes split point, 1 byte flags (bit 0: peek-and-compare mode
//! for type-3 extended timestamps), then the chunk stream. Checks: no panic,
//! reassembly never above its limit, and the same events, error and
//! transmitted bytes whether the stream arrives whole or cut in two.
#![no_main]

use std::time::Instant;

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use wirestate_core::{Machine, SeededRandom};
use wirestate_rtmp::chunk::{ChunkDecoder, ChunkLimits, DecoderConfig, Type3ExtendedTimestamp};
use wirestate_rtmp::{Role, RtmpConfig, RtmpConnection, RtmpEvent};

const LIMITS: ChunkLimits = ChunkLimits {
    max_message_len: 64 << 10,
    max_partial_messages: 8,
    max_buffered: 256 << 10,
    max_chunk_streams: 64,
};

fn config(compat: bool) -> DecoderConfig {
    DecoderConfig {
        limits: LIMITS,
        type3_extended_timestamp: if compat {
            Type3ExtendedTimestamp::PeekAndCompare
        } else {
            Type3ExtendedTimestamp::Required
        },
    }
}

/// Everything a server connection produced: events, error text, bytes sent.
fn run_machine(
    input: &[u8],
    cut: usize,
    compat: bool,
) -> (Vec<RtmpEvent>, Option<String>, Vec<u8>) {
    let now = Instant::now();
    let connection_config = RtmpConfig {
        decoder: config(compat),
        ..RtmpConfig::default()
    };
    let mut machine = RtmpConnection::new(Role::Server, connection_config, SeededRandom::new(0));
    let (mut events, mut error, mut sent) = (Vec::new(), None, Vec::new());
    let pieces = [&input[..cut], &input[cut..]];
    for (i, piece) in pieces.iter().enumerate() {
        machine.handle_input(piece, now);
        if i == 1 {
            machine.handle_eof(now);
        }
        loop {
            while let Some(bytes) = machine.poll_transmit() {
                sent.extend_from_slice(&bytes);
            }
            match machine.poll_event() {
                Some(Ok(event)) => events.push(event),
                Some(Err(e)) => error = Some(e.to_string()),
                None => break,
            }
        }
        // Drained after an error too: the call that reported it may have
        // queued acknowledgements.
        while let Some(bytes) = machine.poll_transmit() {
            sent.extend_from_slice(&bytes);
        }
        if error.is_some() {
            break;
        }
    }
    (events, error, sent)
}

/// The decoder alone, fed in pieces of `step` bytes: checks the memory bound.
fn run_decoder(stream: &[u8], step: usize, compat: bool) {
    let mut decoder = ChunkDecoder::new(config(compat));
    let mut input = BytesMut::new();
    for piece in stream.chunks(step.max(1)) {
        input.extend_from_slice(piece);
        loop {
            match decoder.decode(&mut input) {
                Ok(Some(message)) => {
                    assert!(message.payload.len() <= LIMITS.max_message_len as usize)
                }
                Ok(None) => break,
                Err(_) => return,
            }
            assert!(decoder.buffered() <= LIMITS.max_buffered);
        }
        assert!(decoder.buffered() <= LIMITS.max_buffered);
    }
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 3 {
        return;
    }
    let split = usize::from(u16::from_le_bytes([data[0], data[1]]));
    let compat = data[2] & 1 == 1;
    let stream = &data[3..];
    run_decoder(stream, split % 97 + 1, compat);

    // A simple handshake (C0, zero C1, zero C2), then the fuzzed chunks.
    let mut input = vec![3u8];
    input.resize(1 + 2 * 1536, 0);
    input.extend_from_slice(stream);
    let cut = 1 + 2 * 1536 + split % (stream.len() + 1);
    let whole = run_machine(&input, input.len(), compat);
    let halves = run_machine(&input, cut, compat);
    // Compared as Debug text: AMF0 numbers may be NaN, which is never == itself.
    assert_eq!(format!("{whole:?}"), format!("{halves:?}"), "cut at {cut}");
});
