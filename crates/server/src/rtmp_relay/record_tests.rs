//! Recording: names by mode, appending, and the patched metadata.

use super::*;
use wirestate_rtmp::amf0::{decode_all, Amf0Limits, Value};
use wirestate_rtmp::flv::FlvReader;

/// A fresh directory, removed when dropped.
struct Dir(PathBuf);

impl Dir {
    fn new(name: &str) -> Dir {
        let dir =
            std::env::temp_dir().join(format!("wirestate-record-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Dir(dir)
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn key() -> StreamKey {
    ("live".into(), "cam/1".into())
}

fn metadata() -> DataMessage {
    DataMessage {
        amf3: false,
        values: vec![
            Value::String("@setDataFrame".into()),
            Value::String("onMetaData".into()),
            Value::EcmaArray(vec![
                ("width".into(), Value::Number(320.0)),
                ("filesize".into(), Value::Number(0.0)),
            ]),
        ],
    }
}

/// Records metadata and video at `timestamps`, then finishes.
fn record(dir: &Path, mode: RecordMode, timestamps: &[u32]) -> PathBuf {
    let mut recording = Recording::start(dir, &key(), mode).unwrap();
    recording.write_metadata(timestamps[0], &metadata());
    for &timestamp in timestamps {
        assert!(recording.write(TagType::Video, timestamp, b"\x17\x01\x00\x00\x00"));
    }
    let path = recording.path().to_owned();
    recording.finish().unwrap();
    path
}

/// Every tag `(type, timestamp)`, read back whole.
fn tags(path: &Path) -> Vec<(TagType, u32)> {
    let file = std::fs::read(path).unwrap();
    let mut reader = FlvReader::new(&file).unwrap();
    let mut tags = Vec::new();
    while let Some(tag) = reader.next_tag().unwrap() {
        tags.push((tag.tag_type, tag.timestamp));
    }
    tags
}

/// The numbers of the `index`th metadata tag: (duration, filesize).
fn numbers(path: &Path, index: usize) -> (Option<f64>, Option<f64>) {
    let file = std::fs::read(path).unwrap();
    let mut reader = FlvReader::new(&file).unwrap();
    let mut scripts = Vec::new();
    while let Some(tag) = reader.next_tag().unwrap() {
        if tag.tag_type == TagType::Script {
            scripts.push(tag.data.to_vec());
        }
    }
    let values = decode_all(&scripts[index], &Amf0Limits::default()).unwrap();
    let number = |name| values[1].get(name).and_then(Value::as_f64);
    (number("duration"), number("filesize"))
}

#[test]
fn unique_recordings_never_overwrite() {
    let dir = Dir::new("unique");
    let first = record(&dir.0, RecordMode::Unique, &[0, 40]);
    let second = record(&dir.0, RecordMode::Unique, &[0, 40, 80]);
    let third = record(&dir.0, RecordMode::Unique, &[0]);
    assert_eq!(first, dir.0.join("live_cam_1.flv"));
    assert_eq!(second, dir.0.join("live_cam_1-1.flv"));
    assert_eq!(third, dir.0.join("live_cam_1-2.flv"));
    assert_eq!(tags(&first).len(), 3);
    assert_eq!(tags(&second).len(), 4);
}

#[test]
fn overwrite_truncates() {
    let dir = Dir::new("overwrite");
    let first = record(&dir.0, RecordMode::Overwrite, &[0, 40, 80]);
    let second = record(&dir.0, RecordMode::Overwrite, &[0]);
    assert_eq!(first, second);
    assert_eq!(tags(&second), [(TagType::Script, 0), (TagType::Video, 0)]);
}

#[test]
fn append_continues_the_file_and_its_timestamps() {
    let dir = Dir::new("append");
    let path = record(&dir.0, RecordMode::Append, &[0, 40, 80]);
    // The second publisher's clock starts anywhere: its tags follow on.
    let again = record(&dir.0, RecordMode::Append, &[5000, 5040]);
    assert_eq!(path, again);
    assert_eq!(
        tags(&path),
        [
            (TagType::Script, 0),
            (TagType::Video, 0),
            (TagType::Video, 40),
            (TagType::Video, 80),
            (TagType::Script, 81),
            (TagType::Video, 81),
            (TagType::Video, 121),
        ]
    );
    // Both metadata tags give the whole file's duration and size.
    let size = std::fs::metadata(&path).unwrap().len() as f64;
    assert_eq!(numbers(&path, 0), (Some(0.121), Some(size)));
    assert_eq!(numbers(&path, 1), (Some(0.121), Some(size)));
}

#[test]
fn finishing_patches_duration_and_filesize() {
    let dir = Dir::new("patch");
    let path = record(&dir.0, RecordMode::Unique, &[1000, 1040, 3500]);
    let size = std::fs::metadata(&path).unwrap().len() as f64;
    assert_eq!(numbers(&path, 0), (Some(2.5), Some(size)));
}

#[test]
fn append_to_a_file_cut_inside_a_tag_continues_after_its_last_whole_tag() {
    let dir = Dir::new("cut");
    let path = record(&dir.0, RecordMode::Append, &[0, 40]);
    let mut file = OpenOptions::new().append(true).open(&path).unwrap();
    file.write_all(b"\x09\x00\x10\x00\x00\x00\x50").unwrap();
    drop(file);
    record(&dir.0, RecordMode::Append, &[0]);
    let types: Vec<TagType> = tags(&path).into_iter().map(|t| t.0).collect();
    assert_eq!(types.len(), 5);
}

#[test]
fn appending_to_something_else_than_flv_fails_and_leaves_it() {
    let dir = Dir::new("notflv");
    let path = dir.0.join("live_cam_1.flv");
    std::fs::write(&path, b"not a video file at all").unwrap();
    let error = Recording::start(&dir.0, &key(), RecordMode::Append).unwrap_err();
    assert_eq!(error.kind(), io::ErrorKind::InvalidData);
    assert_eq!(std::fs::read(&path).unwrap(), b"not a video file at all");
}

#[test]
fn a_missing_directory_fails_to_start() {
    let dir = Dir::new("missing");
    let gone = dir.0.join("not-there");
    assert!(Recording::start(&gone, &key(), RecordMode::Unique).is_err());
}
