//! RTMP chunk-stream decoding throughput, next to rml_rtmp's
//! `ChunkDeserializer` on the same bytes.
//!
//! Streams of 4 KiB and 100 KiB video messages, chunked at 128 and 4096
//! bytes (announced by a SetChunkSize message at the start), fed in 64 KiB
//! pieces the way a socket read loop would.
//!
//! ```text
//! cargo bench -p wirestate --no-default-features --features rtmp --bench rtmp
//! ```

use bytes::{Bytes, BytesMut};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use wirestate::rtmp::chunk::{ChunkDecoder, ChunkEncoder, RawMessage};

/// About 4 MiB of chunk stream per case.
const STREAM_BYTES: usize = 4 << 20;
const READ_SIZE: usize = 64 << 10;

/// A SetChunkSize message, then video messages of `message_len` bytes on
/// csid 6 with 33 ms between them, all cut at `chunk_size`.
fn stream(message_len: usize, chunk_size: u32) -> (Vec<u8>, usize) {
    let mut encoder = ChunkEncoder::default();
    let mut pieces: Vec<Bytes> = Vec::new();
    let set = RawMessage {
        csid: 2,
        timestamp: 0,
        type_id: 1,
        stream_id: 0,
        payload: Bytes::copy_from_slice(&chunk_size.to_be_bytes()),
    };
    encoder.encode(&set, &mut pieces).unwrap();
    encoder.set_chunk_size(chunk_size).unwrap();
    let count = STREAM_BYTES / message_len;
    let payload: Bytes = (0..message_len)
        .map(|i| (i * 7) as u8)
        .collect::<Vec<u8>>()
        .into();
    for i in 0..count {
        let video = RawMessage {
            csid: 6,
            timestamp: i as u32 * 33,
            type_id: 9,
            stream_id: 1,
            payload: payload.clone(),
        };
        encoder.encode(&video, &mut pieces).unwrap();
    }
    (pieces.concat(), count + 1)
}

fn decode_wirestate(wire: &[u8]) -> usize {
    let mut decoder = ChunkDecoder::default();
    let mut input = BytesMut::new();
    let mut messages = 0;
    for piece in wire.chunks(READ_SIZE) {
        input.extend_from_slice(piece);
        while let Some(message) = decoder.decode(&mut input).unwrap() {
            messages += 1;
            std::hint::black_box(&message.payload);
        }
    }
    messages
}

fn decode_rml(wire: &[u8]) -> usize {
    let mut decoder = rml_rtmp::chunk_io::ChunkDeserializer::new();
    let mut messages = 0;
    for piece in wire.chunks(READ_SIZE) {
        let mut bytes = piece;
        while let Some(message) = decoder.get_next_message(bytes).unwrap() {
            bytes = &[];
            messages += 1;
            if message.type_id == 1 {
                // rml_rtmp leaves applying SetChunkSize to its caller.
                let size = u32::from_be_bytes(message.data[..4].try_into().unwrap());
                decoder.set_max_chunk_size(size as usize).unwrap();
            }
            std::hint::black_box(&message.data);
        }
    }
    messages
}

fn chunk_decode(c: &mut Criterion) {
    let mut group = c.benchmark_group("rtmp_chunk_decode");
    for message_len in [4 << 10, 100 << 10] {
        for chunk_size in [128u32, 4096] {
            let (wire, count) = stream(message_len, chunk_size);
            assert_eq!(decode_wirestate(&wire), count);
            assert_eq!(decode_rml(&wire), count);
            group.throughput(Throughput::Bytes(wire.len() as u64));
            let case = format!("{}KiB_chunk{chunk_size}", message_len >> 10);
            group.bench_with_input(BenchmarkId::new("wirestate", &case), &wire, |b, wire| {
                b.iter(|| decode_wirestate(wire))
            });
            group.bench_with_input(BenchmarkId::new("rml_rtmp", &case), &wire, |b, wire| {
                b.iter(|| decode_rml(wire))
            });
        }
    }
    group.finish();
}

criterion_group!(benches, chunk_decode);
criterion_main!(benches);
