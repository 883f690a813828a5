//! A loopback WebSocket echo benchmark: echo servers built on wirestate and
//! on the Rust peer crates (tokio-tungstenite, fastwebsockets,
//! tokio-websockets), and one load client that measures all of them the
//! same way.
//!
//! ```no_run
//! use wirestate_echo_bench::{load, runtime, server, Library};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
//! // The server side: `echo-server --lib wirestate --listen 127.0.0.1:0`.
//! let rt = runtime::build(1)?;
//! let listener = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))?;
//! let url = format!("ws://{}/", listener.local_addr()?);
//! rt.spawn(server::serve(Library::Wirestate, listener));
//!
//! // The client side: `echo-load --url ws://... --connections 100 --size 16`.
//! let settings = load::Settings { connections: 100, size: 16, ..load::Settings::new(url) };
//! let report = rt.block_on(load::run(&settings))?;
//! println!("{report}");
//! # Ok(()) }
//! ```
//!
//! Run `scripts/bench-echo.sh` for the whole comparison table.
//!
//! # Method
//!
//! - Every server runs on the same tokio runtime: [`runtime::build`] with one
//!   thread, a `current_thread` runtime. On a 2-core machine the server gets
//!   one core and the load client the other, and no library gains or loses
//!   from work stealing between threads.
//! - The client is tokio-tungstenite for every server, so the client's cost
//!   is the same in every row. Each connection sends one binary message,
//!   waits for its echo, records the round trip and repeats (pipeline depth
//!   1, as in the usual WebSocket echo benchmarks: web-socket-benchmark,
//!   uWebSockets' load_test); `--depth N` keeps N messages in flight per
//!   connection, where batching in the server shows.
//! - Nagle is off on both ends (`TCP_NODELAY`); no compression.
#![forbid(unsafe_code)]

pub mod latency;
pub mod load;
pub mod runtime;
pub mod server;

pub use server::Library;
