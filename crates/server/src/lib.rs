//! Servers built from the wirestate machines and drivers, as library code:
//! the `wirestate` command serves them, and tests and applications can run
//! the very same code in-process.
//!
//! - [`rtmp_relay`]: an RTMP ingest and relay server (publishers, live
//!   players, optional FLV recording) on the tokio driver.
//! - [`ws_chat`]: a WebSocket broadcast chat with its page, on one port.
//!
//! ```no_run
//! use tokio::net::TcpListener;
//!
//! # #[tokio::main]
//! # async fn main() -> std::io::Result<()> {
//! // Publish with `ffmpeg -re -i in.flv -c copy -f flv rtmp://127.0.0.1:1935/live/key`,
//! // play with `ffplay rtmp://127.0.0.1:1935/live/key`.
//! let listener = TcpListener::bind("127.0.0.1:1935").await?;
//! wirestate_server::rtmp_relay::serve(listener, None).await
//! # }
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod rtmp_relay;
pub mod ws_chat;

/// How long the servers keep a connection without input before closing it
/// (Erlang's classic 120 s).
pub const IDLE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(120);
