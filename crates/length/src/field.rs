//! The length field itself: its width and how its value is read and written.

use bytes::BufMut;

use crate::varint;

/// The encoding of the length field.
///
/// Fixed widths are read big endian unless the [`LengthConfig`](crate::LengthConfig)
/// says [`little_endian`](crate::LengthConfig::little_endian); `Varint` is
/// unsigned LEB128 (protobuf style), which has no endianness.
///
/// ```text
/// value 300 as  U16 big endian: 01 2C
///               U16 little:     2C 01
///               U24 big endian: 00 01 2C
///               Varint:         AC 02
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LengthField {
    /// One byte: lengths up to 255 (Erlang `{packet,1}`).
    U8,
    /// Two bytes: lengths up to 65 535 (Erlang `{packet,2}`).
    U16,
    /// Three bytes: lengths up to 16 777 215.
    U24,
    /// Four bytes (Erlang `{packet,4}`).
    U32,
    /// Eight bytes.
    U64,
    /// Unsigned LEB128, 1 to 10 bytes.
    Varint,
}

impl LengthField {
    /// The field width in bytes, `None` for [`Varint`](LengthField::Varint).
    ///
    /// ```
    /// use wirestate_length::LengthField;
    /// assert_eq!(LengthField::U24.fixed_width(), Some(3));
    /// assert_eq!(LengthField::Varint.fixed_width(), None);
    /// ```
    pub const fn fixed_width(self) -> Option<usize> {
        match self {
            LengthField::U8 => Some(1),
            LengthField::U16 => Some(2),
            LengthField::U24 => Some(3),
            LengthField::U32 => Some(4),
            LengthField::U64 => Some(8),
            LengthField::Varint => None,
        }
    }

    /// The most bytes the field can take: its width, or 10 for a varint.
    pub const fn max_width(self) -> usize {
        match self.fixed_width() {
            Some(width) => width,
            None => varint::MAX_LEN,
        }
    }

    /// The largest value the field can hold.
    ///
    /// ```
    /// use wirestate_length::LengthField;
    /// assert_eq!(LengthField::U16.max_value(), 65_535);
    /// assert_eq!(LengthField::Varint.max_value(), u64::MAX);
    /// ```
    pub const fn max_value(self) -> u64 {
        match self.fixed_width() {
            Some(8) | None => u64::MAX,
            Some(width) => (1 << (8 * width)) - 1,
        }
    }

    /// How many bytes the field takes to hold `value`.
    pub(crate) fn encoded_len(self, value: u64) -> usize {
        match self.fixed_width() {
            Some(width) => width,
            None => varint::encoded_len(value),
        }
    }

    /// Appends `value`, which the caller has checked against
    /// [`max_value`](LengthField::max_value).
    pub(crate) fn write(self, value: u64, big_endian: bool, dst: &mut impl BufMut) {
        match self.fixed_width() {
            Some(width) if big_endian => dst.put_uint(value, width),
            Some(width) => dst.put_uint_le(value, width),
            None => varint::write(value, dst),
        }
    }
}

/// Reads a fixed-width field of `bytes.len()` bytes (1, 2, 3, 4 or 8).
#[inline]
pub(crate) fn read_fixed(bytes: &[u8], big_endian: bool) -> u64 {
    // One arm per width, so each read is a single load (and byte swap).
    match (bytes, big_endian) {
        (&[a], _) => u64::from(a),
        (&[a, b], true) => u64::from(u16::from_be_bytes([a, b])),
        (&[a, b], false) => u64::from(u16::from_le_bytes([a, b])),
        (&[a, b, c], true) => u64::from(u32::from_be_bytes([0, a, b, c])),
        (&[a, b, c], false) => u64::from(u32::from_le_bytes([a, b, c, 0])),
        (&[a, b, c, d], true) => u64::from(u32::from_be_bytes([a, b, c, d])),
        (&[a, b, c, d], false) => u64::from(u32::from_le_bytes([a, b, c, d])),
        _ => {
            let mut word = [0u8; 8];
            if big_endian {
                word[8 - bytes.len()..].copy_from_slice(bytes);
                u64::from_be_bytes(word)
            } else {
                word[..bytes.len()].copy_from_slice(bytes);
                u64::from_le_bytes(word)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_fields_read_what_they_write() {
        let cases = [
            (LengthField::U8, 0xab, true, &[0xab][..]),
            (LengthField::U16, 300, true, &[0x01, 0x2c][..]),
            (LengthField::U16, 300, false, &[0x2c, 0x01][..]),
            (LengthField::U24, 0x01_02_03, true, &[0x01, 0x02, 0x03][..]),
            (LengthField::U24, 0x01_02_03, false, &[0x03, 0x02, 0x01][..]),
            (
                LengthField::U32,
                70_000,
                true,
                &[0x00, 0x01, 0x11, 0x70][..],
            ),
            (
                LengthField::U64,
                u64::MAX - 1,
                false,
                &[0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff][..],
            ),
        ];
        for (field, value, big_endian, wire) in cases {
            let mut out = Vec::new();
            field.write(value, big_endian, &mut out);
            assert_eq!(out, wire, "{field:?} {value}");
            assert_eq!(read_fixed(wire, big_endian), value, "{field:?} {value}");
            assert_eq!(field.encoded_len(value), wire.len());
        }
    }

    #[test]
    fn max_values() {
        assert_eq!(LengthField::U8.max_value(), 255);
        assert_eq!(LengthField::U24.max_value(), 16_777_215);
        assert_eq!(LengthField::U32.max_value(), u64::from(u32::MAX));
        assert_eq!(LengthField::U64.max_value(), u64::MAX);
        assert_eq!(LengthField::Varint.max_width(), 10);
    }
}
