//! The tokio driver's read and write paths next to tokio-util's `Framed`
//! with `LengthDelimitedCodec`, on the same `{packet,4}` traffic (4096 frames
//! of 1 KiB): reads over an in-memory pipe, writes over the pipe (which has no
//! vectored writes) and over loopback TCP (which has).
//!
//! ```text
//! cargo bench -p wirestate-tokio --bench throughput
//! ```

use bytes::{BufMut, Bytes, BytesMut};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_util::codec::{FramedRead, FramedWrite, LengthDelimitedCodec};
use wirestate_length::{LengthCommand, LengthConfig, LengthConnection, LengthEvent};
use wirestate_tokio::Connection;

const FRAMES: usize = 4096;
const PAYLOAD: usize = 1024;
const PIPE: usize = 64 * 1024;

fn wire() -> Bytes {
    let mut wire = BytesMut::new();
    for i in 0..FRAMES {
        wire.put_u32(PAYLOAD as u32);
        wire.put_bytes((i % 251) as u8, PAYLOAD);
    }
    wire.freeze()
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

/// A pipe whose other end a task fills with `wire`, then closes.
fn peer_sending(wire: Bytes) -> (tokio::io::DuplexStream, tokio::task::JoinHandle<()>) {
    let (mut tx, rx) = tokio::io::duplex(PIPE);
    let writer = tokio::spawn(async move {
        tx.write_all(&wire).await.unwrap();
        tx.shutdown().await.unwrap();
    });
    (rx, writer)
}

fn read(c: &mut Criterion) {
    let wire = wire();
    let rt = runtime();
    let mut group = c.benchmark_group("tokio_read_packet4_1k");
    group.throughput(Throughput::Bytes(wire.len() as u64));

    group.bench_function("wirestate_tokio", |b| {
        b.iter(|| {
            rt.block_on(async {
                let (rx, writer) = peer_sending(wire.clone());
                let mut conn = Connection::new(rx, LengthConnection::new(LengthConfig::erlang(4)));
                let mut frames = 0;
                while let Some(event) = conn.next_event().await {
                    let LengthEvent::Frame(frame) = event.unwrap() else {
                        unreachable!()
                    };
                    assert_eq!(frame.len(), PAYLOAD);
                    frames += 1;
                }
                writer.await.unwrap();
                assert_eq!(frames, FRAMES);
            })
        })
    });

    group.bench_function("tokio_util_framed", |b| {
        b.iter(|| {
            rt.block_on(async {
                let (rx, writer) = peer_sending(wire.clone());
                let mut framed = FramedRead::new(rx, LengthDelimitedCodec::new());
                let mut frames = 0;
                while let Some(frame) = framed.next().await {
                    assert_eq!(frame.unwrap().len(), PAYLOAD);
                    frames += 1;
                }
                writer.await.unwrap();
                assert_eq!(frames, FRAMES);
            })
        })
    });
    group.finish();
}

/// A connected pair: the in-memory pipe (no vectored writes) or loopback
/// TCP (vectored writes).
async fn pair(
    tcp: bool,
) -> (
    Box<dyn AsyncWriteUnpin>,
    Box<dyn tokio::io::AsyncRead + Unpin + Send>,
) {
    if tcp {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, rx) = tokio::join!(tokio::net::TcpStream::connect(addr), listener.accept());
        (Box::new(tx.unwrap()), Box::new(rx.unwrap().0))
    } else {
        let (tx, rx) = tokio::io::duplex(PIPE);
        (Box::new(tx), Box::new(rx))
    }
}

/// A task that reads `rx` to the end and returns how many bytes came.
fn peer_receiving(
    mut rx: Box<dyn tokio::io::AsyncRead + Unpin + Send>,
) -> tokio::task::JoinHandle<usize> {
    tokio::spawn(async move {
        let mut sink = Vec::new();
        rx.read_to_end(&mut sink).await.unwrap();
        sink.len()
    })
}

trait AsyncWriteUnpin: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send {}
impl<T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send> AsyncWriteUnpin for T {}

fn write(c: &mut Criterion) {
    for (name, tcp) in [("pipe", false), ("tcp", true)] {
        write_over(c, name, tcp);
    }
}

fn write_over(c: &mut Criterion, name: &str, tcp: bool) {
    let payloads: Vec<Bytes> = (0..FRAMES)
        .map(|i| Bytes::from(vec![(i % 251) as u8; PAYLOAD]))
        .collect();
    let total = (FRAMES * (PAYLOAD + 4)) as u64;
    let rt = runtime();
    let mut group = c.benchmark_group(format!("tokio_write_packet4_1k_{name}"));
    group.throughput(Throughput::Bytes(total));

    group.bench_function("wirestate_tokio", |b| {
        b.iter(|| {
            rt.block_on(async {
                let (tx, rx) = pair(tcp).await;
                let reader = peer_receiving(rx);
                let mut conn = Connection::new(tx, LengthConnection::new(LengthConfig::erlang(4)));
                for payload in &payloads {
                    // Queue without flushing; the sink's backpressure bounds it.
                    conn.feed(LengthCommand::Send(payload.clone()))
                        .await
                        .unwrap();
                }
                SinkExt::<LengthCommand>::close(&mut conn).await.unwrap();
                assert_eq!(reader.await.unwrap() as u64, total);
            })
        })
    });

    group.bench_function("tokio_util_framed", |b| {
        b.iter(|| {
            rt.block_on(async {
                let (tx, rx) = pair(tcp).await;
                let reader = peer_receiving(rx);
                let mut framed = FramedWrite::new(tx, LengthDelimitedCodec::new());
                for payload in &payloads {
                    framed.feed(payload.clone()).await.unwrap();
                }
                SinkExt::<Bytes>::close(&mut framed).await.unwrap();
                assert_eq!(reader.await.unwrap() as u64, total);
            })
        })
    });
    group.finish();
}

criterion_group!(benches, read, write);
criterion_main!(benches);
