//! The contract every wirestate protocol machine implements and every driver
//! drives.
//!
//! A [`Machine`] is a pure state machine: the caller pushes bytes, EOF, timer
//! expiries and application commands in with the `handle_*` methods, and pulls
//! decoded events, bytes to send and the next deadline out with the `poll_*`
//! methods. Time is always an argument and randomness comes from an injected
//! [`RandomSource`], so a run is reproducible byte for byte.
//!
//! ```
//! use std::time::{Duration, Instant};
//! use bytes::{Bytes, BytesMut};
//! use wirestate_core::{IdleTimeout, Machine};
//!
//! /// A toy machine: every input byte is an event, echoed back.
//! #[derive(Default)]
//! struct Echo { buf: BytesMut, out: Vec<Bytes>, eof: bool }
//!
//! impl Machine for Echo {
//!     type Event = u8;
//!     type Command = ();
//!     type Error = std::io::Error;
//!     fn input_buffer(&mut self) -> &mut BytesMut { &mut self.buf }
//!     fn handle_buffered_input(&mut self, _now: Instant) {}
//!     fn handle_eof(&mut self, _now: Instant) { self.eof = true }
//!     fn handle_command(&mut self, _: (), _now: Instant) -> Result<(), std::io::Error> { Ok(()) }
//!     fn poll_event(&mut self) -> Option<Result<u8, std::io::Error>> {
//!         if self.buf.is_empty() { return None }
//!         let byte = self.buf.split_to(1);
//!         self.out.push(byte.clone().freeze());
//!         Some(Ok(byte[0]))
//!     }
//!     fn poll_transmit(&mut self) -> Option<Bytes> {
//!         (!self.out.is_empty()).then(|| self.out.remove(0))
//!     }
//!     fn wants_read(&self) -> bool { !self.eof }
//!     fn is_closed(&self) -> bool { self.eof && self.buf.is_empty() }
//! }
//!
//! let start = Instant::now();
//! let mut machine = IdleTimeout::new(Echo::default(), Duration::from_secs(120), start);
//! machine.handle_input(b"hi", start);
//! assert_eq!(machine.poll_event().unwrap().unwrap(), b'h');
//! assert_eq!(machine.poll_event().unwrap().unwrap(), b'i');
//! assert_eq!(machine.poll_transmit().unwrap(), "h");
//!
//! // Two minutes without input: the wrapper closes the connection.
//! let deadline = machine.poll_timeout().unwrap();
//! assert_eq!(deadline, start + Duration::from_secs(120));
//! machine.handle_timeout(deadline);
//! assert!(machine.poll_event().unwrap().is_err());
//! assert!(machine.is_closed());
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod driver_error;
mod goodbye;
mod idle;
mod machine;
mod max_age;
mod poison;
mod random;
mod rate_limit;
mod read_room;
#[cfg(feature = "testing")]
pub mod testing;
mod timer;
mod transmit;

pub use driver_error::DriverError;
pub use goodbye::{Goodbye, GoodbyeReason};
pub use idle::{IdleError, IdleTimeout};
pub use machine::Machine;
pub use max_age::MaxAge;
pub use poison::Poison;
#[cfg(feature = "os-random")]
pub use random::OsRandom;
pub use random::{RandomSource, SeededRandom};
pub use rate_limit::RateLimit;
pub use read_room::{prepare_read, reserved_room};
pub use timer::{Timer, TimerTable, DEFAULT_HANDSHAKE_TIMEOUT, DEFAULT_SEND_TIMEOUT, MAX_TIMERS};
pub use transmit::{TransmitQueue, MAX_IO_SLICES};
