//! The info objects of `_result`, `_error` and `onStatus`, and the commands
//! that carry them.

use crate::amf0::Value;
use crate::message::{Command, Message, Response};

/// Builds an info object: `level`, `code`, `description`, plus `extra`
/// properties.
pub(crate) fn info(
    level: &str,
    code: &str,
    description: &str,
    extra: Vec<(String, Value)>,
) -> Value {
    let mut properties = vec![
        ("level".to_owned(), Value::String(level.into())),
        ("code".to_owned(), Value::String(code.into())),
        ("description".to_owned(), Value::String(description.into())),
    ];
    properties.extend(extra);
    Value::Object(properties)
}

/// `onStatus` (transaction 0, `null`) with an info object.
pub(crate) fn on_status(
    level: &str,
    code: &str,
    description: &str,
    extra: Vec<(String, Value)>,
) -> Message {
    command(Command::OnStatus {
        transaction_id: 0.0,
        info: info(level, code, description, extra),
    })
}

/// `_result` answering `transaction_id`.
pub(crate) fn result(transaction_id: f64, command_object: Value, arguments: Vec<Value>) -> Message {
    command(Command::Result(Response {
        transaction_id,
        command_object,
        arguments,
    }))
}

/// `_error` answering `transaction_id` with an error info object.
pub(crate) fn error(transaction_id: f64, code: &str, description: &str) -> Message {
    command(Command::Error(Response {
        transaction_id,
        command_object: Value::Null,
        arguments: vec![info("error", code, description, Vec::new())],
    }))
}

/// An AMF0 command message.
pub(crate) fn command(command: Command) -> Message {
    Message::Command {
        amf3: false,
        command,
    }
}

/// A status report from the peer (`onStatus`, or the info object of a
/// `_result`/`_error`), with its well-known fields read out.
#[derive(Debug, Clone, PartialEq)]
pub struct Status {
    /// `level`: `status`, `warning` or `error`.
    pub level: String,
    /// `code`, such as `NetStream.Publish.Start`.
    pub code: String,
    /// `description`, free text.
    pub description: String,
    /// The whole info object as received.
    pub info: Value,
}

impl Status {
    /// Reads an info object; missing fields are empty strings.
    pub fn from_info(info: &Value) -> Status {
        let field = |key: &str| {
            info.get(key)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned()
        };
        Status {
            level: field("level"),
            code: field("code"),
            description: field("description"),
            info: info.clone(),
        }
    }

    /// Whether `level` is `error`.
    pub fn is_error(&self) -> bool {
        self.level == "error"
    }
}
