//! `wirestate serve gateway` with its in-process bus, run as a user runs
//! it: TCP line publishers, WebSocket subscribers.

mod support;

use std::io::Write;
use std::net::TcpStream;

use support::{Server, WsClient, BOUND};
use wirestate_websocket::{Message, WsEvent};

/// A gateway on free loopback ports: `addrs[0]` TCP, `addrs[1]` WebSocket.
fn gateway(extra: &[&str]) -> Server {
    let mut args = vec![
        "serve",
        "gateway",
        "--tcp",
        "127.0.0.1:0",
        "--ws",
        "127.0.0.1:0",
    ];
    args.extend_from_slice(extra);
    Server::start_listening(&args, 2)
}

/// The next message's payload, text or binary.
fn next(client: &mut WsClient) -> Message {
    match client.next_event(BOUND) {
        Some(WsEvent::Message(message)) => message,
        other => panic!("{other:?}"),
    }
}

fn next_text(client: &mut WsClient) -> String {
    match next(client) {
        Message::Text(text) => text.as_str().to_string(),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_thousand_lines_arrive_in_order_on_their_channel_only() {
    let server = gateway(&[]);
    assert_ne!(server.addrs[0], server.addrs[1]);
    let mut subscriber = WsClient::connect_path(server.addrs[1], "/game1");
    let mut publisher = TcpStream::connect(server.addrs[0]).unwrap();
    let mut lines = String::new();
    for i in 0..1000 {
        lines.push_str(&format!("game1 var{i}=value {i}\ngame2 other{i}\n"));
    }
    lines.push_str("game1 end\n");
    publisher.write_all(lines.as_bytes()).unwrap();
    for i in 0..1000 {
        assert_eq!(next_text(&mut subscriber), format!("var{i}=value {i}"));
    }
    // Every game2 line was sent before this one: none leaked in.
    assert_eq!(next_text(&mut subscriber), "end");
}

#[test]
fn multibyte_text_a_60_kib_line_and_binary_payloads_arrive_intact() {
    let server = gateway(&[]);
    let mut subscriber = WsClient::connect_path(server.addrs[1], "/game1");
    let mut publisher = TcpStream::connect(server.addrs[0]).unwrap();
    let multibyte = "héllo wörld ✓ 日本語 🎮";
    let long: String = (0..60 * 1024)
        .map(|i| (b'a' + (i % 26) as u8) as char)
        .collect();
    let mut wire = Vec::new();
    wire.extend_from_slice(format!("game1 {multibyte}\ngame1 {long}\n").as_bytes());
    wire.extend_from_slice(b"game1 \xff\xfe binary\n");
    publisher.write_all(&wire).unwrap();
    assert_eq!(next_text(&mut subscriber), multibyte);
    assert_eq!(next_text(&mut subscriber), long);
    match next(&mut subscriber) {
        Message::Binary(data) => assert_eq!(&data[..], b"\xff\xfe binary"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn an_over_long_line_is_logged_and_the_connection_survives() {
    let mut server = gateway(&["--max-line", "1K"]);
    let mut subscriber = WsClient::connect_path(server.addrs[1], "/game1");
    let mut publisher = TcpStream::connect(server.addrs[0]).unwrap();
    let too_long = format!("game1 {}\n", "x".repeat(4000));
    publisher.write_all(b"game1 before\n").unwrap();
    publisher.write_all(too_long.as_bytes()).unwrap();
    publisher.write_all(b"game1 after\n").unwrap();
    assert_eq!(next_text(&mut subscriber), "before");
    assert_eq!(next_text(&mut subscriber), "after");
    let logged = server.wait_log(&["longer than the maximum"], BOUND);
    assert!(logged.is_some(), "{}", server.log());
}

#[test]
fn sigterm_says_going_away_to_subscribers_and_exits() {
    let mut server = gateway(&[]);
    let mut subscriber = WsClient::connect_path(server.addrs[1], "/game1");
    let mut publisher = TcpStream::connect(server.addrs[0]).unwrap();
    publisher.write_all(b"game1 here\n").unwrap();
    assert_eq!(next_text(&mut subscriber), "here");
    server.terminate();
    let close = subscriber.close_frame(BOUND);
    assert_eq!(close.map(|c| c.code), Some(1001));
    let status = server.wait_exit(BOUND).expect("exited");
    assert!(status.success(), "{status:?}");
}

#[test]
fn with_a_token_subscribers_without_it_get_401() {
    let server = gateway(&["--auth-token", "s3cret"]);
    let mut stream = TcpStream::connect(server.addrs[1]).unwrap();
    let request = support::ws_request(server.addrs[1]).replacen("/echo", "/game1", 1);
    stream.write_all(request.as_bytes()).unwrap();
    let head = support::read_head(&mut stream);
    assert!(head.starts_with("HTTP/1.1 401"), "{head}");
    let mut subscriber = WsClient::connect_path(server.addrs[1], "/game1?token=s3cret");
    let mut publisher = TcpStream::connect(server.addrs[0]).unwrap();
    publisher.write_all(b"game1 ok\n").unwrap();
    assert_eq!(next_text(&mut subscriber), "ok");
}
