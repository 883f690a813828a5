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
//!
//! Our echo server examples, checked by an Erlang `gen_tcp` client, are tested
//! beside them: `crates/blocking/tests/peer_erlang.rs` and
//! `crates/tokio/tests/peer_erlang.rs`.
//!
//! Run: `scripts/peer-tests.sh`, or
//! `cargo test -p wirestate --features peer-tests --test peer_erlang -- --test-threads=1`.

use std::io;
use std::net::{Shutdown, TcpStream};
use std::time::{Duration, Instant};

use bytes::Bytes;
use wirestate_core::testing::peer::Peer;
use wirestate_core::IdleTimeout;
use wirestate_length::{LengthCommand, LengthConfig, LengthConnection, LengthEvent};

const ECHO_SERVER: &str = "tests/peers/erlang_echo.escript";
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
