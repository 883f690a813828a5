//! The well-known commands, written once: [`NAMES`] ties each wire name to
//! its [`Kind`]; [`Kind::decode`] types a command's values, and
//! [`Command::parts`] writes them back. [`Command::from_generic`],
//! [`Command::name`] and [`Command::to_generic`] all go through here.

use crate::amf0::Value;

use super::{Command, Connect, Play, Response};

/// Which well-known command a typed [`Command`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Connect,
    Result,
    Error,
    OnStatus,
    CreateStream,
    Publish,
    Play,
    DeleteStream,
    CloseStream,
    ReleaseStream,
    FcPublish,
    FcUnpublish,
    FcSubscribe,
    GetStreamLength,
    OnBwDone,
    CheckBw,
    Pause,
    Seek,
    ReceiveAudio,
    ReceiveVideo,
}

/// Every well-known command name and its kind: the one name table.
const NAMES: &[(&str, Kind)] = &[
    ("connect", Kind::Connect),
    ("_result", Kind::Result),
    ("_error", Kind::Error),
    ("onStatus", Kind::OnStatus),
    ("createStream", Kind::CreateStream),
    ("publish", Kind::Publish),
    ("play", Kind::Play),
    ("deleteStream", Kind::DeleteStream),
    ("closeStream", Kind::CloseStream),
    ("releaseStream", Kind::ReleaseStream),
    ("FCPublish", Kind::FcPublish),
    ("FCUnpublish", Kind::FcUnpublish),
    ("FCSubscribe", Kind::FcSubscribe),
    ("getStreamLength", Kind::GetStreamLength),
    ("onBWDone", Kind::OnBwDone),
    ("_checkbw", Kind::CheckBw),
    ("pause", Kind::Pause),
    ("seek", Kind::Seek),
    ("receiveAudio", Kind::ReceiveAudio),
    ("receiveVideo", Kind::ReceiveVideo),
];

impl Kind {
    /// The kind named `name` on the wire, if it is a well-known one.
    pub(super) fn of_name(name: &str) -> Option<Kind> {
        NAMES
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, kind)| *kind)
    }

    /// The wire name.
    pub(super) fn name(self) -> &'static str {
        NAMES
            .iter()
            .find(|(_, kind)| *kind == self)
            .map(|(name, _)| *name)
            .expect("NAMES lists every kind")
    }

    /// Types the values of a command of this kind; `None` when they do not
    /// have the expected shape (the command then stays generic).
    pub(super) fn decode(
        self,
        transaction_id: f64,
        object: &Value,
        args: &[Value],
    ) -> Option<Command> {
        let tx = transaction_id;
        let null = *object == Value::Null;
        let response = || Response {
            transaction_id: tx,
            command_object: object.clone(),
            arguments: args.to_vec(),
        };
        // The commands whose command object may be something else.
        match self {
            Kind::Connect => {
                return object.properties().map(|_| {
                    Command::Connect(Connect {
                        transaction_id: tx,
                        command_object: object.clone(),
                        arguments: args.to_vec(),
                    })
                })
            }
            Kind::Result => return Some(Command::Result(response())),
            Kind::Error => return Some(Command::Error(response())),
            Kind::CreateStream => {
                return args.is_empty().then(|| Command::CreateStream {
                    transaction_id: tx,
                    command_object: object.clone(),
                })
            }
            _ if !null => return None,
            _ => {}
        }
        self.decode_null_object(tx, args)
    }

    /// [`decode`](Self::decode) for the commands with a `null` command
    /// object.
    fn decode_null_object(self, transaction_id: f64, args: &[Value]) -> Option<Command> {
        use Value::{Boolean as B, Number as N, String as S};
        let tx = transaction_id;
        let name = |name: &String| name.clone();
        Some(match (self, args) {
            (Kind::OnStatus, [info]) => Command::OnStatus {
                transaction_id: tx,
                info: info.clone(),
            },
            (Kind::Publish, [S(n)]) => Command::Publish {
                transaction_id: tx,
                name: name(n),
                kind: None,
            },
            (Kind::Publish, [S(n), S(kind)]) => Command::Publish {
                transaction_id: tx,
                name: name(n),
                kind: Some(kind.clone()),
            },
            (Kind::Play, [S(n), rest @ ..]) => return play(tx, n, rest),
            (Kind::DeleteStream, [N(stream_id)]) => Command::DeleteStream {
                transaction_id: tx,
                stream_id: *stream_id,
            },
            (Kind::CloseStream, []) => Command::CloseStream { transaction_id: tx },
            (Kind::ReleaseStream, [S(n)]) => Command::ReleaseStream {
                transaction_id: tx,
                name: name(n),
            },
            (Kind::FcPublish, [S(n)]) => Command::FcPublish {
                transaction_id: tx,
                name: name(n),
            },
            (Kind::FcUnpublish, [S(n)]) => Command::FcUnpublish {
                transaction_id: tx,
                name: name(n),
            },
            (Kind::FcSubscribe, [S(n)]) => Command::FcSubscribe {
                transaction_id: tx,
                name: name(n),
            },
            (Kind::GetStreamLength, [S(n)]) => Command::GetStreamLength {
                transaction_id: tx,
                name: name(n),
            },
            (Kind::OnBwDone, arguments) => Command::OnBwDone {
                transaction_id: tx,
                arguments: arguments.to_vec(),
            },
            (Kind::CheckBw, []) => Command::CheckBw { transaction_id: tx },
            (Kind::Pause, [B(pause), N(position)]) => Command::Pause {
                transaction_id: tx,
                pause: *pause,
                position: *position,
            },
            (Kind::Seek, [N(position)]) => Command::Seek {
                transaction_id: tx,
                position: *position,
            },
            (Kind::ReceiveAudio, [B(enable)]) => Command::ReceiveAudio {
                transaction_id: tx,
                enable: *enable,
            },
            (Kind::ReceiveVideo, [B(enable)]) => Command::ReceiveVideo {
                transaction_id: tx,
                enable: *enable,
            },
            _ => return None,
        })
    }
}

impl Command {
    /// The kind of a typed command; `None` for [`Command::Other`].
    pub(super) fn kind(&self) -> Option<Kind> {
        Some(match self {
            Command::Connect(_) => Kind::Connect,
            Command::Result(_) => Kind::Result,
            Command::Error(_) => Kind::Error,
            Command::OnStatus { .. } => Kind::OnStatus,
            Command::CreateStream { .. } => Kind::CreateStream,
            Command::Publish { .. } => Kind::Publish,
            Command::Play(_) => Kind::Play,
            Command::DeleteStream { .. } => Kind::DeleteStream,
            Command::CloseStream { .. } => Kind::CloseStream,
            Command::ReleaseStream { .. } => Kind::ReleaseStream,
            Command::FcPublish { .. } => Kind::FcPublish,
            Command::FcUnpublish { .. } => Kind::FcUnpublish,
            Command::FcSubscribe { .. } => Kind::FcSubscribe,
            Command::GetStreamLength { .. } => Kind::GetStreamLength,
            Command::OnBwDone { .. } => Kind::OnBwDone,
            Command::CheckBw { .. } => Kind::CheckBw,
            Command::Pause { .. } => Kind::Pause,
            Command::Seek { .. } => Kind::Seek,
            Command::ReceiveAudio { .. } => Kind::ReceiveAudio,
            Command::ReceiveVideo { .. } => Kind::ReceiveVideo,
            Command::Other(_) => return None,
        })
    }

    /// A typed command's transaction id, command object and arguments, as
    /// [`Kind::decode`] reads them (`Other` gives its own, or 0 and null).
    ///
    /// Over 80 lines only because rustfmt spreads the patterns: it is one
    /// short arm per variant, the mirror of `decode`, kept in one place.
    pub(super) fn parts(&self) -> (f64, Value, Vec<Value>) {
        use Value::{Boolean as B, Number as N, String as S};
        let null = |tx: f64, arguments: Vec<Value>| (tx, Value::Null, arguments);
        match self {
            Command::Connect(c) => (
                c.transaction_id,
                c.command_object.clone(),
                c.arguments.clone(),
            ),
            Command::Result(r) | Command::Error(r) => (
                r.transaction_id,
                r.command_object.clone(),
                r.arguments.clone(),
            ),
            Command::CreateStream {
                transaction_id,
                command_object,
            } => (*transaction_id, command_object.clone(), Vec::new()),
            Command::OnStatus {
                transaction_id,
                info,
            } => null(*transaction_id, vec![info.clone()]),
            Command::Publish {
                transaction_id,
                name,
                kind,
            } => {
                let mut args = vec![S(name.clone())];
                args.extend(kind.iter().map(|k| S(k.clone())));
                null(*transaction_id, args)
            }
            Command::Play(p) => {
                let mut args = vec![S(p.name.clone())];
                args.extend(p.start.map(N));
                args.extend(p.duration.map(N));
                args.extend(p.reset.map(B));
                null(p.transaction_id, args)
            }
            Command::DeleteStream {
                transaction_id,
                stream_id,
            } => null(*transaction_id, vec![N(*stream_id)]),
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
            } => null(*transaction_id, vec![S(name.clone())]),
            Command::OnBwDone {
                transaction_id,
                arguments,
            } => null(*transaction_id, arguments.clone()),
            Command::Pause {
                transaction_id,
                pause,
                position,
            } => null(*transaction_id, vec![B(*pause), N(*position)]),
            Command::Seek {
                transaction_id,
                position,
            } => null(*transaction_id, vec![N(*position)]),
            Command::ReceiveAudio {
                transaction_id,
                enable,
            }
            | Command::ReceiveVideo {
                transaction_id,
                enable,
            } => null(*transaction_id, vec![B(*enable)]),
            Command::Other(c) => (
                c.transaction_id.unwrap_or_default(),
                c.command_object.clone().unwrap_or(Value::Null),
                c.arguments.clone(),
            ),
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_one_name_and_round_trips() {
        for (name, kind) in NAMES {
            assert_eq!(Kind::of_name(name), Some(*kind));
            assert_eq!(kind.name(), *name);
        }
        let mut kinds: Vec<_> = NAMES.iter().map(|(_, k)| format!("{k:?}")).collect();
        kinds.dedup();
        assert_eq!(kinds.len(), NAMES.len());
        assert_eq!(Kind::of_name("nosuch"), None);
    }
}
