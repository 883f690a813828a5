//! Replays the recorded RTMP captures (tests/captures/rtmp) and compares every
//! message with the ground truth in `*.messages.csv`: type, message stream id,
//! absolute timestamp and length, in order.
#![cfg(feature = "rtmp")]

use bytes::BytesMut;
use proptest::prelude::*;
use wirestate::rtmp::chunk::{ChunkDecoder, RawMessage};

/// C0 + C1 + C2 (or S0 + S1 + S2): every capture's dissect file reports
/// 1536-byte handshake packets and no bytes left undecoded after the messages.
const HANDSHAKE_LEN: usize = 1 + 1536 + 1536;

const CAPTURES: &[&str] = &[
    "rtmp_ffmpeg_publish_nginx",
    "rtmp_ffmpeg_play_nginx",
    "rtmp_rtmpdump_play_nginx",
    "rtmp_ffmpeg_publish_nginx_extts_chunk128",
    "rtmp_ffmpeg_publish_ffmpeglisten",
    "rtmp_ffmpeg9_publish_nginx_ertmp_hevc",
];

fn capture_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/captures/rtmp")
}

fn load(name: &str, dir: &str) -> Vec<u8> {
    std::fs::read(capture_dir().join(format!("{name}.{dir}.bin"))).unwrap()
}

/// `(type_id, stream_id, timestamp, length)` per message.
type Row = (u8, u32, u32, usize);

fn expected(name: &str, dir: &str) -> Vec<Row> {
    let text =
        std::fs::read_to_string(capture_dir().join(format!("{name}.{dir}.messages.csv"))).unwrap();
    text.lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            let f: Vec<&str> = line.trim().split(',').collect();
            (
                f[0].parse().unwrap(),
                f[1].parse().unwrap(),
                f[2].parse().unwrap(),
                f[3].parse().unwrap(),
            )
        })
        .collect()
}

fn row(m: &RawMessage) -> Row {
    (m.type_id, m.stream_id, m.timestamp, m.payload.len())
}

/// Feeds the chunk stream to a bare decoder cut at `cuts`.
fn decode_cut(stream: &[u8], cuts: &[usize]) -> (Vec<RawMessage>, bool) {
    let mut cuts: Vec<usize> = cuts
        .iter()
        .copied()
        .filter(|&c| c > 0 && c < stream.len())
        .collect();
    cuts.sort_unstable();
    cuts.dedup();
    cuts.push(stream.len());
    let mut decoder = ChunkDecoder::default();
    let mut input = BytesMut::new();
    let mut out = Vec::new();
    let mut start = 0;
    for end in cuts {
        input.extend_from_slice(&stream[start..end]);
        start = end;
        while let Some(m) = decoder.decode(&mut input).unwrap() {
            out.push(m);
        }
    }
    assert!(input.is_empty(), "bytes left over");
    (out, decoder.is_idle())
}

/// Captures whose recording ends inside a message: `ffmpeg -listen` closed the
/// connection after sending the 12-byte header of a 34-byte command.
fn ends_mid_message(name: &str, dir: &str) -> bool {
    name == "rtmp_ffmpeg_publish_ffmpeglisten" && dir == "s2c"
}

#[test]
fn chunk_decoder_reproduces_every_capture() {
    for name in CAPTURES {
        for dir in ["c2s", "s2c"] {
            let bytes = load(name, dir);
            let stream = &bytes[HANDSHAKE_LEN..];
            let want = expected(name, dir);
            let whole = decode_cut(stream, &[]);
            let got: Vec<Row> = whole.0.iter().map(row).collect();
            assert_eq!(got, want, "{name}.{dir}");
            assert_eq!(
                whole.1,
                !ends_mid_message(name, dir),
                "{name}.{dir}: state at the end"
            );
            let bytewise: Vec<usize> = (1..stream.len()).collect();
            assert_eq!(
                decode_cut(stream, &bytewise),
                whole,
                "{name}.{dir} byte by byte"
            );
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    #[test]
    fn chunk_decoder_is_cut_independent(which in 0..CAPTURES.len() * 2, cuts in proptest::collection::vec(0usize..150_000, 0..64)) {
        let name = CAPTURES[which / 2];
        let dir = if which % 2 == 0 { "c2s" } else { "s2c" };
        let bytes = load(name, dir);
        let stream = &bytes[HANDSHAKE_LEN..];
        prop_assert_eq!(decode_cut(stream, &cuts), decode_cut(stream, &[]));
    }
}
