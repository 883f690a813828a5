//! Length-prefix and line round trips: one machine sends the fuzzer's
//! frames or lines, another decodes them through a fuzzer-chosen cutting;
//! what arrives is what was sent, in order.
//!
//! Input: options byte (bits 0-3 the length framing as in `length_script`;
//! bit 4 lines instead, bit 5 CRLF lines), a length byte n, n cut sizes,
//! then messages: length byte, payload.
#![no_main]

use std::time::Instant;

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use wirestate_fuzz::{bit, Pair};
use wirestate_length::{ErlangPacket, LengthConfig, LengthConnection, LengthEvent, LengthField};
use wirestate_lines::{Delimiter, LineConfig, LineConnection, LineEvent};

fn length_config(options: u8) -> LengthConfig {
    match options & 15 {
        0 => LengthConfig::new(LengthField::U8),
        1 => LengthConfig::new(LengthField::U16).little_endian(),
        2 => LengthConfig::new(LengthField::U32),
        3 => LengthConfig::new(LengthField::Varint),
        // asn1, sunrm, tpkt and raw frame any payload; cdr and fcgi need
        // their own headers inside it.
        n => {
            let packets = [ErlangPacket::Asn1, ErlangPacket::Sunrm, ErlangPacket::Tpkt];
            LengthConfig::erlang_packet(packets[usize::from(n) % packets.len()])
        }
    }
}

fn payloads(mut rest: &[u8]) -> Vec<Bytes> {
    let mut out = Vec::new();
    while let [len, tail @ ..] = rest {
        let (payload, tail) = tail.split_at(usize::from(*len).min(tail.len()));
        rest = tail;
        out.push(Bytes::copy_from_slice(payload));
    }
    out
}

fn lengths(options: u8, cuts: &[u8], sent: &[Bytes]) {
    let now = Instant::now();
    let config = length_config(options);
    let mut pair = Pair::new(
        LengthConnection::new(config.clone()),
        LengthConnection::new(config.clone()),
        cuts,
    );
    let mut expected = Vec::new();
    for payload in sent {
        if pair.a.send(payload.clone()).is_ok() {
            expected.push(payload.clone());
        }
        pair.exchange(now);
    }
    let received: Vec<Bytes> = pair
        .b_events
        .iter()
        .map(|event| match event {
            LengthEvent::Frame(frame) => frame.clone(),
            LengthEvent::Oversize { .. } => panic!("a frame we sent is oversize"),
        })
        .collect();
    if config.keeps_header() {
        assert_eq!(received.len(), expected.len(), "frames lost or invented");
        for (got, sent) in received.iter().zip(&expected) {
            assert!(got.ends_with(sent), "payload changed");
        }
    } else {
        assert_eq!(received, expected, "frames lost or changed");
    }
}

fn lines(options: u8, cuts: &[u8], sent: &[Bytes]) {
    let now = Instant::now();
    let delimiter = if bit(options, 5) {
        Delimiter::crlf()
    } else {
        Delimiter::lf()
    };
    let config = LineConfig::new(delimiter);
    let mut pair = Pair::new(
        LineConnection::new(config.clone()),
        LineConnection::new(config),
        cuts,
    );
    let mut expected = Vec::new();
    for payload in sent {
        if pair.a.send_line(payload.clone()).is_ok() {
            expected.push(payload.clone());
        }
        pair.exchange(now);
    }
    let received: Vec<Bytes> = pair
        .b_events
        .iter()
        .filter_map(|event| match event {
            LineEvent::Line { bytes, .. } => Some(bytes.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(received, expected, "lines lost or changed");
}

fuzz_target!(|data: &[u8]| {
    let [options, n, rest @ ..] = data else {
        return;
    };
    let (cuts, rest) = rest.split_at(usize::from(*n).min(rest.len()));
    let sent = payloads(rest);
    if bit(*options, 4) {
        lines(*options, cuts, &sent);
    } else {
        lengths(*options, cuts, &sent);
    }
});
