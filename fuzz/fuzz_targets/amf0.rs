//! AMF0 bodies from the fuzzer: decoding must never panic and must respect
//! its limits; whatever decodes must re-encode to bytes that decode to the
//! same encoding again; value-by-value decoding must agree with decode_all.
#![no_main]

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use wirestate_rtmp::amf0::{decode_all, decode_value, encode_all, Amf0Limits, Value};

fn encode(values: &[Value]) -> BytesMut {
    let mut out = BytesMut::new();
    encode_all(values, &mut out);
    out
}

fuzz_target!(|data: &[u8]| {
    let limits = Amf0Limits {
        max_depth: 16,
        max_values: 4096,
    };
    let Ok(values) = decode_all(data, &limits) else {
        return;
    };
    assert!(
        values.len() <= data.len(),
        "each value takes at least one byte"
    );

    // Value by value gives the same list.
    let mut rest = data;
    let mut one_by_one = Vec::new();
    while !rest.is_empty() {
        one_by_one.push(decode_value(&mut rest, &limits).expect("decode_all succeeded"));
    }
    assert_eq!(encode(&one_by_one), encode(&values));

    // Re-encoding is stable: decode(encode(v)) encodes to the same bytes,
    // and is never longer than the input (only booleans get normalized)
    // unless AMF3 is involved (its object references are written inline).
    let first = encode(&values);
    assert!(first.len() <= data.len() || data.contains(&0x11));
    let again = decode_all(&first, &limits).expect("our own encoding decodes");
    assert_eq!(encode(&again), first);
});
