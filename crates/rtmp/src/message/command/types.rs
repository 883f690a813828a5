//! The bodies of the typed commands with more than a field or two:
//! [`Connect`], [`Response`] and [`Play`].

use crate::amf0::Value;

/// `connect`: the first command of a session, with the application and the
/// client's capabilities in the command object.
///
/// The command object is kept whole (key order and all); the accessors read
/// the well-known properties, including Enhanced RTMP's.
///
/// ```
/// use wirestate_rtmp::amf0::Value;
/// use wirestate_rtmp::message::Connect;
///
/// let connect = Connect::new(1.0, "live", "rtmp://example.com/live")
///     .with("fourCcList", Value::StrictArray(vec!["hvc1".into(), "av01".into()]));
/// assert_eq!(connect.app(), Some("live"));
/// assert_eq!(connect.four_cc_list(), Some(vec!["hvc1", "av01"]));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Connect {
    /// The transaction id (1 by convention).
    pub transaction_id: f64,
    /// The command object: an object (or ECMA array) of properties.
    pub command_object: Value,
    /// Optional user arguments after the command object.
    pub arguments: Vec<Value>,
}

impl Connect {
    /// A `connect` with `app` and `tcUrl`; add more properties with
    /// [`with`](Self::with).
    pub fn new(transaction_id: f64, app: &str, tc_url: &str) -> Connect {
        Connect {
            transaction_id,
            command_object: Value::Object(vec![
                ("app".into(), Value::String(app.into())),
                ("tcUrl".into(), Value::String(tc_url.into())),
            ]),
            arguments: Vec::new(),
        }
    }

    /// Adds (or appends a second) property `key` to the command object.
    pub fn with(mut self, key: &str, value: Value) -> Connect {
        match &mut self.command_object {
            Value::Object(p) | Value::EcmaArray(p) => p.push((key.into(), value)),
            other => *other = Value::Object(vec![(key.into(), value)]),
        }
        self
    }

    fn str(&self, key: &str) -> Option<&str> {
        self.command_object.get(key).and_then(Value::as_str)
    }

    /// `app`: the application name.
    pub fn app(&self) -> Option<&str> {
        self.str("app")
    }

    /// `tcUrl`: the URL the client connected to.
    pub fn tc_url(&self) -> Option<&str> {
        self.str("tcUrl")
    }

    /// `flashVer`: the client's version string.
    pub fn flash_ver(&self) -> Option<&str> {
        self.str("flashVer")
    }

    /// `swfUrl`.
    pub fn swf_url(&self) -> Option<&str> {
        self.str("swfUrl")
    }

    /// `pageUrl`.
    pub fn page_url(&self) -> Option<&str> {
        self.str("pageUrl")
    }

    /// `type` (FFmpeg and OBS send `nonprivate`).
    pub fn connection_type(&self) -> Option<&str> {
        self.str("type")
    }

    /// `objectEncoding`: 0 for AMF0, 3 for AMF3.
    pub fn object_encoding(&self) -> Option<f64> {
        self.command_object
            .get("objectEncoding")
            .and_then(Value::as_f64)
    }

    /// Enhanced RTMP `fourCcList`: the codecs the client supports (`hvc1`,
    /// `av01`, `vp09`, `Opus` ...); `None` if absent or not an array of strings.
    pub fn four_cc_list(&self) -> Option<Vec<&str>> {
        match self.command_object.get("fourCcList")? {
            Value::StrictArray(items) => items.iter().map(Value::as_str).collect(),
            _ => None,
        }
    }

    /// Enhanced RTMP `videoFourCcInfoMap`: per video FourCC (or `*`), a
    /// capability bit mask (1 decode, 2 encode, 4 forward).
    pub fn video_four_cc_info_map(&self) -> Option<&[(String, Value)]> {
        self.command_object.get("videoFourCcInfoMap")?.properties()
    }

    /// Enhanced RTMP `audioFourCcInfoMap`, like the video one.
    pub fn audio_four_cc_info_map(&self) -> Option<&[(String, Value)]> {
        self.command_object.get("audioFourCcInfoMap")?.properties()
    }

    /// Enhanced RTMP `capsEx`: extended capability bits (1 reconnect,
    /// 2 multitrack, 4 ModEx, 8 timestamp nano offset).
    pub fn caps_ex(&self) -> Option<f64> {
        self.command_object.get("capsEx").and_then(Value::as_f64)
    }
}

/// `_result` or `_error`: the answer to a command with the same transaction
/// id.
#[derive(Debug, Clone, PartialEq)]
pub struct Response {
    /// The transaction id of the command answered.
    pub transaction_id: f64,
    /// Properties (for `connect`: `fmsVer`, `capabilities`), often `Null`.
    pub command_object: Value,
    /// The information: a status object, or the new stream id for
    /// `createStream`.
    pub arguments: Vec<Value>,
}

impl Response {
    /// The first argument, the information object.
    pub fn info(&self) -> Option<&Value> {
        self.arguments.first()
    }

    /// The `code` of the information object (`NetConnection.Connect.Success`).
    pub fn code(&self) -> Option<&str> {
        self.info()?.get("code").and_then(Value::as_str)
    }

    /// The first argument as a number: the stream id a `createStream`
    /// answer carries.
    pub fn stream_id(&self) -> Option<f64> {
        self.info()?.as_f64()
    }
}

/// Start position, duration and reset flag of `play`, each optional.
#[derive(Debug, Clone, PartialEq)]
pub struct Play {
    /// The transaction id (0 by convention).
    pub transaction_id: f64,
    /// The stream name.
    pub name: String,
    /// -2 live or recorded, -1 live only, >= 0 recorded from that second.
    pub start: Option<f64>,
    /// -1 to the end, 0 a single frame, > 0 that many seconds.
    pub duration: Option<f64>,
    /// Whether to flush earlier playlists.
    pub reset: Option<bool>,
}
