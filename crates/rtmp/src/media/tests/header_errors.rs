//! Bad and cut headers: every one a typed error.

use super::*;

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
