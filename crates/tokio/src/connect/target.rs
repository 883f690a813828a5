//! `scheme://host[:port]/rest`: where to connect, and opening the (TLS)
//! stream there within the timeout.

use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpStream;

use super::{ConnectError, MaybeTlsStream};

/// The part of a URL that says where to connect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Target {
    /// Whether the scheme is the secure one.
    pub(crate) secure: bool,
    /// The host (an IPv6 address without its brackets).
    pub(crate) host: String,
    /// The port, or the scheme's default.
    pub(crate) port: u16,
    /// Whether the URL named the port.
    pub(crate) explicit_port: bool,
    /// Everything from the first `/` after the authority (may be empty).
    pub(crate) rest: String,
}

impl Target {
    /// Parses `url` for `schemes` = (plain, secure) with their default
    /// ports; the scheme is matched without regard to case.
    pub(crate) fn parse(url: &str, schemes: [(&str, u16); 2]) -> Result<Target, ConnectError> {
        let bad = |why: String| ConnectError::Url {
            url: url.to_owned(),
            why,
        };
        let expected = || format!("expected {}:// or {}://", schemes[0].0, schemes[1].0);
        let (scheme, rest) = url.split_once("://").ok_or_else(|| bad(expected()))?;
        let scheme = scheme.to_ascii_lowercase();
        let secure = match schemes.iter().position(|(s, _)| *s == scheme) {
            Some(i) => i == 1,
            None => return Err(bad(expected())),
        };
        let end = rest.find(['/', '?']).unwrap_or(rest.len());
        let (authority, path) = rest.split_at(end);
        let (host, port) = split_authority(authority).map_err(bad)?;
        Ok(Target {
            secure,
            host,
            port: port.unwrap_or(schemes[usize::from(secure)].1),
            explicit_port: port.is_some(),
            rest: path.to_owned(),
        })
    }

    /// `host:port` as written in a URL (IPv6 in brackets).
    pub(crate) fn authority(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }

    /// Opens the TCP connection (Nagle off) and, for a secure target, the
    /// TLS session with `tls`, both within `timeout`.
    pub(crate) async fn open(
        &self,
        scheme: &str,
        tls: Option<&TlsClient>,
        timeout: Duration,
    ) -> Result<MaybeTlsStream<TcpStream>, ConnectError> {
        let tls = match (self.secure, tls) {
            (false, _) => None,
            (true, Some(tls)) => Some(tls),
            (true, None) => return Err(ConnectError::NoTls(scheme.to_owned())),
        };
        let address = self.authority();
        let deadline = tokio::time::Instant::now() + timeout;
        let connecting = TcpStream::connect((self.host.as_str(), self.port));
        let socket = crate::bounded::bounded(timeout, "connect", connecting)
            .await
            .map_err(|source| ConnectError::Connect {
                address: address.clone(),
                source,
            })?;
        let _ = socket.set_nodelay(true);
        let Some(tls) = tls else {
            return Ok(MaybeTlsStream::Plain(socket));
        };
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        handshake(tls, &self.host, socket, left)
            .await
            .map_err(|source| ConnectError::Tls { address, source })
    }
}

/// What a secure connection is made with: a rustls client configuration
/// (feature `tls`); without the feature, nothing can be given.
#[cfg(feature = "tls")]
pub(crate) type TlsClient = Arc<rustls::ClientConfig>;
/// Without the `tls` feature no configuration exists.
#[cfg(not(feature = "tls"))]
pub(crate) type TlsClient = Arc<std::convert::Infallible>;

#[cfg(feature = "tls")]
async fn handshake(
    tls: &TlsClient,
    host: &str,
    socket: TcpStream,
    timeout: Duration,
) -> std::io::Result<MaybeTlsStream<TcpStream>> {
    let stream = crate::tls::connect(tls.clone(), host, socket, timeout).await?;
    Ok(MaybeTlsStream::Tls(Box::new(stream)))
}

#[cfg(not(feature = "tls"))]
async fn handshake(
    tls: &TlsClient,
    _: &str,
    _: TcpStream,
    _: Duration,
) -> std::io::Result<MaybeTlsStream<TcpStream>> {
    match **tls {}
}

/// `host`, `host:port`, `[v6]` or `[v6]:port`.
fn split_authority(authority: &str) -> Result<(String, Option<u16>), String> {
    let (host, port) = if let Some(rest) = authority.strip_prefix('[') {
        let (host, after) = rest
            .split_once(']')
            .ok_or("an IPv6 address without its closing ]")?;
        match after {
            "" => (host, None),
            _ => (
                host,
                Some(after.strip_prefix(':').ok_or("garbage after ]")?),
            ),
        }
    } else {
        match authority.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    if host.is_empty() {
        return Err("no host".into());
    }
    if host.contains('@') {
        return Err("user information in the URL is not supported".into());
    }
    let port = match port {
        None => None,
        Some(port) => match port.parse::<u16>() {
            Ok(port) if port > 0 => Some(port),
            _ => return Err(format!("bad port {port:?}")),
        },
    };
    Ok((host.to_owned(), port))
}

#[cfg(test)]
mod tests {
    use super::*;

    const WS: [(&str, u16); 2] = [("ws", 80), ("wss", 443)];

    /// Secure, host, port and the rest.
    type Parts<'a> = (bool, &'a str, u16, &'a str);

    #[test]
    fn targets() {
        let cases: &[(&str, Parts)] = &[
            ("ws://h", (false, "h", 80, "")),
            ("wss://h/chat?x=1", (true, "h", 443, "/chat?x=1")),
            ("WS://127.0.0.1:9000/", (false, "127.0.0.1", 9000, "/")),
            ("wss://[::1]:8443/a", (true, "::1", 8443, "/a")),
            ("ws://h?q", (false, "h", 80, "?q")),
        ];
        for (url, (secure, host, port, rest)) in cases {
            let t = Target::parse(url, WS).unwrap();
            assert_eq!(
                (t.secure, t.host.as_str(), t.port, t.rest.as_str()),
                (*secure, *host, *port, *rest),
                "{url}"
            );
        }
        assert_eq!(
            Target::parse("ws://[::1]/", WS).unwrap().authority(),
            "[::1]:80"
        );
    }

    #[test]
    fn bad_targets() {
        for (url, why) in [
            ("http://h/", "expected ws:// or wss://"),
            ("h/", "expected ws://"),
            ("ws:///x", "no host"),
            ("ws://h:0/", "bad port"),
            ("ws://h:70000/", "bad port"),
            ("ws://[::1/", "closing ]"),
            ("ws://u@h/", "user information"),
        ] {
            let error = Target::parse(url, WS).unwrap_err().to_string();
            assert!(error.contains(why), "{url}: {error}");
        }
    }
}
