//! Server side on `http` types: validate an upgrade request, answer it with
//! an `http::Response`, start the connection.

use http::{request, Method, Response, StatusCode, Version};

use super::{append, as_httparse, sealed::Sealed};
use crate::deflate::{negotiate_deflate, DeflateParams};
use crate::error::LocalError;
use crate::handshake::server::{accept_fields, failure_fields, validate_request};
use crate::handshake::{select_protocol, Accept, HandshakeError, Request};
use crate::{WsConfig, WsConnection};

/// What the server functions read of a request: implemented for
/// `http::Request<B>` (any body) and `http::request::Parts`.
pub trait RequestHead: Sealed {
    /// The request method.
    fn method(&self) -> &Method;
    /// The HTTP version.
    fn version(&self) -> Version;
    /// The request target.
    fn uri(&self) -> &http::Uri;
    /// The headers.
    fn headers(&self) -> &http::HeaderMap;
}

impl<B> RequestHead for http::Request<B> {
    fn method(&self) -> &Method {
        self.method()
    }
    fn version(&self) -> Version {
        self.version()
    }
    fn uri(&self) -> &http::Uri {
        self.uri()
    }
    fn headers(&self) -> &http::HeaderMap {
        self.headers()
    }
}

impl RequestHead for request::Parts {
    fn method(&self) -> &Method {
        &self.method
    }
    fn version(&self) -> Version {
        self.version
    }
    fn uri(&self) -> &http::Uri {
        &self.uri
    }
    fn headers(&self) -> &http::HeaderMap {
        &self.headers
    }
}

/// A refused upgrade request: why, and the response to send (400, or 426
/// with `Sec-WebSocket-Version: 13`; its body is the caller's, e.g. the
/// error's text).
#[derive(Debug, thiserror::Error)]
#[error("{error}")]
pub struct HttpRejection {
    /// The rule the request broke.
    pub error: HandshakeError,
    /// The answer: [`failure_http_response`] of `error`.
    pub response: Response<()>,
}

/// Validates an upgrade request given as `http` types with the rules of
/// [`parse_request`](crate::parse_request) (GET, HTTP/1.1, `Host`,
/// `Upgrade: websocket`, `Connection: Upgrade`, a 16-byte key, version 13)
/// and returns it as a [`Request`] (path, query, offered subprotocols and
/// extensions, headers with lower-case names).
///
/// # Errors
///
/// The [`HandshakeError`] that says which rule the request broke; answer it
/// with [`failure_http_response`].
pub fn parse_http_request(request: &impl RequestHead) -> Result<Request, HandshakeError> {
    let version = match request.version() {
        Version::HTTP_11 => Some(1),
        Version::HTTP_10 => Some(0),
        _ => None,
    };
    let target = request
        .uri()
        .path_and_query()
        .map_or("/", |target| target.as_str());
    let headers = as_httparse(request.headers());
    validate_request(request.method().as_str(), version, target, &headers)
}

/// The `101 Switching Protocols` response to `request`, with the header
/// lines [`accept_response`](crate::accept_response) writes: the accept
/// hash, the chosen subprotocol, the extra headers of `accept` and the
/// agreed permessage-deflate parameters. Then run
/// [`WsConnection::accepted_server`] with the same `deflate` on the
/// upgraded connection.
///
/// # Errors
///
/// [`LocalError::ProtocolNotOffered`] for a subprotocol the client did not
/// offer, [`LocalError::InvalidHeader`] for a header `http` refuses.
pub fn accept_http_response(
    request: &Request,
    accept: &Accept,
    deflate: Option<DeflateParams>,
) -> Result<Response<()>, LocalError> {
    let fields = accept_fields(request.key(), &request.protocols, accept.clone(), deflate)?;
    let mut response = Response::new(());
    *response.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    for (name, value) in &fields {
        append(response.headers_mut(), name, value)?;
    }
    Ok(response)
}

/// The response to a request that failed validation: the status of
/// [`HandshakeError::status`], and `Sec-WebSocket-Version: 13` with a 426
/// (as [`failure_response`](crate::failure_response), less
/// `Connection: close` and `Content-Length`, which are the HTTP server's).
pub fn failure_http_response(error: &HandshakeError) -> Response<()> {
    let mut response = Response::new(());
    *response.status_mut() =
        StatusCode::from_u16(error.status()).unwrap_or(StatusCode::BAD_REQUEST);
    for (name, value) in failure_fields(error) {
        // Constant, valid header lines.
        let _ = append(response.headers_mut(), &name, &value);
    }
    response
}

/// Server, in one call: validates the upgrade `request`, chooses the first
/// of `protocols` (the server's preference) the client offered, accepts
/// permessage-deflate as [`WsConfig::deflate`] allows, and returns the
/// `101` response to send with the connection to run on the upgraded bytes
/// ([`WsConnection::accepted_server`], deflate state in force). Extra
/// response headers (`Set-Cookie` ...) can be added to the response.
///
/// ```
/// use wirestate_websocket::{http_upgrade, DeflateConfig, WsConfig};
///
/// let request = http::Request::get("/chat")
///     .header("Host", "example.com")
///     .header("Upgrade", "websocket")
///     .header("Connection", "Upgrade")
///     .header("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
///     .header("Sec-WebSocket-Version", "13")
///     .header("Sec-WebSocket-Protocol", "chat.v1, chat.v2")
///     .header("Sec-WebSocket-Extensions", "permessage-deflate; client_max_window_bits")
///     .body(())
///     .unwrap();
/// let config = WsConfig { deflate: Some(DeflateConfig::server()), ..WsConfig::default() };
/// let (response, connection) = http_upgrade(&request, config, &["chat.v2"]).unwrap();
/// assert_eq!(response.status(), 101);
/// assert_eq!(response.headers()["sec-websocket-accept"], "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
/// assert_eq!(response.headers()["sec-websocket-protocol"], "chat.v2");
/// assert!(connection.is_open() && connection.deflate().is_some());
///
/// let bad = http::Request::post("/chat").body(()).unwrap();
/// let rejection = http_upgrade(&bad, WsConfig::default(), &[]).unwrap_err();
/// assert_eq!(rejection.response.status(), 400);
/// assert_eq!(rejection.to_string(), "upgrade request method must be GET, got POST");
/// ```
///
/// # Errors
///
/// [`HttpRejection`] for a request that is no valid upgrade: send its
/// response (with a body of the caller's choice).
pub fn http_upgrade(
    request: &impl RequestHead,
    config: WsConfig,
    protocols: &[&str],
) -> Result<(Response<()>, WsConnection), HttpRejection> {
    let request = parse_http_request(request).map_err(|error| HttpRejection {
        response: failure_http_response(&error),
        error,
    })?;
    let deflate = config
        .deflate
        .as_ref()
        .and_then(|offer| negotiate_deflate(&request.extensions, offer));
    let accept = Accept {
        protocol: select_protocol(&request.protocols, protocols).map(String::from),
        headers: Vec::new(),
    };
    let response = accept_http_response(&request, &accept, deflate)
        .expect("an offered subprotocol and the agreed parameters are valid header values");
    Ok((response, WsConnection::accepted_server(config, deflate)))
}
