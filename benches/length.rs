//! Decoding throughput of `wirestate-length` next to tokio-util's
//! `LengthDelimitedCodec` on the same input: `{packet,4}` frames of 16 B,
//! 256 B and 64 KiB, fed in 64 KiB pieces, counted in frames per second.
//!
//! `wirestate_borrowed` is the machine's borrowed fast path
//! (`for_each_frame`), which hands out `&[u8]` slices like `walk`.
//!
//! Besides the peer, two baselines bound what is possible: `walk` is a
//! hand-written loop (read the u32, slice the payload, advance) that hands
//! out borrowed slices, and `walk_bytes` the same loop cutting each frame off
//! as `Bytes` (what any decoder that hands out owned frames must do). The
//! `codec_*` ids run both codecs through tokio-util's `Decoder` and through a
//! `FramedRead` over an in-memory reader.

use std::hint::black_box;
use std::ops::ControlFlow;
use std::time::Instant;

use bytes::{Buf, BufMut, BytesMut};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use futures_util::StreamExt;
use tokio_util::codec::{Decoder, FramedRead, LengthDelimitedCodec};
use wirestate::length::{LengthCodec, LengthConfig, LengthConnection, LengthEvent};
use wirestate::Machine;

/// Bytes of input per iteration (rounded to whole frames).
const STREAM_BYTES: usize = 4 * 1024 * 1024;
/// The size of each piece handed to the decoder, like one socket read.
const PIECE: usize = 64 * 1024;
/// The frame limit given to every decoder.
const MAX_FRAME: usize = 8 * 1024 * 1024;

/// `{packet,4}` frames of `payload` bytes, enough to fill about
/// [`STREAM_BYTES`]; returns the stream and the frame count.
fn stream(payload: usize) -> (Vec<u8>, u64) {
    let frames = (STREAM_BYTES / (payload + 4)).max(1);
    let mut out = Vec::with_capacity(frames * (payload + 4));
    for i in 0..frames {
        out.put_u32(payload as u32);
        out.extend(std::iter::repeat_n(i as u8, payload));
    }
    (out, frames as u64)
}

fn tokio_util_codec() -> LengthDelimitedCodec {
    LengthDelimitedCodec::builder()
        .length_field_length(4)
        .max_frame_length(MAX_FRAME)
        .new_codec()
}

fn wirestate_codec() -> LengthCodec {
    LengthCodec::new(LengthConfig::erlang(4).max_frame_length(MAX_FRAME))
}

/// Feeds `input` to `codec` piece by piece through `Decoder::decode`;
/// returns the number of items.
fn run_decoder<D: Decoder>(mut codec: D, input: &[u8]) -> u64
where
    D::Error: std::fmt::Debug,
{
    let mut buf = BytesMut::new();
    let mut count = 0u64;
    for piece in input.chunks(PIECE) {
        buf.extend_from_slice(piece);
        while let Some(item) = codec.decode(&mut buf).unwrap() {
            black_box(item);
            count += 1;
        }
    }
    count
}

/// Reads `input` through a `FramedRead` with `codec` on a current-thread
/// runtime; returns the number of items.
fn run_framed<D: Decoder>(runtime: &tokio::runtime::Runtime, codec: D, input: &[u8]) -> u64
where
    D::Error: std::fmt::Debug,
{
    runtime.block_on(async {
        let mut framed = FramedRead::with_capacity(input, codec, PIECE);
        let mut count = 0u64;
        while let Some(item) = framed.next().await {
            black_box(item.unwrap());
            count += 1;
        }
        count
    })
}

fn decode(c: &mut Criterion) {
    let mut group = c.benchmark_group("length_decode");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime");
    for payload in [16usize, 256, 64 * 1024] {
        let (input, frames) = stream(payload);
        group.throughput(Throughput::Elements(frames));

        group.bench_with_input(
            BenchmarkId::new("wirestate", payload),
            &input,
            |b, input| {
                let now = Instant::now();
                b.iter(|| {
                    let config = LengthConfig::erlang(4).max_frame_length(MAX_FRAME);
                    let mut machine = LengthConnection::new(config);
                    let mut count = 0u64;
                    for piece in input.chunks(PIECE) {
                        machine.handle_input(piece, now);
                        while let Some(event) = machine.poll_event() {
                            match event {
                                Ok(LengthEvent::Frame(frame)) => {
                                    black_box(frame);
                                    count += 1;
                                }
                                other => panic!("unexpected {other:?}"),
                            }
                        }
                    }
                    assert_eq!(count, frames);
                });
            },
        );

        group.bench_with_input(
            BenchmarkId::new("wirestate_borrowed", payload),
            &input,
            |b, input| {
                let now = Instant::now();
                b.iter(|| {
                    let config = LengthConfig::erlang(4).max_frame_length(MAX_FRAME);
                    let mut machine = LengthConnection::new(config);
                    let mut count = 0u64;
                    for piece in input.chunks(PIECE) {
                        machine.handle_input(piece, now);
                        let handed = machine.for_each_frame(|frame| {
                            black_box(frame);
                            ControlFlow::Continue(())
                        });
                        count += handed as u64;
                        assert!(machine.poll_event().is_none());
                    }
                    assert_eq!(count, frames);
                });
            },
        );

        group.bench_with_input(
            BenchmarkId::new("tokio_util", payload),
            &input,
            |b, input| b.iter(|| assert_eq!(run_decoder(tokio_util_codec(), input), frames)),
        );

        group.bench_with_input(
            BenchmarkId::new("codec_wirestate", payload),
            &input,
            |b, input| b.iter(|| assert_eq!(run_decoder(wirestate_codec(), input), frames)),
        );

        group.bench_with_input(
            BenchmarkId::new("framed_wirestate", payload),
            &input,
            |b, input| {
                b.iter(|| assert_eq!(run_framed(&runtime, wirestate_codec(), input), frames))
            },
        );

        group.bench_with_input(
            BenchmarkId::new("framed_tokio_util", payload),
            &input,
            |b, input| {
                b.iter(|| assert_eq!(run_framed(&runtime, tokio_util_codec(), input), frames))
            },
        );

        group.bench_with_input(BenchmarkId::new("walk", payload), &input, |b, input| {
            b.iter(|| {
                let mut buf = BytesMut::new();
                let mut count = 0u64;
                for piece in input.chunks(PIECE) {
                    buf.extend_from_slice(piece);
                    let mut at = 0;
                    while let Some(header) = buf.get(at..at + 4) {
                        let len = u32::from_be_bytes(header.try_into().unwrap()) as usize;
                        let Some(frame) = buf.get(at + 4..at + 4 + len) else {
                            break;
                        };
                        black_box(frame);
                        count += 1;
                        at += 4 + len;
                    }
                    buf.advance(at);
                }
                assert_eq!(count, frames);
            });
        });

        group.bench_with_input(
            BenchmarkId::new("walk_bytes", payload),
            &input,
            |b, input| {
                b.iter(|| {
                    let mut buf = BytesMut::new();
                    let mut count = 0u64;
                    for piece in input.chunks(PIECE) {
                        buf.extend_from_slice(piece);
                        while buf.len() >= 4 {
                            let len = u32::from_be_bytes(buf[..4].try_into().unwrap()) as usize;
                            if buf.len() < 4 + len {
                                break;
                            }
                            let mut frame = buf.split_to(4 + len).freeze();
                            frame.advance(4);
                            black_box(frame);
                            count += 1;
                        }
                    }
                    assert_eq!(count, frames);
                });
            },
        );
    }
    group.finish();
}

criterion_group!(benches, decode);
criterion_main!(benches);
