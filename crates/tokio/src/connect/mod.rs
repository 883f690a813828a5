//! Client connect helpers (features `websocket`, `rtmp`; `tls` adds
//! `wss://` and `rtmps://`): one call from a URL to a driven
//! [`Connection`](crate::Connection), as tokio-tungstenite's
//! `connect_async` does.
//!
//! - [`WsConnect`]: `ws://` / `wss://` with headers, subprotocols and a
//!   permessage-deflate offer; returns once the opening handshake completed.
//! - [`RtmpConnect`]: `rtmp://` / `rtmps://`; returns a
//!   [`ClientSession`](wirestate_rtmp::session::ClientSession) that is
//!   connecting, its handshake and `connect` bounded by the same timeout.
//!
//! Every step before the machine runs is bounded by the helper's timeout
//! ([`DEFAULT_CONNECT_TIMEOUT`], 10 s): name resolution and the TCP
//! connect, the TLS handshake, and the protocol's opening handshake.

// The links above name items of features that may be off in this build.
#![cfg_attr(
    not(all(feature = "websocket", feature = "rtmp")),
    allow(rustdoc::broken_intra_doc_links)
)]

mod error;
mod stream;
mod target;

#[cfg(feature = "rtmp")]
mod rtmp;
#[cfg(feature = "rtmp")]
mod rtmp_url;
#[cfg(feature = "websocket")]
mod ws;

use std::time::Duration;

pub use error::ConnectError;
pub use stream::MaybeTlsStream;

#[cfg(feature = "rtmp")]
pub use rtmp::{RtmpClient, RtmpConnect};
#[cfg(feature = "rtmp")]
pub use rtmp_url::{RtmpUrl, DEFAULT_RTMPS_PORT, DEFAULT_RTMP_PORT};
#[cfg(feature = "websocket")]
pub use ws::{connect_ws, WsClient, WsConnect};

/// How long a connect helper waits by default for each of its steps
/// together: the TCP connect, the TLS handshake and the opening handshake.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
