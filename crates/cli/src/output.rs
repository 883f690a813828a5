//! One output sink for every inspect mode: a JSON object per line with
//! `--json`, a human-readable line otherwise.

use std::fmt::Display;
use std::io::{self, Write};

use sha2::{Digest, Sha256};

/// Prints events either as JSON lines or as text lines.
pub(crate) struct Printer {
    out: Box<dyn Write>,
    json: bool,
}

impl Printer {
    /// A printer writing to `out`; `json` picks JSON lines over text.
    pub(crate) fn new(out: Box<dyn Write>, json: bool) -> Self {
        Printer { out, json }
    }

    /// Prints one event: `json` with `--json`, `text` otherwise.
    pub(crate) fn emit(&mut self, json: serde_json::Value, text: impl Display) -> io::Result<()> {
        if self.json {
            writeln!(self.out, "{json}")
        } else {
            writeln!(self.out, "{text}")
        }
    }

    /// Starts the output of one named input (a compiled-in sample capture).
    pub(crate) fn section(&mut self, name: &str) -> io::Result<()> {
        self.emit(
            serde_json::json!({ "event": "capture", "name": name }),
            format_args!("== {name}"),
        )
    }

    /// Prints the error that ended a stream: `{"event": "error", "error": ..}`,
    /// or `error: ..` as text.
    pub(crate) fn error(&mut self, error: impl Display) -> io::Result<()> {
        self.emit(
            serde_json::json!({ "event": "error", "error": error.to_string() }),
            format_args!("error: {error}"),
        )
    }

    /// Flushes the underlying writer.
    pub(crate) fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// The SHA-256 of `data` as lowercase hex, as the capture manifests give it.
pub(crate) fn sha256_hex(data: &[u8]) -> String {
    Sha256::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `data` as a quoted one-line summary: printable ASCII as is, the rest
/// escaped, cut after `max` bytes.
pub(crate) fn preview(data: &[u8], max: usize) -> String {
    let shown = &data[..data.len().min(max)];
    let ellipsis = if data.len() > max { "..." } else { "" };
    format!("\"{}\"{ellipsis}", shown.escape_ascii())
}

/// What the inspect modes' unit tests share.
#[cfg(test)]
pub(crate) mod testing {
    use std::io;
    use std::sync::{Arc, Mutex};

    use super::Printer;

    /// Runs `inspect` into a `--json` printer and returns the lines it
    /// printed, parsed.
    pub(crate) fn json_events(
        inspect: impl FnOnce(&mut Printer) -> io::Result<()>,
    ) -> Vec<serde_json::Value> {
        let buffer = SharedBuffer::default();
        let mut printer = Printer::new(Box::new(buffer.clone()), true);
        inspect(&mut printer).unwrap();
        printer.flush().unwrap();
        let text = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
        text.lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    /// A writer whose bytes stay readable after the printer took it.
    #[derive(Clone, Default)]
    struct SharedBuffer(Arc<Mutex<Vec<u8>>>);

    impl io::Write for SharedBuffer {
        fn write(&mut self, data: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(data);
            Ok(data.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }
}
