//! [`LengthConfig`]: the configuration shared by the decoder and the encoder, and
//! the encoder itself.

use bytes::{BufMut, Bytes, BytesMut};

use crate::packet::{self, ErlangPacket, MAX_PACKET_TOTAL};
use crate::{LengthField, LocalError};

/// The default maximum frame length: 8 MiB.
pub const DEFAULT_MAX_FRAME_LENGTH: usize = 8 * 1024 * 1024;

/// The tag the `asn1` encoder writes unless told otherwise: SEQUENCE.
const DEFAULT_ASN1_TAG: u8 = 0x30;

/// What the decoder does with a frame longer than the maximum frame length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum OversizePolicy {
    /// Fatal [`LengthError::Oversize`](crate::LengthError::Oversize), as Erlang's `{packet_size, N}`
    /// (`emsgsize`). The default.
    #[default]
    Fail,
    /// Emit [`LengthEvent::Oversize`](crate::LengthEvent::Oversize), discard
    /// the frame's bytes as they arrive (without buffering them), and carry on
    /// with the next frame.
    Skip,
}

/// How frames are laid out on the wire: where the length field is, how wide,
/// what its value counts, and what the decoder hands out.
///
/// ```text
///  <- length_offset -> <- field -> <----- field value + length_adjustment ----->
/// +------------------+-----------+---------------------------------------------+
/// |  other header    |  length   |  payload                                    |
/// +------------------+-----------+---------------------------------------------+
///  <------------ header -------->
/// ```
///
/// The decoder hands out the payload, or header and payload with
/// [`keep_header(true)`](LengthConfig::keep_header). The maximum frame length
/// applies to the adjusted length: the bytes after the length field.
///
/// Built from [`LengthConfig::new`] or an Erlang preset, then adjusted with the
/// builder methods:
///
/// ```
/// use wirestate_length::{LengthConfig, LengthField, OversizePolicy};
///
/// // A 1-byte type, then a 3-byte little-endian length that counts itself
/// // and the type byte; hand out whole frames, skip those over 1 KiB.
/// let framing = LengthConfig::new(LengthField::U24)
///     .little_endian()
///     .length_offset(1)
///     .length_adjustment(-4)
///     .keep_header(true)
///     .max_frame_length(1024)
///     .oversize(OversizePolicy::Skip);
/// assert_eq!(framing.frame_length_limit(), 1024);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LengthConfig {
    field: LengthField,
    big_endian: bool,
    length_offset: usize,
    length_adjustment: i64,
    keep_header: bool,
    max_frame_length: usize,
    oversize: OversizePolicy,
    allow_non_minimal_varint: bool,
    /// An Erlang packet type in place of the length field.
    packet: Option<ErlangPacket>,
    /// The tag the asn1 encoder writes.
    asn1_tag: u8,
}

impl LengthConfig {
    /// Erlang's `{packet, n}` for n = 1, 2 or 4: a big-endian length of `n`
    /// bytes that counts only the payload, header stripped, oversize fatal.
    ///
    /// ```
    /// use wirestate_length::{LengthConfig, LengthField};
    /// let framing = LengthConfig::erlang(2);
    /// assert_eq!(framing.field(), LengthField::U16);
    /// assert_eq!(framing.encode_header(5).unwrap(), &b"\x00\x05"[..]);
    /// ```
    ///
    /// # Panics
    ///
    /// If `n` is not 1, 2 or 4 (Erlang has no other sizes): a programming
    /// error, like an out-of-range index.
    pub fn erlang(n: u8) -> LengthConfig {
        let field = match n {
            1 => LengthField::U8,
            2 => LengthField::U16,
            4 => LengthField::U32,
            _ => panic!("Erlang {{packet,N}} has N = 1, 2 or 4, not {n}"),
        };
        LengthConfig::new(field)
    }

    /// A framing with a length field of the given kind at the very start,
    /// big endian, counting only the payload, header stripped, a maximum frame
    /// length of [`DEFAULT_MAX_FRAME_LENGTH`] and [`OversizePolicy::Fail`].
    ///
    /// ```
    /// use wirestate_length::{LengthConfig, LengthField, DEFAULT_MAX_FRAME_LENGTH};
    /// let config = LengthConfig::new(LengthField::Varint);
    /// assert_eq!(config.frame_length_limit(), DEFAULT_MAX_FRAME_LENGTH);
    /// assert_eq!(config.encode_header(300).unwrap(), &[0xac, 0x02][..]);
    /// ```
    pub fn new(field: LengthField) -> LengthConfig {
        LengthConfig {
            field,
            big_endian: true,
            length_offset: 0,
            length_adjustment: 0,
            keep_header: false,
            max_frame_length: DEFAULT_MAX_FRAME_LENGTH,
            oversize: OversizePolicy::Fail,
            allow_non_minimal_varint: false,
            packet: None,
            asn1_tag: DEFAULT_ASN1_TAG,
        }
    }

    /// One of Erlang's other `decode_packet` types (`asn1`, `cdr`, `sunrm`,
    /// `fcgi`, `tpkt`, `raw`) in place of a length field, exactly as
    /// `erlang:decode_packet/3` frames it. The length field, offset,
    /// adjustment and varint settings do not apply.
    ///
    /// Two views of each packet, chosen with
    /// [`keep_header`](LengthConfig::keep_header):
    ///
    /// - `true` (the default here): the packet as Erlang returns it: header
    ///   included; for `fcgi` the 8-byte header and the content, its padding
    ///   consumed and dropped;
    /// - `false`: the payload alone (asn1 content, GIOP body, RPC fragment,
    ///   FastCGI content, TPKT body).
    ///
    /// The [maximum frame length](LengthConfig::max_frame_length) is
    /// Erlang's `{packet_size, N}`: it limits the bytes after the header
    /// (asn1 content, cdr message_size, sunrm fragment, fcgi content +
    /// padding, tpkt length - 4), exactly N passes, N + 1 is an error,
    /// decided from the header alone. Erlang's default is no limit; here it
    /// stays [`DEFAULT_MAX_FRAME_LENGTH`] (set `i32::MAX as usize` for
    /// Erlang's). Header and body together must fit an `i32` in any case,
    /// else the header is [invalid](crate::LengthError::InvalidPacket).
    ///
    /// `raw` has no header: every [`poll_event`](wirestate_core::Machine::poll_event)
    /// hands out all the bytes buffered (nothing when there are none), as
    /// `decode_packet(raw, Bin, _)` returns all of `Bin`. So its packets
    /// follow the reads, not the stream (only their concatenation is
    /// chunk independent), and the limit does not apply to them (Erlang
    /// ignores `packet_size` for `raw` too); the input buffer is bounded by
    /// the high-water mark.
    ///
    /// The encoder writes a header for each payload: asn1 the
    /// [tag](LengthConfig::asn1_tag) and the minimal definite length; cdr a
    /// GIOP 1.0 Request header in the configured byte order (big endian by
    /// default, [`little_endian`](LengthConfig::little_endian) sets flags
    /// bit 0); sunrm the record mark of a last fragment; fcgi a version 1
    /// `FCGI_STDOUT` header for request 1, no padding; tpkt a version 3
    /// header. `raw` writes the payload as it is. Payloads over the limit
    /// (`raw` included) or over what the header can announce
    /// ([`ErlangPacket::max_payload_len`]) are refused.
    ///
    /// ```
    /// use wirestate_length::{ErlangPacket, LengthConfig};
    ///
    /// let tpkt = LengthConfig::erlang_packet(ErlangPacket::Tpkt);
    /// assert!(tpkt.keeps_header());
    /// assert_eq!(tpkt.encode_header(3).unwrap(), &[3, 0, 0, 7][..]);
    ///
    /// let asn1 = LengthConfig::from(ErlangPacket::Asn1);
    /// assert_eq!(asn1.encode_header(300).unwrap(), &[0x30, 0x82, 0x01, 0x2c][..]);
    /// ```
    pub fn erlang_packet(packet: ErlangPacket) -> LengthConfig {
        LengthConfig {
            packet: Some(packet),
            keep_header: true,
            ..LengthConfig::new(LengthField::U32)
        }
    }

    /// The tag the `asn1` encoder writes before the length; default
    /// `0x30` (a universal, constructed SEQUENCE). Decoding accepts any tag.
    ///
    /// # Panics
    ///
    /// If the low five bits of `tag` are all ones: that announces a
    /// multi-byte tag, which the encoder does not write (a programming
    /// error, like [`LengthConfig::erlang`] with a wrong size).
    #[must_use]
    pub fn asn1_tag(mut self, tag: u8) -> LengthConfig {
        assert!(
            tag & 0x1f != 0x1f,
            "ASN.1 tag {tag:#04x} announces a multi-byte tag"
        );
        self.asn1_tag = tag;
        self
    }

    /// The Erlang packet type in place of the length field, if any.
    pub fn packet(&self) -> Option<ErlangPacket> {
        self.packet
    }

    /// The tag the `asn1` encoder writes.
    pub(crate) fn asn1_tag_byte(&self) -> u8 {
        self.asn1_tag
    }

    /// Fixed-width length fields are big endian (network order). The default.
    #[must_use]
    pub fn big_endian(mut self) -> LengthConfig {
        self.big_endian = true;
        self
    }

    /// Fixed-width length fields are little endian.
    ///
    /// ```
    /// use wirestate_length::{LengthConfig, LengthField};
    /// let framing = LengthConfig::new(LengthField::U16).little_endian();
    /// assert_eq!(framing.encode_header(300).unwrap(), &[0x2c, 0x01][..]);
    /// ```
    #[must_use]
    pub fn little_endian(mut self) -> LengthConfig {
        self.big_endian = false;
        self
    }

    /// `n` header bytes come before the length field (a type or flags
    /// byte ...). They are part of the header: stripped unless
    /// [`keep_header`](LengthConfig::keep_header); the encoder writes them as
    /// zeros.
    ///
    /// ```text
    /// length_offset(2), U16:   T T 00 03 a b c   -> "abc"
    /// ```
    #[must_use]
    pub fn length_offset(mut self, n: usize) -> LengthConfig {
        self.length_offset = n;
        self
    }

    /// Added to the field's value to get the number of bytes after the length
    /// field. Negative when the field also counts the header, positive when
    /// it leaves out a trailer.
    ///
    /// ```text
    /// U16 counting itself, length_adjustment(-2):   00 05 a b c   -> "abc"
    /// ```
    ///
    /// ```
    /// use wirestate_length::{LengthConfig, LengthField};
    /// let framing = LengthConfig::new(LengthField::U16).length_adjustment(-2);
    /// assert_eq!(framing.encode_header(3).unwrap(), &[0x00, 0x05][..]);
    /// ```
    #[must_use]
    pub fn length_adjustment(mut self, adjustment: i64) -> LengthConfig {
        self.length_adjustment = adjustment;
        self
    }

    /// Whether decoded frames include their header (offset bytes and length
    /// field). Default `false`: frames are the payload only.
    #[must_use]
    pub fn keep_header(mut self, keep: bool) -> LengthConfig {
        self.keep_header = keep;
        self
    }

    /// The longest frame accepted, counted after the length field and after
    /// the adjustment; default [`DEFAULT_MAX_FRAME_LENGTH`]. The limit in force
    /// is clamped to what the field can express, see
    /// [`frame_length_limit`](LengthConfig::frame_length_limit).
    #[must_use]
    pub fn max_frame_length(mut self, max: usize) -> LengthConfig {
        self.max_frame_length = max;
        self
    }

    /// What the decoder does with frames over the limit; default
    /// [`OversizePolicy::Fail`].
    #[must_use]
    pub fn oversize(mut self, policy: OversizePolicy) -> LengthConfig {
        self.oversize = policy;
        self
    }

    /// Accept varints with trailing zero groups (`0x85 0x00` for 5). Default
    /// `false`: they are a [`LengthError::NonMinimalVarint`](crate::LengthError::NonMinimalVarint), since a sender
    /// never needs them and they allow one length to be spelled many ways.
    #[must_use]
    pub fn allow_non_minimal_varint(mut self, allow: bool) -> LengthConfig {
        self.allow_non_minimal_varint = allow;
        self
    }

    /// The length field's encoding.
    pub fn field(&self) -> LengthField {
        self.field
    }

    /// Whether fixed-width fields are big endian.
    pub fn is_big_endian(&self) -> bool {
        self.big_endian
    }

    /// Header bytes before the length field.
    pub fn offset_len(&self) -> usize {
        self.length_offset
    }

    /// The length adjustment.
    pub fn adjustment(&self) -> i64 {
        self.length_adjustment
    }

    /// Whether decoded frames include their header.
    pub fn keeps_header(&self) -> bool {
        self.keep_header
    }

    /// The oversize policy.
    pub fn oversize_policy(&self) -> OversizePolicy {
        self.oversize
    }

    /// Whether non-minimal varints are accepted.
    pub fn allows_non_minimal_varint(&self) -> bool {
        self.allow_non_minimal_varint
    }

    /// The maximum frame length in force: the configured one, clamped to the
    /// largest length the field can express (`max_value + adjustment`, so 255
    /// for `{packet,1}`) and to what fits in memory next to the header. For
    /// an [Erlang packet type](LengthConfig::erlang_packet): the configured
    /// one, at most `i32::MAX`.
    ///
    /// ```
    /// use wirestate_length::LengthConfig;
    /// assert_eq!(LengthConfig::erlang(1).frame_length_limit(), 255);
    /// assert_eq!(LengthConfig::erlang(4).frame_length_limit(), 8 * 1024 * 1024);
    /// ```
    pub fn frame_length_limit(&self) -> usize {
        if self.packet.is_some() {
            return self.max_frame_length.min(MAX_PACKET_TOTAL as usize);
        }
        let expressible = i128::from(self.field.max_value()) + i128::from(self.length_adjustment);
        let header_room = usize::MAX - self.length_offset.saturating_add(self.field.max_width());
        let limit = expressible.clamp(0, header_room as i128) as usize;
        self.max_frame_length.min(limit)
    }

    /// The field value that announces a payload of `payload_len` bytes, or
    /// why there is none.
    fn field_value(&self, payload_len: usize) -> Result<u64, LocalError> {
        let max = self.frame_length_limit();
        if let Some(packet) = self.packet {
            let max = max.min(packet.max_payload_len());
            if payload_len > max {
                return Err(LocalError::PayloadTooLarge {
                    len: payload_len,
                    max,
                });
            }
            return Ok(payload_len as u64);
        }
        if payload_len > max {
            return Err(LocalError::PayloadTooLarge {
                len: payload_len,
                max,
            });
        }
        let value = payload_len as i128 - i128::from(self.length_adjustment);
        if value < 0 {
            return Err(LocalError::PayloadTooShort {
                len: payload_len,
                min: self.length_adjustment.unsigned_abs(),
            });
        }
        if value > i128::from(self.field.max_value()) {
            // Only when a negative adjustment exceeds what the field holds:
            // then no payload at all can be framed.
            return Err(LocalError::PayloadTooLarge {
                len: payload_len,
                max,
            });
        }
        Ok(value as u64)
    }

    /// The header length for a payload of `payload_len` bytes.
    ///
    /// ```
    /// use wirestate_length::{LengthConfig, LengthField};
    /// assert_eq!(LengthConfig::erlang(4).header_len(10).unwrap(), 4);
    /// assert_eq!(LengthConfig::new(LengthField::Varint).header_len(300).unwrap(), 2);
    /// ```
    ///
    /// # Errors
    ///
    /// As [`encode_header`](LengthConfig::encode_header).
    pub fn header_len(&self, payload_len: usize) -> Result<usize, LocalError> {
        let value = self.field_value(payload_len)?;
        Ok(self.header_len_of(value))
    }

    /// The header for a payload of `payload_len` bytes, as its own `Bytes`:
    /// send it, then the payload, untouched (a vectored write).
    ///
    /// ```
    /// use wirestate_length::LengthConfig;
    /// let header = LengthConfig::erlang(4).encode_header(70_000).unwrap();
    /// assert_eq!(header, &[0x00, 0x01, 0x11, 0x70][..]);
    /// ```
    ///
    /// # Errors
    ///
    /// [`LocalError::PayloadTooLarge`] over the
    /// [limit](LengthConfig::frame_length_limit);
    /// [`LocalError::PayloadTooShort`] when a positive adjustment makes the
    /// field negative.
    pub fn encode_header(&self, payload_len: usize) -> Result<Bytes, LocalError> {
        let mut header = BytesMut::new();
        self.encode_header_into(payload_len, &mut header)?;
        Ok(header.freeze())
    }

    /// Appends the header for a payload of `payload_len` bytes to `dst`.
    /// Nothing is written on error.
    ///
    /// # Errors
    ///
    /// As [`encode_header`](LengthConfig::encode_header).
    pub fn encode_header_into(
        &self,
        payload_len: usize,
        dst: &mut BytesMut,
    ) -> Result<(), LocalError> {
        let value = self.field_value(payload_len)?;
        dst.reserve(self.header_len_of(value));
        self.write_header(value, dst);
        Ok(())
    }

    /// Appends header and payload to `dst` (one copy of the payload; use
    /// [`encode_header`](LengthConfig::encode_header) to avoid it). Nothing is
    /// written on error.
    ///
    /// ```
    /// use bytes::BytesMut;
    /// use wirestate_length::LengthConfig;
    /// let mut out = BytesMut::new();
    /// LengthConfig::erlang(1).encode_into(b"hi", &mut out).unwrap();
    /// assert_eq!(out, &b"\x02hi"[..]);
    /// assert!(LengthConfig::erlang(1).encode_into(&[0; 256], &mut out).is_err());
    /// assert_eq!(out.len(), 3);
    /// ```
    ///
    /// # Errors
    ///
    /// As [`encode_header`](LengthConfig::encode_header).
    pub fn encode_into(&self, payload: &[u8], dst: &mut BytesMut) -> Result<(), LocalError> {
        let value = self.field_value(payload.len())?;
        dst.reserve(self.header_len_of(value) + payload.len());
        self.write_header(value, dst);
        dst.extend_from_slice(payload);
        Ok(())
    }

    /// The header's length for a field value checked by `field_value`.
    fn header_len_of(&self, value: u64) -> usize {
        match self.packet {
            Some(packet) => packet::header_len(packet, value as usize),
            None => self.length_offset + self.field.encoded_len(value),
        }
    }

    /// Writes the header for a field value checked by `field_value`.
    fn write_header(&self, value: u64, dst: &mut BytesMut) {
        match self.packet {
            Some(packet) => packet::write_header(self, packet, value as usize, dst),
            None => {
                dst.put_bytes(0, self.length_offset);
                self.field.write(value, self.big_endian, dst);
            }
        }
    }
}

impl From<ErlangPacket> for LengthConfig {
    /// [`LengthConfig::erlang_packet`]: so a name parses to a framing in one
    /// step, `"tpkt".parse::<ErlangPacket>().map(LengthConfig::from)`.
    fn from(packet: ErlangPacket) -> LengthConfig {
        LengthConfig::erlang_packet(packet)
    }
}
