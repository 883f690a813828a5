//! A blocking `std::net` driver for any wirestate [`Machine`]: one
//! [`Connection`] per socket, with [`next_event`](Connection::next_event) and
//! [`send`](Connection::send), one thread per connection.
//!
//! ```
//! use std::net::{Shutdown, TcpListener, TcpStream};
//! use bytes::Bytes;
//! use wirestate_blocking::Connection;
//! use wirestate_length::{LengthCommand, LengthConfig, LengthConnection, LengthEvent};
//! # type BoxError = Box<dyn std::error::Error + Send + Sync>;
//!
//! // An echo server for Erlang-style {packet,2} frames.
//! let listener = TcpListener::bind("127.0.0.1:0")?;
//! let addr = listener.local_addr()?;
//! let server = std::thread::spawn(move || -> Result<(), BoxError> {
//!     let (socket, _) = listener.accept()?;
//!     let mut conn = Connection::new(socket, LengthConnection::new(LengthConfig::erlang(2)));
//!     while let Some(event) = conn.next_event() {
//!         if let LengthEvent::Frame(payload) = event? {
//!             conn.send(LengthCommand::Send(payload))?;
//!         }
//!     }
//!     Ok(()) // the client closed its side
//! });
//!
//! // A client on the same driver.
//! let socket = TcpStream::connect(addr)?;
//! let mut client = Connection::new(socket, LengthConnection::new(LengthConfig::erlang(2)));
//! client.send(LengthCommand::Send(Bytes::from_static(b"hello")))?;
//! let echo = client.next_event().unwrap()?;
//! assert_eq!(echo, LengthEvent::Frame(Bytes::from_static(b"hello")));
//!
//! client.transport_mut().shutdown(Shutdown::Write)?;
//! assert!(client.next_event().is_none()); // the server closed too
//! server.join().unwrap()?;
//! # Ok::<(), BoxError>(())
//! ```
//!
//! # What the driver does
//!
//! It runs the loop documented on [`Machine`]: write everything from
//! [`poll_transmit`](Machine::poll_transmit) (several pieces per vectored
//! write), return events from [`poll_event`](Machine::poll_event), and when
//! there are none, read, but only while the machine
//! [`wants_read`](Machine::wants_read), with the socket's read timeout set to
//! the time left until [`poll_timeout`](Machine::poll_timeout). Reads go
//! straight into the machine's [`input_buffer`](Machine::input_buffer), at
//! most [`DEFAULT_READ_SIZE`] bytes at a time (see
//! [`Connection::with_read_size`]), and into the room the machine reserved
//! for a unit when it reports one with
//! [`input_needed`](Machine::input_needed). It has no protocol behaviour of
//! its own.
//!
//! Writes block until the peer took every byte, so the driver holds no more
//! than one read beyond what the machine buffers, plus the transmits of one
//! flush.
//!
//! The connection ends (`None`) when the machine
//! [`is_closed`](Machine::is_closed), or after the peer's EOF once the
//! remaining events were returned; either way the queued bytes are written
//! and the write side is shut down first.
//!
//! # Tracing
//!
//! Every connection has a `tracing` span, `connection{id=.. peer=..}`
//! (level INFO): [`Connection::id`] comes from a process-wide counter, the
//! peer address from [`Connection::with_peer`] (or bring your own span with
//! [`Connection::with_span`]). The driver enters it in every call that does
//! IO, and logs at DEBUG only on notable transitions: the peer's EOF, a
//! drain timeout, a machine failure. Enter [`Connection::span`] around your
//! own work so your lines carry the connection too. The machines never log.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod connection;
mod span;
#[cfg(feature = "tls")]
pub mod tls;
mod transport;

pub use connection::{Connection, DEFAULT_DRAIN_TIMEOUT, DEFAULT_READ_SIZE};
pub use transport::Transport;
pub use wirestate_core::DriverError as Error;
#[doc(no_inline)]
pub use wirestate_core::Machine;
