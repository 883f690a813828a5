//! The opening handshake on the `http` crate's types (feature `http`), for
//! HTTP servers and clients that do the upgrade themselves (axum, hyper):
//! the same rules as the raw handshake (the checks, the subprotocol and
//! permessage-deflate negotiation and the answer's header lines are shared
//! with [`parse_request`](crate::parse_request),
//! [`accept_response`](crate::accept_response),
//! [`ClientRequest::encode`](crate::ClientRequest::encode) and
//! [`parse_response`](crate::parse_response)), and a [`WsConnection`](crate::WsConnection)
//! that starts open on the upgraded bytes.
//!
//! Limits on the head (size, header count) are the HTTP server's: it
//! parsed the head before these functions see it.

mod client;
mod server;
#[cfg(test)]
mod tests;

pub use client::{http_client_request, HttpClientHandshake, ResponseHead};
pub use server::{
    accept_http_response, failure_http_response, http_upgrade, parse_http_request, HttpRejection,
    RequestHead,
};

use http::{HeaderMap, HeaderName, HeaderValue};

use crate::error::LocalError;

/// A `HeaderMap` as `httparse` headers, which the shared rules read.
fn as_httparse(headers: &HeaderMap) -> Vec<httparse::Header<'_>> {
    headers
        .iter()
        .map(|(name, value)| httparse::Header {
            name: name.as_str(),
            value: value.as_bytes(),
        })
        .collect()
}

/// Appends `name: value` to `headers`.
///
/// # Errors
///
/// [`LocalError::InvalidHeader`] when `http` refuses the name or the value.
fn append(headers: &mut HeaderMap, name: &str, value: &str) -> Result<(), LocalError> {
    let invalid = || LocalError::InvalidHeader(name.to_string());
    let header = HeaderName::from_bytes(name.as_bytes()).map_err(|_| invalid())?;
    let value = HeaderValue::from_bytes(value.as_bytes()).map_err(|_| invalid())?;
    headers.append(header, value);
    Ok(())
}

mod sealed {
    pub trait Sealed {}
    impl<B> Sealed for http::Request<B> {}
    impl Sealed for http::request::Parts {}
    impl<B> Sealed for http::Response<B> {}
    impl Sealed for http::response::Parts {}
}
