//! Sans-IO length-prefix framing: a length field of 1, 2, 3, 4 or 8 bytes
//! (big or little endian) or a varint, optionally after other header bytes,
//! then that many bytes of payload. Erlang's `{packet,1|2|4}` are presets,
//! and so are its other `decode_packet` types, `asn1`, `cdr`, `sunrm`,
//! `fcgi`, `tpkt` and `raw` ([`LengthConfig::erlang_packet`], [`ErlangPacket`]).
//!
//! ```
//! use std::time::Instant;
//! use bytes::Bytes;
//! use wirestate_core::Machine;
//! use wirestate_length::{LengthConfig, LengthConnection, LengthEvent};
//!
//! let now = Instant::now();
//! let mut machine = LengthConnection::new(LengthConfig::erlang(2));
//!
//! // Input arrives in arbitrary pieces; frames come out whole.
//! machine.handle_input(b"\x00\x05hel", now);
//! assert!(machine.poll_event().is_none());
//! machine.handle_input(b"lo\x00\x00", now);
//! assert_eq!(machine.poll_event(), Some(Ok(LengthEvent::Frame(Bytes::from_static(b"hello")))));
//! assert_eq!(machine.poll_event(), Some(Ok(LengthEvent::Frame(Bytes::new())))); // zero-length
//!
//! // Sending: the header and the untouched payload, ready for a vectored write.
//! machine.send(Bytes::from_static(b"bye")).unwrap();
//! assert_eq!(machine.poll_transmit().unwrap(), &b"\x00\x03"[..]);
//! assert_eq!(machine.poll_transmit().unwrap(), &b"bye"[..]);
//!
//! // The peer closes between frames: a clean end.
//! machine.handle_eof(now);
//! assert!(machine.poll_event().is_none());
//! assert!(machine.is_closed());
//! ```
//!
//! The pieces:
//!
//! - [`LengthConfig`]: the wire layout (field, endianness, offset, adjustment,
//!   header kept or stripped, maximum length, oversize policy) and the
//!   encoder ([`LengthConfig::encode_header`], [`LengthConfig::encode_into`]), usable on
//!   its own.
//! - [`LengthConnection`]: the [`Machine`](wirestate_core::Machine) to run under
//!   a driver; its docs give the EOF policy and the memory bound.
//! - [`LengthError`]: what the peer got wrong (fatal); [`LocalError`]: what
//!   the application asked for that cannot be done (returned, nothing
//!   changes).
//! - `LengthCodec` (feature `tokio-util`): the same as a
//!   `tokio_util::codec::{Decoder, Encoder}`.
//!
//! Prefer the borrowed fast path, [`LengthConnection::for_each_frame`] (and
//! `LengthCodec::decode_borrowed`), when each frame is parsed in place and
//! none is kept: it hands out `&[u8]` slices of the input buffer instead of a
//! `Bytes` per frame, with the same rules and errors.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

#[cfg(feature = "tokio-util")]
mod codec;
mod command;
mod config;
mod connection;
mod decode;
mod error;
mod event;
mod field;
mod packet;
#[cfg(test)]
mod tests;
mod varint;

#[cfg(feature = "tokio-util")]
pub use codec::{LengthCodec, LengthCodecError};
pub use command::LengthCommand;
pub use config::{LengthConfig, OversizePolicy, DEFAULT_MAX_FRAME_LENGTH};
pub use connection::{LengthConnection, DEFAULT_INPUT_HIGH_WATER};
pub use error::{LengthError, LocalError};
pub use event::LengthEvent;
pub use field::LengthField;
pub use packet::{ErlangPacket, PacketProblem, UnknownPacketType};
