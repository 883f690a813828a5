//! `cdr`: a CORBA GIOP message, handed out whole (12-byte header included).
//!
//! ```text
//! 0      4       6      7      8              12
//! +------+-------+------+------+--------------+----------------+
//! | GIOP | major | flags| type | message_size | message_size   |
//! |      | minor |      |      | u32          | bytes          |
//! +------+-------+------+------+--------------+----------------+
//! ```
//!
//! Only the magic is checked. Bit 0 of the flags gives the byte order of
//! `message_size`: 1 little endian, 0 big endian (GIOP 1.0's byte-order
//! boolean is the same bit).

use bytes::BufMut;

use super::{Header, PacketProblem, Parse};

const MAGIC: [u8; 4] = *b"GIOP";

/// Reads a GIOP header once all 12 bytes are there.
pub(super) fn parse(buf: &[u8]) -> Result<Parse, PacketProblem> {
    let Some(header) = buf.get(..12) else {
        return Ok(Parse::Partial);
    };
    let magic = [header[0], header[1], header[2], header[3]];
    if magic != MAGIC {
        return Err(PacketProblem::CdrMagic(magic));
    }
    let size = [header[8], header[9], header[10], header[11]];
    let len = if header[6] & 1 == 1 {
        u32::from_le_bytes(size)
    } else {
        u32::from_be_bytes(size)
    };
    Ok(Parse::Done(Header {
        header: 12,
        len: u64::from(len),
        trailer: 0,
    }))
}

/// Writes a GIOP 1.0 Request header (message type 0) announcing `len`
/// bytes, in the given byte order (flags bit 0 set for little endian).
pub(super) fn write_header(big_endian: bool, len: usize, dst: &mut impl BufMut) {
    dst.put_slice(&MAGIC);
    dst.put_slice(&[1, 0, u8::from(!big_endian), 0]);
    if big_endian {
        dst.put_u32(len as u32);
    } else {
        dst.put_u32_le(len as u32);
    }
}
