//! Server side of the handshake: validate the upgrade request (§4.2.1),
//! write the 101 answer or a rejection.

use base64::Engine as _;
use bytes::{BufMut, Bytes, BytesMut};

use super::http::{self, has_token, single};
use super::{accept_key, Extension, HandshakeError};
use crate::deflate::DeflateParams;
use crate::error::LocalError;

/// A validated upgrade request, handed to the application with
/// [`WsEvent::Request`](crate::WsEvent::Request), or returned by
/// [`parse_request`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// The method (always `GET` once validated).
    pub method: String,
    /// The path, without the query.
    pub path: String,
    /// The query string after `?`, if any.
    pub query: Option<String>,
    /// Every header, in order, as received.
    pub headers: Vec<(String, Vec<u8>)>,
    /// The offered subprotocols (`Sec-WebSocket-Protocol`), in order.
    pub protocols: Vec<String>,
    /// The offered extensions (`Sec-WebSocket-Extensions`), in order.
    pub extensions: Vec<Extension>,
    pub(crate) key: Vec<u8>,
}

impl Request {
    /// The first header called `name` (case-insensitive).
    ///
    /// ```
    /// # use wirestate_websocket::{WsConnection, WsConfig, WsEvent};
    /// # use wirestate_core::Machine;
    /// # let mut server = WsConnection::server(WsConfig::default());
    /// # server.handle_input(b"GET /chat?room=1 HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nOrigin: http://a\r\n\r\n", std::time::Instant::now());
    /// # let Some(Ok(WsEvent::Request(request))) = server.poll_event() else { panic!() };
    /// assert_eq!(request.header("origin"), Some(&b"http://a"[..]));
    /// assert_eq!((request.path.as_str(), request.query.as_deref()), ("/chat", Some("room=1")));
    /// ```
    pub fn header(&self, name: &str) -> Option<&[u8]> {
        http::find_header(&self.headers, name)
    }

    /// The validated `Sec-WebSocket-Key`, whose [`accept_key`] the answer
    /// carries.
    pub fn key(&self) -> &[u8] {
        &self.key
    }
}

/// The application's yes to an upgrade request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Accept {
    /// The chosen subprotocol; it must be one the client offered.
    pub protocol: Option<String>,
    /// Extra response headers (e.g. `Set-Cookie`).
    pub headers: Vec<(String, String)>,
}

/// The application's no to an upgrade request: an HTTP response, after which
/// the connection closes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reject {
    /// A final status other than 101 (e.g. 401, 403, 404).
    pub status: u16,
    /// Response headers (e.g. `WWW-Authenticate`).
    pub headers: Vec<(String, String)>,
    /// The response body.
    pub body: Bytes,
}

impl Reject {
    /// A rejection with `status` and no headers or body.
    pub fn status(status: u16) -> Self {
        Reject {
            status,
            headers: Vec::new(),
            body: Bytes::new(),
        }
    }
}

/// Parses and validates a complete upgrade request head (RFC 6455 §4.2.1):
/// `GET`, HTTP/1.1, `Host`, `Upgrade: websocket`, `Connection: Upgrade`, a
/// `Sec-WebSocket-Key` of 16 bytes and `Sec-WebSocket-Version: 13`. At most
/// `max_headers` header lines are read. A [`WsConnection`] in the server
/// role does this with the head it collected.
///
/// ```
/// use wirestate_websocket::{accept_response, parse_request, Accept};
///
/// let head = b"GET /chat HTTP/1.1\r\nHost: example.com\r\nUpgrade: websocket\r\n\
///     Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
///     Sec-WebSocket-Version: 13\r\n\r\n";
/// let request = parse_request(head, 64).unwrap();
/// assert_eq!(request.path, "/chat");
/// let answer = accept_response(&request, &Accept::default(), None).unwrap();
/// assert!(answer.starts_with(b"HTTP/1.1 101 Switching Protocols\r\n"));
/// ```
///
/// # Errors
///
/// The [`HandshakeError`] that says which rule the request broke; answer it
/// with [`failure_response`].
///
/// [`WsConnection`]: crate::WsConnection
pub fn parse_request(head: &[u8], max_headers: usize) -> Result<Request, HandshakeError> {
    let mut storage = vec![httparse::EMPTY_HEADER; max_headers];
    let mut req = httparse::Request::new(&mut storage);
    http::head_parsed(req.parse(head), max_headers)?;
    validate_request(
        req.method.unwrap_or_default(),
        req.version,
        req.path.unwrap_or("/"),
        req.headers,
    )
}

/// The rules of [`parse_request`] on a parsed head: the method, the HTTP
/// minor version (`Some(1)` for HTTP/1.1), the request target and the
/// headers. The `http` feature checks `http::Request`s with it too.
pub(crate) fn validate_request(
    method: &str,
    version: Option<u8>,
    target: &str,
    headers: &[httparse::Header<'_>],
) -> Result<Request, HandshakeError> {
    if method != "GET" {
        return Err(HandshakeError::NotGet(method.to_string()));
    }
    if version != Some(1) {
        return Err(HandshakeError::NotHttp11);
    }
    if single(headers, "host").is_none() {
        return Err(HandshakeError::MissingHeader("Host"));
    }
    if !has_token(headers, "upgrade", "websocket") {
        return Err(HandshakeError::MissingHeader("Upgrade"));
    }
    if !has_token(headers, "connection", "upgrade") {
        return Err(HandshakeError::MissingHeader("Connection"));
    }
    let key = single(headers, "sec-websocket-key").ok_or(HandshakeError::BadKey)?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(key)
        .map_err(|_| HandshakeError::BadKey)?;
    if decoded.len() != 16 {
        return Err(HandshakeError::BadKey);
    }
    match single(headers, "sec-websocket-version") {
        Some(b"13") => {}
        Some(other) => {
            return Err(HandshakeError::UnsupportedVersion(
                String::from_utf8_lossy(other).into_owned(),
            ))
        }
        None => return Err(HandshakeError::MissingHeader("Sec-WebSocket-Version")),
    }
    let (path, query) = match target.split_once('?') {
        Some((p, q)) => (p.to_string(), Some(q.to_string())),
        None => (target.to_string(), None),
    };
    Ok(Request {
        method: method.to_string(),
        path,
        query,
        protocols: http::parse_protocols(headers),
        extensions: http::extensions_of(headers),
        headers: http::owned_headers(headers),
        key: key.to_vec(),
    })
}

/// Writes the `101 Switching Protocols` answer to `request`: the
/// `Sec-WebSocket-Accept` hash of its key, the chosen subprotocol, the
/// agreed permessage-deflate parameters (from [`negotiate_deflate`]) and
/// the extra headers of `accept`.
///
/// ```
/// use wirestate_websocket::{accept_response, negotiate_deflate, parse_request, Accept, DeflateConfig};
///
/// let head = b"GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
///     Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\
///     Sec-WebSocket-Extensions: permessage-deflate\r\n\r\n";
/// let request = parse_request(head, 64).unwrap();
/// let deflate = negotiate_deflate(&request.extensions, &DeflateConfig::server());
/// let answer = accept_response(&request, &Accept::default(), deflate).unwrap();
/// let text = std::str::from_utf8(&answer).unwrap();
/// assert!(text.contains("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"));
/// assert!(text.contains("Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover"));
/// ```
///
/// # Errors
///
/// [`LocalError::ProtocolNotOffered`] for a subprotocol the client did not
/// offer, [`LocalError::InvalidHeader`] for a header that would break the
/// HTTP head.
///
/// [`negotiate_deflate`]: crate::negotiate_deflate
pub fn accept_response(
    request: &Request,
    accept: &Accept,
    deflate: Option<DeflateParams>,
) -> Result<Bytes, LocalError> {
    accept_response_for(&request.key, &request.protocols, accept.clone(), deflate)
}

/// [`accept_response`] from the request's key and offered subprotocols.
pub(crate) fn accept_response_for(
    key: &[u8],
    offered: &[String],
    accept: Accept,
    deflate: Option<DeflateParams>,
) -> Result<Bytes, LocalError> {
    let fields = accept_fields(key, offered, accept, deflate)?;
    let mut out = BytesMut::with_capacity(160);
    out.put_slice(b"HTTP/1.1 101 Switching Protocols\r\n");
    for (name, value) in &fields {
        put_header(&mut out, name, value);
    }
    out.put_slice(b"\r\n");
    Ok(out.freeze())
}

/// The header lines of the `101 Switching Protocols` answer, in order:
/// `Upgrade`, `Connection`, `Sec-WebSocket-Accept`, the chosen subprotocol,
/// the extra headers of `accept`, then the agreed permessage-deflate
/// parameters. Checks the subprotocol was offered and every header is
/// writable.
pub(crate) fn accept_fields(
    key: &[u8],
    offered: &[String],
    accept: Accept,
    deflate: Option<DeflateParams>,
) -> Result<Vec<(String, String)>, LocalError> {
    if let Some(p) = &accept.protocol {
        if !offered.iter().any(|o| o == p) {
            return Err(LocalError::ProtocolNotOffered(p.clone()));
        }
    }
    check_headers(&accept.headers)?;
    let mut fields = vec![
        ("Upgrade".to_string(), "websocket".to_string()),
        ("Connection".to_string(), "Upgrade".to_string()),
        ("Sec-WebSocket-Accept".to_string(), accept_key(key)),
    ];
    if let Some(p) = accept.protocol {
        fields.push(("Sec-WebSocket-Protocol".to_string(), p));
    }
    fields.extend(accept.headers);
    if let Some(params) = deflate {
        fields.push(("Sec-WebSocket-Extensions".into(), params.header_value()));
    }
    Ok(fields)
}

/// Writes the application's refusal of an upgrade request: status line,
/// headers, `Connection: close`, `Content-Length`, body.
///
/// ```
/// use wirestate_websocket::{reject_response, Reject};
/// let answer = reject_response(&Reject::status(403)).unwrap();
/// assert!(answer.starts_with(b"HTTP/1.1 403 Forbidden\r\n"));
/// ```
///
/// # Errors
///
/// [`LocalError::InvalidStatus`] for a status outside 200-599,
/// [`LocalError::InvalidHeader`] for a header that would break the HTTP
/// head.
pub fn reject_response(reject: &Reject) -> Result<Bytes, LocalError> {
    if !(200..=599).contains(&reject.status) {
        return Err(LocalError::InvalidStatus(reject.status));
    }
    check_headers(&reject.headers)?;
    Ok(error_response(reject.status, &reject.headers, &reject.body))
}

/// The answer to a request that failed validation: the status of
/// [`HandshakeError::status`] (`426` also names the supported version),
/// `Connection: close`, no body.
///
/// ```
/// use wirestate_websocket::{failure_response, HandshakeError};
/// let answer = failure_response(&HandshakeError::BadKey);
/// assert!(answer.starts_with(b"HTTP/1.1 400 Bad Request\r\n"));
/// ```
pub fn failure_response(error: &HandshakeError) -> Bytes {
    error_response(error.status(), &failure_fields(error), &[])
}

/// The headers a failure answer carries besides `Connection` and
/// `Content-Length`: `Sec-WebSocket-Version: 13` with a 426.
pub(crate) fn failure_fields(error: &HandshakeError) -> Vec<(String, String)> {
    match error.status() {
        426 => vec![("Sec-WebSocket-Version".to_string(), "13".to_string())],
        _ => Vec::new(),
    }
}

fn error_response(status: u16, headers: &[(String, String)], body: &[u8]) -> Bytes {
    let mut out = BytesMut::with_capacity(128 + body.len());
    out.put_slice(format!("HTTP/1.1 {status} {}\r\n", reason_phrase(status)).as_bytes());
    for (name, value) in headers {
        put_header(&mut out, name, value);
    }
    out.put_slice(
        format!(
            "Connection: close\r\nContent-Length: {}\r\n\r\n",
            body.len()
        )
        .as_bytes(),
    );
    out.put_slice(body);
    out.freeze()
}

fn check_headers(headers: &[(String, String)]) -> Result<(), LocalError> {
    match headers.iter().find(|(n, v)| !http::is_valid_header(n, v)) {
        Some((n, _)) => Err(LocalError::InvalidHeader(n.clone())),
        None => Ok(()),
    }
}

fn put_header(out: &mut BytesMut, name: &str, value: &str) {
    out.put_slice(name.as_bytes());
    out.put_slice(b": ");
    out.put_slice(value.as_bytes());
    out.put_slice(b"\r\n");
}

fn reason_phrase(status: u16) -> &'static str {
    match status {
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        408 => "Request Timeout",
        426 => "Upgrade Required",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Status",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "GET /chat?x=1 HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\nConnection: keep-alive, Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Protocol: chat, superchat\r\nSec-WebSocket-Version: 13\r\n\r\n";

    fn with(from: &str, to: &str) -> String {
        assert!(GOOD.contains(from), "{from}");
        GOOD.replacen(from, to, 1)
    }

    #[test]
    fn request_table() {
        let cases: Vec<(String, Result<(), HandshakeError>)> = vec![
            (GOOD.to_string(), Ok(())),
            (with("Upgrade: websocket", "Upgrade: WebSocket"), Ok(())),
            (with("keep-alive, Upgrade", "UPGRADE"), Ok(())),
            (
                with("GET", "POST"),
                Err(HandshakeError::NotGet("POST".into())),
            ),
            (with("HTTP/1.1", "HTTP/1.0"), Err(HandshakeError::NotHttp11)),
            (
                with("Host: server.example.com\r\n", ""),
                Err(HandshakeError::MissingHeader("Host")),
            ),
            (
                with("Upgrade: websocket", "Upgrade: h2c"),
                Err(HandshakeError::MissingHeader("Upgrade")),
            ),
            (
                with("keep-alive, Upgrade", "keep-alive"),
                Err(HandshakeError::MissingHeader("Connection")),
            ),
            (
                with("dGhlIHNhbXBsZSBub25jZQ==", "dGhlIHNhbXBsZQ=="),
                Err(HandshakeError::BadKey),
            ),
            (
                with("dGhlIHNhbXBsZSBub25jZQ==", "not base64!!"),
                Err(HandshakeError::BadKey),
            ),
            (
                with("Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n", ""),
                Err(HandshakeError::BadKey),
            ),
            (
                with("Version: 13", "Version: 8"),
                Err(HandshakeError::UnsupportedVersion("8".into())),
            ),
            (
                with("Sec-WebSocket-Version: 13\r\n", ""),
                Err(HandshakeError::MissingHeader("Sec-WebSocket-Version")),
            ),
        ];
        for (text, expected) in cases {
            let got = parse_request(text.as_bytes(), 16).map(|_| ());
            assert_eq!(got, expected, "{text}");
        }
        assert!(matches!(
            parse_request(b"GET / HTTP/1.1\r\nHo st: x\r\n\r\n", 16),
            Err(HandshakeError::Malformed(_))
        ));
        assert_eq!(
            parse_request(GOOD.as_bytes(), 3),
            Err(HandshakeError::TooManyHeaders(3))
        );
    }

    #[test]
    fn request_fields() {
        let r = parse_request(GOOD.as_bytes(), 16).unwrap();
        assert_eq!(r.path, "/chat");
        assert_eq!(r.query.as_deref(), Some("x=1"));
        assert_eq!(r.protocols, ["chat", "superchat"]);
        assert_eq!(r.headers.len(), 6);
    }

    #[test]
    fn accept_writes_the_rfc_accept_hash_and_protocol() {
        let r = parse_request(GOOD.as_bytes(), 16).unwrap();
        let accept = Accept {
            protocol: Some("chat".into()),
            headers: vec![("X-Extra".into(), "1".into())],
        };
        let out = accept_response(&r, &accept, None).unwrap();
        assert_eq!(
            std::str::from_utf8(&out).unwrap(),
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: chat\r\nX-Extra: 1\r\n\r\n"
        );
        let bad = Accept {
            protocol: Some("mqtt".into()),
            headers: vec![],
        };
        assert_eq!(
            accept_response(&r, &bad, None),
            Err(LocalError::ProtocolNotOffered("mqtt".into()))
        );
        let injected = Accept {
            protocol: None,
            headers: vec![("X".into(), "a\r\nB: c".into())],
        };
        assert_eq!(
            accept_response(&r, &injected, None),
            Err(LocalError::InvalidHeader("X".into()))
        );
    }

    #[test]
    fn failure_answers() {
        let v = failure_response(&HandshakeError::UnsupportedVersion("8".into()));
        let text = std::str::from_utf8(&v).unwrap();
        assert!(
            text.starts_with("HTTP/1.1 426 Upgrade Required\r\n"),
            "{text}"
        );
        assert!(text.contains("\r\nSec-WebSocket-Version: 13\r\n"), "{text}");
        let b = failure_response(&HandshakeError::BadKey);
        assert!(b.starts_with(b"HTTP/1.1 400 Bad Request\r\n"));
        let reject = Reject {
            status: 401,
            headers: vec![("WWW-Authenticate".into(), "Basic realm=\"x\"".into())],
            body: Bytes::from_static(b"no"),
        };
        let r = reject_response(&reject).unwrap();
        assert_eq!(
            std::str::from_utf8(&r).unwrap(),
            "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"x\"\r\nConnection: close\r\nContent-Length: 2\r\n\r\nno"
        );
        assert_eq!(
            reject_response(&Reject::status(101)),
            Err(LocalError::InvalidStatus(101))
        );
    }
}
