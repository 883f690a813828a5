//! `wirestate serve websocket` run as a user runs it, against clients that
//! behave and clients that do not.

mod support;

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use support::{read_head, write_in_background, write_until_stalled, Server, WsClient, BOUND};
use wirestate_websocket::{Message, WsEvent};

fn serve(extra: &[&str]) -> Server {
    let mut args = vec!["serve", "websocket", "--listen", "127.0.0.1:0"];
    args.extend_from_slice(extra);
    Server::start(&args)
}

/// One masked binary frame of `len` bytes, as our client machine sends it.
fn binary_frame(client: &mut WsClient, len: usize) -> Vec<u8> {
    client.machine.send_binary(vec![0x5a; len]).unwrap();
    let mut frame = Vec::new();
    while let Some(bytes) = wirestate_core::Machine::poll_transmit(&mut client.machine) {
        frame.extend_from_slice(&bytes);
    }
    frame
}

#[test]
fn echoes_text_and_binary_and_announces_address_and_port() {
    let server = serve(&[]);
    assert!(server.addr.ip().is_loopback());
    assert_ne!(server.addr.port(), 0);
    let mut client = WsClient::connect(server.addr);
    client.machine.send_text("hello").unwrap();
    client.machine.send_binary(vec![1u8, 2, 3]).unwrap();
    client.flush().unwrap();
    match client.next_event(BOUND) {
        Some(WsEvent::Message(Message::Text(text))) => assert_eq!(text.as_str(), "hello"),
        other => panic!("{other:?}"),
    }
    match client.next_event(BOUND) {
        Some(WsEvent::Message(Message::Binary(data))) => assert_eq!(&data[..], [1, 2, 3]),
        other => panic!("{other:?}"),
    }
}

#[test]
fn permessage_deflate_is_accepted_unless_turned_off() {
    let offer = |server: &Server| {
        let mut stream = TcpStream::connect(server.addr).unwrap();
        let request = support::ws_request(server.addr).replace(
            "\r\n\r\n",
            "\r\nSec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\r\n",
        );
        stream.write_all(request.as_bytes()).unwrap();
        read_head(&mut stream).to_ascii_lowercase()
    };
    let head = offer(&serve(&[]));
    assert!(head.starts_with("http/1.1 101"), "{head}");
    assert!(head.contains("permessage-deflate"), "{head}");
    let head = offer(&serve(&["--no-deflate"]));
    assert!(head.starts_with("http/1.1 101"), "{head}");
    assert!(!head.contains("permessage-deflate"), "{head}");
}

#[test]
fn a_client_that_never_reads_is_released_after_the_send_timeout() {
    let mut server = serve(&["--send-timeout", "2"]);
    let mut client = WsClient::connect(server.addr);
    let frame = binary_frame(&mut client, 1 << 20);
    let started = Instant::now();
    let writer = write_in_background(client.stream.try_clone().unwrap(), frame, 256 << 20);
    // The server echoes until the client's window is full, stops reading,
    // and after 2 s without progress drops the connection: the client's
    // blocked write fails (reset).
    let (failure, written) = writer.recv_timeout(BOUND).expect("released in time");
    assert!(failure.is_some(), "all {written} bytes went through");
    assert!(written < 256 << 20);
    let peer = client.local.to_string();
    assert!(
        server.wait_log(&[&peer, "closed"], BOUND).is_some(),
        "{}",
        server.log()
    );
    assert!(started.elapsed() >= Duration::from_secs(2));
}

#[test]
fn a_client_that_half_closes_and_never_reads_is_released() {
    let mut server = serve(&["--send-timeout", "2"]);
    let mut client = WsClient::connect(server.addr);
    let frame = binary_frame(&mut client, 256 << 10);
    write_until_stalled(&mut client.stream, &frame, 8 << 20, Duration::from_secs(1));
    client.stream.shutdown(std::net::Shutdown::Write).unwrap();
    let peer = client.local.to_string();
    assert!(
        server.wait_log(&[&peer, "closed"], BOUND).is_some(),
        "{}",
        server.log()
    );
}

#[test]
fn a_handshake_trickled_byte_by_byte_gets_408_and_is_closed() {
    let server = serve(&["--handshake-timeout", "2"]);
    let mut stream = TcpStream::connect(server.addr).unwrap();
    let request = support::ws_request(server.addr).into_bytes();
    let trickle_time = Duration::from_secs(request.len() as u64);
    let started = Instant::now();
    let mut writer = stream.try_clone().unwrap();
    std::thread::spawn(move || {
        for byte in request {
            if writer.write_all(&[byte]).is_err() {
                break;
            }
            // The trickle itself is under test: one byte per second.
            std::thread::sleep(Duration::from_secs(1));
        }
    });
    stream.set_read_timeout(Some(BOUND)).unwrap();
    let mut answer = Vec::new();
    let mut buf = [0; 1024];
    let ended = loop {
        match stream.read(&mut buf) {
            Ok(0) => break true,
            Ok(n) => answer.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == ErrorKind::ConnectionReset => break true,
            Err(_) => break false,
        }
    };
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer:?}");
    assert!(ended, "not closed: {answer:?}");
    assert!(
        started.elapsed() < trickle_time / 2,
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn accepting_goes_on_after_running_out_of_file_descriptors() {
    let mut server = Server::start_under_shell(
        "ulimit -n 32",
        &["serve", "websocket", "--listen", "127.0.0.1:0"],
    );
    // More connections than the server has descriptors: some wait in the
    // backlog while accept fails.
    let crowd: Vec<TcpStream> = (0..40)
        .map(|_| TcpStream::connect(server.addr).unwrap())
        .collect();
    assert!(
        server.wait_log(&["accept failed"], BOUND).is_some(),
        "{}",
        server.log()
    );
    drop(crowd);
    let mut client = WsClient::connect(server.addr);
    client.machine.send_text("still here").unwrap();
    client.flush().unwrap();
    match client.next_event(BOUND) {
        Some(WsEvent::Message(Message::Text(text))) => assert_eq!(text.as_str(), "still here"),
        other => panic!("{other:?}: {}", server.log()),
    }
    assert!(server.is_running());
}

#[test]
fn past_max_connections_clients_get_503() {
    let server = serve(&["--max-connections", "2"]);
    let first = WsClient::connect(server.addr);
    let second = WsClient::connect(server.addr);
    let mut third = TcpStream::connect(server.addr).unwrap();
    third
        .write_all(support::ws_request(server.addr).as_bytes())
        .unwrap();
    let head = read_head(&mut third);
    assert!(
        head.starts_with("HTTP/1.1 503 Service Unavailable\r\n"),
        "{head:?}"
    );
    assert!(
        head.to_ascii_lowercase().contains("connection: close"),
        "{head:?}"
    );
    drop((first, second));
}

#[test]
fn sigterm_sends_close_1001_to_every_client_and_exits_0() {
    let mut server = serve(&[]);
    let mut clients = [
        WsClient::connect(server.addr),
        WsClient::connect(server.addr),
    ];
    for client in &mut clients {
        client.machine.send_text("hi").unwrap();
        client.flush().unwrap();
        assert!(matches!(
            client.next_event(BOUND),
            Some(WsEvent::Message(_))
        ));
    }
    server.terminate();
    for client in &mut clients {
        let close = client.close_frame(BOUND).expect("a close frame");
        assert_eq!(close.code, 1001);
    }
    let status = server.wait_exit(BOUND).expect("exits after the drain");
    assert!(status.success(), "{status:?}: {}", server.log());
}

#[test]
fn a_quiet_client_that_answers_pings_outlives_the_idle_timeout() {
    let mut server = serve(&["--idle-timeout", "2"]);
    let mut client = WsClient::connect(server.addr);
    // Three idle timeouts without a message: the server pings (every
    // second here) and the client's machine answers each with a pong.
    let quiet = Instant::now();
    assert!(client.next_event(Duration::from_secs(6)).is_none());
    assert!(quiet.elapsed() >= Duration::from_secs(6));
    client.machine.send_text("awake").unwrap();
    client.flush().unwrap();
    match client.next_event(BOUND) {
        Some(WsEvent::Message(Message::Text(text))) => assert_eq!(text.as_str(), "awake"),
        other => panic!("{other:?}: {}", server.log()),
    }
}
