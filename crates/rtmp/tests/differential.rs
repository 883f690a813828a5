//! Differential properties against rml_rtmp, an independent implementation:
//! its serializer's chunks decode with our decoder, and our encoder's chunks
//! decode with its deserializer, to the same messages.

use bytes::{Bytes, BytesMut};
use proptest::prelude::*;
use rml_rtmp::chunk_io::{ChunkDeserializer, ChunkSerializer};
use rml_rtmp::messages::MessagePayload;
use rml_rtmp::time::RtmpTimestamp;
use wirestate_rtmp::chunk::{ChunkDecoder, ChunkEncoder, RawMessage};

/// `(type_id, stream_id, timestamp, payload)`.
type Msg = (u8, u32, u32, Vec<u8>);

/// Messages with non-decreasing timestamps (a real stream's shape), starting
/// at 0 or just below the extended-timestamp threshold, and non-empty
/// payloads (rml_rtmp writes no chunk at all for an empty one).
fn arb_stream() -> impl Strategy<Value = Vec<Msg>> {
    let messages = proptest::collection::vec(
        (
            prop_oneof![Just(8u8), Just(9), Just(18), Just(20)],
            0u32..3,
            0u32..100,
            proptest::collection::vec(any::<u8>(), 1..700),
        ),
        1..30,
    );
    (prop_oneof![Just(0u32), Just(0x00FF_FFF0)], messages).prop_map(|(start, items)| {
        let mut timestamp = start;
        items
            .into_iter()
            .map(|(type_id, stream_id, delta, payload)| {
                timestamp += delta;
                (type_id, stream_id, timestamp, payload)
            })
            .collect()
    })
}

fn decode_ours(wire: &[u8], cut: usize) -> Vec<Msg> {
    let mut decoder = ChunkDecoder::default();
    let mut buf = BytesMut::new();
    let mut out = Vec::new();
    for piece in [&wire[..cut.min(wire.len())], &wire[cut.min(wire.len())..]] {
        buf.extend_from_slice(piece);
        while let Some(m) = decoder.decode(&mut buf).unwrap() {
            if m.type_id != 1 {
                out.push((m.type_id, m.stream_id, m.timestamp, m.payload.to_vec()));
            }
        }
    }
    assert!(buf.is_empty() && decoder.is_idle());
    out
}

fn decode_rml(wire: &[u8]) -> Vec<Msg> {
    let mut decoder = ChunkDeserializer::new();
    let mut out = Vec::new();
    let mut input = wire;
    while let Some(m) = decoder.get_next_message(input).unwrap() {
        input = &[];
        if m.type_id == 1 {
            let size = u32::from_be_bytes(m.data[..4].try_into().unwrap());
            decoder.set_max_chunk_size(size as usize).unwrap();
        } else {
            out.push((
                m.type_id,
                m.message_stream_id,
                m.timestamp.value,
                m.data.to_vec(),
            ));
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]
    #[test]
    fn rml_rtmp_chunks_decode_with_our_decoder(stream in arb_stream(), chunk_size in 1u32..600, cut in 0usize..30_000) {
        let mut serializer = ChunkSerializer::new();
        let mut wire = serializer.set_max_chunk_size(chunk_size, RtmpTimestamp::new(0)).unwrap().bytes;
        for (type_id, stream_id, timestamp, payload) in &stream {
            let message = MessagePayload {
                timestamp: RtmpTimestamp::new(*timestamp),
                type_id: *type_id,
                message_stream_id: *stream_id,
                data: Bytes::copy_from_slice(payload),
            };
            wire.extend(serializer.serialize(&message, false, false).unwrap().bytes);
        }
        prop_assert_eq!(decode_ours(&wire, cut), stream);
    }

    #[test]
    fn our_chunks_decode_with_rml_rtmp(stream in arb_stream(), chunk_size in 1u32..600) {
        let mut encoder = ChunkEncoder::default();
        let mut pieces: Vec<Bytes> = Vec::new();
        let set = RawMessage {
            csid: 2,
            timestamp: 0,
            type_id: 1,
            stream_id: 0,
            payload: Bytes::copy_from_slice(&chunk_size.to_be_bytes()),
        };
        encoder.encode(&set, &mut pieces).unwrap();
        encoder.set_chunk_size(chunk_size).unwrap();
        for (type_id, stream_id, timestamp, payload) in &stream {
            let message = RawMessage {
                csid: if *type_id == 20 { 3 } else { u32::from(*type_id) - 4 },
                timestamp: *timestamp,
                type_id: *type_id,
                stream_id: *stream_id,
                payload: Bytes::copy_from_slice(payload),
            };
            encoder.encode(&message, &mut pieces).unwrap();
        }
        prop_assert_eq!(decode_rml(&pieces.concat()), stream);
    }
}
