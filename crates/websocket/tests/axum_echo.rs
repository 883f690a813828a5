//! The axum echo example, its router served in-process on 127.0.0.1,
//! against the crate's own client machine over a TcpStream: the upgrade
//! agrees on permessage-deflate, the echo comes back compressed, a request
//! that is no upgrade gets a 400 with the reason.

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use wirestate_core::{Machine, SeededRandom};
use wirestate_websocket::{ClientRequest, DeflateConfig, Message, WsConfig, WsConnection, WsEvent};

#[allow(dead_code)]
#[path = "../examples/axum_echo.rs"]
mod axum_echo;

const DEADLINE: Duration = Duration::from_secs(10);

async fn serve() -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, axum_echo::app()).await });
    addr
}

/// Writes what the machine transmits, then reads once into it; returns the
/// bytes read (empty at EOF).
async fn pump(stream: &mut TcpStream, client: &mut WsConnection) -> Vec<u8> {
    while let Some(bytes) = client.poll_transmit() {
        stream.write_all(&bytes).await.unwrap();
    }
    let mut buf = vec![0u8; 64 << 10];
    let n = tokio::time::timeout(DEADLINE, stream.read(&mut buf))
        .await
        .expect("the server answers in time")
        .unwrap();
    if n == 0 {
        client.handle_eof(Instant::now());
    } else {
        client.handle_input(&buf[..n], Instant::now());
    }
    buf.truncate(n);
    buf
}

#[tokio::test]
async fn echoes_a_compressed_message() {
    let addr = serve().await;
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let config = WsConfig {
        deflate: Some(DeflateConfig::client()),
        ..WsConfig::default()
    };
    let request = ClientRequest::new(addr.to_string(), "/");
    let mut client = WsConnection::client(request, config, SeededRandom::new(3)).unwrap();
    let text = "echo me, compressed ".repeat(50);
    let mut wire = Vec::new();
    let mut echoed = None;
    while echoed.is_none() {
        wire.extend(pump(&mut stream, &mut client).await);
        while let Some(event) = client.poll_event() {
            match event.unwrap() {
                WsEvent::Connected(response) => {
                    assert!(response.deflate.is_some(), "{response:?}");
                    client.send_text(text.clone()).unwrap();
                }
                WsEvent::Message(Message::Text(got)) => echoed = Some(got),
                other => panic!("unexpected {other:?}"),
            }
        }
    }
    assert_eq!(echoed.unwrap(), text.as_str());
    let head_end = wire.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    let head = String::from_utf8_lossy(&wire[..head_end]).to_ascii_lowercase();
    assert!(
        head.starts_with("http/1.1 101 switching protocols\r\n"),
        "{head}"
    );
    assert!(
        head.contains("sec-websocket-extensions: permessage-deflate"),
        "{head}"
    );
    // FIN + RSV1 (compressed) + text, and far fewer bytes than the 1000 sent.
    assert_eq!(wire[head_end], 0xc1);
    assert!(
        wire.len() - head_end < 100,
        "{} bytes",
        wire.len() - head_end
    );

    client.close(1000, "bye").unwrap();
    while !client.is_closed() {
        pump(&mut stream, &mut client).await;
        while let Some(event) = client.poll_event() {
            assert!(matches!(event, Ok(WsEvent::Close(Some(c))) if c.code == 1000));
        }
    }
}

#[tokio::test]
async fn refuses_a_request_that_is_no_upgrade() {
    let addr = serve().await;
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(b"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut answer = Vec::new();
    tokio::time::timeout(DEADLINE, stream.read_to_end(&mut answer))
        .await
        .unwrap()
        .unwrap();
    let answer = String::from_utf8_lossy(&answer);
    assert!(
        answer.starts_with("HTTP/1.1 400 Bad Request\r\n"),
        "{answer}"
    );
    assert!(
        answer.ends_with("missing or invalid Upgrade header"),
        "{answer}"
    );
}
