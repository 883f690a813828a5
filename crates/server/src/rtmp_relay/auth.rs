//! Who may use the relay: the application a client connects to
//! ([`RelayConfig::app`]) and the tokens publishers and players present
//! ([`RelayConfig::publish_token`], [`RelayConfig::play_token`]).
//!
//! A token travels the way nginx-rtmp's `on_publish` and SRS users pass it:
//! as a `token` query parameter of the stream name (`key?token=x`, how
//! FFmpeg sends `rtmp://host/app/key?token=x`) or of the application in
//! `connect` (`app?token=x`, or the tcUrl `rtmp://host/app?token=x`). The
//! stream's routing key and application are the names without their
//! query.
//!
//! Refusals, with what FFmpeg prints (`Server error: <description>`) in
//! mind:
//!
//! - another application: `_error` `NetConnection.Connect.Rejected`;
//! - a publish without the right token: onStatus error
//!   `NetStream.Publish.BadName` (the code Flash-era servers and
//!   nginx-rtmp use to refuse a publish);
//! - a play without the right token: onStatus error
//!   `NetStream.Play.Failed`;
//!
//! then the connection is closed once the answer is written.

use wirestate_rtmp::session::ConnectRequest;

use super::RelayConfig;
use crate::auth::{split_token, AccessToken};

/// The description of a refusal for a missing or wrong token.
pub(super) const UNAUTHORIZED: &str = "unauthorized: a valid ?token= is required";

/// What a connection presented at `connect`.
#[derive(Debug, Default)]
pub(super) struct Credentials {
    /// The token of the application name or of the tcUrl (boxed: it lives
    /// in every connection's task, which is kept small).
    connect_token: Option<Box<str>>,
}

impl Credentials {
    /// The application `connect` asks for (without its query), and what it
    /// presents; `None` when the relay serves another application only.
    pub(super) fn connect(
        config: &RelayConfig,
        connect: &ConnectRequest,
    ) -> Option<(String, Credentials)> {
        let (app, app_token) = split_token(&connect.app);
        if config.app.as_deref().is_some_and(|only| only != app) {
            return None;
        }
        let tc_token = connect.tc_url.as_deref().and_then(|url| split_token(url).1);
        let credentials = Credentials {
            connect_token: app_token.or(tc_token).map(String::into_boxed_str),
        };
        Some((app.to_owned(), credentials))
    }

    /// Whether `name` (a stream name, maybe with a `?token=`) with what
    /// `connect` presented satisfies `required`.
    pub(super) fn allows(&self, required: Option<&AccessToken>, name: &str) -> bool {
        let Some(required) = required else {
            return true;
        };
        let name_token = split_token(name).1;
        let matches = |token: Option<&str>| token.is_some_and(|t| required.matches(t));
        matches(name_token.as_deref()) || matches(self.connect_token.as_deref())
    }
}

/// The routing key of a stream: its application and name without their
/// queries.
pub(super) fn stream_key(app: &str, name: &str) -> (String, String) {
    (
        split_token(app).0.to_owned(),
        split_token(name).0.to_owned(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use wirestate_rtmp::message::Connect;
    use wirestate_rtmp::session::RequestId;

    fn connect(app: &str, tc_url: Option<&str>) -> ConnectRequest {
        ConnectRequest {
            request: RequestId(1),
            app: app.to_owned(),
            tc_url: tc_url.map(str::to_owned),
            flash_ver: None,
            object_encoding: None,
            four_cc_list: None,
            video_four_cc_info_map: None,
            audio_four_cc_info_map: None,
            caps_ex: None,
            command: Connect::new(1.0, app, tc_url.unwrap_or_default()),
        }
    }

    fn config(app: Option<&str>) -> RelayConfig {
        RelayConfig {
            app: app.map(str::to_owned),
            ..RelayConfig::default()
        }
    }

    #[test]
    fn any_application_or_only_the_configured_one() {
        let any = config(None);
        let (app, _) = Credentials::connect(&any, &connect("live?token=x", None)).unwrap();
        assert_eq!(app, "live");
        let only = config(Some("live"));
        assert!(Credentials::connect(&only, &connect("live", None)).is_some());
        assert!(Credentials::connect(&only, &connect("live?token=x", None)).is_some());
        assert!(Credentials::connect(&only, &connect("other", None)).is_none());
        assert!(Credentials::connect(&only, &connect("", None)).is_none());
    }

    #[test]
    fn the_token_comes_from_the_name_the_app_or_the_tc_url() {
        let token = AccessToken::new("s3cret");
        let required = Some(&token);
        let cases: [(&str, Option<&str>, &str, bool); 8] = [
            ("live", None, "key?token=s3cret", true),
            ("live", None, "key?a=1&token=s3cret", true),
            ("live?token=s3cret", None, "key", true),
            ("live", Some("rtmp://h/live?token=s3cret"), "key", true),
            ("live", None, "key", false),
            ("live", None, "key?token=wrong", false),
            (
                "live",
                Some("rtmp://h/live?token=wrong"),
                "key?token=",
                false,
            ),
            ("live", Some("rtmp://h/live"), "key?token=s3cre", false),
        ];
        for (app, tc_url, name, allowed) in cases {
            let (_, credentials) = Credentials::connect(&config(None), &connect(app, tc_url))
                .expect("any app is served");
            assert_eq!(
                credentials.allows(required, name),
                allowed,
                "{app} {tc_url:?} {name}"
            );
            assert!(credentials.allows(None, name));
        }
    }

    #[test]
    fn the_routing_key_has_no_query() {
        assert_eq!(
            stream_key("live?token=a", "cam?token=b&x=1"),
            ("live".to_owned(), "cam".to_owned())
        );
        assert_eq!(
            stream_key("live", "cam"),
            ("live".to_owned(), "cam".to_owned())
        );
    }
}
