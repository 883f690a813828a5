//! RTMP sessions: the NetConnection and NetStream commands on top of an
//! [`RtmpConnection`](crate::RtmpConnection).
//!
//! - [`ServerSession`]: accepts `connect`, `publish` and `play` on the
//!   application's word, turns a publisher's messages into media events and
//!   sends media to players.
//! - [`ClientSession`]: connects, then publishes or plays one stream.
//! - [`SequenceHeaders`]: what a player joining late needs first.
//! - Enhanced RTMP v2 in `connect`: [`CapsEx`], [`FourCcInfoMap`] and
//!   [`ConnectCaps`] negotiated in both roles, and the server's reconnect
//!   request ([`ServerSession::request_reconnect`],
//!   [`ClientEvent::ReconnectRequested`], [`ClientConfig::reconnect_to`]).
//!
//! Both sessions are [`Machine`](wirestate_core::Machine)s: feed them bytes,
//! poll events and transmits, pass the time. They are one type,
//! [`Session`], with a role: the connection underneath, the idle timer, the
//! poison rule, media in ([`MediaEvent`]) and out are shared; each role
//! adds its command handling. Pings are answered and acknowledgements sent
//! by the connection underneath. The deadlines (the handshake plus
//! `connect`, the send stall, the idle timeout, a server's keepalive ping)
//! are described on [`Session`]. A server that accepts everything sets
//! [`ServerConfig::auto_accept`].
//!
//! ```
//! use std::time::Instant;
//! use bytes::Bytes;
//! use wirestate_core::{Machine, SeededRandom};
//! use wirestate_rtmp::session::*;
//!
//! let now = Instant::now();
//! // A server that accepts every connect, publish and play by itself.
//! let auto = ServerConfig { auto_accept: true, ..ServerConfig::default() };
//! let mut server = ServerSession::new(auto, SeededRandom::new(1), now);
//! let mut client = ClientSession::new(ClientConfig::new("live", "rtmp://127.0.0.1/live"), SeededRandom::new(2), now);
//! client.publish("key", "live");
//!
//! let mut client_events = Vec::new();
//! for _ in 0..10 {
//!     while let Some(bytes) = client.poll_transmit() { server.handle_input(&bytes, now); }
//!     while let Some(event) = server.poll_event() {
//!         // ConnectRequested, PublishRequested: already accepted.
//!         event?;
//!     }
//!     while let Some(bytes) = server.poll_transmit() { client.handle_input(&bytes, now); }
//!     while let Some(event) = client.poll_event() { client_events.push(event?); }
//! }
//! assert!(client_events.iter().any(|e| matches!(e, ClientEvent::PublishStarted { .. })));
//! # Ok::<(), SessionError>(())
//! ```

mod cache;
mod client;
mod command;
mod config;
mod core;
mod enhanced;
mod error;
mod event;
mod reconnect;
mod server;
mod status;
mod timers;

pub use cache::{
    is_audio_config, is_keyframe, is_video_config, player_metadata, SequenceHeaders,
    MAX_CONFIG_BYTES, MAX_CONFIG_MESSAGES,
};
pub use client::{ClientRole, ClientSession};
pub use command::{ClientCommand, ServerCommand};
pub use config::{ClientConfig, ServerConfig, DEFAULT_PING_INTERVAL};
pub use core::{Session, SessionRole};
pub use enhanced::{CapsEx, ConnectCaps, FourCcInfo, FourCcInfoMap, FourCcKey};
pub use error::SessionError;
pub use event::{ClientEvent, ConnectRequest, MediaEvent, ServerEvent};
pub use reconnect::{resolve_tc_url, RECONNECT_REQUEST};
pub use server::{ServerRole, ServerSession};
pub use status::Status;

/// Names one request (connect, publish, play) a [`ServerSession`] waits for
/// the application to answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RequestId(pub u64);
