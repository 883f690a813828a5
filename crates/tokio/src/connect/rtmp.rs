//! `rtmp://` and `rtmps://`: an RTMP client session in one call.

use std::time::Duration;

use tokio::net::TcpStream;
use tokio::time::Instant;
use wirestate_core::OsRandom;
use wirestate_rtmp::session::{ClientConfig, ClientSession};

use super::target::TlsClient;
use super::{ConnectError, MaybeTlsStream, RtmpUrl, DEFAULT_CONNECT_TIMEOUT};
use crate::Connection;

/// An RTMP client session on the tokio driver, as
/// [`RtmpConnect::connect`] returns it.
pub type RtmpClient = Connection<ClientSession, MaybeTlsStream<TcpStream>>;

/// Connects to an `rtmp://` or `rtmps://` URL and starts a
/// [`ClientSession`] there: the session's `app` and `tcUrl` come from the
/// URL, its handshake and `connect` must complete within what is left of
/// the timeout. Ask for the stream next (`publish(url.key, ..)` or
/// `play(url.key)` on [`Connection::machine_mut`]) and poll the events:
/// `Connected`, then `PublishStarted` or `PlayStarted`.
///
/// ```no_run
/// use wirestate_tokio::connect::RtmpConnect;
///
/// # async fn f() -> Result<(), Box<dyn std::error::Error>> {
/// let connect = RtmpConnect::new("rtmp://127.0.0.1/live/key")?;
/// let key = connect.url().key.clone();
/// let mut client = connect.connect().await?;
/// client.machine_mut().publish(&key, "live");
/// while let Some(event) = client.next_event().await {
///     println!("{:?}", event?);
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct RtmpConnect {
    url: RtmpUrl,
    config: ClientConfig,
    timeout: Duration,
    tls: Option<TlsClient>,
}

impl RtmpConnect {
    /// A connection to `url` with [`ClientConfig::new`]`(app, tcUrl)` and
    /// [`DEFAULT_CONNECT_TIMEOUT`].
    ///
    /// # Errors
    ///
    /// As [`RtmpUrl::parse`].
    pub fn new(url: &str) -> Result<Self, ConnectError> {
        let url = RtmpUrl::parse(url)?;
        let config = ClientConfig::new(&url.app, &url.tc_url());
        Ok(RtmpConnect {
            url,
            config,
            timeout: DEFAULT_CONNECT_TIMEOUT,
            tls: None,
        })
    }

    /// The parsed URL (the stream key is `url().key`).
    pub fn url(&self) -> &RtmpUrl {
        &self.url
    }

    /// The session's settings, to change (FourCC offers, chunk size ...);
    /// its `handshake_timeout` is replaced by what is left of the timeout
    /// when the session starts.
    pub fn config_mut(&mut self) -> &mut ClientConfig {
        &mut self.config
    }

    /// How long the TCP connect, the TLS handshake, the RTMP handshake and
    /// `connect` may take together (default [`DEFAULT_CONNECT_TIMEOUT`]).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The TLS client configuration for `rtmps://` (see
    /// [`tls::client_config`](crate::tls::client_config)).
    #[cfg(feature = "tls")]
    pub fn tls(mut self, config: std::sync::Arc<rustls::ClientConfig>) -> Self {
        self.tls = Some(config);
        self
    }

    /// Opens the (TLS) connection and starts the session on it. The
    /// session's own deadline bounds the RTMP handshake and `connect`: it
    /// fails with `HandshakeTimeout` when the server's answer to `connect`
    /// is late.
    ///
    /// # Errors
    ///
    /// [`ConnectError::NoTls`] for `rtmps://` without a TLS config,
    /// [`ConnectError::Connect`] / [`ConnectError::Tls`] when the
    /// connection or the TLS handshake fails or times out.
    pub async fn connect(self) -> Result<RtmpClient, ConnectError> {
        let deadline = Instant::now() + self.timeout;
        let scheme = if self.url.secure { "rtmps" } else { "rtmp" };
        let target = self.url.target();
        let stream = target.open(scheme, self.tls.as_ref(), self.timeout).await?;
        let mut config = self.config;
        config.handshake_timeout = Some(deadline.saturating_duration_since(Instant::now()));
        let session = ClientSession::new(config, OsRandom, crate::now());
        Ok(Connection::new(stream, session))
    }
}
