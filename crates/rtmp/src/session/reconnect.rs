//! Enhanced RTMP v2's reconnect request: the status code, and what a client
//! needs to follow it (the new `tcUrl` resolved against the current one,
//! the new [`ClientConfig`], the address to dial).
//!
//! How a client follows a [`ClientEvent::ReconnectRequested`](super::ClientEvent::ReconnectRequested):
//! keep streaming to the current server up to the next media boundary (a
//! keyframe), build the new configuration with
//! [`ClientConfig::reconnect_to`], open a TCP connection to its
//! [`server_addr`](ClientConfig::server_addr), start a new
//! [`ClientSession`](super::ClientSession) on it and `publish` or `play` the
//! same stream, then [`close`](super::Session::close) the old session.

use super::ClientConfig;

/// The `code` of the `onStatus` (on stream 0, level `status`) by which a
/// server asks its client to reconnect.
pub const RECONNECT_REQUEST: &str = "NetConnection.Connect.ReconnectRequest";

/// The default RTMP port.
const RTMP_PORT: u16 = 1935;

/// Resolves a reconnect request's `tcUrl` (`reference`) against the
/// current `tcUrl`, as a URI reference: absolute (`rtmp://host/app`),
/// network-path (`//host/app`: the current scheme), absolute-path (`/app`:
/// the current scheme and host) or relative path (`app`: replaces the last
/// segment of the current path).
///
/// ```
/// use wirestate_rtmp::session::resolve_tc_url;
///
/// let current = "rtmp://a.example:1935/live";
/// assert_eq!(resolve_tc_url(current, "rtmp://b.example/live"), "rtmp://b.example/live");
/// assert_eq!(resolve_tc_url(current, "//192.0.2.0/realtime"), "rtmp://192.0.2.0/realtime");
/// assert_eq!(resolve_tc_url(current, "/realtime"), "rtmp://a.example:1935/realtime");
/// assert_eq!(resolve_tc_url(current, "other"), "rtmp://a.example:1935/other");
/// ```
pub fn resolve_tc_url(current: &str, reference: &str) -> String {
    if has_scheme(reference) {
        return reference.to_owned();
    }
    let (scheme, rest) = current.split_once("://").unwrap_or(("rtmp", current));
    if let Some(network_path) = reference.strip_prefix("//") {
        return format!("{scheme}://{network_path}");
    }
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    if reference.starts_with('/') {
        return format!("{scheme}://{authority}{reference}");
    }
    let directory = &path[..path.rfind('/').map_or(0, |i| i + 1)];
    let directory = if directory.is_empty() { "/" } else { directory };
    format!("{scheme}://{authority}{directory}{reference}")
}

/// Whether `reference` starts with a URI scheme (`rtmp:`, `rtmps:` ...).
fn has_scheme(reference: &str) -> bool {
    let Some((scheme, _)) = reference.split_once(':') else {
        return false;
    };
    let mut chars = scheme.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

impl ClientConfig {
    /// The configuration to follow a reconnect request with: this one,
    /// with `tcUrl` resolved from `tc_url` (see [`resolve_tc_url`]; `None`:
    /// the current `tcUrl`) and `app` taken from its path (the query, if
    /// any, kept). Everything else (Enhanced RTMP offers, timeouts) stays.
    ///
    /// ```
    /// use wirestate_rtmp::session::ClientConfig;
    ///
    /// let config = ClientConfig::new("live", "rtmp://a.example/live");
    /// let next = config.reconnect_to(Some("rtmp://b.example:1936/edge/live"));
    /// assert_eq!((next.app.as_str(), next.tc_url.as_str()), ("edge/live", "rtmp://b.example:1936/edge/live"));
    /// assert_eq!(next.server_addr(), Some(("b.example".to_owned(), 1936)));
    /// assert_eq!(config.reconnect_to(None).tc_url, config.tc_url);
    /// ```
    pub fn reconnect_to(&self, tc_url: Option<&str>) -> ClientConfig {
        let Some(reference) = tc_url else {
            return self.clone();
        };
        let tc_url = resolve_tc_url(&self.tc_url, reference);
        let mut config = self.clone();
        config.app = app_of(&tc_url).unwrap_or(&self.app).to_owned();
        config.tc_url = tc_url;
        config
    }

    /// The host and port of [`tc_url`](Self::tc_url) (port 1935 when not
    /// given; IPv6 hosts without their brackets); `None` if it has no
    /// `scheme://host`.
    pub fn server_addr(&self) -> Option<(String, u16)> {
        let (_, rest) = self.tc_url.split_once("://")?;
        let authority = rest.split(['/', '?']).next().unwrap_or_default();
        let authority = authority.rsplit('@').next().unwrap_or_default();
        let (host, port) = match authority.strip_prefix('[') {
            Some(v6) => {
                let (host, after) = v6.split_once(']')?;
                (host, after.strip_prefix(':'))
            }
            None => match authority.split_once(':') {
                Some((host, port)) => (host, Some(port)),
                None => (authority, None),
            },
        };
        let port = match port {
            Some(port) => port.parse().ok()?,
            None => RTMP_PORT,
        };
        (!host.is_empty()).then(|| (host.to_owned(), port))
    }
}

/// The application of a `tcUrl`: its path without the leading `/`.
fn app_of(tc_url: &str) -> Option<&str> {
    let (_, rest) = tc_url.split_once("://")?;
    let path = &rest[rest.find('/')?..];
    Some(&path[1..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_resolve_as_uri_references() {
        let cases = [
            ("rtmp://h/live", "rtmps://x:443/a", "rtmps://x:443/a"),
            ("rtmp://h/live", "//x/a", "rtmp://x/a"),
            ("rtmp://h:1/live/sub", "/a", "rtmp://h:1/a"),
            ("rtmp://h/live/sub", "a", "rtmp://h/live/a"),
            ("rtmp://h", "a", "rtmp://h/a"),
            ("rtmp://h/live", "a:b", "a:b"),
            ("rtmp://h/live", "1:x", "rtmp://h/1:x"),
        ];
        for (current, reference, expected) in cases {
            assert_eq!(resolve_tc_url(current, reference), expected, "{reference}");
        }
    }

    #[test]
    fn server_addresses_default_to_port_1935() {
        let addr = |url: &str| ClientConfig::new("a", url).server_addr();
        assert_eq!(addr("rtmp://h/live"), Some(("h".into(), 1935)));
        assert_eq!(addr("rtmp://h:99?x=1"), Some(("h".into(), 99)));
        assert_eq!(addr("rtmp://u:p@h:98/a"), Some(("h".into(), 98)));
        assert_eq!(addr("rtmp://[::1]:97/a"), Some(("::1".into(), 97)));
        assert_eq!(addr("rtmp://[::1]/a"), Some(("::1".into(), 1935)));
        assert_eq!(addr("rtmp://h:x/a"), None);
        assert_eq!(addr("rtmp:///a"), None);
        assert_eq!(addr("live"), None);
    }

    #[test]
    fn the_app_follows_the_new_url() {
        let config = ClientConfig::new("live", "rtmp://h/live");
        let next = config.reconnect_to(Some("/edge?token=1"));
        assert_eq!(next.tc_url, "rtmp://h/edge?token=1");
        assert_eq!(next.app, "edge?token=1");
        // A URL without a path keeps the application.
        assert_eq!(config.reconnect_to(Some("rtmp://x")).app, "live");
    }
}
