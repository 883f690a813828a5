//! wirestate: Sans-IO protocol codecs.
//!
//! Each protocol is a pure state machine implementing [`Machine`]: push bytes
//! in with `handle_*`, pull events and bytes-to-send out with `poll_*`. The
//! machines never touch a socket, a clock or a random generator of their own,
//! so they run under any runtime, in a fuzzer, or over a recorded capture.
//!
//! This facade re-exports the protocol crates and drivers behind features of
//! the same name (`length`, `lines`, `websocket`, `rtmp`, `tokio`,
//! `blocking`), all on by default.
//!
//! ```
//! use std::time::Instant;
//! use wirestate::Machine;
//! # #[cfg(feature = "length")] {
//! use wirestate::length::{LengthConfig, LengthConnection, LengthEvent};
//!
//! let mut machine = LengthConnection::new(LengthConfig::erlang(2));
//! machine.handle_input(b"\x00\x05hello\x00", Instant::now());
//! match machine.poll_event() {
//!     Some(Ok(LengthEvent::Frame(frame))) => assert_eq!(&frame[..], b"hello"),
//!     other => panic!("unexpected {other:?}"),
//! }
//! // The second frame's header is incomplete: nothing more yet.
//! assert!(machine.poll_event().is_none());
//! # }
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub use wirestate_core as core;
pub use wirestate_core::{IdleTimeout, Machine};

/// Length-prefix framing (`wirestate-length`).
#[cfg(feature = "length")]
pub use wirestate_length as length;

/// Line protocol with raw N-byte blocks (`wirestate-lines`).
#[cfg(feature = "lines")]
pub use wirestate_lines as lines;

/// WebSocket, RFC 6455 (`wirestate-websocket`).
#[cfg(feature = "websocket")]
pub use wirestate_websocket as websocket;

/// RTMP: handshake, chunk stream, messages, AMF0 (`wirestate-rtmp`).
#[cfg(feature = "rtmp")]
pub use wirestate_rtmp as rtmp;

/// The tokio driver (`wirestate-tokio`).
#[cfg(feature = "tokio")]
pub use wirestate_tokio as tokio;

/// The blocking `std::net` driver (`wirestate-blocking`).
#[cfg(feature = "blocking")]
pub use wirestate_blocking as blocking;

// Keeps the README's example compiling and passing.
#[cfg(all(doctest, feature = "length"))]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
