//! AMF3 values from the fuzzer: decoding must never panic and must respect
//! its limits (references included); whatever decodes must re-encode to
//! bytes that decode to the same value, and re-encode to the same bytes.
#![no_main]

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use wirestate_rtmp::amf3::{decode_value, encode_value, Amf3Limits, Value};

fn encode(value: &Value) -> BytesMut {
    let mut out = BytesMut::new();
    encode_value(value, &mut out);
    out
}

fuzz_target!(|data: &[u8]| {
    let limits = Amf3Limits {
        max_depth: 16,
        max_values: 4096,
        max_bytes: 1 << 16,
    };
    let mut rest = data;
    let Ok(value) = decode_value(&mut rest, &limits) else {
        assert_eq!(rest, data, "a failed decode leaves the input alone");
        return;
    };
    let first = encode(&value);
    // Our own encoding has no object references, so it may be longer than
    // the input, but never more than the limits allow to produce.
    let mut again_input = &first[..];
    let roomy = Amf3Limits {
        max_depth: 16,
        max_values: 1 << 20,
        max_bytes: 1 << 24,
    };
    let again = decode_value(&mut again_input, &roomy).expect("our own encoding decodes");
    assert!(again_input.is_empty());
    // NaN payloads make `==` fail, so compare encodings.
    assert_eq!(encode(&again), first);
});
