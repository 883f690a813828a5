//! wirestate-lines against a real Erlang `{packet,line}` echo server on
//! 127.0.0.1, through both drivers. Run with scripts/peer-tests.sh (installs
//! Erlang first). The memcached suite, which runs the crate's example client,
//! lives beside that example: `crates/lines/tests/peer_memcached.rs`.
#![cfg(feature = "peer-tests")]

use std::time::Duration;

use bytes::Bytes;
use wirestate_core::testing::peer::Peer;
use wirestate_lines::{LineCommand, LineConfig, LineConnection, LineEvent};

fn start_erlang_echo() -> Peer {
    Peer::start("escript", &["tests/peers/lines_echo.escript"])
}

/// The lines both drivers send: short, empty, with a lone CR inside, long.
fn lines_to_send() -> Vec<Bytes> {
    vec![
        Bytes::from_static(b"hello"),
        Bytes::new(),
        Bytes::from_static(b"a\rb"),
        Bytes::from(vec![b'x'; 10_000]),
        Bytes::from_static(b"last"),
    ]
}

/// What Erlang's `gen_tcp:recv/2` returned for each of our lines, read from
/// the peer's stdout, as lengths (delimiter included).
fn erlang_saw(peer: &Peer, lines: &[Bytes]) -> Vec<usize> {
    let expected: usize = lines.iter().map(|l| l.len() + 1).sum();
    let mut seen = Vec::new();
    while seen.iter().sum::<usize>() < expected {
        let line = peer
            .next_line(Duration::from_secs(10))
            .expect("erlang printed nothing");
        if let Some(len) = line.strip_prefix("RECV ") {
            seen.push(len.parse().unwrap());
        }
    }
    seen
}

#[test]
fn erlang_line_echo_through_the_tokio_driver() {
    let peer = start_erlang_echo();
    let lines = lines_to_send();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let echoed = runtime.block_on(async {
        let stream = tokio::net::TcpStream::connect(peer.addr).await.unwrap();
        let mut conn =
            wirestate_tokio::Connection::new(stream, LineConnection::new(LineConfig::default()));
        for line in &lines {
            conn.send(LineCommand::Send(line.clone())).await.unwrap();
        }
        let mut echoed = Vec::new();
        while echoed.len() < lines.len() {
            echoed.push(conn.next_event().await.expect("echo ended early").unwrap());
        }
        echoed
    });
    let expected: Vec<LineEvent> = lines.iter().cloned().map(LineEvent::line).collect();
    assert_eq!(echoed, expected);
    let lengths: Vec<usize> = lines.iter().map(|l| l.len() + 1).collect();
    assert_eq!(
        erlang_saw(&peer, &lines),
        lengths,
        "Erlang read our lines as sent"
    );
}

#[test]
fn erlang_line_echo_through_the_blocking_driver() {
    let peer = start_erlang_echo();
    let lines = lines_to_send();
    let stream = std::net::TcpStream::connect(peer.addr).unwrap();
    // CRLF on the way out: Erlang keeps the CR, and our LF decoder strips it.
    let config = LineConfig::default().encode_delimiter("\r\n").unwrap();
    let mut conn = wirestate_blocking::Connection::new(stream, LineConnection::new(config));
    for line in &lines {
        conn.send(LineCommand::Send(line.clone())).unwrap();
    }
    let mut echoed = Vec::new();
    while echoed.len() < lines.len() {
        echoed.push(conn.next_event().expect("echo ended early").unwrap());
    }
    let expected: Vec<LineEvent> = lines.iter().cloned().map(LineEvent::line).collect();
    assert_eq!(echoed, expected);
    let with_crlf: Vec<Bytes> = lines
        .iter()
        .map(|l| Bytes::from([&l[..], b"\r"].concat()))
        .collect();
    let lengths: Vec<usize> = with_crlf.iter().map(|l| l.len() + 1).collect();
    assert_eq!(
        erlang_saw(&peer, &with_crlf),
        lengths,
        "Erlang read our lines as sent"
    );
}
