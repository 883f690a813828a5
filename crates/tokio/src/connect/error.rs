//! Why a connect helper gave up.

use std::io;

/// Why a connect helper returned no connection.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConnectError {
    /// The URL cannot be used (scheme, host, port or path); says why.
    #[error("invalid URL {url:?}: {why}")]
    Url {
        /// The URL as given.
        url: String,
        /// What is wrong with it.
        why: String,
    },
    /// A secure URL (`wss://`, `rtmps://`) without TLS: the crate was built
    /// without the `tls` feature, or no client configuration was given.
    #[error("{0}:// needs TLS: enable the `tls` feature and pass a client config (`tls`)")]
    NoTls(String),
    /// The TCP connect failed or timed out.
    #[error("cannot connect to {address}: {source}")]
    Connect {
        /// `host:port`.
        address: String,
        /// The socket's error (`TimedOut` after the timeout).
        source: io::Error,
    },
    /// The TLS handshake failed (an untrusted certificate, say) or timed out.
    #[error("TLS handshake with {address} failed: {source}")]
    Tls {
        /// `host:port`.
        address: String,
        /// The handshake's error (`TimedOut` after the timeout).
        source: io::Error,
    },
    /// The WebSocket opening handshake failed: refused, broken, timed out,
    /// or the transport failed during it.
    #[cfg(feature = "websocket")]
    #[error("WebSocket handshake failed: {0}")]
    WebSocket(#[from] crate::Error<wirestate_websocket::WsError>),
    /// A WebSocket request that cannot be written (a header with a line
    /// break, say).
    #[cfg(feature = "websocket")]
    #[error("WebSocket request: {0}")]
    Request(#[from] wirestate_websocket::LocalError),
    /// The server closed the connection before the handshake completed.
    #[error("the server closed the connection during the handshake")]
    Closed,
    /// The opening handshake did not complete within the timeout.
    #[error("the handshake did not complete within {0:?}")]
    Timeout(std::time::Duration),
}
