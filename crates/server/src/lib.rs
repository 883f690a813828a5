//! Servers built from the wirestate machines and drivers, as library code:
//! the `wirestate` command serves them, and tests and applications can run
//! the very same code in-process.
//!
//! - [`rtmp_relay`]: an RTMP ingest and relay server (publishers, live
//!   players, optional FLV recording) on the tokio driver.
//! - [`gateway`]: TCP line publishers -> channels -> WebSocket subscribers,
//!   in-process or across processes on Redis.
//! - [`ws_chat`]: a WebSocket broadcast chat with its page, on one port.
//! - [`ws_metrics`]: the counters of a WebSocket server, in the Prometheus
//!   text format.
//! - [`auth`], [`plain_http`], [`prometheus`]: access tokens, plain HTTP
//!   beside a protocol (status endpoints), and the metrics text format.
//! - [`serve_connections`]: the accept loop they share (accept errors back
//!   off, [`ServerLimits`] bound connections and memory, a [`Shutdown`]
//!   signal ends it gracefully).
//!
//! ```no_run
//! use tokio::net::TcpListener;
//! use wirestate_server::rtmp_relay::{self, RelayConfig};
//! use wirestate_server::Shutdown;
//!
//! # #[tokio::main]
//! # async fn main() -> std::io::Result<()> {
//! // Publish with `ffmpeg -re -i in.flv -c copy -f flv rtmp://127.0.0.1:1935/live/key`,
//! // play with `ffplay rtmp://127.0.0.1:1935/live/key`.
//! let listener = TcpListener::bind("127.0.0.1:1935").await?;
//! let (trigger, shutdown) = Shutdown::new();
//! // Call `trigger.trigger()` on SIGTERM: the relay finishes its recordings,
//! // says goodbye to every connection, and `serve` returns.
//! # drop(trigger);
//! rtmp_relay::serve(listener, RelayConfig::default(), shutdown).await
//! # }
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod accept;
pub mod auth;
pub mod gateway;
mod limits;
pub mod plain_http;
pub mod prometheus;
pub mod rtmp_relay;
mod shutdown;
mod transport;
pub mod ws_chat;
pub mod ws_metrics;

pub use accept::{serve_connections, Admission, ConnectionSlot};
pub use limits::{ServerLimits, DRAIN_TIMEOUT, IDLE_TIMEOUT, MAX_CONNECTIONS, MEMORY_BUDGET};
pub use shutdown::{Shutdown, ShutdownTrigger};
pub use transport::{plain, BoxStream, ByteStream, WrapStream};
