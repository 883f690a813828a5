//! What a late joiner gets from [`SequenceHeaders`]: every configuration
//! tag, per track, the latest of each kind, within the documented bounds.
//! All tags are built by hand.

use bytes::Bytes;
use wirestate_rtmp::amf0::Value;
use wirestate_rtmp::message::{Audio, DataMessage, Message, Video};
use wirestate_rtmp::session::{
    is_audio_config, SequenceHeaders, MAX_CONFIG_BYTES, MAX_CONFIG_MESSAGES,
};

fn video(bytes: &'static [u8]) -> Message {
    Message::Video(Video::new(Bytes::from_static(bytes)))
}

fn audio(bytes: &'static [u8]) -> Message {
    Message::Audio(Audio::new(Bytes::from_static(bytes)))
}

/// Legacy AVC sequence header (key frame, AVC, packet type 0).
const AVC_CONFIG: &[u8] = b"\x17\x00\x00\x00\x00\x01\x64\x00\x1f";
/// Legacy AAC sequence header (AudioSpecificConfig 0x1210).
const AAC_CONFIG: &[u8] = b"\xaf\x00\x12\x10";
/// Enhanced RTMP audio, multitrack OneTrack, packet type 4
/// (MultichannelConfig), Opus on track 1: unspecified order, 2 channels.
const OPUS_CHANNELS: &[u8] = b"\x95\x04Opus\x01\x00\x02";
/// Enhanced RTMP audio, multitrack OneTrack, packet type 0
/// (SequenceStart), Opus on track 1.
const OPUS_CONFIG: &[u8] = b"\x95\x00Opus\x01OpusHead";

fn payloads(cache: &SequenceHeaders) -> Vec<(u32, Vec<u8>)> {
    cache
        .messages()
        .map(|(ts, message)| {
            let payload = match message {
                Message::Video(v) => v.payload.to_vec(),
                Message::Audio(a) => a.payload.to_vec(),
                Message::Data(_) => b"metadata".to_vec(),
                other => panic!("{other:?}"),
            };
            (ts, payload)
        })
        .collect()
}

#[test]
fn a_late_joiner_gets_video_aac_and_multichannel_configs() {
    let mut cache = SequenceHeaders::default();
    let metadata = DataMessage {
        amf3: false,
        values: vec![
            "@setDataFrame".into(),
            "onMetaData".into(),
            Value::Object(vec![("width".into(), 1280.0.into())]),
        ],
    };
    assert!(cache.observe(0, &Message::Data(metadata)));
    assert!(cache.observe(0, &video(AVC_CONFIG)));
    assert!(cache.observe(0, &audio(AAC_CONFIG)));
    assert!(cache.observe(1, &audio(OPUS_CHANNELS)));
    assert!(cache.observe(1, &audio(OPUS_CONFIG)));
    // Media that configures nothing is not kept.
    assert!(!cache.observe(40, &video(b"\x17\x01\x00\x00\x00\xaa")));
    assert!(!cache.observe(41, &audio(b"\xaf\x01\x21\x10")));
    assert!(!cache.observe(42, &audio(b"\x95\x01Opus\x01\xfc")));

    let Message::Audio(channels) = audio(OPUS_CHANNELS) else {
        unreachable!()
    };
    assert!(is_audio_config(&channels));
    assert_eq!(
        payloads(&cache),
        [
            (0, b"metadata".to_vec()),
            (0, AVC_CONFIG.to_vec()),
            (0, AAC_CONFIG.to_vec()),
            (1, OPUS_CHANNELS.to_vec()),
            (1, OPUS_CONFIG.to_vec()),
        ]
    );
    let config_bytes =
        AVC_CONFIG.len() + AAC_CONFIG.len() + OPUS_CHANNELS.len() + OPUS_CONFIG.len();
    assert_eq!(cache.config_bytes(), config_bytes);
    cache.clear();
    assert_eq!(cache.messages().count(), 0);
    assert_eq!(cache.config_bytes(), 0);
}

#[test]
fn the_latest_config_of_each_kind_and_track_replaces_the_earlier() {
    let mut cache = SequenceHeaders::default();
    assert!(cache.observe(0, &video(AVC_CONFIG)));
    assert!(cache.observe(0, &audio(AAC_CONFIG)));
    assert!(cache.observe(0, &audio(OPUS_CONFIG)));
    // A new AAC configuration (48 kHz) and an HEVC SequenceStart on track 0
    // (a legacy tag counts as track 0) replace the earlier ones in place.
    assert!(cache.observe(500, &audio(b"\xaf\x00\x11\x90")));
    assert!(cache.observe(500, &video(b"\x90hvc1\x01\x02\x03")));
    assert_eq!(
        payloads(&cache),
        [
            (500, b"\x90hvc1\x01\x02\x03".to_vec()),
            (500, b"\xaf\x00\x11\x90".to_vec()),
            (0, OPUS_CONFIG.to_vec()),
        ]
    );
}

#[test]
fn the_cache_is_bounded_in_messages_and_bytes() {
    let mut cache = SequenceHeaders::default();
    // One channel layout per track, tracks 0 to MAX_CONFIG_MESSAGES: the
    // last one does not fit.
    let layouts: Vec<Bytes> = (0..=MAX_CONFIG_MESSAGES as u8)
        .map(|track| Bytes::from([b"\x95\x04Opus".as_slice(), &[track, 0, 2]].concat()))
        .collect();
    for (i, layout) in layouts.iter().enumerate() {
        let kept = cache.observe(0, &Message::Audio(Audio::new(layout.clone())));
        assert_eq!(kept, i < MAX_CONFIG_MESSAGES, "track {i}");
    }
    assert_eq!(cache.messages().count(), MAX_CONFIG_MESSAGES);
    // Replacing one still works.
    assert!(cache.observe(9, &Message::Audio(Audio::new(layouts[3].clone()))));
    assert_eq!(cache.messages().count(), MAX_CONFIG_MESSAGES);

    // A configuration larger than the byte bound is never kept, and does
    // not displace the one it would replace.
    let mut cache = SequenceHeaders::default();
    assert!(cache.observe(0, &video(AVC_CONFIG)));
    let mut huge = AVC_CONFIG.to_vec();
    huge.resize(MAX_CONFIG_BYTES + 1, 0);
    assert!(!cache.observe(1, &Message::Video(Video::new(Bytes::from(huge)))));
    assert_eq!(payloads(&cache), [(0, AVC_CONFIG.to_vec())]);
    assert!(cache.config_bytes() <= MAX_CONFIG_BYTES);
}
