//! Four-character codec codes (Enhanced RTMP).

use std::fmt;

/// A four-character code naming a codec in Enhanced RTMP headers, such as
/// `hvc1` or `Opus`. Any value is accepted: unknown codes are kept as they
/// are, so the caller decides what to do with a codec it does not know.
///
/// ```
/// use wirestate_rtmp::media::FourCc;
///
/// assert_eq!(FourCc::HEVC.to_string(), "hvc1");
/// assert_eq!(FourCc(*b"Opus"), FourCc::OPUS);
/// // Unprintable bytes are shown escaped.
/// assert_eq!(FourCc([b'a', 0, b'c', b'd']).to_string(), "a\\x00cd");
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FourCc(pub [u8; 4]);

impl FourCc {
    /// H.264 / AVC video.
    pub const AVC: FourCc = FourCc(*b"avc1");
    /// H.265 / HEVC video.
    pub const HEVC: FourCc = FourCc(*b"hvc1");
    /// H.266 / VVC video.
    pub const VVC: FourCc = FourCc(*b"vvc1");
    /// AV1 video.
    pub const AV1: FourCc = FourCc(*b"av01");
    /// VP9 video.
    pub const VP9: FourCc = FourCc(*b"vp09");
    /// VP8 video.
    pub const VP8: FourCc = FourCc(*b"vp08");
    /// AAC audio.
    pub const AAC: FourCc = FourCc(*b"mp4a");
    /// Opus audio.
    pub const OPUS: FourCc = FourCc(*b"Opus");
    /// FLAC audio.
    pub const FLAC: FourCc = FourCc(*b"fLaC");
    /// Dolby AC-3 audio.
    pub const AC3: FourCc = FourCc(*b"ac-3");
    /// Dolby E-AC-3 audio.
    pub const EAC3: FourCc = FourCc(*b"ec-3");
    /// MP3 audio.
    pub const MP3: FourCc = FourCc(*b".mp3");

    /// Whether CodedFrames packets of this video codec carry a 24-bit
    /// composition time offset (AVC, HEVC and VVC do; the others do not).
    pub fn has_composition_time(self) -> bool {
        matches!(self, FourCc::AVC | FourCc::HEVC | FourCc::VVC)
    }
}

impl fmt::Display for FourCc {
    /// The four characters as text; bytes outside printable ASCII as `\xNN`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for &b in &self.0 {
            if b.is_ascii_graphic() || b == b' ' {
                write!(f, "{}", b as char)?;
            } else {
                write!(f, "\\x{b:02x}")?;
            }
        }
        Ok(())
    }
}

impl fmt::Debug for FourCc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FourCc(\"{self}\")")
    }
}
