//! A tokio driver for any wirestate [`Machine`]: a [`Connection`] over an
//! `AsyncRead + AsyncWrite` transport is a `Stream` of events and a `Sink` of
//! commands.
//!
//! ```
//! use bytes::Bytes;
//! use wirestate_length::{LengthCommand, LengthConfig, LengthConnection, LengthError, LengthEvent};
//! use wirestate_tokio::Connection;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
//! // An in-memory pipe stands in for a TcpStream.
//! let (client_io, server_io) = tokio::io::duplex(64 * 1024);
//!
//! // An echo server for Erlang-style {packet,2} frames.
//! let server = tokio::spawn(async move {
//!     let mut conn = Connection::new(server_io, LengthConnection::new(LengthConfig::erlang(2)));
//!     while let Some(event) = conn.next_event().await {
//!         if let LengthEvent::Frame(payload) = event? {
//!             conn.send(LengthCommand::Send(payload)).await?;
//!         }
//!     }
//!     Ok::<_, wirestate_tokio::Error<LengthError>>(()) // the client closed its side
//! });
//!
//! // A client on the same driver.
//! let mut client = Connection::new(client_io, LengthConnection::new(LengthConfig::erlang(2)));
//! client.send(LengthCommand::Send(Bytes::from_static(b"hello"))).await?;
//! let echo = client.next_event().await.unwrap()?;
//! assert_eq!(echo, LengthEvent::Frame(Bytes::from_static(b"hello")));
//!
//! // It is also a Sink of commands and a Stream of events.
//! use futures_util::{SinkExt, StreamExt};
//! client.feed(LengthCommand::Send(Bytes::from_static(b"a"))).await?;
//! client.feed(LengthCommand::Send(Bytes::from_static(b"b"))).await?;
//! client.close().await?; // flush both frames, then shut down our side
//! let rest: Vec<_> = client.collect().await;
//! assert_eq!(rest.len(), 2); // both echoes, then the server closed too
//! server.await??;
//! # Ok(())
//! # }
//! ```
//!
//! # What the driver does
//!
//! It runs the loop documented on [`Machine`]: write everything from
//! [`poll_transmit`](Machine::poll_transmit) (vectored writes, several pieces
//! at a time, resuming after partial writes), return events from
//! [`poll_event`](Machine::poll_event), and when there are none wait for the
//! first of: input (read straight into the machine's
//! [`input_buffer`](Machine::input_buffer), and only while it
//! [`wants_read`](Machine::wants_read)), the
//! [`poll_timeout`](Machine::poll_timeout) deadline (`sleep_until`), or a
//! command through the `Sink`. It has no protocol behaviour of its own.
//!
//! The stream ends (`None`) when the machine [`is_closed`](Machine::is_closed),
//! or after the peer's EOF once the remaining events were returned; either way
//! the queued bytes are written and the write side is shut down first.
//!
//! To use the machine's inherent API, call it through
//! [`Connection::machine_mut`], then [`Connection::flush`].
//!
//! A machine that neither wants input nor has a deadline or an event waits
//! for the application: the event stream then stays pending until a command
//! arrives through the `Sink` (from another task, after `split`) or the
//! caller changes the machine and polls again.
//!
//! # Memory
//!
//! Beyond what the machine buffers, the driver holds the transmits not yet
//! written. Reading pauses while at least the write high-water mark
//! ([`DEFAULT_WRITE_HIGH_WATER`]) of them wait for a slow peer, and
//! `Sink::poll_ready` waits below it, so a peer that stops reading cannot
//! make an echoing connection grow without bound.
//!
//! # Time
//!
//! The driver passes tokio's clock ([`now`]) to the machine, so tests with
//! paused time (`#[tokio::test(start_paused = true)]`) drive timeouts
//! without waiting. Build machines that take a start time with [`now`] too.
//! A machine with deadlines needs a runtime with the time driver enabled
//! (`enable_time`, or `enable_all`; `#[tokio::main]` has it).
//!
//! # Tracing
//!
//! Every connection has a `tracing` span, `connection{id=.. peer=..}`
//! (level INFO): [`Connection::id`] comes from a process-wide counter, the
//! peer address from [`Connection::with_peer`] (or bring your own span with
//! [`Connection::with_span`]). The driver enters it around every poll, and
//! logs at DEBUG only on notable transitions: the peer's EOF, a drain
//! timeout, a machine failure. Enter [`Connection::span`] around your own
//! work so your lines carry the connection too. The machines never log.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod batch;
#[cfg(any(feature = "tls", feature = "websocket", feature = "rtmp"))]
mod bounded;
mod budget;
mod charge;
mod clock;
mod connection;
mod linger;
mod span;
mod stream;
mod write;

#[cfg(any(feature = "websocket", feature = "rtmp"))]
pub mod connect;
#[cfg(feature = "tls")]
pub mod tls;

pub use budget::MemoryBudget;
pub use connection::{
    now, Connection, DEFAULT_DRAIN_TIMEOUT, DEFAULT_READ_SIZE, DEFAULT_WRITE_HIGH_WATER,
};
/// The error of this driver: [`Io`](Error::Io) or
/// [`Machine`](Error::Machine). It never returns
/// [`Stalled`](Error::Stalled) (that variant is the blocking driver's): a
/// machine that waits for the application leaves the stream pending until a
/// command arrives, so a `match` may treat `Stalled` as unreachable.
pub use wirestate_core::DriverError as Error;
#[doc(no_inline)]
pub use wirestate_core::Machine;
