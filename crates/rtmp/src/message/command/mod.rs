//! Commands (message types 20 and 17): a name, a transaction id, a command
//! object and arguments, all AMF0 values (an AMF3 one is a
//! [`Value::Amf3`](crate::amf0::Value::Amf3) behind an AVM+ switch).
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

mod generic;
mod table;
mod types;

use bytes::BytesMut;

use crate::amf0::Value;

pub use generic::GenericCommand;
pub use types::{Connect, Play, Response};

use table::Kind;

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
    /// Types a generic command when its name (looked up in the one table of
    /// well-known names) and shape are known.
    pub fn from_generic(command: GenericCommand) -> Command {
        let (Some(transaction_id), Some(object)) =
            (command.transaction_id, &command.command_object)
        else {
            return Command::Other(command);
        };
        Kind::of_name(&command.name)
            .and_then(|kind| kind.decode(transaction_id, object, &command.arguments))
            .unwrap_or(Command::Other(command))
    }

    /// The command name as sent on the wire.
    pub fn name(&self) -> &str {
        match self.kind() {
            Some(kind) => kind.name(),
            None => match self {
                Command::Other(command) => &command.name,
                _ => unreachable!("every typed variant has a kind"),
            },
        }
    }

    /// The transaction id, if the command has one.
    pub fn transaction_id(&self) -> Option<f64> {
        match self {
            Command::Other(command) => command.transaction_id,
            typed => Some(typed.parts().0),
        }
    }

    /// The command as name, transaction id, object and arguments.
    pub fn to_generic(&self) -> GenericCommand {
        if let Command::Other(command) = self {
            return command.clone();
        }
        let (transaction_id, command_object, arguments) = self.parts();
        GenericCommand {
            name: self.name().to_owned(),
            transaction_id: Some(transaction_id),
            command_object: Some(command_object),
            arguments,
        }
    }

    /// Appends the AMF0 values of this command to `out`.
    pub fn encode(&self, out: &mut BytesMut) {
        self.to_generic().encode(out)
    }
}
