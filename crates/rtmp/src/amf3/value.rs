//! The decoded AMF3 value tree.

/// One AMF3 value, references resolved.
///
/// Keyed members keep their wire order (a `Vec`, not a map).
///
/// ```
/// use wirestate_rtmp::amf3::{Object, Value};
///
/// let object = Value::Object(Object::anonymous(vec![("code".into(), Value::String("ok".into()))]));
/// assert_eq!(object.get("code").and_then(Value::as_str), Some("ok"));
/// assert_eq!(Value::Integer(7).as_f64(), Some(7.0));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// Marker 0x00.
    Undefined,
    /// Marker 0x01.
    Null,
    /// Markers 0x02 (false) and 0x03 (true).
    Boolean(bool),
    /// Marker 0x04: a signed 29-bit integer. The encoder writes a value
    /// outside [`MIN_INTEGER`](super::MIN_INTEGER)..=[`MAX_INTEGER`](super::MAX_INTEGER)
    /// as a [`Double`](Value::Double), as ActionScript does.
    Integer(i32),
    /// Marker 0x05: an IEEE 754 double (bit pattern kept).
    Double(f64),
    /// Marker 0x06: UTF-8 text.
    String(String),
    /// Marker 0x07: a legacy `flash.xml.XMLDocument`, as text.
    XmlDocument(String),
    /// Marker 0x08: milliseconds since the Unix epoch (UTC; AMF3 has no time
    /// zone field).
    Date(f64),
    /// Marker 0x09: an array with an associative and a dense part.
    Array(Array),
    /// Marker 0x0A: an object with traits.
    Object(Object),
    /// Marker 0x0B: an E4X `XML` value, as text.
    Xml(String),
    /// Marker 0x0C: a `flash.utils.ByteArray`.
    ByteArray(Vec<u8>),
    /// Marker 0x0D: `Vector.<int>`.
    VectorInt(Vector<i32>),
    /// Marker 0x0E: `Vector.<uint>`.
    VectorUint(Vector<u32>),
    /// Marker 0x0F: `Vector.<Number>`.
    VectorDouble(Vector<f64>),
    /// Marker 0x10: `Vector.<T>` of objects, with the element type name
    /// (`""` for `*`).
    VectorObject {
        /// The element type name, as sent.
        type_name: String,
        /// Fixed length and the elements.
        vector: Vector<Value>,
    },
    /// Marker 0x11: a `flash.utils.Dictionary`.
    Dictionary(Dictionary),
}

/// The body of an AMF3 array (marker 0x09).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Array {
    /// Named entries, in wire order (never with an empty key: the empty key
    /// ends this part on the wire).
    pub associative: Vec<(String, Value)>,
    /// Entries 0..n.
    pub dense: Vec<Value>,
}

/// The body of an AMF3 object (marker 0x0A).
///
/// An object of a class that is not dynamic has `dynamic: None`; an
/// anonymous `Object` (the usual case) has an empty `class_name`, no sealed
/// members and `dynamic: Some(..)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Object {
    /// The class alias; empty for an anonymous object.
    pub class_name: String,
    /// The sealed members (fixed by the class), names and values in trait
    /// order.
    pub sealed: Vec<(String, Value)>,
    /// The dynamic members in wire order if the traits are dynamic (never
    /// with an empty key), `None` if they are not.
    pub dynamic: Option<Vec<(String, Value)>>,
}

impl Object {
    /// An anonymous dynamic object (ActionScript `{..}`) with `members`.
    pub fn anonymous(members: Vec<(String, Value)>) -> Object {
        Object {
            class_name: String::new(),
            sealed: Vec::new(),
            dynamic: Some(members),
        }
    }

    /// The first member named `key`, sealed members first.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.sealed
            .iter()
            .chain(self.dynamic.iter().flatten())
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
    }
}

/// The body of a typed vector (markers 0x0D to 0x10).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Vector<T> {
    /// Whether the vector has a fixed length.
    pub fixed: bool,
    /// The elements.
    pub items: Vec<T>,
}

/// The body of a dictionary (marker 0x11).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Dictionary {
    /// Whether the keys are weakly referenced.
    pub weak_keys: bool,
    /// Key and value pairs, in wire order.
    pub entries: Vec<(Value, Value)>,
}

impl Value {
    /// The text of a [`String`](Value::String), `None` for anything else.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The number of a [`Double`](Value::Double) or
    /// [`Integer`](Value::Integer), `None` for anything else.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Double(n) => Some(*n),
            Value::Integer(n) => Some(f64::from(*n)),
            _ => None,
        }
    }

    /// The value of a [`Boolean`](Value::Boolean), `None` for anything else.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Boolean(b) => Some(*b),
            _ => None,
        }
    }

    /// The member named `key` of an [`Object`](Value::Object) (see
    /// [`Object::get`]) or the associative entry of an
    /// [`Array`](Value::Array); `None` otherwise.
    pub fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Object(object) => object.get(key),
            Value::Array(array) => array
                .associative
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v),
            _ => None,
        }
    }
}

impl From<&str> for Value {
    /// A [`Value::String`].
    fn from(s: &str) -> Self {
        Value::String(s.to_owned())
    }
}

impl From<f64> for Value {
    /// A [`Value::Double`].
    fn from(n: f64) -> Self {
        Value::Double(n)
    }
}

impl From<bool> for Value {
    /// A [`Value::Boolean`].
    fn from(b: bool) -> Self {
        Value::Boolean(b)
    }
}
