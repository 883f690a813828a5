//! A tokio driver for any wirestate [`Machine`]: a [`Connection`] over an
//! `AsyncRead + AsyncWrite` transport is a `Stream` of events and a `Sink` of
//! commands.
//!
//! ```
//! use bytes::Bytes;
//! use tokio::io::{AsyncReadExt, AsyncWriteExt};
//! use wirestate_tokio::Connection;
//! # use std::time::Instant;
//! # use bytes::BytesMut;
//! # use wirestate_core::Machine;
//! # /// A toy protocol: newline-terminated lines; the command sends raw bytes.
//! # #[derive(Default)]
//! # struct Lines { buf: BytesMut, out: Vec<Bytes>, eof: bool }
//! # impl Machine for Lines {
//! #     type Event = Bytes;
//! #     type Command = Bytes;
//! #     type Error = std::io::Error;
//! #     fn input_buffer(&mut self) -> &mut BytesMut { &mut self.buf }
//! #     fn handle_buffered_input(&mut self, _: Instant) {}
//! #     fn handle_eof(&mut self, _: Instant) { self.eof = true }
//! #     fn handle_timeout(&mut self, _: Instant) {}
//! #     fn handle_command(&mut self, cmd: Bytes, _: Instant) -> std::io::Result<()> {
//! #         self.out.push(cmd);
//! #         Ok(())
//! #     }
//! #     fn poll_event(&mut self) -> Option<std::io::Result<Bytes>> {
//! #         let end = self.buf.iter().position(|&b| b == b'\n')?;
//! #         let line = self.buf.split_to(end + 1).freeze();
//! #         Some(Ok(line.slice(..end)))
//! #     }
//! #     fn poll_transmit(&mut self) -> Option<Bytes> {
//! #         (!self.out.is_empty()).then(|| self.out.remove(0))
//! #     }
//! #     fn poll_timeout(&self) -> Option<Instant> { None }
//! #     fn wants_read(&self) -> bool { !self.eof }
//! #     fn is_closed(&self) -> bool { false }
//! # }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // An in-memory pipe stands in for a TcpStream.
//! let (ours, mut theirs) = tokio::io::duplex(64 * 1024);
//! let server = tokio::spawn(async move {
//!     // `Lines` is any Machine: Event = one line, Command = bytes to send.
//!     let mut conn = Connection::new(ours, Lines::default());
//!     while let Some(event) = conn.next_event().await {
//!         let line = event?;
//!         let reply = [b"you said: ", &line[..], b"\n"].concat();
//!         conn.send(Bytes::from(reply)).await?;
//!     }
//!     Ok::<_, wirestate_tokio::Error<std::io::Error>>(())
//! });
//!
//! theirs.write_all(b"hello\nworld\n").await?;
//! theirs.shutdown().await?;
//! let mut replies = String::new();
//! theirs.read_to_string(&mut replies).await?;
//! assert_eq!(replies, "you said: hello\nyou said: world\n");
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
//! # Time
//!
//! The driver passes tokio's clock ([`now`]) to the machine, so tests with
//! paused time (`#[tokio::test(start_paused = true)]`) drive timeouts
//! without waiting. Build machines that take a start time with [`now`] too.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod connection;
mod error;
mod outbox;

pub use connection::{now, Connection, DEFAULT_READ_SIZE, DEFAULT_WRITE_HIGH_WATER};
pub use error::Error;
#[doc(no_inline)]
pub use wirestate_core::Machine;
