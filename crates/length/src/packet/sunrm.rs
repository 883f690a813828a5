//! `sunrm`: one Sun RPC record-marking fragment, handed out whole (the
//! 4-byte record mark included). Fragments are not reassembled: each is its
//! own packet, the last-fragment bit is the application's to read.
//!
//! ```text
//! bit 31          bits 30..0
//! last fragment   fragment length       | fragment
//! ```

use bytes::BufMut;

use super::{Header, Parse};

/// The last-fragment bit of the record mark.
const LAST_FRAGMENT: u32 = 0x8000_0000;

/// Reads a record mark.
pub(super) fn parse(buf: &[u8]) -> Parse {
    let Some(&[a, b, c, d]) = buf.get(..4) else {
        return Parse::Partial;
    };
    let mark = u32::from_be_bytes([a, b, c, d]);
    Parse::Done(Header {
        header: 4,
        len: u64::from(mark & !LAST_FRAGMENT),
        trailer: 0,
    })
}

/// Writes the record mark of a last fragment of `len` bytes: every packet
/// sent is one whole record.
pub(super) fn write_header(len: usize, dst: &mut impl BufMut) {
    dst.put_u32(LAST_FRAGMENT | len as u32);
}
