//! `rtmp[s]://HOST[:PORT]/APP/KEY`: the driver's [`RtmpUrl`], with errors
//! as the user reads them. The parser and its table tests live in
//! `wirestate_tokio::connect`.

pub use wirestate_tokio::connect::RtmpUrl;

/// Parses `url` (see [`RtmpUrl::parse`]).
///
/// # Errors
///
/// A message naming what is wrong with the URL.
pub fn parse(url: &str) -> Result<RtmpUrl, String> {
    RtmpUrl::parse(url).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    #[test]
    fn errors_name_the_url_and_the_reason() {
        let error = super::parse("rtmpe://h/live/k").unwrap_err();
        assert_eq!(
            error,
            "invalid URL \"rtmpe://h/live/k\": rtmpe:// is not supported, only rtmp:// and rtmps://"
        );
        assert!(super::parse("rtmps://h/live/k").unwrap().secure);
    }
}
