#![cfg(feature = "peer-tests")]
//! Interop with Erlang/OTP `gen_tcp` `{packet,N}` peers (escripts in
//! tests/peers/, installed by scripts/peers/install-erlang.sh), through both
//! drivers and `wirestate-length`:
//!
//! - Erlang echo servers with `{packet,2}` and `{packet,4}`: frames of 0, 1,
//!   65535 and (for `{packet,4}`) 1 MiB come back byte for byte, one at a time
//!   and pipelined.
//! - An Erlang server with `{packet_size, 1024}` drops a connection that
//!   announces a 2000-byte frame; our side ends cleanly (EOF or a reset).
//! - Our echo server examples, with an Erlang `gen_tcp` client checking the
//!   echoes.
//!
//! Run: `scripts/peer-tests.sh`, or
//! `cargo test -p wirestate --features peer-tests --test peer_erlang -- --test-threads=1`.

mod peers;

// The examples' own code, so the interop tests exercise exactly what ships.
#[allow(dead_code)]
#[path = "../crates/blocking/examples/packet_echo_blocking.rs"]
mod blocking_echo;
#[allow(dead_code)]
#[path = "../crates/tokio/examples/packet_echo_tokio.rs"]
mod tokio_echo;

use std::io;
use std::net::{Shutdown, TcpStream};
use std::process::Command;
use std::time::{Duration, Instant};

use bytes::Bytes;
use peers::Peer;
use wirestate_core::IdleTimeout;
use wirestate_length::{LengthCommand, LengthConfig, LengthConnection, LengthEvent};

const ECHO_SERVER: &str = "tests/peers/erlang_echo.escript";
const CLIENT: &str = "tests/peers/erlang_client.escript";
const MIB: usize = 1024 * 1024;

/// Bounds every wait on a peer: a broken peer fails the test, never hangs it.
const GUARD: Duration = Duration::from_secs(20);

/// Byte `i` of every test frame is `i % 251`, as in the client escript.
fn payload(size: usize) -> Bytes {
    (0..size).map(|i| (i % 251) as u8).collect()
}

fn echo_server(header: &str, packet_size: Option<&str>) -> Peer {
    let mut args = vec![ECHO_SERVER, header];
    args.extend(packet_size);
    Peer::start("escript", &args)
}

fn framing(header: u8) -> IdleTimeout<LengthConnection> {
    let machine = LengthConnection::new(LengthConfig::erlang(header));
    IdleTimeout::new(machine, GUARD, Instant::now())
}

/// The Erlang server's report of how a connection ended.
fn closed_line(peer: &Peer) -> String {
    peer.next_line(GUARD)
        .expect("the Erlang server reports the closed connection")
}

fn is_reset(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::BrokenPipe
    )
}

// ---- the blocking driver against Erlang echo servers ----

fn blocking_round_trips(header: u8, sizes: &[usize]) {
    let peer = echo_server(&header.to_string(), None);
    let socket = TcpStream::connect(peer.addr).unwrap();
    let mut conn = wirestate_blocking::Connection::new(socket, framing(header));

    for &size in sizes {
        let sent = payload(size);
        conn.send(LengthCommand::Send(sent.clone())).unwrap();
        match conn.next_event() {
            Some(Ok(LengthEvent::Frame(echo))) => assert!(echo == sent, "{size}-byte echo differs"),
            other => panic!("expected the {size}-byte echo, got {other:?}"),
        }
    }

    // Pipelined: all frames of up to 64 KiB out before any echo is read.
    let small: Vec<usize> = sizes.iter().copied().filter(|&s| s <= 65536).collect();
    for &size in &small {
        conn.machine_mut().inner_mut().send(payload(size)).unwrap();
    }
    conn.flush().unwrap();
    for &size in &small {
        match conn.next_event() {
            Some(Ok(LengthEvent::Frame(echo))) => assert!(echo == payload(size)),
            other => panic!("expected the pipelined {size}-byte echo, got {other:?}"),
        }
    }

    // We close; Erlang sees it and closes too; our side ends without error.
    conn.transport_mut().shutdown(Shutdown::Write).unwrap();
    assert!(conn.next_event().is_none());
    assert_eq!(closed_line(&peer), "CLOSED closed");
}

#[test]
fn blocking_packet_2_echo() {
    blocking_round_trips(2, &[0, 1, 65535]);
}

#[test]
fn blocking_packet_4_echo() {
    blocking_round_trips(4, &[0, 1, 65535, MIB]);
}

#[test]
fn blocking_oversize_frame_is_dropped_cleanly() {
    let peer = echo_server("2", Some("1024"));
    let socket = TcpStream::connect(peer.addr).unwrap();
    let mut conn = wirestate_blocking::Connection::new(socket, framing(2));

    // Under the limit: echoed.
    conn.send(LengthCommand::Send(payload(1000))).unwrap();
    assert!(
        matches!(conn.next_event(), Some(Ok(LengthEvent::Frame(echo))) if echo == payload(1000))
    );

    // Over it: Erlang's recv fails with emsgsize and the server closes.
    conn.send(LengthCommand::Send(payload(2000))).unwrap();
    match conn.next_event() {
        None => {}
        Some(Err(wirestate_blocking::Error::Io(e))) if is_reset(&e) => {}
        other => panic!("expected a clean end or a reset, got {other:?}"),
    }
    assert!(conn.next_event().is_none());
    assert_eq!(closed_line(&peer), "CLOSED emsgsize");
}

// ---- the tokio driver against Erlang echo servers ----

async fn tokio_round_trips(header: u8, sizes: &[usize]) {
    let peer = echo_server(&header.to_string(), None);
    let socket = tokio::net::TcpStream::connect(peer.addr).await.unwrap();
    let machine = IdleTimeout::new(
        LengthConnection::new(LengthConfig::erlang(header)),
        GUARD,
        wirestate_tokio::now(),
    );
    let mut conn = wirestate_tokio::Connection::new(socket, machine);

    for &size in sizes {
        let sent = payload(size);
        conn.send(LengthCommand::Send(sent.clone())).await.unwrap();
        match conn.next_event().await {
            Some(Ok(LengthEvent::Frame(echo))) => assert!(echo == sent, "{size}-byte echo differs"),
            other => panic!("expected the {size}-byte echo, got {other:?}"),
        }
    }

    let small: Vec<usize> = sizes.iter().copied().filter(|&s| s <= 65536).collect();
    for &size in &small {
        conn.machine_mut().inner_mut().send(payload(size)).unwrap();
    }
    conn.flush().await.unwrap();
    for &size in &small {
        match conn.next_event().await {
            Some(Ok(LengthEvent::Frame(echo))) => assert!(echo == payload(size)),
            other => panic!("expected the pipelined {size}-byte echo, got {other:?}"),
        }
    }

    futures_util::SinkExt::close(&mut conn).await.unwrap();
    assert!(conn.next_event().await.is_none());
    assert_eq!(closed_line(&peer), "CLOSED closed");
}

#[tokio::test]
async fn tokio_packet_2_echo() {
    tokio_round_trips(2, &[0, 1, 65535]).await;
}

#[tokio::test]
async fn tokio_packet_4_echo() {
    tokio_round_trips(4, &[0, 1, 65535, MIB]).await;
}

#[tokio::test]
async fn tokio_oversize_frame_is_dropped_cleanly() {
    let peer = echo_server("2", Some("1024"));
    let socket = tokio::net::TcpStream::connect(peer.addr).await.unwrap();
    let machine = IdleTimeout::new(
        LengthConnection::new(LengthConfig::erlang(2)),
        GUARD,
        wirestate_tokio::now(),
    );
    let mut conn = wirestate_tokio::Connection::new(socket, machine);

    conn.send(LengthCommand::Send(payload(1000))).await.unwrap();
    assert!(
        matches!(conn.next_event().await, Some(Ok(LengthEvent::Frame(echo))) if echo == payload(1000))
    );

    conn.send(LengthCommand::Send(payload(2000))).await.unwrap();
    match conn.next_event().await {
        None => {}
        Some(Err(wirestate_tokio::Error::Io(e))) if is_reset(&e) => {}
        other => panic!("expected a clean end or a reset, got {other:?}"),
    }
    assert!(conn.next_event().await.is_none());
    assert_eq!(closed_line(&peer), "CLOSED emsgsize");
}

// ---- our echo server examples against an Erlang gen_tcp client ----

/// Runs the client escript against `port` and returns its stdout lines,
/// asserting it exited successfully.
fn erlang_client(header: &str, port: u16, sizes: &[usize]) -> Vec<String> {
    let port = port.to_string();
    let sizes: Vec<String> = sizes.iter().map(usize::to_string).collect();
    let mut args = vec![CLIENT, header, port.as_str()];
    args.extend(sizes.iter().map(String::as_str));
    let output = Command::new("escript")
        .args(&args)
        .current_dir(peers::root())
        .output()
        .expect("run the Erlang client escript");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(output.status.success(), "Erlang client failed: {stdout}");
    stdout.lines().map(str::to_owned).collect()
}

fn expected_client_lines(sizes: &[usize]) -> Vec<String> {
    let mut lines: Vec<String> = sizes.iter().map(|s| format!("ECHOED {s}")).collect();
    let small = sizes.iter().filter(|&&s| s <= 65536).count();
    lines.push(format!("PIPELINED {small}"));
    lines.push("DONE".to_owned());
    lines
}

#[test]
fn erlang_client_against_our_blocking_echo_server() {
    for (header, sizes) in [(2u8, &[0, 1, 65535][..]), (4, &[0, 1, 65535, MIB][..])] {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        // The server thread accepts until the test process exits.
        std::thread::spawn(move || blocking_echo::serve(listener, header));
        let lines = erlang_client(&header.to_string(), port, sizes);
        assert_eq!(lines, expected_client_lines(sizes), "{{packet,{header}}}");
    }
}

#[test]
fn erlang_client_against_our_blocking_echo_connection() {
    // One connection through `echo` itself, to check what it returns.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = std::thread::spawn(move || {
        let (socket, _) = listener.accept().unwrap();
        blocking_echo::echo(socket, 2)
    });
    let sizes = [0, 1, 65535];
    let lines = erlang_client("2", port, &sizes);
    assert_eq!(lines, expected_client_lines(&sizes));
    // Three frames one at a time, three pipelined, then the client's close.
    assert_eq!(server.join().unwrap().unwrap(), 6);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn erlang_client_against_our_tokio_echo_server() {
    for (header, sizes) in [(2u8, vec![0, 1, 65535]), (4, vec![0, 1, 65535, MIB])] {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = tokio::spawn(tokio_echo::serve(listener, header));
        let expected = expected_client_lines(&sizes);
        let lines =
            tokio::task::spawn_blocking(move || erlang_client(&header.to_string(), port, &sizes))
                .await
                .unwrap();
        assert_eq!(lines, expected, "{{packet,{header}}}");
        server.abort();
    }
}

#[tokio::test]
async fn erlang_client_against_our_tokio_echo_connection() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = tokio::spawn(async move {
        let (socket, _) = listener.accept().await.unwrap();
        tokio_echo::echo(socket, 2).await
    });
    let sizes = [0, 1, 65535];
    let lines = tokio::task::spawn_blocking(move || erlang_client("2", port, &sizes))
        .await
        .unwrap();
    assert_eq!(lines, expected_client_lines(&sizes));
    assert_eq!(server.await.unwrap().unwrap(), 6);
}
