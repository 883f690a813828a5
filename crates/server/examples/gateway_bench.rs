//! Rough throughput and memory of the gateway (a measurement, not a test):
//!
//! ```text
//! cargo run --release -p wirestate-server --example gateway_bench -- local [SUBSCRIBERS] [MESSAGES]
//! cargo run --release -p wirestate-server --example gateway_bench -- redis redis://127.0.0.1:6379 [SUBSCRIBERS] [MESSAGES]
//! cargo run --release -p wirestate-server --example gateway_bench -- idle [SUBSCRIBERS]
//! ```
//!
//! `local`: one gateway with the in-process bus; one publisher sends
//! MESSAGES lines of 64 bytes, SUBSCRIBERS WebSocket clients (default 100)
//! on the same channel receive them all. `redis`: the publisher on gateway
//! A, the subscribers on gateway B, both on the Redis bus (two gateways in
//! this process, so every message crosses Redis). Prints messages/s
//! published and frames/s delivered. `idle`: the growth of resident memory
//! over SUBSCRIBERS (default 1000) idle subscribers, per subscriber. The
//! clients run in the same process (and on the same cores) as the gateway.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use wirestate_core::SeededRandom;
use wirestate_server::gateway::{self, Bus, GatewayConfig, LocalBus, RedisBus};
use wirestate_server::{ServerLimits, Shutdown};
use wirestate_tokio::Connection;
use wirestate_websocket::{WsConfig, WsConnection, WsEvent};

type Addrs = (std::net::SocketAddr, std::net::SocketAddr);

/// Starts a gateway on `bus` on free loopback ports: (TCP, WebSocket).
async fn start(bus: Arc<dyn Bus>) -> Addrs {
    let tcp = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let ws = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addrs = (tcp.local_addr().unwrap(), ws.local_addr().unwrap());
    let config = GatewayConfig {
        limits: ServerLimits {
            max_connections: 100_000,
            memory_budget: 1 << 30,
            ..ServerLimits::default()
        },
        // A burst to many subscribers must not cut the slower ones off.
        subscriber_budget: 256 << 20,
        ..GatewayConfig::default()
    };
    tokio::spawn(gateway::serve(tcp, ws, bus, config, Shutdown::never()));
    addrs
}

/// Connects to `/bench` and completes the upgrade.
async fn upgrade(ws: std::net::SocketAddr) -> TcpStream {
    let mut stream = TcpStream::connect(ws).await.unwrap();
    let request = "GET /bench HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
        Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        head.push(stream.read_u8().await.unwrap());
    }
    assert!(head.starts_with(b"HTTP/1.1 101"));
    stream
}

/// Runs `subscribers` clients on `ws` and one publisher on `tcp`.
async fn throughput(
    tcp: std::net::SocketAddr,
    ws: std::net::SocketAddr,
    subscribers: usize,
    messages: usize,
) {
    let mut done = Vec::new();
    for i in 0..subscribers {
        let stream = upgrade(ws).await;
        let machine =
            WsConnection::accepted_client(WsConfig::default(), None, SeededRandom::new(i as u64));
        let mut conn = Connection::new(stream, machine);
        done.push(tokio::spawn(async move {
            let mut got = 0;
            while got < messages {
                match conn.next_event().await {
                    Some(Ok(WsEvent::Message(_))) => got += 1,
                    Some(Ok(_)) => {}
                    other => panic!("subscriber ended after {got}: {other:?}"),
                }
            }
        }));
    }
    // Let Redis subscriptions settle.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let payload = "x".repeat(57);
    let lines: String = (0..messages)
        .map(|i| format!("bench {i:06}{payload}\n"))
        .collect();
    let started = Instant::now();
    let mut publisher = TcpStream::connect(tcp).await.unwrap();
    publisher.write_all(lines.as_bytes()).await.unwrap();
    for task in done {
        task.await.unwrap();
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "{messages} messages of 64 bytes to {subscribers} subscribers in {secs:.3} s: \
         {:.0} messages/s published, {:.0} frames/s delivered",
        messages as f64 / secs,
        (messages * subscribers) as f64 / secs
    );
}

/// Resident memory of this process, in bytes.
fn rss() -> usize {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap();
    let pages: usize = statm.split_whitespace().nth(1).unwrap().parse().unwrap();
    pages * 4096
}

async fn idle(subscribers: usize) {
    let bus = Arc::new(LocalBus::new());
    let (_, ws) = start(bus.clone()).await;
    // Warm up the runtime and allocator with a few.
    let mut kept = Vec::new();
    for _ in 0..10 {
        kept.push(upgrade(ws).await);
    }
    let before = rss();
    for _ in 0..subscribers {
        kept.push(upgrade(ws).await);
    }
    while bus.subscribers() < subscribers + 10 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let grown = rss().saturating_sub(before);
    println!(
        "{subscribers} idle subscribers: resident memory +{} KiB, {:.1} KiB per subscriber",
        grown / 1024,
        grown as f64 / 1024.0 / subscribers as f64
    );
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let number = |i: usize, default: usize| args.get(i).map_or(default, |n| n.parse().unwrap());
    match args.first().map(String::as_str) {
        Some("local") => {
            let (tcp, ws) = start(Arc::new(LocalBus::new())).await;
            throughput(tcp, ws, number(1, 100), number(2, 20_000)).await;
        }
        Some("redis") => {
            let url = args.get(1).expect("redis URL");
            let prefix = format!("bench{}:", std::process::id());
            let (tcp, _) = start(Arc::new(RedisBus::start(url, &prefix).unwrap())).await;
            let (_, ws) = start(Arc::new(RedisBus::start(url, &prefix).unwrap())).await;
            throughput(tcp, ws, number(2, 100), number(3, 20_000)).await;
        }
        Some("idle") => idle(number(1, 1000)).await,
        _ => eprintln!("usage: gateway_bench local|redis URL|idle [SUBSCRIBERS] [MESSAGES]"),
    }
}
