//! Real traffic: every audio and video message of recorded FFmpeg streams.

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
            state.0 =
                usize::from(header[3]) << 16 | usize::from(header[4]) << 8 | usize::from(header[5]);
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
