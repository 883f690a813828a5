//! WebSocket (RFC 6455) as a Sans-IO state machine, for servers and clients.
//!
//! [`WsServer`] and [`WsClient`] implement [`wirestate_core::Machine`]: push
//! the bytes you read with `handle_input`, pull [`Event`]s with `poll_event`
//! and the bytes to write with `poll_transmit`. They run the opening
//! handshake, then a [`Connection`]: framing, masking, fragmentation, UTF-8
//! validation, pings and the close handshake. No sockets, no clock, no
//! randomness of their own (a client's key and masks come from an injected
//! [`RandomSource`](wirestate_core::RandomSource)).
//!
//! ```
//! use std::time::Instant;
//! use wirestate_core::{Machine, SeededRandom};
//! use wirestate_websocket::{Accept, ClientRequest, Config, Event, Message, WsClient, WsServer};
//!
//! let now = Instant::now();
//! let mut client = WsClient::new(ClientRequest::new("localhost", "/echo"), Config::default(), SeededRandom::new(7)).unwrap();
//! let mut server = WsServer::new(Config::default());
//!
//! // Wire the two machines together by hand: what one transmits, the other reads.
//! fn pump(from: &mut impl Machine, to: &mut impl Machine, now: Instant) {
//!     while let Some(bytes) = from.poll_transmit() {
//!         to.handle_input(&bytes, now);
//!     }
//! }
//!
//! pump(&mut client, &mut server, now);
//! let Some(Ok(Event::Request(request))) = server.poll_event() else { panic!() };
//! assert_eq!(request.path, "/echo");
//! server.accept(Accept::default()).unwrap();
//! pump(&mut server, &mut client, now);
//! assert!(matches!(client.poll_event(), Some(Ok(Event::Connected(_)))));
//!
//! client.send_text("héllo").unwrap();
//! pump(&mut client, &mut server, now);
//! let Some(Ok(Event::Message(Message::Text(text)))) = server.poll_event() else { panic!() };
//! assert_eq!(text, "héllo");
//!
//! // Closing: the server echoes the close, and both ends are done.
//! client.close(1000, "bye").unwrap();
//! pump(&mut client, &mut server, now);
//! assert!(matches!(server.poll_event(), Some(Ok(Event::Close(Some(c)))) if c.code == 1000));
//! pump(&mut server, &mut client, now);
//! assert!(matches!(client.poll_event(), Some(Ok(Event::Close(Some(c)))) if c.reason == "bye"));
//! assert!(client.is_closed() && server.is_closed());
//! ```
//!
//! # Rules enforced
//!
//! Peer violations are fatal [`WsError`]s that queue a close frame with the
//! matching code (1002 protocol, 1007 invalid UTF-8, 1009 too big) before the
//! machine stops; application misuse is a [`LocalError`] that changes
//! nothing. EOF without a close handshake is [`WsError::AbnormalClosure`]
//! (1006).
//!
//! # Extensions
//!
//! permessage-deflate (RFC 7692) is negotiated when
//! [`Config::deflate`] is set: a client offers
//! `permessage-deflate; client_max_window_bits` (plus any restriction it
//! configures), a server accepts the first acceptable offer, and the agreed
//! [`DeflateParams`] are in [`Response::deflate`] and
//! [`Connection::deflate`]. RSV1 then marks a compressed message on its
//! first frame; messages are inflated in bounded steps against
//! `max_message_size` and text is validated as it comes out. Without it,
//! every reserved bit is refused (1002).
//!
//! ```
//! use std::time::Instant;
//! use wirestate_core::{Machine, SeededRandom};
//! use wirestate_websocket::{Accept, ClientRequest, Config, DeflateConfig, Event, Message, WsClient, WsServer};
//!
//! let now = Instant::now();
//! let client_config = Config { deflate: Some(DeflateConfig::client()), ..Config::default() };
//! let server_config = Config { deflate: Some(DeflateConfig::server()), ..Config::default() };
//! let mut client = WsClient::new(ClientRequest::new("h", "/"), client_config, SeededRandom::new(1)).unwrap();
//! let mut server = WsServer::auto_accept(server_config);
//! # fn pump(from: &mut impl Machine, to: &mut impl Machine, now: Instant) {
//! #     while let Some(bytes) = from.poll_transmit() { to.handle_input(&bytes, now); }
//! # }
//! pump(&mut client, &mut server, now);
//! assert!(matches!(server.poll_event(), Some(Ok(Event::Request(_)))));
//! pump(&mut server, &mut client, now);
//! let Some(Ok(Event::Connected(response))) = client.poll_event() else { panic!() };
//! assert_eq!(response.deflate.unwrap().client_max_window_bits, 12);
//!
//! let text = "compress me ".repeat(100);
//! client.send_text(text.clone()).unwrap();
//! let mut wire = Vec::new();
//! while let Some(bytes) = client.poll_transmit() { wire.extend_from_slice(&bytes); }
//! assert!(wire.len() < 100, "1200 bytes went out as {}", wire.len());
//! server.handle_input(&wire, now);
//! let Some(Ok(Event::Message(Message::Text(got)))) = server.poll_event() else { panic!() };
//! assert_eq!(got, text.as_str());
//! ```
//!
//! # Memory
//!
//! See [`Config`] for the worst case and [`Connection`] for what an idle
//! connection holds (no heap buffer).
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod client;
mod close;
mod config;
mod connection;
mod deflate;
mod error;
pub mod frame;
mod handshake;
mod mask;
mod message;
mod server;
mod utf8;

use bytes::Bytes;

pub use client::WsClient;
pub use close::{is_valid_close_code, CloseFrame};
pub use config::{Config, Delivery, Keepalive};
pub use connection::{Connection, Role};
pub use deflate::{DeflateConfig, DeflateParams};
pub use error::{LocalError, ProtocolViolation, WsError};
pub use handshake::{
    accept_key, Accept, ClientRequest, Extension, HandshakeError, Reject, Request, Response,
};
pub use mask::{apply_mask, copy_masked};
pub use message::{DataKind, Event, Fragment, Message, Utf8Bytes};
pub use server::WsServer;

/// Requests for [`Machine::handle_command`](wirestate_core::Machine::handle_command),
/// the generic form of the inherent methods (`send_text`, `accept`, ...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Send a text message.
    Text(Utf8Bytes),
    /// Send a binary message.
    Binary(Bytes),
    /// Send a ping.
    Ping(Bytes),
    /// Send a pong.
    Pong(Bytes),
    /// Start the close handshake (`None`: a close frame without a code).
    Close(Option<CloseFrame>),
    /// Server: accept the pending upgrade request.
    Accept(Accept),
    /// Server: reject the pending upgrade request.
    Reject(Reject),
}
