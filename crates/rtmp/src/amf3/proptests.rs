//! Properties of the AMF3 codec: every value survives encode then decode,
//! and arbitrary bytes never panic.

use bytes::BytesMut;
use proptest::prelude::*;

use super::*;

fn encode(value: &Value) -> Vec<u8> {
    let mut out = BytesMut::new();
    encode_value(value, &mut out);
    out.to_vec()
}

fn decode(wire: &[u8]) -> Result<Value, Amf3Error> {
    let mut input = wire;
    let value = decode_value(&mut input, &Amf3Limits::default())?;
    assert!(input.is_empty(), "{wire:02x?} left {input:02x?}");
    Ok(value)
}

fn text() -> BoxedStrategy<String> {
    prop_oneof![Just(String::new()), "[ab]{1,2}", "\\PC{0,6}"].boxed()
}

fn key() -> BoxedStrategy<String> {
    prop_oneof!["[ab]{1,2}", "\\PC{1,6}"].boxed()
}

fn leaf() -> impl Strategy<Value = Value> {
    let number = any::<f64>().prop_filter("NaN is not equal to itself", |n| !n.is_nan());
    prop_oneof![
        Just(Value::Undefined),
        Just(Value::Null),
        any::<bool>().prop_map(Value::Boolean),
        (MIN_INTEGER..=MAX_INTEGER).prop_map(Value::Integer),
        number.clone().prop_map(Value::Double),
        text().prop_map(Value::String),
        text().prop_map(Value::XmlDocument),
        text().prop_map(Value::Xml),
        number.clone().prop_map(Value::Date),
        proptest::collection::vec(any::<u8>(), 0..8).prop_map(Value::ByteArray),
        (any::<bool>(), proptest::collection::vec(any::<i32>(), 0..4))
            .prop_map(|(fixed, items)| Value::VectorInt(Vector { fixed, items })),
        (any::<bool>(), proptest::collection::vec(any::<u32>(), 0..4))
            .prop_map(|(fixed, items)| Value::VectorUint(Vector { fixed, items })),
        (any::<bool>(), proptest::collection::vec(number, 0..4))
            .prop_map(|(fixed, items)| Value::VectorDouble(Vector { fixed, items })),
    ]
}

fn value() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(4, 48, 4, |inner| {
        let pairs = proptest::collection::vec((key(), inner.clone()), 0..3).boxed();
        prop_oneof![
            (
                pairs.clone(),
                proptest::collection::vec(inner.clone(), 0..4)
            )
                .prop_map(|(associative, dense)| Value::Array(Array { associative, dense })),
            (
                prop_oneof![Just(String::new()), "[AB]"],
                pairs.clone(),
                proptest::option::of(pairs)
            )
                .prop_map(|(class_name, sealed, dynamic)| Value::Object(Object {
                    class_name,
                    sealed,
                    dynamic
                })),
            (
                text(),
                any::<bool>(),
                proptest::collection::vec(inner.clone(), 0..3)
            )
                .prop_map(|(type_name, fixed, items)| Value::VectorObject {
                    type_name,
                    vector: Vector { fixed, items }
                }),
            (
                any::<bool>(),
                proptest::collection::vec((inner.clone(), inner), 0..3)
            )
                .prop_map(|(weak_keys, entries)| Value::Dictionary(Dictionary {
                    weak_keys,
                    entries
                })),
        ]
    })
}

proptest! {
    #[test]
    fn encode_then_decode_gives_the_value(value in value()) {
        let wire = encode(&value);
        prop_assert_eq!(decode(&wire), Ok(value));
    }

    #[test]
    fn arbitrary_bytes_never_panic_and_reencode_stably(
        bytes in proptest::collection::vec(prop_oneof![0u8..0x12, Just(0x01), any::<u8>()], 0..64)
    ) {
        let tight = Amf3Limits { max_depth: 8, max_values: 256, max_bytes: 4096 };
        let mut input = bytes.as_slice();
        if let Ok(value) = decode_value(&mut input, &tight) {
            let wire = encode(&value);
            prop_assert_eq!(decode(&wire), Ok(value));
        }
    }
}
