//! `--auth-token` for subscribers: `Authorization: Bearer <token>`, or
//! `?token=<token>` in the URL, compared in constant time.

use wirestate_websocket::Request;

/// Whether `request` carries `token`, as a bearer token or as the `token`
/// query parameter (percent-decoded).
pub fn request_has_token(request: &Request, token: &str) -> bool {
    let bearer = request
        .header("authorization")
        .and_then(|value| std::str::from_utf8(value).ok())
        .and_then(|value| value.trim().strip_prefix("Bearer "))
        .map(|value| value.trim().to_string());
    let candidate = bearer.or_else(|| {
        request.query.as_deref().and_then(|query| {
            query
                .split('&')
                .find_map(|pair| pair.strip_prefix("token="))
                .map(percent_decode)
        })
    });
    candidate.is_some_and(|candidate| same(candidate.as_bytes(), token.as_bytes()))
}

/// Compares without stopping at the first difference.
fn same(a: &[u8], b: &[u8]) -> bool {
    let mut differ = a.len() ^ b.len();
    for (i, &x) in a.iter().enumerate() {
        differ |= usize::from(x ^ b.get(i).copied().unwrap_or(!x));
    }
    differ == 0
}

/// `%XX` escapes and `+` decoded; malformed escapes kept as they are.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (b'+', _) => {
                out.push(b' ');
                i += 1;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compares_whole_tokens_and_decodes_queries() {
        assert!(same(b"abc", b"abc"));
        assert!(!same(b"abc", b"abd"));
        assert!(!same(b"ab", b"abc"));
        assert!(!same(b"abc", b"ab"));
        assert_eq!(percent_decode("a%20b+c%zz"), "a b c%zz");
    }
}
