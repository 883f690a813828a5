//! `ws://` and `wss://`: a WebSocket client connection in one call.

use std::time::Duration;

use tokio::net::TcpStream;
use tokio::time::Instant;
use wirestate_core::OsRandom;
use wirestate_websocket::{ClientRequest, DeflateConfig, Response, WsConfig, WsEvent};

use super::target::{Target, TlsClient};
use super::{ConnectError, MaybeTlsStream, DEFAULT_CONNECT_TIMEOUT};
use crate::Connection;

/// A WebSocket client on the tokio driver, as [`WsConnect::connect`]
/// returns it: open, the opening handshake done.
pub type WsClient = Connection<wirestate_websocket::WsConnection, MaybeTlsStream<TcpStream>>;

/// Connects to a `ws://` or `wss://` URL: the request's headers,
/// subprotocols and permessage-deflate offer, the machine's config, the
/// timeout and (feature `tls`) the TLS client config. Build it, then call
/// [`connect`](WsConnect::connect).
///
/// ```no_run
/// use futures_util::StreamExt;
/// use wirestate_tokio::connect::WsConnect;
/// use wirestate_websocket::{DeflateConfig, Message, WsEvent};
///
/// # async fn f() -> Result<(), Box<dyn std::error::Error>> {
/// let (mut ws, response) = WsConnect::new("ws://127.0.0.1:9001/chat")
///     .protocol("chat.v2")
///     .header("Authorization", "Bearer abc")
///     .deflate(DeflateConfig::client())
///     .connect()
///     .await?;
/// println!("protocol: {:?}", response.protocol);
/// ws.machine_mut().send_text("hello")?;
/// while let Some(event) = ws.next().await {
///     if let WsEvent::Message(Message::Text(text)) = event? {
///         println!("{text}");
///         break;
///     }
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct WsConnect {
    url: String,
    protocols: Vec<String>,
    headers: Vec<(String, String)>,
    config: WsConfig,
    timeout: Duration,
    tls: Option<TlsClient>,
}

impl WsConnect {
    /// A connection to `url` (`ws://host[:port][/path][?query]`, or
    /// `wss://`), with the default [`WsConfig`] (no deflate offer) and
    /// [`DEFAULT_CONNECT_TIMEOUT`].
    pub fn new(url: impl Into<String>) -> Self {
        WsConnect {
            url: url.into(),
            protocols: Vec::new(),
            headers: Vec::new(),
            config: WsConfig::default(),
            timeout: DEFAULT_CONNECT_TIMEOUT,
            tls: None,
        }
    }

    /// Offers a subprotocol (in order of preference); the server's choice is
    /// in the returned [`Response::protocol`].
    pub fn protocol(mut self, name: impl Into<String>) -> Self {
        self.protocols.push(name.into());
        self
    }

    /// Adds a request header (`Origin`, `Authorization` ...).
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Offers permessage-deflate with `offer` (e.g.
    /// [`DeflateConfig::client`]); what the server agreed is in the returned
    /// [`Response::deflate`].
    pub fn deflate(mut self, offer: DeflateConfig) -> Self {
        self.config.deflate = Some(offer);
        self
    }

    /// The machine's settings (limits, keepalive, deflate offer). Its
    /// `handshake_timeout` is replaced by what is left of the connect
    /// timeout when the handshake starts.
    pub fn config(mut self, config: WsConfig) -> Self {
        self.config = config;
        self
    }

    /// How long the TCP connect, the TLS handshake and the opening
    /// handshake may take together (default [`DEFAULT_CONNECT_TIMEOUT`]).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The TLS client configuration for `wss://` (its roots decide which
    /// servers are trusted; see [`tls::client_config`](crate::tls::client_config)).
    #[cfg(feature = "tls")]
    pub fn tls(mut self, config: std::sync::Arc<rustls::ClientConfig>) -> Self {
        self.tls = Some(config);
        self
    }

    /// Opens the connection and runs the opening handshake; returns the
    /// driven connection, open, and the server's answer. Events that came
    /// with the answer wait in the machine: poll the connection next.
    ///
    /// # Errors
    ///
    /// [`ConnectError::Url`] for a URL that is not `ws://` or `wss://`,
    /// [`ConnectError::NoTls`] for `wss://` without a TLS config,
    /// [`ConnectError::Connect`] / [`ConnectError::Tls`] when the
    /// connection or the TLS handshake fails, [`ConnectError::Request`] for
    /// a header that cannot be sent, [`ConnectError::WebSocket`] when the
    /// server refuses or breaks the handshake, [`ConnectError::Closed`] and
    /// [`ConnectError::Timeout`] (everything is bounded by the timeout).
    pub async fn connect(self) -> Result<(WsClient, Response), ConnectError> {
        let deadline = Instant::now() + self.timeout;
        let target = Target::parse(&self.url, [("ws", 80), ("wss", 443)])?;
        let scheme = if target.secure { "wss" } else { "ws" };
        let stream = target.open(scheme, self.tls.as_ref(), self.timeout).await?;
        let mut request = ClientRequest::new(host_header(&target), request_target(&target.rest));
        request.protocols = self.protocols;
        request.headers = self.headers;
        let mut config = self.config;
        let left = deadline.saturating_duration_since(Instant::now());
        config.handshake_timeout = Some(left);
        let machine = wirestate_websocket::WsConnection::client(request, config, OsRandom)?;
        let mut conn = Connection::new(stream, machine);
        let handshake = async {
            loop {
                match conn.next_event().await {
                    Some(Ok(WsEvent::Connected(response))) => return Ok(response),
                    Some(Ok(_)) => {}
                    Some(Err(e)) => return Err(ConnectError::WebSocket(e)),
                    None => return Err(ConnectError::Closed),
                }
            }
        };
        match tokio::time::timeout_at(deadline, handshake).await {
            Ok(Ok(response)) => Ok((conn, *response)),
            Ok(Err(e)) => Err(e),
            Err(_) => Err(ConnectError::Timeout(self.timeout)),
        }
    }
}

/// [`WsConnect::new`]`(url).connect()`: a `ws://` URL with the defaults.
///
/// # Errors
///
/// As [`WsConnect::connect`].
pub async fn connect_ws(url: &str) -> Result<(WsClient, Response), ConnectError> {
    WsConnect::new(url).connect().await
}

/// The `Host` header: the host, with the port when the URL named it.
fn host_header(target: &Target) -> String {
    if target.explicit_port {
        target.authority()
    } else if target.host.contains(':') {
        format!("[{}]", target.host)
    } else {
        target.host.clone()
    }
}

/// The request target: the URL's path and query, `/` when it has none.
fn request_target(rest: &str) -> String {
    match rest {
        "" => "/".into(),
        query if query.starts_with('?') => format!("/{query}"),
        path => path.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_header_and_request_target_come_from_the_url() {
        let cases = [
            ("ws://h", "h", "/"),
            ("ws://h:9000/chat?x=1", "h:9000", "/chat?x=1"),
            ("wss://[::1]/a", "[::1]", "/a"),
            ("ws://h?q=1", "h", "/?q=1"),
        ];
        for (url, host, path) in cases {
            let target = Target::parse(url, [("ws", 80), ("wss", 443)]).unwrap();
            assert_eq!(host_header(&target), host, "{url}");
            assert_eq!(request_target(&target.rest), path, "{url}");
        }
    }
}
