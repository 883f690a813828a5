//! `rtmp[s]://HOST[:PORT]/APP/KEY`: where to connect, the `app` and `tcUrl`
//! of `connect`, and the stream key.

use super::target::Target;
use super::ConnectError;

/// The default port of `rtmp://`.
pub const DEFAULT_RTMP_PORT: u16 = 1935;
/// The default port of `rtmps://` (FFmpeg's and most services').
pub const DEFAULT_RTMPS_PORT: u16 = 443;

/// A parsed `rtmp://` or `rtmps://` URL.
///
/// ```
/// use wirestate_tokio::connect::RtmpUrl;
///
/// let url = RtmpUrl::parse("rtmps://live.example:4443/app/sub/key?token=1").unwrap();
/// assert!(url.secure);
/// assert_eq!((url.app.as_str(), url.key.as_str()), ("app/sub", "key?token=1"));
/// assert_eq!(url.tc_url(), "rtmps://live.example:4443/app/sub");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RtmpUrl {
    /// `rtmps://`: TLS.
    pub secure: bool,
    /// The host name or address (an IPv6 address without its brackets).
    pub host: String,
    /// The port (1935, or 443 for `rtmps://`, when the URL has none).
    pub port: u16,
    /// The application: the path between the host and the last `/`.
    pub app: String,
    /// The stream key: the last path segment, with the query if any.
    pub key: String,
}

impl RtmpUrl {
    /// Parses `rtmp[s]://HOST[:PORT]/APP/KEY`; `APP` may have several
    /// segments (`live/sub`), the key is the last one.
    ///
    /// # Errors
    ///
    /// [`ConnectError::Url`] naming what is wrong: another scheme (the
    /// tunnelled and encrypted variants are refused by name), no host, a
    /// bad port, no application or no key.
    pub fn parse(url: &str) -> Result<RtmpUrl, ConnectError> {
        let bad = |why: &str| ConnectError::Url {
            url: url.to_owned(),
            why: why.to_owned(),
        };
        if let Some((scheme, _)) = url.split_once("://") {
            let scheme = scheme.to_ascii_lowercase();
            if ["rtmpt", "rtmpe", "rtmpte", "rtmpts"].contains(&scheme.as_str()) {
                return Err(bad(&format!(
                    "{scheme}:// is not supported, only rtmp:// and rtmps://"
                )));
            }
        }
        let target = Target::parse(
            url,
            [("rtmp", DEFAULT_RTMP_PORT), ("rtmps", DEFAULT_RTMPS_PORT)],
        )?;
        let path = target.rest.strip_prefix('/').unwrap_or(&target.rest);
        let Some((app, key)) = path.rsplit_once('/') else {
            return Err(bad("expected an application and a stream key: /APP/KEY"));
        };
        if app.is_empty() {
            return Err(bad("the application is empty"));
        }
        if key.is_empty() {
            return Err(bad("the stream key is empty"));
        }
        Ok(RtmpUrl {
            secure: target.secure,
            host: target.host,
            port: target.port,
            app: app.to_owned(),
            key: key.to_owned(),
        })
    }

    /// `HOST:PORT` as written in a URL (IPv6 in brackets).
    pub fn authority(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }

    /// The `tcUrl` of `connect`: `rtmp://HOST:PORT/APP` (`rtmps://` for a
    /// secure URL).
    pub fn tc_url(&self) -> String {
        let scheme = if self.secure { "rtmps" } else { "rtmp" };
        format!("{scheme}://{}/{}", self.authority(), self.app)
    }

    /// Where [`Target::open`] connects.
    pub(crate) fn target(&self) -> Target {
        Target {
            secure: self.secure,
            host: self.host.clone(),
            port: self.port,
            explicit_port: true,
            rest: String::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Secure, host, port, application and key.
    type Parts<'a> = (bool, &'a str, u16, &'a str, &'a str);

    #[test]
    fn urls() {
        let cases: &[(&str, Parts)] = &[
            ("rtmp://h/live/key", (false, "h", 1935, "live", "key")),
            (
                "rtmp://127.0.0.1:1936/live/key",
                (false, "127.0.0.1", 1936, "live", "key"),
            ),
            ("RTMP://h/a/b/key?t=1", (false, "h", 1935, "a/b", "key?t=1")),
            (
                "rtmp://[::1]:2000/live/k",
                (false, "::1", 2000, "live", "k"),
            ),
            ("rtmps://h/live/k", (true, "h", 443, "live", "k")),
            ("RTMPS://h:4443/live/k", (true, "h", 4443, "live", "k")),
        ];
        for (url, (secure, host, port, app, key)) in cases {
            let u = RtmpUrl::parse(url).unwrap();
            let got = (
                u.secure,
                u.host.as_str(),
                u.port,
                u.app.as_str(),
                u.key.as_str(),
            );
            assert_eq!(got, (*secure, *host, *port, *app, *key), "{url}");
        }
        let url = RtmpUrl::parse("rtmp://[::1]/live/k").unwrap();
        assert_eq!(url.tc_url(), "rtmp://[::1]:1935/live");
        let url = RtmpUrl::parse("rtmps://h/live/k").unwrap();
        assert_eq!(url.tc_url(), "rtmps://h:443/live");
    }

    #[test]
    fn bad_urls() {
        let cases = [
            ("rtmpt://h/live/key", "rtmpt:// is not supported"),
            ("http://h/live/key", "expected rtmp:// or rtmps://"),
            ("h/live/key", "expected rtmp://"),
            ("rtmp:///live/key", "no host"),
            ("rtmp://h:0/live/key", "bad port"),
            ("rtmp://h:99999/live/key", "bad port"),
            ("rtmp://h/live", "expected an application"),
            ("rtmp://h/live/", "the stream key is empty"),
            ("rtmp://h//key", "the application is empty"),
            ("rtmp://[::1/live/key", "closing ]"),
        ];
        for (url, why) in cases {
            let error = RtmpUrl::parse(url).unwrap_err().to_string();
            assert!(error.contains(why), "{url}: {error}");
        }
    }
}
