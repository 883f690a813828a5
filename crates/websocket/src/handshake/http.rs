//! Reading and writing HTTP/1.1 heads for the handshake: finding the end of
//! a head, `httparse` outcomes, header lookups and token lists, and which
//! header lines can be written as they are.

use super::{parse_extensions, Extension, HandshakeError};

/// Maps the outcome of an `httparse` parse of a complete head.
pub(crate) fn head_parsed(
    parsed: Result<httparse::Status<usize>, httparse::Error>,
    max_headers: usize,
) -> Result<(), HandshakeError> {
    match parsed {
        Ok(httparse::Status::Complete(_)) => Ok(()),
        Ok(httparse::Status::Partial) => Err(HandshakeError::Malformed("incomplete head".into())),
        Err(httparse::Error::TooManyHeaders) => Err(HandshakeError::TooManyHeaders(max_headers)),
        Err(e) => Err(HandshakeError::Malformed(e.to_string())),
    }
}

/// Finds the end of an HTTP head (`\r\n\r\n`) incrementally.
#[derive(Debug, Clone, Default)]
pub(crate) struct HeadScanner {
    scanned: usize,
}

impl HeadScanner {
    /// The length of the head including the blank line, once complete.
    ///
    /// # Errors
    ///
    /// [`HandshakeError::TooLarge`] when the head is already longer than
    /// `limit` without ending.
    pub fn scan(&mut self, buf: &[u8], limit: usize) -> Result<Option<usize>, HandshakeError> {
        let from = self.scanned.saturating_sub(3);
        let window = &buf[from.min(buf.len())..buf.len().min(limit.saturating_add(4))];
        if let Some(at) = memchr::memmem::find(window, b"\r\n\r\n") {
            let end = from + at + 4;
            if end > limit {
                return Err(HandshakeError::TooLarge(limit));
            }
            return Ok(Some(end));
        }
        self.scanned = buf.len();
        if buf.len() > limit {
            return Err(HandshakeError::TooLarge(limit));
        }
        Ok(None)
    }
}

/// Comma-separated tokens of a header value, trimmed, empty ones skipped.
pub(crate) fn tokens(value: &[u8]) -> impl Iterator<Item = &[u8]> {
    value
        .split(|&b| b == b',')
        .map(|t| t.trim_ascii())
        .filter(|t| !t.is_empty())
}

/// The values of every header called `name` (case-insensitive), in order.
fn values<'h>(
    headers: &'h [httparse::Header<'_>],
    name: &'h str,
) -> impl Iterator<Item = &'h [u8]> {
    headers
        .iter()
        .filter(move |h| h.name.eq_ignore_ascii_case(name))
        .map(|h| h.value)
}

/// Whether any header called `name` lists `token` (both case-insensitive).
pub(crate) fn has_token(headers: &[httparse::Header<'_>], name: &str, token: &str) -> bool {
    values(headers, name).any(|v| tokens(v).any(|t| t.eq_ignore_ascii_case(token.as_bytes())))
}

/// The single value of header `name`, trimmed; `None` if absent or repeated.
pub(crate) fn single<'h>(headers: &'h [httparse::Header<'_>], name: &'h str) -> Option<&'h [u8]> {
    let mut found = values(headers, name);
    let first = found.next()?;
    if found.next().is_some() {
        return None;
    }
    Some(first.trim_ascii())
}

/// Every header as an owned (name, value) pair.
pub(crate) fn owned_headers(headers: &[httparse::Header<'_>]) -> Vec<(String, Vec<u8>)> {
    headers
        .iter()
        .map(|h| (h.name.to_string(), h.value.to_vec()))
        .collect()
}

/// Parses every `Sec-WebSocket-Extensions` header into extension entries.
pub(crate) fn extensions_of(headers: &[httparse::Header<'_>]) -> Vec<Extension> {
    values(headers, "sec-websocket-extensions")
        .flat_map(parse_extensions)
        .collect()
}

/// Parses every `Sec-WebSocket-Protocol` token, in order.
pub(crate) fn parse_protocols(headers: &[httparse::Header<'_>]) -> Vec<String> {
    values(headers, "sec-websocket-protocol")
        .flat_map(tokens)
        .map(|t| String::from_utf8_lossy(t).into_owned())
        .collect()
}

/// Whether `name: value` can be written into an HTTP head as is.
pub(crate) fn is_valid_header(name: &str, value: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
        && !value.bytes().any(|b| b == b'\r' || b == b'\n' || b == 0)
}

/// The first header called `name` (case-insensitive) among owned pairs.
pub(crate) fn find_header<'a>(headers: &'a [(String, Vec<u8>)], name: &str) -> Option<&'a [u8]> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_slice())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn head_scanner_finds_the_end_when_fed_byte_by_byte() {
        let head = b"GET / HTTP/1.1\r\nHost: x\r\n\r\nrest";
        let mut scanner = HeadScanner::default();
        let mut found = None;
        for n in 1..=head.len() {
            if let Some(end) = scanner.scan(&head[..n], 1024).unwrap() {
                found = Some((n, end));
                break;
            }
        }
        assert_eq!(found, Some((27, 27)));
    }

    #[test]
    fn head_scanner_enforces_the_limit() {
        let mut scanner = HeadScanner::default();
        assert_eq!(
            scanner.scan(&[b'a'; 20], 16),
            Err(HandshakeError::TooLarge(16))
        );
        let mut scanner = HeadScanner::default();
        assert_eq!(
            scanner.scan(b"GET / HTTP/1.1\r\n\r\n", 10),
            Err(HandshakeError::TooLarge(10))
        );
    }
}
