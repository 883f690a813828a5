//! serde for AMF0 (feature `serde`): [`Value`] implements `Serialize` and
//! `Deserialize`, [`from_value`] decodes a value into the caller's own type,
//! [`to_value`] builds one from it, and
//! [`DataMessage::metadata_as`](crate::message::DataMessage::metadata_as) and
//! [`Connect::command_object_as`](crate::message::Connect::command_object_as)
//! read `onMetaData` and `connect` into structs.
//!
//! The mapping, both ways (AMF0 is self-describing, so serde's
//! `deserialize_any` works):
//!
//! | AMF0 | serde |
//! |---|---|
//! | Number | f64; integer fields accept integral numbers in range (up to 2^53), and reject fractional or out-of-range ones |
//! | Boolean | bool |
//! | String, LongString, XmlDocument | str |
//! | Object, EcmaArray, TypedObject | map (struct); the class name of a typed object is not part of it |
//! | StrictArray | seq |
//! | Null, Undefined, Unsupported | unit; `None` for an `Option` |
//! | Date | f64: the milliseconds since the epoch (the reserved time zone field is dropped) |
//! | Reference | none: an error, since the index means nothing without the body it points into |
//! | Amf3 (an AVM+ switch) | its AMF3 value: integers as i64, doubles and dates as f64, text as str, byte arrays as bytes, arrays and vectors as seq (an array with named entries as a map, dense entries keyed by index), objects and dictionaries as maps |
//!
//! [`to_value`] writes structs and maps as `Object`, sequences as
//! `StrictArray`, `None` and `()` as `Null`, unit enum variants as their
//! name and other variants as `{variant: content}`.
//!
//! Structs follow serde's usual rules: properties the struct does not name
//! are skipped, `Option` fields may be missing (or null), and
//! `#[serde(rename = "videocodecid")]` matches the wire name.
//!
//! ```
//! use serde::{Deserialize, Serialize};
//! use wirestate_rtmp::amf0::{self, Value};
//!
//! #[derive(Debug, PartialEq, Deserialize, Serialize)]
//! struct Status<'a> {
//!     level: &'a str,
//!     code: &'a str,
//!     #[serde(rename = "objectEncoding")]
//!     encoding: Option<u8>,
//! }
//!
//! let info = Value::Object(vec![
//!     ("level".into(), "status".into()),
//!     ("code".into(), "NetConnection.Connect.Success".into()),
//!     ("description".into(), "ok".into()),
//! ]);
//! let status: Status = amf0::from_value(&info)?;
//! assert_eq!(status.code, "NetConnection.Connect.Success");
//! assert_eq!(status.encoding, None);
//!
//! let value = amf0::to_value(&status).unwrap();
//! assert_eq!(value.get("encoding"), None);
//! assert_eq!(value.get("objectEncoding"), Some(&Value::Null));
//!
//! // A fractional number does not fit an integer field.
//! let bad = Value::Object(vec![("level".into(), "a".into()), ("code".into(), "b".into()), ("objectEncoding".into(), 0.5.into())]);
//! let err = amf0::from_value::<Status>(&bad).unwrap_err();
//! assert_eq!(err.path(), "objectEncoding");
//! # Ok::<(), amf0::DeError>(())
//! ```

mod de;
mod error;
mod message;
mod node;
mod ser;
mod value;

use ::serde::{Deserialize, Serialize};

pub use error::{DeError, SerError};

use crate::amf0::Value;

/// Decodes `value` into `T`, borrowing strings from it where `T` does.
///
/// # Errors
///
/// [`DeError`] when the value does not fit `T`: a missing required field,
/// a wrong type, a fractional or out-of-range number for an integer field,
/// or a [`Reference`](Value::Reference). Its [`path`](DeError::path) says
/// where.
pub fn from_value<'a, T: Deserialize<'a>>(value: &'a Value) -> Result<T, DeError> {
    T::deserialize(node::Node::Amf0(value))
}

/// Builds the AMF0 value of `value` (structs become objects; see the
/// [module docs](self) for the whole mapping). Encode it with
/// [`encode_value`](crate::amf0::encode_value).
///
/// # Errors
///
/// [`SerError`] when `value` has a part AMF0 cannot hold: a map key that is
/// not text or an integer, an integer beyond 2^53, or an error raised by a
/// `Serialize` impl.
pub fn to_value<T: Serialize + ?Sized>(value: &T) -> Result<Value, SerError> {
    value.serialize(ser::ValueSerializer)
}
