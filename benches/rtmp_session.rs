//! Relay cost: one 10 KB video message sent to N players, each a
//! ServerSession in the playing state, next to rml_rtmp's ServerSession
//! doing the same (`send_video_data`) in the same run.
//!
//! `wirestate` cuts the message into chunks for each player (the payload
//! copied behind its chunk headers); `wirestate_shared` is what the relay
//! does (`send_video_shared`): the chunks are encoded once and every player
//! in the same chunk state sends the same `Bytes`. rml_rtmp serializes each
//! message into a new buffer per player.
//!
//! ```text
//! cargo bench -p wirestate --no-default-features --features rtmp --bench rtmp_session
//! ```

use std::time::Instant;

use bytes::Bytes;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use wirestate::rtmp::chunk::SharedChunks;
use wirestate::rtmp::session::{ClientConfig, ClientSession, ServerConfig, ServerSession};
use wirestate_core::{Machine, SeededRandom};

const MESSAGE_LEN: usize = 10_000;

/// A server session whose client has connected and plays stream 1.
fn playing_session() -> ServerSession {
    let now = Instant::now();
    let config = ServerConfig {
        auto_accept: true,
        ..ServerConfig::default()
    };
    let mut server = ServerSession::new(config, SeededRandom::new(1), now);
    let config = ClientConfig::new("live", "rtmp://127.0.0.1/live");
    let mut client = ClientSession::new(config, SeededRandom::new(2), now);
    client.play("key");
    for _ in 0..10 {
        while let Some(bytes) = client.poll_transmit() {
            server.handle_input(&bytes, now);
        }
        while let Some(event) = server.poll_event() {
            event.unwrap();
        }
        while let Some(bytes) = server.poll_transmit() {
            client.handle_input(&bytes, now);
        }
        while client.poll_event().is_some() {}
    }
    server
}

fn rml_session() -> rml_rtmp::sessions::ServerSession {
    let config = rml_rtmp::sessions::ServerSessionConfig::new();
    rml_rtmp::sessions::ServerSession::new(config).unwrap().0
}

fn video() -> Bytes {
    let mut payload = vec![0x27, 0x01, 0, 0, 0];
    payload.extend((0..MESSAGE_LEN - 5).map(|i| (i * 13) as u8));
    Bytes::from(payload)
}

fn fan_out(c: &mut Criterion) {
    let payload = video();
    let mut group = c.benchmark_group("rtmp_relay_10kB_video");
    for players in [1usize, 10, 100] {
        group.throughput(Throughput::Elements(players as u64));

        let mut ours: Vec<ServerSession> = (0..players).map(|_| playing_session()).collect();
        let mut timestamp = 0u32;
        group.bench_with_input(BenchmarkId::new("wirestate", players), &players, |b, _| {
            b.iter(|| {
                timestamp = timestamp.wrapping_add(33);
                let mut sent = 0;
                for session in &mut ours {
                    session.send_video(1, timestamp, payload.clone()).unwrap();
                    while let Some(piece) = session.poll_transmit() {
                        sent += piece.len();
                    }
                }
                std::hint::black_box(sent)
            })
        });

        let mut shared: Vec<ServerSession> = (0..players).map(|_| playing_session()).collect();
        let mut timestamp = 0u32;
        let id = BenchmarkId::new("wirestate_shared", players);
        group.bench_with_input(id, &players, |b, _| {
            b.iter(|| {
                timestamp = timestamp.wrapping_add(33);
                let chunks = SharedChunks::default();
                let mut sent = 0;
                for session in &mut shared {
                    session
                        .send_video_shared(1, timestamp, payload.clone(), &chunks)
                        .unwrap();
                    while let Some(piece) = session.poll_transmit() {
                        sent += piece.len();
                    }
                }
                std::hint::black_box(sent)
            })
        });

        let mut theirs: Vec<_> = (0..players).map(|_| rml_session()).collect();
        let mut timestamp = 0u32;
        group.bench_with_input(BenchmarkId::new("rml_rtmp", players), &players, |b, _| {
            b.iter(|| {
                timestamp = timestamp.wrapping_add(33);
                let mut sent = 0;
                for session in &mut theirs {
                    let packet = session
                        .send_video_data(
                            1,
                            payload.clone(),
                            rml_rtmp::time::RtmpTimestamp::new(timestamp),
                            false,
                        )
                        .unwrap();
                    sent += packet.bytes.len();
                }
                std::hint::black_box(sent)
            })
        });
    }
    group.finish();
}

criterion_group!(benches, fan_out);
criterion_main!(benches);
