//! The WebSocket chat of [`wirestate_server::ws_chat`] on a loopback port:
//! every text message a client sends goes to every connected client.
//!
//! ```text
//! cargo run -p wirestate-server --example chat_server -- 127.0.0.1:8000
//! ```
//!
//! Prints `LISTENING <port>` once bound (port 0 picks a free one); then open
//! http://127.0.0.1:8000/ in two browser tabs.

use std::net::SocketAddr;

use tokio::net::TcpListener;

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::io::Result<()> {
    let addr: SocketAddr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8000".into())
        .parse()
        .map_err(std::io::Error::other)?;
    if !addr.ip().is_loopback() {
        return Err(std::io::Error::other("listen on 127.0.0.1 only"));
    }
    let listener = TcpListener::bind(addr).await?;
    println!("LISTENING {}", listener.local_addr()?.port());
    wirestate_server::ws_chat::serve(listener).await
}
