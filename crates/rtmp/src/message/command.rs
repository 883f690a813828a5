//! Commands (message types 20 and 17): a name, a transaction id, a command
//! object and arguments, all AMF0.
//!
//! ```text
//! "publish"  2.0  null  "stream-key"  "live"
//!  name      tx   obj   arguments...
//! ```
//!
//! [`Command`] gives the well-known commands typed fields. A command whose
//! values do not have the expected shape (a missing transaction id, an extra
//! argument, a long string where a string is expected) stays a
//! [`GenericCommand`], so decoding never loses anything and every command
//! re-encodes to the values it was decoded from.

use bytes::BytesMut;

use crate::amf0::{encode_value, Value};

/// Any command: name, transaction id, command object and arguments as sent.
///
/// A command without a transaction id (`onFCPublish` from `ffmpeg -listen`
/// is just a name) has `transaction_id` and `command_object` `None` and keeps
/// all its values after the name in `arguments`.
#[derive(Debug, Clone, PartialEq)]
pub struct GenericCommand {
    /// The command name (`connect`, `_result`, `onStatus` ...).
    pub name: String,
    /// The transaction id; `None` when the second value is not a number.
    pub transaction_id: Option<f64>,
    /// The command object (usually `Null`); `None` when absent.
    pub command_object: Option<Value>,
    /// The remaining values.
    pub arguments: Vec<Value>,
}

impl GenericCommand {
    /// Splits decoded values into a command; `None` unless the first value is
    /// a string (the name).
    pub fn from_values(values: Vec<Value>) -> Option<GenericCommand> {
        let mut values = values.into_iter();
        let name = match values.next()? {
            Value::String(name) | Value::LongString(name) => name,
            _ => return None,
        };
        let mut rest: Vec<Value> = values.collect();
        if !matches!(rest.first(), Some(Value::Number(_))) {
            return Some(GenericCommand {
                name,
                transaction_id: None,
                command_object: None,
                arguments: rest,
            });
        }
        let mut rest_iter = rest.drain(..);
        let transaction_id = rest_iter.next().and_then(|v| v.as_f64());
        let command_object = rest_iter.next();
        let arguments = rest_iter.collect();
        Some(GenericCommand {
            name,
            transaction_id,
            command_object,
            arguments,
        })
    }

    /// Appends the AMF0 values of this command to `out`.
    pub fn encode(&self, out: &mut BytesMut) {
        encode_value(&Value::String(self.name.clone()), out);
        if let Some(tx) = self.transaction_id {
            encode_value(&Value::Number(tx), out);
        }
        if let Some(object) = &self.command_object {
            encode_value(object, out);
        }
        for argument in &self.arguments {
            encode_value(argument, out);
        }
    }
}

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

/// A command, typed when it is a well-known one with the expected shape.
///
/// Every variant but [`Connect`](Command::Connect), [`Result`](Command::Result),
/// [`Error`](Command::Error) and [`CreateStream`](Command::CreateStream)
/// has a `null` command object on the wire.
///
/// ```
/// use wirestate_rtmp::amf0::Value;
/// use wirestate_rtmp::message::{Command, GenericCommand};
///
/// let values = vec!["publish".into(), Value::Number(5.0), Value::Null, "key".into(), "live".into()];
/// let command = Command::from_generic(GenericCommand::from_values(values).unwrap());
/// assert_eq!(command, Command::Publish { transaction_id: 5.0, name: "key".into(), kind: Some("live".into()) });
/// ```
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// `connect`.
    Connect(Connect),
    /// `_result`.
    Result(Response),
    /// `_error`.
    Error(Response),
    /// `onStatus` (transaction id 0, `null`, an info object with `level`,
    /// `code`, `description`).
    OnStatus {
        /// The transaction id (0).
        transaction_id: f64,
        /// The info object.
        info: Value,
    },
    /// `createStream`.
    CreateStream {
        /// The transaction id.
        transaction_id: f64,
        /// The command object (`null`).
        command_object: Value,
    },
    /// `publish` name, then optionally the type (`live`, `record`, `append`).
    Publish {
        /// The transaction id.
        transaction_id: f64,
        /// The stream name (the stream key).
        name: String,
        /// The publishing type.
        kind: Option<String>,
    },
    /// `play`.
    Play(Play),
    /// `deleteStream` stream-id.
    DeleteStream {
        /// The transaction id.
        transaction_id: f64,
        /// The message stream to delete.
        stream_id: f64,
    },
    /// `closeStream`.
    CloseStream {
        /// The transaction id.
        transaction_id: f64,
    },
    /// `releaseStream` name.
    ReleaseStream {
        /// The transaction id.
        transaction_id: f64,
        /// The stream name.
        name: String,
    },
    /// `FCPublish` name.
    FcPublish {
        /// The transaction id.
        transaction_id: f64,
        /// The stream name.
        name: String,
    },
    /// `FCUnpublish` name.
    FcUnpublish {
        /// The transaction id.
        transaction_id: f64,
        /// The stream name.
        name: String,
    },
    /// `FCSubscribe` name.
    FcSubscribe {
        /// The transaction id.
        transaction_id: f64,
        /// The stream name.
        name: String,
    },
    /// `getStreamLength` name.
    GetStreamLength {
        /// The transaction id.
        transaction_id: f64,
        /// The stream name.
        name: String,
    },
    /// `onBWDone` followed by optional arguments.
    OnBwDone {
        /// The transaction id.
        transaction_id: f64,
        /// Whatever follows (FFmpeg's server sends the bandwidth, 8192).
        arguments: Vec<Value>,
    },
    /// `_checkbw`.
    CheckBw {
        /// The transaction id.
        transaction_id: f64,
    },
    /// `pause` flag milliseconds.
    Pause {
        /// The transaction id.
        transaction_id: f64,
        /// `true` to pause, `false` to resume.
        pause: bool,
        /// Where the stream is paused or resumed, in milliseconds.
        position: f64,
    },
    /// `seek` milliseconds.
    Seek {
        /// The transaction id.
        transaction_id: f64,
        /// The position in milliseconds.
        position: f64,
    },
    /// `receiveAudio` flag.
    ReceiveAudio {
        /// The transaction id.
        transaction_id: f64,
        /// Whether to send audio.
        enable: bool,
    },
    /// `receiveVideo` flag.
    ReceiveVideo {
        /// The transaction id.
        transaction_id: f64,
        /// Whether to send video.
        enable: bool,
    },
    /// Anything else, or a known name with another shape.
    Other(GenericCommand),
}

impl Command {
    /// Types a generic command when its name and shape are known.
    pub fn from_generic(command: GenericCommand) -> Command {
        let (Some(transaction_id), Some(object)) =
            (command.transaction_id, &command.command_object)
        else {
            return Command::Other(command);
        };
        let null = *object == Value::Null;
        let args = command.arguments.as_slice();
        let name_arg = |make: fn(f64, String) -> Command| match args {
            [Value::String(name)] if null => Some(make(transaction_id, name.clone())),
            _ => None,
        };
        let typed = match command.name.as_str() {
            "connect" if object.properties().is_some() => Some(Command::Connect(Connect {
                transaction_id,
                command_object: object.clone(),
                arguments: command.arguments.clone(),
            })),
            "_result" | "_error" => {
                let response = Response {
                    transaction_id,
                    command_object: object.clone(),
                    arguments: command.arguments.clone(),
                };
                Some(if command.name == "_result" {
                    Command::Result(response)
                } else {
                    Command::Error(response)
                })
            }
            "onStatus" => match args {
                [info] if null => Some(Command::OnStatus {
                    transaction_id,
                    info: info.clone(),
                }),
                _ => None,
            },
            "createStream" if args.is_empty() => Some(Command::CreateStream {
                transaction_id,
                command_object: object.clone(),
            }),
            "publish" => match args {
                [Value::String(name)] if null => Some(Command::Publish {
                    transaction_id,
                    name: name.clone(),
                    kind: None,
                }),
                [Value::String(name), Value::String(kind)] if null => Some(Command::Publish {
                    transaction_id,
                    name: name.clone(),
                    kind: Some(kind.clone()),
                }),
                _ => None,
            },
            "play" => match args {
                [Value::String(name), rest @ ..] if null => play(transaction_id, name, rest),
                _ => None,
            },
            "deleteStream" => match args {
                [Value::Number(stream_id)] if null => Some(Command::DeleteStream {
                    transaction_id,
                    stream_id: *stream_id,
                }),
                _ => None,
            },
            "closeStream" if null && args.is_empty() => {
                Some(Command::CloseStream { transaction_id })
            }
            "releaseStream" => name_arg(|transaction_id, name| Command::ReleaseStream {
                transaction_id,
                name,
            }),
            "FCPublish" => name_arg(|transaction_id, name| Command::FcPublish {
                transaction_id,
                name,
            }),
            "FCUnpublish" => name_arg(|transaction_id, name| Command::FcUnpublish {
                transaction_id,
                name,
            }),
            "FCSubscribe" => name_arg(|transaction_id, name| Command::FcSubscribe {
                transaction_id,
                name,
            }),
            "getStreamLength" => name_arg(|transaction_id, name| Command::GetStreamLength {
                transaction_id,
                name,
            }),
            "onBWDone" if null => Some(Command::OnBwDone {
                transaction_id,
                arguments: command.arguments.clone(),
            }),
            "_checkbw" if null && args.is_empty() => Some(Command::CheckBw { transaction_id }),
            "pause" => match args {
                [Value::Boolean(pause), Value::Number(position)] if null => Some(Command::Pause {
                    transaction_id,
                    pause: *pause,
                    position: *position,
                }),
                _ => None,
            },
            "seek" => match args {
                [Value::Number(position)] if null => Some(Command::Seek {
                    transaction_id,
                    position: *position,
                }),
                _ => None,
            },
            "receiveAudio" | "receiveVideo" => match args {
                [Value::Boolean(enable)] if null => Some(if command.name == "receiveAudio" {
                    Command::ReceiveAudio {
                        transaction_id,
                        enable: *enable,
                    }
                } else {
                    Command::ReceiveVideo {
                        transaction_id,
                        enable: *enable,
                    }
                }),
                _ => None,
            },
            _ => None,
        };
        typed.unwrap_or(Command::Other(command))
    }

    /// The command name as sent on the wire.
    pub fn name(&self) -> &str {
        match self {
            Command::Connect(_) => "connect",
            Command::Result(_) => "_result",
            Command::Error(_) => "_error",
            Command::OnStatus { .. } => "onStatus",
            Command::CreateStream { .. } => "createStream",
            Command::Publish { .. } => "publish",
            Command::Play(_) => "play",
            Command::DeleteStream { .. } => "deleteStream",
            Command::CloseStream { .. } => "closeStream",
            Command::ReleaseStream { .. } => "releaseStream",
            Command::FcPublish { .. } => "FCPublish",
            Command::FcUnpublish { .. } => "FCUnpublish",
            Command::FcSubscribe { .. } => "FCSubscribe",
            Command::GetStreamLength { .. } => "getStreamLength",
            Command::OnBwDone { .. } => "onBWDone",
            Command::CheckBw { .. } => "_checkbw",
            Command::Pause { .. } => "pause",
            Command::Seek { .. } => "seek",
            Command::ReceiveAudio { .. } => "receiveAudio",
            Command::ReceiveVideo { .. } => "receiveVideo",
            Command::Other(command) => &command.name,
        }
    }

    /// The transaction id, if the command has one.
    pub fn transaction_id(&self) -> Option<f64> {
        self.to_generic().transaction_id
    }

    /// The command as name, transaction id, object and arguments.
    pub fn to_generic(&self) -> GenericCommand {
        let generic = |tx: f64, object: Value, arguments: Vec<Value>| GenericCommand {
            name: self.name().to_owned(),
            transaction_id: Some(tx),
            command_object: Some(object),
            arguments,
        };
        let null = |tx: f64, arguments: Vec<Value>| generic(tx, Value::Null, arguments);
        match self {
            Command::Connect(c) => generic(
                c.transaction_id,
                c.command_object.clone(),
                c.arguments.clone(),
            ),
            Command::Result(r) | Command::Error(r) => generic(
                r.transaction_id,
                r.command_object.clone(),
                r.arguments.clone(),
            ),
            Command::OnStatus {
                transaction_id,
                info,
            } => null(*transaction_id, vec![info.clone()]),
            Command::CreateStream {
                transaction_id,
                command_object,
            } => generic(*transaction_id, command_object.clone(), Vec::new()),
            Command::Publish {
                transaction_id,
                name,
                kind,
            } => {
                let mut args = vec![Value::String(name.clone())];
                args.extend(kind.iter().map(|k| Value::String(k.clone())));
                null(*transaction_id, args)
            }
            Command::Play(p) => {
                let mut args = vec![Value::String(p.name.clone())];
                args.extend(p.start.map(Value::Number));
                args.extend(p.duration.map(Value::Number));
                args.extend(p.reset.map(Value::Boolean));
                null(p.transaction_id, args)
            }
            Command::DeleteStream {
                transaction_id,
                stream_id,
            } => null(*transaction_id, vec![Value::Number(*stream_id)]),
            Command::CloseStream { transaction_id } | Command::CheckBw { transaction_id } => {
                null(*transaction_id, Vec::new())
            }
            Command::ReleaseStream {
                transaction_id,
                name,
            }
            | Command::FcPublish {
                transaction_id,
                name,
            }
            | Command::FcUnpublish {
                transaction_id,
                name,
            }
            | Command::FcSubscribe {
                transaction_id,
                name,
            }
            | Command::GetStreamLength {
                transaction_id,
                name,
            } => null(*transaction_id, vec![Value::String(name.clone())]),
            Command::OnBwDone {
                transaction_id,
                arguments,
            } => null(*transaction_id, arguments.clone()),
            Command::Pause {
                transaction_id,
                pause,
                position,
            } => null(
                *transaction_id,
                vec![Value::Boolean(*pause), Value::Number(*position)],
            ),
            Command::Seek {
                transaction_id,
                position,
            } => null(*transaction_id, vec![Value::Number(*position)]),
            Command::ReceiveAudio {
                transaction_id,
                enable,
            }
            | Command::ReceiveVideo {
                transaction_id,
                enable,
            } => null(*transaction_id, vec![Value::Boolean(*enable)]),
            Command::Other(command) => command.clone(),
        }
    }

    /// Appends the AMF0 values of this command to `out`.
    pub fn encode(&self, out: &mut BytesMut) {
        self.to_generic().encode(out)
    }
}

/// Types `play`'s optional start, duration and reset; `None` on another shape.
fn play(transaction_id: f64, name: &str, rest: &[Value]) -> Option<Command> {
    let (start, duration, reset) = match rest {
        [] => (None, None, None),
        [Value::Number(s)] => (Some(*s), None, None),
        [Value::Number(s), Value::Number(d)] => (Some(*s), Some(*d), None),
        [Value::Number(s), Value::Number(d), Value::Boolean(r)] => (Some(*s), Some(*d), Some(*r)),
        _ => return None,
    };
    Some(Command::Play(Play {
        transaction_id,
        name: name.to_owned(),
        start,
        duration,
        reset,
    }))
}
