use bytes::BytesMut;

use super::*;

fn limits() -> Amf3Limits {
    Amf3Limits::default()
}

fn encode(value: &Value) -> Vec<u8> {
    let mut out = BytesMut::new();
    encode_value(value, &mut out);
    out.to_vec()
}

fn decode(wire: &[u8]) -> Result<Value, Amf3Error> {
    let mut input = wire;
    let value = decode_value(&mut input, &limits())?;
    assert!(input.is_empty(), "{wire:02x?} left {input:02x?}");
    Ok(value)
}

fn s(text: &str) -> Value {
    Value::String(text.into())
}

fn members(pairs: &[(&str, Value)]) -> Vec<(String, Value)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect()
}

fn dense(items: Vec<Value>) -> Value {
    Value::Array(Array {
        associative: vec![],
        dense: items,
    })
}

/// One case per marker (and per U29 length): the wire bytes and the value.
/// Every case re-encodes to exactly its wire bytes.
fn marker_cases() -> Vec<(&'static str, Vec<u8>, Value)> {
    let pi = std::f64::consts::PI.to_be_bytes();
    vec![
        ("undefined", vec![0x00], Value::Undefined),
        ("null", vec![0x01], Value::Null),
        ("false", vec![0x02], Value::Boolean(false)),
        ("true", vec![0x03], Value::Boolean(true)),
        ("integer 0", vec![0x04, 0x00], Value::Integer(0)),
        ("integer 127", vec![0x04, 0x7f], Value::Integer(127)),
        ("integer 128", vec![0x04, 0x81, 0x00], Value::Integer(128)),
        (
            "integer 16383",
            vec![0x04, 0xff, 0x7f],
            Value::Integer(16383),
        ),
        (
            "integer 16384",
            vec![0x04, 0x81, 0x80, 0x00],
            Value::Integer(16384),
        ),
        (
            "integer 2^21-1",
            vec![0x04, 0xff, 0xff, 0x7f],
            Value::Integer((1 << 21) - 1),
        ),
        (
            "integer 2^21",
            vec![0x04, 0x80, 0xc0, 0x80, 0x00],
            Value::Integer(1 << 21),
        ),
        (
            "integer max",
            vec![0x04, 0xbf, 0xff, 0xff, 0xff],
            Value::Integer(MAX_INTEGER),
        ),
        (
            "integer -1",
            vec![0x04, 0xff, 0xff, 0xff, 0xff],
            Value::Integer(-1),
        ),
        (
            "integer min",
            vec![0x04, 0xc0, 0x80, 0x80, 0x00],
            Value::Integer(MIN_INTEGER),
        ),
        (
            "double",
            [&[0x05][..], &pi].concat(),
            Value::Double(std::f64::consts::PI),
        ),
        ("string", b"\x06\x09live".to_vec(), s("live")),
        ("empty string", vec![0x06, 0x01], s("")),
        (
            "utf-8 string",
            "\x06\x05\u{e9}".as_bytes().to_vec(),
            s("\u{e9}"),
        ),
        (
            "xml document",
            b"\x07\x09<a/>".to_vec(),
            Value::XmlDocument("<a/>".into()),
        ),
        (
            "date",
            [&[0x08, 0x01][..], &pi].concat(),
            Value::Date(std::f64::consts::PI),
        ),
        (
            "dense array",
            b"\x09\x05\x01\x04\x01\x06\x03a".to_vec(),
            dense(vec![Value::Integer(1), s("a")]),
        ),
        ("empty array", b"\x09\x01\x01".to_vec(), dense(vec![])),
        (
            "associative and dense array",
            b"\x09\x03\x03k\x01\x01\x03".to_vec(),
            Value::Array(Array {
                associative: members(&[("k", Value::Null)]),
                dense: vec![Value::Boolean(true)],
            }),
        ),
        (
            "anonymous object",
            b"\x0a\x0b\x01\x03a\x04\x01\x01".to_vec(),
            Value::Object(Object::anonymous(members(&[("a", Value::Integer(1))]))),
        ),
        (
            "sealed typed object",
            b"\x0a\x23\x05Pt\x03x\x03y\x04\x01\x04\x02".to_vec(),
            Value::Object(Object {
                class_name: "Pt".into(),
                sealed: members(&[("x", Value::Integer(1)), ("y", Value::Integer(2))]),
                dynamic: None,
            }),
        ),
        (
            "sealed and dynamic members",
            b"\x0a\x1b\x03C\x03a\x01\x03b\x02\x01".to_vec(),
            Value::Object(Object {
                class_name: "C".into(),
                sealed: members(&[("a", Value::Null)]),
                dynamic: Some(members(&[("b", Value::Boolean(false))])),
            }),
        ),
        ("xml", b"\x0b\x09<a/>".to_vec(), Value::Xml("<a/>".into())),
        (
            "byte array",
            b"\x0c\x07\x01\x02\x03".to_vec(),
            Value::ByteArray(vec![1, 2, 3]),
        ),
        (
            "vector int",
            b"\x0d\x05\x00\xff\xff\xff\xff\x00\x00\x00\x02".to_vec(),
            Value::VectorInt(Vector {
                fixed: false,
                items: vec![-1, 2],
            }),
        ),
        (
            "fixed vector uint",
            b"\x0e\x03\x01\xff\xff\xff\xff".to_vec(),
            Value::VectorUint(Vector {
                fixed: true,
                items: vec![u32::MAX],
            }),
        ),
        (
            "vector double",
            b"\x0f\x03\x00\x3f\xf8\x00\x00\x00\x00\x00\x00".to_vec(),
            Value::VectorDouble(Vector {
                fixed: false,
                items: vec![1.5],
            }),
        ),
        (
            "vector object",
            b"\x10\x05\x00\x01\x06\x03a\x01".to_vec(),
            Value::VectorObject {
                type_name: String::new(),
                vector: Vector {
                    fixed: false,
                    items: vec![s("a"), Value::Null],
                },
            },
        ),
        (
            "dictionary",
            b"\x11\x03\x00\x06\x03k\x04\x05".to_vec(),
            Value::Dictionary(Dictionary {
                weak_keys: false,
                entries: vec![(s("k"), Value::Integer(5))],
            }),
        ),
        // References the encoder writes itself: repeated strings and traits.
        (
            "string reference",
            b"\x09\x05\x01\x06\x05ab\x06\x00".to_vec(),
            dense(vec![s("ab"), s("ab")]),
        ),
        (
            "member names and traits by reference",
            b"\x09\x05\x01\x0a\x0b\x01\x03a\x04\x01\x01\x0a\x01\x00\x04\x02\x01".to_vec(),
            dense(vec![
                Value::Object(Object::anonymous(members(&[("a", Value::Integer(1))]))),
                Value::Object(Object::anonymous(members(&[("a", Value::Integer(2))]))),
            ]),
        ),
    ]
}

#[test]
fn every_marker_decodes_and_reencodes_exactly() {
    for (name, wire, value) in marker_cases() {
        assert_eq!(decode(&wire).as_ref(), Ok(&value), "{name}");
        assert_eq!(encode(&value), wire, "{name}");
    }
}

#[test]
fn every_truncation_of_every_case_is_a_typed_error() {
    for (name, wire, _) in marker_cases() {
        for cut in 0..wire.len() {
            let result = decode_value(&mut &wire[..cut], &limits());
            assert!(
                matches!(
                    result,
                    Err(Amf3Error::Truncated { .. } | Amf3Error::CountTooLarge { .. })
                ),
                "{name} cut at {cut}: {result:?}"
            );
        }
    }
}

#[test]
fn object_references_are_resolved_to_copies() {
    let date = [&[0x08, 0x01][..], &1.0f64.to_be_bytes()].concat();
    let object = Value::Object(Object::anonymous(members(&[("a", Value::Integer(1))])));
    let cases: Vec<(&str, Vec<u8>, Value)> = vec![
        (
            "object by reference (index 1: the array is 0)",
            b"\x09\x05\x01\x0a\x0b\x01\x03a\x04\x01\x01\x0a\x02".to_vec(),
            dense(vec![object.clone(), object.clone()]),
        ),
        (
            "date by reference",
            [&b"\x09\x05\x01"[..], &date, b"\x08\x02"].concat(),
            dense(vec![Value::Date(1.0); 2]),
        ),
        (
            "byte array by reference",
            b"\x09\x05\x01\x0c\x03\x07\x0c\x02".to_vec(),
            dense(vec![Value::ByteArray(vec![7]); 2]),
        ),
        (
            "xml by reference",
            b"\x09\x05\x01\x0b\x03x\x0b\x02".to_vec(),
            dense(vec![Value::Xml("x".into()); 2]),
        ),
        (
            // The copy sees the string table as it was: "a" is string 0 both times.
            "array holding a string reference, by reference",
            b"\x09\x05\x01\x09\x05\x01\x06\x03a\x06\x00\x09\x02".to_vec(),
            dense(vec![dense(vec![s("a"), s("a")]); 2]),
        ),
        (
            // After the copy, new entries continue where the original left them.
            "tables continue after a replay",
            b"\x09\x09\x01\x09\x03\x01\x06\x03a\x09\x02\x0c\x03\x01\x0c\x04".to_vec(),
            dense(vec![
                dense(vec![s("a")]),
                dense(vec![s("a")]),
                Value::ByteArray(vec![1]),
                Value::ByteArray(vec![1]),
            ]),
        ),
    ];
    for (name, wire, value) in cases {
        assert_eq!(decode(&wire).as_ref(), Ok(&value), "{name}");
        assert_eq!(
            decode(&encode(&value)).as_ref(),
            Ok(&value),
            "{name} round trip"
        );
    }
}

#[test]
fn malformed_inputs_are_typed_errors() {
    use Amf3Error::*;
    let cases: &[(&str, &[u8], Amf3Error)] = &[
        (
            "empty input",
            b"",
            Truncated {
                offset: 0,
                needed: 1,
            },
        ),
        (
            "truncated U29",
            b"\x04\xff\xff",
            Truncated {
                offset: 1,
                needed: 1,
            },
        ),
        (
            "truncated double",
            b"\x05\x00",
            Truncated {
                offset: 1,
                needed: 7,
            },
        ),
        (
            "string longer than input",
            b"\x06\x09ab",
            Truncated {
                offset: 2,
                needed: 2,
            },
        ),
        (
            "unknown marker",
            b"\x12",
            UnknownMarker {
                marker: 0x12,
                offset: 0,
            },
        ),
        ("bad utf-8", b"\x06\x05\xc3\x28", InvalidUtf8 { offset: 2 }),
        (
            "string reference out of range",
            b"\x06\x00",
            BadReference {
                table: "string",
                index: 0,
                len: 0,
                offset: 1,
            },
        ),
        (
            "object reference out of range",
            b"\x09\x02",
            BadReference {
                table: "object",
                index: 1,
                len: 0,
                offset: 1,
            },
        ),
        (
            "traits reference out of range",
            b"\x0a\x05",
            BadReference {
                table: "traits",
                index: 1,
                len: 0,
                offset: 1,
            },
        ),
        (
            "array holding itself",
            b"\x09\x03\x01\x09\x00",
            CyclicReference {
                index: 0,
                offset: 4,
            },
        ),
        (
            "object holding itself",
            b"\x0a\x0b\x01\x03a\x0a\x00",
            CyclicReference {
                index: 0,
                offset: 6,
            },
        ),
        (
            "externalizable object",
            b"\x0a\x07\x07Cls",
            Externalizable {
                class_name: String::new() + "Cls",
                offset: 0,
            },
        ),
        (
            "dense count larger than input",
            b"\x09\xff\xff\xff\xff",
            CountTooLarge {
                count: (1 << 28) - 1,
                offset: 5,
            },
        ),
        (
            "vector int count larger than input",
            b"\x0d\x81\x01\x00",
            CountTooLarge {
                count: 64,
                offset: 3,
            },
        ),
        (
            "sealed count larger than input",
            b"\x0a\xff\xff\xff\xf3\x01",
            CountTooLarge {
                count: (1 << 25) - 1,
                offset: 1,
            },
        ),
        (
            "dictionary count larger than input",
            b"\x11\x05\x00\x01",
            CountTooLarge {
                count: 2,
                offset: 2,
            },
        ),
    ];
    for (name, wire, expected) in cases {
        let mut input = *wire;
        assert_eq!(
            decode_value(&mut input, &limits()).as_ref(),
            Err(expected),
            "{name}"
        );
        assert_eq!(input, *wire, "{name}: input left unchanged");
    }
}

#[test]
fn a_depth_bomb_stops_at_the_depth_limit() {
    let wire: Vec<u8> = std::iter::repeat_n([0x09, 0x03, 0x01], 10_000)
        .flatten()
        .collect();
    assert!(matches!(
        decode(&wire),
        Err(Amf3Error::TooDeep {
            max_depth: 32,
            offset: 96
        })
    ));
    let tight = Amf3Limits {
        max_depth: 3,
        ..limits()
    };
    let mut nested = b"\x09\x03\x01\x09\x03\x01\x09\x03\x01\x01".as_slice();
    assert!(decode_value(&mut nested, &tight).is_ok());
    nested = b"\x09\x03\x01\x09\x03\x01\x09\x03\x01\x01";
    let deeper = [&[0x09, 0x03, 0x01][..], nested].concat();
    assert!(matches!(
        decode_value(&mut deeper.as_slice(), &tight),
        Err(Amf3Error::TooDeep { .. })
    ));
    // A reference copies its depth: the copy of a depth-3 array inside one more array is too deep.
    let by_reference = b"\x09\x05\x01\x09\x03\x01\x09\x03\x01\x01\x09\x03\x01\x09\x02";
    assert!(matches!(
        decode_value(&mut &by_reference[..], &tight),
        Err(Amf3Error::TooDeep { .. })
    ));
    nested = b"";
    assert!(nested.is_empty());
}

/// Array k holds two references to array k-1: 2^k copies from a few bytes.
#[test]
fn a_reference_bomb_stops_at_the_value_limit() {
    let levels = 40u32;
    let mut wire = vec![0x09, (((levels + 1) << 1) | 1) as u8, 0x01];
    wire.extend_from_slice(b"\x09\x05\x01\x06\x03x\x06\x00");
    for k in 1..levels {
        wire.extend_from_slice(&[0x09, 0x05, 0x01, 0x09, (k << 1) as u8, 0x09, (k << 1) as u8]);
    }
    wire.push(0x01);
    let deep = Amf3Limits {
        max_depth: 100,
        max_values: 100_000,
        max_bytes: 1 << 24,
    };
    let started = std::time::Instant::now();
    assert!(matches!(
        decode_value(&mut wire.as_slice(), &deep),
        Err(Amf3Error::TooLarge { .. })
    ));
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    let result = decode(&wire);
    assert!(
        matches!(result, Err(Amf3Error::TooLarge { .. })),
        "default limits: {result:?}"
    );
}

#[test]
fn string_references_are_charged_to_the_byte_limit() {
    // One 1000-byte string, then 20 000 references to it: 20 MB from 41 kB.
    let mut wire = vec![0x09, 0x82, 0xb8, 0x43, 0x01, 0x06, 0x8f, 0x51];
    wire.extend(std::iter::repeat_n(b'x', 1000));
    for _ in 1..20_001 {
        wire.extend_from_slice(&[0x06, 0x00]);
    }
    let small = Amf3Limits {
        max_bytes: 1 << 20,
        ..limits()
    };
    assert!(matches!(
        decode_value(&mut wire.as_slice(), &small),
        Err(Amf3Error::TooLarge {
            max_bytes: 1_048_576,
            ..
        })
    ));
}

#[test]
fn out_of_range_integers_are_written_as_doubles() {
    assert_eq!(
        decode(&encode(&Value::Integer(MAX_INTEGER + 1))),
        Ok(Value::Double(f64::from(MAX_INTEGER + 1)))
    );
    assert_eq!(
        decode(&encode(&Value::Integer(i32::MIN))),
        Ok(Value::Double(f64::from(i32::MIN)))
    );
}
