//! `asn1`: a BER tag-length-value, handed out whole (tag and length included).
//!
//! ```text
//! tag     1 byte; if its low five bits are all ones, more tag bytes follow
//!         while bit 8 is set (as many as come: Erlang sets no bound)
//! length  0x00..0x7F        the length itself (short form)
//!         0x80              indefinite: read as length 0 (the packet is the header)
//!         0x81..0x84 + 1..4 big-endian bytes (non-minimal accepted)
//!         0x85..0xFF        invalid, once that many length bytes have arrived
//! content the length's bytes
//! ```

use bytes::BufMut;

use super::{Header, PacketProblem, Parse};

/// The low five bits of a first tag byte that announce more tag bytes.
const LONG_TAG: u8 = 0x1f;

/// Reads a tag and a length; `scan` is where the tag scan resumes (see
/// [`super::parse`]).
pub(super) fn parse(buf: &[u8], scan: &mut usize) -> Result<Parse, PacketProblem> {
    if buf.len() < 2 {
        return Ok(Parse::Partial);
    }
    let mut tag_end = 1;
    if buf[0] & LONG_TAG == LONG_TAG {
        // Bytes 1..scan are known to carry bit 8: resume after them.
        let mut at = (*scan).max(1);
        loop {
            match buf.get(at) {
                None => {
                    *scan = at;
                    return Ok(Parse::Partial);
                }
                Some(&byte) if byte & 0x80 != 0 => at += 1,
                Some(_) => break,
            }
        }
        *scan = at;
        tag_end = at + 1;
    }
    let Some(&first) = buf.get(tag_end) else {
        return Ok(Parse::Partial);
    };
    let start = tag_end + 1;
    if first & 0x80 == 0 {
        return Ok(Parse::Done(Header {
            header: start,
            len: u64::from(first),
            trailer: 0,
        }));
    }
    // Long form; 0x80 (indefinite) has no length bytes and reads as 0.
    let count = usize::from(first & 0x7f);
    if buf.len() < start + count {
        return Ok(Parse::Partial);
    }
    if count > 4 {
        return Err(PacketProblem::Asn1LengthForm(first));
    }
    let len = buf[start..start + count]
        .iter()
        .fold(0u64, |len, &byte| len << 8 | u64::from(byte));
    Ok(Parse::Done(Header {
        header: start + count,
        len,
        trailer: 0,
    }))
}

/// Length bytes of the minimal long form of `len` (0 for the short form).
fn long_form_bytes(len: usize) -> usize {
    if len < 0x80 {
        0
    } else {
        (usize::BITS - len.leading_zeros()).div_ceil(8) as usize
    }
}

/// The header for `len` content bytes under a one-byte `tag`.
pub(super) fn header_len(len: usize) -> usize {
    2 + long_form_bytes(len)
}

/// Writes `tag` and the minimal definite length of `len` (at most
/// `u32::MAX`, checked by the caller).
pub(super) fn write_header(tag: u8, len: usize, dst: &mut impl BufMut) {
    dst.put_u8(tag);
    match long_form_bytes(len) {
        0 => dst.put_u8(len as u8),
        count => {
            dst.put_u8(0x80 | count as u8);
            dst.put_uint(len as u64, count);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minimal_lengths() {
        let cases: [(usize, &[u8]); 6] = [
            (0, &[0x30, 0x00]),
            (127, &[0x30, 0x7f]),
            (128, &[0x30, 0x81, 0x80]),
            (255, &[0x30, 0x81, 0xff]),
            (256, &[0x30, 0x82, 0x01, 0x00]),
            (0x0100_0000, &[0x30, 0x84, 0x01, 0x00, 0x00, 0x00]),
        ];
        for (len, wire) in cases {
            let mut out = Vec::new();
            write_header(0x30, len, &mut out);
            assert_eq!(out, wire, "{len}");
            assert_eq!(header_len(len), wire.len());
            let parsed = parse(&out, &mut 0).unwrap();
            let expected = Header {
                header: wire.len(),
                len: len as u64,
                trailer: 0,
            };
            assert_eq!(parsed, Parse::Done(expected));
        }
    }

    #[test]
    fn a_long_tag_is_scanned_once() {
        let mut scan = 0;
        let mut wire = vec![0x1f];
        wire.extend([0x81; 100]);
        assert_eq!(parse(&wire, &mut scan), Ok(Parse::Partial));
        assert_eq!(scan, 101);
        wire.extend([0x01, 0x00]);
        let expected = Header {
            header: 103,
            len: 0,
            trailer: 0,
        };
        assert_eq!(parse(&wire, &mut scan), Ok(Parse::Done(expected)));
        assert_eq!(parse(&wire, &mut 0), Ok(Parse::Done(expected)));
    }
}
