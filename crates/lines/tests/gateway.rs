//! The gateway example, end to end: commands and replies over TCP through
//! both drivers, over-long lines skipped, and the idle timeout.

#[allow(dead_code)]
#[path = "../examples/gateway.rs"]
mod gateway;

use std::io::{BufRead, BufReader, Read, Write};
use std::sync::Arc;
use std::time::Duration;

use gateway::protocol::Gateway;
use wirestate_core::IdleError;

/// A conversation: what a device sends, and the replies it must get.
fn conversation() -> (Vec<u8>, Vec<&'static str>) {
    let mut sent = Vec::new();
    sent.extend_from_slice(b"v:dev-1\n");
    // {"t":21}
    sent.extend_from_slice(b"l:dev-1:eyJ0IjoyMX0=\r\n");
    sent.extend_from_slice(b"l:dev-1:bm90IGpzb24=\n"); // "not json"
    sent.extend_from_slice(b"l:dev-1:%%%\n");
    sent.extend_from_slice(b"x:dev-1\n");
    sent.extend_from_slice(b"v:bad key\n");
    sent.extend_from_slice(&vec![b'v'; 20_000]);
    sent.extend_from_slice(b"\nv:dev-1\n");
    let replies = vec![
        "OK 0",
        "OK",
        "ERR record is not JSON",
        "ERR record is not base64",
        "ERR unknown command",
        "ERR bad key",
        "ERR line too long",
        "OK 1",
    ];
    (sent, replies)
}

/// Sends the conversation over a real socket and reads the replies.
fn talk(addr: std::net::SocketAddr) -> Vec<String> {
    let (sent, replies) = conversation();
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream.write_all(&sent).unwrap();
    let mut reader = BufReader::new(stream);
    (0..replies.len())
        .map(|_| {
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            line.trim_end().to_owned()
        })
        .collect()
}

#[test]
fn commands_through_the_tokio_driver() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = listener.local_addr().unwrap();
    runtime.spawn(gateway::serve_tokio(
        listener,
        Duration::from_secs(60),
        Arc::new(Gateway::default()),
    ));
    assert_eq!(talk(addr), conversation().1);
}

#[test]
fn commands_through_the_blocking_driver() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        gateway::serve_blocking(
            listener,
            Duration::from_secs(60),
            Arc::new(Gateway::default()),
        )
    });
    assert_eq!(talk(addr), conversation().1);
}

#[test]
fn the_blocking_server_closes_idle_connections() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let idle = Duration::from_millis(200);
    std::thread::spawn(move || {
        gateway::serve_blocking(listener, idle, Arc::new(Gateway::default()))
    });
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream.write_all(b"v:dev\n").unwrap();
    let started = std::time::Instant::now();
    let mut rest = String::new();
    // The server closes the connection: read_to_string returns instead of
    // timing out.
    stream.read_to_string(&mut rest).unwrap();
    assert_eq!(rest, "OK 0\n");
    assert!(started.elapsed() >= idle);
}

#[tokio::test(start_paused = true)]
async fn the_tokio_server_closes_idle_connections_on_the_machine_clock() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let (server_side, mut device) = tokio::io::duplex(4096);
    let idle = Duration::from_secs(120);
    let started = tokio::time::Instant::now();
    let server = tokio::spawn(gateway::connection_tokio(
        server_side,
        idle,
        Arc::new(Gateway::default()),
    ));
    device.write_all(b"v:dev\n").await.unwrap();
    let mut reply = [0u8; 5];
    device.read_exact(&mut reply).await.unwrap();
    assert_eq!(&reply, b"OK 0\n");
    // Silence: paused time runs ahead to the idle deadline.
    let mut rest = Vec::new();
    device.read_to_end(&mut rest).await.unwrap();
    assert!(rest.is_empty());
    assert!(matches!(server.await.unwrap(), Some(IdleError::TimedOut(d)) if d == idle));
    assert!(started.elapsed() >= idle);
}
