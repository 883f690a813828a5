//! Video tag headers, legacy and enhanced, one table per packet type.

use super::*;

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
