//! One output sink for every inspect mode: a JSON object per line with
//! `--json`, a human-readable line otherwise. Every unit carries its stream
//! offset (JSON `offset`) and, with `--payload`, its bytes (JSON `payload`).
//! The error that ends a stream goes to stderr (see [`Printer::error_with`]).

use std::fmt::Display;
use std::io::{self, Write};

use base64::Engine;
use sha2::{Digest, Sha256};

/// How `--payload` writes a unit's bytes.
#[derive(Clone, Copy, PartialEq, Eq, Debug, clap::ValueEnum)]
pub(crate) enum PayloadFormat {
    /// Lowercase hex, two digits a byte.
    Hex,
    /// Standard base64 with padding.
    Base64,
}

impl PayloadFormat {
    /// `data` in this format.
    pub(crate) fn encode(self, data: &[u8]) -> String {
        match self {
            PayloadFormat::Hex => data.iter().map(|b| format!("{b:02x}")).collect(),
            PayloadFormat::Base64 => base64::engine::general_purpose::STANDARD.encode(data),
        }
    }
}

/// Prints events either as JSON lines or as text lines.
pub(crate) struct Printer {
    out: Box<dyn Write>,
    json: bool,
    payload_format: Option<PayloadFormat>,
    /// The stream offset of the unit being printed.
    offset: usize,
    /// The encoded bytes of the unit being printed, for its next line only.
    payload: Option<String>,
    /// Errors go to stderr (a FILE) rather than inline (the built-in samples).
    errors_to_stderr: bool,
    /// An error was printed to stderr.
    failed: bool,
}

impl Printer {
    /// A printer writing to `out`; `json` picks JSON lines over text. Errors
    /// are printed inline, as `error` events, until [`Printer::errors_to_stderr`].
    pub(crate) fn new(out: Box<dyn Write>, json: bool) -> Self {
        Printer {
            out,
            json,
            payload_format: None,
            offset: 0,
            payload: None,
            errors_to_stderr: false,
            failed: false,
        }
    }

    /// Adds every unit's bytes to its line, in `format`.
    pub(crate) fn with_payload(mut self, format: Option<PayloadFormat>) -> Self {
        self.payload_format = format;
        self
    }

    /// Sends the error that ends a stream to stderr instead of stdout.
    pub(crate) fn errors_to_stderr(mut self) -> Self {
        self.errors_to_stderr = true;
        self
    }

    /// Whether an error was printed to stderr: the command then exits 1.
    pub(crate) fn failed(&self) -> bool {
        self.failed
    }

    /// Sets the stream offset printed with the following lines.
    pub(crate) fn at(&mut self, offset: usize) -> &mut Self {
        self.offset = offset;
        self
    }

    /// Attaches `data`, the unit's bytes, to the next line (with `--payload`).
    pub(crate) fn bytes(&mut self, data: &[u8]) -> &mut Self {
        self.payload = self.payload_format.map(|f| f.encode(data));
        self
    }

    /// Prints one event: `json` with `--json`, `text` otherwise.
    pub(crate) fn emit(&mut self, json: serde_json::Value, text: impl Display) -> io::Result<()> {
        let json = self.decorate(json);
        let payload = self.payload.take();
        if self.json {
            writeln!(self.out, "{json}")
        } else if let Some(payload) = payload {
            writeln!(self.out, "{text} payload={payload}")
        } else {
            writeln!(self.out, "{text}")
        }
    }

    /// `json` with this unit's `offset` and `payload` added.
    fn decorate(&self, mut json: serde_json::Value) -> serde_json::Value {
        if let Some(object) = json.as_object_mut() {
            object.insert("offset".into(), self.offset.into());
            if let Some(payload) = &self.payload {
                object.insert("payload".into(), payload.clone().into());
            }
        }
        json
    }

    /// Starts the output of one named input (a compiled-in sample capture).
    pub(crate) fn section(&mut self, name: &str) -> io::Result<()> {
        self.at(0).emit(
            serde_json::json!({ "event": "capture", "name": name }),
            format_args!("== {name}"),
        )
    }

    /// Prints the error that ended a stream: `{"event": "error", "error": ..}`,
    /// or `error: ..` as text.
    pub(crate) fn error(&mut self, error: impl Display) -> io::Result<()> {
        self.error_with(
            serde_json::json!({ "event": "error", "error": error.to_string() }),
            format_args!("error: {error}"),
        )
    }

    /// Prints the error that ended a stream, described by `json` and `text`
    /// (which starts with `error: `). Inline, as any event; or, after
    /// [`Printer::errors_to_stderr`], on stderr once stdout is flushed: the
    /// JSON object (offset included) with `--json`, else
    /// `wirestate: error at offset N: ...`; [`Printer::failed`] is then true.
    pub(crate) fn error_with(
        &mut self,
        json: serde_json::Value,
        text: impl Display,
    ) -> io::Result<()> {
        if !self.errors_to_stderr {
            return self.emit(json, text);
        }
        self.failed = true;
        self.payload = None;
        self.out.flush()?;
        let mut stderr = io::stderr().lock();
        if self.json {
            writeln!(stderr, "{}", self.decorate(json))
        } else {
            let text = text.to_string();
            let text = text.strip_prefix("error: ").unwrap_or(&text);
            writeln!(stderr, "wirestate: error at offset {}: {text}", self.offset)
        }
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
