//! A blocking `std::net` driver for any wirestate [`Machine`]: one
//! [`Connection`] per socket, with [`next_event`](Connection::next_event) and
//! [`send`](Connection::send), one thread per connection.
//!
//! ```
//! use std::io::{Read, Write};
//! use std::net::{TcpListener, TcpStream};
//! use bytes::Bytes;
//! use wirestate_blocking::Connection;
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
//! let listener = TcpListener::bind("127.0.0.1:0")?;
//! let addr = listener.local_addr()?;
//! let server = std::thread::spawn(move || -> std::io::Result<()> {
//!     let (socket, _) = listener.accept()?;
//!     // `Lines` is any Machine: Event = one line, Command = bytes to send.
//!     let mut conn = Connection::new(socket, Lines::default());
//!     while let Some(event) = conn.next_event() {
//!         let line = event.map_err(std::io::Error::other)?;
//!         let mut reply = b"you said: ".to_vec();
//!         reply.extend_from_slice(&line);
//!         reply.push(b'\n');
//!         conn.send(Bytes::from(reply)).map_err(std::io::Error::other)?;
//!     }
//!     Ok(()) // the peer closed: every line was answered
//! });
//!
//! let mut client = TcpStream::connect(addr)?;
//! client.write_all(b"hello\nworld\n")?;
//! client.shutdown(std::net::Shutdown::Write)?;
//! let mut replies = String::new();
//! client.read_to_string(&mut replies)?;
//! assert_eq!(replies, "you said: hello\nyou said: world\n");
//! server.join().unwrap()?;
//! # Ok::<(), std::io::Error>(())
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
//! [`Connection::with_read_size`]). It has no protocol behaviour of its own.
//!
//! The connection ends (`None`) when the machine
//! [`is_closed`](Machine::is_closed), or after the peer's EOF once the
//! remaining events were returned; either way the queued bytes are written
//! and the write side is shut down first.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod connection;
mod error;
mod outbox;
mod transport;

pub use connection::{Connection, DEFAULT_READ_SIZE};
pub use error::Error;
pub use transport::Transport;
#[doc(no_inline)]
pub use wirestate_core::Machine;
