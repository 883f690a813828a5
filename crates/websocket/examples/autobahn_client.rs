//! The Autobahn fuzzing-server client on the blocking driver: asks for the
//! case count, runs every case as an echo client, then asks the suite to
//! write its report. permessage-deflate is offered with the client defaults
//! ([`DeflateConfig::client`]). scripts/autobahn.sh runs it.
//!
//! ```text
//! cargo run -p wirestate-websocket --example autobahn_client -- 127.0.0.1:9002
//! ```

use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use wirestate_core::OsRandom;
use wirestate_websocket::{ClientRequest, DeflateConfig, Message, WsConfig, WsConnection, WsEvent};

const AGENT: &str = "wirestate";

/// Runs one connection to `path`, echoing every message; returns the text
/// messages received.
fn run(addr: SocketAddr, path: &str) -> std::io::Result<Vec<String>> {
    let stream = TcpStream::connect(addr)?;
    stream.set_nodelay(true)?;
    stream.set_read_timeout(Some(Duration::from_secs(60)))?;
    let request = ClientRequest::new(addr.to_string(), path);
    let config = WsConfig {
        deflate: Some(DeflateConfig::client()),
        ..WsConfig::default()
    };
    let machine = WsConnection::client(request, config, OsRandom).map_err(std::io::Error::other)?;
    let mut conn = wirestate_blocking::Connection::new(stream, machine);
    let mut texts = Vec::new();
    while let Some(event) = conn.next_event() {
        let echoed = match event {
            Ok(WsEvent::Message(message)) => {
                if let Message::Text(text) = &message {
                    texts.push(text.to_string());
                }
                conn.machine_mut().send(message)
            }
            Ok(_) => Ok(()),
            Err(_) => break,
        };
        if echoed.is_err() {
            break;
        }
    }
    let _ = conn.flush();
    Ok(texts)
}

fn main() -> std::io::Result<()> {
    let addr: SocketAddr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:9002".into())
        .parse()
        .map_err(std::io::Error::other)?;
    let count: usize = run(addr, "/getCaseCount")?
        .first()
        .and_then(|t| t.trim().parse().ok())
        .ok_or_else(|| std::io::Error::other("no case count"))?;
    for case in 1..=count {
        run(addr, &format!("/runCase?case={case}&agent={AGENT}"))?;
    }
    run(addr, &format!("/updateReports?agent={AGENT}"))?;
    println!("ran {count} cases");
    Ok(())
}
