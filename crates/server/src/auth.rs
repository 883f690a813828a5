//! Shared-secret access tokens, as servers check them in a WebSocket
//! handshake (`Authorization: Bearer <token>` or a `?token=` query) or on an
//! RTMP stream name or tcUrl (`key?token=<token>`, the convention of
//! nginx-rtmp's `on_publish` and SRS users).
//!
//! ```
//! use wirestate_server::auth::{query_param, AccessToken};
//!
//! let token = AccessToken::new("s3cret");
//! let offered = query_param("token=s3cret&x=1", "token");
//! assert!(offered.is_some_and(|t| token.matches(&t)));
//! assert!(!token.matches("guess"));
//! ```

use std::fmt;

use wirestate_websocket::{Reject, Request};

/// The query parameter that carries a token.
pub const TOKEN_PARAM: &str = "token";

/// A secret a client must present. Its `Debug` output hides the secret, so
/// a logged configuration does not leak it.
#[derive(Clone, PartialEq, Eq)]
pub struct AccessToken(String);

impl AccessToken {
    /// A token with the secret `secret`.
    pub fn new(secret: impl Into<String>) -> Self {
        AccessToken(secret.into())
    }

    /// Whether `candidate` is the secret. The comparison takes the same time
    /// wherever the first difference is, so timing does not reveal how much
    /// of a guess was right (only the secret's length may show).
    pub fn matches(&self, candidate: &str) -> bool {
        let (secret, candidate) = (self.0.as_bytes(), candidate.as_bytes());
        if secret.len() != candidate.len() {
            return false;
        }
        let difference = secret
            .iter()
            .zip(candidate)
            .fold(0u8, |acc, (a, b)| acc | (a ^ b));
        difference == 0
    }
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AccessToken(..)")
    }
}

/// The value of the first parameter called `name` in a URL query
/// (`a=1&token=x`, without the `?`), percent-decoded (`+` is a space, as
/// in forms). `None` when the parameter is absent or its value does not
/// decode to UTF-8.
pub fn query_param(query: &str, name: &str) -> Option<String> {
    query
        .split('&')
        .filter_map(|pair| pair.split_once('=').or(Some((pair, ""))))
        .find(|(key, _)| *key == name)
        .and_then(|(_, value)| percent_decode(value))
}

/// Splits `name?query` (an RTMP stream name or tcUrl) into the name and
/// the token in its query, if any.
///
/// ```
/// use wirestate_server::auth::split_token;
///
/// assert_eq!(split_token("key?token=abc"), ("key", Some("abc".to_string())));
/// assert_eq!(split_token("key"), ("key", None));
/// ```
pub fn split_token(name: &str) -> (&str, Option<String>) {
    match name.split_once('?') {
        Some((name, query)) => (name, query_param(query, TOKEN_PARAM)),
        None => (name, None),
    }
}

/// The token a WebSocket upgrade request presents: `Authorization: Bearer
/// <token>` (the scheme is case-insensitive), else a `token` query
/// parameter.
pub fn request_token(request: &Request) -> Option<String> {
    let bearer = request
        .header("authorization")
        .and_then(|value| std::str::from_utf8(value).ok())
        .and_then(|value| value.trim().split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim().to_string());
    bearer.or_else(|| {
        let query = request.query.as_deref()?;
        query_param(query, TOKEN_PARAM)
    })
}

/// Checks the token of a WebSocket upgrade request against `token`.
///
/// # Errors
///
/// When the request presents no token or a wrong one: the rejection to
/// send, `401 Unauthorized` with `WWW-Authenticate: Bearer` (RFC 6750; with
/// `error="invalid_token"` when a wrong token was presented). The caller
/// passes it to the connection's `reject`.
pub fn check_request(token: &AccessToken, request: &Request) -> Result<(), Reject> {
    let challenge = match request_token(request) {
        Some(offered) if token.matches(&offered) => return Ok(()),
        Some(_) => "Bearer error=\"invalid_token\"",
        None => "Bearer",
    };
    let mut reject = Reject::status(401);
    reject
        .headers
        .push(("WWW-Authenticate".to_string(), challenge.to_string()));
    reject.body = bytes::Bytes::from_static(b"unauthorized\n");
    Err(reject)
}

/// Decodes `%XX` escapes and `+`; `None` on a bad escape or non-UTF-8.
fn percent_decode(value: &str) -> Option<String> {
    let mut out = Vec::with_capacity(value.len());
    let mut bytes = value.bytes();
    while let Some(byte) = bytes.next() {
        out.push(match byte {
            b'+' => b' ',
            b'%' => {
                let high = char::from(bytes.next()?).to_digit(16)?;
                let low = char::from(bytes.next()?).to_digit(16)?;
                (high * 16 + low) as u8
            }
            other => other,
        });
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;
    use wirestate_core::Machine;
    use wirestate_websocket::{WsConfig, WsConnection, WsEvent};

    fn request(extra: &str) -> Request {
        let head = format!(
            "GET /ws{extra} HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        );
        let mut server = WsConnection::server(WsConfig::default());
        server.handle_input(head.as_bytes(), Instant::now());
        match server.poll_event() {
            Some(Ok(WsEvent::Request(request))) => *request,
            other => panic!("no request: {other:?}"),
        }
    }

    #[test]
    fn query_params_decode_and_pick_the_first() {
        let table = [
            ("token=abc", "token", Some("abc")),
            ("a=1&token=a%20b&token=z", "token", Some("a b")),
            ("token=a+b", "token", Some("a b")),
            ("tok=1", "token", None),
            ("token", "token", Some("")),
            ("token=%zz", "token", None),
            ("token=%ff", "token", None),
            ("token=%4", "token", None),
        ];
        for (query, name, expected) in table {
            assert_eq!(query_param(query, name).as_deref(), expected, "{query}");
        }
    }

    #[test]
    fn tokens_compare_whole() {
        let token = AccessToken::new("abc");
        assert!(token.matches("abc"));
        for wrong in ["", "ab", "abd", "abcd", "ABC"] {
            assert!(!token.matches(wrong), "{wrong}");
        }
        assert_eq!(format!("{token:?}"), "AccessToken(..)");
    }

    #[test]
    fn requests_present_bearer_or_query_tokens() {
        let token = AccessToken::new("s3cret");
        let bearer = |value: &str| {
            let head = format!(
                "GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
                 Authorization: {value}\r\n\
                 Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
            );
            let mut server = WsConnection::server(WsConfig::default());
            server.handle_input(head.as_bytes(), Instant::now());
            match server.poll_event() {
                Some(Ok(WsEvent::Request(request))) => *request,
                other => panic!("no request: {other:?}"),
            }
        };
        assert!(check_request(&token, &bearer("Bearer s3cret")).is_ok());
        assert!(check_request(&token, &bearer("bearer  s3cret ")).is_ok());
        assert!(check_request(&token, &request("?token=s3cret")).is_ok());
        assert!(check_request(&token, &request("?a=b&token=s3cre%74")).is_ok());

        let refused = check_request(&token, &request("")).unwrap_err();
        assert_eq!(refused.status, 401);
        assert_eq!(refused.headers[0].1, "Bearer");
        for wrong in [
            bearer("Bearer nope"),
            bearer("Basic s3cret"),
            request("?token=x"),
        ] {
            let refused = check_request(&token, &wrong).unwrap_err();
            assert_eq!(refused.status, 401);
            let expected = if wrong
                .header("authorization")
                .is_some_and(|v| v.starts_with(b"Basic"))
            {
                "Bearer"
            } else {
                "Bearer error=\"invalid_token\""
            };
            assert_eq!(refused.headers[0].1, expected);
        }
    }

    #[test]
    fn stream_names_split_off_their_token() {
        assert_eq!(split_token("k?token=x&y=1"), ("k", Some("x".into())));
        assert_eq!(split_token("k?other=1"), ("k", None));
        assert_eq!(split_token("k?"), ("k", None));
    }
}
