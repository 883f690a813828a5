//! The blocking driver's read path next to the classic blocking loop it
//! replaces (`read_exact` the header, `read_exact` the payload, through a
//! `BufReader`), on the same `{packet,4}` traffic (4096 frames of 1 KiB) over
//! a Unix socket pair fed by another thread.
//!
//! ```text
//! cargo bench -p wirestate-blocking --bench throughput
//! ```

use std::io::{BufReader, Read, Write};
use std::os::unix::net::UnixStream;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use wirestate_blocking::Connection;
use wirestate_length::{LengthConfig, LengthConnection, LengthEvent};

const FRAMES: usize = 4096;
const PAYLOAD: usize = 1024;

fn wire() -> Vec<u8> {
    let mut wire = Vec::with_capacity(FRAMES * (PAYLOAD + 4));
    for i in 0..FRAMES {
        wire.extend_from_slice(&(PAYLOAD as u32).to_be_bytes());
        wire.extend(std::iter::repeat_n((i % 251) as u8, PAYLOAD));
    }
    wire
}

/// A socket whose peer writes `wire`, then closes.
fn fed(wire: &'static [u8]) -> (UnixStream, std::thread::JoinHandle<()>) {
    let (ours, mut theirs) = UnixStream::pair().unwrap();
    let writer = std::thread::spawn(move || {
        theirs.write_all(wire).unwrap();
    });
    (ours, writer)
}

fn read(c: &mut Criterion) {
    let wire: &'static [u8] = Vec::leak(wire());
    let mut group = c.benchmark_group("blocking_read_packet4_1k");
    group.throughput(Throughput::Bytes(wire.len() as u64));

    group.bench_function("wirestate_blocking", |b| {
        b.iter(|| {
            let (socket, writer) = fed(wire);
            let mut conn = Connection::new(socket, LengthConnection::new(LengthConfig::erlang(4)));
            let mut frames = 0;
            while let Some(event) = conn.next_event() {
                let LengthEvent::Frame(frame) = event.unwrap() else {
                    unreachable!()
                };
                assert_eq!(frame.len(), PAYLOAD);
                frames += 1;
            }
            writer.join().unwrap();
            assert_eq!(frames, FRAMES);
        })
    });

    group.bench_function("read_exact_loop", |b| {
        b.iter(|| {
            let (socket, writer) = fed(wire);
            let mut reader = BufReader::new(socket);
            let mut frames = 0;
            let mut header = [0; 4];
            while reader.read_exact(&mut header).is_ok() {
                let len = u32::from_be_bytes(header) as usize;
                let mut frame = vec![0; len];
                reader.read_exact(&mut frame).unwrap();
                assert_eq!(frame.len(), PAYLOAD);
                frames += 1;
            }
            writer.join().unwrap();
            assert_eq!(frames, FRAMES);
        })
    });
    group.finish();
}

criterion_group!(benches, read);
criterion_main!(benches);
