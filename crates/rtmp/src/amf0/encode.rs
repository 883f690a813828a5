//! AMF0 encoding.

use bytes::{BufMut, BytesMut};

use super::marker;
use super::Value;

/// Appends the AMF0 encoding of `value` to `out`.
///
/// Whatever [`decode_value`](super::decode_value) read re-encodes to the same
/// bytes, with one exception: a boolean byte other than 0 or 1 comes back as 1.
///
/// Values AMF0 cannot express are written in the nearest form that decodes:
/// a [`String`](Value::String) over 65535 bytes goes out as a long string, and
/// a property name over 65535 bytes is cut at the last character boundary
/// that fits.
///
/// ```
/// use bytes::BytesMut;
/// use wirestate_rtmp::amf0::{encode_value, Value};
///
/// let mut out = BytesMut::new();
/// encode_value(&Value::String("_result".into()), &mut out);
/// encode_value(&Value::Number(1.0), &mut out);
/// assert_eq!(&out[..], b"\x02\x00\x07_result\x00\x3f\xf0\x00\x00\x00\x00\x00\x00");
/// ```
pub fn encode_value(value: &Value, out: &mut BytesMut) {
    match value {
        Value::Number(n) => {
            out.put_u8(marker::NUMBER);
            out.put_f64(*n);
        }
        Value::Boolean(b) => {
            out.put_u8(marker::BOOLEAN);
            out.put_u8(u8::from(*b));
        }
        Value::String(s) => match u16::try_from(s.len()) {
            Ok(len) => {
                out.put_u8(marker::STRING);
                out.put_u16(len);
                out.put_slice(s.as_bytes());
            }
            Err(_) => {
                out.put_u8(marker::LONG_STRING);
                put_long_utf8(s, out);
            }
        },
        Value::Object(properties) => {
            out.put_u8(marker::OBJECT);
            put_properties(properties, out);
        }
        Value::Null => out.put_u8(marker::NULL),
        Value::Undefined => out.put_u8(marker::UNDEFINED),
        Value::Reference(index) => {
            out.put_u8(marker::REFERENCE);
            out.put_u16(*index);
        }
        Value::EcmaArray(properties) => {
            out.put_u8(marker::ECMA_ARRAY);
            out.put_u32(u32::try_from(properties.len()).unwrap_or(u32::MAX));
            put_properties(properties, out);
        }
        Value::MiscountedEcmaArray {
            announced,
            properties,
        } => {
            out.put_u8(marker::ECMA_ARRAY);
            out.put_u32(*announced);
            put_properties(properties, out);
        }
        Value::StrictArray(elements) => {
            out.put_u8(marker::STRICT_ARRAY);
            out.put_u32(u32::try_from(elements.len()).unwrap_or(u32::MAX));
            for element in elements {
                encode_value(element, out);
            }
        }
        Value::Date { millis, timezone } => {
            out.put_u8(marker::DATE);
            out.put_f64(*millis);
            out.put_i16(*timezone);
        }
        Value::LongString(s) => {
            out.put_u8(marker::LONG_STRING);
            put_long_utf8(s, out);
        }
        Value::Unsupported => out.put_u8(marker::UNSUPPORTED),
        Value::XmlDocument(s) => {
            out.put_u8(marker::XML_DOCUMENT);
            put_long_utf8(s, out);
        }
        Value::TypedObject {
            class_name,
            properties,
        } => {
            out.put_u8(marker::TYPED_OBJECT);
            put_short_utf8(class_name, out);
            put_properties(properties, out);
        }
        Value::Amf3(value) => {
            out.put_u8(marker::AVMPLUS_SWITCH);
            crate::amf3::encode_value(value, out);
        }
    }
}

/// Appends every value in order: a whole command or data message body.
///
/// ```
/// use bytes::BytesMut;
/// use wirestate_rtmp::amf0::{decode_all, encode_all, Amf0Limits, Value};
///
/// let body = [Value::String("deleteStream".into()), Value::Number(7.0), Value::Null, Value::Number(1.0)];
/// let mut out = BytesMut::new();
/// encode_all(&body, &mut out);
/// assert_eq!(decode_all(&out, &Amf0Limits::default()).unwrap(), body);
/// ```
pub fn encode_all(values: &[Value], out: &mut BytesMut) {
    for value in values {
        encode_value(value, out);
    }
}

fn put_properties(properties: &[(String, Value)], out: &mut BytesMut) {
    for (key, value) in properties {
        put_short_utf8(key, out);
        encode_value(value, out);
    }
    out.put_slice(&[0, 0, marker::OBJECT_END]);
}

/// A u16 length and the text, cut at a character boundary if it is too long.
fn put_short_utf8(s: &str, out: &mut BytesMut) {
    let s = prefix_within(s, usize::from(u16::MAX));
    out.put_u16(s.len() as u16);
    out.put_slice(s.as_bytes());
}

/// A u32 length and the text, cut at a character boundary if it is too long.
fn put_long_utf8(s: &str, out: &mut BytesMut) {
    let max = usize::try_from(u32::MAX).unwrap_or(usize::MAX);
    let s = prefix_within(s, max);
    out.put_u32(s.len() as u32);
    out.put_slice(s.as_bytes());
}

/// The longest prefix of `s` of at most `max` bytes that ends on a character
/// boundary.
fn prefix_within(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}
