//! Recording published streams to FLV files: naming by [`RecordMode`],
//! whole tags only, and the metadata's `duration` and `filesize` patched
//! when the recording ends.

use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use wirestate_rtmp::flv::{encode_header, encode_tag, TagType, HEADER_LEN, TAG_HEADER_LEN};
use wirestate_rtmp::message::DataMessage;

use super::flv_file::{self, Field};
use super::hub::StreamKey;
use super::RecordMode;

/// How many numbered names [`RecordMode::Unique`] tries before it gives up.
const MAX_UNIQUE: u32 = 100_000;

/// One publisher's recording.
#[derive(Debug)]
pub(super) struct Recording {
    path: PathBuf,
    /// `None` after a write failed: the recording stopped.
    out: Option<BufWriter<File>>,
    /// Where the whole tags written so far end.
    whole: u64,
    /// Appending: incoming timestamps are moved to start at `base`.
    rebase: Option<Rebase>,
    first_timestamp: Option<u32>,
    last_timestamp: u32,
    /// File offsets of the metadata numbers patched at the end.
    numbers: Vec<(u64, Field)>,
    tags: u64,
}

#[derive(Debug, Clone, Copy)]
struct Rebase {
    base: u32,
    first_incoming: Option<u32>,
}

impl Recording {
    /// Starts recording `key` in `dir` as `mode` says (see [`RecordMode`]).
    ///
    /// # Errors
    ///
    /// When the file cannot be created or opened, or (appending) is not an
    /// FLV file.
    pub(super) fn start(dir: &Path, key: &StreamKey, mode: RecordMode) -> io::Result<Recording> {
        let base = base_name(key);
        let (path, file) = match mode {
            RecordMode::Unique => create_unique(dir, &base)?,
            RecordMode::Overwrite => {
                let path = dir.join(format!("{base}.flv"));
                let file = File::create(&path)?;
                (path, file)
            }
            RecordMode::Append => {
                let path = dir.join(format!("{base}.flv"));
                let file = OpenOptions::new()
                    .read(true)
                    .write(true)
                    .create(true)
                    .truncate(false)
                    .open(&path)?;
                (path, file)
            }
        };
        let recording = Recording::on(path, file)?;
        tracing::info!(path = %recording.path.display(), %mode, "recording");
        Ok(recording)
    }

    /// Records into `file`: a new one gets the FLV header, an existing
    /// one is continued after its last whole tag.
    fn on(path: PathBuf, mut file: File) -> io::Result<Recording> {
        let mut recording = Recording {
            path,
            out: None,
            whole: HEADER_LEN as u64,
            rebase: None,
            first_timestamp: None,
            last_timestamp: 0,
            numbers: Vec::new(),
            tags: 0,
        };
        if file.metadata()?.len() == 0 {
            file.write_all(&encode_header(true, true))?;
        } else {
            let existing = flv_file::scan(&mut file)?;
            file.set_len(existing.end)?;
            file.seek(SeekFrom::Start(existing.end))?;
            recording.whole = existing.end;
            recording.numbers = existing.numbers;
            recording.first_timestamp = existing.first_timestamp;
            if let Some(last) = existing.last_timestamp {
                recording.last_timestamp = last;
                recording.rebase = Some(Rebase {
                    base: last.saturating_add(1),
                    first_incoming: None,
                });
            }
        }
        recording.out = Some(BufWriter::new(file));
        Ok(recording)
    }

    /// The file recorded to.
    pub(super) fn path(&self) -> &Path {
        &self.path
    }

    /// Records metadata (see [`flv_file::metadata_payload`]), remembering
    /// where its numbers are.
    pub(super) fn write_metadata(&mut self, timestamp: u32, data: &DataMessage) {
        let body = flv_file::metadata_payload(data);
        let body_at = self.whole + TAG_HEADER_LEN as u64;
        if self.write(TagType::Script, timestamp, &body) {
            let found = flv_file::locate_numbers(&body);
            self.numbers
                .extend(found.into_iter().map(|(at, f)| (body_at + at as u64, f)));
        }
    }

    /// Writes one whole tag; true if it was written. A failed write stops
    /// the recording (what was written before stays, whole); a body too
    /// large for a tag is skipped.
    pub(super) fn write(&mut self, tag_type: TagType, timestamp: u32, data: &[u8]) -> bool {
        let Some(out) = &mut self.out else {
            return false;
        };
        let timestamp = match &mut self.rebase {
            Some(rebase) => {
                let first = *rebase.first_incoming.get_or_insert(timestamp);
                rebase.base.saturating_add(timestamp.saturating_sub(first))
            }
            None => timestamp,
        };
        let Ok((header, back)) = encode_tag(tag_type, timestamp, data.len()) else {
            tracing::warn!(
                bytes = data.len(),
                "message too large for an FLV tag; not recorded"
            );
            return false;
        };
        let written = out
            .write_all(&header)
            .and_then(|()| out.write_all(data))
            .and_then(|()| out.write_all(&back));
        if let Err(error) = written {
            tracing::warn!(path = %self.path.display(), %error, "recording failed; stopping it");
            self.stop_failed();
            return false;
        }
        self.whole += (header.len() + data.len() + back.len()) as u64;
        self.first_timestamp.get_or_insert(timestamp);
        self.last_timestamp = self.last_timestamp.max(timestamp);
        self.tags += 1;
        true
    }

    /// After a failed write: the file is cut after its last whole tag.
    fn stop_failed(&mut self) {
        let Some(out) = self.out.take() else {
            return;
        };
        let (mut file, _unwritten) = out.into_parts();
        let cut = flv_file::scan(&mut file).and_then(|existing| file.set_len(existing.end));
        if let Err(error) = cut {
            tracing::warn!(path = %self.path.display(), %error, "cannot cut the recording");
        }
    }

    /// Ends the recording: flushed, and the metadata's `duration` (seconds
    /// from the first to the last tag) and `filesize` patched in place when
    /// the file is seekable.
    ///
    /// # Errors
    ///
    /// When flushing fails (the file is then cut after its last whole tag)
    /// or patching fails.
    pub(super) fn finish(mut self) -> io::Result<()> {
        let Some(mut out) = self.out.take() else {
            return Ok(());
        };
        if let Err(error) = out.flush() {
            self.out = Some(out);
            self.stop_failed();
            return Err(error);
        }
        let mut file = out.into_parts().0;
        let duration = f64::from(
            self.last_timestamp
                .saturating_sub(self.first_timestamp.unwrap_or(0)),
        ) / 1000.0;
        if file.stream_position().is_ok() {
            for &(at, field) in &self.numbers {
                let value = match field {
                    Field::Duration => duration,
                    Field::Filesize => self.whole as f64,
                };
                file.seek(SeekFrom::Start(at))?;
                file.write_all(&value.to_be_bytes())?;
            }
        }
        tracing::info!(
            path = %self.path.display(),
            tags = self.tags,
            bytes = self.whole,
            duration,
            "recording closed"
        );
        Ok(())
    }
}

/// `<app>_<key>` with anything but `[A-Za-z0-9._-]` replaced by `_`.
fn base_name(key: &StreamKey) -> String {
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
    format!("{}_{}", clean(&key.0), clean(&key.1))
}

/// The `n`th name of a unique recording: `base.flv`, then `base-1.flv` ...
fn unique_name(base: &str, n: u32) -> String {
    if n == 0 {
        format!("{base}.flv")
    } else {
        format!("{base}-{n}.flv")
    }
}

/// Creates the first free unique name (atomically: an existing file is
/// never opened).
fn create_unique(dir: &Path, base: &str) -> io::Result<(PathBuf, File)> {
    for n in 0..MAX_UNIQUE {
        let path = dir.join(unique_name(base, n));
        match OpenOptions::new().write(true).create_new(true).open(&path) {
            Ok(file) => return Ok((path, file)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::new(
        io::ErrorKind::AlreadyExists,
        format!("{MAX_UNIQUE} recordings of {base} exist already"),
    ))
}

#[cfg(test)]
#[path = "record_tests.rs"]
mod tests;
