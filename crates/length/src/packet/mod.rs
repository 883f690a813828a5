//! Erlang's `decode_packet` packet types beyond `{packet,N}`: `asn1`, `cdr`,
//! `sunrm`, `fcgi`, `tpkt` and `raw`, as framings of the length crate.
//!
//! Each type has its file: the header parser (exactly what
//! `erlang:decode_packet/3` accepts, checked against OTP 25) and the header
//! encoder. The decoder in `decode.rs` runs them; `raw` needs no header and
//! is handled there.

mod asn1;
mod cdr;
mod fcgi;
mod sunrm;
mod tpkt;

use std::fmt;
use std::str::FromStr;

use bytes::BufMut;

use crate::LengthConfig;

/// The largest packet, header included, Erlang accepts: its lengths are C
/// `int`s, so header + body must fit a signed 32-bit integer.
pub(crate) const MAX_PACKET_TOTAL: u64 = i32::MAX as u64;

/// One of Erlang's `decode_packet` packet types other than `{packet,1|2|4}`
/// and `line`, named as Erlang names them (see
/// [`LengthConfig::erlang_packet`] for the framing and its two views).
///
/// ```text
/// asn1   tag (1 byte, or 0x1F-style long form), length (short form, 0x80 = 0,
///        0x81..0x84 + 1..4 bytes), content
/// cdr    "GIOP" v v flags type | message_size (u32, flags bit 0: 1 = little endian) | body
/// sunrm  u32 record mark: bit 31 last fragment, bits 30..0 the fragment length | fragment
/// fcgi   version=1 type id id | content_len (u16) padding_len (u8) reserved | content padding
/// tpkt   version=3 reserved | length (u16, counts these 4 bytes) | body
/// raw    no header: every byte that arrived is the packet
/// ```
///
/// Parsed from the Erlang name:
///
/// ```
/// use wirestate_length::ErlangPacket;
/// assert_eq!("tpkt".parse::<ErlangPacket>(), Ok(ErlangPacket::Tpkt));
/// assert_eq!(ErlangPacket::Asn1.to_string(), "asn1");
/// assert!("packet".parse::<ErlangPacket>().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErlangPacket {
    /// ASN.1 BER tag-length-value, definite or (read as empty) indefinite length.
    Asn1,
    /// CORBA GIOP 1.x: a 12-byte header that starts with `GIOP`.
    Cdr,
    /// Sun RPC over TCP: a 4-byte record mark per fragment (fragments are
    /// not reassembled: each is a packet).
    Sunrm,
    /// FastCGI records: an 8-byte header, content, padding.
    Fcgi,
    /// TPKT (RFC 1006, ISO transport over TCP): a 4-byte header, version 3.
    Tpkt,
    /// No framing: every packet is the bytes that arrived (Erlang's `raw`
    /// or `0`).
    Raw,
}

impl ErlangPacket {
    /// Every packet type, in the order of the Erlang documentation.
    pub const ALL: [ErlangPacket; 6] = [
        ErlangPacket::Asn1,
        ErlangPacket::Cdr,
        ErlangPacket::Sunrm,
        ErlangPacket::Fcgi,
        ErlangPacket::Tpkt,
        ErlangPacket::Raw,
    ];

    /// The Erlang name: `asn1`, `cdr`, `sunrm`, `fcgi`, `tpkt` or `raw`.
    pub const fn name(self) -> &'static str {
        match self {
            ErlangPacket::Asn1 => "asn1",
            ErlangPacket::Cdr => "cdr",
            ErlangPacket::Sunrm => "sunrm",
            ErlangPacket::Fcgi => "fcgi",
            ErlangPacket::Tpkt => "tpkt",
            ErlangPacket::Raw => "raw",
        }
    }

    /// The fewest bytes a header of this type takes (0 for `raw`).
    pub const fn min_header_len(self) -> usize {
        match self {
            ErlangPacket::Asn1 => 2,
            ErlangPacket::Cdr => 12,
            ErlangPacket::Sunrm | ErlangPacket::Tpkt => 4,
            ErlangPacket::Fcgi => 8,
            ErlangPacket::Raw => 0,
        }
    }

    /// The longest payload (the bytes after the header) the encoder can
    /// frame, before the configured limit: what the length field can say,
    /// with header + payload within a signed 32-bit integer.
    pub const fn max_payload_len(self) -> usize {
        match self {
            // Header of 6 bytes (a one-byte tag, 0x84 and four bytes).
            ErlangPacket::Asn1 => MAX_PACKET_TOTAL as usize - 6,
            ErlangPacket::Cdr => MAX_PACKET_TOTAL as usize - 12,
            ErlangPacket::Sunrm => MAX_PACKET_TOTAL as usize - 4,
            ErlangPacket::Fcgi => u16::MAX as usize,
            ErlangPacket::Tpkt => u16::MAX as usize - 4,
            ErlangPacket::Raw => usize::MAX,
        }
    }
}

impl fmt::Display for ErlangPacket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A name that is not one of Erlang's packet types, from
/// [`ErlangPacket::from_str`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown Erlang packet type {0:?}; expected asn1, cdr, sunrm, fcgi, tpkt or raw")]
pub struct UnknownPacketType(pub String);

impl FromStr for ErlangPacket {
    type Err = UnknownPacketType;

    /// The packet type of that Erlang name; `0` is `raw`, as in Erlang.
    ///
    /// # Errors
    ///
    /// [`UnknownPacketType`] for any other name.
    fn from_str(name: &str) -> Result<ErlangPacket, UnknownPacketType> {
        match name {
            "0" => Ok(ErlangPacket::Raw),
            _ => ErlangPacket::ALL
                .into_iter()
                .find(|packet| packet.name() == name)
                .ok_or_else(|| UnknownPacketType(name.to_owned())),
        }
    }
}

/// Why a header is not one `decode_packet` accepts (Erlang's `{error,
/// invalid}`), in [`LengthError::InvalidPacket`](crate::LengthError::InvalidPacket).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PacketProblem {
    /// asn1: a long-form length of more than 4 bytes (`0x85..0xFF`).
    #[error("ASN.1 length byte {0:#04x}: more than 4 length bytes")]
    Asn1LengthForm(u8),
    /// cdr: the header does not start with `GIOP`.
    #[error("GIOP magic expected, got {0:02x?}")]
    CdrMagic([u8; 4]),
    /// fcgi: the version byte is not 1.
    #[error("FastCGI version {0}, expected 1")]
    FcgiVersion(u8),
    /// tpkt: the version byte is not 3.
    #[error("TPKT version {0}, expected 3")]
    TpktVersion(u8),
    /// tpkt: a length below 4, the header's own size.
    #[error("TPKT length {0} is shorter than its 4-byte header")]
    TpktLength(u16),
    /// Header and body together over `i32::MAX` bytes.
    #[error("packet of {0} bytes with its header, over 2^31 - 1")]
    TooLong(u64),
}

/// A parsed header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Header {
    /// The header's length.
    pub(crate) header: usize,
    /// The bytes after the header that belong to the packet.
    pub(crate) len: u64,
    /// Bytes after those that are consumed and dropped (fcgi padding).
    pub(crate) trailer: u64,
}

/// What the bytes at the front of the buffer say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Parse {
    /// The header is incomplete.
    Partial,
    /// A complete header.
    Done(Header),
}

/// Reads the header of a `packet` (not `raw`) at the front of `buf`.
/// `scan` carries, between calls on the same header, how far a long asn1 tag
/// was already found to continue, so a long tag arriving byte by byte is
/// scanned once; it starts at 0 for every header.
pub(crate) fn parse(
    packet: ErlangPacket,
    buf: &[u8],
    scan: &mut usize,
) -> Result<Parse, PacketProblem> {
    let parsed = match packet {
        ErlangPacket::Asn1 => asn1::parse(buf, scan)?,
        ErlangPacket::Cdr => cdr::parse(buf)?,
        ErlangPacket::Sunrm => sunrm::parse(buf),
        ErlangPacket::Fcgi => fcgi::parse(buf)?,
        ErlangPacket::Tpkt => tpkt::parse(buf)?,
        ErlangPacket::Raw => return Ok(Parse::Partial),
    };
    if let Parse::Done(header) = parsed {
        let total = header.header as u64 + header.len + header.trailer;
        if total > MAX_PACKET_TOTAL {
            return Err(PacketProblem::TooLong(total));
        }
    }
    Ok(parsed)
}

/// The header's length for a payload of `len` bytes (checked by the caller
/// against [`ErlangPacket::max_payload_len`]).
pub(crate) fn header_len(packet: ErlangPacket, len: usize) -> usize {
    match packet {
        ErlangPacket::Asn1 => asn1::header_len(len),
        ErlangPacket::Raw => 0,
        other => other.min_header_len(),
    }
}

/// Appends the header for a payload of `len` bytes (checked by the caller).
pub(crate) fn write_header(
    config: &LengthConfig,
    packet: ErlangPacket,
    len: usize,
    dst: &mut impl BufMut,
) {
    match packet {
        ErlangPacket::Asn1 => asn1::write_header(config.asn1_tag_byte(), len, dst),
        ErlangPacket::Cdr => cdr::write_header(config.is_big_endian(), len, dst),
        ErlangPacket::Sunrm => sunrm::write_header(len, dst),
        ErlangPacket::Fcgi => fcgi::write_header(len, dst),
        ErlangPacket::Tpkt => tpkt::write_header(len, dst),
        ErlangPacket::Raw => {}
    }
}
