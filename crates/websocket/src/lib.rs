//! WebSocket (RFC 6455) as a Sans-IO state machine, for servers and clients.
//!
//! [`WsConnection`] implements [`wirestate_core::Machine`]: push the bytes
//! you read with `handle_input`, pull [`WsEvent`]s with `poll_event` and the
//! bytes to write with `poll_transmit`. One type serves both roles (the
//! [`Role`] is data): it runs the opening handshake, then framing, masking,
//! fragmentation, UTF-8 validation, pings and the close handshake. No
//! sockets, no clock, no randomness of its own (a client's key and masks
//! come from an injected [`RandomSource`](wirestate_core::RandomSource)).
//!
//! ```
//! use std::time::Instant;
//! use wirestate_core::{Machine, SeededRandom};
//! use wirestate_websocket::{Accept, ClientRequest, Message, WsConfig, WsConnection, WsEvent};
//!
//! let now = Instant::now();
//! let mut client = WsConnection::client(ClientRequest::new("localhost", "/echo"), WsConfig::default(), SeededRandom::new(7)).unwrap();
//! let mut server = WsConnection::server(WsConfig::default());
//!
//! // Wire the two machines together by hand: what one transmits, the other reads.
//! fn pump(from: &mut impl Machine, to: &mut impl Machine, now: Instant) {
//!     while let Some(bytes) = from.poll_transmit() {
//!         to.handle_input(&bytes, now);
//!     }
//! }
//!
//! pump(&mut client, &mut server, now);
//! let Some(Ok(WsEvent::Request(request))) = server.poll_event() else { panic!() };
//! assert_eq!(request.path, "/echo");
//! server.accept(Accept::default()).unwrap();
//! pump(&mut server, &mut client, now);
//! assert!(matches!(client.poll_event(), Some(Ok(WsEvent::Connected(_)))));
//!
//! client.send_text("héllo").unwrap();
//! pump(&mut client, &mut server, now);
//! let Some(Ok(WsEvent::Message(Message::Text(text)))) = server.poll_event() else { panic!() };
//! assert_eq!(text, "héllo");
//!
//! // Closing: the server echoes the close, and both ends are done.
//! client.close(1000, "bye").unwrap();
//! pump(&mut client, &mut server, now);
//! assert!(matches!(server.poll_event(), Some(Ok(WsEvent::Close(Some(c)))) if c.code == 1000));
//! pump(&mut server, &mut client, now);
//! assert!(matches!(client.poll_event(), Some(Ok(WsEvent::Close(Some(c)))) if c.reason == "bye"));
//! assert!(client.is_closed() && server.is_closed());
//! ```
//!
//! # Reading in place
//!
//! [`WsConnection::for_each_message`] hands buffered single-frame messages
//! to a closure as borrowed [`MessageRef`]s, unmasked in place, with no
//! `Bytes` per message; `poll_event` then hands out whatever stopped it
//! (a ping, a fragment, an error). For small messages this is several times
//! faster than an event per message. The tokio driver runs it in front of
//! its events with `Connection::next_event_with`.
//!
//! # The handshake on its own
//!
//! An HTTP server that does the upgrade itself uses the handshake pieces
//! directly ([`parse_request`], [`accept_key`], [`select_protocol`],
//! [`negotiate_deflate`], [`accept_response`], [`reject_response`]; on the
//! client side [`ClientRequest::encode`], [`deflate_offer`],
//! [`parse_response`]) and then hands the socket to
//! [`WsConnection::accepted_server`] (or `accepted_client`), which starts open:
//!
//! ```
//! use std::time::Instant;
//! use wirestate_core::{Machine, SeededRandom};
//! use wirestate_websocket::{
//!     accept_response, negotiate_deflate, parse_request, select_protocol, Accept, DeflateConfig,
//!     Role, WsConfig, WsConnection,
//! };
//!
//! let head = b"GET /chat HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
//!     Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\
//!     Sec-WebSocket-Protocol: chat.v2\r\nSec-WebSocket-Extensions: permessage-deflate\r\n\r\n";
//! let request = parse_request(head, 64).unwrap();
//! let config = WsConfig { deflate: Some(DeflateConfig::server()), ..WsConfig::default() };
//! let deflate = negotiate_deflate(&request.extensions, config.deflate.as_ref().unwrap());
//! let protocol = select_protocol(&request.protocols, &["chat.v2"]).map(String::from);
//! let answer = accept_response(&request, &Accept { protocol, ..Accept::default() }, deflate).unwrap();
//! // ... write `answer`, then run the connection on the socket:
//! # assert!(answer.starts_with(b"HTTP/1.1 101"));
//! let mut server = WsConnection::accepted_server(config, deflate);
//! server.send_text("welcome").unwrap();
//! assert!(server.poll_transmit().is_some());
//! ```
//!
//! # On `http` types (feature `http`)
//!
//! An HTTP server that hands over requests as `http` types (axum, hyper)
//! upgrades with `http_upgrade`: it validates the request, negotiates the
//! subprotocol and permessage-deflate as the [`WsConfig`] says, and returns
//! the `http::Response<()>` to send with a [`WsConnection`] that starts
//! open, for the upgraded bytes (`examples/axum_echo.rs` does this in an
//! axum router). `parse_http_request`, `accept_http_response` and
//! `failure_http_response` are the steps on their own. A client builds its
//! request with `http_client_request` and checks the answer with
//! `HttpClientHandshake::finish`. The rules are those of the raw handshake.
//!
//! # Rules enforced
//!
//! Peer violations are fatal [`WsError`]s that queue a close frame with the
//! matching code (1002 protocol, 1007 invalid UTF-8, 1009 too big) before the
//! machine stops; application misuse is a [`LocalError`] that changes
//! nothing. EOF without a close handshake is [`WsError::AbnormalClosure`]
//! (1006).
//!
//! # Deadlines
//!
//! Time is injected, so every deadline is a [`WsTimer`] that
//! [`poll_timeout`](wirestate_core::Machine::poll_timeout) announces: the
//! opening handshake completes within [`WsConfig::handshake_timeout`]
//! (10 s) of [`handle_connected`](wirestate_core::Machine::handle_connected)
//! however it is trickled, else [`WsError::HandshakeTimeout`] (a server
//! that has not answered sends a 408); queued bytes the peer takes none of
//! for [`WsConfig::send_timeout`] (30 s, fed by
//! [`handle_written`](wirestate_core::Machine::handle_written)) end the
//! connection with [`WsError::SendStalled`]; keepalive pings and the idle
//! timeout are opt-in. [`handle_shutdown`](wirestate_core::Machine::handle_shutdown)
//! says goodbye with close 1001.
//!
//! ```
//! use std::time::{Duration, Instant};
//! use wirestate_core::Machine;
//! use wirestate_websocket::{WsConfig, WsConnection, WsError};
//!
//! let t0 = Instant::now();
//! let mut server = WsConnection::server(WsConfig::default());
//! server.handle_connected(t0);
//! server.handle_input(b"GET / HT", t0 + Duration::from_secs(3)); // and then nothing
//! assert_eq!(server.poll_timeout(), Some(t0 + Duration::from_secs(10)));
//! server.handle_timeout(t0 + Duration::from_secs(10));
//! assert!(server.poll_transmit().unwrap().starts_with(b"HTTP/1.1 408 Request Timeout\r\n"));
//! assert_eq!(server.poll_event(), Some(Err(WsError::HandshakeTimeout(Duration::from_secs(10)))));
//! assert!(server.is_closed());
//! ```
//!
//! # Extensions
//!
//! permessage-deflate (RFC 7692) is negotiated when
//! [`WsConfig::deflate`] is set: a client offers
//! `permessage-deflate; client_max_window_bits` (plus any restriction it
//! configures), a server accepts the first acceptable offer, and the agreed
//! [`DeflateParams`] are in [`Response::deflate`] and
//! [`WsConnection::deflate`]. RSV1 then marks a compressed message on its
//! first frame; messages are inflated in bounded steps against
//! `max_message_size` and text is validated as it comes out. Without it,
//! every reserved bit is refused (1002).
//!
//! ```
//! use std::time::Instant;
//! use wirestate_core::{Machine, SeededRandom};
//! use wirestate_websocket::{ClientRequest, DeflateConfig, Message, WsConfig, WsConnection, WsEvent};
//!
//! let now = Instant::now();
//! let client_config = WsConfig { deflate: Some(DeflateConfig::client()), ..WsConfig::default() };
//! let server_config = WsConfig { deflate: Some(DeflateConfig::server()), ..WsConfig::default() };
//! let mut client = WsConnection::client(ClientRequest::new("h", "/"), client_config, SeededRandom::new(1)).unwrap();
//! let mut server = WsConnection::server_auto_accept(server_config);
//! # fn pump(from: &mut impl Machine, to: &mut impl Machine, now: Instant) {
//! #     while let Some(bytes) = from.poll_transmit() { to.handle_input(&bytes, now); }
//! # }
//! pump(&mut client, &mut server, now);
//! assert!(matches!(server.poll_event(), Some(Ok(WsEvent::Request(_)))));
//! pump(&mut server, &mut client, now);
//! let Some(Ok(WsEvent::Connected(response))) = client.poll_event() else { panic!() };
//! assert_eq!(response.deflate.unwrap().client_max_window_bits, 12);
//!
//! let text = "compress me ".repeat(100);
//! client.send_text(text.clone()).unwrap();
//! let mut wire = Vec::new();
//! while let Some(bytes) = client.poll_transmit() { wire.extend_from_slice(&bytes); }
//! assert!(wire.len() < 100, "1200 bytes went out as {}", wire.len());
//! server.handle_input(&wire, now);
//! let Some(Ok(WsEvent::Message(Message::Text(got)))) = server.poll_event() else { panic!() };
//! assert_eq!(got, text.as_str());
//! ```
//!
//! # Memory
//!
//! See [`WsConfig`] for the worst case and [`WsConnection`] for what an idle
//! connection holds (no heap buffer).
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod close;
mod command;
mod config;
mod connection;
mod deflate;
mod error;
mod event;
pub mod frame;
mod goodbye;
mod handshake;
#[cfg(feature = "http")]
mod http;
mod mask;
mod message;
mod utf8;

#[cfg(feature = "http")]
pub use self::http::{
    accept_http_response, failure_http_response, http_client_request, http_upgrade,
    parse_http_request, HttpClientHandshake, HttpRejection, RequestHead, ResponseHead,
};
pub use close::{is_valid_close_code, CloseFrame};
pub use command::WsCommand;
pub use config::{Delivery, Keepalive, WsConfig, DEFAULT_INPUT_HIGH_WATER};
pub use connection::{Role, WsConnection, WsTimer};
pub use deflate::{
    check_deflate_answer, deflate_offer, negotiate_deflate, DeflateConfig, DeflateParams,
    DeflateTotals,
};
pub use error::{LocalError, ProtocolViolation, WsError};
pub use event::WsEvent;
pub use goodbye::{goodbye_close_code, MAX_AGE_REASON, RATE_LIMITED_REASON};
pub use handshake::{
    accept_key, accept_response, failure_response, parse_extensions, parse_request, parse_response,
    reject_response, select_protocol, Accept, ClientRequest, Extension, HandshakeError, Reject,
    Request, Response,
};
pub use mask::{apply_mask, copy_masked};
pub use message::{DataKind, Fragment, Message, MessageRef, Utf8Bytes};
