//! Chunk basic headers and message headers: sizes and the encoder's writer.
//!
//! The decoder reads headers in [`ChunkDecoder`](super::ChunkDecoder); both sides share
//! the size rules here.

use bytes::{BufMut, BytesMut};

/// The lowest chunk stream id a message may use (0 and 1 select the longer
/// basic header forms).
pub const MIN_CSID: u32 = 2;
/// The highest chunk stream id the 3-byte basic header can express.
pub const MAX_CSID: u32 = 65_599;
/// The timestamp field value that says "the real value is in the 4-byte
/// extended timestamp that follows".
pub const EXTENDED_TIMESTAMP: u32 = 0x00FF_FFFF;
/// The largest possible chunk header: 3-byte basic header, 11-byte message
/// header, 4-byte extended timestamp.
pub const MAX_HEADER_LEN: usize = 3 + 11 + 4;

/// The length of the basic header announced by its first byte.
pub(crate) fn basic_header_len(first: u8) -> usize {
    match first & 0x3F {
        0 => 2,
        1 => 3,
        _ => 1,
    }
}

/// The length of the message header of chunk format `fmt` (0 to 3).
pub(crate) fn message_header_len(fmt: u8) -> usize {
    match fmt {
        0 => 11,
        1 => 7,
        2 => 3,
        _ => 0,
    }
}

/// Reads the chunk stream id from a complete basic header.
pub(crate) fn read_csid(basic: &[u8]) -> u32 {
    match basic[0] & 0x3F {
        0 => 64 + u32::from(basic[1]),
        // The 3-byte form is little-endian: the second byte is the low one.
        1 => 64 + u32::from(basic[1]) + 256 * u32::from(basic[2]),
        id => u32::from(id),
    }
}

/// Reads a 24-bit big-endian field.
pub(crate) fn read_u24(b: &[u8]) -> u32 {
    u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2])
}

/// Reads a 32-bit big-endian field.
pub(crate) fn read_u32(b: &[u8]) -> u32 {
    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
}

/// Appends the shortest basic header for `fmt` and `csid` (2..=65599).
pub(crate) fn put_basic_header(fmt: u8, csid: u32, out: &mut BytesMut) {
    let fmt = fmt << 6;
    if csid < 64 {
        out.put_u8(fmt | csid as u8);
    } else if csid < 320 {
        out.put_u8(fmt);
        out.put_u8((csid - 64) as u8);
    } else {
        let id = csid - 64;
        out.put_u8(fmt | 1);
        out.put_u8(id as u8);
        out.put_u8((id >> 8) as u8);
    }
}

/// Appends a 24-bit big-endian field (the caller keeps `value` below 2^24).
pub(crate) fn put_u24(value: u32, out: &mut BytesMut) {
    out.put_slice(&value.to_be_bytes()[1..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_header_forms_round_trip() {
        // csid, expected bytes for fmt 1
        let cases: &[(u32, &[u8])] = &[
            (2, &[0x42]),
            (63, &[0x7F]),
            (64, &[0x40, 0x00]),
            (319, &[0x40, 0xFF]),
            (320, &[0x41, 0x00, 0x01]),
            (65_599, &[0x41, 0xFF, 0xFF]),
        ];
        for &(csid, bytes) in cases {
            let mut out = BytesMut::new();
            put_basic_header(1, csid, &mut out);
            assert_eq!(&out[..], bytes, "csid {csid}");
            assert_eq!(basic_header_len(out[0]), bytes.len(), "csid {csid}");
            assert_eq!(read_csid(&out), csid, "csid {csid}");
        }
    }

    #[test]
    fn three_byte_form_is_little_endian() {
        // 64 + 0x34 + 0x12 * 256
        assert_eq!(read_csid(&[0x01, 0x34, 0x12]), 64 + 0x1234);
    }
}
