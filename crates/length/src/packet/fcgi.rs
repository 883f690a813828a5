//! `fcgi`: one FastCGI record. Handed out as Erlang does: the 8-byte header
//! and the content; the padding is consumed and dropped.
//!
//! ```text
//! 0        1      2            4                6               7          8
//! +--------+------+------------+----------------+---------------+----------+---------+---------+
//! | version| type | request id | content length | padding length| reserved | content | padding |
//! | = 1    |      | u16        | u16            | u8            |          |         |         |
//! +--------+------+------------+----------------+---------------+----------+---------+---------+
//! ```

use bytes::BufMut;

use super::{Header, PacketProblem, Parse};

/// The only FastCGI version.
const VERSION: u8 = 1;

/// The record type the encoder writes: `FCGI_STDOUT`.
const STDOUT: u8 = 6;

/// Reads a record header once all 8 bytes are there.
pub(super) fn parse(buf: &[u8]) -> Result<Parse, PacketProblem> {
    let Some(header) = buf.get(..8) else {
        return Ok(Parse::Partial);
    };
    if header[0] != VERSION {
        return Err(PacketProblem::FcgiVersion(header[0]));
    }
    Ok(Parse::Done(Header {
        header: 8,
        len: u64::from(u16::from_be_bytes([header[4], header[5]])),
        trailer: u64::from(header[6]),
    }))
}

/// Writes a version 1 `FCGI_STDOUT` record header for request 1 with `len`
/// content bytes (at most 65 535, checked by the caller) and no padding.
pub(super) fn write_header(len: usize, dst: &mut impl BufMut) {
    dst.put_slice(&[VERSION, STDOUT, 0, 1]);
    dst.put_u16(len as u16);
    dst.put_slice(&[0, 0]);
}
