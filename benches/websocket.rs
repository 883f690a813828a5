//! Server-side decoding of masked client frames (16 B, 1 KiB, 64 KiB, 1 MiB
//! binary frames, about 4 MiB of them per iteration, fed in 64 KiB pieces)
//! through wirestate's `WsConnection` (owned events, and the borrowed
//! `for_each_message`), tungstenite's `WebSocket` (its frame
//! parser and its own unmasking), tungstenite's frame layer alone
//! (`FrameHeader::parse`, unmask, `Frame`: the frame-level peer of issue 14)
//! and fastwebsockets' `WebSocket::read_frame` on the same bytes, plus the unmask throughput of `apply_mask` (in place)
//! and `copy_masked` (while copying) on in-cache data, next to
//! fastwebsockets' `unmask`. With the `tokio` feature (on by default), also
//! through wirestate's tokio driver reading from the same 64 KiB pieces
//! (owned events, and the borrowed path through `next_event_with`), and
//! the floor they all share: copying the pieces once (`memcpy`).
//!
//! Run: `cargo bench -p wirestate --bench websocket` (or with
//! `--no-default-features --features websocket` for the machine alone; add
//! `-- --quick` while developing).

use std::io::{Read, Write};
use std::ops::ControlFlow;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::{Buf, Bytes, BytesMut};
use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
#[cfg(feature = "tokio")]
use wirestate::tokio_driver::DEFAULT_READ_SIZE;
use wirestate::websocket::{apply_mask, copy_masked, WsConfig, WsConnection, WsEvent};
use wirestate::Machine;

/// Read size: every decoder gets at most this many bytes per read.
const PIECE: usize = 64 << 10;
/// Bytes of frames per iteration (roughly).
const TOTAL: usize = 4 << 20;

/// `count` masked binary frames of `size` bytes, as a client sends them.
fn client_frames(size: usize) -> (Bytes, usize) {
    let count = (TOTAL / size).max(4);
    let mut out = Vec::with_capacity(count * (size + 14));
    for i in 0..count {
        out.push(0x82);
        if size < 126 {
            out.push(0x80 | size as u8);
        } else if size <= 0xFFFF {
            out.push(0x80 | 126);
            out.extend_from_slice(&(size as u16).to_be_bytes());
        } else {
            out.push(0x80 | 127);
            out.extend_from_slice(&(size as u64).to_be_bytes());
        }
        let key = (i as u32).wrapping_mul(0x9E37_79B9).to_be_bytes();
        out.extend_from_slice(&key);
        let start = out.len();
        out.extend((0..size).map(|j| (j * 31 + i) as u8));
        apply_mask(&mut out[start..], key, 0);
    }
    (Bytes::from(out), count)
}

fn wirestate_decode(input: &[u8], now: Instant) -> usize {
    let mut conn = WsConnection::accepted_server(WsConfig::default(), None);
    let mut frames = 0;
    for piece in input.chunks(PIECE) {
        conn.handle_input(piece, now);
        while let Some(event) = conn.poll_event() {
            if let Ok(WsEvent::Message(m)) = event {
                black_box(m.payload());
                frames += 1;
            }
        }
    }
    frames
}

/// The same through the borrowed path: messages read in place, with
/// `poll_event` for whatever stops a batch (nothing, in these inputs).
fn wirestate_borrowed_decode(input: &[u8], now: Instant) -> usize {
    let mut conn = WsConnection::accepted_server(WsConfig::default(), None);
    let mut frames = 0;
    for piece in input.chunks(PIECE) {
        conn.handle_input(piece, now);
        frames += conn.for_each_message(|m| {
            black_box(m.payload());
            ControlFlow::Continue(())
        });
        while let Some(event) = conn.poll_event() {
            if let Ok(WsEvent::Message(m)) = event {
                black_box(m.payload());
                frames += 1;
            }
        }
    }
    frames
}

/// The floor for every decoder here: each moves every input byte into a
/// buffer of its own once. Copies the 64 KiB pieces into a frame-sized
/// buffer (reused, as a decoder that keeps its buffer would).
fn memcpy_floor(input: &[u8], size: usize) -> usize {
    let mut buffer = vec![0u8; size.max(PIECE) + PIECE];
    let mut at = 0;
    for piece in input.chunks(PIECE) {
        if at + piece.len() > buffer.len() {
            at = 0;
        }
        buffer[at..at + piece.len()].copy_from_slice(piece);
        at += piece.len();
        black_box(&buffer[at - piece.len()..at]);
    }
    input.len()
}

/// A blocking stream that yields the input in 64 KiB reads and swallows
/// writes (tungstenite).
struct Pieces<'a>(&'a [u8]);

impl Read for Pieces<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = buf.len().min(PIECE).min(self.0.len());
        buf[..n].copy_from_slice(&self.0[..n]);
        self.0 = &self.0[n..];
        Ok(n)
    }
}

impl Write for Pieces<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn tungstenite_decode(input: &[u8], count: usize) -> usize {
    let config = tungstenite::protocol::WebSocketConfig::default()
        .max_message_size(Some(64 << 20))
        .max_frame_size(Some(16 << 20));
    let mut ws = tungstenite::WebSocket::from_raw_socket(
        Pieces(input),
        tungstenite::protocol::Role::Server,
        Some(config),
    );
    for _ in 0..count {
        let message = ws.read().expect("valid frames");
        black_box(message.len());
    }
    count
}

/// tungstenite's frame layer alone, as a frame-level server loop uses it:
/// `FrameHeader::parse` on a buffer fed 64 KiB at a time, room reserved for
/// the payload (as tungstenite's `FrameCodec` does), the payload split off,
/// unmasked (with fastwebsockets' `unmask`, the fastest public one) and
/// wrapped in a `Frame`.
fn tungstenite_frames_decode(input: &[u8]) -> usize {
    use tungstenite::protocol::frame::{Frame, FrameHeader};
    let mut buffer = BytesMut::new();
    let mut header: Option<(FrameHeader, u64)> = None;
    let mut frames = 0;
    for piece in input.chunks(PIECE) {
        buffer.extend_from_slice(piece);
        loop {
            if header.is_none() {
                let mut cursor = std::io::Cursor::new(&buffer[..]);
                header = FrameHeader::parse(&mut cursor).expect("valid frames");
                let position = cursor.position() as usize;
                let Some((_, len)) = &header else { break };
                let len = *len as usize;
                buffer.advance(position);
                buffer.reserve(len);
            }
            let Some((_, len)) = &header else { break };
            let len = *len as usize;
            if buffer.len() < len {
                break;
            }
            let Some((mut frame_header, _)) = header.take() else {
                break;
            };
            let mut payload = buffer.split_to(len);
            if let Some(mask) = frame_header.mask.take() {
                fastwebsockets::unmask(&mut payload, mask);
            }
            let frame = Frame::from_payload(frame_header, payload.freeze());
            black_box(frame.payload());
            frames += 1;
        }
    }
    frames
}

/// The same for tokio: always ready, 64 KiB per read (fastwebsockets).
struct AsyncPieces {
    data: Bytes,
}

impl tokio::io::AsyncRead for AsyncPieces {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let n = buf.remaining().min(PIECE).min(self.data.len());
        let piece = self.data.split_to(n);
        buf.put_slice(&piece);
        Poll::Ready(Ok(()))
    }
}

impl tokio::io::AsyncWrite for AsyncPieces {
    fn poll_write(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Poll::Ready(Ok(buf.len()))
    }
    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

fn fastwebsockets_decode(rt: &tokio::runtime::Runtime, input: &Bytes, count: usize) -> usize {
    rt.block_on(async {
        let stream = AsyncPieces {
            data: input.clone(),
        };
        let mut ws =
            fastwebsockets::WebSocket::after_handshake(stream, fastwebsockets::Role::Server);
        ws.set_auto_close(false);
        ws.set_auto_pong(false);
        ws.set_max_message_size(64 << 20);
        for _ in 0..count {
            let frame = ws.read_frame().await.expect("valid frames");
            black_box(frame.payload.len());
        }
        count
    })
}

/// The same through wirestate's tokio driver, which reads straight into the
/// machine's buffer (as fastwebsockets reads into its own), at most
/// `read_size` bytes per read (the driver's default is 16 KiB; the other
/// decoders here get up to 64 KiB).
#[cfg(feature = "tokio")]
fn wirestate_tokio_decode(
    rt: &tokio::runtime::Runtime,
    input: &Bytes,
    count: usize,
    read_size: usize,
) -> usize {
    rt.block_on(async {
        let stream = AsyncPieces {
            data: input.clone(),
        };
        let machine = WsConnection::accepted_server(WsConfig::default(), None);
        let mut conn = wirestate::TokioConnection::new(stream, machine).with_read_size(read_size);
        for _ in 0..count {
            match conn.next_event().await {
                Some(Ok(WsEvent::Message(m))) => black_box(m.payload()),
                other => panic!("expected a message, got {other:?}"),
            };
        }
        count
    })
}

/// The driver with the borrowed path in front of its events
/// (`next_event_with` and `for_each_message`), 16 KiB reads.
#[cfg(feature = "tokio")]
fn wirestate_tokio_borrowed_decode(rt: &tokio::runtime::Runtime, input: &Bytes) -> usize {
    rt.block_on(async {
        let stream = AsyncPieces {
            data: input.clone(),
        };
        let machine = WsConnection::accepted_server(WsConfig::default(), None);
        let mut conn = wirestate::TokioConnection::new(stream, machine);
        let mut frames = 0;
        loop {
            let event = conn
                .next_event_with(|ws| {
                    frames += ws.for_each_message(|m| {
                        black_box(m.payload());
                        ControlFlow::Continue(())
                    });
                })
                .await;
            match event {
                Some(Ok(WsEvent::Message(m))) => {
                    black_box(m.payload());
                    frames += 1;
                }
                // The input ends without a close frame.
                Some(Err(_)) | None => return frames,
                Some(Ok(other)) => panic!("expected a message, got {other:?}"),
            }
        }
    })
}

fn decode(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let now = Instant::now();
    let mut group = c.benchmark_group("ws_server_decode");
    group
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    for (label, size) in [
        ("16B", 16),
        ("1KiB", 1 << 10),
        ("64KiB", 64 << 10),
        ("1MiB", 1 << 20),
    ] {
        let (input, count) = client_frames(size);
        // All three must see every frame.
        assert_eq!(wirestate_decode(&input, now), count);
        assert_eq!(wirestate_borrowed_decode(&input, now), count);
        assert_eq!(tungstenite_decode(&input, count), count);
        assert_eq!(tungstenite_frames_decode(&input), count);
        assert_eq!(fastwebsockets_decode(&rt, &input, count), count);
        #[cfg(feature = "tokio")]
        assert_eq!(wirestate_tokio_decode(&rt, &input, count, PIECE), count);
        #[cfg(feature = "tokio")]
        assert_eq!(wirestate_tokio_borrowed_decode(&rt, &input), count);
        group.throughput(Throughput::Elements(count as u64));
        group.bench_with_input(BenchmarkId::new("wirestate", label), &input, |b, input| {
            b.iter(|| wirestate_decode(input, now))
        });
        group.bench_with_input(
            BenchmarkId::new("wirestate_borrowed", label),
            &input,
            |b, input| b.iter(|| wirestate_borrowed_decode(input, now)),
        );
        #[cfg(feature = "tokio")]
        group.bench_with_input(
            BenchmarkId::new("wirestate_tokio", label),
            &input,
            |b, input| b.iter(|| wirestate_tokio_decode(&rt, input, count, DEFAULT_READ_SIZE)),
        );
        #[cfg(feature = "tokio")]
        group.bench_with_input(
            BenchmarkId::new("wirestate_tokio_borrowed", label),
            &input,
            |b, input| b.iter(|| wirestate_tokio_borrowed_decode(&rt, input)),
        );
        #[cfg(feature = "tokio")]
        group.bench_with_input(
            BenchmarkId::new("wirestate_tokio_read64k", label),
            &input,
            |b, input| b.iter(|| wirestate_tokio_decode(&rt, input, count, PIECE)),
        );
        group.bench_with_input(
            BenchmarkId::new("tungstenite", label),
            &input,
            |b, input| b.iter(|| tungstenite_decode(input, count)),
        );
        group.bench_with_input(
            BenchmarkId::new("tungstenite_frames", label),
            &input,
            |b, input| b.iter(|| tungstenite_frames_decode(input)),
        );
        group.bench_with_input(BenchmarkId::new("memcpy", label), &input, |b, input| {
            b.iter(|| memcpy_floor(input, size))
        });
        group.bench_with_input(
            BenchmarkId::new("fastwebsockets", label),
            &input,
            |b, input| b.iter(|| fastwebsockets_decode(&rt, input, count)),
        );
    }
    group.finish();
}

fn unmask(c: &mut Criterion) {
    let mut group = c.benchmark_group("ws_unmask");
    group
        .sample_size(30)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    let mut data = vec![0x5Au8; 64 << 10];
    group.throughput(Throughput::Bytes(data.len() as u64));
    let key = [0x37, 0xfa, 0x21, 0x3d];
    for offset in [0usize, 3] {
        group.bench_function(BenchmarkId::new("apply_mask_64KiB", offset), |b| {
            b.iter(|| apply_mask(black_box(&mut data), key, offset))
        });
    }
    // Unmasking while copying, as `handle_input` does.
    let source = data.clone();
    group.bench_function("copy_masked_64KiB", |b| {
        b.iter(|| copy_masked(black_box(&mut data), black_box(&source), key, 0))
    });
    group.bench_function("fastwebsockets_unmask_64KiB", |b| {
        b.iter(|| fastwebsockets::unmask(black_box(&mut data), key))
    });
    group.bench_function("bytewise_64KiB", |b| {
        b.iter(|| {
            for (i, byte) in black_box(&mut data).iter_mut().enumerate() {
                *byte ^= key[i % 4];
            }
        })
    });
    group.finish();
}

criterion_group!(benches, decode, unmask);
criterion_main!(benches);
