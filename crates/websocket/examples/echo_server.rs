//! A WebSocket echo server on the tokio driver: every text and binary message
//! comes back unchanged, pings are answered, closes are echoed. This is the
//! server scripts/autobahn.sh runs the Autobahn fuzzing client against.
//!
//! ```text
//! cargo run -p wirestate-websocket --example echo_server -- 127.0.0.1:9001
//! ```
//!
//! Prints `LISTENING <port>` once bound (port 0 picks a free one).
//! permessage-deflate is accepted with the server defaults
//! ([`DeflateConfig::server`]).

use std::net::SocketAddr;

use wirestate_websocket::{DeflateConfig, WsConfig, WsConnection, WsEvent};

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> std::io::Result<()> {
    let addr: SocketAddr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:9001".into())
        .parse()
        .map_err(std::io::Error::other)?;
    let listener = tokio::net::TcpListener::bind(addr).await?;
    println!("LISTENING {}", listener.local_addr()?.port());
    loop {
        let (stream, _) = match listener.accept().await {
            Ok(accepted) => accepted,
            // Out of file descriptors, a connection aborted before it was
            // accepted ...: pause, then go on serving.
            Err(e) => {
                eprintln!("accept failed: {e}");
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                continue;
            }
        };
        stream.set_nodelay(true)?;
        tokio::spawn(async move {
            let config = WsConfig {
                deflate: Some(DeflateConfig::server()),
                ..WsConfig::default()
            };
            let mut conn =
                wirestate_tokio::Connection::new(stream, WsConnection::server_auto_accept(config));
            // Until the end, or a peer violation: the machine then already queued
            // its close frame, which the driver writes before ending.
            while let Some(Ok(event)) = conn.next_event().await {
                if let WsEvent::Message(message) = event {
                    if conn.machine_mut().send(message).is_err() {
                        break;
                    }
                }
            }
            let _ = conn.flush().await;
        });
    }
}
