//! The frame layer (RFC 6455 §5.2): header parsing, validation and encoding.
//!
//! ```text
//!  0               1               2               3
//!  0 1 2 3 4 5 6 7 0 1 2 3 4 5 6 7 0 1 2 3 4 5 6 7 0 1 2 3 4 5 6 7
//! +-+-+-+-+-------+-+-------------+-------------------------------+
//! |F|R|R|R| opcode|M| Payload len |    Extended payload length    |
//! |I|S|S|S|  (4)  |A|     (7)     |             (16/64)           |
//! |N|V|V|V|       |S|             |   (if payload len==126/127)   |
//! | |1|2|3|       |K|             |                               |
//! +-+-+-+-+-------+-+-------------+ - - - - - - - - - - - - - - - +
//! |     Extended payload length continued, if payload len == 127  |
//! + - - - - - - - - - - - - - - - +-------------------------------+
//! |                               | Masking-key, if MASK set to 1 |
//! +-------------------------------+-------------------------------+
//! | Masking-key (continued)       |          Payload Data         |
//! +-------------------------------- - - - - - - - - - - - - - - - +
//! ```
//!
//! A header is 2 to 14 bytes. [`FrameDecoder`] checks every rule that can be
//! checked from the header alone (mask by role, reserved bits, opcode, control
//! frame shape, length limit) before a single payload byte is buffered, then
//! unmasks the payload in place as it arrives.

use std::ops::Range;

use bytes::{Buf, BufMut, Bytes, BytesMut};

use crate::error::{ProtocolViolation, WsError};
use crate::mask::{apply_mask, copy_masked};

/// A frame opcode (RFC 6455 §5.2, §11.8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OpCode {
    /// `0x0`: continues a fragmented message.
    Continuation,
    /// `0x1`: the first frame of a text message.
    Text,
    /// `0x2`: the first frame of a binary message.
    Binary,
    /// `0x8`: close.
    Close,
    /// `0x9`: ping.
    Ping,
    /// `0xA`: pong.
    Pong,
}

impl OpCode {
    /// The opcode for a wire nibble, `None` for the reserved ones.
    pub fn from_u8(bits: u8) -> Option<OpCode> {
        Some(match bits {
            0x0 => OpCode::Continuation,
            0x1 => OpCode::Text,
            0x2 => OpCode::Binary,
            0x8 => OpCode::Close,
            0x9 => OpCode::Ping,
            0xA => OpCode::Pong,
            _ => return None,
        })
    }

    /// The wire nibble.
    pub fn as_u8(self) -> u8 {
        match self {
            OpCode::Continuation => 0x0,
            OpCode::Text => 0x1,
            OpCode::Binary => 0x2,
            OpCode::Close => 0x8,
            OpCode::Ping => 0x9,
            OpCode::Pong => 0xA,
        }
    }

    /// Close, ping and pong: never fragmented, at most 125 payload bytes.
    pub fn is_control(self) -> bool {
        self.as_u8() & 0x8 != 0
    }
}

/// The reserved bits as they sit in the first header byte.
pub mod rsv {
    /// RSV1 (`0x40`), owned by permessage-deflate when negotiated.
    pub const RSV1: u8 = 0x40;
    /// RSV2 (`0x20`).
    pub const RSV2: u8 = 0x20;
    /// RSV3 (`0x10`).
    pub const RSV3: u8 = 0x10;
}

/// A parsed frame header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameHeader {
    /// FIN: the last frame of a message.
    pub fin: bool,
    /// The reserved bits, in place (`rsv::RSV1 | rsv::RSV2 | rsv::RSV3` mask).
    pub rsv: u8,
    /// The opcode.
    pub opcode: OpCode,
    /// The masking key, when the MASK bit is set.
    pub mask: Option<[u8; 4]>,
    /// The announced payload length.
    pub payload_len: u64,
    /// How many bytes the header took on the wire (2 to 14).
    pub header_len: usize,
}

/// Which frames a [`FrameDecoder`] accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameRules {
    /// `Some(true)`: every frame must be masked (a server reading a client);
    /// `Some(false)`: no frame may be masked (a client reading a server);
    /// `None`: either (inspection tools).
    pub require_mask: Option<bool>,
    /// Reserved bits a negotiated extension owns (see [`rsv`]); any other set
    /// bit fails the frame.
    pub allowed_rsv: u8,
    /// Frames announcing more payload than this fail before anything is
    /// buffered.
    pub max_frame_size: u64,
    /// Accept lengths in a longer encoding than needed (see
    /// [`WsConfig::accept_non_minimal_lengths`](crate::WsConfig::accept_non_minimal_lengths));
    /// `false` fails them with [`ProtocolViolation::NonMinimalLength`].
    pub accept_non_minimal_lengths: bool,
}

/// A complete frame: its header and its unmasked payload, split off the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// The header as received.
    pub header: FrameHeader,
    /// The payload, unmasked; shares memory with the input buffer.
    pub payload: Bytes,
    /// Payload bytes from this offset on were not reported by an earlier
    /// [`Step::Partial`] (validate them before using the frame).
    pub unreported_from: usize,
}

/// What one [`FrameDecoder::decode`] call found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// A whole frame.
    Frame(Frame),
    /// A frame whose payload is still arriving: returned when its header was
    /// just consumed and whenever more payload arrived. `fresh` is the range
    /// of the input buffer not reported before (possibly empty), so a caller
    /// can check the header and the bytes early (UTF-8 fails fast).
    Partial {
        /// The header of the incomplete frame.
        header: FrameHeader,
        /// Newly arrived payload bytes (unmasked), as a range of the input
        /// buffer.
        fresh: Range<usize>,
    },
    /// Nothing new: more input is needed.
    NeedMore,
}

/// Splits frames off an input buffer, validating and unmasking them.
///
/// Feed it the same buffer again after appending bytes; it remembers the
/// header of the frame in progress and how much of its payload is already
/// unmasked, so no byte is looked at twice.
///
/// ```
/// use bytes::BytesMut;
/// use wirestate_websocket::frame::{FrameDecoder, FrameRules, OpCode, Step};
///
/// let rules = FrameRules {
///     require_mask: Some(false),
///     allowed_rsv: 0,
///     max_frame_size: 1024,
///     accept_non_minimal_lengths: false,
/// };
/// let mut decoder = FrameDecoder::new(rules);
/// let mut input = BytesMut::from(&b"\x81\x05Hel"[..]);
/// assert!(matches!(decoder.decode(&mut input), Ok(Step::Partial { .. })));
/// input.extend_from_slice(b"lo");
/// let Ok(Step::Frame(frame)) = decoder.decode(&mut input) else { panic!() };
/// assert_eq!(frame.header.opcode, OpCode::Text);
/// assert_eq!(frame.payload, "Hello");
/// ```
#[derive(Debug, Clone)]
pub struct FrameDecoder {
    rules: FrameRules,
    /// The frame whose header was consumed and whose payload is arriving.
    current: Option<FrameHeader>,
    /// Payload bytes of `current` already unmasked (at the buffer's start).
    unmasked: usize,
    /// Payload bytes of `current` already reported in a [`Step::Partial`]
    /// (at most `unmasked`).
    reported: usize,
    /// Payload bytes of the frame after `current` that
    /// [`append_next`](FrameDecoder::append_next) unmasked already.
    next_unmasked: usize,
}

/// [`FrameDecoder::append_payload`] zeroes and fills its buffer in steps of
/// this size, so the filling pass finds the zeroed bytes in the L1 cache.
const APPEND_STEP: usize = 8 << 10;

impl FrameDecoder {
    /// A decoder enforcing `rules`.
    pub fn new(rules: FrameRules) -> Self {
        FrameDecoder {
            rules,
            current: None,
            unmasked: 0,
            reported: 0,
            next_unmasked: 0,
        }
    }

    /// The rules in force.
    pub fn rules(&self) -> &FrameRules {
        &self.rules
    }

    /// Changes which reserved bits are allowed (after an extension was
    /// negotiated).
    pub fn set_allowed_rsv(&mut self, bits: u8) {
        self.rules.allowed_rsv = bits;
    }

    /// The header of the frame whose payload is still arriving, if any.
    pub fn current(&self) -> Option<&FrameHeader> {
        self.current.as_ref()
    }

    /// Whether the buffer starts at a frame header with nothing of it
    /// unmasked in advance: no frame in progress, and no payload bytes that
    /// [`append_next`](Self::append_next) unmasked. Frames can then be read
    /// in place from the front of the buffer.
    pub fn between_frames(&self) -> bool {
        self.current.is_none() && self.next_unmasked == 0
    }

    /// How many more bytes the frame in progress needs, or 0 between frames.
    pub fn payload_missing(&self, buffered: usize) -> usize {
        match &self.current {
            Some(h) => (h.payload_len as usize).saturating_sub(buffered),
            None => 0,
        }
    }

    /// Appends `data` to `input` like `extend_from_slice`, unmasking the
    /// bytes that belong to the payload in progress while copying them,
    /// instead of in a second pass over the buffer in
    /// [`decode`](Self::decode). Bytes past the payload are appended as they
    /// are. `input` must be the buffer this decoder decodes from.
    pub fn append_payload(&mut self, input: &mut BytesMut, data: &[u8]) {
        let Some(header) = self.current.filter(|_| self.unmasked == input.len()) else {
            // Between frames, or bytes not unmasked yet come first: `decode`
            // unmasks them all.
            input.extend_from_slice(data);
            return;
        };
        let missing = self.payload_missing(input.len());
        let (payload, rest) = data.split_at(missing.min(data.len()));
        extend_unmasked(input, payload, header.mask, input.len());
        self.unmasked = input.len();
        input.extend_from_slice(rest);
    }

    /// Appends `data`, which starts with the header of the frame after the
    /// one in progress, to `spill`, an empty buffer the caller decodes once
    /// the frame in progress is done; unmasks that next frame's payload bytes
    /// on the way, like [`append_payload`](Self::append_payload). An
    /// incomplete or invalid header is appended as it is (and `decode`
    /// reports it in turn).
    pub fn append_next(&mut self, spill: &mut BytesMut, data: &[u8]) {
        let header = match parse_header(data, &self.rules) {
            Ok(Some(h)) if self.current.is_some() && spill.is_empty() => h,
            _ => {
                spill.extend_from_slice(data);
                return;
            }
        };
        let (head, rest) = data.split_at(header.header_len);
        let len = (header.payload_len as usize).min(rest.len());
        spill.extend_from_slice(head);
        extend_unmasked(spill, &rest[..len], header.mask, 0);
        spill.extend_from_slice(&rest[len..]);
        self.next_unmasked = len;
    }

    /// Decodes from the front of `input`: consumes a header once it is
    /// complete, unmasks payload bytes as they arrive, and splits the payload
    /// off once it is complete. Call again until [`Step::NeedMore`].
    ///
    /// # Errors
    ///
    /// A peer violation found in a header ([`WsError::Protocol`], or
    /// [`WsError::FrameTooBig`] past `max_frame_size`), before any of the
    /// frame's payload is buffered; the decoder must not be used afterwards.
    #[inline]
    pub fn decode(&mut self, input: &mut BytesMut) -> Result<Step, WsError> {
        let (header, new_header) = match self.current {
            Some(h) => (h, false),
            None => match parse_header(input, &self.rules)? {
                Some(h) => {
                    let unmasked = std::mem::take(&mut self.next_unmasked);
                    // The length was checked against max_frame_size, a usize.
                    let len = h.payload_len as usize;
                    if input.len() - h.header_len >= len {
                        // The whole frame is here (the common case for small
                        // frames): one split, no bookkeeping.
                        let mut frame = input.split_to(h.header_len + len);
                        if let Some(key) = h.mask {
                            apply_mask(&mut frame[h.header_len + unmasked..], key, unmasked);
                        }
                        let mut payload = frame.freeze();
                        payload.advance(h.header_len);
                        return Ok(Step::Frame(Frame {
                            header: h,
                            payload,
                            unreported_from: 0,
                        }));
                    }
                    input.advance(h.header_len);
                    self.current = Some(h);
                    self.unmasked = unmasked;
                    self.reported = 0;
                    (h, true)
                }
                None => return Ok(Step::NeedMore),
            },
        };
        // The length was checked against max_frame_size, which is a usize.
        let len = header.payload_len as usize;
        let available = input.len().min(len);
        let fresh_from = self.reported;
        if available > self.unmasked {
            if let Some(key) = header.mask {
                apply_mask(&mut input[self.unmasked..available], key, self.unmasked);
            }
            self.unmasked = available;
        }
        self.reported = available;
        if available == len {
            self.current = None;
            self.unmasked = 0;
            self.reported = 0;
            let payload = input.split_to(len).freeze();
            return Ok(Step::Frame(Frame {
                header,
                payload,
                unreported_from: fresh_from,
            }));
        }
        if available > fresh_from || new_header {
            // A new header is reported even without payload bytes, so the
            // caller can apply its rules before any payload arrives.
            Ok(Step::Partial {
                header,
                fresh: fresh_from..available,
            })
        } else {
            Ok(Step::NeedMore)
        }
    }
}

/// Appends `data` to `buffer`, unmasked with `mask` (if any) as it is
/// copied; `data` starts at byte `offset` of the payload.
fn extend_unmasked(buffer: &mut BytesMut, data: &[u8], mask: Option<[u8; 4]>, offset: usize) {
    let Some(key) = mask else {
        buffer.extend_from_slice(data);
        return;
    };
    for (i, piece) in data.chunks(APPEND_STEP).enumerate() {
        // Zeroing first keeps this safe; it costs less than the second pass
        // over the bytes that it saves.
        let start = buffer.len();
        buffer.resize(start + piece.len(), 0);
        copy_masked(&mut buffer[start..], piece, key, offset + i * APPEND_STEP);
    }
}

/// Parses and validates a header at the front of `input`; `None` if it is not
/// complete yet. Reads at most 14 bytes, so calling it again after more input
/// arrived costs nothing worth remembering.
///
/// # Errors
///
/// The rule the header breaks: a reserved opcode or reserved bits, the wrong
/// mask for the role, a malformed control frame, a 64-bit length with its
/// top bit set or a length not in its minimal encoding
/// ([`WsError::Protocol`]), or a payload over
/// `rules.max_frame_size` ([`WsError::FrameTooBig`]).
#[inline(always)] // the hot path of small frames
pub fn parse_header(input: &[u8], rules: &FrameRules) -> Result<Option<FrameHeader>, WsError> {
    let [b0, b1, ..] = *input else {
        return Ok(None);
    };
    let fin = b0 & 0x80 != 0;
    let rsv_bits = b0 & 0x70;
    let opcode = OpCode::from_u8(b0 & 0x0F).ok_or(WsError::Protocol(
        ProtocolViolation::UnknownOpcode(b0 & 0x0F),
    ))?;
    if rsv_bits & !rules.allowed_rsv != 0 {
        return Err(WsError::Protocol(ProtocolViolation::ReservedBits(
            rsv_bits >> 4,
        )));
    }
    let masked = b1 & 0x80 != 0;
    match rules.require_mask {
        Some(true) if !masked => return Err(WsError::Protocol(ProtocolViolation::UnmaskedFrame)),
        Some(false) if masked => return Err(WsError::Protocol(ProtocolViolation::MaskedFrame)),
        _ => {}
    }
    let short = b1 & 0x7F;
    if opcode.is_control() {
        if !fin {
            return Err(WsError::Protocol(ProtocolViolation::FragmentedControl));
        }
        if short > 125 {
            return Err(WsError::Protocol(ProtocolViolation::ControlTooLong));
        }
    }
    let (payload_len, mut at) = match short {
        126 => {
            let Some(ext) = input.get(2..4) else {
                return Ok(None);
            };
            let len = u64::from(u16::from_be_bytes([ext[0], ext[1]]));
            if len < 126 && !rules.accept_non_minimal_lengths {
                return Err(WsError::Protocol(ProtocolViolation::NonMinimalLength(len)));
            }
            (len, 4)
        }
        127 => {
            let Some(ext) = input.get(2..10) else {
                return Ok(None);
            };
            let len = u64::from_be_bytes(ext.try_into().unwrap_or([0xFF; 8]));
            if len >> 63 != 0 {
                return Err(WsError::Protocol(ProtocolViolation::LengthHighBitSet));
            }
            if len <= 0xFFFF && !rules.accept_non_minimal_lengths {
                return Err(WsError::Protocol(ProtocolViolation::NonMinimalLength(len)));
            }
            (len, 10)
        }
        n => (u64::from(n), 2),
    };
    if payload_len > rules.max_frame_size {
        return Err(WsError::FrameTooBig {
            len: payload_len,
            limit: rules.max_frame_size,
        });
    }
    let mask = if masked {
        let Some(key) = input.get(at..at + 4) else {
            return Ok(None);
        };
        at += 4;
        Some([key[0], key[1], key[2], key[3]])
    } else {
        None
    };
    Ok(Some(FrameHeader {
        fin,
        rsv: rsv_bits,
        opcode,
        mask,
        payload_len,
        header_len: at,
    }))
}

/// How many bytes [`encode_header`] writes for a payload of `payload_len`
/// bytes, with or without a masking key: size a buffer exactly with it.
///
/// ```
/// use wirestate_websocket::frame::header_len;
/// assert_eq!(header_len(125, false), 2);
/// assert_eq!(header_len(126, true), 8);
/// assert_eq!(header_len(1 << 16, false), 10);
/// ```
#[must_use]
pub fn header_len(payload_len: u64, masked: bool) -> usize {
    let length_field = if payload_len < 126 {
        0
    } else if payload_len <= u64::from(u16::MAX) {
        2
    } else {
        8
    };
    2 + length_field + if masked { 4 } else { 0 }
}

/// Writes a frame header into `out`: the shortest length encoding, and the
/// mask key if given.
///
/// ```
/// use bytes::BytesMut;
/// use wirestate_websocket::frame::{encode_header, OpCode};
/// let mut out = BytesMut::new();
/// encode_header(&mut out, true, 0, OpCode::Binary, None, 300);
/// assert_eq!(&out[..], [0x82, 126, 0x01, 0x2C]);
/// ```
pub fn encode_header(
    out: &mut BytesMut,
    fin: bool,
    rsv: u8,
    opcode: OpCode,
    mask: Option<[u8; 4]>,
    payload_len: u64,
) {
    let b0 = if fin { 0x80 } else { 0 } | (rsv & 0x70) | opcode.as_u8();
    let mask_bit = if mask.is_some() { 0x80 } else { 0 };
    out.put_u8(b0);
    if payload_len < 126 {
        out.put_u8(mask_bit | payload_len as u8);
    } else if payload_len <= u64::from(u16::MAX) {
        out.put_u8(mask_bit | 126);
        out.put_u16(payload_len as u16);
    } else {
        out.put_u8(mask_bit | 127);
        out.put_u64(payload_len);
    }
    if let Some(key) = mask {
        out.put_slice(&key);
    }
}

#[cfg(test)]
mod tests;
