//! Audio and video tag headers from the fuzzer: parsing must never panic,
//! every range it reports must lie inside the payload, and any payload cut
//! inside the header must be an error (never a header that reads past it).
#![no_main]

use libfuzzer_sys::fuzz_target;
use wirestate_rtmp::media::{AudioTagHeader, VideoTagHeader};

fuzz_target!(|data: &[u8]| {
    let Some((&cut_seed, payload)) = data.split_first() else {
        return;
    };

    if let Ok((header, len)) = VideoTagHeader::parse(payload) {
        assert!(len <= payload.len());
        if let VideoTagHeader::Enhanced(h) = &header {
            for track in &h.tracks {
                assert!(track.data.start <= track.data.end && track.data.end <= payload.len());
                assert!(track.data.start >= len);
            }
            for mod_ex in &h.mod_ex {
                assert!(mod_ex.data.end <= payload.len());
            }
        }
        if len > 0 {
            let cut = usize::from(cut_seed) % len;
            assert!(
                VideoTagHeader::parse(&payload[..cut]).is_err(),
                "cut at {cut} of {len}"
            );
        }
    }

    if let Ok((header, len)) = AudioTagHeader::parse(payload) {
        assert!(len <= payload.len());
        if let AudioTagHeader::Enhanced(h) = &header {
            for track in &h.tracks {
                assert!(track.data.start <= track.data.end && track.data.end <= payload.len());
                assert!(track.data.start >= len);
            }
        }
        // An empty payload is silence, so only non-empty cuts must fail.
        if len > 1 {
            let cut = 1 + usize::from(cut_seed) % (len - 1);
            assert!(
                AudioTagHeader::parse(&payload[..cut]).is_err(),
                "cut at {cut} of {len}"
            );
        }
    }
});
