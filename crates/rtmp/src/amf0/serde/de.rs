//! A `serde::Deserializer` over a borrowed value tree, so a user type decodes
//! straight from `&amf0::Value` (strings are borrowed, nothing is copied).

use serde::de::{
    self, DeserializeSeed, Deserializer, EnumAccess, IntoDeserializer, MapAccess, SeqAccess,
    Unexpected, VariantAccess, Visitor,
};

use super::node::{Node, View};
use super::DeError;

/// Largest integer an f64 holds exactly with all smaller ones: 2^53.
const EXACT: f64 = 9_007_199_254_740_992.0;

impl<'de> Node<'de> {
    fn unexpected(&self) -> Unexpected<'de> {
        match self.view() {
            View::Unit => Unexpected::Unit,
            View::Bool(b) => Unexpected::Bool(b),
            View::Num(n) => Unexpected::Float(n),
            View::Int(n) => Unexpected::Signed(n),
            View::Str(s) => Unexpected::Str(s),
            View::Bytes(b) => Unexpected::Bytes(b),
            View::Seq(_) => Unexpected::Seq,
            View::Map(_) => Unexpected::Map,
            View::Unmapped(what) => Unexpected::Other(what),
        }
    }

    /// The number as an integer of the target type: integral and in range.
    fn integer<T: TryFrom<i128>>(&self, target: &'static str) -> Result<T, DeError> {
        let n = match self.view() {
            View::Int(n) => i128::from(n),
            View::Num(n) if n.fract() == 0.0 && n.abs() <= EXACT => n as i128,
            View::Num(n) if n.is_finite() && n.fract() == 0.0 => {
                return Err(de::Error::custom(format_args!(
                    "number {n} is beyond 2^53, where an f64 no longer holds every integer: \
                     expected {target}"
                )))
            }
            View::Num(n) => {
                return Err(de::Error::custom(format_args!(
                    "number {n} is not an integer: expected {target}"
                )))
            }
            _ => return Err(de::Error::invalid_type(self.unexpected(), &target)),
        };
        T::try_from(n)
            .map_err(|_| de::Error::custom(format_args!("number {n} is out of range for {target}")))
    }
}

macro_rules! deserialize_integer {
    ($($method:ident $visit:ident $ty:ident),*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
            visitor.$visit(self.integer::<$ty>(stringify!($ty))?)
        }
    )*};
}

impl<'de> Deserializer<'de> for Node<'de> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.view() {
            View::Unit => visitor.visit_unit(),
            View::Bool(b) => visitor.visit_bool(b),
            View::Num(n) => visitor.visit_f64(n),
            View::Int(n) => visitor.visit_i64(n),
            View::Str(s) => visitor.visit_borrowed_str(s),
            View::Bytes(b) => visitor.visit_borrowed_bytes(b),
            View::Seq(items) => visitor.visit_seq(Seq {
                items: items.into_iter(),
                index: 0,
            }),
            View::Map(entries) => visitor.visit_map(Map {
                entries: entries.into_iter(),
                pending: None,
            }),
            View::Unmapped(what) => Err(de::Error::custom(format_args!(
                "{what} has no serde form: resolve it first"
            ))),
        }
    }

    deserialize_integer!(
        deserialize_i8 visit_i8 i8, deserialize_i16 visit_i16 i16,
        deserialize_i32 visit_i32 i32, deserialize_i64 visit_i64 i64,
        deserialize_i128 visit_i128 i128, deserialize_u8 visit_u8 u8,
        deserialize_u16 visit_u16 u16, deserialize_u32 visit_u32 u32,
        deserialize_u64 visit_u64 u64, deserialize_u128 visit_u128 u128
    );

    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_f64(visitor)
    }

    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.view() {
            View::Num(n) => visitor.visit_f64(n),
            View::Int(n) => visitor.visit_f64(n as f64),
            _ => Err(de::Error::invalid_type(self.unexpected(), &visitor)),
        }
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.view() {
            // A byte array read as a sequence (`Vec<u8>`): one number per byte.
            View::Bytes(bytes) => visitor.visit_seq(Seq {
                items: bytes
                    .iter()
                    .map(|b| Node::Int((*b).into()))
                    .collect::<Vec<_>>()
                    .into_iter(),
                index: 0,
            }),
            _ => self.deserialize_any(visitor),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.view() {
            View::Unit => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        match self.view() {
            View::Str(s) => visitor.visit_enum(s.into_deserializer()),
            View::Map(entries) if entries.len() == 1 => {
                let (key, value) = entries[0];
                visitor.visit_enum(Variant { key, value })
            }
            _ => Err(de::Error::invalid_type(
                self.unexpected(),
                &"a string or an object with one property",
            )),
        }
    }

    serde::forward_to_deserialize_any! {
        bool char str string bytes byte_buf unit unit_struct tuple
        tuple_struct map struct identifier ignored_any
    }
}

/// The elements of an array, counting indices for error paths.
struct Seq<'de> {
    items: std::vec::IntoIter<Node<'de>>,
    index: usize,
}

impl<'de> SeqAccess<'de> for Seq<'de> {
    type Error = DeError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, DeError> {
        let Some(item) = self.items.next() else {
            return Ok(None);
        };
        let index = self.index;
        self.index += 1;
        seed.deserialize(item)
            .map(Some)
            .map_err(|e| e.in_element(index))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len())
    }
}

/// The properties of an object, keeping the key for error paths.
struct Map<'de> {
    entries: std::vec::IntoIter<(Node<'de>, Node<'de>)>,
    pending: Option<(Node<'de>, Node<'de>)>,
}

impl<'de> MapAccess<'de> for Map<'de> {
    type Error = DeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DeError> {
        let Some((key, value)) = self.entries.next() else {
            return Ok(None);
        };
        self.pending = Some((key, value));
        seed.deserialize(key).map(Some)
    }

    fn next_value_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<T::Value, DeError> {
        let (key, value) = self
            .pending
            .take()
            .ok_or_else(|| <DeError as de::Error>::custom("value asked for before its key"))?;
        seed.deserialize(value).map_err(|e| match key.view() {
            View::Str(name) => e.in_property(name),
            View::Int(i) => e.in_property(&i.to_string()),
            _ => e,
        })
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.entries.len())
    }
}

/// An enum written as `{variant: content}`.
struct Variant<'de> {
    key: Node<'de>,
    value: Node<'de>,
}

impl<'de> EnumAccess<'de> for Variant<'de> {
    type Error = DeError;
    type Variant = Node<'de>;

    fn variant_seed<V: DeserializeSeed<'de>>(
        self,
        seed: V,
    ) -> Result<(V::Value, Node<'de>), DeError> {
        Ok((seed.deserialize(self.key)?, self.value))
    }
}

impl<'de> VariantAccess<'de> for Node<'de> {
    type Error = DeError;

    fn unit_variant(self) -> Result<(), DeError> {
        de::Deserialize::deserialize(self)
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, DeError> {
        seed.deserialize(self)
    }

    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_seq(visitor)
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_map(visitor)
    }
}
