//! The WebSocket echo server on the blocking driver, one thread per
//! connection: every text and binary message comes back unchanged, pings are
//! answered, closes are echoed. Same behaviour and command line as the tokio
//! `echo_server` example.
//!
//! ```text
//! cargo run -p wirestate-websocket --example echo_server_blocking -- 127.0.0.1:9001
//! ```
//!
//! Prints `LISTENING <port>` once bound (port 0 picks a free one).
//! permessage-deflate is accepted with the server defaults
//! ([`DeflateConfig::server`]).

use std::net::{SocketAddr, TcpListener, TcpStream};

use wirestate_websocket::{DeflateConfig, WsConfig, WsConnection, WsEvent};

/// Accepts connections forever, echoing each on its own thread.
pub fn serve(listener: TcpListener) -> std::io::Result<()> {
    loop {
        let (stream, _) = listener.accept()?;
        std::thread::spawn(move || echo(stream));
    }
}

/// Echoes one connection until it closes or fails.
fn echo(stream: TcpStream) {
    if stream.set_nodelay(true).is_err() {
        return;
    }
    let config = WsConfig {
        deflate: Some(DeflateConfig::server()),
        ..WsConfig::default()
    };
    let mut conn =
        wirestate_blocking::Connection::new(stream, WsConnection::server_auto_accept(config));
    // Until the end, or a peer violation: the machine then already queued
    // its close frame, which the driver writes before ending.
    while let Some(Ok(event)) = conn.next_event() {
        if let WsEvent::Message(message) = event {
            if conn.machine_mut().send(message).is_err() {
                break;
            }
        }
    }
    let _ = conn.flush();
}

#[allow(dead_code)] // the crate's tests include this file for `serve`
fn main() -> std::io::Result<()> {
    let addr: SocketAddr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:9001".into())
        .parse()
        .map_err(std::io::Error::other)?;
    if !addr.ip().is_loopback() {
        return Err(std::io::Error::other("listen on 127.0.0.1 only"));
    }
    let listener = TcpListener::bind(addr)?;
    println!("LISTENING {}", listener.local_addr()?.port());
    serve(listener)
}
