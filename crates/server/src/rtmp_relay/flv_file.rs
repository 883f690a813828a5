//! What a recording needs to know about FLV bytes: where the `duration`
//! and `filesize` numbers sit in a metadata tag (to patch them when the
//! recording ends), and where the whole tags of an existing file end (to
//! append to it).

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};

use bytes::{Bytes, BytesMut};
use wirestate_rtmp::amf0::{decode_all, encode_value, Amf0Limits, Value};
use wirestate_rtmp::flv::{TagType, HEADER_LEN, TAG_HEADER_LEN};
use wirestate_rtmp::message::{DataMessage, Message};
use wirestate_rtmp::session::player_metadata;

/// A number in the metadata that is patched when the recording ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Field {
    /// Seconds from the first to the last tag.
    Duration,
    /// Bytes of the whole file.
    Filesize,
}

/// The body of the metadata tag to record for `data`: `onMetaData` and its
/// properties as an ECMA array, with a `duration` (0 until patched) added
/// first when the publisher sent none; other data messages as received.
pub(super) fn metadata_payload(data: &DataMessage) -> Bytes {
    let Some(metadata) = player_metadata(data) else {
        return Message::Data(data.clone()).encode_payload();
    };
    let mut properties = metadata.values[1].properties().unwrap_or(&[]).to_vec();
    if !properties.iter().any(|(key, _)| key == "duration") {
        properties.insert(0, ("duration".into(), Value::Number(0.0)));
    }
    let values = vec![metadata.values[0].clone(), Value::EcmaArray(properties)];
    Message::Data(DataMessage {
        amf3: false,
        values,
    })
    .encode_payload()
}

/// Where the `duration` and `filesize` numbers (the 8 bytes of each f64)
/// are in an `onMetaData` tag body; empty for other bodies.
///
/// The offsets come from the structure, not a byte search: the values are
/// decoded, and each one before the number is re-encoded to learn its
/// length (AMF0 re-encodes to the bytes it was read from).
pub(super) fn locate_numbers(body: &[u8]) -> Vec<(usize, Field)> {
    let Ok(values) = decode_all(body, &Amf0Limits::default()) else {
        return Vec::new();
    };
    let (Some(Value::String(name)), Some(container)) = (values.first(), values.get(1)) else {
        return Vec::new();
    };
    if name != "onMetaData" {
        return Vec::new();
    }
    let (header, properties) = match container {
        Value::Object(p) => (1, p),
        Value::EcmaArray(p) | Value::MiscountedEcmaArray { properties: p, .. } => (5, p),
        _ => return Vec::new(),
    };
    let mut at = encoded_len(&values[0]) + header;
    let mut found = Vec::new();
    for (key, value) in properties {
        if key.len() > usize::from(u16::MAX) {
            return Vec::new();
        }
        at += 2 + key.len();
        let field = match key.as_str() {
            "duration" => Some(Field::Duration),
            "filesize" => Some(Field::Filesize),
            _ => None,
        };
        if let (Some(field), Value::Number(_)) = (field, value) {
            // After the number's marker byte.
            found.push((at + 1, field));
        }
        at += encoded_len(value);
    }
    found
}

fn encoded_len(value: &Value) -> usize {
    let mut out = BytesMut::new();
    encode_value(value, &mut out);
    out.len()
}

/// What an existing FLV file holds, for appending to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Existing {
    /// Where its whole tags end (a partial tag after is cut off).
    pub(super) end: u64,
    /// The first tag's timestamp, if it has tags.
    pub(super) first_timestamp: Option<u32>,
    /// The last whole tag's timestamp, if it has tags.
    pub(super) last_timestamp: Option<u32>,
    /// The numbers to patch in its first tag, when that is metadata, as
    /// file offsets.
    pub(super) numbers: Vec<(u64, Field)>,
}

/// The largest first metadata tag read back for patching.
const MAX_METADATA: usize = 64 << 10;

/// Reads the header and walks the tags of `file` (every tag header, the
/// bodies skipped) up to the end of the last whole tag.
///
/// # Errors
///
/// [`io::ErrorKind::InvalidData`] when it is not an FLV file; read errors.
pub(super) fn scan(file: &mut File) -> io::Result<Existing> {
    let len = file.seek(SeekFrom::End(0))?;
    let mut header = [0; HEADER_LEN];
    file.seek(SeekFrom::Start(0))?;
    file.read_exact(&mut header)?;
    let header_size = u32::from_be_bytes([header[5], header[6], header[7], header[8]]);
    if &header[..4] != b"FLV\x01" || header_size != 9 {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "not an FLV file",
        ));
    }
    let mut existing = Existing {
        end: HEADER_LEN as u64,
        first_timestamp: None,
        last_timestamp: None,
        numbers: Vec::new(),
    };
    let mut tag = [0; TAG_HEADER_LEN];
    while existing.end + TAG_HEADER_LEN as u64 <= len {
        file.seek(SeekFrom::Start(existing.end))?;
        file.read_exact(&mut tag)?;
        let size = u32::from_be_bytes([0, tag[1], tag[2], tag[3]]);
        let next = existing.end + (TAG_HEADER_LEN as u64) + u64::from(size) + 4;
        if next > len {
            break;
        }
        let timestamp = u32::from_be_bytes([tag[7], tag[4], tag[5], tag[6]]);
        if existing.first_timestamp.is_none() {
            existing.first_timestamp = Some(timestamp);
            let script = TagType::from_byte(tag[0] & 0x1f) == Some(TagType::Script);
            if script && (size as usize) <= MAX_METADATA {
                let mut body = vec![0; size as usize];
                file.read_exact(&mut body)?;
                let body_at = existing.end + TAG_HEADER_LEN as u64;
                existing.numbers = locate_numbers(&body)
                    .into_iter()
                    .map(|(at, field)| (body_at + at as u64, field))
                    .collect();
            }
        }
        existing.last_timestamp = Some(timestamp);
        existing.end = next;
    }
    Ok(existing)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use wirestate_rtmp::flv::FlvWriter;

    fn data(values: Vec<Value>) -> DataMessage {
        DataMessage {
            amf3: false,
            values,
        }
    }

    #[test]
    fn the_numbers_are_found_where_they_are_encoded() {
        let published = data(vec![
            Value::String("@setDataFrame".into()),
            Value::String("onMetaData".into()),
            Value::Object(vec![
                ("encoder".into(), Value::String("Lavf".into())),
                ("filesize".into(), Value::Number(7.0)),
                ("stereo".into(), Value::Boolean(true)),
            ]),
        ]);
        let body = metadata_payload(&published);
        let numbers = locate_numbers(&body);
        assert_eq!(numbers.len(), 2, "{numbers:?}");
        let number = |at: usize| f64::from_be_bytes(body[at..at + 8].try_into().unwrap());
        // A duration was added first; the filesize kept.
        assert_eq!(numbers[0].1, Field::Duration);
        assert_eq!(number(numbers[0].0), 0.0);
        assert_eq!(body[numbers[0].0 - 1], 0, "a number marker");
        assert_eq!(&body[numbers[0].0 - 9..numbers[0].0 - 1], b"duration");
        assert_eq!(numbers[1].1, Field::Filesize);
        assert_eq!(number(numbers[1].0), 7.0);
        // The wrapper is gone: the tag starts with onMetaData.
        assert_eq!(&body[..13], b"\x02\x00\x0aonMetaData");
    }

    #[test]
    fn a_string_that_looks_like_a_duration_is_not_patched() {
        let tricky = data(vec![
            Value::String("onMetaData".into()),
            Value::EcmaArray(vec![
                ("title".into(), Value::String("\x00\x08duration\x00".into())),
                ("duration".into(), Value::Number(3.5)),
            ]),
        ]);
        let body = metadata_payload(&tricky);
        let numbers = locate_numbers(&body);
        assert_eq!(numbers.len(), 1);
        let at = numbers[0].0;
        assert_eq!(
            f64::from_be_bytes(body[at..at + 8].try_into().unwrap()),
            3.5
        );
        // Not metadata: nothing to patch, recorded as received.
        let other = data(vec![Value::String("onTextData".into())]);
        assert!(locate_numbers(&metadata_payload(&other)).is_empty());
    }

    #[test]
    fn a_scan_finds_the_whole_tags_and_the_first_metadata() {
        let path = std::env::temp_dir().join(format!("wirestate-scan-{}.flv", std::process::id()));
        let body = metadata_payload(&data(vec![
            Value::String("onMetaData".into()),
            Value::EcmaArray(vec![]),
        ]));
        let mut writer = FlvWriter::new(Vec::new(), true, true).unwrap();
        writer.write_tag(TagType::Script, 0, &body).unwrap();
        writer.write_tag(TagType::Video, 40, b"\x17\x01").unwrap();
        writer.write_tag(TagType::Audio, 80, b"\xaf\x01").unwrap();
        let mut bytes = writer.into_inner();
        let whole = bytes.len() as u64;
        // A partial tag at the end, as a crash leaves it.
        bytes.extend_from_slice(b"\x09\x00\x00\x20\x00\x00");
        File::create(&path).unwrap().write_all(&bytes).unwrap();
        let existing = scan(&mut File::open(&path).unwrap()).unwrap();
        let _ = std::fs::remove_file(&path);
        assert_eq!(existing.end, whole);
        assert_eq!(existing.first_timestamp, Some(0));
        assert_eq!(existing.last_timestamp, Some(80));
        let expected = (HEADER_LEN + TAG_HEADER_LEN) as u64 + locate_numbers(&body)[0].0 as u64;
        assert_eq!(existing.numbers, [(expected, Field::Duration)]);
    }
}
