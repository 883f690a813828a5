//! `tpkt`: one TPKT packet (RFC 1006), handed out whole (4-byte header
//! included).
//!
//! ```text
//! 0         1          2                           4
//! +---------+----------+---------------------------+------------------+
//! | version | reserved | length (u16, big endian,  | length - 4 bytes |
//! | = 3     |          | counts these 4 bytes too) |                  |
//! +---------+----------+---------------------------+------------------+
//! ```
//!
//! A length of 4 is an empty packet; 0 to 3 are invalid.

use bytes::BufMut;

use super::{Header, PacketProblem, Parse};

/// The only TPKT version.
const VERSION: u8 = 3;

/// Reads a TPKT header once all 4 bytes are there.
pub(super) fn parse(buf: &[u8]) -> Result<Parse, PacketProblem> {
    let Some(&[version, _, hi, lo]) = buf.get(..4) else {
        return Ok(Parse::Partial);
    };
    if version != VERSION {
        return Err(PacketProblem::TpktVersion(version));
    }
    let length = u16::from_be_bytes([hi, lo]);
    if length < 4 {
        return Err(PacketProblem::TpktLength(length));
    }
    Ok(Parse::Done(Header {
        header: 4,
        len: u64::from(length - 4),
        trailer: 0,
    }))
}

/// Writes a version 3 header for `len` bytes after it (at most 65 531,
/// checked by the caller).
pub(super) fn write_header(len: usize, dst: &mut impl BufMut) {
    dst.put_slice(&[VERSION, 0]);
    dst.put_u16(len as u16 + 4);
}
