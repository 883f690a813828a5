//! permessage-deflate through our machine next to raw `flate2` on the same
//! data, in the same run: compressing (a server sending, so no masking) and
//! inflating (a client receiving), 1 KiB and 64 KiB JSON-like messages and
//! 64 KiB of incompressible bytes.
//!
//! Each iteration handles a sequence of messages with context takeover
//! (fresh connection or fresh zlib stream per iteration), so both sides do
//! the same zlib work; the difference is the machine's overhead (framing,
//! buffers, events, UTF-8 validation for text).
//!
//! `cargo bench -p wirestate --no-default-features --features websocket --bench websocket_deflate`

use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use criterion::{
    black_box, criterion_group, criterion_main, BatchSize, BenchmarkId, Criterion, Throughput,
};
use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress};
use wirestate::websocket::frame::{encode_header, OpCode};
use wirestate::websocket::{
    DeflateConfig, DeflateParams, Utf8Bytes, WsConfig, WsConnection, WsEvent,
};
use wirestate_core::{Machine, SeededRandom};

/// Messages per iteration.
const MESSAGES: usize = 16;
const TAIL: [u8; 4] = [0, 0, 0xff, 0xff];

fn json_like(len: usize) -> Vec<u8> {
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
    s.into_bytes()
}

fn noise(len: usize) -> Vec<u8> {
    let mut x = 0x2545_f491_4f6c_dd1du64;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

/// Both ends keep their context; 15-bit windows; everything compressed.
fn machine_config() -> WsConfig {
    WsConfig {
        deflate: Some(DeflateConfig {
            threshold: 0,
            ..DeflateConfig::client()
        }),
        max_message_size: 1 << 20,
        ..WsConfig::default()
    }
}

fn raw_compress(zlib: &mut Compress, data: &[u8]) -> Bytes {
    let mut out = Vec::with_capacity(data.len() / 2 + 64);
    let start = zlib.total_in();
    loop {
        let consumed = (zlib.total_in() - start) as usize;
        if out.capacity() - out.len() < 64 {
            out.reserve(out.capacity().max(256));
        }
        zlib.compress_vec(&data[consumed..], &mut out, FlushCompress::Sync)
            .unwrap();
        if (zlib.total_in() - start) as usize == data.len() && out.len() < out.capacity() {
            break;
        }
    }
    out.truncate(out.len() - TAIL.len());
    Bytes::from(out)
}

fn ours_compress(data: &Bytes, text: Option<&Utf8Bytes>) -> usize {
    let deflate = Some(DeflateParams::default());
    let mut server = WsConnection::accepted_server(machine_config(), deflate);
    let mut total = 0;
    for _ in 0..MESSAGES {
        match text {
            Some(text) => server.send_text(text.clone()).unwrap(),
            None => server.send_binary(data.clone()).unwrap(),
        }
        while let Some(piece) = server.poll_transmit() {
            total += piece.len();
        }
    }
    total
}

fn raw_compress_all(data: &[u8]) -> usize {
    let mut zlib = Compress::new_with_window_bits(Compression::new(6), false, 15);
    (0..MESSAGES)
        .map(|_| raw_compress(&mut zlib, data).len())
        .sum()
}

/// The server's frames for MESSAGES copies of `data` (unmasked), and the
/// compressed payloads alone.
fn server_frames(data: &[u8], text: bool) -> (Bytes, Vec<Bytes>) {
    let mut zlib = Compress::new_with_window_bits(Compression::new(6), false, 15);
    let mut wire = BytesMut::new();
    let mut payloads = Vec::new();
    for _ in 0..MESSAGES {
        let payload = raw_compress(&mut zlib, data);
        let opcode = if text { OpCode::Text } else { OpCode::Binary };
        encode_header(&mut wire, true, 0x40, opcode, None, payload.len() as u64);
        wire.extend_from_slice(&payload);
        payloads.push(payload);
    }
    (wire.freeze(), payloads)
}

/// A client connection with the server's frames already read (the bytes a
/// driver would have read into its input buffer).
fn loaded_client(wire: &[u8], now: Instant) -> WsConnection {
    let deflate = Some(DeflateParams::default());
    let mut client = WsConnection::accepted_client(machine_config(), deflate, SeededRandom::new(1));
    client.handle_input(wire, now);
    client
}

fn ours_inflate(mut client: WsConnection) -> usize {
    let mut total = 0;
    while let Some(event) = client.poll_event() {
        if let Ok(WsEvent::Message(m)) = event {
            total += black_box(m.payload()).len();
        }
    }
    total
}

fn raw_inflate(payloads: &[Bytes], text: bool) -> usize {
    let mut zlib = Decompress::new_with_window_bits(false, 15);
    let mut total = 0;
    for payload in payloads {
        let mut out = Vec::with_capacity(payload.len() * 4);
        for (input, flush) in [
            (&payload[..], FlushDecompress::None),
            (&TAIL[..], FlushDecompress::Sync),
        ] {
            let mut pos = 0;
            loop {
                if out.capacity() - out.len() < 1024 {
                    out.reserve(out.capacity().max(4096));
                }
                let before = zlib.total_in();
                zlib.decompress_vec(&input[pos..], &mut out, flush).unwrap();
                pos += (zlib.total_in() - before) as usize;
                if pos == input.len() && out.len() < out.capacity() {
                    break;
                }
            }
        }
        if text {
            // Ours validates UTF-8 too; so does any honest text reader.
            black_box(std::str::from_utf8(&out).unwrap());
        }
        total += black_box(out).len();
    }
    total
}

fn bench(c: &mut Criterion) {
    let now = Instant::now();
    let cases = [
        ("json_1KiB", json_like(1 << 10), true),
        ("json_64KiB", json_like(64 << 10), true),
        ("noise_64KiB", noise(64 << 10), false),
    ];
    let mut group = c.benchmark_group("ws_deflate_compress");
    group
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    for (label, data, text) in &cases {
        let utf8 = text.then(|| Utf8Bytes::from(String::from_utf8(data.clone()).unwrap()));
        let data = Bytes::from(data.clone());
        // Ours adds only frame headers to the same compressed payloads.
        let (ours, raw) = (ours_compress(&data, utf8.as_ref()), raw_compress_all(&data));
        assert!(ours > raw && ours <= raw + 10 * MESSAGES, "{ours} vs {raw}");
        group.throughput(Throughput::Bytes((data.len() * MESSAGES) as u64));
        group.bench_with_input(BenchmarkId::new("wirestate", label), &data, |b, d| {
            b.iter(|| ours_compress(d, utf8.as_ref()))
        });
        group.bench_with_input(BenchmarkId::new("flate2", label), &data, |b, d| {
            b.iter(|| raw_compress_all(d))
        });
    }
    group.finish();

    let mut group = c.benchmark_group("ws_deflate_inflate");
    group
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    for (label, data, text) in &cases {
        let (wire, payloads) = server_frames(data, *text);
        assert_eq!(
            ours_inflate(loaded_client(&wire, now)),
            data.len() * MESSAGES
        );
        assert_eq!(raw_inflate(&payloads, *text), data.len() * MESSAGES);
        group.throughput(Throughput::Bytes((data.len() * MESSAGES) as u64));
        // Reading the bytes in is setup (a socket read either way); what is
        // timed is decoding, inflating and handing out the messages.
        group.bench_with_input(BenchmarkId::new("wirestate", label), &wire, |b, w| {
            b.iter_batched(
                || loaded_client(w, now),
                ours_inflate,
                BatchSize::LargeInput,
            )
        });
        group.bench_with_input(BenchmarkId::new("flate2", label), &payloads, |b, p| {
            b.iter(|| raw_inflate(p, *text))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
