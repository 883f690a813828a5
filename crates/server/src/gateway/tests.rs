//! The buses on their own, and the gateway in-process over loopback
//! sockets.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use wirestate_core::SeededRandom;
use wirestate_tokio::Connection;
use wirestate_websocket::{Message, WsConfig, WsConnection, WsEvent};

use super::*;
use crate::ShutdownTrigger;

const BOUND: Duration = Duration::from_secs(20);

/// Waits (bounded) until `condition` holds.
async fn until(mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + BOUND;
    while !condition() {
        assert!(Instant::now() < deadline, "condition not met in time");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[tokio::test]
async fn the_local_bus_delivers_in_order_to_the_channels_subscribers_only() {
    let bus = LocalBus::new();
    let mut first = bus.subscribe("game1", 1 << 20);
    let mut second = bus.subscribe("game1", 1 << 20);
    let mut other = bus.subscribe("game2", 1 << 20);
    for i in 0..100 {
        bus.publish("game1", Bytes::from(format!("{i}")));
    }
    bus.publish("nobody", Bytes::from_static(b"lost"));
    for sub in [&mut first, &mut second] {
        for i in 0..100 {
            assert_eq!(sub.recv().await.unwrap(), format!("{i}"));
        }
        assert_eq!(sub.try_recv(), None);
        assert_eq!(sub.queued(), 0);
    }
    assert_eq!(other.try_recv(), None);
    assert_eq!(bus.subscribers(), 3);
    drop((first, second));
    assert_eq!(bus.subscribers(), 1);
}

#[tokio::test]
async fn a_subscriber_past_its_budget_is_cut_off_as_too_slow() {
    let bus = LocalBus::new();
    let mut slow = bus.subscribe("c", 10);
    let mut fast = bus.subscribe("c", 1 << 20);
    bus.publish("c", Bytes::from_static(b"12345"));
    bus.publish("c", Bytes::from_static(b"12345"));
    assert!(!slow.is_too_slow());
    bus.publish("c", Bytes::from_static(b"x"));
    assert!(slow.is_too_slow());
    // Only the fast one is left on the channel.
    assert_eq!(bus.subscribers(), 1);
    bus.publish("c", Bytes::from_static(b"y"));
    for expected in ["12345", "12345", "x", "y"] {
        assert_eq!(fast.recv().await.unwrap(), expected);
    }
    // The slow one's queue ends after what it had.
    assert_eq!(slow.recv().await.unwrap(), "12345");
    assert_eq!(slow.recv().await.unwrap(), "12345");
    assert_eq!(slow.recv().await, None);
}

#[tokio::test]
async fn past_the_hubs_limit_subscribers_with_a_backlog_are_cut_off() {
    let bus = LocalBus::with_limit(10);
    let behind = bus.subscribe("c", 1 << 20);
    let mut keeping_up = bus.subscribe("c", 1 << 20);
    bus.publish("c", Bytes::from_static(b"1234"));
    assert_eq!(keeping_up.recv().await.unwrap(), "1234");
    bus.publish("c", Bytes::from_static(b"5678"));
    assert_eq!(keeping_up.recv().await.unwrap(), "5678");
    assert_eq!(bus.queued(), 8);
    // 8 queued (all for `behind`) + 3 > 10: `behind` is cut, the other gets it.
    bus.publish("c", Bytes::from_static(b"abc"));
    assert!(behind.is_too_slow());
    assert!(!keeping_up.is_too_slow());
    assert_eq!(keeping_up.recv().await.unwrap(), "abc");
    assert_eq!(bus.subscribers(), 1);
    drop(behind);
    assert_eq!(bus.queued(), 0);
}

#[test]
fn lines_split_into_channel_and_payload() {
    let line = Bytes::from_static(b"game1 a b c");
    let (channel, payload) = split_line(&line).unwrap();
    assert_eq!((channel, &payload[..]), ("game1", &b"a b c"[..]));
    let empty = Bytes::from_static(b"c ");
    let (channel, payload) = split_line(&empty).unwrap();
    assert_eq!((channel, payload.len()), ("c", 0));
    assert!(split_line(&Bytes::from_static(b"nospace")).is_none());
    assert!(split_line(&Bytes::from_static(b" payload")).is_none());
}

#[tokio::test]
async fn without_redis_the_redis_bus_delivers_locally_and_counts_what_it_did_not_send() {
    // Nothing listens on a port we bound and closed.
    let port = TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let bus = RedisBus::start(&format!("redis://127.0.0.1:{port}"), "t:").unwrap();
    let mut sub = bus.subscribe("game1", 1 << 20);
    bus.publish("game1", Bytes::from_static(b"still here"));
    assert_eq!(sub.recv().await.unwrap(), "still here");
    until(|| bus.unsent() == 1).await;
    assert!(RedisBus::start("http://nope", "t:").is_err());
}

/// A gateway on free loopback ports with an in-process bus.
struct Running {
    tcp: std::net::SocketAddr,
    ws: std::net::SocketAddr,
    bus: Arc<LocalBus>,
    _trigger: ShutdownTrigger,
}

async fn start(config: GatewayConfig) -> Running {
    let tcp = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let ws = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let (tcp_addr, ws_addr) = (tcp.local_addr().unwrap(), ws.local_addr().unwrap());
    let bus = Arc::new(LocalBus::new());
    let (trigger, shutdown) = Shutdown::new();
    tokio::spawn(serve(tcp, ws, bus.clone(), config, shutdown));
    Running {
        tcp: tcp_addr,
        ws: ws_addr,
        bus,
        _trigger: trigger,
    }
}

/// Subscribes to `path`: the upgrade done, our client machine on the driver.
async fn subscribe(addr: std::net::SocketAddr, path: &str) -> Connection<WsConnection, TcpStream> {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        let byte = tokio::time::timeout(BOUND, stream.read_u8()).await;
        head.push(byte.unwrap().unwrap());
    }
    assert!(head.starts_with(b"HTTP/1.1 101"), "{head:?}");
    let machine = WsConnection::accepted_client(WsConfig::default(), None, SeededRandom::new(5));
    Connection::new(stream, machine)
}

#[tokio::test]
async fn publishers_lines_reach_subscribers_as_text_or_binary() {
    let gw = start(GatewayConfig::default()).await;
    let mut sub = subscribe(gw.ws, "/room").await;
    let mut publisher = TcpStream::connect(gw.tcp).await.unwrap();
    publisher
        .write_all(b"room hello world\r\nnoise x\nroom \xc3\x28\n")
        .await
        .unwrap();
    let mut got = Vec::new();
    while got.len() < 2 {
        match tokio::time::timeout(BOUND, sub.next_event()).await.unwrap() {
            Some(Ok(WsEvent::Message(message))) => got.push(message),
            other => panic!("{other:?}"),
        }
    }
    assert!(matches!(&got[0], Message::Text(t) if t.as_str() == "hello world"));
    assert!(matches!(&got[1], Message::Binary(b) if b[..] == b"\xc3\x28"[..]));
}

#[tokio::test]
async fn a_subscriber_that_does_not_read_is_closed_with_1008() {
    let config = GatewayConfig {
        subscriber_budget: 64 << 10,
        ..GatewayConfig::default()
    };
    let gw = start(config).await;
    let mut sub = subscribe(gw.ws, "/flood").await;
    let mut publisher = TcpStream::connect(gw.tcp).await.unwrap();
    let line = format!("flood {}\n", "z".repeat(32 << 10));
    let bus = gw.bus.clone();
    // The subscriber reads nothing until the gateway cut it off.
    let flood = tokio::spawn(async move {
        while bus.subscribers() > 0 {
            publisher.write_all(line.as_bytes()).await.unwrap();
        }
    });
    tokio::time::timeout(BOUND, flood).await.unwrap().unwrap();
    let close = loop {
        match tokio::time::timeout(BOUND, sub.next_event()).await.unwrap() {
            Some(Ok(WsEvent::Close(close))) => break close,
            Some(Ok(_)) => {}
            other => panic!("{other:?}"),
        }
    };
    assert_eq!(close.map(|c| c.code), Some(CLOSE_TOO_SLOW));
}

#[tokio::test]
async fn subscribers_need_a_channel_and_the_token() {
    let config = GatewayConfig {
        auth_token: Some(crate::auth::AccessToken::new("tok")),
        ..GatewayConfig::default()
    };
    let gw = start(config).await;
    for (path, status) in [("/c", "401"), ("/?token=tok", "404")] {
        let mut stream = TcpStream::connect(gw.ws).await.unwrap();
        let request = format!(
            "GET {path} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        );
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut answer = Vec::new();
        let read = tokio::time::timeout(BOUND, stream.read_to_end(&mut answer)).await;
        read.unwrap().unwrap();
        let answer = String::from_utf8_lossy(&answer);
        assert!(
            answer.starts_with(&format!("HTTP/1.1 {status}")),
            "{answer}"
        );
    }
    let _ok = subscribe(gw.ws, "/c?token=tok").await;
    until(|| gw.bus.subscribers() == 1).await;
}
