//! Audio tag headers, legacy and enhanced, one table per packet type.

use super::*;

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
