//! A WebSocket client on the tokio driver: connects to an echo server, sends
//! a text message with multi-byte UTF-8, a binary message and a ping, prints
//! what comes back, then closes with 1000 (normal closure).
//!
//! ```text
//! cargo run -p wirestate-websocket --example echo_server -- 127.0.0.1:9001 &
//! cargo run -p wirestate-websocket --example echo_client -- 9001
//! ```

use std::net::SocketAddr;

use wirestate_core::OsRandom;
use wirestate_websocket::{ClientRequest, Message, WsConfig, WsConnection, WsEvent};

/// The text message sent: two-, three- and four-byte UTF-8 sequences.
pub const TEXT: &str = "héllo wörld, €5, 🦀";
/// The binary message sent, including bytes that are not valid UTF-8.
pub const BINARY: &[u8] = &[0x00, 0xff, 0xfe, 0x80, 0x7f];
/// The ping payload.
pub const PING: &[u8] = b"are you there?";

/// Sends the three messages to the server on 127.0.0.1:`port`, closes with
/// 1000 and returns one line per event that came back, in order.
pub async fn run(port: u16) -> std::io::Result<Vec<String>> {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let stream = tokio::net::TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    let request = ClientRequest::new(addr.to_string(), "/");
    let machine = WsConnection::client(request, WsConfig::default(), OsRandom)
        .map_err(std::io::Error::other)?;
    let mut conn = wirestate_tokio::Connection::new(stream, machine);
    let mut lines = Vec::new();
    // Answers still expected: the text echo, the binary echo and the pong.
    let mut waiting = 3;
    while let Some(event) = conn.next_event().await {
        let event = event.map_err(std::io::Error::other)?;
        match event {
            WsEvent::Connected(_) => {
                let ws = conn.machine_mut();
                ws.send_text(TEXT).map_err(std::io::Error::other)?;
                ws.send_binary(BINARY).map_err(std::io::Error::other)?;
                ws.ping(PING).map_err(std::io::Error::other)?;
                continue;
            }
            WsEvent::Message(Message::Text(text)) => lines.push(format!("text: {text}")),
            WsEvent::Message(Message::Binary(data)) => {
                lines.push(format!("binary: {:02x?}", &data[..]))
            }
            WsEvent::Pong(data) => lines.push(format!("pong: {}", String::from_utf8_lossy(&data))),
            WsEvent::Close(frame) => {
                let code = frame.map(|f| f.code);
                lines.push(format!("close: {code:?}"));
                break;
            }
            _ => continue,
        }
        waiting -= 1;
        if waiting == 0 {
            conn.machine_mut()
                .close(1000, "done")
                .map_err(std::io::Error::other)?;
        }
    }
    conn.flush().await.map_err(std::io::Error::other)?;
    Ok(lines)
}

#[allow(dead_code)] // the crate's tests include this file for `run`
#[tokio::main(flavor = "current_thread")]
async fn main() -> std::io::Result<()> {
    let port: u16 = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "9001".into())
        .parse()
        .map_err(std::io::Error::other)?;
    for line in run(port).await? {
        println!("{line}");
    }
    Ok(())
}
