//! AMF3 encoding.

use bytes::{BufMut, BytesMut};

use super::refs::{EncodeTables, Traits};
use super::{marker, u29, Value, Vector, MAX_INTEGER, MIN_INTEGER};

/// The longest string, byte array or list a `U29` length can announce.
const MAX_LEN: usize = (1 << 28) - 1;
/// The most sealed members inline traits can announce.
const MAX_SEALED: usize = (1 << 25) - 1;

/// Appends `value` to `out` with fresh reference tables: strings and traits
/// that repeat are written as references, every complex value inline.
///
/// What cannot be represented is adjusted the way the AMF0 encoder does it:
/// an [`Integer`](Value::Integer) outside 29 bits is written as a double;
/// text and byte arrays longer than 2^28 - 1 bytes, and lists longer than
/// that, are cut; an empty associative or dynamic key (which would end the
/// list) is skipped.
///
/// ```
/// use bytes::BytesMut;
/// use wirestate_rtmp::amf3::{encode_value, Array, Value};
///
/// // ["a", "a"]: the second "a" is a reference to the first.
/// let array = Value::Array(Array { associative: vec![], dense: vec!["a".into(), "a".into()] });
/// let mut out = BytesMut::new();
/// encode_value(&array, &mut out);
/// assert_eq!(&out[..], b"\x09\x05\x01\x06\x03a\x06\x00");
/// ```
pub fn encode_value(value: &Value, out: &mut BytesMut) {
    Encoder {
        tables: EncodeTables::default(),
        out,
    }
    .value(value);
}

struct Encoder<'a> {
    tables: EncodeTables,
    out: &'a mut BytesMut,
}

/// `text` cut to at most `max` bytes at a character boundary.
fn prefix_within(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

impl Encoder<'_> {
    fn u29(&mut self, value: u32) {
        u29::write(value, self.out);
    }

    /// A length or count with the inline bit set.
    fn inline_len(&mut self, len: usize) {
        self.u29(((len.min(MAX_LEN) as u32) << 1) | 1);
    }

    /// A string inline or by reference (`UTF-8-vr`).
    fn string(&mut self, text: &str) {
        let text = prefix_within(text, MAX_LEN);
        if text.is_empty() {
            self.out.put_u8(0x01);
        } else if let Some(index) = self.tables.string(text) {
            self.u29(index << 1);
        } else {
            self.inline_len(text.len());
            self.out.put_slice(text.as_bytes());
        }
    }

    /// Text that never goes through the string table (XML).
    fn text(&mut self, text: &str) {
        let text = prefix_within(text, MAX_LEN);
        self.inline_len(text.len());
        self.out.put_slice(text.as_bytes());
    }

    fn members(&mut self, members: &[(String, Value)]) {
        for (key, value) in members.iter().filter(|(key, _)| !key.is_empty()) {
            self.string(key);
            self.value(value);
        }
        self.out.put_u8(0x01);
    }

    fn value(&mut self, value: &Value) {
        match value {
            Value::Undefined => self.out.put_u8(marker::UNDEFINED),
            Value::Null => self.out.put_u8(marker::NULL),
            Value::Boolean(false) => self.out.put_u8(marker::FALSE),
            Value::Boolean(true) => self.out.put_u8(marker::TRUE),
            Value::Integer(n) if (MIN_INTEGER..=MAX_INTEGER).contains(n) => {
                self.out.put_u8(marker::INTEGER);
                self.u29(u29::from_i29(*n));
            }
            Value::Integer(n) => self.double(f64::from(*n)),
            Value::Double(n) => self.double(*n),
            Value::String(s) => {
                self.out.put_u8(marker::STRING);
                self.string(s);
            }
            Value::XmlDocument(s) => {
                self.out.put_u8(marker::XML_DOCUMENT);
                self.text(s);
            }
            Value::Xml(s) => {
                self.out.put_u8(marker::XML);
                self.text(s);
            }
            Value::Date(millis) => {
                self.out.put_u8(marker::DATE);
                self.u29(1);
                self.out.put_f64(*millis);
            }
            Value::Array(array) => {
                self.out.put_u8(marker::ARRAY);
                self.inline_len(array.dense.len());
                self.members(&array.associative);
                for item in array.dense.iter().take(MAX_LEN) {
                    self.value(item);
                }
            }
            Value::Object(object) => self.object(object),
            Value::ByteArray(bytes) => {
                self.out.put_u8(marker::BYTE_ARRAY);
                let bytes = &bytes[..bytes.len().min(MAX_LEN)];
                self.inline_len(bytes.len());
                self.out.put_slice(bytes);
            }
            Value::VectorInt(v) => self.numbers(marker::VECTOR_INT, v, |out, n| out.put_i32(*n)),
            Value::VectorUint(v) => self.numbers(marker::VECTOR_UINT, v, |out, n| out.put_u32(*n)),
            Value::VectorDouble(v) => {
                self.numbers(marker::VECTOR_DOUBLE, v, |out, n| out.put_f64(*n))
            }
            Value::VectorObject { type_name, vector } => {
                self.vector_head(marker::VECTOR_OBJECT, vector.items.len(), vector.fixed);
                self.string(type_name);
                vector
                    .items
                    .iter()
                    .take(MAX_LEN)
                    .for_each(|v| self.value(v));
            }
            Value::Dictionary(dictionary) => {
                self.out.put_u8(marker::DICTIONARY);
                self.inline_len(dictionary.entries.len());
                self.out.put_u8(u8::from(dictionary.weak_keys));
                for (key, value) in dictionary.entries.iter().take(MAX_LEN) {
                    self.value(key);
                    self.value(value);
                }
            }
        }
    }

    /// A vector of fixed-size numbers.
    fn numbers<T>(&mut self, marker: u8, vector: &Vector<T>, put: fn(&mut BytesMut, &T)) {
        self.vector_head(marker, vector.items.len(), vector.fixed);
        for n in vector.items.iter().take(MAX_LEN) {
            put(self.out, n);
        }
    }

    fn double(&mut self, n: f64) {
        self.out.put_u8(marker::DOUBLE);
        self.out.put_f64(n);
    }

    fn vector_head(&mut self, marker: u8, len: usize, fixed: bool) {
        self.out.put_u8(marker);
        self.inline_len(len);
        self.out.put_u8(u8::from(fixed));
    }

    fn object(&mut self, object: &super::Object) {
        self.out.put_u8(marker::OBJECT);
        let sealed = &object.sealed[..object.sealed.len().min(MAX_SEALED)];
        let traits = Traits {
            class_name: prefix_within(&object.class_name, MAX_LEN).to_owned(),
            sealed: sealed
                .iter()
                .map(|(name, _)| prefix_within(name, MAX_LEN).to_owned())
                .collect(),
            dynamic: object.dynamic.is_some(),
        };
        match self.tables.traits(&traits) {
            Some(index) => self.u29((index << 2) | 0b01),
            None => {
                let dynamic = u32::from(traits.dynamic) << 3;
                self.u29(((sealed.len() as u32) << 4) | dynamic | 0b011);
                self.string(&traits.class_name);
                for name in &traits.sealed {
                    self.string(name);
                }
            }
        }
        for (_, value) in sealed {
            self.value(value);
        }
        if let Some(members) = &object.dynamic {
            self.members(members);
        }
    }
}
