//! AMF0, the value format of RTMP command (type 20) and data (type 18)
//! messages.
//!
//! Every value starts with a one-byte marker; multi-byte numbers are
//! big-endian. The chunk layer hands over complete message bodies, so the
//! decoder works on a whole `&[u8]` and never waits for more input.
//!
//! ```text
//!  0x02 len:u16 utf8...                       String
//!  0x00 f64                                   Number
//!  0x03 (len:u16 key value)* 0x00 0x00 0x09   Object, ended by an empty key + object-end marker
//!  0x08 count:u32 (key value)* 0x00 0x00 0x09 ECMA array (the count is a hint only)
//!  0x0A count:u32 value*                      Strict array
//!  0x11 amf3-value                            AVM+ switch: one AMF3 value, see [`crate::amf3`]
//! ```
//!
//! ```
//! use bytes::BytesMut;
//! use wirestate_rtmp::amf0::{decode_all, encode_value, Amf0Limits, Value};
//!
//! // `connect`, transaction 1, {app: "live"}: the start of every RTMP session.
//! let body = b"\x02\x00\x07connect\x00\x3f\xf0\0\0\0\0\0\0\x03\x00\x03app\x02\x00\x04live\x00\x00\x09";
//! let values = decode_all(body, &Amf0Limits::default())?;
//! assert_eq!(values[0].as_str(), Some("connect"));
//! assert_eq!(values[1].as_f64(), Some(1.0));
//! assert_eq!(values[2].get("app").and_then(Value::as_str), Some("live"));
//!
//! // Re-encoding gives back the same bytes.
//! let mut out = BytesMut::new();
//! for value in &values {
//!     encode_value(value, &mut out);
//! }
//! assert_eq!(&out[..], &body[..]);
//! # Ok::<(), wirestate_rtmp::amf0::Amf0Error>(())
//! ```
//!
//! With the feature `serde`, values also convert to and from the caller's
//! own types: `from_value` and `to_value` (see the `serde` module for the
//! mapping).

mod decode;
mod encode;
mod error;
#[cfg(feature = "serde")]
pub mod serde;
mod value;

#[cfg(test)]
mod tests;

#[cfg(feature = "serde")]
pub use self::serde::{from_value, to_value, DeError, SerError};
pub use decode::{decode_all, decode_value, Amf0Limits};
pub use encode::{encode_all, encode_value};
pub use error::Amf0Error;
pub use value::Value;

/// The marker bytes (AMF0 specification, section 2.1).
mod marker {
    pub const NUMBER: u8 = 0x00;
    pub const BOOLEAN: u8 = 0x01;
    pub const STRING: u8 = 0x02;
    pub const OBJECT: u8 = 0x03;
    pub const MOVIE_CLIP: u8 = 0x04;
    pub const NULL: u8 = 0x05;
    pub const UNDEFINED: u8 = 0x06;
    pub const REFERENCE: u8 = 0x07;
    pub const ECMA_ARRAY: u8 = 0x08;
    pub const OBJECT_END: u8 = 0x09;
    pub const STRICT_ARRAY: u8 = 0x0A;
    pub const DATE: u8 = 0x0B;
    pub const LONG_STRING: u8 = 0x0C;
    pub const UNSUPPORTED: u8 = 0x0D;
    pub const RECORD_SET: u8 = 0x0E;
    pub const XML_DOCUMENT: u8 = 0x0F;
    pub const TYPED_OBJECT: u8 = 0x10;
    pub const AVMPLUS_SWITCH: u8 = 0x11;
}
