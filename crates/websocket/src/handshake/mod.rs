//! The opening handshake (RFC 6455 §4): an HTTP/1.1 upgrade request and its
//! `101 Switching Protocols` answer, parsed with `httparse`.
//!
//! Every piece is a public function usable without a connection (an HTTP
//! server that does the upgrade itself): request parsing and the answers on
//! the server side (`server.rs`), request writing and response checking on
//! the client side (`client.rs`), the accept key, subprotocol selection and
//! the extensions header here.
//!
//! A connection first collects the head (up to the blank line) with
//! [`HeadScanner`], which remembers how far it searched, so a head arriving
//! byte by byte is scanned once. Bytes after the head stay in the input buffer
//! for the frame layer.

pub(crate) mod client;
mod http;
pub(crate) mod server;

use base64::Engine as _;
use sha1::{Digest, Sha1};

pub(crate) use self::http::HeadScanner;
pub use client::{parse_response, ClientRequest, Response};
pub(crate) use server::accept_response_for;
pub use server::{
    accept_response, failure_response, parse_request, reject_response, Accept, Reject, Request,
};

/// The GUID of RFC 6455 §1.3, appended to the key before hashing.
const WEBSOCKET_GUID: &[u8] = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// The `Sec-WebSocket-Accept` value for a `Sec-WebSocket-Key`.
///
/// ```
/// // The example of RFC 6455 §1.3.
/// assert_eq!(
///     wirestate_websocket::accept_key(b"dGhlIHNhbXBsZSBub25jZQ=="),
///     "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
/// );
/// ```
pub fn accept_key(key: &[u8]) -> String {
    let mut sha = Sha1::new();
    sha.update(key);
    sha.update(WEBSOCKET_GUID);
    base64::engine::general_purpose::STANDARD.encode(sha.finalize())
}

/// Why an opening handshake failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HandshakeError {
    /// The head is not valid HTTP/1.x (server answers 400).
    #[error("malformed HTTP head: {0}")]
    Malformed(String),
    /// The request method is not GET (server answers 400).
    #[error("upgrade request method must be GET, got {0}")]
    NotGet(String),
    /// The request is not HTTP/1.1 (server answers 400).
    #[error("upgrade request must be HTTP/1.1")]
    NotHttp11,
    /// A required header is missing (server answers 400).
    #[error("missing or invalid {0} header")]
    MissingHeader(&'static str),
    /// `Sec-WebSocket-Key` is not the base64 of 16 bytes (server answers 400).
    #[error("Sec-WebSocket-Key is not the base64 encoding of 16 bytes")]
    BadKey,
    /// `Sec-WebSocket-Version` is not 13 (server answers 426 with
    /// `Sec-WebSocket-Version: 13`).
    #[error("unsupported WebSocket version {0:?}, only 13 is supported")]
    UnsupportedVersion(String),
    /// The head grew past `max_handshake_size` (server answers 431).
    #[error("handshake head larger than {0} bytes")]
    TooLarge(usize),
    /// More header lines than `max_headers` (server answers 431).
    #[error("more than {0} header lines in the handshake")]
    TooManyHeaders(usize),
    /// The connection ended before the handshake completed.
    #[error("connection closed during the opening handshake")]
    Eof,
    /// Client: the server redirected (3xx).
    #[error("server redirected with status {status} to {location:?}")]
    Redirect {
        /// The status code.
        status: u16,
        /// The `Location` header, if any.
        location: Option<String>,
        /// Every response header.
        headers: Vec<(String, Vec<u8>)>,
    },
    /// Client: the server answered with a status other than 101 or 3xx.
    #[error("server refused the upgrade with status {status}")]
    Status {
        /// The status code.
        status: u16,
        /// Every response header.
        headers: Vec<(String, Vec<u8>)>,
    },
    /// Client: `Sec-WebSocket-Accept` does not match our key.
    #[error("Sec-WebSocket-Accept does not match the key")]
    BadAccept,
    /// Client: the server chose a subprotocol we did not offer.
    #[error("server chose subprotocol {0:?}, which was not offered")]
    ProtocolNotOffered(String),
    /// Client: the server's permessage-deflate answer is invalid or breaks
    /// what we offered (RFC 7692 §7.1).
    #[error("invalid permessage-deflate answer: {0}")]
    InvalidExtension(String),
    /// Client: the server enabled an extension we did not offer.
    #[error("server enabled extension {0:?}, which was not offered")]
    ExtensionNotOffered(String),
}

impl HandshakeError {
    /// The HTTP status a server answers this failure with.
    pub fn status(&self) -> u16 {
        match self {
            HandshakeError::UnsupportedVersion(_) => 426,
            HandshakeError::TooLarge(_) | HandshakeError::TooManyHeaders(_) => 431,
            _ => 400,
        }
    }
}

/// One extension offer or agreement from `Sec-WebSocket-Extensions`, e.g.
/// `permessage-deflate; client_max_window_bits`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Extension {
    /// The extension token, e.g. `permessage-deflate`.
    pub name: String,
    /// Its parameters, values unquoted.
    pub params: Vec<(String, Option<String>)>,
}

/// Parses one `Sec-WebSocket-Extensions` header value into its entries, in
/// order: each extension's name and its parameters, values unquoted.
/// Entries without a name are skipped; nothing else is checked here (a
/// server checks the offers it understands, see
/// [`negotiate_deflate`](crate::negotiate_deflate)).
///
/// ```
/// use wirestate_websocket::parse_extensions;
///
/// let offers = parse_extensions(b"permessage-deflate; server_max_window_bits=\"10\", x-foo");
/// assert_eq!(offers[0].name, "permessage-deflate");
/// assert_eq!(offers[0].params, [("server_max_window_bits".to_string(), Some("10".to_string()))]);
/// assert_eq!(offers[1].name, "x-foo");
/// ```
pub fn parse_extensions(value: &[u8]) -> Vec<Extension> {
    let mut out = Vec::new();
    let value = String::from_utf8_lossy(value);
    for offer in value.split(',') {
        let mut parts = offer.split(';').map(str::trim);
        let Some(name) = parts.next().filter(|n| !n.is_empty()) else {
            continue;
        };
        let params = parts
            .filter(|p| !p.is_empty())
            .map(|p| match p.split_once('=') {
                Some((k, v)) => (
                    k.trim().to_string(),
                    Some(v.trim().trim_matches('"').to_string()),
                ),
                None => (p.to_string(), None),
            })
            .collect();
        out.push(Extension {
            name: name.to_string(),
            params,
        });
    }
    out
}

/// Server: the subprotocol to accept, the first of `supported` (in the
/// server's order of preference) that the client `offered`
/// ([`Request::protocols`]); `None` when they share none, and the answer
/// then names no subprotocol.
///
/// ```
/// use wirestate_websocket::select_protocol;
///
/// let offered = ["chat.v1".to_string(), "chat.v2".to_string()];
/// assert_eq!(select_protocol(&offered, &["chat.v2", "chat.v1"]), Some("chat.v2"));
/// assert_eq!(select_protocol(&offered, &["mqtt"]), None);
/// ```
pub fn select_protocol<'a>(offered: &[String], supported: &[&'a str]) -> Option<&'a str> {
    supported
        .iter()
        .copied()
        .find(|s| offered.iter().any(|o| o == s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extension_offers_parse() {
        let headers = [httparse::Header {
            name: "Sec-WebSocket-Extensions",
            value:
                b"permessage-deflate; client_max_window_bits; server_max_window_bits=\"10\", x-foo",
        }];
        let ext = http::extensions_of(&headers);
        assert_eq!(ext.len(), 2);
        assert_eq!(ext[0].name, "permessage-deflate");
        assert_eq!(
            ext[0].params,
            [
                ("client_max_window_bits".to_string(), None),
                ("server_max_window_bits".to_string(), Some("10".to_string()))
            ]
        );
        assert_eq!(ext[1].name, "x-foo");
    }
}
