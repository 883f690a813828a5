//! [`GenericCommand`]: any command as name, transaction id, command object
//! and arguments.

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
