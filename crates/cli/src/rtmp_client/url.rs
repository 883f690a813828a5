//! `rtmp://HOST[:PORT]/APP/KEY`: where to connect, the `app` and `tcUrl` of
//! `connect`, and the stream key.

/// The default RTMP port.
pub const DEFAULT_PORT: u16 = 1935;

/// A parsed `rtmp://` URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RtmpUrl {
    /// The host name or address (an IPv6 address without its brackets).
    pub host: String,
    /// The port (1935 when the URL has none).
    pub port: u16,
    /// The application: the path between the host and the last `/`.
    pub app: String,
    /// The stream key: the last path segment, with the query if any.
    pub key: String,
}

impl RtmpUrl {
    /// Parses `rtmp://HOST[:PORT]/APP/KEY`; `APP` may have several
    /// segments (`live/sub`), the key is the last one.
    ///
    /// # Errors
    ///
    /// A message naming what is wrong: another scheme (`rtmps://` is
    /// refused by name), no host, a bad port, no application or no key.
    pub fn parse(url: &str) -> Result<RtmpUrl, String> {
        let bad = |why: &str| format!("invalid URL {url:?}: {why}");
        let Some((scheme, rest)) = url.split_once("://") else {
            return Err(bad("expected rtmp://HOST[:PORT]/APP/KEY"));
        };
        match scheme.to_ascii_lowercase().as_str() {
            "rtmp" => {}
            "rtmps" | "rtmpt" | "rtmpe" | "rtmpte" | "rtmpts" => {
                return Err(bad(&format!("{scheme}:// is not supported, only rtmp://")))
            }
            _ => return Err(bad("the scheme must be rtmp://")),
        }
        let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        let (host, port) = split_authority(authority).map_err(|why| bad(&why))?;
        let path = path.strip_prefix('/').unwrap_or(path);
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
            host,
            port,
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

    /// The `tcUrl` of `connect`: `rtmp://HOST:PORT/APP`.
    pub fn tc_url(&self) -> String {
        format!("rtmp://{}/{}", self.authority(), self.app)
    }
}

/// `host`, `host:port`, `[v6]` or `[v6]:port`.
fn split_authority(authority: &str) -> Result<(String, u16), String> {
    let (host, port) = if let Some(rest) = authority.strip_prefix('[') {
        let (host, after) = rest
            .split_once(']')
            .ok_or("an IPv6 address without its closing ]")?;
        match after {
            "" => (host, None),
            _ => (
                host,
                Some(after.strip_prefix(':').ok_or("garbage after ]")?),
            ),
        }
    } else {
        match authority.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    if host.is_empty() {
        return Err("no host".into());
    }
    let port = match port {
        None => DEFAULT_PORT,
        Some(port) => match port.parse::<u16>() {
            Ok(port) if port > 0 => port,
            _ => return Err(format!("bad port {port:?}")),
        },
    };
    Ok((host.to_owned(), port))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Host, port, application and key.
    type Parts<'a> = (&'a str, u16, &'a str, &'a str);

    fn parsed(url: &str) -> (String, u16, String, String) {
        let u = RtmpUrl::parse(url).unwrap();
        (u.host, u.port, u.app, u.key)
    }

    #[test]
    fn urls() {
        let cases: &[(&str, Parts)] = &[
            ("rtmp://h/live/key", ("h", 1935, "live", "key")),
            (
                "rtmp://127.0.0.1:1936/live/key",
                ("127.0.0.1", 1936, "live", "key"),
            ),
            ("RTMP://h/a/b/key?t=1", ("h", 1935, "a/b", "key?t=1")),
            ("rtmp://[::1]:2000/live/k", ("::1", 2000, "live", "k")),
            ("rtmp://[::1]/live/k", ("::1", 1935, "live", "k")),
        ];
        for (url, (host, port, app, key)) in cases {
            let want = (host.to_string(), *port, app.to_string(), key.to_string());
            assert_eq!(parsed(url), want, "{url}");
        }
        let url = RtmpUrl::parse("rtmp://[::1]/live/k").unwrap();
        assert_eq!(url.tc_url(), "rtmp://[::1]:1935/live");
    }

    #[test]
    fn bad_urls() {
        let cases = [
            ("rtmps://h/live/key", "rtmps:// is not supported"),
            ("http://h/live/key", "the scheme must be rtmp://"),
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
            let error = RtmpUrl::parse(url).unwrap_err();
            assert!(error.contains(why), "{url}: {error}");
        }
    }
}
