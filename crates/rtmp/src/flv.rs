//! FLV files: what a recorded RTMP stream is saved as.
//!
//! ```text
//! header   "FLV" version:1 flags:1 (4 audio, 1 video) header-size:u32 (9)
//!          previous-tag-size-0:u32 (0)
//! tag      type:1 (8 audio, 9 video, 18 data) data-size:u24 timestamp:u24
//!          timestamp-extended:1 (bits 24-31) stream-id:u24 (0)
//!          data (the RTMP message body, tag header included)
//!          previous-tag-size:u32 (11 + data-size)
//! ```
//! All numbers are big-endian. [`FlvWriter`] writes to any
//! [`std::io::Write`]; [`encode_tag`] builds the bytes without IO;
//! [`FlvReader`] reads a file back (for tests and tools), checking every back
//! pointer.
//!
//! ```
//! use wirestate_rtmp::flv::{FlvReader, FlvWriter, TagType};
//!
//! let mut writer = FlvWriter::new(Vec::new(), true, true)?;
//! writer.write_tag(TagType::Video, 40, b"\x17\x01\x00\x00\x00\xaa")?;
//! writer.write_tag(TagType::Audio, 46, b"\xaf\x01\xbb")?;
//! let file = writer.into_inner();
//!
//! let mut reader = FlvReader::new(&file)?;
//! assert!(reader.header().has_video);
//! let tag = reader.next_tag()?.unwrap();
//! assert_eq!((tag.tag_type, tag.timestamp, tag.data), (TagType::Video, 40, &b"\x17\x01\x00\x00\x00\xaa"[..]));
//! assert_eq!(reader.next_tag()?.unwrap().tag_type, TagType::Audio);
//! assert!(reader.next_tag()?.is_none());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::io::{self, Write};

/// Bytes of the file header, the first back pointer included.
pub const HEADER_LEN: usize = 13;
/// Bytes of a tag header.
pub const TAG_HEADER_LEN: usize = 11;
/// The largest tag body (a 24-bit size).
pub const MAX_TAG_DATA: usize = 0xff_ffff;

/// What a tag carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TagType {
    /// 8: an audio message body.
    Audio,
    /// 9: a video message body.
    Video,
    /// 18: a script data message (`onMetaData`).
    Script,
}

impl TagType {
    /// The type byte.
    pub fn to_byte(self) -> u8 {
        match self {
            TagType::Audio => 8,
            TagType::Video => 9,
            TagType::Script => 18,
        }
    }

    /// Reads a type byte; `None` for other values.
    pub fn from_byte(b: u8) -> Option<TagType> {
        match b {
            8 => Some(TagType::Audio),
            9 => Some(TagType::Video),
            18 => Some(TagType::Script),
            _ => None,
        }
    }
}

/// The file header (13 bytes with the first back pointer).
pub fn encode_header(has_audio: bool, has_video: bool) -> [u8; HEADER_LEN] {
    let flags = (u8::from(has_audio) << 2) | u8::from(has_video);
    [b'F', b'L', b'V', 1, flags, 0, 0, 0, 9, 0, 0, 0, 0]
}

/// The 11-byte header of a tag with `data_len` bytes of data, and the
/// 4-byte back pointer that follows the data: write header, data, back
/// pointer. Fails if `data_len` exceeds [`MAX_TAG_DATA`].
///
/// # Errors
///
/// [`FlvError::TagTooLarge`] if `data_len` exceeds [`MAX_TAG_DATA`].
pub fn encode_tag(
    tag_type: TagType,
    timestamp: u32,
    data_len: usize,
) -> Result<([u8; TAG_HEADER_LEN], [u8; 4]), FlvError> {
    if data_len > MAX_TAG_DATA {
        return Err(FlvError::TagTooLarge(data_len));
    }
    let size = (data_len as u32).to_be_bytes();
    let ts = timestamp.to_be_bytes();
    let header = [
        tag_type.to_byte(),
        size[1],
        size[2],
        size[3],
        ts[1],
        ts[2],
        ts[3],
        ts[0],
        0,
        0,
        0,
    ];
    let back = ((TAG_HEADER_LEN + data_len) as u32).to_be_bytes();
    Ok((header, back))
}

/// Writes an FLV file: the header at creation, then one tag per call.
#[derive(Debug)]
pub struct FlvWriter<W: Write> {
    out: W,
    tags: u64,
}

impl<W: Write> FlvWriter<W> {
    /// Writes the file header to `out`, flagging audio and video as given.
    ///
    /// # Errors
    ///
    /// Any error of `out` while writing the header.
    pub fn new(mut out: W, has_audio: bool, has_video: bool) -> io::Result<FlvWriter<W>> {
        out.write_all(&encode_header(has_audio, has_video))?;
        Ok(FlvWriter { out, tags: 0 })
    }

    /// Writes one tag: header, `data` (an RTMP message body as received)
    /// and back pointer. `timestamp` is in milliseconds.
    ///
    /// # Errors
    ///
    /// [`io::ErrorKind::InvalidInput`] (wrapping the [`FlvError`]) when
    /// `data` is too long for a tag's 24-bit size; otherwise any error of
    /// the writer underneath. After a write error the file may end inside
    /// the tag.
    pub fn write_tag(&mut self, tag_type: TagType, timestamp: u32, data: &[u8]) -> io::Result<()> {
        let (header, back) = encode_tag(tag_type, timestamp, data.len())
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
        self.out.write_all(&header)?;
        self.out.write_all(data)?;
        self.out.write_all(&back)?;
        self.tags += 1;
        Ok(())
    }

    /// Tags written so far.
    pub fn tags_written(&self) -> u64 {
        self.tags
    }

    /// Flushes the writer underneath.
    ///
    /// # Errors
    ///
    /// Any error of the writer underneath.
    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    /// The writer underneath.
    pub fn into_inner(self) -> W {
        self.out
    }
}

/// Why an FLV file could not be read or written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FlvError {
    /// The file does not start with `FLV`, version 1.
    #[error("not an FLV file")]
    BadSignature,
    /// The data offset in the header is below 9.
    #[error("header size {0} is below 9")]
    BadHeaderSize(u32),
    /// The file ends inside a header or tag, at this offset.
    #[error("truncated at byte {0}")]
    Truncated(usize),
    /// A back pointer does not match the tag before it.
    #[error("back pointer at byte {offset} says {found}, the tag had {expected}")]
    BadBackPointer {
        /// Where the back pointer is.
        offset: usize,
        /// What it says.
        found: u32,
        /// The size of the tag before it.
        expected: u32,
    },
    /// A tag of an unknown type.
    #[error("unknown tag type {0}")]
    UnknownTagType(u8),
    /// A tag body above the 24-bit limit.
    #[error("tag of {0} bytes exceeds 16777215")]
    TagTooLarge(usize),
}

/// The file header's fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlvHeader {
    /// The audio flag.
    pub has_audio: bool,
    /// The video flag.
    pub has_video: bool,
}

/// One tag, borrowed from the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlvTag<'a> {
    /// What it carries.
    pub tag_type: TagType,
    /// Milliseconds (the extended byte applied).
    pub timestamp: u32,
    /// The body.
    pub data: &'a [u8],
}

/// Reads an FLV file held in memory, tag by tag, checking each back pointer.
#[derive(Debug)]
pub struct FlvReader<'a> {
    file: &'a [u8],
    pos: usize,
    header: FlvHeader,
    last_tag_size: u32,
}

impl<'a> FlvReader<'a> {
    /// Reads the file header and the first back pointer (which must be 0).
    ///
    /// # Errors
    ///
    /// [`FlvError::BadSignature`], [`FlvError::BadHeaderSize`] or
    /// [`FlvError::Truncated`] for a file that does not start with a valid
    /// header; [`FlvError::BadBackPointer`] if the first back pointer is not 0.
    pub fn new(file: &'a [u8]) -> Result<FlvReader<'a>, FlvError> {
        if file.len() < 9 {
            return Err(FlvError::Truncated(file.len()));
        }
        if &file[..4] != b"FLV\x01" {
            return Err(FlvError::BadSignature);
        }
        let header_size = u32::from_be_bytes([file[5], file[6], file[7], file[8]]);
        if header_size < 9 {
            return Err(FlvError::BadHeaderSize(header_size));
        }
        let mut reader = FlvReader {
            file,
            pos: header_size as usize,
            header: FlvHeader {
                has_audio: file[4] & 4 != 0,
                has_video: file[4] & 1 != 0,
            },
            last_tag_size: 0,
        };
        reader.back_pointer()?;
        Ok(reader)
    }

    /// The file header.
    pub fn header(&self) -> FlvHeader {
        self.header
    }

    fn back_pointer(&mut self) -> Result<(), FlvError> {
        let bytes = self
            .file
            .get(self.pos..self.pos + 4)
            .ok_or(FlvError::Truncated(self.pos))?;
        let found = u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
        if found != self.last_tag_size {
            return Err(FlvError::BadBackPointer {
                offset: self.pos,
                found,
                expected: self.last_tag_size,
            });
        }
        self.pos += 4;
        Ok(())
    }

    /// The next tag, `None` at the end of the file.
    ///
    /// # Errors
    ///
    /// [`FlvError::Truncated`] for a file that ends inside a tag,
    /// [`FlvError::BadBackPointer`] for a back pointer that does not match its
    /// tag, [`FlvError::UnknownTagType`] for a tag type other than 8, 9 and 18.
    pub fn next_tag(&mut self) -> Result<Option<FlvTag<'a>>, FlvError> {
        if self.pos == self.file.len() {
            return Ok(None);
        }
        let h = self
            .file
            .get(self.pos..self.pos + TAG_HEADER_LEN)
            .ok_or(FlvError::Truncated(self.pos))?;
        let tag_type = TagType::from_byte(h[0] & 0x1f).ok_or(FlvError::UnknownTagType(h[0]))?;
        let size = u32::from_be_bytes([0, h[1], h[2], h[3]]) as usize;
        let timestamp = u32::from_be_bytes([h[7], h[4], h[5], h[6]]);
        let start = self.pos + TAG_HEADER_LEN;
        let data = self
            .file
            .get(start..start + size)
            .ok_or(FlvError::Truncated(self.file.len()))?;
        self.pos = start + size;
        self.last_tag_size = (TAG_HEADER_LEN + size) as u32;
        self.back_pointer()?;
        Ok(Some(FlvTag {
            tag_type,
            timestamp,
            data,
        }))
    }
}
