//! Recording published streams to FLV files.

use std::fs::File;
use std::io::{self, BufWriter};
use std::path::{Path, PathBuf};

use wirestate_rtmp::flv::{FlvWriter, TagType};

use super::hub::StreamKey;

/// A publisher's recording, if it is recorded (and recording did not fail).
pub(super) type Recorder = Option<FlvWriter<BufWriter<File>>>;

/// Starts the recording of `key` in `dir` (none without a directory).
pub(super) fn start(dir: Option<&Path>, key: &StreamKey) -> io::Result<Recorder> {
    let Some(dir) = dir else {
        return Ok(None);
    };
    let path = recording_path(dir, key);
    tracing::info!(path = %path.display(), "recording");
    Ok(Some(FlvWriter::new(
        BufWriter::new(File::create(path)?),
        true,
        true,
    )?))
}

/// `<app>_<key>.flv` with anything but `[A-Za-z0-9._-]` replaced.
fn recording_path(dir: &Path, key: &StreamKey) -> PathBuf {
    let clean = |s: &str| -> String {
        s.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || "._-".contains(c) {
                    c
                } else {
                    '_'
                }
            })
            .collect()
    };
    dir.join(format!("{}_{}.flv", clean(&key.0), clean(&key.1)))
}

/// Writes one tag; a failed write stops the recording.
pub(super) fn write(recorder: &mut Recorder, tag_type: TagType, timestamp: u32, data: &[u8]) {
    if let Some(writer) = recorder {
        if let Err(e) = writer.write_tag(tag_type, timestamp, data) {
            tracing::warn!(error = %e, "recording failed; stopping it");
            *recorder = None;
        }
    }
}

/// Flushes and closes the recording of `key`, if any.
pub(super) fn finish(recorder: &mut Recorder, key: &StreamKey) {
    if let Some(mut recorder) = recorder.take() {
        if let Err(e) = recorder.flush() {
            tracing::warn!(error = %e, "flushing the recording failed");
        }
        tracing::info!(app = %key.0, key = %key.1, tags = recorder.tags_written(), "recording closed");
    }
}
