//! The variable-length unsigned 29-bit integer (`U29`) of AMF3.
//!
//! ```text
//!  0x00000000 - 0x0000007F : 0xxxxxxx
//!  0x00000080 - 0x00003FFF : 1xxxxxxx 0xxxxxxx
//!  0x00004000 - 0x001FFFFF : 1xxxxxxx 1xxxxxxx 0xxxxxxx
//!  0x00200000 - 0x1FFFFFFF : 1xxxxxxx 1xxxxxxx 1xxxxxxx xxxxxxxx
//! ```

use bytes::{BufMut, BytesMut};

/// The largest `U29`.
pub const MAX: u32 = (1 << 29) - 1;

/// Reads a `U29` from the front of `input`: the value and how many bytes it
/// took.
///
/// # Errors
///
/// `Err(n)`: the input ends inside the `U29`, `n` more bytes are needed.
pub fn read(input: &[u8]) -> Result<(u32, usize), usize> {
    let mut value = 0u32;
    for i in 0..4 {
        let Some(&byte) = input.get(i) else {
            return Err(1);
        };
        if i == 3 {
            return Ok(((value << 8) | u32::from(byte), 4));
        }
        value = (value << 7) | u32::from(byte & 0x7F);
        if byte & 0x80 == 0 {
            return Ok((value, i + 1));
        }
    }
    unreachable!("the loop returns on its fourth byte")
}

/// Appends `value` (at most [`MAX`]; higher bits are dropped) in its
/// shortest form.
pub fn write(value: u32, out: &mut BytesMut) {
    let value = value & MAX;
    if value < 0x80 {
        out.put_u8(value as u8);
    } else if value < 0x4000 {
        out.put_slice(&[(value >> 7) as u8 | 0x80, (value & 0x7F) as u8]);
    } else if value < 0x20_0000 {
        out.put_slice(&[
            (value >> 14) as u8 | 0x80,
            ((value >> 7) & 0x7F) as u8 | 0x80,
            (value & 0x7F) as u8,
        ]);
    } else {
        out.put_slice(&[
            (value >> 22) as u8 | 0x80,
            ((value >> 15) & 0x7F) as u8 | 0x80,
            ((value >> 8) & 0x7F) as u8 | 0x80,
            value as u8,
        ]);
    }
}

/// The signed integer of an integer marker: the 29 bits read as two's
/// complement.
pub fn to_i29(value: u32) -> i32 {
    ((value << 3) as i32) >> 3
}

/// The 29 two's complement bits of `value` (which must be in range).
pub fn from_i29(value: i32) -> u32 {
    (value as u32) & MAX
}
