//! One view of AMF0 and AMF3 values for both serde directions: what serde
//! kind (number, string, map ...) a value is, so `Serialize for Value` and
//! the deserializer over `&Value` agree on the mapping.

use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};

use crate::amf0::Value;
use crate::amf3;

/// A value or a piece of one (a vector element, a generated array index).
#[derive(Debug, Clone, Copy)]
pub(super) enum Node<'a> {
    /// An AMF0 value.
    Amf0(&'a Value),
    /// An AMF3 value (behind an AVM+ switch).
    Amf3(&'a amf3::Value),
    /// A property name.
    Key(&'a str),
    /// An integer: an element of `Vector.<int>`/`Vector.<uint>` or the index
    /// of a dense entry in an AMF3 array that also has named entries.
    Int(i64),
    /// An element of `Vector.<Number>`.
    Num(f64),
}

/// What a [`Node`] is, in serde's data model.
pub(super) enum View<'a> {
    Unit,
    Bool(bool),
    Num(f64),
    Int(i64),
    Str(&'a str),
    Bytes(&'a [u8]),
    Seq(Vec<Node<'a>>),
    Map(Vec<(Node<'a>, Node<'a>)>),
    /// A value with no serde form; the text names it for the error.
    Unmapped(&'static str),
}

fn keyed(properties: &[(String, Value)]) -> View<'_> {
    View::Map(
        properties
            .iter()
            .map(|(k, v)| (Node::Key(k), Node::Amf0(v)))
            .collect(),
    )
}

fn keyed3<'a>(properties: impl Iterator<Item = &'a (String, amf3::Value)>) -> View<'a> {
    View::Map(
        properties
            .map(|(k, v)| (Node::Key(k), Node::Amf3(v)))
            .collect(),
    )
}

impl<'a> Node<'a> {
    /// The serde kind of this node.
    pub(super) fn view(self) -> View<'a> {
        match self {
            Node::Amf0(value) => view0(value),
            Node::Amf3(value) => view3(value),
            Node::Key(key) => View::Str(key),
            Node::Int(n) => View::Int(n),
            Node::Num(n) => View::Num(n),
        }
    }
}

fn view0(value: &Value) -> View<'_> {
    match value {
        Value::Number(n) => View::Num(*n),
        Value::Boolean(b) => View::Bool(*b),
        Value::String(s) | Value::LongString(s) | Value::XmlDocument(s) => View::Str(s),
        Value::Object(p)
        | Value::EcmaArray(p)
        | Value::MiscountedEcmaArray { properties: p, .. }
        | Value::TypedObject { properties: p, .. } => keyed(p),
        Value::Null | Value::Undefined | Value::Unsupported => View::Unit,
        Value::Reference(_) => View::Unmapped("an AMF0 reference (marker 0x07)"),
        Value::StrictArray(items) => View::Seq(items.iter().map(Node::Amf0).collect()),
        Value::Date { millis, .. } => View::Num(*millis),
        Value::Amf3(value) => view3(value),
    }
}

fn view3(value: &amf3::Value) -> View<'_> {
    use amf3::Value as V;
    match value {
        V::Undefined | V::Null => View::Unit,
        V::Boolean(b) => View::Bool(*b),
        V::Integer(n) => View::Int(i64::from(*n)),
        V::Double(n) | V::Date(n) => View::Num(*n),
        V::String(s) | V::XmlDocument(s) | V::Xml(s) => View::Str(s),
        V::ByteArray(bytes) => View::Bytes(bytes),
        V::Array(array) if array.associative.is_empty() => {
            View::Seq(array.dense.iter().map(Node::Amf3).collect())
        }
        V::Array(array) => {
            let named = array
                .associative
                .iter()
                .map(|(k, v)| (Node::Key(k), Node::Amf3(v)));
            let dense = (0i64..)
                .zip(&array.dense)
                .map(|(i, v)| (Node::Int(i), Node::Amf3(v)));
            View::Map(named.chain(dense).collect())
        }
        V::Object(object) => keyed3(object.sealed.iter().chain(object.dynamic.iter().flatten())),
        V::VectorInt(v) => View::Seq(v.items.iter().map(|n| Node::Int((*n).into())).collect()),
        V::VectorUint(v) => View::Seq(v.items.iter().map(|n| Node::Int((*n).into())).collect()),
        V::VectorDouble(v) => View::Seq(v.items.iter().map(|n| Node::Num(*n)).collect()),
        V::VectorObject { vector, .. } => View::Seq(vector.items.iter().map(Node::Amf3).collect()),
        V::Dictionary(d) => View::Map(
            d.entries
                .iter()
                .map(|(k, v)| (Node::Amf3(k), Node::Amf3(v)))
                .collect(),
        ),
    }
}

impl Serialize for Node<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.view() {
            View::Unit => serializer.serialize_unit(),
            View::Bool(b) => serializer.serialize_bool(b),
            View::Num(n) => serializer.serialize_f64(n),
            View::Int(n) => serializer.serialize_i64(n),
            View::Str(s) => serializer.serialize_str(s),
            View::Bytes(b) => serializer.serialize_bytes(b),
            View::Seq(items) => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in &items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            View::Map(entries) => {
                let mut map = serializer.serialize_map(Some(entries.len()))?;
                for (key, value) in &entries {
                    map.serialize_entry(key, value)?;
                }
                map.end()
            }
            View::Unmapped(what) => Err(serde::ser::Error::custom(format_args!(
                "{what} has no serde form: resolve it first"
            ))),
        }
    }
}
