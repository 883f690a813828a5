//! Decoding throughput of `wirestate-lines` next to tokio-util's `LinesCodec`
//! and `AnyDelimiterCodec` on the same input: LF-terminated ASCII lines
//! averaging 40 bytes, and 1 KiB lines, fed in 64 KiB pieces, counted in
//! lines per second. `memchr_iter_slices` is the baseline: a `memchr_iter`
//! loop handing out borrowed slices of the same input, which
//! `wirestate_borrowed` (the machine's `for_each_line`) also does.

use std::hint::black_box;
use std::ops::ControlFlow;
use std::time::{Duration, Instant};

use bytes::{Buf, BytesMut};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use tokio_util::codec::{AnyDelimiterCodec, Decoder, LinesCodec};
use wirestate::lines::{LineCodec, LineConfig, LineConnection, LineEvent};
use wirestate::Machine;

/// Bytes of input per iteration (16 MiB rather than 64 MiB keeps a run short
/// on a shared machine; the per-line cost does not depend on the total).
const STREAM_BYTES: usize = 16 * 1024 * 1024;
/// The size of each piece handed to the decoders, like one socket read.
const PIECE: usize = 64 * 1024;
/// The line limit given to every decoder.
const MAX_LINE: usize = 64 * 1024;

/// Lines of `min..=max` letters (a fixed pseudo-random length each), each
/// ended by `\n`, filling about [`STREAM_BYTES`]; returns the stream and the
/// line count.
fn stream(min: usize, max: usize) -> (Vec<u8>, u64) {
    let mut out = Vec::with_capacity(STREAM_BYTES + max + 1);
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut lines = 0u64;
    while out.len() < STREAM_BYTES {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let len = min + (state as usize) % (max - min + 1);
        out.extend((0..len).map(|i| b'a' + ((i + lines as usize) % 26) as u8));
        out.push(b'\n');
        lines += 1;
    }
    (out, lines)
}

fn decode(c: &mut Criterion) {
    let mut group = c.benchmark_group("lines_decode");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(8));
    for (name, min, max) in [("avg40", 1usize, 79usize), ("1KiB", 1023, 1023)] {
        let (input, lines) = stream(min, max);
        group.throughput(Throughput::Elements(lines));

        group.bench_with_input(BenchmarkId::new("wirestate", name), &input, |b, input| {
            let now = Instant::now();
            b.iter(|| {
                let config = LineConfig::default().max_line(MAX_LINE).unwrap();
                let mut machine = LineConnection::new(config);
                let mut count = 0u64;
                for piece in input.chunks(PIECE) {
                    machine.handle_input(piece, now);
                    while let Some(event) = machine.poll_event() {
                        match event {
                            Ok(LineEvent::Line { bytes, .. }) => {
                                black_box(bytes);
                                count += 1;
                            }
                            other => panic!("unexpected {other:?}"),
                        }
                    }
                }
                assert_eq!(count, lines);
            });
        });

        group.bench_with_input(
            BenchmarkId::new("wirestate_borrowed", name),
            &input,
            |b, input| {
                let now = Instant::now();
                b.iter(|| {
                    let config = LineConfig::default().max_line(MAX_LINE).unwrap();
                    let mut machine = LineConnection::new(config);
                    let mut count = 0u64;
                    for piece in input.chunks(PIECE) {
                        machine.handle_input(piece, now);
                        let handed = machine.for_each_line(|line| {
                            black_box(line);
                            ControlFlow::Continue(())
                        });
                        count += handed as u64;
                        assert!(machine.poll_event().is_none());
                    }
                    assert_eq!(count, lines);
                });
            },
        );

        group.bench_with_input(
            BenchmarkId::new("codec_wirestate", name),
            &input,
            |b, input| {
                b.iter(|| {
                    let config = LineConfig::default().max_line(MAX_LINE).unwrap();
                    let mut codec = LineCodec::new(config);
                    let mut buf = BytesMut::new();
                    let mut count = 0u64;
                    for piece in input.chunks(PIECE) {
                        buf.extend_from_slice(piece);
                        while let Some(line) = codec.decode(&mut buf).unwrap() {
                            black_box(line);
                            count += 1;
                        }
                    }
                    assert_eq!(count, lines);
                });
            },
        );

        group.bench_with_input(
            BenchmarkId::new("tokio_util_lines", name),
            &input,
            |b, input| {
                b.iter(|| {
                    let mut codec = LinesCodec::new_with_max_length(MAX_LINE);
                    let mut buf = BytesMut::new();
                    let mut count = 0u64;
                    for piece in input.chunks(PIECE) {
                        buf.extend_from_slice(piece);
                        while let Some(line) = codec.decode(&mut buf).unwrap() {
                            black_box(line);
                            count += 1;
                        }
                    }
                    assert_eq!(count, lines);
                });
            },
        );

        group.bench_with_input(
            BenchmarkId::new("tokio_util_any_delimiter", name),
            &input,
            |b, input| {
                b.iter(|| {
                    let mut codec = AnyDelimiterCodec::new_with_max_length(
                        b"\n".to_vec(),
                        Vec::new(),
                        MAX_LINE,
                    );
                    let mut buf = BytesMut::new();
                    let mut count = 0u64;
                    for piece in input.chunks(PIECE) {
                        buf.extend_from_slice(piece);
                        while let Some(line) = codec.decode(&mut buf).unwrap() {
                            black_box(line);
                            count += 1;
                        }
                    }
                    assert_eq!(count, lines);
                });
            },
        );

        group.bench_with_input(
            BenchmarkId::new("memchr_iter_slices", name),
            &input,
            |b, input| {
                b.iter(|| {
                    let mut buf = BytesMut::new();
                    let mut count = 0u64;
                    for piece in input.chunks(PIECE) {
                        buf.extend_from_slice(piece);
                        let mut start = 0;
                        for end in memchr::memchr_iter(b'\n', &buf) {
                            black_box(&buf[start..end]);
                            count += 1;
                            start = end + 1;
                        }
                        buf.advance(start);
                    }
                    assert_eq!(count, lines);
                });
            },
        );
    }
    group.finish();
}

criterion_group!(benches, decode);
criterion_main!(benches);
