//! Audio (type 8) and video (type 9) message tag headers: the legacy FLV
//! layout and Enhanced RTMP (v1 and v2: FourCC codecs, ModEx, multitrack,
//! multichannel audio, silence).
//!
//! Parsing reads only the header and reports where the codec data starts, so
//! the caller slices the payload it already holds (a `Bytes`) without a copy.
//! Unknown FourCCs are kept; unknown packet types are errors because the
//! layout after them is unknown.
//!
//! Nothing is buffered. A parse allocates only its lists of tracks and ModEx
//! packets, each entry backed by at least 2 bytes of the payload, and a
//! custom channel mapping of at most 255 bytes; every announced size is
//! checked against the bytes present.
//!
//! ```
//! use wirestate_rtmp::media::{FourCc, VideoPacketType, VideoTagHeader};
//!
//! // Two HEVC tracks in one message (ManyTracks, CodedFrames): each track has
//! // an id, a 24-bit size and, for hvc1, a composition time.
//! let payload = b"\x96\x11hvc1\x00\x00\x00\x05\x00\x00\x01\xaa\xbb\x01\x00\x00\x04\x00\x00\x02\xcc";
//! let (VideoTagHeader::Enhanced(header), _) = VideoTagHeader::parse(payload)? else { panic!() };
//! assert_eq!(header.packet_type, VideoPacketType::CodedFrames);
//! let tracks: Vec<_> = header.tracks.iter().map(|t| (t.track_id, t.composition_time, &payload[t.data.clone()])).collect();
//! assert_eq!(tracks, [(0, 1, &b"\xaa\xbb"[..]), (1, 2, &b"\xcc"[..])]);
//! assert!(header.tracks.iter().all(|t| t.fourcc == FourCc::HEVC));
//! # Ok::<(), wirestate_rtmp::media::MediaError>(())
//! ```

mod audio;
mod common;
mod error;
mod fourcc;
mod video;

#[cfg(test)]
pub(crate) mod tests;

pub use audio::{
    AacPacketType, AudioChannelOrder, AudioPacketType, AudioTagHeader, AudioTrack,
    EnhancedAudioHeader, LegacyAudioHeader, MultichannelConfig, SoundFormat,
};
pub use common::{AvMultitrackType, ModEx, ModExType};
pub use error::MediaError;
pub use fourcc::FourCc;
pub use video::{
    AvcPacketType, EnhancedVideoHeader, LegacyVideoHeader, VideoCodecId, VideoCommand,
    VideoFrameType, VideoPacketType, VideoTagHeader, VideoTrack,
};
