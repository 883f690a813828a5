//! permessage-deflate end to end: negotiation through both handshake
//! machines, compressed messages both ways, and the peer violations
//! RFC 7692 defines.

use std::time::Instant;

use bytes::Bytes;
use flate2::{Compress, Compression, FlushCompress};
use wirestate_core::{Machine, SeededRandom};
use wirestate_websocket::frame::{encode_header, OpCode};
use wirestate_websocket::{
    apply_mask, ClientRequest, DeflateConfig, DeflateParams, Delivery, Message, WsConfig,
    WsConnection, WsError, WsEvent,
};

fn now() -> Instant {
    Instant::now()
}

/// Everything `from` transmits, concatenated.
fn drain(from: &mut impl Machine) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(bytes) = from.poll_transmit() {
        out.extend_from_slice(&bytes);
    }
    out
}

fn events<M: Machine<Event = WsEvent, Error = WsError>>(
    m: &mut M,
) -> Vec<Result<WsEvent, WsError>> {
    std::iter::from_fn(|| m.poll_event()).collect()
}

fn config(deflate: Option<DeflateConfig>) -> WsConfig {
    WsConfig {
        deflate,
        ..WsConfig::default()
    }
}

/// Runs the handshake; returns both machines and what the client saw.
fn connect(
    client_cfg: WsConfig,
    server_cfg: WsConfig,
) -> (WsConnection, WsConnection, Option<DeflateParams>) {
    let mut client = WsConnection::client(
        ClientRequest::new("localhost", "/"),
        client_cfg,
        SeededRandom::new(9),
    )
    .unwrap();
    let mut server = WsConnection::server_auto_accept(server_cfg);
    server.handle_input(&drain(&mut client), now());
    assert!(matches!(server.poll_event(), Some(Ok(WsEvent::Request(_)))));
    client.handle_input(&drain(&mut server), now());
    let Some(Ok(WsEvent::Connected(response))) = client.poll_event() else {
        panic!("not connected")
    };
    assert_eq!(client.deflate(), response.deflate);
    assert_eq!(server.deflate(), response.deflate);
    (client, server, response.deflate)
}

fn deflate_pair() -> (WsConnection, WsConnection) {
    let (client, server, params) = connect(
        config(Some(DeflateConfig::client())),
        config(Some(DeflateConfig::server())),
    );
    assert_eq!(
        params,
        Some(DeflateParams {
            server_no_context_takeover: true,
            client_no_context_takeover: false,
            server_max_window_bits: 12,
            client_max_window_bits: 12,
        })
    );
    (client, server)
}

fn json_like(len: usize) -> String {
    let mut s = String::new();
    let mut i = 0u64;
    while s.len() < len {
        s.push_str(&format!(
            "{{\"id\":{i},\"name\":\"user-{}\",\"active\":{},\"score\":{}.{}}},",
            i * 7919 % 1000,
            i.is_multiple_of(3),
            i * 31 % 977,
            i % 10
        ));
        i += 1;
    }
    s.truncate(len);
    s
}

#[test]
fn default_offer_and_server_answer() {
    let mut client = WsConnection::client(
        ClientRequest::new("h", "/"),
        config(Some(DeflateConfig::client())),
        SeededRandom::new(1),
    )
    .unwrap();
    let request = String::from_utf8(drain(&mut client)).unwrap();
    assert!(
        request.contains(
            "\r\nSec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n"
        ),
        "{request}"
    );
    let mut server = WsConnection::server_auto_accept(config(Some(DeflateConfig::server())));
    server.handle_input(request.as_bytes(), now());
    let _ = server.poll_event();
    let answer = String::from_utf8(drain(&mut server)).unwrap();
    assert!(
        answer.contains("\r\nSec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover; server_max_window_bits=12; client_max_window_bits=12\r\n"),
        "{answer}"
    );
}

#[test]
fn declined_when_either_side_has_it_off() {
    for (c, s) in [
        (Some(DeflateConfig::client()), None),
        (None, Some(DeflateConfig::server())),
    ] {
        let (mut client, mut server, params) = connect(config(c), config(s));
        assert_eq!(params, None);
        client.send_text(json_like(1000)).unwrap();
        let wire = drain(&mut client);
        assert_eq!(wire[0], 0x81, "RSV1 clear");
        server.handle_input(&wire, now());
        assert!(
            matches!(server.poll_event(), Some(Ok(WsEvent::Message(Message::Text(t)))) if t.len() == 1000)
        );
    }
}

#[test]
fn messages_round_trip_both_ways_compressed() {
    let (mut client, mut server) = deflate_pair();
    let texts = [
        json_like(1 << 10),
        json_like(64 << 10),
        json_like(3 << 20),
        String::new(),
    ];
    for text in &texts {
        client.send_text(text.clone()).unwrap();
        let wire = drain(&mut client);
        if text.len() >= 64 {
            assert_eq!(wire[0], 0xC1, "first frame: FIN, RSV1, text");
            assert!(wire.len() < text.len() / 2, "compressed");
        }
        server.handle_input(&wire, now());
        match events(&mut server).as_slice() {
            [Ok(WsEvent::Message(Message::Text(t)))] => assert_eq!(t.as_str(), text),
            other => panic!("{other:?}"),
        }
        server.send_text(text.clone()).unwrap();
        client.handle_input(&drain(&mut server), now());
        match events(&mut client).as_slice() {
            [Ok(WsEvent::Message(Message::Text(t)))] => assert_eq!(t.as_str(), text),
            other => panic!("{other:?}"),
        }
    }
    // Incompressible binary, larger than fragment_size: several frames,
    // RSV1 only on the first.
    let mut noise = vec![0u8; 3 << 20];
    let mut x = 0x2545_f491_4f6c_dd1du64;
    for b in noise.iter_mut() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        *b = x as u8;
    }
    server.send_binary(Bytes::from(noise.clone())).unwrap();
    let mut pieces = Vec::new();
    while let Some(p) = server.poll_transmit() {
        pieces.push(p);
    }
    // Server frames go out as header then payload.
    let headers: Vec<u8> = pieces.iter().step_by(2).map(|h| h[0]).collect();
    assert_eq!(
        headers,
        [0x42, 0x00, 0x00, 0x80],
        "RSV1 on the first frame only"
    );
    client.handle_input(&pieces.concat(), now());
    match events(&mut client).as_slice() {
        [Ok(WsEvent::Message(Message::Binary(b)))] => assert_eq!(&b[..], &noise[..]),
        other => panic!("{other:?}"),
    }
}

#[test]
fn below_the_threshold_messages_go_uncompressed() {
    let (mut client, mut server) = deflate_pair();
    client.send_text("short").unwrap();
    let wire = drain(&mut client);
    assert_eq!(wire[0], 0x81);
    server.handle_input(&wire, now());
    assert!(
        matches!(server.poll_event(), Some(Ok(WsEvent::Message(Message::Text(t)))) if t == "short")
    );
}

#[test]
fn context_takeover_is_honoured_per_direction() {
    // The server compresses without takeover (its default), the client with.
    let (mut client, mut server) = deflate_pair();
    let text = json_like(2000);
    let sizes = |m: &mut dyn FnMut() -> Vec<u8>| (m().len(), m().len());
    let (c1, c2) = sizes(&mut || {
        client.send_text(text.clone()).unwrap();
        drain(&mut client)
    });
    assert!(c2 < c1 / 2, "client keeps its context: {c1} then {c2}");
    let (s1, s2) = sizes(&mut || {
        server.send_text(text.clone()).unwrap();
        drain(&mut server)
    });
    assert_eq!(s1, s2, "server starts afresh each message");
}

/// A client-to-server frame with the given first byte and payload.
fn masked(first: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = bytes::BytesMut::new();
    let key = [1, 2, 3, 4];
    encode_header(
        &mut out,
        first & 0x80 != 0,
        first & 0x70,
        OpCode::from_u8(first & 0x0f).unwrap(),
        Some(key),
        payload.len() as u64,
    );
    let start = out.len();
    out.extend_from_slice(payload);
    apply_mask(&mut out[start..], key, 0);
    out.to_vec()
}

fn raw_deflate(data: &[u8]) -> Vec<u8> {
    let mut c = Compress::new(Compression::default(), false);
    let mut out = Vec::with_capacity(data.len() + 64);
    c.compress_vec(data, &mut out, FlushCompress::Sync).unwrap();
    assert!(out.ends_with(&[0, 0, 0xff, 0xff]));
    out.truncate(out.len() - 4);
    out
}

fn server_error_after(
    frames: &[Vec<u8>],
    cfg: WsConfig,
) -> (Vec<Result<WsEvent, WsError>>, Vec<u8>) {
    let (_, mut server, _) = connect(config(Some(DeflateConfig::client())), cfg);
    for f in frames {
        server.handle_input(f, now());
    }
    let seen = events(&mut server);
    (seen, drain(&mut server))
}

fn close_code(wire: &[u8]) -> u16 {
    assert_eq!(wire[0], 0x88, "a close frame");
    u16::from_be_bytes([wire[2], wire[3]])
}

#[test]
fn violations_fail_with_the_right_close_code() {
    let body = raw_deflate(b"hello hello hello");
    let cases: Vec<(&str, Vec<Vec<u8>>, u16)> = vec![
        (
            "RSV1 on a continuation",
            vec![masked(0x41, &body[..3]), masked(0xC0, &body[3..])],
            1002,
        ),
        ("compressed ping", vec![masked(0xC9, b"")], 1002),
        ("compressed close", vec![masked(0xC8, &[3, 232])], 1002),
        ("not deflate data", vec![masked(0xC2, &[0xff; 8])], 1002),
        (
            "invalid UTF-8 inside",
            vec![masked(0xC1, &raw_deflate(&[b'a', 0xff, b'b']))],
            1007,
        ),
        ("RSV2", vec![masked(0xA1, b"x")], 1002),
    ];
    for (what, frames, code) in cases {
        let (seen, wire) = server_error_after(&frames, config(Some(DeflateConfig::server())));
        assert!(matches!(seen.last(), Some(Err(_))), "{what}: {seen:?}");
        assert_eq!(close_code(&wire), code, "{what}");
    }
}

#[test]
fn empty_compressed_messages() {
    // An empty message compresses to one zero byte (an empty stored block
    // without the stripped tail); and a zero-length payload is accepted too.
    for payload in [&raw_deflate(b"")[..], &[]] {
        let (seen, _) = server_error_after(
            &[masked(0xC1, payload), masked(0xC2, payload)],
            config(Some(DeflateConfig::server())),
        );
        match seen.as_slice() {
            [Ok(WsEvent::Message(Message::Text(t))), Ok(WsEvent::Message(Message::Binary(b)))] => {
                assert!(t.is_empty() && b.is_empty())
            }
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn streaming_delivers_inflated_pieces() {
    let text = json_like(100_000);
    let wire = raw_deflate(text.as_bytes());
    let (a, b) = wire.split_at(wire.len() / 2);
    let cfg = WsConfig {
        delivery: Delivery::Streaming,
        deflate: Some(DeflateConfig::server()),
        ..WsConfig::default()
    };
    let (seen, _) = server_error_after(&[masked(0x41, a), masked(0x80, b)], cfg);
    let mut got = Vec::new();
    for e in &seen {
        match e {
            Ok(WsEvent::Fragment(f)) => got.extend_from_slice(&f.payload),
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(seen.len(), 2);
    assert_eq!(got, text.as_bytes());
}

/// A deflate bomb: about 4 MB on the wire that inflates to 1 GiB of zeros.
/// It stops with 1009 as soon as the inflated size passes the limit.
#[test]
fn deflate_bomb_ends_with_1009_at_the_limit() {
    // Deflating 1 MiB of zeros with a full window of zeros gives the same
    // bytes every time, so the stream can be built from a few chunks.
    let chunk = vec![0u8; 1 << 20];
    let mut c = Compress::new(Compression::best(), false);
    let mut parts = Vec::new();
    for _ in 0..3 {
        let mut out = Vec::with_capacity(8 << 10);
        let before = c.total_in();
        c.compress_vec(&chunk, &mut out, FlushCompress::Sync)
            .unwrap();
        assert_eq!(c.total_in() - before, chunk.len() as u64);
        parts.push(out);
    }
    assert_eq!(parts[1], parts[2], "steady state repeats");
    let mut bomb = parts[0].clone();
    for _ in 1..1024 {
        bomb.extend_from_slice(&parts[1]);
    }
    bomb.truncate(bomb.len() - 4);
    assert!(bomb.len() < 8 << 20, "{} bytes on the wire", bomb.len());

    let limit = 4 << 20;
    let cfg = WsConfig {
        max_message_size: limit,
        deflate: Some(DeflateConfig::server()),
        ..WsConfig::default()
    };
    let (seen, wire) = server_error_after(&[masked(0xC2, &bomb)], cfg);
    match seen.as_slice() {
        [Err(WsError::MessageTooBig { len, limit: l })] => {
            assert_eq!(*l, limit as u64);
            assert_eq!(*len, limit as u64 + 1, "stopped right past the limit");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(close_code(&wire), 1009);
}
