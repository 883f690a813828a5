//! wirestate-lines against real peers on 127.0.0.1, through both drivers:
//! memcached 1.6 (the example client: values with CRLFs, empty, binary and
//! 1 MiB, read back byte-exact) and an Erlang `{packet,line}` echo server.
//! Run with scripts/peer-tests.sh (installs memcached and Erlang first).
#![cfg(feature = "peer-tests")]

mod peers;

#[allow(dead_code)]
#[path = "../crates/lines/examples/memcached_client.rs"]
mod memcached_client;

use std::net::TcpListener;
use std::time::Duration;

use bytes::Bytes;
use memcached_client::protocol::Done;
use memcached_client::{BlockingClient, TokioClient};
use peers::Peer;
use wirestate_lines::{LineCommand, LineConfig, LineConnection, LineEvent};

/// Large enough for the 1 MiB value (memcached runs with `-I 2m`).
const MAX_VALUE: usize = 2 << 20;

fn free_port() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    listener.local_addr().unwrap().port().to_string()
}

fn start_memcached() -> Peer {
    Peer::start("bash", &["tests/peers/memcached.sh", &free_port()])
}

/// Values that a line-only client would get wrong.
fn values() -> Vec<(String, Bytes)> {
    let mut big = Vec::with_capacity(1 << 20);
    for i in 0..(1usize << 20) {
        // Mostly text, with a CRLF and a lone CR or LF here and there.
        big.push(match i % 97 {
            95 => b'\r',
            96 => b'\n',
            41 => b'\r',
            73 => b'\n',
            n => b'a' + (n % 26) as u8,
        });
    }
    vec![
        ("crlf".into(), Bytes::from_static(b"ab\r\ncd\r\n\r\nef")),
        ("just-crlf".into(), Bytes::from_static(b"\r\n")),
        ("ends-in-cr".into(), Bytes::from_static(b"ab\r")),
        (
            "fake-reply".into(),
            Bytes::from_static(b"END\r\nVALUE x 0 1\r\nz\r\n"),
        ),
        ("empty".into(), Bytes::new()),
        ("binary".into(), (0..=255u8).collect::<Vec<u8>>().into()),
        ("one-mib".into(), big.into()),
    ]
}

fn status(s: &str) -> Done {
    Done::Status(s.into())
}

#[test]
fn memcached_values_round_trip_through_the_tokio_driver() {
    let peer = start_memcached();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let mut client = TokioClient::connect(peer.addr, MAX_VALUE).await.unwrap();
        for (key, value) in values() {
            let key = format!("tokio-{key}");
            assert_eq!(
                client.set(&key, value.clone()).await.unwrap(),
                status("STORED"),
                "{key}"
            );
            assert_eq!(
                client.get(&key).await.unwrap(),
                Done::Value(Some(value)),
                "{key}"
            );
        }
        assert_eq!(
            client.get("tokio-missing").await.unwrap(),
            Done::Value(None)
        );
        assert_eq!(
            client.delete("tokio-crlf").await.unwrap(),
            status("DELETED")
        );
        assert_eq!(
            client.delete("tokio-crlf").await.unwrap(),
            status("NOT_FOUND")
        );
        assert_eq!(client.get("tokio-crlf").await.unwrap(), Done::Value(None));
    });
}

#[test]
fn memcached_values_round_trip_through_the_blocking_driver() {
    let peer = start_memcached();
    let mut client = BlockingClient::connect(peer.addr, MAX_VALUE).unwrap();
    for (key, value) in values() {
        let key = format!("blocking-{key}");
        assert_eq!(
            client.set(&key, value.clone()).unwrap(),
            status("STORED"),
            "{key}"
        );
        assert_eq!(client.get(&key).unwrap(), Done::Value(Some(value)), "{key}");
    }
    assert_eq!(client.get("blocking-missing").unwrap(), Done::Value(None));
    assert_eq!(client.delete("blocking-binary").unwrap(), status("DELETED"));
    assert_eq!(client.get("blocking-binary").unwrap(), Done::Value(None));
}

#[test]
fn memcached_values_written_by_one_driver_read_by_the_other() {
    let peer = start_memcached();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let written = runtime.block_on(async {
        let mut client = TokioClient::connect(peer.addr, MAX_VALUE).await.unwrap();
        let mut written = Vec::new();
        for (key, value) in values() {
            let key = format!("cross-{key}");
            assert_eq!(
                client.set(&key, value.clone()).await.unwrap(),
                status("STORED")
            );
            written.push((key, value));
        }
        written
    });
    let mut client = BlockingClient::connect(peer.addr, MAX_VALUE).unwrap();
    for (key, value) in written {
        assert_eq!(client.get(&key).unwrap(), Done::Value(Some(value)), "{key}");
    }
}

// ---- Erlang {packet, line} echo ----

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
