//! Two `wirestate serve gateway --bus redis://` processes sharing channels
//! through a real redis-server (Debian's), started on a free loopback port
//! by tests/peers/redis.sh and stopped by PID. Run with
//! scripts/peer-tests.sh (installs redis-server first), or
//! `cargo test -p wirestate-cli --features peer-tests --test peer_gateway_redis`.
#![cfg(feature = "peer-tests")]

mod support;

use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::sync::mpsc::channel;

use support::{Server, WsClient, BOUND};
use wirestate_core::testing::peer::Peer;
use wirestate_websocket::{Message, WsEvent};

fn start_redis() -> Peer {
    let port = {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        listener.local_addr().unwrap().port().to_string()
    };
    Peer::start("bash", &["tests/peers/redis.sh", &port])
}

/// A gateway on `redis`, once it is subscribed there and its publisher is
/// connected: `addrs[0]` TCP, `addrs[1]` WebSocket.
fn gateway(redis: &Peer) -> Server {
    let url = format!("redis://{}", redis.addr);
    let mut server = Server::start_listening(
        &[
            "serve",
            "gateway",
            "--tcp",
            "127.0.0.1:0",
            "--ws",
            "127.0.0.1:0",
            "--bus",
            &url,
            "--drain-timeout",
            "2",
        ],
        2,
    );
    for words in [&["subscribed on redis"], &["redis publisher connected"]] {
        let seen = server.wait_log(words, BOUND);
        assert!(seen.is_some(), "{}", server.log());
    }
    server
}

fn next_text(client: &mut WsClient) -> String {
    match client.next_event(BOUND) {
        Some(WsEvent::Message(Message::Text(text))) => text.as_str().to_string(),
        other => panic!("{other:?}"),
    }
}

#[test]
fn lines_published_on_a_reach_subscribers_on_a_and_b_in_order() {
    let redis = start_redis();
    let a = gateway(&redis);
    let b = gateway(&redis);
    let mut on_a = WsClient::connect_path(a.addrs[1], "/game1");
    let mut on_b = WsClient::connect_path(b.addrs[1], "/game1");
    let mut publisher = TcpStream::connect(a.addrs[0]).unwrap();
    let lines: String = (0..5000).map(|i| format!("game1 line {i}\n")).collect();
    publisher.write_all(lines.as_bytes()).unwrap();
    for subscriber in [&mut on_a, &mut on_b] {
        for i in 0..5000 {
            assert_eq!(next_text(subscriber), format!("line {i}"));
        }
    }
    // Nothing twice: the next message on A is the next line.
    publisher.write_all(b"game1 last\n").unwrap();
    assert_eq!(next_text(&mut on_a), "last");
    assert_eq!(next_text(&mut on_b), "last");
}

#[test]
fn after_sigterm_to_a_mid_stream_b_keeps_serving_its_publishers() {
    let redis = start_redis();
    let mut a = gateway(&redis);
    let mut b = gateway(&redis);
    let mut on_b = WsClient::connect_path(b.addrs[1], "/game1");
    // A publisher on A writes until A is gone.
    let mut publisher = TcpStream::connect(a.addrs[0]).unwrap();
    let (done, written) = channel();
    std::thread::spawn(move || {
        let mut i = 0u64;
        while publisher
            .write_all(format!("game1 a{i}\n").as_bytes())
            .is_ok()
        {
            i += 1;
        }
        let _ = done.send(i);
    });
    for i in 0..200 {
        assert_eq!(next_text(&mut on_b), format!("a{i}"));
    }
    a.terminate();
    assert!(a.wait_exit(BOUND).is_some(), "A did not exit");
    written
        .recv_timeout(BOUND)
        .expect("the publisher on A failed");
    assert!(b.is_running());
    // B's subscriber got a prefix of A's lines, in order; then B's own.
    let mut late = WsClient::connect_path(b.addrs[1], "/game1");
    let mut publisher = TcpStream::connect(b.addrs[0]).unwrap();
    let lines: String = (0..100).map(|i| format!("game1 b{i}\n")).collect();
    publisher.write_all(lines.as_bytes()).unwrap();
    let mut expected_a = 200;
    let first_b = loop {
        let text = next_text(&mut on_b);
        if text.starts_with('b') {
            break text;
        }
        assert_eq!(text, format!("a{expected_a}"));
        expected_a += 1;
    };
    assert_eq!(first_b, "b0");
    for i in 1..100 {
        assert_eq!(next_text(&mut on_b), format!("b{i}"));
    }
    for i in 0..100 {
        assert_eq!(next_text(&mut late), format!("b{i}"));
    }
    assert!(b.is_running());
}

#[test]
fn while_redis_is_away_local_delivery_goes_on_and_the_loss_is_logged() {
    let redis = start_redis();
    let port = redis.addr.port().to_string();
    let mut a = gateway(&redis);
    let mut b = gateway(&redis);
    let mut on_a = WsClient::connect_path(a.addrs[1], "/game1");
    let mut on_b = WsClient::connect_path(b.addrs[1], "/game1");
    let mut publisher = TcpStream::connect(a.addrs[0]).unwrap();
    publisher.write_all(b"game1 before\n").unwrap();
    assert_eq!(next_text(&mut on_a), "before");
    assert_eq!(next_text(&mut on_b), "before");
    drop(redis);
    let noticed = a.wait_log(&["redis subscription ended"], BOUND);
    assert!(noticed.is_some(), "{}", a.log());
    publisher.write_all(b"game1 during\n").unwrap();
    assert_eq!(next_text(&mut on_a), "during");
    let redis = Peer::start("bash", &["tests/peers/redis.sh", &port]);
    let reconnected = a.wait_log(&["reconnected", "not_sent=1"], BOUND);
    assert!(reconnected.is_some(), "{}", a.log());
    for server in [&mut a, &mut b] {
        let resubscribed = server.wait_log(&["resubscribed on redis"], BOUND);
        assert!(resubscribed.is_some(), "{}", server.log());
    }
    publisher.write_all(b"game1 after\n").unwrap();
    assert_eq!(next_text(&mut on_a), "after");
    assert_eq!(next_text(&mut on_b), "after");
    drop(redis);
}
