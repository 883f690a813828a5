//! A WebSocket echo inside an axum router: the handler decides the upgrade
//! with the `http` feature ([`http_upgrade`]: validation, permessage-deflate,
//! the 101 response), and runs the machine on hyper's upgraded connection
//! with the tokio driver. scripts/autobahn.sh runs the Autobahn fuzzing
//! client against it.
//!
//! ```text
//! cargo run --release -p wirestate-websocket --example axum_echo -- 127.0.0.1:9001
//! ```
//!
//! Prints `LISTENING 127.0.0.1:<port>` once bound (port 0 picks a free
//! one); the echo is at `ws://127.0.0.1:<port>/`.

use axum::serve::ListenerExt as _;
use axum::{body::Body, extract::Request, response::Response, routing::get, Router};
use hyper_util::rt::TokioIo;
use wirestate_websocket::{http_upgrade, DeflateConfig, WsConfig, WsEvent};

/// The router: the echo at `/`.
pub fn app() -> Router {
    Router::new().route("/", get(echo))
}

async fn echo(mut request: Request) -> Response {
    let config = WsConfig {
        deflate: Some(DeflateConfig::server()),
        ..WsConfig::default()
    };
    let upgrade = hyper::upgrade::on(&mut request);
    let (response, machine) = match http_upgrade(&request, config, &[]) {
        Ok(accepted) => accepted,
        Err(no) => return no.response.map(|()| Body::from(no.error.to_string())),
    };
    tokio::spawn(async move {
        let Ok(upgraded) = upgrade.await else { return };
        let mut conn = wirestate_tokio::Connection::new(TokioIo::new(upgraded), machine);
        // Until the end, or a peer violation (whose close frame the driver
        // then writes before ending).
        while let Some(Ok(event)) = conn.next_event().await {
            if let WsEvent::Message(message) = event {
                if conn.machine_mut().send(message).is_err() {
                    break;
                }
            }
        }
        let _ = conn.flush().await;
    });
    response.map(|()| Body::empty())
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:9001".into());
    let listener = tokio::net::TcpListener::bind(addr).await?;
    println!("LISTENING {}", listener.local_addr()?);
    // Small frames go out at once (no Nagle delay).
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    axum::serve(listener, app()).await
}
