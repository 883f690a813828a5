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

#[test]
fn legacy_video_headers() {
    use AvcPacketType::*;
    use VideoCodecId::*;
    use VideoFrameType::*;
    let cases: &[(&[u8], VideoTagHeader, usize)] = &[
        (
            b"\x17\x00\x00\x00\x00\x01\x64",
            legacy_video(KeyFrame, Avc, Some((SequenceHeader, 0))),
            5,
        ),
        (
            b"\x27\x01\x00\x00\x50\x00",
            legacy_video(InterFrame, Avc, Some((Nalu, 80))),
            5,
        ),
        (
            b"\x27\x01\xff\xff\xfe",
            legacy_video(InterFrame, Avc, Some((Nalu, -2))),
            5,
        ),
        (
            b"\x27\x01\x80\x00\x00",
            legacy_video(InterFrame, Avc, Some((Nalu, -0x80_0000))),
            5,
        ),
        (
            b"\x17\x02\x00\x00\x00",
            legacy_video(KeyFrame, Avc, Some((EndOfSequence, 0))),
            5,
        ),
        (
            b"\x17\x09\x00\x00\x00",
            legacy_video(KeyFrame, Avc, Some((AvcPacketType::Other(9), 0))),
            5,
        ),
        (
            b"\x1c\x00\x00\x00\x00",
            legacy_video(KeyFrame, Hevc, Some((SequenceHeader, 0))),
            5,
        ),
        (b"\x22\xab", legacy_video(InterFrame, SorensonH263, None), 1),
        (b"\x34", legacy_video(DisposableInterFrame, On2Vp6, None), 1),
        (
            b"\x45",
            legacy_video(GeneratedKeyFrame, On2Vp6Alpha, None),
            1,
        ),
        (b"\x13", legacy_video(KeyFrame, Screen, None), 1),
        (b"\x16", legacy_video(KeyFrame, ScreenV2, None), 1),
        (
            b"\x0f",
            legacy_video(Reserved(0), VideoCodecId::Other(15), None),
            1,
        ),
        (
            b"\x7d",
            legacy_video(Reserved(7), VideoCodecId::Other(13), None),
            1,
        ),
    ];
    for (payload, expected, len) in cases {
        assert_eq!(video(payload), (expected.clone(), *len), "{payload:02x?}");
    }
}

#[test]
fn legacy_command_frame_has_only_its_command_byte() {
    let (header, len) = video(b"\x57\x01");
    assert_eq!(len, 2);
    let VideoTagHeader::Legacy(h) = header else {
        panic!()
    };
    assert_eq!(h.frame_type, VideoFrameType::Command);
    assert_eq!(h.command, Some(VideoCommand::EndSeek));
    assert_eq!(h.avc_packet_type, None);
    assert!(!VideoTagHeader::Legacy(h).is_keyframe());
}

#[test]
fn enhanced_video_packet_types() {
    use VideoPacketType::*;
    let cases: &[EnhancedVideoCase] = &[
        (
            b"\x90hvc1\x01\x01\x60",
            VideoFrameType::KeyFrame,
            SequenceStart,
            FourCc::HEVC,
            0,
            5,
        ),
        (
            b"\x91hvc1\x00\x00\x43\x00",
            VideoFrameType::KeyFrame,
            CodedFrames,
            FourCc::HEVC,
            0x43,
            8,
        ),
        (
            b"\xa1avc1\xff\xff\xff\x00",
            VideoFrameType::InterFrame,
            CodedFrames,
            FourCc::AVC,
            -1,
            8,
        ),
        (
            b"\xa1vvc1\x00\x00\x02",
            VideoFrameType::InterFrame,
            CodedFrames,
            FourCc::VVC,
            2,
            8,
        ),
        (
            b"\xa3hvc1\x00\x00\x00\x39",
            VideoFrameType::InterFrame,
            CodedFramesX,
            FourCc::HEVC,
            0,
            5,
        ),
        (
            b"\x91av01\x12\x00",
            VideoFrameType::KeyFrame,
            CodedFrames,
            FourCc::AV1,
            0,
            5,
        ),
        (
            b"\x91vp09\x00",
            VideoFrameType::KeyFrame,
            CodedFrames,
            FourCc::VP9,
            0,
            5,
        ),
        (
            b"\xa1vp08",
            VideoFrameType::InterFrame,
            CodedFrames,
            FourCc::VP8,
            0,
            5,
        ),
        (
            b"\x92avc1",
            VideoFrameType::KeyFrame,
            SequenceEnd,
            FourCc::AVC,
            0,
            5,
        ),
        (
            b"\x95av01\x80",
            VideoFrameType::KeyFrame,
            Mpeg2TsSequenceStart,
            FourCc::AV1,
            0,
            5,
        ),
        // Metadata ignores the frame type: FFmpeg 9 sends colorInfo with frame type 5.
        (
            b"\xd4hvc1\x02\x00\x09colorInfo",
            VideoFrameType::Command,
            Metadata,
            FourCc::HEVC,
            0,
            5,
        ),
        // Unknown FourCCs are kept (no composition time for them).
        (
            b"\x91xyz9\x00\x00\x01",
            VideoFrameType::KeyFrame,
            CodedFrames,
            FourCc(*b"xyz9"),
            0,
            5,
        ),
    ];
    for (payload, frame_type, packet_type, fourcc, cts, len) in cases {
        let (h, header_len) = enhanced_video(payload);
        assert_eq!(header_len, *len, "{payload:02x?}");
        assert_eq!(
            (h.frame_type, h.packet_type),
            (*frame_type, *packet_type),
            "{payload:02x?}"
        );
        assert_eq!(h.multitrack, None);
        assert_eq!(h.command, None);
        assert!(h.mod_ex.is_empty());
        let [track] = &h.tracks[..] else {
            panic!("one track")
        };
        assert_eq!(
            (track.fourcc, track.track_id, track.composition_time),
            (*fourcc, 0, *cts)
        );
        assert_eq!(track.data, *len..payload.len());
    }
}

#[test]
fn enhanced_keyframe_and_sequence_header_helpers() {
    assert!(video(b"\x91hvc1\x00\x00\x00").0.is_keyframe());
    assert!(video(b"\x93hvc1").0.is_keyframe());
    assert!(!video(b"\x90hvc1").0.is_keyframe());
    assert!(video(b"\x90hvc1").0.is_sequence_header());
    assert!(!video(b"\xa1hvc1\x00\x00\x00").0.is_keyframe());
    assert!(video(b"\x17\x01\x00\x00\x00").0.is_keyframe());
    assert!(video(b"\x17\x00\x00\x00\x00").0.is_sequence_header());
    assert!(!video(b"\x17\x00\x00\x00\x00").0.is_keyframe());
}

#[test]
fn enhanced_command_frame_has_no_fourcc() {
    let (h, len) = enhanced_video(b"\xd1\x00");
    assert_eq!(len, 2);
    assert_eq!(h.command, Some(VideoCommand::StartSeek));
    assert!(h.tracks.is_empty());
}

#[test]
fn mod_ex_timestamp_offset_then_coded_frames() {
    // ModEx: size-1 = 2 (3 bytes: 0x0f423f = 999999 ns), then type 0 / CodedFrames, avc1, CTS 5.
    let payload = b"\x97\x02\x0f\x42\x3f\x01avc1\x00\x00\x05\xee";
    let (h, len) = enhanced_video(payload);
    assert_eq!(len, 13);
    assert_eq!(h.packet_type, VideoPacketType::CodedFrames);
    assert_eq!(h.timestamp_offset_nanos, Some(999_999));
    assert_eq!(
        h.mod_ex,
        [ModEx {
            mod_ex_type: ModExType::TimestampOffsetNano,
            data: 2..5
        }]
    );
    assert_eq!(h.tracks[0].composition_time, 5);
    assert_eq!(h.tracks[0].data, 13..14);
}

#[test]
fn mod_ex_chained_with_unknown_type_and_16_bit_size() {
    // First ModEx: type 5 (unknown), 1 byte, next ModEx. Second: 16-bit size
    // 0x0100 + 1 = 257 bytes, type 0, next Multitrack OneTrack CodedFramesX.
    let mut payload = b"\x97\x00\xaa\x57\xff\x01\x00".to_vec();
    payload.extend_from_slice(&[0x11; 257]);
    payload.extend_from_slice(b"\x06\x03av01\x07\xcc");
    let (h, len) = enhanced_video(&payload);
    assert_eq!(h.mod_ex.len(), 2);
    assert_eq!(
        h.mod_ex[0],
        ModEx {
            mod_ex_type: ModExType::Other(5),
            data: 2..3
        }
    );
    assert_eq!(h.mod_ex[1].mod_ex_type, ModExType::TimestampOffsetNano);
    assert_eq!(h.mod_ex[1].data.len(), 257);
    assert_eq!(h.timestamp_offset_nanos, Some(0x11_1111));
    assert_eq!(h.multitrack, Some(AvMultitrackType::OneTrack));
    assert_eq!(h.packet_type, VideoPacketType::CodedFramesX);
    assert_eq!(h.tracks.len(), 1);
    assert_eq!((h.tracks[0].fourcc, h.tracks[0].track_id), (FourCc::AV1, 7));
    assert_eq!(len, payload.len() - 1);
    assert_eq!(h.tracks[0].data, payload.len() - 1..payload.len());
}

#[test]
fn audio_mod_ex() {
    let (h, len) = enhanced_audio(b"\x97\x02\x00\x00\x07\x01.mp3\xff\xfb");
    assert_eq!(len, 10);
    assert_eq!(h.timestamp_offset_nanos, Some(7));
    assert_eq!(h.packet_type, AudioPacketType::CodedFrames);
    assert_eq!(h.tracks[0].fourcc, FourCc::MP3);
}

#[test]
fn video_multitrack_layouts() {
    // OneTrack, CodedFrames, hvc1, track 5, CTS 16: data runs to the end.
    let (h, len) = enhanced_video(b"\x96\x01hvc1\x05\x00\x00\x10\xde\xad");
    assert_eq!(h.multitrack, Some(AvMultitrackType::OneTrack));
    assert_eq!(len, 10);
    assert_eq!(
        h.tracks,
        [VideoTrack {
            fourcc: FourCc::HEVC,
            track_id: 5,
            composition_time: 16,
            data: 10..12
        }]
    );

    // ManyTracksManyCodecs, SequenceStart: avc1 track 0 (2 bytes), av01 track 1 (1 byte),
    // vp09 track 2 (empty).
    let payload = b"\x96\x20avc1\x00\x00\x00\x02xyav01\x01\x00\x00\x01zvp09\x02\x00\x00\x00";
    let (h, len) = enhanced_video(payload);
    assert_eq!(h.multitrack, Some(AvMultitrackType::ManyTracksManyCodecs));
    assert_eq!(h.packet_type, VideoPacketType::SequenceStart);
    assert_eq!(len, 10);
    let got: Vec<_> = h
        .tracks
        .iter()
        .map(|t| (t.fourcc, t.track_id, &payload[t.data.clone()]))
        .collect();
    assert_eq!(
        got,
        [
            (FourCc::AVC, 0, &b"xy"[..]),
            (FourCc::AV1, 1, &b"z"[..]),
            (FourCc::VP9, 2, &b""[..])
        ]
    );
}

#[test]
fn audio_headers_legacy_and_silence() {
    assert_eq!(audio(b""), (AudioTagHeader::Silence, 0));
    let cases: &[LegacyAudioCase] = &[
        (
            b"\xaf\x00\x12\x10",
            SoundFormat::Aac,
            3,
            true,
            true,
            Some(AacPacketType::SequenceHeader),
            2,
        ),
        (
            b"\xaf\x01\x21",
            SoundFormat::Aac,
            3,
            true,
            true,
            Some(AacPacketType::Raw),
            2,
        ),
        (
            b"\xae\x05",
            SoundFormat::Aac,
            3,
            true,
            false,
            Some(AacPacketType::Other(5)),
            2,
        ),
        (b"\x2f\xff\xfb", SoundFormat::Mp3, 3, true, true, None, 1),
        (b"\x22", SoundFormat::Mp3, 0, true, false, None, 1),
        (b"\x76\x00", SoundFormat::G711ALaw, 1, true, false, None, 1),
        (b"\x82", SoundFormat::G711MuLaw, 0, true, false, None, 1),
        (b"\xb6", SoundFormat::Speex, 1, true, false, None, 1),
        (
            b"\x01",
            SoundFormat::LinearPcmPlatformEndian,
            0,
            false,
            true,
            None,
            1,
        ),
        (b"\x18", SoundFormat::AdPcm, 2, false, false, None, 1),
        (
            b"\x3f",
            SoundFormat::LinearPcmLittleEndian,
            3,
            true,
            true,
            None,
            1,
        ),
        (
            b"\x40",
            SoundFormat::Nellymoser16kMono,
            0,
            false,
            false,
            None,
            1,
        ),
        (
            b"\x50",
            SoundFormat::Nellymoser8kMono,
            0,
            false,
            false,
            None,
            1,
        ),
        (b"\x60", SoundFormat::Nellymoser, 0, false, false, None, 1),
        (b"\xc0", SoundFormat::Reserved(12), 0, false, false, None, 1),
        (b"\xd0", SoundFormat::Reserved(13), 0, false, false, None, 1),
        (b"\xe2", SoundFormat::Mp3At8k, 0, true, false, None, 1),
        (
            b"\xf0",
            SoundFormat::DeviceSpecific,
            0,
            false,
            false,
            None,
            1,
        ),
    ];
    for &(payload, sound_format, sound_rate, sixteen_bit, stereo, aac_packet_type, len) in cases {
        let expected = LegacyAudioHeader {
            sound_format,
            sound_rate,
            sixteen_bit,
            stereo,
            aac_packet_type,
        };
        assert_eq!(
            audio(payload),
            (AudioTagHeader::Legacy(expected), len),
            "{payload:02x?}"
        );
    }
    assert!(audio(b"\xaf\x00\x12\x10").0.is_sequence_header());
    assert!(!audio(b"\xaf\x01").0.is_sequence_header());
    assert!(!audio(b"").0.is_sequence_header());
}

#[test]
fn enhanced_audio_packet_types() {
    let cases: &[(&[u8], AudioPacketType, FourCc)] = &[
        (
            b"\x90Opus\x4f\x70",
            AudioPacketType::SequenceStart,
            FourCc::OPUS,
        ),
        (b"\x91mp4a\x21", AudioPacketType::CodedFrames, FourCc::AAC),
        (b"\x92fLaC", AudioPacketType::SequenceEnd, FourCc::FLAC),
        (
            b"\x91ac-3\x0b\x77",
            AudioPacketType::CodedFrames,
            FourCc::AC3,
        ),
        (b"\x91ec-3", AudioPacketType::CodedFrames, FourCc::EAC3),
        (b"\x91.mp3", AudioPacketType::CodedFrames, FourCc::MP3),
        (b"\x91abcd", AudioPacketType::CodedFrames, FourCc(*b"abcd")),
    ];
    for &(payload, packet_type, fourcc) in cases {
        let (h, len) = enhanced_audio(payload);
        assert_eq!(len, 5, "{payload:02x?}");
        assert_eq!(h.packet_type, packet_type);
        assert_eq!(h.multitrack, None);
        assert_eq!(
            h.tracks,
            [AudioTrack {
                fourcc,
                track_id: 0,
                channel_config: None,
                data: 5..payload.len()
            }]
        );
    }
    assert!(audio(b"\x90Opus").0.is_sequence_header());
}

#[test]
fn multichannel_configs() {
    let cases: &[(&[u8], MultichannelConfig)] = &[
        (
            b"\x94Opus\x02\x03\x00\x01\x02",
            MultichannelConfig {
                order: AudioChannelOrder::Custom,
                channel_count: 3,
                mapping: vec![0, 1, 2],
                channel_flags: None,
            },
        ),
        (
            b"\x94ac-3\x01\x06\x00\x00\x00\x3f",
            MultichannelConfig {
                order: AudioChannelOrder::Native,
                channel_count: 6,
                mapping: vec![],
                channel_flags: Some(0x3f),
            },
        ),
        (
            b"\x94ec-3\x00\x02",
            MultichannelConfig {
                order: AudioChannelOrder::Unspecified,
                channel_count: 2,
                mapping: vec![],
                channel_flags: None,
            },
        ),
        (
            b"\x94mp4a\x09\x02",
            MultichannelConfig {
                order: AudioChannelOrder::Other(9),
                channel_count: 2,
                mapping: vec![],
                channel_flags: None,
            },
        ),
    ];
    for (payload, config) in cases {
        let (h, len) = enhanced_audio(payload);
        assert_eq!(h.packet_type, AudioPacketType::MultichannelConfig);
        assert_eq!(len, payload.len(), "{payload:02x?}");
        assert_eq!(h.tracks[0].channel_config.as_ref(), Some(config));
    }
}

#[test]
fn audio_multitrack_layouts() {
    // ManyTracks, CodedFrames, Opus: track 0 (2 bytes), track 1 (1 byte).
    let payload = b"\x95\x11Opus\x00\x00\x00\x02\xaa\xbb\x01\x00\x00\x01\xcc";
    let (h, len) = enhanced_audio(payload);
    assert_eq!(h.multitrack, Some(AvMultitrackType::ManyTracks));
    assert_eq!(len, 10);
    let got: Vec<_> = h
        .tracks
        .iter()
        .map(|t| (t.fourcc, t.track_id, &payload[t.data.clone()]))
        .collect();
    assert_eq!(
        got,
        [
            (FourCc::OPUS, 0, &b"\xaa\xbb"[..]),
            (FourCc::OPUS, 1, &b"\xcc"[..])
        ]
    );

    // ManyTracksManyCodecs, MultichannelConfig per track.
    let payload = b"\x95\x24mp4a\x00\x00\x00\x02\x00\x02Opus\x01\x00\x00\x04\x02\x02\x01\x00";
    let (h, _) = enhanced_audio(payload);
    assert_eq!(h.packet_type, AudioPacketType::MultichannelConfig);
    assert_eq!(h.tracks.len(), 2);
    assert_eq!(h.tracks[0].fourcc, FourCc::AAC);
    assert_eq!(h.tracks[1].fourcc, FourCc::OPUS);
    assert_eq!(h.tracks[1].channel_config.as_ref().unwrap().mapping, [1, 0]);
    assert!(h.tracks.iter().all(|t| t.data.is_empty()));

    // OneTrack: track id 3, data to the end.
    let (h, len) = enhanced_audio(b"\x95\x01mp4a\x03\x21\x00");
    assert_eq!(
        (h.tracks[0].track_id, len, h.tracks[0].data.clone()),
        (3, 7, 7..9)
    );
}

/// A tag header parser: `VideoTagHeader::parse` or `AudioTagHeader::parse`.
type Parse<H> = fn(&[u8]) -> Result<(H, usize), MediaError>;

/// Each payload fails with its error.
fn assert_errors<H: std::fmt::Debug + PartialEq>(parse: Parse<H>, cases: &[(&[u8], MediaError)]) {
    for (payload, expected) in cases {
        assert_eq!(parse(payload).as_ref(), Err(expected), "{payload:02x?}");
    }
}

/// Each valid payload, cut anywhere from `first_cut` to before the end of
/// its header, fails.
fn assert_cut_headers_fail<H>(parse: Parse<H>, vectors: &[&[u8]], first_cut: usize) {
    for payload in vectors {
        let len = parse(payload)
            .unwrap_or_else(|e| panic!("{payload:02x?}: {e}"))
            .1;
        for cut in first_cut..len {
            assert!(
                parse(&payload[..cut]).is_err(),
                "{payload:02x?} cut at {cut}"
            );
        }
    }
}

#[test]
fn bad_headers_give_typed_errors() {
    let video_cases: &[(&[u8], MediaError)] = &[
        (b"", MediaError::EmptyVideo),
        (
            b"\x17\x01\x00",
            MediaError::Truncated {
                offset: 2,
                needed: 2,
            },
        ),
        (
            b"\x91hvc",
            MediaError::Truncated {
                offset: 1,
                needed: 1,
            },
        ),
        (
            b"\x91hvc1\x00",
            MediaError::Truncated {
                offset: 5,
                needed: 2,
            },
        ),
        (
            b"\x98hvc1",
            MediaError::UnknownPacketType {
                media: "video",
                packet_type: 8,
                offset: 0,
            },
        ),
        (
            b"\x9fhvc1",
            MediaError::UnknownPacketType {
                media: "video",
                packet_type: 15,
                offset: 0,
            },
        ),
        (
            b"\x96\x31hvc1",
            MediaError::UnknownMultitrackType {
                multitrack_type: 3,
                offset: 1,
            },
        ),
        (
            b"\x96\x16hvc1",
            MediaError::NestedMultitrack {
                media: "video",
                packet_type: 6,
                offset: 1,
            },
        ),
        (
            b"\x96\x17hvc1",
            MediaError::NestedMultitrack {
                media: "video",
                packet_type: 7,
                offset: 1,
            },
        ),
        (
            b"\x96\x09hvc1\x00",
            MediaError::UnknownPacketType {
                media: "video",
                packet_type: 9,
                offset: 1,
            },
        ),
        (
            b"\x96\x11hvc1\x00\x00\x00\x09\x00\x00\x00",
            MediaError::TrackTooLong {
                track_id: 0,
                offset: 7,
                size: 9,
                available: 3,
            },
        ),
        (
            b"\x96\x11hvc1\x00\x00\x00\x02\x00\x00\x01\x00\x00\x00",
            MediaError::TrackTooShort {
                track_id: 0,
                offset: 10,
                size: 2,
            },
        ),
        (
            b"\x97\x00\x01\x01hvc1",
            MediaError::ShortTimestampOffset { offset: 2, len: 1 },
        ),
        (
            b"\x97\x01\x01\x02",
            MediaError::Truncated {
                offset: 4,
                needed: 1,
            },
        ),
    ];
    assert_errors(VideoTagHeader::parse, video_cases);
    let audio_cases: &[(&[u8], MediaError)] = &[
        (
            b"\xaf",
            MediaError::Truncated {
                offset: 1,
                needed: 1,
            },
        ),
        (
            b"\x93Opus",
            MediaError::UnknownPacketType {
                media: "audio",
                packet_type: 3,
                offset: 0,
            },
        ),
        (
            b"\x96Opus",
            MediaError::UnknownPacketType {
                media: "audio",
                packet_type: 6,
                offset: 0,
            },
        ),
        (
            b"\x95\x15Opus",
            MediaError::NestedMultitrack {
                media: "audio",
                packet_type: 5,
                offset: 1,
            },
        ),
        (
            b"\x95\x41Opus",
            MediaError::UnknownMultitrackType {
                multitrack_type: 4,
                offset: 1,
            },
        ),
        (
            b"\x94Opus\x02\x03\x00",
            MediaError::Truncated {
                offset: 7,
                needed: 2,
            },
        ),
        (
            b"\x95\x14Opus\x00\x00\x00\x01\x02\x03\x00\x00",
            MediaError::TrackTooShort {
                track_id: 0,
                offset: 10,
                size: 1,
            },
        ),
    ];
    assert_errors(AudioTagHeader::parse, audio_cases);
}

/// Every valid vector above, cut anywhere inside its header, is an error; cut
/// after the header it still parses (single track) with the same header length.
#[test]
fn truncation_inside_the_header_is_always_an_error() {
    let video_vectors: &[&[u8]] = &[
        b"\x17\x00\x00\x00\x00\x01",
        b"\x57\x01",
        b"\x91hvc1\x00\x00\x43\x00",
        b"\xd4hvc1\x02\x00\x09colorInfo",
        b"\x97\x02\x0f\x42\x3f\x01avc1\x00\x00\x05\xee",
        b"\x96\x01hvc1\x05\x00\x00\x10\xde\xad",
        b"\x96\x20avc1\x00\x00\x00\x02xyav01\x01\x00\x00\x01z",
        b"\xd1\x00",
    ];
    assert_cut_headers_fail(VideoTagHeader::parse, video_vectors, 0);
    let audio_vectors: &[&[u8]] = &[
        b"\xaf\x00\x12\x10",
        b"\x91mp4a\x21",
        b"\x94Opus\x02\x03\x00\x01\x02",
        b"\x94ac-3\x01\x06\x00\x00\x00\x3f",
        b"\x97\x02\x00\x00\x07\x01.mp3\xff\xfb",
        b"\x95\x11Opus\x00\x00\x00\x02\xaa\xbb\x01\x00\x00\x01\xcc",
    ];
    // Cut 0 is the empty message: silence, by definition not an error.
    assert_cut_headers_fail(AudioTagHeader::parse, audio_vectors, 1);
    // After the header, a single-track message parses the same at any length.
    let payload = b"\x91hvc1\x00\x00\x43\x00\x01\x02";
    for cut in 8..=payload.len() {
        let (h, len) = enhanced_video(&payload[..cut]);
        assert_eq!((len, h.tracks[0].data.clone()), (8, 8..cut));
    }
}

#[test]
fn fourcc_display() {
    assert_eq!(FourCc::AVC.to_string(), "avc1");
    assert_eq!(FourCc::MP3.to_string(), ".mp3");
    assert_eq!(format!("{:?}", FourCc::OPUS), "FourCc(\"Opus\")");
    assert_eq!(
        FourCc([0xff, b'a', b'b', b'\n']).to_string(),
        "\\xffab\\x0a"
    );
}

proptest! {
    #[test]
    fn arbitrary_payloads_never_panic_and_ranges_stay_inside(bytes in proptest::collection::vec(any::<u8>(), 0..96)) {
        if let Ok((VideoTagHeader::Enhanced(h), len)) = VideoTagHeader::parse(&bytes) {
            prop_assert!(len <= bytes.len());
            for t in &h.tracks {
                prop_assert!(t.data.start <= t.data.end && t.data.end <= bytes.len());
            }
            for m in &h.mod_ex {
                prop_assert!(m.data.end <= bytes.len());
            }
        }
        if let Ok((AudioTagHeader::Enhanced(h), len)) = AudioTagHeader::parse(&bytes) {
            prop_assert!(len <= bytes.len());
            for t in &h.tracks {
                prop_assert!(t.data.start <= t.data.end && t.data.end <= bytes.len());
            }
        }
    }
}

/// Real traffic: every audio and video message of recorded FFmpeg streams.
pub(crate) mod captures {
    use super::*;

    /// The messages of one direction of a capture: (type id, payload).
    ///
    /// A deliberately small chunk reader for these test streams only (the
    /// real one is the `chunk` module): it skips the 3073 handshake bytes and
    /// follows the sender's SetChunkSize and extended timestamps. A message
    /// cut off at the end is dropped.
    pub(crate) fn messages(name: &str) -> Vec<(u8, Vec<u8>)> {
        let path = format!(
            "{}/../../tests/captures/rtmp/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        let data = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        let mut at = 1 + 2 * 1536;
        let mut chunk_size = 128;
        // Per chunk stream: (length, type id, payload so far, extended timestamp).
        let mut streams: std::collections::HashMap<u32, (usize, u8, Vec<u8>, bool)> =
            Default::default();
        let mut out = Vec::new();
        while at < data.len() {
            let fmt = data[at] >> 6;
            let mut csid = u32::from(data[at] & 0x3f);
            at += 1;
            if csid == 0 {
                csid = 64 + u32::from(data[at]);
                at += 1;
            } else if csid == 1 {
                csid = 64 + u32::from(data[at]) + 256 * u32::from(data[at + 1]);
                at += 2;
            }
            let state = streams.entry(csid).or_insert((0, 0, Vec::new(), false));
            let header_len = [11, 7, 3, 0][usize::from(fmt)];
            let header = &data[at..at + header_len];
            if fmt < 3 {
                state.3 = header[..3] == [0xff; 3];
            }
            if fmt < 2 {
                state.0 = usize::from(header[3]) << 16
                    | usize::from(header[4]) << 8
                    | usize::from(header[5]);
                state.1 = header[6];
            }
            at += header_len;
            if state.3 {
                // The extended timestamp, repeated on type-3 chunks as FFmpeg does.
                at += 4;
            }
            let take = (state.0 - state.2.len()).min(chunk_size);
            if at + take > data.len() {
                // ffmpeg -listen's last message is cut off by the close.
                break;
            }
            state.2.extend_from_slice(&data[at..at + take]);
            at += take;
            if state.2.len() == state.0 {
                let payload = std::mem::take(&mut state.2);
                if state.1 == 1 {
                    chunk_size = u32::from_be_bytes(payload[..4].try_into().unwrap()) as usize;
                }
                out.push((state.1, payload));
            }
        }
        out
    }

    /// The payloads of the messages of one type id.
    fn of_type(messages: &[(u8, Vec<u8>)], type_id: u8) -> Vec<&Vec<u8>> {
        messages
            .iter()
            .filter(|(t, _)| *t == type_id)
            .map(|(_, p)| p)
            .collect()
    }

    /// Walks 4-byte-length-prefixed NAL units: they must end exactly at the
    /// end of `data`, which shows the header length was right.
    fn assert_nal_units_fill(data: &[u8], what: &str) {
        let mut at = 0;
        let mut count = 0;
        while at < data.len() {
            let len = u32::from_be_bytes(data[at..at + 4].try_into().unwrap()) as usize;
            at += 4 + len;
            count += 1;
        }
        assert_eq!(at, data.len(), "{what}: NAL units overrun");
        assert!(count > 0, "{what}: no NAL unit");
    }

    #[test]
    fn ffmpeg9_enhanced_rtmp_hevc_headers() {
        let messages = messages("rtmp_ffmpeg9_publish_nginx_ertmp_hevc.c2s.bin");
        let videos = of_type(&messages, 9);
        let audios = of_type(&messages, 8);
        // The counts of the capture's messages.csv.
        assert_eq!((videos.len(), audios.len()), (152, 237));

        let mut kinds = Vec::new();
        let mut keyframes = 0;
        let mut nonzero_cts = 0;
        for (i, payload) in videos.iter().enumerate() {
            let (VideoTagHeader::Enhanced(h), len) = video(payload) else {
                panic!("video {i} is not enhanced")
            };
            let [track] = &h.tracks[..] else {
                panic!("video {i}: one track")
            };
            assert_eq!(track.fourcc, FourCc::HEVC, "video {i}");
            assert_eq!(track.data, len..payload.len());
            kinds.push(h.packet_type);
            let data = &payload[track.data.clone()];
            match h.packet_type {
                VideoPacketType::SequenceStart => {
                    assert_eq!(h.frame_type, VideoFrameType::KeyFrame);
                    assert_eq!(data[0], 1, "HEVCDecoderConfigurationRecord version 1");
                }
                VideoPacketType::CodedFrames | VideoPacketType::CodedFramesX => {
                    assert_nal_units_fill(data, &format!("video {i}"));
                    keyframes += usize::from(h.frame_type == VideoFrameType::KeyFrame);
                    nonzero_cts += usize::from(track.composition_time != 0);
                    assert!(track.composition_time >= 0);
                }
                VideoPacketType::Metadata => {
                    // AMF: "colorInfo" and an object.
                    let values = crate::amf0::decode_all(data, &Default::default()).unwrap();
                    assert_eq!(values[0].as_str(), Some("colorInfo"));
                    assert!(values[1].properties().is_some());
                }
                VideoPacketType::SequenceEnd => assert!(data.is_empty()),
                other => panic!("video {i}: unexpected {other:?}"),
            }
        }
        assert_eq!(kinds[0], VideoPacketType::SequenceStart);
        assert_eq!(
            kinds[1],
            VideoPacketType::Metadata,
            "colorInfo follows the configuration"
        );
        assert!(kinds.contains(&VideoPacketType::CodedFrames));
        assert!(
            kinds.contains(&VideoPacketType::CodedFramesX),
            "FFmpeg uses X when CTS is 0"
        );
        assert!(keyframes >= 1 && nonzero_cts > 0);

        // Audio is legacy AAC: one sequence header, then raw frames.
        let headers: Vec<_> = audios.iter().map(|p| audio(p)).collect();
        assert!(headers.iter().all(|(h, len)| *len == 2
            && matches!(h, AudioTagHeader::Legacy(l) if l.sound_format == SoundFormat::Aac)));
        assert!(headers[0].0.is_sequence_header());
        assert_eq!(
            headers
                .iter()
                .filter(|(h, _)| h.is_sequence_header())
                .count(),
            1
        );
    }

    #[test]
    fn legacy_avc_and_aac_headers_of_every_other_capture() {
        // (stream, video messages, audio messages) as the messages.csv files count them.
        let streams = [
            ("rtmp_ffmpeg_publish_nginx.c2s.bin", 152, 218),
            ("rtmp_ffmpeg_play_nginx.s2c.bin", 124, 175),
            ("rtmp_rtmpdump_play_nginx.s2c.bin", 152, 218),
            ("rtmp_ffmpeg_publish_nginx_extts_chunk128.c2s.bin", 152, 218),
            ("rtmp_ffmpeg_publish_ffmpeglisten.c2s.bin", 152, 218),
        ];
        for (name, video_count, audio_count) in streams {
            let messages = messages(name);
            let videos = of_type(&messages, 9);
            let audios = of_type(&messages, 8);
            assert_eq!(
                (videos.len(), audios.len()),
                (video_count, audio_count),
                "{name}"
            );
            for (i, payload) in videos.iter().enumerate() {
                let (VideoTagHeader::Legacy(h), len) = video(payload) else {
                    panic!("{name} video {i} is not legacy")
                };
                assert_eq!(
                    (h.codec_id, len),
                    (VideoCodecId::Avc, 5),
                    "{name} video {i}"
                );
                match h.avc_packet_type {
                    Some(AvcPacketType::SequenceHeader) => assert_eq!(payload[5], 1),
                    Some(AvcPacketType::Nalu) => assert_nal_units_fill(&payload[5..], name),
                    Some(AvcPacketType::EndOfSequence) => {
                        assert_eq!(
                            payload.len(),
                            5,
                            "FFmpeg's closing end of sequence is empty"
                        )
                    }
                    other => panic!("{name} video {i}: {other:?}"),
                }
            }
            for (i, payload) in audios.iter().enumerate() {
                let (AudioTagHeader::Legacy(h), 2) = audio(payload) else {
                    panic!("{name} audio {i} is not 2-byte legacy")
                };
                assert_eq!(h.sound_format, SoundFormat::Aac, "{name} audio {i}");
                assert_eq!(
                    h.aac_packet_type == Some(AacPacketType::SequenceHeader),
                    i == 0,
                    "{name} audio {i}: only the first is the AudioSpecificConfig"
                );
            }
        }
    }
}
