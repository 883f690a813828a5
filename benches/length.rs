//! Decoding throughput of `wirestate-length` next to tokio-util's
//! `LengthDelimitedCodec` on the same input: `{packet,4}` frames of 16 B,
//! 256 B and 64 KiB, fed in 64 KiB pieces, counted in frames per second.

use std::hint::black_box;
use std::time::Instant;

use bytes::{BufMut, BytesMut};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use tokio_util::codec::{Decoder, LengthDelimitedCodec};
use wirestate::length::{LengthConfig, LengthConnection, LengthEvent};
use wirestate::Machine;

/// Bytes of input per iteration (rounded to whole frames).
const STREAM_BYTES: usize = 4 * 1024 * 1024;
/// The size of each piece handed to the decoder, like one socket read.
const PIECE: usize = 64 * 1024;

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

fn decode(c: &mut Criterion) {
    let mut group = c.benchmark_group("length_decode");
    for payload in [16usize, 256, 64 * 1024] {
        let (input, frames) = stream(payload);
        group.throughput(Throughput::Elements(frames));

        group.bench_with_input(
            BenchmarkId::new("wirestate", payload),
            &input,
            |b, input| {
                let now = Instant::now();
                b.iter(|| {
                    let mut machine = LengthConnection::new(LengthConfig::erlang(4));
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
            BenchmarkId::new("tokio_util", payload),
            &input,
            |b, input| {
                b.iter(|| {
                    let mut codec = LengthDelimitedCodec::builder()
                        .length_field_length(4)
                        .max_frame_length(8 * 1024 * 1024)
                        .new_codec();
                    let mut buf = BytesMut::new();
                    let mut count = 0u64;
                    for piece in input.chunks(PIECE) {
                        buf.extend_from_slice(piece);
                        while let Some(frame) = codec.decode(&mut buf).unwrap() {
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
