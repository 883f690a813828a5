//! The `packet_echo_tokio` example's connection handler, over an in-memory
//! pipe with paused time: it echoes, ends cleanly on EOF, and closes a
//! connection after 120 s without input.

#[allow(dead_code)]
#[path = "../examples/packet_echo_tokio.rs"]
mod example;

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use wirestate_core::IdleError;
use wirestate_tokio::Error;

#[tokio::test(start_paused = true)]
async fn echoes_until_the_peer_closes() {
    let (mut client, server_io) = tokio::io::duplex(1024);
    let server = tokio::spawn(example::echo(server_io, 2));
    client.write_all(b"\x00\x03abc\x00\x00").await.unwrap();
    let mut echo = [0; 7];
    client.read_exact(&mut echo).await.unwrap();
    assert_eq!(&echo, b"\x00\x03abc\x00\x00");
    client.shutdown().await.unwrap();
    assert_eq!(server.await.unwrap().unwrap(), 2);
}

#[tokio::test(start_paused = true)]
async fn closes_after_120_seconds_without_input() {
    let (mut client, server_io) = tokio::io::duplex(1024);
    let start = tokio::time::Instant::now();
    let server = tokio::spawn(example::echo(server_io, 2));

    // Input after 100 s pushes the deadline to 220 s.
    tokio::time::sleep(Duration::from_secs(100)).await;
    client.write_all(b"\x00\x01z").await.unwrap();
    let mut echo = [0; 3];
    client.read_exact(&mut echo).await.unwrap();
    assert_eq!(&echo, b"\x00\x01z");

    match server.await.unwrap() {
        Err(Error::Machine(IdleError::TimedOut(idle))) => assert_eq!(idle, example::IDLE),
        other => panic!("expected the idle timeout, got {other:?}"),
    }
    assert!(start.elapsed() >= Duration::from_secs(220));
    // The server shut down its side: the client reads EOF.
    let mut rest = Vec::new();
    client.read_to_end(&mut rest).await.unwrap();
    assert!(rest.is_empty());
}
