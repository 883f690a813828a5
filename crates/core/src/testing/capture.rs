//! Recorded real traffic from the repository's `tests/captures/` (its README
//! says what each file holds): load both directions of a capture, its
//! ground-truth files and, where the format records them, the TCP segment
//! sizes the kernel delivered, and replay a direction through a machine with
//! [`feed_cut`] or [`feed_sizes`].
//!
//! The files are found from this crate's source directory, so the helpers
//! work in every crate of the wirestate workspace; they are not shipped.
//!
//! ```
//! use std::time::Instant;
//! use wirestate_core::testing::capture::{Capture, Direction};
//! # use bytes::{Bytes, BytesMut};
//! # use wirestate_core::Machine;
//! # /// Emits every input byte.
//! # #[derive(Default)] struct Bytewise { buf: BytesMut }
//! # impl Machine for Bytewise {
//! #     type Event = Bytes; type Command = (); type Error = std::io::Error;
//! #     fn input_buffer(&mut self) -> &mut BytesMut { &mut self.buf }
//! #     fn handle_buffered_input(&mut self, _: Instant) {}
//! #     fn handle_eof(&mut self, _: Instant) {}
//! #     fn handle_command(&mut self, _: (), _: Instant) -> Result<(), std::io::Error> { Ok(()) }
//! #     fn poll_event(&mut self) -> Option<Result<Bytes, std::io::Error>> {
//! #         (!self.buf.is_empty()).then(|| Ok(self.buf.split_to(1).freeze()))
//! #     }
//! #     fn poll_transmit(&mut self) -> Option<Bytes> { None }
//! #     fn wants_read(&self) -> bool { true }
//! #     fn is_closed(&self) -> bool { false }
//! # }
//! let capture = Capture::load("websocket", "ws_py_server_close_1009");
//! assert!(capture.bytes(Direction::C2s).starts_with(b"GET "));
//! // The manifest recorded how the kernel cut the stream: replay it so.
//! let sizes = capture.segments(Direction::S2c).expect("recorded");
//! assert_eq!(sizes.iter().sum::<usize>(), capture.s2c.len());
//! let now = Instant::now();
//! let recorded = capture.feed_segments(Direction::S2c, &mut Bytewise::default(), true, now);
//! let whole = capture.feed_cut(Direction::S2c, &mut Bytewise::default(), &[], true, now);
//! assert_eq!(recorded, whole);
//! assert_eq!(whole.events.len(), capture.s2c.len());
//! ```

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Instant;

use super::{feed_cut, feed_sizes, Transcript};
use crate::Machine;

/// `tests/captures/` at the root of the wirestate repository.
pub fn captures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/captures")
}

/// The path of a file in [`captures_dir`], such as
/// `"lines/memcached_text.steps.tsv"`.
pub fn path(relative: &str) -> PathBuf {
    captures_dir().join(relative)
}

/// The bytes of a file in [`captures_dir`].
///
/// # Panics
///
/// When the file cannot be read (the message names its path).
pub fn read(relative: &str) -> Vec<u8> {
    let path = path(relative);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The text of a file in [`captures_dir`].
///
/// # Panics
///
/// When the file cannot be read or is not UTF-8.
pub fn read_to_string(relative: &str) -> String {
    String::from_utf8(read(relative)).unwrap_or_else(|e| panic!("{relative}: {e}"))
}

/// The names of the captures in `tests/captures/<protocol>/` that have a
/// file `NAME<suffix>` (say `".events.txt"`), sorted.
///
/// # Panics
///
/// When the directory cannot be read.
pub fn names(protocol: &str, suffix: &str) -> Vec<String> {
    let dir = path(protocol);
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .filter_map(|file| file.strip_suffix(suffix).map(str::to_string))
        .collect();
    names.sort();
    names
}

/// One direction of a recorded TCP connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// What the TCP client sent (`NAME.c2s.bin`).
    C2s,
    /// What the TCP server sent (`NAME.s2c.bin`).
    S2c,
}

impl Direction {
    /// Both directions, client first.
    pub const BOTH: [Direction; 2] = [Direction::C2s, Direction::S2c];

    /// `"c2s"` or `"s2c"`, as in the file names.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::C2s => "c2s",
            Direction::S2c => "s2c",
        }
    }
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Both directions of one recorded connection, with the segment sizes where
/// the capture format has them (the WebSocket manifests'
/// `c2s_tcp_segment_lengths` and `s2c_tcp_segment_lengths`).
#[derive(Debug, Clone)]
pub struct Capture {
    /// The protocol directory, such as `"rtmp"`.
    pub protocol: String,
    /// The capture's name, such as `"rtmp_ffmpeg_publish_nginx"`.
    pub name: String,
    /// Everything the TCP client sent.
    pub c2s: Vec<u8>,
    /// Everything the TCP server sent.
    pub s2c: Vec<u8>,
    segments: Option<[Vec<usize>; 2]>,
}

impl Capture {
    /// Loads `tests/captures/<protocol>/<name>.{c2s,s2c}.bin` and, if there
    /// is a `<name>.manifest.json`, its recorded segment sizes.
    ///
    /// # Panics
    ///
    /// When a file is missing or unreadable, or the manifest's byte counts
    /// or segment sizes do not add up to the recorded streams.
    pub fn load(protocol: &str, name: &str) -> Capture {
        let mut capture = Capture {
            protocol: protocol.to_string(),
            name: name.to_string(),
            c2s: read(&format!("{protocol}/{name}.c2s.bin")),
            s2c: read(&format!("{protocol}/{name}.s2c.bin")),
            segments: None,
        };
        let manifest = path(&format!("{protocol}/{name}.manifest.json"));
        if manifest.exists() {
            capture.segments = Some(capture.manifest_segments());
        }
        capture
    }

    /// Reads the segment sizes from the manifest and checks them against
    /// the streams.
    fn manifest_segments(&self) -> [Vec<usize>; 2] {
        let manifest: serde_json::Value = serde_json::from_slice(&self.file("manifest.json"))
            .unwrap_or_else(|e| panic!("{}: manifest: {e}", self.name));
        Direction::BOTH.map(|direction| {
            let len = self.bytes(direction).len();
            let count = &manifest[format!("{direction}_bytes")];
            assert_eq!(count, len, "{} {direction}: byte count", self.name);
            let sizes: Vec<usize> = manifest[format!("{direction}_tcp_segment_lengths")]
                .as_array()
                .unwrap_or_else(|| panic!("{} {direction}: no segment lengths", self.name))
                .iter()
                .map(|size| {
                    let size = size.as_u64().expect("a segment length is a number");
                    usize::try_from(size).expect("a segment length fits")
                })
                .collect();
            assert_eq!(
                sizes.iter().sum::<usize>(),
                len,
                "{} {direction}: segment lengths",
                self.name
            );
            sizes
        })
    }

    /// The bytes sent in `direction`.
    pub fn bytes(&self, direction: Direction) -> &[u8] {
        match direction {
            Direction::C2s => &self.c2s,
            Direction::S2c => &self.s2c,
        }
    }

    /// The TCP segment sizes `direction` arrived in, if recorded.
    pub fn segments(&self, direction: Direction) -> Option<&[usize]> {
        let segments = self.segments.as_ref()?;
        Some(match direction {
            Direction::C2s => &segments[0],
            Direction::S2c => &segments[1],
        })
    }

    /// The bytes of the capture's file `<name>.<suffix>`, such as
    /// `"events.txt"` or `"c2s.messages.csv"`.
    ///
    /// # Panics
    ///
    /// When the file cannot be read.
    pub fn file(&self, suffix: &str) -> Vec<u8> {
        read(&format!("{}/{}.{suffix}", self.protocol, self.name))
    }

    /// The text of the capture's file `<name>.<suffix>`.
    ///
    /// # Panics
    ///
    /// When the file cannot be read or is not UTF-8.
    pub fn file_to_string(&self, suffix: &str) -> String {
        read_to_string(&format!("{}/{}.{suffix}", self.protocol, self.name))
    }

    /// Feeds `direction` to `machine` cut at `cuts` (none: whole), then EOF
    /// if `eof`: [`feed_cut`] on the recorded bytes.
    pub fn feed_cut<M: Machine>(
        &self,
        direction: Direction,
        machine: &mut M,
        cuts: &[usize],
        eof: bool,
        now: Instant,
    ) -> Transcript<M::Event> {
        feed_cut(machine, self.bytes(direction), cuts, eof, now)
    }

    /// Feeds `direction` to `machine` in the recorded TCP segment sizes,
    /// then EOF if `eof`: [`feed_sizes`] on the recorded bytes.
    ///
    /// # Panics
    ///
    /// When the capture has no recorded segment sizes.
    pub fn feed_segments<M: Machine>(
        &self,
        direction: Direction,
        machine: &mut M,
        eof: bool,
        now: Instant,
    ) -> Transcript<M::Event> {
        let sizes = self
            .segments(direction)
            .unwrap_or_else(|| panic!("{} {direction}: no recorded segments", self.name));
        feed_sizes(machine, self.bytes(direction), sizes, eof, now)
    }
}
