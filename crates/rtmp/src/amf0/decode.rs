//! AMF0 decoding from a complete message body.

use super::marker;
use super::{Amf0Error, Value};
use crate::amf3::{decode_nested, Amf3Limits};

/// Bounds on what a decoder builds from untrusted input.
///
/// Lengths and counts on the wire are never used to reserve memory: strings
/// are checked against the bytes actually present, and array elements must
/// each decode before they are stored. These limits bound the remaining costs,
/// recursion depth and the size of the value tree.
///
/// Worst case: a body of `n` bytes yields at most `min(n, max_values)` values,
/// each `size_of::<Value>()` bytes plus its strings (at most `n` bytes in all).
///
/// An AMF3 value behind an AVM+ switch (0x11) is decoded within what is left
/// of both limits (its depth counts from the switch's depth); AMF3
/// references copy values, so its text and byte arrays are also bounded by
/// 16 MiB per switch (see [`Amf3Limits`](crate::amf3::Amf3Limits)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Amf0Limits {
    /// How many containers (object, ECMA array, strict array, typed object)
    /// may nest inside each other. A top-level object is depth 1. Each level
    /// costs a few hundred bytes of stack while decoding.
    pub max_depth: usize,
    /// How many values one [`decode_all`] (or [`decode_value`]) call may
    /// produce, nested ones and property values included.
    pub max_values: usize,
}

impl Default for Amf0Limits {
    /// 32 levels and 262 144 values: far above real metadata (an `onMetaData`
    /// with a keyframe index of a long file has a few tens of thousands).
    fn default() -> Self {
        Amf0Limits {
            max_depth: 32,
            max_values: 1 << 18,
        }
    }
}

/// Decodes every value of a complete command or data message body.
///
/// A value behind an AVM+ switch (0x11) is decoded as AMF3 into
/// [`Value::Amf3`]. An empty body gives no values.
///
/// ```
/// use wirestate_rtmp::amf0::{decode_all, Amf0Limits, Value};
///
/// // "createStream", transaction 4.0, null
/// let body = b"\x02\x00\x0ccreateStream\x00\x40\x10\x00\x00\x00\x00\x00\x00\x05";
/// let values = decode_all(body, &Amf0Limits::default()).unwrap();
/// assert_eq!(values, [Value::String("createStream".into()), Value::Number(4.0), Value::Null]);
/// ```
///
/// # Errors
///
/// An [`Amf0Error`] for a value that is truncated, malformed, of an
/// unsupported type, or beyond one of `limits`.
pub fn decode_all(input: &[u8], limits: &Amf0Limits) -> Result<Vec<Value>, Amf0Error> {
    let mut decoder = Decoder::new(input, limits);
    let mut values = Vec::new();
    while decoder.pos < input.len() {
        values.push(decoder.value(0)?);
    }
    Ok(values)
}

/// Decodes one value from the front of `input` and advances `input` past it.
///
/// On error `input` is left unchanged. The whole value must be present: this
/// works on complete message bodies, which the chunk layer reassembles first.
///
/// ```
/// use wirestate_rtmp::amf0::{decode_value, Amf0Limits, Value};
///
/// let mut body: &[u8] = b"\x01\x01\x05rest";
/// let limits = Amf0Limits::default();
/// assert_eq!(decode_value(&mut body, &limits).unwrap(), Value::Boolean(true));
/// assert_eq!(decode_value(&mut body, &limits).unwrap(), Value::Null);
/// assert_eq!(body, b"rest");
/// ```
///
/// # Errors
///
/// As [`decode_all`]; `input` is then left where the bad value began or
/// somewhere inside it.
pub fn decode_value(input: &mut &[u8], limits: &Amf0Limits) -> Result<Value, Amf0Error> {
    let mut decoder = Decoder::new(input, limits);
    let value = decoder.value(0)?;
    *input = &input[decoder.pos..];
    Ok(value)
}

/// A cursor over one body; remembers how many values it produced.
struct Decoder<'a> {
    input: &'a [u8],
    pos: usize,
    limits: &'a Amf0Limits,
    values: usize,
}

impl<'a> Decoder<'a> {
    fn new(input: &'a [u8], limits: &'a Amf0Limits) -> Self {
        Decoder {
            input,
            pos: 0,
            limits,
            values: 0,
        }
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], Amf0Error> {
        let available = self.input.len() - self.pos;
        if available < n {
            return Err(Amf0Error::Truncated {
                offset: self.pos,
                needed: n - available,
            });
        }
        let bytes = &self.input[self.pos..self.pos + n];
        self.pos += n;
        Ok(bytes)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], Amf0Error> {
        let mut out = [0; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    fn u16(&mut self) -> Result<u16, Amf0Error> {
        self.array().map(u16::from_be_bytes)
    }

    fn u32(&mut self) -> Result<u32, Amf0Error> {
        self.array().map(u32::from_be_bytes)
    }

    fn f64(&mut self) -> Result<f64, Amf0Error> {
        self.array().map(f64::from_be_bytes)
    }

    /// `len` bytes of UTF-8; the length was already read from the wire and is
    /// checked against the input before anything is allocated.
    fn utf8(&mut self, len: usize) -> Result<String, Amf0Error> {
        let start = self.pos;
        let bytes = self.take(len)?;
        match std::str::from_utf8(bytes) {
            Ok(text) => Ok(text.to_owned()),
            Err(_) => Err(Amf0Error::InvalidUtf8 { offset: start }),
        }
    }

    fn short_string(&mut self) -> Result<String, Amf0Error> {
        let len = self.u16()?;
        self.utf8(usize::from(len))
    }

    fn long_string(&mut self) -> Result<String, Amf0Error> {
        let len = self.u32()?;
        // A u32 always fits in usize on the 32- and 64-bit targets we build for;
        // saturating keeps a 16-bit target correct too (it is then truncated).
        self.utf8(usize::try_from(len).unwrap_or(usize::MAX))
    }

    /// One value; `depth` is how many containers enclose it.
    fn value(&mut self, depth: usize) -> Result<Value, Amf0Error> {
        let start = self.pos;
        if self.values >= self.limits.max_values {
            return Err(Amf0Error::TooManyValues {
                max_values: self.limits.max_values,
                offset: start,
            });
        }
        let [marker] = self.array()?;
        self.values += 1;
        let value = match marker {
            marker::NUMBER => Value::Number(self.f64()?),
            marker::BOOLEAN => {
                let [b] = self.array()?;
                Value::Boolean(b != 0)
            }
            marker::STRING => Value::String(self.short_string()?),
            marker::OBJECT => {
                self.enter(depth, start)?;
                Value::Object(self.properties(depth + 1)?)
            }
            marker::NULL => Value::Null,
            marker::UNDEFINED => Value::Undefined,
            marker::REFERENCE => Value::Reference(self.u16()?),
            marker::ECMA_ARRAY => {
                self.enter(depth, start)?;
                self.ecma_array(depth + 1)?
            }
            marker::OBJECT_END => return Err(Amf0Error::UnexpectedObjectEnd { offset: start }),
            marker::STRICT_ARRAY => {
                self.enter(depth, start)?;
                Value::StrictArray(self.strict_array(depth + 1)?)
            }
            marker::DATE => {
                let millis = self.f64()?;
                let timezone = i16::from_be_bytes(self.array()?);
                Value::Date { millis, timezone }
            }
            marker::LONG_STRING => Value::LongString(self.long_string()?),
            marker::UNSUPPORTED => Value::Unsupported,
            marker::XML_DOCUMENT => Value::XmlDocument(self.long_string()?),
            marker::TYPED_OBJECT => {
                self.enter(depth, start)?;
                let class_name = self.short_string()?;
                let properties = self.properties(depth + 1)?;
                Value::TypedObject {
                    class_name,
                    properties,
                }
            }
            marker::AVMPLUS_SWITCH => Value::Amf3(Box::new(self.amf3(depth, start)?)),
            marker::MOVIE_CLIP | marker::RECORD_SET => {
                return Err(Amf0Error::ReservedMarker {
                    marker,
                    offset: start,
                })
            }
            _ => {
                return Err(Amf0Error::UnknownMarker {
                    marker,
                    offset: start,
                })
            }
        };
        Ok(value)
    }

    /// An ECMA array after its marker: the announced count, then properties
    /// at `depth`. A count that does not match is kept, not an error.
    #[inline]
    fn ecma_array(&mut self, depth: usize) -> Result<Value, Amf0Error> {
        let announced = self.u32()?;
        let properties = self.properties(depth)?;
        Ok(
            if usize::try_from(announced).is_ok_and(|n| n == properties.len()) {
                Value::EcmaArray(properties)
            } else {
                Value::MiscountedEcmaArray {
                    announced,
                    properties,
                }
            },
        )
    }

    /// A strict array after its marker: the count, then that many values at
    /// `depth`.
    #[inline]
    fn strict_array(&mut self, depth: usize) -> Result<Vec<Value>, Amf0Error> {
        let count = self.u32()?;
        // Never reserve by `count`: each element must actually decode.
        let mut elements = Vec::new();
        for _ in 0..count {
            elements.push(self.value(depth)?);
        }
        Ok(elements)
    }

    /// The AMF3 value after a switch marker at `start`, within what is left
    /// of this body's limits.
    fn amf3(&mut self, depth: usize, start: usize) -> Result<crate::amf3::Value, Amf0Error> {
        let limits = Amf3Limits {
            max_depth: self.limits.max_depth.saturating_sub(depth),
            max_values: self.limits.max_values.saturating_sub(self.values),
            ..Amf3Limits::default()
        };
        let (value, used, values) =
            decode_nested(&self.input[self.pos..], &limits).map_err(|source| Amf0Error::Amf3 {
                offset: start,
                source,
            })?;
        self.pos += used;
        self.values += values;
        Ok(value)
    }

    /// Checks that one more container level is allowed.
    fn enter(&self, depth: usize, start: usize) -> Result<(), Amf0Error> {
        if depth >= self.limits.max_depth {
            return Err(Amf0Error::TooDeep {
                max_depth: self.limits.max_depth,
                offset: start,
            });
        }
        Ok(())
    }

    /// Key/value pairs up to and including the end marker (empty key + 0x09).
    /// An empty key followed by any other marker is a property named "".
    fn properties(&mut self, depth: usize) -> Result<Vec<(String, Value)>, Amf0Error> {
        let mut properties = Vec::new();
        loop {
            let key = self.short_string()?;
            if key.is_empty() && self.input.get(self.pos) == Some(&marker::OBJECT_END) {
                self.pos += 1;
                return Ok(properties);
            }
            let value = self.value(depth)?;
            properties.push((key, value));
        }
    }
}
