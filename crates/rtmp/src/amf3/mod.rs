//! AMF3, the value format of ActionScript 3: what follows an AVM+ marker
//! (0x11) inside AMF0, and so the arguments of AMF3 command (type 17) and data
//! (type 15) messages.
//!
//! Every value starts with a one-byte marker. Lengths, counts and references
//! are `U29`: 1 to 4 bytes, 7 bits per byte while the high bit says "more",
//! all 8 bits of a fourth byte. The low bit of a length says whether the
//! value is inline (1) or a reference (0) into one of three tables that both
//! sides build while reading: strings, objects (everything complex) and
//! traits (an object's class name, sealed member names and dynamic flag).
//!
//! ```text
//!  0x04 U29 (signed 29 bit)          integer      0x06 (len<<1|1) utf8 | (index<<1)   string
//!  0x09 (n<<1|1) (key value)* "" value*n         array: associative part, then dense part
//!  0x0A (n<<4|d<<3|0b011) class name* n, values*n, [(key value)* ""]   object with inline traits
//!  0x0A (index<<2|0b01) values...                 object whose traits are a reference
//! ```
//!
//! References are resolved while decoding: a reference to an earlier string
//! or object gives a copy of it, so [`Value`] is a plain tree. The copies are
//! charged to [`Amf3Limits`] like inline values, so references cannot blow a
//! small input up. A reference to an object that is still being decoded (a
//! cycle) cannot be a tree and is an error ([`Amf3Error::CyclicReference`]);
//! so is an externalizable object, whose body only its class knows how to read
//! ([`Amf3Error::Externalizable`]).
//!
//! The encoder writes strings and traits that repeat as references and every
//! complex value inline, so `decode(encode(v)) == v` for every value.
//!
//! ```
//! use bytes::BytesMut;
//! use wirestate_rtmp::amf3::{decode_value, encode_value, Amf3Limits, Object, Value};
//!
//! // {app: "live", n: 5}: an anonymous dynamic object.
//! let object = Value::Object(Object::anonymous(vec![
//!     ("app".into(), Value::String("live".into())),
//!     ("n".into(), Value::Integer(5)),
//! ]));
//! let mut out = BytesMut::new();
//! encode_value(&object, &mut out);
//! assert_eq!(&out[..], b"\x0a\x0b\x01\x07app\x06\x09live\x03n\x04\x05\x01");
//! let mut input = &out[..];
//! assert_eq!(decode_value(&mut input, &Amf3Limits::default())?, object);
//! assert!(input.is_empty());
//! # Ok::<(), wirestate_rtmp::amf3::Amf3Error>(())
//! ```

mod decode;
mod encode;
mod error;
mod refs;
mod u29;
mod value;

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;

pub use decode::{decode_value, Amf3Limits};
pub use encode::encode_value;
pub use error::Amf3Error;
pub use value::{Array, Dictionary, Object, Value, Vector};

pub(crate) use decode::decode_nested;

/// The largest integer an AMF3 integer marker carries: 2^28 - 1.
pub const MAX_INTEGER: i32 = (1 << 28) - 1;
/// The smallest integer an AMF3 integer marker carries: -2^28.
pub const MIN_INTEGER: i32 = -(1 << 28);

/// The marker bytes (AMF3 specification, section 3.1).
mod marker {
    pub const UNDEFINED: u8 = 0x00;
    pub const NULL: u8 = 0x01;
    pub const FALSE: u8 = 0x02;
    pub const TRUE: u8 = 0x03;
    pub const INTEGER: u8 = 0x04;
    pub const DOUBLE: u8 = 0x05;
    pub const STRING: u8 = 0x06;
    pub const XML_DOCUMENT: u8 = 0x07;
    pub const DATE: u8 = 0x08;
    pub const ARRAY: u8 = 0x09;
    pub const OBJECT: u8 = 0x0A;
    pub const XML: u8 = 0x0B;
    pub const BYTE_ARRAY: u8 = 0x0C;
    pub const VECTOR_INT: u8 = 0x0D;
    pub const VECTOR_UINT: u8 = 0x0E;
    pub const VECTOR_DOUBLE: u8 = 0x0F;
    pub const VECTOR_OBJECT: u8 = 0x10;
    pub const DICTIONARY: u8 = 0x11;
    /// Markers from here on are not defined.
    pub const FIRST_UNKNOWN: u8 = 0x12;
}
