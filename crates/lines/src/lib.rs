//! Sans-IO line protocol codec: lines ended by a configurable delimiter, with
//! a length limit and overflow policy, plus raw N-byte blocks in between
//! (memcached values, Redis bulk strings, "header line then body").
//!
//! ```
//! use std::time::Instant;
//! use wirestate_core::Machine;
//! use wirestate_lines::{memcached, LineConfig, LineConnection, LineEvent};
//!
//! let now = Instant::now();
//! // Accept "\n" or "\r\n"; send "\r\n".
//! let mut client = LineConnection::new(LineConfig::default().encode_delimiter("\r\n")?);
//! client.send_line("get greeting")?;
//! let wire: Vec<u8> = std::iter::from_fn(|| client.poll_transmit()).flatten().collect();
//! assert_eq!(wire, b"get greeting\r\n");
//!
//! // The reply arrives cut anywhere, and the value itself contains "\r\n".
//! client.handle_input(b"VALUE greeting 0 7\r\nhi\r\nyou", now);
//! client.handle_input(b"\r\nEND\r\n", now);
//! let Some(Ok(LineEvent::Line { bytes: header, .. })) = client.poll_event() else { panic!() };
//! assert_eq!(header, "VALUE greeting 0 7");
//! // The header announces 7 bytes of data (plus its own "\r\n"): read them raw.
//! client.expect_raw(memcached::data_len(&header).unwrap())?;
//! assert_eq!(client.poll_event(), Some(Ok(LineEvent::Raw("hi\r\nyou\r\n".into()))));
//! assert_eq!(client.poll_event(), Some(Ok(LineEvent::line("END"))));
//! assert_eq!(client.poll_event(), None);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Pieces
//!
//! - [`Delimiter`]: `\n` with optional `\r`, strict `\r\n`, any byte, a set of
//!   up to three bytes, or a byte sequence; kept or stripped.
//! - [`LineConfig`]: the maximum line length and its [`Overflow`] policy
//!   (fail, discard, split), the [`EofPolicy`], the raw-block limit.
//! - [`LineDecoder`] / [`LineEncoder`]: the pure codec over a `BytesMut`.
//! - [`LineConnection`]: the [`Machine`](wirestate_core::Machine) for the drivers.
//! - [`LineError`]: what the peer got wrong (fatal); [`LocalError`]: what the
//!   application asked for that cannot be done (returned, nothing changes).
//! - `LineCodec` (feature `tokio-util`): `tokio_util::codec::{Decoder, Encoder}`.
//!
//! Prefer the borrowed fast path, [`LineConnection::for_each_line`] (and
//! [`LineDecoder::decode_borrowed`], `LineCodec::decode_borrowed`), when each
//! line is parsed in place and none is kept: it hands out `&[u8]` slices of
//! the input buffer instead of a `Bytes` per line, with the same rules and
//! errors, and stops where the owned path must take over (a raw block).
//! - [`memcached`]: which memcached lines (classic and meta) announce a data
//!   block; meta commands and answers parsed and encoded ([`memcached::MetaCommand`],
//!   [`memcached::MetaReply`]).
//!
//! Searching is linear in the input however it is cut: the decoder remembers
//! how far the current line was searched and never searches a byte twice
//! (except the few bytes a multi-byte delimiter could straddle).
#![forbid(unsafe_code)]
#![warn(missing_docs)]

#[cfg(feature = "tokio-util")]
mod codec;
mod command;
mod config;
mod connection;
mod decode;
mod delimiter;
mod encode;
mod error;
mod event;
mod lf_block;
pub mod memcached;

#[cfg(feature = "tokio-util")]
pub use codec::{LineCodec, LineCodecError};
pub use command::LineCommand;
pub use config::{
    EofPolicy, LineConfig, Overflow, DEFAULT_INPUT_HIGH_WATER, DEFAULT_MAX_LINE, DEFAULT_MAX_RAW,
};
pub use connection::LineConnection;
pub use decode::LineDecoder;
pub use delimiter::Delimiter;
pub use encode::LineEncoder;
pub use error::{ConfigError, InvalidUtf8, LineError, LocalError};
pub use event::{text, LineEvent};
