//! Unsigned LEB128 ("varint", protobuf style): 7 bits per byte, least
//! significant group first, the high bit set on every byte but the last.
//!
//! ```text
//!   300 = 0b10_0101100  ->  0xAC 0x02
//!          \_/ \_____/
//!           |     +---- low 7 bits, sent first with the continuation bit: 0x80 | 0x2C
//!           +---------- high bits, sent last without it: 0x02
//! ```
//!
//! A `u64` needs at most 10 bytes, and the tenth can only carry one bit.

/// The longest varint that encodes a `u64`.
pub(crate) const MAX_LEN: usize = 10;

/// Outcome of reading a varint at the start of a byte slice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum VarintRead {
    /// A complete varint: its value and how many bytes it took.
    Done { value: u64, len: usize },
    /// The slice ends before the last byte of the varint.
    Partial,
    /// More than 64 bits.
    Overflow,
    /// A valid value with a trailing zero group (`0x80 0x00` for 0 ...).
    NonMinimal { value: u64, len: usize },
}

/// Reads one varint from the start of `bytes`. Looks at no more than
/// [`MAX_LEN`] bytes, so callers may call it again on every push.
pub(crate) fn read(bytes: &[u8]) -> VarintRead {
    let mut value = 0u64;
    for (i, &byte) in bytes.iter().take(MAX_LEN).enumerate() {
        let group = u64::from(byte & 0x7f);
        if i == MAX_LEN - 1 && byte > 1 {
            // The tenth byte holds bit 63 only; anything else overflows.
            return VarintRead::Overflow;
        }
        value |= group << (7 * i);
        if byte & 0x80 == 0 {
            let len = i + 1;
            return if byte == 0 && len > 1 {
                VarintRead::NonMinimal { value, len }
            } else {
                VarintRead::Done { value, len }
            };
        }
    }
    VarintRead::Partial
}

/// How many bytes [`write`] uses for `value`.
pub(crate) fn encoded_len(value: u64) -> usize {
    let bits = 64 - (value | 1).leading_zeros() as usize;
    bits.div_ceil(7)
}

/// Appends the minimal encoding of `value` to `dst`.
pub(crate) fn write(mut value: u64, dst: &mut impl bytes::BufMut) {
    while value >= 0x80 {
        dst.put_u8((value as u8 & 0x7f) | 0x80);
        value >>= 7;
    }
    dst.put_u8(value as u8);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encode(value: u64) -> Vec<u8> {
        let mut out = Vec::new();
        write(value, &mut out);
        out
    }

    #[test]
    fn table() {
        use VarintRead::*;
        let cases: &[(&[u8], VarintRead)] = &[
            (&[], Partial),
            (&[0x00], Done { value: 0, len: 1 }),
            (&[0x7f], Done { value: 127, len: 1 }),
            (&[0x80], Partial),
            (&[0x80, 0x01], Done { value: 128, len: 2 }),
            (&[0xac, 0x02, 0xff], Done { value: 300, len: 2 }),
            (&[0x80, 0x00], NonMinimal { value: 0, len: 2 }),
            (&[0xff, 0x00], NonMinimal { value: 127, len: 2 }),
            (&[0x80; 9], Partial),
            (
                &[0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01],
                Done {
                    value: 1 << 63,
                    len: 10,
                },
            ),
            (
                &[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01],
                Done {
                    value: u64::MAX,
                    len: 10,
                },
            ),
            (
                &[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02],
                Overflow,
            ),
            (&[0x80; 10], Overflow),
            (&[0x80; 11], Overflow),
            (
                &[0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00],
                NonMinimal { value: 0, len: 10 },
            ),
        ];
        for (input, expected) in cases {
            assert_eq!(read(input), *expected, "input {input:02x?}");
        }
    }

    #[test]
    fn round_trip_and_length() {
        for value in [
            0,
            1,
            127,
            128,
            300,
            16_383,
            16_384,
            1 << 35,
            1 << 63,
            u64::MAX,
        ] {
            let bytes = encode(value);
            assert_eq!(bytes.len(), encoded_len(value), "value {value}");
            assert_eq!(
                read(&bytes),
                VarintRead::Done {
                    value,
                    len: bytes.len()
                }
            );
        }
        assert_eq!(encode(0), [0x00]);
        assert_eq!(encode(127), [0x7f]);
        assert_eq!(encode(128), [0x80, 0x01]);
        assert_eq!(encode(1 << 63).len(), 10);
    }
}
