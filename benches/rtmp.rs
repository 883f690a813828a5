//! RTMP chunk-stream decoding throughput, next to rml_rtmp's
//! `ChunkDeserializer` on the same bytes: the chunk decoder alone
//! (`rtmp_chunk_decode`), and the whole connection, from input buffer to
//! typed messages (`rtmp_connection_decode`: `RtmpConnection` after the
//! handshake, against `ChunkDeserializer` plus `to_rtmp_message`).
//!
//! Streams of 4 KiB and 100 KiB video messages, chunked at 128 and 4096
//! bytes (announced by a SetChunkSize message at the start), fed in 64 KiB
//! pieces the way a socket read loop would.
//!
//! ```text
//! cargo bench -p wirestate --no-default-features --features rtmp --bench rtmp
//! ```

use std::time::Instant;

use bytes::{Bytes, BytesMut};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use wirestate::rtmp::chunk::{ChunkDecoder, ChunkEncoder, RawMessage};
use wirestate::rtmp::message::Message;
use wirestate::rtmp::{Role, RtmpConfig, RtmpConnection, RtmpEvent};
use wirestate_core::{Machine, SeededRandom};

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

/// A server connection past the handshake with a client.
fn established() -> RtmpConnection {
    let now = Instant::now();
    let config = RtmpConfig::default();
    let mut server = RtmpConnection::new(Role::Server, config.clone(), SeededRandom::new(1));
    let mut client = RtmpConnection::new(Role::Client, config, SeededRandom::new(2));
    for _ in 0..4 {
        while let Some(bytes) = client.poll_transmit() {
            server.handle_input(&bytes, now);
        }
        while let Some(bytes) = server.poll_transmit() {
            client.handle_input(&bytes, now);
        }
        while server.poll_event().is_some() {}
        while client.poll_event().is_some() {}
    }
    server
}

/// Typed messages out of the connection, read the way the drivers read:
/// straight into its input buffer.
fn connection_wirestate(wire: &[u8]) -> usize {
    let now = Instant::now();
    let mut connection = established();
    let mut videos = 0;
    for piece in wire.chunks(READ_SIZE) {
        connection.input_buffer().extend_from_slice(piece);
        connection.handle_buffered_input(now);
        while let Some(event) = connection.poll_event() {
            if let RtmpEvent::Message(event) = event.unwrap() {
                if let Message::Video(video) = &event.message {
                    videos += 1;
                    std::hint::black_box(video);
                }
            }
        }
        while connection.poll_transmit().is_some() {}
    }
    videos
}

fn connection_rml(wire: &[u8]) -> usize {
    use rml_rtmp::messages::RtmpMessage;
    let mut decoder = rml_rtmp::chunk_io::ChunkDeserializer::new();
    let mut videos = 0;
    for piece in wire.chunks(READ_SIZE) {
        let mut bytes = piece;
        while let Some(payload) = decoder.get_next_message(bytes).unwrap() {
            bytes = &[];
            match payload.to_rtmp_message().unwrap() {
                RtmpMessage::SetChunkSize { size } => {
                    decoder.set_max_chunk_size(size as usize).unwrap();
                }
                message @ RtmpMessage::VideoData { .. } => {
                    videos += 1;
                    std::hint::black_box(&message);
                }
                _ => {}
            }
        }
    }
    videos
}

fn connection_decode(c: &mut Criterion) {
    let mut group = c.benchmark_group("rtmp_connection_decode");
    for message_len in [4 << 10, 100 << 10] {
        for chunk_size in [128u32, 4096] {
            let (wire, count) = stream(message_len, chunk_size);
            assert_eq!(connection_wirestate(&wire), count - 1);
            assert_eq!(connection_rml(&wire), count - 1);
            group.throughput(Throughput::Bytes(wire.len() as u64));
            let case = format!("{}KiB_chunk{chunk_size}", message_len >> 10);
            group.bench_with_input(BenchmarkId::new("wirestate", &case), &wire, |b, wire| {
                b.iter(|| connection_wirestate(wire))
            });
            group.bench_with_input(BenchmarkId::new("rml_rtmp", &case), &wire, |b, wire| {
                b.iter(|| connection_rml(wire))
            });
        }
    }
    group.finish();
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

criterion_group!(benches, chunk_decode, connection_decode);
criterion_main!(benches);
