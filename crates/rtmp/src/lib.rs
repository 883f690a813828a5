//! wirestate-rtmp: Sans-IO RTMP, as a pure state machine.
//!
//! [`RtmpConnection`] is one side of one connection: push received bytes in,
//! pull typed [`RtmpEvent`]s and bytes to send out. It runs the handshake
//! ([`handshake`]), then the chunk stream ([`chunk`]), applies protocol
//! control itself (chunk size, abort, acknowledgements, ping answers) and
//! types every message ([`message`]: commands and data in [`amf0`], with
//! [`amf3`] values behind AVM+ switches in the AMF3 flavours, audio and
//! video tag headers in [`media`], Enhanced RTMP included). It never touches
//! a socket or a clock; randomness for the handshake is injected.
//!
//! ```
//! use std::time::Instant;
//! use wirestate_core::{Machine, SeededRandom};
//! use wirestate_rtmp::message::{Command, Connect, Message};
//! use wirestate_rtmp::{MessageEvent, RtmpConnection, RtmpEvent};
//!
//! let now = Instant::now();
//! let mut client = RtmpConnection::client(SeededRandom::new(1));
//! let mut server = RtmpConnection::server(SeededRandom::new(2));
//!
//! // Sent before the handshake is over: queued until it is.
//! let connect = Connect::new(1.0, "live", "rtmp://127.0.0.1/live");
//! client.send(0, 0, Message::Command { amf3: false, command: Command::Connect(connect) })?;
//!
//! // Shuttle bytes both ways until nothing moves, collecting the server's events.
//! let mut events = Vec::new();
//! loop {
//!     let mut moved = false;
//!     while let Some(bytes) = client.poll_transmit() {
//!         server.handle_input(&bytes, now);
//!         moved = true;
//!     }
//!     while let Some(event) = server.poll_event() {
//!         events.push(event?);
//!     }
//!     while let Some(bytes) = server.poll_transmit() {
//!         client.handle_input(&bytes, now);
//!         moved = true;
//!     }
//!     while let Some(event) = client.poll_event() {
//!         event?;
//!     }
//!     if !moved {
//!         break;
//!     }
//! }
//! assert_eq!(events[0], RtmpEvent::HandshakeComplete);
//! let RtmpEvent::Message(MessageEvent { message: Message::Command { command: Command::Connect(c), .. }, .. }) = &events[1]
//! else { panic!("expected connect, got {:?}", events[1]) };
//! assert_eq!(c.app(), Some("live"));
//! # Ok::<(), wirestate_rtmp::RtmpError>(())
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod amf0;
pub mod amf3;
pub mod chunk;
mod command;
mod config;
mod connection;
mod error;
mod event;
pub mod flv;
mod goodbye;
pub mod handshake;
pub mod media;
pub mod message;
pub mod session;

pub use command::{Outgoing, RtmpCommand};
pub use config::{Role, RtmpConfig, DEFAULT_INPUT_HIGH_WATER};
pub use connection::{RtmpConnection, MIN_ACK_WINDOW};
pub use error::{LocalError, RtmpError};
pub use event::{MessageEvent, RtmpEvent};
