//! wirestate: Sans-IO protocol codecs.
//!
//! Each protocol is a pure state machine implementing [`Machine`]: push bytes
//! in with `handle_*`, pull events and bytes-to-send out with `poll_*`. The
//! machines never touch a socket, a clock or a random generator of their own,
//! so they run under any runtime, in a fuzzer, or over a recorded capture.
//!
//! This facade re-exports the protocol crates and drivers behind features of
//! the same name (`length`, `lines`, `websocket`, `rtmp`, `tokio`,
//! `blocking`), all on by default. The feature `tokio-util` turns on the
//! `tokio_util::codec` implementations of the framing crates, so their
//! codecs drop into `Framed` with this one dependency.
//!
//! # Driver names
//!
//! The drivers are [`tokio_driver`] and [`blocking_driver`], not `tokio` and
//! `blocking`, so `use wirestate::tokio_driver;` never shadows the tokio
//! crate. Both name their connection type `Connection`; the facade also
//! exports them as [`TokioConnection`] and [`BlockingConnection`], so one
//! `use` list takes every connection type:
//!
//! ```
//! # #[cfg(all(feature = "length", feature = "tokio", feature = "blocking"))]
//! # fn main() {
//! use std::os::unix::net::UnixStream;
//! use wirestate::length::{LengthConfig, LengthConnection};
//! use wirestate::{BlockingConnection, TokioConnection};
//!
//! // `tokio` is still the tokio crate.
//! let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
//! runtime.block_on(async {
//!     let (io, _peer) = tokio::io::duplex(1024);
//!     let _conn = TokioConnection::new(io, LengthConnection::new(LengthConfig::erlang(2)));
//! });
//!
//! let (io, _peer) = UnixStream::pair().unwrap();
//! let _conn = BlockingConnection::new(io, LengthConnection::new(LengthConfig::erlang(2)));
//! # }
//! # #[cfg(not(all(feature = "length", feature = "tokio", feature = "blocking")))]
//! # fn main() {}
//! ```
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

/// The tokio driver (`wirestate-tokio`). Named so that it does not shadow
/// the tokio crate in a `use` list.
#[cfg(feature = "tokio")]
pub use wirestate_tokio as tokio_driver;

/// The tokio driver's connection ([`tokio_driver::Connection`]): a `Stream`
/// of events and a `Sink` of commands over an `AsyncRead + AsyncWrite`.
#[cfg(feature = "tokio")]
pub use wirestate_tokio::Connection as TokioConnection;

/// The blocking `std::net` driver (`wirestate-blocking`). Named like
/// [`tokio_driver`] for symmetry.
#[cfg(feature = "blocking")]
pub use wirestate_blocking as blocking_driver;

/// The blocking driver's connection ([`blocking_driver::Connection`]):
/// `next_event()` and `send(cmd)` over a `Read + Write` transport.
#[cfg(feature = "blocking")]
pub use wirestate_blocking::Connection as BlockingConnection;

// Keeps the README's example compiling and passing.
#[cfg(all(doctest, feature = "length", feature = "tokio-util"))]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
