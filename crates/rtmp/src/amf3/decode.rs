//! AMF3 decoding from a complete message body.

use super::refs::{DecodeTables, Traits};
use super::{marker, u29, Amf3Error, Array, Dictionary, Object, Value, Vector};

/// Bounds on what the decoder builds from untrusted input.
///
/// Counts on the wire are checked against the input that is left before
/// anything is reserved, and every element must decode before it is stored.
/// References produce copies, and those copies are charged here exactly like
/// inline values, so a reference cannot make a small input big.
///
/// Worst case: at most `max_values` values of `size_of::<Value>()` bytes
/// plus `max_bytes` of strings and byte arrays; the reference tables hold at
/// most a copy of the input's strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Amf3Limits {
    /// How many containers (array, object, object vector, dictionary) may
    /// nest inside each other, counting those a reference copies in. A
    /// top-level object is depth 1.
    pub max_depth: usize,
    /// How many values one [`decode_value`] call may produce, nested ones,
    /// members and copies by reference included.
    pub max_values: usize,
    /// How many bytes of text (strings, member names, class names, XML) and
    /// byte arrays one call may produce, copies by reference included.
    pub max_bytes: usize,
}

/// The byte limit used by default and for AMF3 inside AMF0: 16 MiB, the
/// largest RTMP message.
pub(crate) const DEFAULT_MAX_BYTES: usize = 1 << 24;

impl Default for Amf3Limits {
    /// 32 levels, 262 144 values and 16 MiB, as for AMF0.
    fn default() -> Self {
        Amf3Limits {
            max_depth: 32,
            max_values: 1 << 18,
            max_bytes: DEFAULT_MAX_BYTES,
        }
    }
}

/// Decodes one AMF3 value from the front of `input` with fresh reference
/// tables, and advances `input` past it.
///
/// On error `input` is left unchanged. The whole value must be present.
///
/// ```
/// use wirestate_rtmp::amf3::{decode_value, Amf3Limits, Value};
///
/// // An integer (-1 is 29 bits of ones), then the rest of the input.
/// let mut input: &[u8] = b"\x04\xff\xff\xff\xffrest";
/// assert_eq!(decode_value(&mut input, &Amf3Limits::default())?, Value::Integer(-1));
/// assert_eq!(input, b"rest");
/// # Ok::<(), wirestate_rtmp::amf3::Amf3Error>(())
/// ```
///
/// # Errors
///
/// An [`Amf3Error`] for a value that is truncated, malformed, refers to a
/// table entry that does not exist or is cyclic, is externalizable, or is
/// beyond one of `limits`.
pub fn decode_value(input: &mut &[u8], limits: &Amf3Limits) -> Result<Value, Amf3Error> {
    let (value, used, _) = decode_nested(input, limits)?;
    *input = &input[used..];
    Ok(value)
}

/// Decodes one value from the front of `input`: the value, the bytes it
/// took and how many values it produced (for AMF0, which shares its budget).
pub(crate) fn decode_nested(
    input: &[u8],
    limits: &Amf3Limits,
) -> Result<(Value, usize, usize), Amf3Error> {
    let mut decoder = Decoder {
        input,
        pos: 0,
        limits,
        values: 0,
        bytes: 0,
        tables: DecodeTables::default(),
    };
    let value = decoder.value(0)?;
    Ok((value, decoder.pos, decoder.values))
}

/// A cursor over one value, with its reference tables and budget.
struct Decoder<'a> {
    input: &'a [u8],
    pos: usize,
    limits: &'a Amf3Limits,
    values: usize,
    bytes: usize,
    tables: DecodeTables,
}

/// A complex value's `U29` header: a resolved reference, or the inline
/// payload bits (the header without its low bit) and the object index.
enum Header {
    Reference(Value),
    Inline(u32, usize),
}

impl<'a> Decoder<'a> {
    fn remaining(&self) -> usize {
        self.input.len() - self.pos
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], Amf3Error> {
        let available = self.remaining();
        if available < n {
            return Err(Amf3Error::Truncated {
                offset: self.pos,
                needed: n - available,
            });
        }
        let bytes = &self.input[self.pos..self.pos + n];
        self.pos += n;
        Ok(bytes)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], Amf3Error> {
        let mut out = [0; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    fn u29(&mut self) -> Result<u32, Amf3Error> {
        match u29::read(&self.input[self.pos..]) {
            Ok((value, len)) => {
                self.pos += len;
                Ok(value)
            }
            Err(needed) => Err(Amf3Error::Truncated {
                offset: self.pos,
                needed,
            }),
        }
    }

    fn f64(&mut self) -> Result<f64, Amf3Error> {
        self.array().map(f64::from_be_bytes)
    }

    /// Charges `n` produced bytes to the budget.
    fn charge(&mut self, n: usize, at: usize) -> Result<(), Amf3Error> {
        self.bytes = self.bytes.saturating_add(n);
        if self.bytes > self.limits.max_bytes {
            return Err(self.too_large(at));
        }
        Ok(())
    }

    fn too_large(&self, offset: usize) -> Amf3Error {
        Amf3Error::TooLarge {
            max_values: self.limits.max_values,
            max_bytes: self.limits.max_bytes,
            offset,
        }
    }

    /// Fails unless `count` items of at least `each` bytes fit in the input
    /// that is left.
    fn fits(&self, count: u32, each: usize, at: usize) -> Result<usize, Amf3Error> {
        let n = count as usize;
        if n.saturating_mul(each) > self.remaining() {
            return Err(Amf3Error::CountTooLarge { count, offset: at });
        }
        Ok(n)
    }

    /// `len` bytes of UTF-8, checked against the input before allocating.
    fn utf8(&mut self, len: usize) -> Result<String, Amf3Error> {
        let start = self.pos;
        let bytes = self.take(len)?;
        let text =
            std::str::from_utf8(bytes).map_err(|_| Amf3Error::InvalidUtf8 { offset: start })?;
        self.charge(len, start)?;
        Ok(text.to_owned())
    }

    /// A string inline or by reference (`UTF-8-vr`).
    fn string(&mut self) -> Result<String, Amf3Error> {
        let at = self.pos;
        let bits = self.u29()?;
        if bits & 1 == 0 {
            let index = bits >> 1;
            let len = self.tables.marks().strings;
            let text = match self.tables.strings.get(index as usize) {
                Some(text) if (index as usize) < len => text.clone(),
                _ => {
                    return Err(Amf3Error::BadReference {
                        table: "string",
                        index,
                        len,
                        offset: at,
                    })
                }
            };
            self.charge(text.len(), at)?;
            return Ok(text);
        }
        let text = self.utf8((bits >> 1) as usize)?;
        if !text.is_empty() {
            self.tables.add_string(&text);
        }
        Ok(text)
    }

    /// The header of a value kept in the object table, whose marker is at
    /// `start`: a reference is resolved, an inline value gets its entry.
    fn header(&mut self, start: usize, depth: usize) -> Result<Header, Amf3Error> {
        let marks = self.tables.marks();
        let at = self.pos;
        let bits = self.u29()?;
        if bits & 1 == 0 {
            return self.replay(bits >> 1, at, depth).map(Header::Reference);
        }
        Ok(Header::Inline(
            bits >> 1,
            self.tables.add_object(start, marks),
        ))
    }

    /// The value object entry `index` refers to, decoded again from where it
    /// was first read, with the tables as they were there.
    fn replay(&mut self, index: u32, at: usize, depth: usize) -> Result<Value, Amf3Error> {
        let len = self.tables.marks().objects;
        let slot = match self.tables.objects.get(index as usize) {
            Some(slot) if (index as usize) < len => *slot,
            _ => {
                return Err(Amf3Error::BadReference {
                    table: "object",
                    index,
                    len,
                    offset: at,
                })
            }
        };
        if !slot.done {
            return Err(Amf3Error::CyclicReference { index, offset: at });
        }
        let resume = std::mem::replace(&mut self.pos, slot.offset);
        let outer = self.tables.replay.replace(slot.marks);
        let value = self.value(depth);
        self.pos = resume;
        self.tables.replay = outer;
        value
    }

    /// Checks that one more container level is allowed.
    fn enter(&self, depth: usize, start: usize) -> Result<usize, Amf3Error> {
        if depth >= self.limits.max_depth {
            return Err(Amf3Error::TooDeep {
                max_depth: self.limits.max_depth,
                offset: start,
            });
        }
        Ok(depth + 1)
    }

    /// One value; `depth` is how many containers enclose it.
    fn value(&mut self, depth: usize) -> Result<Value, Amf3Error> {
        let start = self.pos;
        if self.values >= self.limits.max_values {
            return Err(self.too_large(start));
        }
        let [marker] = self.array()?;
        self.values += 1;
        Ok(match marker {
            marker::UNDEFINED => Value::Undefined,
            marker::NULL => Value::Null,
            marker::FALSE => Value::Boolean(false),
            marker::TRUE => Value::Boolean(true),
            marker::INTEGER => Value::Integer(u29::to_i29(self.u29()?)),
            marker::DOUBLE => Value::Double(self.f64()?),
            marker::STRING => Value::String(self.string()?),
            marker::OBJECT => self.object(start, depth)?,
            marker::FIRST_UNKNOWN.. => {
                return Err(Amf3Error::UnknownMarker {
                    marker,
                    offset: start,
                })
            }
            _ => match self.header(start, depth)? {
                Header::Reference(value) => value,
                Header::Inline(bits, index) => {
                    let value = self.inline(marker, bits, start, depth)?;
                    self.tables.finish(index);
                    value
                }
            },
        })
    }

    /// The body of an inline value of the object table (not an object).
    fn inline(
        &mut self,
        marker: u8,
        bits: u32,
        start: usize,
        depth: usize,
    ) -> Result<Value, Amf3Error> {
        let at = self.pos;
        Ok(match marker {
            marker::XML_DOCUMENT => Value::XmlDocument(self.utf8(bits as usize)?),
            marker::XML => Value::Xml(self.utf8(bits as usize)?),
            marker::DATE => Value::Date(self.f64()?),
            marker::BYTE_ARRAY => {
                let bytes = self.take(bits as usize)?.to_vec();
                self.charge(bytes.len(), at)?;
                Value::ByteArray(bytes)
            }
            marker::ARRAY => Value::Array(self.array_body(bits, start, depth)?),
            marker::VECTOR_INT => Value::VectorInt(self.numbers(bits, at, i32::from_be_bytes)?),
            marker::VECTOR_UINT => Value::VectorUint(self.numbers(bits, at, u32::from_be_bytes)?),
            marker::VECTOR_DOUBLE => {
                Value::VectorDouble(self.numbers(bits, at, f64::from_be_bytes)?)
            }
            marker::VECTOR_OBJECT => {
                let depth = self.enter(depth, start)?;
                let [fixed] = self.array()?;
                let type_name = self.string()?;
                let n = self.fits(bits, 1, at)?;
                let mut items = Vec::new();
                for _ in 0..n {
                    items.push(self.value(depth)?);
                }
                Value::VectorObject {
                    type_name,
                    vector: Vector {
                        fixed: fixed != 0,
                        items,
                    },
                }
            }
            _ => {
                let depth = self.enter(depth, start)?;
                let [weak] = self.array()?;
                let n = self.fits(bits, 2, at)?;
                let mut entries = Vec::new();
                for _ in 0..n {
                    let key = self.value(depth)?;
                    entries.push((key, self.value(depth)?));
                }
                Value::Dictionary(Dictionary {
                    weak_keys: weak != 0,
                    entries,
                })
            }
        })
    }

    /// A vector of `N`-byte big-endian numbers after its header.
    fn numbers<T, const N: usize>(
        &mut self,
        count: u32,
        at: usize,
        read: fn([u8; N]) -> T,
    ) -> Result<Vector<T>, Amf3Error> {
        let [fixed] = self.array()?;
        let n = self.fits(count, N, at)?;
        if self.values.saturating_add(n) > self.limits.max_values {
            return Err(self.too_large(at));
        }
        self.values += n;
        // Checked against the input above: at most one item per N bytes left.
        let mut items = Vec::with_capacity(n);
        for _ in 0..n {
            items.push(read(self.array()?));
        }
        Ok(Vector {
            fixed: fixed != 0,
            items,
        })
    }

    /// An array after its header: the associative part up to an empty key,
    /// then `count` dense values.
    fn array_body(&mut self, count: u32, start: usize, depth: usize) -> Result<Array, Amf3Error> {
        let at = self.pos;
        let depth = self.enter(depth, start)?;
        let n = self.fits(count, 1, at)?;
        let associative = self.members(depth)?;
        let n = self.fits(n as u32, 1, at)?;
        let mut dense = Vec::new();
        for _ in 0..n {
            dense.push(self.value(depth)?);
        }
        Ok(Array { associative, dense })
    }

    /// Name and value pairs up to an empty name.
    fn members(&mut self, depth: usize) -> Result<Vec<(String, Value)>, Amf3Error> {
        let mut members = Vec::new();
        loop {
            let key = self.string()?;
            if key.is_empty() {
                return Ok(members);
            }
            members.push((key, self.value(depth)?));
        }
    }

    /// An object after its marker at `start`.
    fn object(&mut self, start: usize, depth: usize) -> Result<Value, Amf3Error> {
        let (bits, index) = match self.header(start, depth)? {
            Header::Reference(value) => return Ok(value),
            Header::Inline(bits, index) => (bits, index),
        };
        let depth = self.enter(depth, start)?;
        let traits = self.traits(bits, start)?;
        let mut sealed = Vec::new();
        for name in traits.sealed {
            sealed.push((name, self.value(depth)?));
        }
        let dynamic = match traits.dynamic {
            true => Some(self.members(depth)?),
            false => None,
        };
        self.tables.finish(index);
        Ok(Value::Object(Object {
            class_name: traits.class_name,
            sealed,
            dynamic,
        }))
    }

    /// The traits of an object, from its header bits (without the inline
    /// object bit): a reference, externalizable (an error), or inline.
    fn traits(&mut self, bits: u32, start: usize) -> Result<Traits, Amf3Error> {
        // The header follows the marker.
        let at = start + 1;
        if bits & 1 == 0 {
            let index = bits >> 1;
            let len = self.tables.marks().traits;
            let traits = match self.tables.traits.get(index as usize) {
                Some(traits) if (index as usize) < len => traits.clone(),
                _ => {
                    return Err(Amf3Error::BadReference {
                        table: "traits",
                        index,
                        len,
                        offset: at,
                    })
                }
            };
            let names = traits.sealed.iter().map(String::len).sum::<usize>();
            self.charge(traits.class_name.len().saturating_add(names), at)?;
            return Ok(traits);
        }
        if bits & 2 != 0 {
            let class_name = self.string()?;
            return Err(Amf3Error::Externalizable {
                class_name,
                offset: start,
            });
        }
        let dynamic = bits & 4 != 0;
        // Each sealed member takes at least a name byte and a value byte.
        let n = self.fits(bits >> 3, 2, at)?;
        let class_name = self.string()?;
        let mut sealed = Vec::new();
        for _ in 0..n {
            sealed.push(self.string()?);
        }
        let traits = Traits {
            class_name,
            sealed,
            dynamic,
        };
        self.tables.add_traits(&traits);
        Ok(traits)
    }
}
