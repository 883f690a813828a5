//! The decoded AMF0 value tree.

/// One AMF0 value, as found in RTMP command (type 20) and data (type 18)
/// message bodies.
///
/// Objects keep their properties in wire order (a `Vec`, not a map), so a
/// decoded body re-encodes to the same bytes with [`encode_value`].
///
/// ```
/// use wirestate_rtmp::amf0::Value;
///
/// let connect = Value::Object(vec![
///     ("app".into(), "live".into()),
///     ("capabilities".into(), 15.0.into()),
/// ]);
/// assert_eq!(connect.get("app").and_then(Value::as_str), Some("live"));
/// assert_eq!(connect.get("capabilities").and_then(Value::as_f64), Some(15.0));
/// assert!(connect.get("tcUrl").is_none());
/// ```
///
/// [`encode_value`]: super::encode_value
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// Marker 0x00: an IEEE 754 double (bit pattern kept, NaN payloads included).
    Number(f64),
    /// Marker 0x01: a boolean. Any non-zero byte decodes as `true`; the encoder
    /// writes 0 or 1.
    Boolean(bool),
    /// Marker 0x02: a UTF-8 string of at most 65535 bytes.
    String(String),
    /// Marker 0x03: an anonymous object, properties in wire order.
    Object(Vec<(String, Value)>),
    /// Marker 0x05: null.
    Null,
    /// Marker 0x06: undefined.
    Undefined,
    /// Marker 0x07: a reference to an earlier complex value, by index. Kept
    /// as the index: resolving it is up to the caller.
    Reference(u16),
    /// Marker 0x08: an associative ("ECMA") array whose announced count equals
    /// its number of properties, which is how every common encoder writes it.
    EcmaArray(Vec<(String, Value)>),
    /// Marker 0x08 whose announced count differs from the properties actually
    /// present. The count is not trusted for decoding (the array is read to its
    /// object end), only kept so the value re-encodes byte for byte.
    MiscountedEcmaArray {
        /// The count the sender wrote.
        announced: u32,
        /// The properties that were really there, in wire order.
        properties: Vec<(String, Value)>,
    },
    /// Marker 0x0A: a dense array.
    StrictArray(Vec<Value>),
    /// Marker 0x0B: milliseconds since the Unix epoch, plus a time zone field
    /// that the specification says to write as 0 (kept as sent).
    Date {
        /// Milliseconds since 1970-01-01T00:00:00Z.
        millis: f64,
        /// The reserved time zone field, kept as sent.
        timezone: i16,
    },
    /// Marker 0x0C: a UTF-8 string with a 32-bit length.
    LongString(String),
    /// Marker 0x0D: "unsupported", a placeholder with no payload.
    Unsupported,
    /// Marker 0x0F: an XML document, as UTF-8 text with a 32-bit length.
    XmlDocument(String),
    /// Marker 0x10: an object with a registered class name.
    TypedObject {
        /// The class alias.
        class_name: String,
        /// Properties in wire order.
        properties: Vec<(String, Value)>,
    },
    /// Marker 0x11 (AVM+) followed by one AMF3 value, anywhere a value may
    /// be (at the top level, as in AMF3 command messages, or inside a
    /// container). Each switch decodes with fresh AMF3 reference tables and
    /// the encoder writes it the same way.
    Amf3(Box<crate::amf3::Value>),
}

impl Value {
    /// The text of a [`String`](Value::String) or
    /// [`LongString`](Value::LongString), `None` for anything else.
    ///
    /// ```
    /// use wirestate_rtmp::amf0::Value;
    /// assert_eq!(Value::String("publish".into()).as_str(), Some("publish"));
    /// assert_eq!(Value::Null.as_str(), None);
    /// ```
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) | Value::LongString(s) => Some(s),
            _ => None,
        }
    }

    /// The number of a [`Number`](Value::Number), `None` for anything else.
    ///
    /// ```
    /// use wirestate_rtmp::amf0::Value;
    /// assert_eq!(Value::Number(1.0).as_f64(), Some(1.0));
    /// assert_eq!(Value::Boolean(true).as_f64(), None);
    /// ```
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Number(n) => Some(*n),
            _ => None,
        }
    }

    /// The value of a [`Boolean`](Value::Boolean), `None` for anything else.
    ///
    /// ```
    /// use wirestate_rtmp::amf0::Value;
    /// assert_eq!(Value::Boolean(false).as_bool(), Some(false));
    /// ```
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Boolean(b) => Some(*b),
            _ => None,
        }
    }

    /// The properties of any keyed value (object, ECMA array, typed object),
    /// in wire order; `None` for anything else.
    ///
    /// ```
    /// use wirestate_rtmp::amf0::Value;
    /// let meta = Value::EcmaArray(vec![("width".into(), 640.0.into())]);
    /// assert_eq!(meta.properties().map(|p| p.len()), Some(1));
    /// assert!(Value::Null.properties().is_none());
    /// ```
    pub fn properties(&self) -> Option<&[(String, Value)]> {
        match self {
            Value::Object(p)
            | Value::EcmaArray(p)
            | Value::MiscountedEcmaArray { properties: p, .. }
            | Value::TypedObject { properties: p, .. } => Some(p),
            _ => None,
        }
    }

    /// The first property named `key` of an object, ECMA array or typed
    /// object; `None` if there is none or `self` has no properties.
    ///
    /// ```
    /// use wirestate_rtmp::amf0::Value;
    /// let info = Value::Object(vec![("code".into(), "NetStream.Publish.Start".into())]);
    /// assert_eq!(info.get("code").and_then(Value::as_str), Some("NetStream.Publish.Start"));
    /// ```
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.properties()?
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
    }

    /// The AMF3 value of an [`Amf3`](Value::Amf3) switch, `None` for
    /// anything else. A command sent as type 17 carries its arguments so.
    ///
    /// ```
    /// use wirestate_rtmp::{amf0, amf3};
    /// let value = amf0::Value::from(amf3::Value::Integer(3));
    /// assert_eq!(value.as_amf3().and_then(amf3::Value::as_f64), Some(3.0));
    /// ```
    pub fn as_amf3(&self) -> Option<&crate::amf3::Value> {
        match self {
            Value::Amf3(value) => Some(value),
            _ => None,
        }
    }

    /// Whether this is [`Null`](Value::Null) or [`Undefined`](Value::Undefined),
    /// the two ways senders say "no command object".
    pub fn is_null_or_undefined(&self) -> bool {
        matches!(self, Value::Null | Value::Undefined)
    }
}

impl From<f64> for Value {
    /// A [`Value::Number`].
    fn from(n: f64) -> Self {
        Value::Number(n)
    }
}

impl From<bool> for Value {
    /// A [`Value::Boolean`].
    fn from(b: bool) -> Self {
        Value::Boolean(b)
    }
}

impl From<&str> for Value {
    /// A [`Value::String`] (the encoder switches to a long string past 65535 bytes).
    fn from(s: &str) -> Self {
        Value::String(s.to_owned())
    }
}

impl From<crate::amf3::Value> for Value {
    /// A [`Value::Amf3`]: written as an AVM+ switch and the AMF3 value.
    fn from(value: crate::amf3::Value) -> Self {
        Value::Amf3(Box::new(value))
    }
}

impl From<String> for Value {
    /// A [`Value::String`] (the encoder switches to a long string past 65535 bytes).
    fn from(s: String) -> Self {
        Value::String(s)
    }
}
