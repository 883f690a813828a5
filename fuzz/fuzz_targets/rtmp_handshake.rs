//! The RTMP handshake fed fuzzer bytes as client or server: it must never
//! panic, must behave the same whether the input arrives whole, cut at a
//! fuzzer-chosen point, or byte by byte, and once done must have consumed
//! exactly C0/S0 + two 1536-byte packets, leaving the rest.
#![no_main]

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use wirestate_core::SeededRandom;
use wirestate_rtmp::handshake::{
    Handshake, HandshakeConfig, HandshakeError, HandshakeInfo, PACKET_LEN,
};

#[derive(Debug, PartialEq)]
struct Outcome {
    transmitted: Vec<u8>,
    left_over: Vec<u8>,
    result: Result<bool, HandshakeError>,
    info: Option<HandshakeInfo>,
}

fn run(server: bool, config: HandshakeConfig, input: &[u8], cuts: &[usize]) -> Outcome {
    let mut rng = SeededRandom::new(7);
    let mut handshake = if server {
        Handshake::server(config, &mut rng)
    } else {
        Handshake::client(config, &mut rng)
    };
    let mut buf = BytesMut::new();
    let mut transmitted = Vec::new();
    let mut result = Ok(false);
    let mut start = 0;
    for end in cuts
        .iter()
        .copied()
        .filter(|&c| c > 0 && c < input.len())
        .chain([input.len()])
    {
        if end <= start {
            continue;
        }
        buf.extend_from_slice(&input[start..end]);
        start = end;
        result = handshake.advance(&mut buf, &mut rng);
        while let Some(piece) = handshake.poll_transmit() {
            transmitted.extend_from_slice(&piece);
        }
    }
    Outcome {
        transmitted,
        left_over: buf.to_vec(),
        result,
        info: handshake.info().cloned(),
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&flags, input)) = data.split_first() else {
        return;
    };
    let server = flags & 1 != 0;
    let config = HandshakeConfig {
        digest: flags & 2 != 0,
        epoch: u32::from(flags),
        ..HandshakeConfig::default()
    };
    // Valid handshakes are rare in random bytes: force C0/S0 = 3 half of the time.
    let mut owned;
    let input = if flags & 4 != 0 && !input.is_empty() {
        owned = input.to_vec();
        owned[0] = 3;
        &owned[..]
    } else {
        input
    };

    let whole = run(server, config, input, &[]);
    if whole.result == Ok(true) {
        assert_eq!(whole.left_over, &input[1 + 2 * PACKET_LEN..]);
    }
    let cut = usize::from(flags).wrapping_mul(37) % (input.len() + 1);
    assert_eq!(run(server, config, input, &[cut]), whole);
    let bytewise: Vec<usize> = (1..input.len().min(3 * PACKET_LEN)).collect();
    assert_eq!(run(server, config, input, &bytewise), whole);
});
