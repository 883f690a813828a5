//! Client side of the handshake: write the upgrade request (§4.1), validate
//! the server's answer.

use std::borrow::Cow;

use base64::Engine as _;
use bytes::{BufMut, Bytes, BytesMut};
use wirestate_core::RandomSource;

use super::http::{self, has_token, is_valid_header, single};
use super::{accept_key, Extension, HandshakeError};
use crate::deflate::{check_deflate_answer, DeflateConfig, DeflateParams, NAME};
use crate::error::LocalError;

/// What a client asks for: where to connect and which subprotocols to offer.
///
/// ```
/// use wirestate_websocket::ClientRequest;
/// let request = ClientRequest::new("example.com", "/chat")
///     .protocol("chat.v2")
///     .header("Origin", "https://example.com");
/// assert_eq!(request.protocols, ["chat.v2"]);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientRequest {
    /// The `Host` header (`host[:port]`).
    pub host: String,
    /// The request target: path and optional query.
    pub path: String,
    /// Subprotocols to offer, in order of preference.
    pub protocols: Vec<String>,
    /// Extra headers (e.g. `Origin`, `Authorization`).
    pub headers: Vec<(String, String)>,
    /// A fixed `Sec-WebSocket-Key` (base64 of 16 bytes). Normally `None`:
    /// the key is drawn from the machine's random source. Set it only to
    /// replay a recorded connection or in tests.
    pub key: Option<String>,
}

impl ClientRequest {
    /// A request for `path` on `host`.
    pub fn new(host: impl Into<String>, path: impl Into<String>) -> Self {
        ClientRequest {
            host: host.into(),
            path: path.into(),
            protocols: Vec::new(),
            headers: Vec::new(),
            key: None,
        }
    }

    /// Adds a subprotocol to offer.
    pub fn protocol(mut self, name: impl Into<String>) -> Self {
        self.protocols.push(name.into());
        self
    }

    /// Adds an extra request header.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Uses a fixed key instead of a random one (replays, tests).
    pub fn with_key(mut self, key: impl Into<String>) -> Self {
        self.key = Some(key.into());
        self
    }

    /// Writes the request head; returns it with the `Sec-WebSocket-Key` it
    /// carries (drawn from `rng` unless [`key`](Self::key) is set), which
    /// [`parse_response`] checks the answer against.
    /// [`WsConnection::client`](crate::WsConnection::client) does this and
    /// adds the permessage-deflate offer ([`deflate_offer`](crate::deflate_offer))
    /// as a header when the config asks for it.
    ///
    /// ```
    /// use wirestate_core::SeededRandom;
    /// use wirestate_websocket::ClientRequest;
    ///
    /// let (head, key) = ClientRequest::new("example.com", "/chat")
    ///     .encode(&mut SeededRandom::new(1))
    ///     .unwrap();
    /// assert!(head.starts_with(b"GET /chat HTTP/1.1\r\nHost: example.com\r\n"));
    /// assert_eq!(key.len(), 24); // base64 of 16 random bytes
    /// ```
    ///
    /// # Errors
    ///
    /// [`LocalError::InvalidHeader`] if the host, a header or the path
    /// would break the HTTP head.
    pub fn encode(&self, rng: &mut dyn RandomSource) -> Result<(Bytes, String), LocalError> {
        let key = self.key_from(rng);
        let fields = self.fields(&key)?;
        let mut out = BytesMut::with_capacity(256);
        out.put_slice(b"GET ");
        out.put_slice(self.path.as_bytes());
        out.put_slice(b" HTTP/1.1\r\n");
        for (name, value) in fields {
            out.put_slice(name.as_bytes());
            out.put_slice(b": ");
            out.put_slice(value.as_bytes());
            out.put_slice(b"\r\n");
        }
        out.put_slice(b"\r\n");
        Ok((out.freeze(), key))
    }

    /// The `Sec-WebSocket-Key` to send: [`key`](Self::key) if set, else the
    /// base64 of 16 bytes from `rng`.
    pub(crate) fn key_from(&self, rng: &mut dyn RandomSource) -> String {
        match &self.key {
            Some(k) => k.clone(),
            None => {
                let mut nonce = [0u8; 16];
                rng.fill_bytes(&mut nonce);
                base64::engine::general_purpose::STANDARD.encode(nonce)
            }
        }
    }

    /// The request's header lines in order (`Host`, `Upgrade`,
    /// `Connection`, `Sec-WebSocket-Key`, `Sec-WebSocket-Version`, the
    /// offered subprotocols, the extra headers), once the path and every
    /// line are checked to be writable.
    pub(crate) fn fields<'a>(
        &'a self,
        key: &'a str,
    ) -> Result<Vec<(&'a str, Cow<'a, str>)>, LocalError> {
        if self.path.bytes().any(|b| b <= b' ') || !self.path.starts_with('/') {
            return Err(LocalError::InvalidHeader("request target".into()));
        }
        let mut fields: Vec<(&str, Cow<'_, str>)> = vec![
            ("Host", Cow::Borrowed(self.host.as_str())),
            ("Upgrade", Cow::Borrowed("websocket")),
            ("Connection", Cow::Borrowed("Upgrade")),
            ("Sec-WebSocket-Key", Cow::Borrowed(key)),
            ("Sec-WebSocket-Version", Cow::Borrowed("13")),
        ];
        if !self.protocols.is_empty() {
            fields.push((
                "Sec-WebSocket-Protocol",
                Cow::Owned(self.protocols.join(", ")),
            ));
        }
        fields.extend(
            self.headers
                .iter()
                .map(|(n, v)| (n.as_str(), Cow::Borrowed(v.as_str()))),
        );
        match fields.iter().find(|(n, v)| !is_valid_header(n, v)) {
            Some((name, _)) => Err(LocalError::InvalidHeader(name.to_string())),
            None => Ok(fields),
        }
    }
}

/// The server's accepted answer, handed over with
/// [`WsEvent::Connected`](crate::WsEvent::Connected), or returned by
/// [`parse_response`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// Always 101.
    pub status: u16,
    /// Every header, in order.
    pub headers: Vec<(String, Vec<u8>)>,
    /// The subprotocol the server chose, one of those offered.
    pub protocol: Option<String>,
    /// Extensions the server enabled, as answered.
    pub extensions: Vec<Extension>,
    /// The permessage-deflate parameters in force, if the server accepted
    /// our offer.
    pub deflate: Option<DeflateParams>,
}

impl Response {
    /// The first header called `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&[u8]> {
        http::find_header(&self.headers, name)
    }
}

/// Parses a complete response head and checks it against our request: the
/// status (101, else a typed redirect or refusal), `Upgrade`, `Connection`,
/// `Sec-WebSocket-Accept` for `key`, a subprotocol among
/// `offered_protocols`, and the extensions: only permessage-deflate, and only
/// when `deflate` (the config the offer was made from) is given, checked with
/// [`check_deflate_answer`](crate::check_deflate_answer). At most
/// `max_headers` header lines are read.
///
/// ```
/// use wirestate_websocket::parse_response;
///
/// let head = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
///     Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n";
/// let response = parse_response(head, "dGhlIHNhbXBsZSBub25jZQ==", &[], 64, None).unwrap();
/// assert_eq!((response.status, response.protocol), (101, None));
/// ```
///
/// # Errors
///
/// The [`HandshakeError`] that says what is wrong: a malformed head,
/// [`Redirect`](HandshakeError::Redirect) or
/// [`Status`](HandshakeError::Status) for another status, a missing header,
/// a wrong accept hash, a subprotocol or extension that was not offered.
pub fn parse_response(
    head: &[u8],
    key: &str,
    offered_protocols: &[String],
    max_headers: usize,
    deflate: Option<&DeflateConfig>,
) -> Result<Response, HandshakeError> {
    let mut storage = vec![httparse::EMPTY_HEADER; max_headers];
    let mut res = httparse::Response::new(&mut storage);
    http::head_parsed(res.parse(head), max_headers)?;
    check_response(
        res.code.unwrap_or(0),
        res.headers,
        key,
        offered_protocols,
        deflate,
    )
}

/// The rules of [`parse_response`] on a parsed head's status and headers.
/// The `http` feature checks `http::Response`s with it too.
pub(crate) fn check_response(
    status: u16,
    headers: &[httparse::Header<'_>],
    key: &str,
    offered_protocols: &[String],
    deflate: Option<&DeflateConfig>,
) -> Result<Response, HandshakeError> {
    if status != 101 {
        let owned = http::owned_headers(headers);
        return Err(if (300..400).contains(&status) {
            HandshakeError::Redirect {
                status,
                location: single(headers, "location")
                    .map(|l| String::from_utf8_lossy(l).into_owned()),
                headers: owned,
            }
        } else {
            HandshakeError::Status {
                status,
                headers: owned,
            }
        });
    }
    if !has_token(headers, "upgrade", "websocket") {
        return Err(HandshakeError::MissingHeader("Upgrade"));
    }
    if !has_token(headers, "connection", "upgrade") {
        return Err(HandshakeError::MissingHeader("Connection"));
    }
    if single(headers, "sec-websocket-accept") != Some(accept_key(key.as_bytes()).as_bytes()) {
        return Err(HandshakeError::BadAccept);
    }
    let chosen = http::parse_protocols(headers);
    let protocol = match chosen.as_slice() {
        [] => None,
        [one] if offered_protocols.contains(one) => Some(one.clone()),
        [one] => return Err(HandshakeError::ProtocolNotOffered(one.clone())),
        many => return Err(HandshakeError::ProtocolNotOffered(many.join(", "))),
    };
    let extensions = http::extensions_of(headers);
    // permessage-deflate is the only extension we ever offer.
    let offered = |e: &&Extension| deflate.is_some() && e.name.eq_ignore_ascii_case(NAME);
    if let Some(ext) = extensions.iter().find(|e| !offered(e)) {
        return Err(HandshakeError::ExtensionNotOffered(ext.name.clone()));
    }
    let deflate = match deflate {
        Some(config) => check_deflate_answer(&extensions, config)?,
        None => None,
    };
    Ok(Response {
        status,
        headers: http::owned_headers(headers),
        protocol,
        extensions,
        deflate,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use wirestate_core::SeededRandom;

    const KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";
    const GOOD: &str = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n";

    #[test]
    fn request_uses_the_random_source_for_the_key() {
        let request = ClientRequest::new("h:80", "/p?q")
            .protocol("a")
            .protocol("b");
        let (a, key_a) = request.encode(&mut SeededRandom::new(1)).unwrap();
        let (_, key_b) = request.encode(&mut SeededRandom::new(2)).unwrap();
        assert_ne!(key_a, key_b);
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(&key_a)
            .unwrap();
        assert_eq!(decoded.len(), 16);
        let text = std::str::from_utf8(&a).unwrap();
        assert!(
            text.starts_with("GET /p?q HTTP/1.1\r\nHost: h:80\r\n"),
            "{text}"
        );
        assert!(text.contains(&format!("Sec-WebSocket-Key: {key_a}\r\n")));
        assert!(text.contains("Sec-WebSocket-Protocol: a, b\r\n"));
        assert!(text.ends_with("\r\n\r\n"));
        // Our own server accepts what our client writes.
        assert!(super::super::server::parse_request(&a, 16).is_ok());
    }

    #[test]
    fn request_refuses_header_injection() {
        let bad = ClientRequest::new("h", "/").header("X", "1\r\nY: 2");
        assert_eq!(
            bad.encode(&mut SeededRandom::new(1)),
            Err(LocalError::InvalidHeader("X".into()))
        );
        let bad_path = ClientRequest::new("h", "/a b");
        assert!(bad_path.encode(&mut SeededRandom::new(1)).is_err());
    }

    #[test]
    fn response_table() {
        let offered = vec!["chat".to_string()];
        let with = |from: &str, to: &str| GOOD.replacen(from, to, 1);
        let cases: Vec<(String, Result<Option<&str>, HandshakeError>)> = vec![
            (GOOD.into(), Ok(None)),
            (
                with("\r\n\r\n", "\r\nSec-WebSocket-Protocol: chat\r\n\r\n"),
                Ok(Some("chat")),
            ),
            (
                with("\r\n\r\n", "\r\nSec-WebSocket-Protocol: mqtt\r\n\r\n"),
                Err(HandshakeError::ProtocolNotOffered("mqtt".into())),
            ),
            (
                with(
                    "\r\n\r\n",
                    "\r\nSec-WebSocket-Extensions: permessage-deflate\r\n\r\n",
                ),
                Err(HandshakeError::ExtensionNotOffered(
                    "permessage-deflate".into(),
                )),
            ),
            (with("xOo=", "xOp="), Err(HandshakeError::BadAccept)),
            (
                with("Upgrade: websocket\r\n", ""),
                Err(HandshakeError::MissingHeader("Upgrade")),
            ),
            (
                with("Connection: Upgrade", "Connection: close"),
                Err(HandshakeError::MissingHeader("Connection")),
            ),
        ];
        for (text, expected) in cases {
            let got = parse_response(text.as_bytes(), KEY, &offered, 16, None);
            let got = got.map(|r| r.protocol);
            assert_eq!(got, expected.map(|p| p.map(String::from)), "{text}");
        }
    }

    #[test]
    fn statuses_and_redirects_are_typed() {
        let redirect = b"HTTP/1.1 302 Found\r\nLocation: ws://other/\r\n\r\n";
        match parse_response(redirect, KEY, &[], 16, None) {
            Err(HandshakeError::Redirect {
                status: 302,
                location: Some(l),
                ..
            }) => assert_eq!(l, "ws://other/"),
            other => panic!("{other:?}"),
        }
        let denied = b"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic\r\n\r\n";
        match parse_response(denied, KEY, &[], 16, None) {
            Err(HandshakeError::Status {
                status: 401,
                headers,
            }) => {
                assert_eq!(
                    headers,
                    [("WWW-Authenticate".to_string(), b"Basic".to_vec())]
                )
            }
            other => panic!("{other:?}"),
        }
    }
}
