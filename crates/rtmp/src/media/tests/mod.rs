use proptest::prelude::*;

use super::*;

/// Payload, frame type, packet type, FourCC, composition time, header length.
type EnhancedVideoCase = (
    &'static [u8],
    VideoFrameType,
    VideoPacketType,
    FourCc,
    i32,
    usize,
);

/// Payload, format, rate, 16-bit, stereo, AAC packet type, header length.
type LegacyAudioCase = (
    &'static [u8],
    SoundFormat,
    u8,
    bool,
    bool,
    Option<AacPacketType>,
    usize,
);

fn video(payload: &[u8]) -> (VideoTagHeader, usize) {
    VideoTagHeader::parse(payload).unwrap_or_else(|e| panic!("{payload:02x?}: {e}"))
}

fn audio(payload: &[u8]) -> (AudioTagHeader, usize) {
    AudioTagHeader::parse(payload).unwrap_or_else(|e| panic!("{payload:02x?}: {e}"))
}

fn enhanced_video(payload: &[u8]) -> (EnhancedVideoHeader, usize) {
    match video(payload) {
        (VideoTagHeader::Enhanced(h), len) => (h, len),
        other => panic!("expected enhanced: {other:?}"),
    }
}

fn enhanced_audio(payload: &[u8]) -> (EnhancedAudioHeader, usize) {
    match audio(payload) {
        (AudioTagHeader::Enhanced(h), len) => (h, len),
        other => panic!("expected enhanced: {other:?}"),
    }
}

fn legacy_video(
    frame_type: VideoFrameType,
    codec_id: VideoCodecId,
    avc: Option<(AvcPacketType, i32)>,
) -> VideoTagHeader {
    VideoTagHeader::Legacy(LegacyVideoHeader {
        frame_type,
        codec_id,
        avc_packet_type: avc.map(|(t, _)| t),
        composition_time: avc.map_or(0, |(_, c)| c),
        command: None,
    })
}

mod audio_headers;
pub(crate) mod captures;
mod header_errors;
mod video_headers;
