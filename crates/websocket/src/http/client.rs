//! Client side on `http` types: the upgrade request as an `http::Request`,
//! the check of the server's `http::Response`.

use http::{response, Method, StatusCode, Version};
use wirestate_core::RandomSource;

use super::{append, as_httparse, sealed::Sealed};
use crate::deflate::deflate_offer;
use crate::error::LocalError;
use crate::handshake::client::check_response;
use crate::handshake::{ClientRequest, HandshakeError, Response};
use crate::{WsConfig, WsConnection};

/// What [`HttpClientHandshake::finish`] reads of a response: implemented
/// for `http::Response<B>` (any body) and `http::response::Parts`.
pub trait ResponseHead: Sealed {
    /// The status code.
    fn status(&self) -> StatusCode;
    /// The headers.
    fn headers(&self) -> &http::HeaderMap;
}

impl<B> ResponseHead for http::Response<B> {
    fn status(&self) -> StatusCode {
        self.status()
    }
    fn headers(&self) -> &http::HeaderMap {
        self.headers()
    }
}

impl ResponseHead for response::Parts {
    fn status(&self) -> StatusCode {
        self.status
    }
    fn headers(&self) -> &http::HeaderMap {
        &self.headers
    }
}

/// A client's upgrade request in flight: what checking the answer needs
/// (the key, the offered subprotocols, the config and its deflate offer)
/// and the random source the connection then masks with.
#[derive(Debug)]
pub struct HttpClientHandshake<R> {
    key: String,
    protocols: Vec<String>,
    config: WsConfig,
    rng: R,
}

/// Client: the opening handshake as an `http::Request<()>` (GET, HTTP/1.1,
/// the header lines of [`ClientRequest::encode`] with the key drawn from
/// `rng`, plus the permessage-deflate offer when [`WsConfig::deflate`] is
/// set), with the state that checks the answer
/// ([`HttpClientHandshake::finish`]).
///
/// ```
/// use wirestate_core::SeededRandom;
/// use wirestate_websocket::{accept_key, http_client_request, ClientRequest, DeflateConfig, WsConfig};
///
/// let config = WsConfig { deflate: Some(DeflateConfig::client()), ..WsConfig::default() };
/// let (request, handshake) =
///     http_client_request(ClientRequest::new("example.com", "/chat"), config, SeededRandom::new(1)).unwrap();
/// assert_eq!(request.headers()["sec-websocket-extensions"], "permessage-deflate; client_max_window_bits");
///
/// // The server's answer (from an HTTP client such as hyper's).
/// let response = http::Response::builder()
///     .status(101)
///     .header("Upgrade", "websocket")
///     .header("Connection", "Upgrade")
///     .header("Sec-WebSocket-Accept", accept_key(handshake.key().as_bytes()))
///     .header("Sec-WebSocket-Extensions", "permessage-deflate")
///     .body(())
///     .unwrap();
/// let (answer, connection) = handshake.finish(&response).unwrap();
/// assert!(answer.deflate.is_some() && connection.deflate().is_some());
/// ```
///
/// # Errors
///
/// [`LocalError::InvalidHeader`] if the host, a header or the path cannot
/// be written.
pub fn http_client_request<R: RandomSource + Send + 'static>(
    request: ClientRequest,
    config: WsConfig,
    mut rng: R,
) -> Result<(http::Request<()>, HttpClientHandshake<R>), LocalError> {
    let request = match &config.deflate {
        Some(deflate) => request.header("Sec-WebSocket-Extensions", deflate_offer(deflate)),
        None => request,
    };
    let key = request.key_from(&mut rng);
    let mut out = http::Request::new(());
    *out.method_mut() = Method::GET;
    *out.version_mut() = Version::HTTP_11;
    *out.uri_mut() = request
        .path
        .parse()
        .map_err(|_| LocalError::InvalidHeader("request target".into()))?;
    for (name, value) in request.fields(&key)? {
        append(out.headers_mut(), name, &value)?;
    }
    let handshake = HttpClientHandshake {
        key,
        protocols: request.protocols,
        config,
        rng,
    };
    Ok((out, handshake))
}

impl<R: RandomSource + Send + 'static> HttpClientHandshake<R> {
    /// The `Sec-WebSocket-Key` the request carries.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// Checks the server's answer with the rules of
    /// [`parse_response`](crate::parse_response) (status 101, `Upgrade`,
    /// `Connection`, the accept hash, a subprotocol we offered, the
    /// permessage-deflate answer against our offer) and returns it with
    /// the connection to run on the upgraded bytes
    /// ([`WsConnection::accepted_client`], deflate state in force).
    ///
    /// # Errors
    ///
    /// The [`HandshakeError`] that says what is wrong with the answer
    /// ([`Redirect`](HandshakeError::Redirect) or
    /// [`Status`](HandshakeError::Status) for another status).
    pub fn finish(
        self,
        response: &impl ResponseHead,
    ) -> Result<(Response, WsConnection), HandshakeError> {
        let headers = as_httparse(response.headers());
        let answer = check_response(
            response.status().as_u16(),
            &headers,
            &self.key,
            &self.protocols,
            self.config.deflate.as_ref(),
        )?;
        let connection = WsConnection::accepted_client(self.config, answer.deflate, self.rng);
        Ok((answer, connection))
    }
}
