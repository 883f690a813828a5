//! Synthetic chunk-stream vectors for the RTMP chunk decoder and encoder:
//! hand-written bytes for the cases the captures do not cover.

use bytes::{Bytes, BytesMut};
use proptest::prelude::*;
use wirestate_rtmp::chunk::{
    ChunkDecoder, ChunkEncoder, ChunkError, ChunkLimits, DecoderConfig, RawMessage,
    Type3ExtendedTimestamp,
};

/// Builds chunk bytes by hand (independent of the encoder under test).
#[derive(Default)]
struct Wire(Vec<u8>);

impl Wire {
    fn basic(&mut self, fmt: u8, csid: u32) -> &mut Self {
        let fmt = fmt << 6;
        match csid {
            2..=63 => self.0.push(fmt | csid as u8),
            64..=319 => self.0.extend([fmt, (csid - 64) as u8]),
            _ => self
                .0
                .extend([fmt | 1, (csid - 64) as u8, ((csid - 64) >> 8) as u8]),
        }
        self
    }
    fn u24(&mut self, v: u32) -> &mut Self {
        self.0.extend_from_slice(&v.to_be_bytes()[1..]);
        self
    }
    fn u32(&mut self, v: u32) -> &mut Self {
        self.0.extend_from_slice(&v.to_be_bytes());
        self
    }
    fn fmt0(&mut self, csid: u32, ts: u32, len: u32, type_id: u8, msid: u32) -> &mut Self {
        self.basic(0, csid).u24(ts.min(0xFF_FFFF)).u24(len);
        self.0.push(type_id);
        self.0.extend_from_slice(&msid.to_le_bytes());
        if ts >= 0xFF_FFFF {
            self.u32(ts);
        }
        self
    }
    fn fmt1(&mut self, csid: u32, delta: u32, len: u32, type_id: u8) -> &mut Self {
        self.basic(1, csid).u24(delta.min(0xFF_FFFF)).u24(len);
        self.0.push(type_id);
        if delta >= 0xFF_FFFF {
            self.u32(delta);
        }
        self
    }
    fn fmt2(&mut self, csid: u32, delta: u32) -> &mut Self {
        self.basic(2, csid).u24(delta)
    }
    fn fmt3(&mut self, csid: u32) -> &mut Self {
        self.basic(3, csid)
    }
    fn data(&mut self, bytes: &[u8]) -> &mut Self {
        self.0.extend_from_slice(bytes);
        self
    }
    fn set_chunk_size(&mut self, size: u32) -> &mut Self {
        self.fmt0(2, 0, 4, 1, 0).u32(size)
    }
}

/// `(csid, timestamp, type, msid, payload)`.
type Msg = (u32, u32, u8, u32, Vec<u8>);

fn msg(m: &RawMessage) -> Msg {
    (
        m.csid,
        m.timestamp,
        m.type_id,
        m.stream_id,
        m.payload.to_vec(),
    )
}

/// Decodes `input` fed whole, byte by byte and cut in three; asserts all
/// agree and returns the messages and the final result.
fn decode_with(config: &DecoderConfig, input: &[u8]) -> (Vec<Msg>, Result<(), ChunkError>) {
    let run = |cuts: &[usize]| {
        let mut decoder = ChunkDecoder::new(config.clone());
        let mut buf = BytesMut::new();
        let mut out = Vec::new();
        let mut start = 0;
        for &end in cuts.iter().chain([input.len()].iter()) {
            buf.extend_from_slice(&input[start..end]);
            start = end;
            loop {
                match decoder.decode(&mut buf) {
                    Ok(Some(m)) => out.push(msg(&m)),
                    Ok(None) => break,
                    Err(e) => return (out, Err(e)),
                }
            }
        }
        (out, Ok(()))
    };
    let whole = run(&[]);
    let bytewise: Vec<usize> = (1..input.len()).collect();
    assert_eq!(run(&bytewise), whole, "byte by byte");
    let n = input.len();
    assert_eq!(run(&[n / 3, 2 * n / 3]), whole, "in thirds");
    whole
}

fn decode(input: &[u8]) -> Vec<Msg> {
    let (messages, result) = decode_with(&DecoderConfig::default(), input);
    result.unwrap();
    messages
}

#[test]
fn interleaved_chunk_streams_reassemble_separately() {
    let video: Vec<u8> = (0..300u32).map(|i| i as u8).collect();
    let mut w = Wire::default();
    w.fmt0(6, 40, 300, 9, 1).data(&video[..128]);
    w.fmt0(3, 0, 5, 20, 0).data(b"hello");
    w.fmt3(6).data(&video[128..256]);
    w.fmt0(4, 41, 3, 8, 1).data(b"aud");
    w.fmt3(6).data(&video[256..]);
    assert_eq!(
        decode(&w.0),
        [
            (3, 0, 20, 0, b"hello".to_vec()),
            (4, 41, 8, 1, b"aud".to_vec()),
            (6, 40, 9, 1, video),
        ]
    );
}

#[test]
fn long_chunk_stream_ids_split_at_every_byte() {
    for csid in [64, 319, 320, 65_599] {
        let mut w = Wire::default();
        w.fmt0(csid, 7, 200, 9, 1)
            .data(&[0xAB; 128])
            .fmt3(csid)
            .data(&[0xCD; 72]);
        w.fmt1(csid, 3, 2, 8).data(b"xy");
        let messages = decode(&w.0); // decode() also feeds byte by byte
        let mut payload = vec![0xAB; 128];
        payload.extend([0xCD; 72]);
        assert_eq!(
            messages,
            [(csid, 7, 9, 1, payload), (csid, 10, 8, 1, b"xy".to_vec())],
            "csid {csid}"
        );
        // And every single split point of the first header.
        let header_len = match csid {
            64..=319 => 2 + 11,
            _ => 3 + 11,
        };
        for cut in 1..header_len {
            let mut decoder = ChunkDecoder::default();
            let mut buf = BytesMut::from(&w.0[..cut]);
            assert!(decoder.decode(&mut buf).unwrap().is_none());
            buf.extend_from_slice(&w.0[cut..]);
            assert_eq!(msg(&decoder.decode(&mut buf).unwrap().unwrap()).0, csid);
        }
    }
}

#[test]
fn first_chunk_of_a_never_seen_stream_may_be_fmt_1_2_or_3() {
    // librtmp sends its first Acknowledgement with a type-1 header.
    let mut w = Wire::default();
    w.fmt1(2, 0, 4, 3).u32(5_000_000);
    // fmt 2 on a fresh csid: length 0 and type 0 from the zeroed state.
    w.fmt2(9, 10);
    // fmt 3 on a fresh csid: a zero-length message too.
    w.fmt3(10);
    assert_eq!(
        decode(&w.0),
        [
            (2, 0, 3, 0, 5_000_000u32.to_be_bytes().to_vec()),
            (9, 10, 0, 0, vec![]),
            (10, 0, 0, 0, vec![]),
        ]
    );
}

#[test]
fn abort_drops_the_partial_message() {
    let mut w = Wire::default();
    w.fmt0(6, 0, 200, 9, 1).data(&[1; 128]);
    w.fmt0(2, 0, 4, 2, 0).u32(6); // Abort csid 6
                                  // A type-3 chunk on csid 6 now starts a new 200-byte message (delta 0 after fmt 0 ts 0).
    w.fmt3(6).data(&[2; 128]).fmt3(6).data(&[3; 72]);
    let messages = decode(&w.0);
    let mut payload = vec![2; 128];
    payload.extend([3; 72]);
    assert_eq!(
        messages,
        [
            (2, 0, 2, 0, 6u32.to_be_bytes().to_vec()),
            (6, 0, 9, 1, payload)
        ]
    );
}

#[test]
fn set_chunk_size_applies_to_partial_messages_of_other_streams() {
    let mut w = Wire::default();
    w.fmt0(6, 0, 300, 9, 1).data(&[6; 128]);
    w.fmt0(4, 0, 200, 8, 1).data(&[4; 128]);
    w.set_chunk_size(4096);
    // Both continue in one chunk each under the new size.
    w.fmt3(6).data(&[6; 172]);
    w.fmt3(4).data(&[4; 72]);
    let messages = decode(&w.0);
    assert_eq!(messages[0], (2, 0, 1, 0, 4096u32.to_be_bytes().to_vec()));
    assert_eq!(messages[1], (6, 0, 9, 1, vec![6; 300]));
    assert_eq!(messages[2], (4, 0, 8, 1, vec![4; 200]));
}

#[test]
fn type_3_new_message_after_type_0_adds_the_type_0_timestamp() {
    // FFmpeg's reading (and the spec's): after fmt 0 with timestamp 100,
    // the delta of a following type-3 message is 100.
    let mut w = Wire::default();
    w.fmt0(4, 100, 2, 8, 1).data(b"a1").fmt3(4).data(b"a2");
    w.fmt2(4, 20).data(b"a3").fmt3(4).data(b"a4");
    let ts: Vec<u32> = decode(&w.0).iter().map(|m| m.1).collect();
    assert_eq!(ts, [100, 200, 220, 240]);
}

#[test]
fn extended_timestamps_absolute_delta_and_repeated_on_type_3() {
    let mut w = Wire::default();
    // fmt 0 absolute 0x01000000, two chunks: the type-3 chunk repeats it.
    w.fmt0(6, 0x0100_0000, 200, 9, 1)
        .data(&[0; 128])
        .fmt3(6)
        .u32(0x0100_0000)
        .data(&[0; 72]);
    // fmt 1 with an extended delta, then a type-3 new message repeating that delta.
    w.fmt1(6, 0x0100_0000, 1, 9)
        .data(b"x")
        .fmt3(6)
        .u32(0x0100_0000)
        .data(b"y");
    let ts: Vec<u32> = decode(&w.0).iter().map(|m| m.1).collect();
    assert_eq!(ts, [0x0100_0000, 0x0200_0000, 0x0300_0000]);
}

#[test]
fn omitted_type_3_extended_timestamps_in_compatibility_mode() {
    let mut w = Wire::default();
    let first: Vec<u8> = (0..128u32).map(|i| i as u8).collect();
    w.fmt0(6, 0x0100_0000, 200, 9, 1)
        .data(&first)
        .fmt3(6)
        .data(&[0x55; 72]); // no repeat
                            // Next message repeats it on its type-3 chunk: both shapes in one stream.
    w.fmt0(4, 0x0100_0000, 130, 8, 1)
        .data(&[1; 128])
        .fmt3(4)
        .u32(0x0100_0000)
        .data(b"zz");
    let config = DecoderConfig {
        type3_extended_timestamp: Type3ExtendedTimestamp::PeekAndCompare,
        ..DecoderConfig::default()
    };
    let (messages, result) = decode_with(&config, &w.0);
    result.unwrap();
    let mut video = first;
    video.extend([0x55; 72]);
    assert_eq!(messages[0], (6, 0x0100_0000, 9, 1, video));
    let mut audio = vec![1; 128];
    audio.extend(b"zz");
    assert_eq!(messages[1], (4, 0x0100_0000, 8, 1, audio));
    // The default (spec) mode reads the first 4 payload bytes as the timestamp instead.
    let (strict, _) = decode_with(&DecoderConfig::default(), &w.0);
    assert_ne!(
        strict.first().map(|m| m.4.clone()),
        Some(messages[0].4.clone())
    );
}

#[test]
fn timestamps_wrap_past_2_pow_32() {
    // 0xFFFFFFF0 needs an extended fmt-0 timestamp; the deltas do not.
    let mut w = Wire::default();
    w.fmt0(4, 0xFFFF_FFF0, 1, 8, 1)
        .data(b"a")
        .fmt2(4, 0x20)
        .data(b"b")
        .fmt3(4)
        .data(b"c");
    let ts: Vec<u32> = decode(&w.0).iter().map(|m| m.1).collect();
    assert_eq!(ts, [0xFFFF_FFF0, 0x10, 0x30]);
    // The encoder writes a wrapped timestamp as fmt 0 (it went "backwards"),
    // which decodes to the same value.
    let mut encoder = ChunkEncoder::default();
    let bytes = encode_all(
        &mut encoder,
        &[raw(4, 0xFFFF_FFF0, 8, 1, b"a"), raw(4, 0x10, 8, 1, b"b")],
    );
    let ts: Vec<u32> = decode(&bytes).iter().map(|m| m.1).collect();
    assert_eq!(ts, [0xFFFF_FFF0, 0x10]);
}

#[test]
fn zero_length_messages_complete_at_once() {
    let mut w = Wire::default();
    w.fmt0(5, 10, 0, 18, 1)
        .fmt3(5)
        .fmt0(3, 0, 1, 20, 0)
        .data(b"x");
    assert_eq!(
        decode(&w.0),
        [
            (5, 10, 18, 1, vec![]),
            (5, 20, 18, 1, vec![]),
            (3, 0, 20, 0, b"x".to_vec())
        ]
    );
}

#[test]
fn violations_and_limits_are_typed_errors() {
    let limits = ChunkLimits {
        max_message_len: 1000,
        max_partial_messages: 2,
        max_buffered: 300,
        max_chunk_streams: 3,
    };
    let config = DecoderConfig {
        limits,
        ..DecoderConfig::default()
    };
    let err = |w: &Wire| decode_with(&config, &w.0).1.unwrap_err();
    let mut w = Wire::default();
    w.set_chunk_size(0);
    assert!(matches!(
        err(&w),
        ChunkError::InvalidChunkSize { size: 0, .. }
    ));
    let mut w = Wire::default();
    w.set_chunk_size(0x8000_0000);
    assert!(matches!(err(&w), ChunkError::InvalidChunkSize { .. }));
    let mut w = Wire::default();
    w.fmt0(3, 0, 1001, 20, 0);
    assert!(matches!(
        err(&w),
        ChunkError::MessageTooLong {
            len: 1001,
            limit: 1000,
            ..
        }
    ));
    let mut w = Wire::default();
    for csid in 3..6 {
        w.fmt0(csid, 0, 200, 9, 1).data(&[0; 128]);
    }
    assert!(matches!(
        err(&w),
        ChunkError::TooManyPartialMessages { limit: 2, .. }
    ));
    let mut w = Wire::default();
    w.fmt0(3, 0, 900, 9, 1)
        .data(&[0; 128])
        .fmt3(3)
        .data(&[0; 128])
        .fmt3(3)
        .data(&[0; 128]);
    assert!(matches!(
        err(&w),
        ChunkError::BufferLimit { limit: 300, .. }
    ));
    let mut w = Wire::default();
    for csid in 3..7 {
        w.fmt0(csid, 0, 1, 9, 1).data(b"v");
    }
    assert!(matches!(
        err(&w),
        ChunkError::TooManyChunkStreams { limit: 3, .. }
    ));
    let mut w = Wire::default();
    w.fmt0(3, 0, 200, 9, 1).data(&[0; 128]).fmt1(3, 0, 5, 9);
    assert!(matches!(
        err(&w),
        ChunkError::HeaderMidMessage {
            csid: 3,
            fmt: 1,
            ..
        }
    ));
    let mut w = Wire::default();
    w.fmt0(2, 0, 2, 1, 0).data(b"\0\0");
    assert!(matches!(
        err(&w),
        ChunkError::ShortControlMessage {
            type_id: 1,
            len: 2,
            ..
        }
    ));
}

#[test]
fn oversize_announcement_takes_no_memory() {
    // A 16 MiB message is refused from its header alone, before any payload.
    let mut w = Wire::default();
    w.fmt0(3, 0, 0xFF_FFFF, 9, 1);
    let mut decoder = ChunkDecoder::new(DecoderConfig {
        limits: ChunkLimits {
            max_message_len: 1 << 20,
            ..ChunkLimits::default()
        },
        ..DecoderConfig::default()
    });
    let mut buf = BytesMut::from(&w.0[..]);
    assert!(decoder.decode(&mut buf).is_err());
    assert_eq!(decoder.buffered(), 0);
}

fn encode_all(encoder: &mut ChunkEncoder, messages: &[RawMessage]) -> Vec<u8> {
    let mut out: Vec<Bytes> = Vec::new();
    for m in messages {
        encoder.encode(m, &mut out).unwrap();
    }
    out.concat()
}

fn raw(csid: u32, timestamp: u32, type_id: u8, stream_id: u32, payload: &[u8]) -> RawMessage {
    RawMessage {
        csid,
        timestamp,
        type_id,
        stream_id,
        payload: Bytes::copy_from_slice(payload),
    }
}

#[test]
fn encoder_compresses_headers_like_ffmpeg() {
    let mut encoder = ChunkEncoder::default();
    let bytes = encode_all(
        &mut encoder,
        &[
            raw(4, 100, 8, 1, b"aa"),  // fmt 0
            raw(4, 120, 8, 1, b"bb"),  // fmt 2 (never type 3 right after type 0)
            raw(4, 140, 8, 1, b"cc"),  // fmt 3: same delta
            raw(4, 150, 8, 1, b"ddd"), // fmt 1: length changed
            raw(4, 140, 8, 1, b"eee"), // fmt 0: backwards
            raw(4, 150, 8, 2, b"eee"), // fmt 0: other stream id
        ],
    );
    let mut w = Wire::default();
    w.fmt0(4, 100, 2, 8, 1)
        .data(b"aa")
        .fmt2(4, 20)
        .data(b"bb")
        .fmt3(4)
        .data(b"cc");
    w.fmt1(4, 10, 3, 8)
        .data(b"ddd")
        .fmt0(4, 140, 3, 8, 1)
        .data(b"eee")
        .fmt0(4, 150, 3, 8, 2)
        .data(b"eee");
    assert_eq!(bytes, w.0);
}

#[test]
fn encoder_repeats_extended_timestamps_and_writes_long_csids() {
    let mut encoder = ChunkEncoder::default();
    let payload = [7u8; 130];
    let bytes = encode_all(&mut encoder, &[raw(320, 0x0100_0000, 9, 1, &payload)]);
    let mut w = Wire::default();
    w.fmt0(320, 0x0100_0000, 130, 9, 1)
        .data(&[7; 128])
        .fmt3(320)
        .u32(0x0100_0000)
        .data(&[7; 2]);
    assert_eq!(bytes, w.0);
}

#[test]
fn single_chunk_payload_is_not_copied() {
    let mut encoder = ChunkEncoder::default();
    let payload = Bytes::from(vec![1u8; 100]);
    let mut out: Vec<Bytes> = Vec::new();
    encoder
        .encode(
            &RawMessage {
                csid: 6,
                timestamp: 0,
                type_id: 9,
                stream_id: 1,
                payload: payload.clone(),
            },
            &mut out,
        )
        .unwrap();
    assert_eq!(out.len(), 2);
    assert_eq!(out[1].as_ptr(), payload.as_ptr());
}

#[test]
fn encoder_refuses_local_misuse() {
    let mut encoder = ChunkEncoder::default();
    let mut out: Vec<Bytes> = Vec::new();
    assert!(encoder.encode(&raw(1, 0, 8, 1, b"a"), &mut out).is_err());
    assert!(encoder
        .encode(&raw(65_600, 0, 8, 1, b"a"), &mut out)
        .is_err());
    assert!(encoder.set_chunk_size(0).is_err());
    assert!(encoder.set_chunk_size(0x8000_0000).is_err());
    assert!(out.is_empty());
}

fn arb_message() -> impl Strategy<Value = RawMessage> {
    (
        prop_oneof![2u32..10, 60u32..70, 310u32..330, 65_590u32..=65_599],
        any::<u32>(),
        prop_oneof![Just(8u8), Just(9), Just(18), Just(20)],
        0u32..3,
        proptest::collection::vec(any::<u8>(), 0..700),
    )
        .prop_map(|(csid, timestamp, type_id, stream_id, payload)| {
            raw(csid, timestamp, type_id, stream_id, &payload)
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    /// Encode, then decode at random cuts: the same messages come back, with
    /// the chunk size switched mid-stream through SetChunkSize.
    #[test]
    fn encode_decode_round_trip(
        messages in proptest::collection::vec(arb_message(), 1..24),
        sizes in proptest::collection::vec(1u32..600, 1..4),
        cuts in proptest::collection::vec(0usize..20_000, 0..16),
    ) {
        let mut encoder = ChunkEncoder::default();
        let mut out: Vec<Bytes> = Vec::new();
        let mut expected = Vec::new();
        for (i, m) in messages.iter().enumerate() {
            if i % 8 == 0 {
                let size = sizes[(i / 8) % sizes.len()];
                let set = raw(2, 0, 1, 0, &size.to_be_bytes());
                encoder.encode(&set, &mut out).unwrap();
                encoder.set_chunk_size(size).unwrap();
                expected.push(msg(&set));
            }
            encoder.encode(m, &mut out).unwrap();
            expected.push(msg(m));
        }
        let wire = out.concat();
        let mut cuts: Vec<usize> = cuts.into_iter().filter(|&c| c < wire.len()).collect();
        cuts.sort_unstable();
        let mut decoder = ChunkDecoder::default();
        let mut buf = BytesMut::new();
        let mut got = Vec::new();
        let mut start = 0;
        for end in cuts.into_iter().chain([wire.len()]) {
            buf.extend_from_slice(&wire[start..end]);
            start = end;
            while let Some(m) = decoder.decode(&mut buf).unwrap() {
                got.push(msg(&m));
            }
        }
        prop_assert_eq!(got, expected);
        prop_assert!(decoder.is_idle());
    }
}
