//! serde for AMF0 (feature `serde`): values round-trip through serde,
//! user structs decode from a real FFmpeg capture's onMetaData and connect,
//! and mismatches fail with a clear message and path.

use bytes::BytesMut;
use proptest::prelude::*;
use serde::{Deserialize, Serialize};
use wirestate_core::testing::capture;
use wirestate_rtmp::amf0::{self, Amf0Limits, Value};
use wirestate_rtmp::amf3;
use wirestate_rtmp::chunk::ChunkDecoder;
use wirestate_rtmp::message::{Command, Connect, DataMessage, Message};

/// C0 + C1 + C2 of every capture.
const HANDSHAKE_LEN: usize = 1 + 1536 + 1536;

/// Every message a client sent in capture `name`.
fn client_messages(name: &str) -> Vec<Message> {
    let bytes = capture::read(&format!("rtmp/{name}.c2s.bin"));
    let mut input = BytesMut::from(&bytes[HANDSHAKE_LEN..]);
    let mut decoder = ChunkDecoder::default();
    let mut out = Vec::new();
    while let Some(raw) = decoder.decode(&mut input).unwrap() {
        out.push(Message::decode(raw.type_id, raw.payload, &Amf0Limits::default()).unwrap());
    }
    out
}

fn data_message(name: &str) -> DataMessage {
    client_messages(name)
        .into_iter()
        .find_map(|m| match m {
            Message::Data(d) => Some(d),
            _ => None,
        })
        .expect("a data message")
}

fn connect(name: &str) -> Connect {
    client_messages(name)
        .into_iter()
        .find_map(|m| match m {
            Message::Command {
                command: Command::Connect(c),
                ..
            } => Some(c),
            _ => None,
        })
        .expect("a connect")
}

/// What FFmpeg's FLV muxer writes, as a user would declare it.
#[derive(Debug, PartialEq, Deserialize)]
struct FfmpegMetadata {
    width: u32,
    height: u32,
    framerate: f64,
    #[serde(rename = "videocodecid")]
    video_codec: f64,
    #[serde(rename = "audiocodecid")]
    audio_codec: Option<u8>,
    #[serde(rename = "audiosamplerate")]
    sample_rate: Option<u32>,
    stereo: Option<bool>,
    encoder: String,
    duration: f64,
    /// Not sent by FFmpeg: stays `None`.
    #[serde(rename = "displayWidth")]
    display_width: Option<u32>,
}

#[test]
fn ffmpeg_on_metadata_decodes_into_a_struct() {
    let data = data_message("rtmp_ffmpeg_publish_nginx");
    assert_eq!(data.name(), Some("@setDataFrame"));
    let meta: FfmpegMetadata = data.metadata_as().unwrap().expect("onMetaData");
    assert_eq!(
        meta,
        FfmpegMetadata {
            width: 640,
            height: 360,
            framerate: 30.0,
            video_codec: 7.0,
            audio_codec: Some(10),
            sample_rate: Some(44100),
            stereo: Some(true),
            encoder: "Lavf59.27.100".into(),
            duration: 0.0,
            display_width: None,
        }
    );
}

/// Enhanced RTMP: FFmpeg 7+ writes the HEVC FourCC `hvc1` as videocodecid,
/// a number (0x68766331); a `u32` field takes it.
#[derive(Debug, Deserialize)]
struct CodecOnly<'a> {
    videocodecid: u32,
    encoder: &'a str,
}

#[test]
fn enhanced_rtmp_metadata_has_the_fourcc_as_an_integer() {
    let data = data_message("rtmp_ffmpeg9_publish_nginx_ertmp_hevc");
    let meta: CodecOnly = data.metadata_as().unwrap().unwrap();
    assert_eq!(meta.videocodecid.to_be_bytes(), *b"hvc1");
    assert_eq!(meta.encoder, "Lavf63.1.102");
}

#[test]
fn a_data_message_without_metadata_gives_none() {
    let data = DataMessage {
        amf3: false,
        values: vec!["|RtmpSampleAccess".into(), true.into(), true.into()],
    };
    assert_eq!(data.metadata_as::<FfmpegMetadata>(), Ok(None));
}

#[derive(Debug, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
struct ConnectObject {
    app: String,
    tc_url: String,
    flash_ver: String,
    #[serde(rename = "type")]
    kind: Option<String>,
    caps_ex: Option<u32>,
}

#[test]
fn ffmpeg_connect_decodes_into_a_struct() {
    let object: ConnectObject = connect("rtmp_ffmpeg_publish_nginx")
        .command_object_as()
        .unwrap();
    assert_eq!(
        object,
        ConnectObject {
            app: "live".into(),
            tc_url: "rtmp://127.0.0.1:19350/live".into(),
            flash_ver: "FMLE/3.0 (compatible; Lavf59.27.100)".into(),
            kind: Some("nonprivate".into()),
            caps_ex: None,
        }
    );
}

#[test]
fn caps_ex_and_back_to_a_value() {
    let connect = Connect::new(1.0, "live", "rtmp://h/live")
        .with("flashVer", "LNX 9,0,124,2".into())
        .with("capsEx", 15.0.into());
    let object: ConnectObject = connect.command_object_as().unwrap();
    assert_eq!(object.caps_ex, Some(15));
    assert_eq!(object.kind, None);
    // Written back, the struct is an object with the wire names.
    let value = amf0::to_value(&object).unwrap();
    assert_eq!(
        value.get("tcUrl").and_then(Value::as_str),
        Some("rtmp://h/live")
    );
    assert_eq!(value.get("capsEx").and_then(Value::as_f64), Some(15.0));
    assert_eq!(value.get("type"), Some(&Value::Null));
    assert_eq!(amf0::from_value::<ConnectObject>(&value).unwrap(), object);
    // And over the wire: encoded, decoded, read back into the struct.
    let mut wire = BytesMut::new();
    amf0::encode_value(&value, &mut wire);
    let decoded = amf0::decode_all(&wire, &Amf0Limits::default()).unwrap();
    assert_eq!(
        amf0::from_value::<ConnectObject>(&decoded[0]).unwrap(),
        object
    );
}

#[derive(Debug, Deserialize)]
#[allow(dead_code)]
struct Dimensions {
    width: u16,
    height: Option<u16>,
}

fn dims(width: Value) -> Value {
    Value::EcmaArray(vec![("width".into(), width)])
}

#[test]
fn integer_fields_take_only_integral_numbers_in_range() {
    let ok: Dimensions = amf0::from_value(&dims(65535.0.into())).unwrap();
    assert_eq!((ok.width, ok.height), (65535, None));

    let err = amf0::from_value::<Dimensions>(&dims(29.97.into())).unwrap_err();
    assert_eq!(err.path(), "width");
    assert_eq!(
        err.message(),
        "number 29.97 is not an integer: expected u16"
    );
    assert_eq!(
        err.to_string(),
        "number 29.97 is not an integer: expected u16 at `width`"
    );

    let err = amf0::from_value::<Dimensions>(&dims(65536.0.into())).unwrap_err();
    assert_eq!(err.message(), "number 65536 is out of range for u16");
    let err = amf0::from_value::<Dimensions>(&dims((-1.0).into())).unwrap_err();
    assert_eq!(err.message(), "number -1 is out of range for u16");
    let err = amf0::from_value::<Dimensions>(&dims(f64::NAN.into())).unwrap_err();
    assert!(err.message().contains("not an integer"), "{err}");
    let err = amf0::from_value::<u64>(&Value::Number(1e300)).unwrap_err();
    assert!(err.message().contains("beyond 2^53"), "{err}");
    assert_eq!(
        amf0::from_value::<i64>(&Value::Number(-9e15)),
        Ok(-9e15 as i64)
    );
}

#[test]
fn mismatches_name_the_field_and_the_types() {
    let err = amf0::from_value::<Dimensions>(&dims("640".into())).unwrap_err();
    assert_eq!(err.path(), "width");
    assert!(
        err.message().contains("invalid type: string \"640\""),
        "{err}"
    );

    let err = amf0::from_value::<Dimensions>(&Value::EcmaArray(vec![])).unwrap_err();
    assert_eq!(err.message(), "missing field `width`");

    let err = amf0::from_value::<Dimensions>(&Value::Null).unwrap_err();
    assert!(err.message().contains("invalid type: unit value"), "{err}");

    // Nested paths: property names and array indices.
    let nested = Value::Object(vec![(
        "tracks".into(),
        Value::StrictArray(vec![dims(1.0.into()), dims(true.into())]),
    )]);
    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Tracks {
        tracks: Vec<Dimensions>,
    }
    let err = amf0::from_value::<Tracks>(&nested).unwrap_err();
    assert_eq!(err.path(), "tracks[1].width");
}

#[test]
fn references_fail_clearly_both_ways() {
    let value = Value::Object(vec![("self".into(), Value::Reference(0))]);
    let err = amf0::from_value::<Value>(&value).unwrap_err();
    assert!(err.to_string().contains("AMF0 reference"), "{err}");
    let err = serde_json::to_string(&value).unwrap_err();
    assert!(err.to_string().contains("AMF0 reference"), "{err}");
}

#[test]
fn to_value_rejects_what_amf0_cannot_hold() {
    let err = amf0::to_value(&(1u64 << 60)).unwrap_err();
    assert!(err.to_string().contains("beyond 2^53"), "{err}");
    let mut map = std::collections::BTreeMap::new();
    map.insert(vec![1u8], 1.0);
    let err = amf0::to_value(&map).unwrap_err();
    assert!(
        err.to_string().contains("property name must be text"),
        "{err}"
    );
    // Integer keys are written in decimal.
    let map = std::collections::BTreeMap::from([(7u32, "x")]);
    assert_eq!(
        amf0::to_value(&map),
        Ok(Value::Object(vec![("7".into(), "x".into())]))
    );
}

#[derive(Debug, PartialEq, Deserialize, Serialize)]
enum Mode {
    Live,
    Record { name: String },
}

#[test]
fn enums_are_names_or_single_property_objects() {
    assert_eq!(amf0::to_value(&Mode::Live), Ok("Live".into()));
    let record = Mode::Record { name: "a".into() };
    let value = amf0::to_value(&record).unwrap();
    assert_eq!(
        value,
        Value::Object(vec![(
            "Record".into(),
            Value::Object(vec![("name".into(), "a".into())])
        )])
    );
    assert_eq!(amf0::from_value::<Mode>(&value), Ok(record));
    assert_eq!(amf0::from_value::<Mode>(&"Live".into()), Ok(Mode::Live));
}

#[test]
fn amf3_values_behind_a_switch_decode_too() {
    let object = amf3::Value::Object(amf3::Object::anonymous(vec![
        ("width".into(), amf3::Value::Integer(640)),
        ("tags".into(), amf3::Value::ByteArray(vec![1, 2])),
        ("when".into(), amf3::Value::Date(5.0)),
    ]));
    #[derive(Debug, Deserialize)]
    struct Amf3Meta {
        width: u16,
        tags: Vec<u8>,
        when: f64,
    }
    let meta: Amf3Meta = amf0::from_value(&Value::from(object.clone())).unwrap();
    assert_eq!((meta.width, meta.tags, meta.when), (640, vec![1, 2], 5.0));
    let json = serde_json::to_value(Value::from(object)).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"width": 640, "tags": [1, 2], "when": 5.0})
    );
}

#[test]
fn dates_are_their_milliseconds() {
    let date = Value::Date {
        millis: 1.7e12,
        timezone: 0,
    };
    assert_eq!(amf0::from_value::<f64>(&date), Ok(1.7e12));
    assert_eq!(amf0::from_value::<i64>(&date), Ok(1_700_000_000_000));
    assert_eq!(serde_json::to_string(&date).unwrap(), "1700000000000.0");
}

// ---- Round trips ----

fn arb_value() -> impl Strategy<Value = Value> {
    let number = any::<f64>().prop_filter("NaN is not equal to itself", |n| !n.is_nan());
    let leaf = prop_oneof![
        number.clone().prop_map(Value::Number),
        any::<bool>().prop_map(Value::Boolean),
        "[a-zé ]{0,8}".prop_map(Value::String),
        "[a-z]{0,8}".prop_map(Value::LongString),
        "<x/>".prop_map(Value::XmlDocument),
        Just(Value::Null),
        Just(Value::Undefined),
        Just(Value::Unsupported),
        (number, any::<i16>()).prop_map(|(millis, timezone)| Value::Date { millis, timezone }),
    ];
    leaf.prop_recursive(3, 24, 5, |inner| {
        let props = proptest::collection::vec(("[a-zA-Z]{1,6}", inner.clone()), 0..5);
        prop_oneof![
            props.clone().prop_map(Value::Object),
            props.clone().prop_map(Value::EcmaArray),
            props.prop_map(|properties| Value::TypedObject {
                class_name: "C".into(),
                properties
            }),
            proptest::collection::vec(inner, 0..5).prop_map(Value::StrictArray),
        ]
    })
}

/// What a value becomes after a trip through serde: the documented mapping.
fn canonical(value: &Value) -> Value {
    let keyed = |p: &[(String, Value)]| {
        Value::Object(p.iter().map(|(k, v)| (k.clone(), canonical(v))).collect())
    };
    match value {
        Value::LongString(s) | Value::XmlDocument(s) => Value::String(s.clone()),
        Value::Undefined | Value::Unsupported => Value::Null,
        Value::Date { millis, .. } => Value::Number(*millis),
        Value::StrictArray(items) => Value::StrictArray(items.iter().map(canonical).collect()),
        other => match other.properties() {
            Some(p) => keyed(p),
            None => other.clone(),
        },
    }
}

proptest! {
    #[test]
    fn values_round_trip_through_from_value_to_value_and_json(value in arb_value()) {
        let want = canonical(&value);
        prop_assert_eq!(&amf0::from_value::<Value>(&value).unwrap(), &want);
        prop_assert_eq!(&amf0::to_value(&value).unwrap(), &want);
        // Canonical values are fixed points.
        prop_assert_eq!(&amf0::to_value(&want).unwrap(), &want);
        // Through serde_json's tree, not its text (parsing text rounds the
        // last bit of some doubles unless serde_json's float_roundtrip is
        // on). Its maps sort their keys, so compare as JSON trees.
        let json = serde_json::to_value(&value).unwrap();
        prop_assert_eq!(&serde_json::to_value(&want).unwrap(), &json);
        if !has_infinity(&value) {
            let back: Value = serde_json::from_value(json.clone()).unwrap();
            prop_assert_eq!(&serde_json::to_value(&back).unwrap(), &json);
            prop_assert_eq!(&amf0::to_value(&back).unwrap(), &back);
        }
    }
}

fn has_infinity(value: &Value) -> bool {
    match value {
        Value::Number(n) | Value::Date { millis: n, .. } => n.is_infinite(),
        Value::StrictArray(items) => items.iter().any(has_infinity),
        other => other
            .properties()
            .is_some_and(|p| p.iter().any(|(_, v)| has_infinity(v))),
    }
}
