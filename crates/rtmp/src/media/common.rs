//! What Enhanced RTMP audio and video headers share: the byte cursor, ModEx
//! packets and the multitrack layout.

use std::ops::Range;

use super::{FourCc, MediaError};

/// The ModEx packet type value, the same for audio and video.
pub(super) const MOD_EX: u8 = 7;

/// One ModEx ("modifier extension") packet in front of an enhanced header.
///
/// ```text
///  size-1:u8 [size-1:u16 if the u8 was 255] data[size] type:4 next-packet-type:4
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModEx {
    /// What the extension means.
    pub mod_ex_type: ModExType,
    /// Where its data (1 to 65536 bytes) lies in the payload.
    pub data: Range<usize>,
}

/// The kind of a [`ModEx`] packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModExType {
    /// A nanosecond offset (0 to 999 999) added to the message timestamp.
    TimestampOffsetNano,
    /// A type this crate does not know; its data is skipped.
    Other(u8),
}

/// How the tracks of a multitrack message are laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AvMultitrackType {
    /// One track with an explicit id; its data runs to the end of the payload.
    OneTrack,
    /// Several tracks of one codec, each with an id and a 24-bit size.
    ManyTracks,
    /// Several tracks, each with its own FourCC, id and 24-bit size.
    ManyTracksManyCodecs,
}

/// A cursor over one payload; every read checks the bytes are there.
pub(super) struct Cursor<'a> {
    buf: &'a [u8],
    pub(super) pos: usize,
}

impl<'a> Cursor<'a> {
    pub(super) fn new(buf: &'a [u8]) -> Self {
        Cursor { buf, pos: 0 }
    }

    pub(super) fn len(&self) -> usize {
        self.buf.len()
    }

    pub(super) fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    pub(super) fn take(&mut self, n: usize) -> Result<Range<usize>, MediaError> {
        if self.remaining() < n {
            return Err(MediaError::Truncated {
                offset: self.pos,
                needed: n - self.remaining(),
            });
        }
        let range = self.pos..self.pos + n;
        self.pos += n;
        Ok(range)
    }

    pub(super) fn bytes(&mut self, n: usize) -> Result<&'a [u8], MediaError> {
        let range = self.take(n)?;
        Ok(&self.buf[range])
    }

    pub(super) fn u8(&mut self) -> Result<u8, MediaError> {
        Ok(self.bytes(1)?[0])
    }

    pub(super) fn u16(&mut self) -> Result<u16, MediaError> {
        let b = self.bytes(2)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }

    pub(super) fn u24(&mut self) -> Result<u32, MediaError> {
        let b = self.bytes(3)?;
        Ok(u32::from_be_bytes([0, b[0], b[1], b[2]]))
    }

    pub(super) fn u32(&mut self) -> Result<u32, MediaError> {
        let b = self.bytes(4)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// A signed 24-bit big-endian integer (composition time offsets).
    pub(super) fn i24(&mut self) -> Result<i32, MediaError> {
        let raw = self.u24()?;
        // Shift the sign bit of the 24-bit value into bit 31, then back.
        Ok(((raw << 8) as i32) >> 8)
    }

    pub(super) fn fourcc(&mut self) -> Result<FourCc, MediaError> {
        let b = self.bytes(4)?;
        Ok(FourCc([b[0], b[1], b[2], b[3]]))
    }
}

/// What the ModEx loop leaves: the packets, the nanosecond offset if one was
/// given, and the packet type that follows them.
pub(super) struct ModExChain {
    pub(super) packets: Vec<ModEx>,
    pub(super) timestamp_offset_nanos: Option<u32>,
    pub(super) packet_type: u8,
}

/// Reads ModEx packets while the packet type says one follows.
pub(super) fn read_mod_ex(cur: &mut Cursor<'_>, first: u8) -> Result<ModExChain, MediaError> {
    let mut chain = ModExChain {
        packets: Vec::new(),
        timestamp_offset_nanos: None,
        packet_type: first,
    };
    while chain.packet_type == MOD_EX {
        let mut size = usize::from(cur.u8()?) + 1;
        if size == 256 {
            size = usize::from(cur.u16()?) + 1;
        }
        let data = cur.take(size)?;
        let types = cur.u8()?;
        chain.packet_type = types & 0x0f;
        let mod_ex_type = match types >> 4 {
            0 => {
                if data.len() < 3 {
                    return Err(MediaError::ShortTimestampOffset {
                        offset: data.start,
                        len: data.len(),
                    });
                }
                let b = &cur.buf[data.start..data.start + 3];
                chain.timestamp_offset_nanos = Some(u32::from_be_bytes([0, b[0], b[1], b[2]]));
                ModExType::TimestampOffsetNano
            }
            other => ModExType::Other(other),
        };
        chain.packets.push(ModEx { mod_ex_type, data });
    }
    Ok(chain)
}

/// Reads the multitrack byte: the layout and the packet type of all tracks.
/// `multitrack` is the media's own Multitrack packet type value.
pub(super) fn read_multitrack(
    cur: &mut Cursor<'_>,
    media: &'static str,
    multitrack: u8,
) -> Result<(AvMultitrackType, u8), MediaError> {
    let offset = cur.pos;
    let byte = cur.u8()?;
    let layout = match byte >> 4 {
        0 => AvMultitrackType::OneTrack,
        1 => AvMultitrackType::ManyTracks,
        2 => AvMultitrackType::ManyTracksManyCodecs,
        multitrack_type => {
            return Err(MediaError::UnknownMultitrackType {
                multitrack_type,
                offset,
            })
        }
    };
    let packet_type = byte & 0x0f;
    if packet_type == multitrack || packet_type == MOD_EX {
        return Err(MediaError::NestedMultitrack {
            media,
            packet_type,
            offset,
        });
    }
    Ok((layout, packet_type))
}

/// Where one track sits in the payload, before its media-specific fields.
pub(super) struct TrackSpan {
    pub(super) fourcc: FourCc,
    pub(super) track_id: u8,
    /// Where the track's own bytes end (the payload end unless sized).
    pub(super) end: usize,
    /// Whether `end` came from a size field (then a short track is the
    /// track's fault, not the payload's).
    pub(super) sized: bool,
}

/// Walks the tracks of a message and calls `each` with a cursor positioned
/// at each track's data. `each` reads the media-specific fields and returns
/// the track; the cursor is then moved to the track's end.
///
/// Without multitrack there is one track with id 0 running to the end.
pub(super) fn read_tracks<T>(
    cur: &mut Cursor<'_>,
    multitrack: Option<AvMultitrackType>,
    mut fourcc: FourCc,
    mut each: impl FnMut(&mut Cursor<'_>, &TrackSpan) -> Result<T, MediaError>,
) -> Result<Vec<T>, MediaError> {
    let Some(layout) = multitrack else {
        let span = TrackSpan {
            fourcc,
            track_id: 0,
            end: cur.len(),
            sized: false,
        };
        return Ok(vec![each(cur, &span)?]);
    };
    let mut tracks = Vec::new();
    loop {
        if layout == AvMultitrackType::ManyTracksManyCodecs {
            fourcc = cur.fourcc()?;
        }
        let track_id = cur.u8()?;
        let span = if layout == AvMultitrackType::OneTrack {
            TrackSpan {
                fourcc,
                track_id,
                end: cur.len(),
                sized: false,
            }
        } else {
            let offset = cur.pos;
            let size = cur.u24()? as usize;
            if size > cur.remaining() {
                return Err(MediaError::TrackTooLong {
                    track_id,
                    offset,
                    size,
                    available: cur.remaining(),
                });
            }
            TrackSpan {
                fourcc,
                track_id,
                end: cur.pos + size,
                sized: true,
            }
        };
        // Media fields must fit in the track: read them from a cursor that
        // ends where the track ends.
        let start = cur.pos;
        let mut inner = Cursor {
            buf: &cur.buf[..span.end],
            pos: start,
        };
        let track = each(&mut inner, &span).map_err(|e| match e {
            MediaError::Truncated { .. } if span.sized => MediaError::TrackTooShort {
                track_id,
                offset: start,
                size: span.end - start,
            },
            other => other,
        })?;
        tracks.push(track);
        cur.pos = span.end;
        if layout == AvMultitrackType::OneTrack || cur.remaining() == 0 {
            return Ok(tracks);
        }
    }
}
