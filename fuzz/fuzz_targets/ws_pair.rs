//! WebSocket round trips: a client and a server (permessage-deflate with
//! fuzzer-chosen parameters, small fragments) exchange the handshake, then
//! each sends the fuzzer's messages; each side receives exactly what the
//! other sent, in order, and the transcripts do not depend on how the
//! bytes between them are cut.
//!
//! Input: options byte (bit 0 deflate offered by the client, 1 no client
//! context takeover, 2 no server context takeover, 3-4 window bits, 5-7
//! fragment size), a length byte n, n cut sizes, then messages: kind byte
//! (even text, odd binary), length byte, payload.
#![no_main]

use std::time::Instant;

use libfuzzer_sys::fuzz_target;
use wirestate_core::SeededRandom;
use wirestate_fuzz::{bit, Pair};
use wirestate_websocket::{ClientRequest, DeflateConfig, Message, WsConfig, WsConnection, WsEvent};

fn config(options: u8, deflate: DeflateConfig) -> WsConfig {
    let bits = 9 + 2 * (options >> 3 & 3);
    let deflate = DeflateConfig {
        client_no_context_takeover: bit(options, 1),
        server_no_context_takeover: bit(options, 2),
        client_max_window_bits: bits,
        server_max_window_bits: bits,
        threshold: 0,
        ..deflate
    };
    WsConfig {
        fragment_size: 1 + usize::from(options >> 5) * 37,
        deflate: bit(options, 0).then_some(deflate),
        ..WsConfig::default()
    }
}

fn messages(mut rest: &[u8]) -> Vec<Message> {
    let mut out = Vec::new();
    while let [kind, len, tail @ ..] = rest {
        let (payload, tail) = tail.split_at(usize::from(*len).min(tail.len()));
        rest = tail;
        out.push(if kind % 2 == 0 {
            Message::Text(String::from_utf8_lossy(payload).into_owned().into())
        } else {
            Message::Binary(bytes::Bytes::copy_from_slice(payload))
        });
    }
    out
}

fn talk(options: u8, cuts: &[u8], sent: &[Message]) -> Pair<WsConnection, WsConnection> {
    let now = Instant::now();
    let request = ClientRequest::new("localhost", "/");
    let client_config = config(options, DeflateConfig::client());
    let client = WsConnection::client(request, client_config, SeededRandom::new(5))
        .expect("a valid request");
    let server = WsConnection::server_auto_accept(config(options, DeflateConfig::server()));
    let mut pair = Pair::new(client, server, cuts);
    pair.exchange(now);
    for message in sent {
        let (a, b) = match message.clone() {
            Message::Text(text) => (pair.a.send_text(text.clone()), pair.b.send_text(text)),
            Message::Binary(data) => (pair.a.send_binary(data.clone()), pair.b.send_binary(data)),
        };
        a.expect("the client sends");
        b.expect("the server sends");
        pair.exchange(now);
    }
    pair
}

fn received(events: &[WsEvent]) -> Vec<Message> {
    events
        .iter()
        .filter_map(|event| match event {
            WsEvent::Message(message) => Some(message.clone()),
            _ => None,
        })
        .collect()
}

fuzz_target!(|data: &[u8]| {
    let [options, n, rest @ ..] = data else {
        return;
    };
    let (cuts, rest) = rest.split_at(usize::from(*n).min(rest.len()));
    let sent = messages(rest);
    let whole = talk(*options, &[], &sent);
    assert_eq!(
        received(&whole.b_events),
        sent,
        "the server got other messages"
    );
    assert_eq!(
        received(&whole.a_events),
        sent,
        "the client got other messages"
    );
    let cut = talk(*options, cuts, &sent);
    assert_eq!(
        whole.a_said, cut.a_said,
        "the client's events depend on the cuts"
    );
    assert_eq!(
        whole.b_said, cut.b_said,
        "the server's events depend on the cuts"
    );
});
