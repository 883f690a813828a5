//! `inspect --protocol lines` and `serve lines`.
//!
//! Wiring (for `main.rs`): `mod lines;`, and the `wirestate-lines`
//! dependency in this crate's Cargo.toml.

use std::convert::Infallible;
use std::io;
use std::net::SocketAddr;

use wirestate_core::IdleTimeout;
use wirestate_lines::{
    memcached, Delimiter, EofPolicy, LineCommand, LineConfig, LineConnection, LineEvent, Overflow,
};

use crate::feed::feed;
use crate::output::{preview, sha256_hex, Printer};
use crate::sample::{sample, Sample};
use crate::serve::{with_idle_timeout, Refusal, Serving};

/// How `inspect` decodes a line stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LinesInspectOptions {
    /// `lf` (a `\n`, with an optional `\r` before it), `crlf` (strictly
    /// `\r\n`), or one byte: a single character (`;`), a number (`0`, `0x1e`)
    /// or an escape (`\0`, `\t`, `\r`, `\n`).
    pub(crate) delimiter: String,
    /// The maximum line length; longer lines are skipped and reported as
    /// `oversize`. `None`: no limit.
    pub(crate) max: Option<usize>,
    /// After a memcached line that announces a data block (classic `VALUE`
    /// and storage commands, meta `VA` and `ms`), read the block (`<bytes>`
    /// + 2 for its `\r\n`) as one raw block.
    pub(crate) memcached: bool,
}

impl Default for LinesInspectOptions {
    /// LF lines, no limit, no memcached blocks.
    fn default() -> Self {
        LinesInspectOptions {
            delimiter: "lf".into(),
            max: None,
            memcached: false,
        }
    }
}

/// Parses the `--delimiter` value (see [`LinesInspectOptions::delimiter`]).
pub(crate) fn delimiter_from_name(name: &str) -> Result<Delimiter, String> {
    let byte = match name {
        "lf" => return Ok(Delimiter::lf()),
        "crlf" => return Ok(Delimiter::crlf()),
        "\\0" => 0,
        "\\t" => b'\t',
        "\\r" => b'\r',
        "\\n" => b'\n',
        _ if name.len() == 1 => name.as_bytes()[0],
        _ => {
            let number = match name.strip_prefix("0x") {
                Some(hex) => u8::from_str_radix(hex, 16),
                None => name.parse::<u8>(),
            };
            number.map_err(|_| {
                format!(
                    "unknown delimiter {name:?}; expected lf, crlf, one character or a byte value"
                )
            })?
        }
    };
    Ok(Delimiter::byte(byte))
}

/// Decodes `input` as one byte stream of lines and prints one line per event:
/// `line` (with its text, lossy UTF-8), `raw` (with `--memcached`: length and
/// SHA-256), `oversize` (a skipped over-long line), and the `error` that ends
/// the stream, if any (a line without delimiter at the end is one). Offsets
/// are where a line (or raw block) starts; payloads are the line without its
/// delimiter, the raw block with its `\r\n`.
pub(crate) fn inspect(
    input: &[u8],
    opts: &LinesInspectOptions,
    out: &mut Printer,
) -> io::Result<()> {
    let delimiter = delimiter_from_name(&opts.delimiter)
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    // The whole input is in memory already: without --max, a line may be all of it.
    let max = opts.max.unwrap_or(input.len()).max(1);
    let config = LineConfig::new(delimiter)
        .max_line(max)
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?
        .overflow(Overflow::Discard)
        .eof(EofPolicy::Error)
        .max_raw(input.len().saturating_add(2));
    let mut machine = LineConnection::new(config);
    feed(&mut machine, input, |machine, span, event| {
        out.at(span.start);
        match event {
            Ok(LineEvent::Line { bytes, partial }) => {
                out.bytes(&bytes).emit(
                    serde_json::json!({
                        "event": "line",
                        "len": bytes.len(),
                        "text": String::from_utf8_lossy(&bytes),
                        "partial": partial,
                    }),
                    format_args!("line len={} {}", bytes.len(), preview(&bytes, 80)),
                )?;
                match memcached::data_len(&bytes).filter(|_| opts.memcached) {
                    Some(block) => match machine.expect_raw(block) {
                        Ok(()) => Ok(()),
                        Err(error) => out.error(error),
                    },
                    None => Ok(()),
                }
            }
            Ok(LineEvent::Raw(block)) => out.bytes(&block).emit(
                serde_json::json!({
                    "event": "raw",
                    "len": block.len(),
                    "sha256": sha256_hex(&block),
                }),
                format_args!("raw len={} {}", block.len(), preview(&block, 48)),
            ),
            Ok(LineEvent::Oversize { discarded }) => out.emit(
                serde_json::json!({ "event": "oversize", "discarded": discarded, "max": max }),
                format_args!("oversize: skipped a line of {discarded} bytes (max {max})"),
            ),
            Err(error) => out.error(error),
        }
    })
}

fn memcached_options() -> LinesInspectOptions {
    LinesInspectOptions {
        memcached: true,
        ..LinesInspectOptions::default()
    }
}

/// The recorded line captures: Erlang `{packet,line}` input, and both sides
/// of a memcached text-protocol session and of a meta-protocol session.
pub(crate) const SAMPLES: &[Sample<fn() -> LinesInspectOptions>] = &[
    // Ends with a 37-byte line without LF: reported as the final error.
    sample!("lines/erl_line_basic.c2s.bin", LinesInspectOptions::default),
    sample!("lines/memcached_text.c2s.bin", memcached_options),
    sample!("lines/memcached_text.s2c.bin", memcached_options),
    sample!("lines/memcached_meta.c2s.bin", memcached_options),
    sample!("lines/memcached_meta.s2c.bin", memcached_options),
];

/// A line echo server: every line (LF or CRLF, up to 64 KiB; longer ones are
/// skipped) comes back with a `\n`; a connection with no input for the idle
/// timeout, or whose peer stops taking its echoes for the send timeout, is
/// closed. Connections past the limits are closed at once.
pub(crate) async fn serve(serving: Serving) -> io::Result<()> {
    let config = LineConfig::default().overflow(Overflow::Discard);
    let limits = serving.limits.clone();
    let machine = || with_idle_timeout(LineConnection::new(config.clone()), &limits);
    crate::serve::run(serving, false, Refusal::Close, machine, echo).await
}

/// Sends every line back.
fn echo(
    _: &mut IdleTimeout<LineConnection>,
    peer: SocketAddr,
    event: LineEvent,
) -> Result<Option<LineCommand>, Infallible> {
    match event {
        LineEvent::Line { bytes, .. } => return Ok(Some(LineCommand::Send(bytes))),
        LineEvent::Oversize { discarded } => {
            tracing::warn!(%peer, discarded, "skipped an over-long line")
        }
        LineEvent::Raw(_) => {} // never requested
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::testing::json_events;

    fn run(input: &[u8], opts: &LinesInspectOptions) -> Vec<serde_json::Value> {
        json_events(|out| inspect(input, opts, out))
    }

    fn count(events: &[serde_json::Value], kind: &str) -> usize {
        events.iter().filter(|e| e["event"] == kind).count()
    }

    #[test]
    fn the_memcached_capture_decodes_fully() {
        let s2c = run(SAMPLES[2].bytes, &(SAMPLES[2].config)());
        assert_eq!(
            (
                count(&s2c, "line"),
                count(&s2c, "raw"),
                count(&s2c, "error")
            ),
            (60, 18, 0)
        );
        let c2s = run(SAMPLES[1].bytes, &(SAMPLES[1].config)());
        assert_eq!(count(&c2s, "error"), 0);
        assert!(c2s
            .iter()
            .any(|e| e["event"] == "raw" && e["len"] == 70_002));
        assert_eq!(c2s.last().unwrap()["text"], "quit");
    }

    #[test]
    fn the_memcached_meta_capture_reads_its_data_blocks() {
        let counts = |sample: &Sample<fn() -> LinesInspectOptions>| {
            let events = run(sample.bytes, &(sample.config)());
            let counted = |kind| count(&events, kind);
            (counted("line"), counted("raw"), counted("error"))
        };
        // `VA <size>` answers and `ms <key> <size>` commands announce blocks.
        assert_eq!(counts(&SAMPLES[4]), (13, 3, 0));
        assert_eq!(counts(&SAMPLES[3]), (16, 3, 0));
    }

    #[test]
    fn lines_oversize_and_the_unterminated_end() {
        let opts = LinesInspectOptions {
            max: Some(4),
            ..LinesInspectOptions::default()
        };
        let events = run(b"ok\r\ntoo long\nbye\nend", &opts);
        assert_eq!(events[0]["text"], "ok");
        assert_eq!(events[1]["event"], "oversize");
        assert_eq!(events[1]["discarded"], 8);
        assert_eq!(events[2]["text"], "bye");
        assert_eq!(events[3]["event"], "error");
        assert_eq!(events.len(), 4);
    }

    #[test]
    fn delimiter_names() {
        assert!(delimiter_from_name("lf").is_ok());
        assert!(delimiter_from_name("crlf").is_ok());
        for name in [";", "0", "0x1e", "\\0", "255"] {
            assert!(delimiter_from_name(name).is_ok(), "{name}");
        }
        for name in ["", "256", "0xzz", "semicolon"] {
            assert!(delimiter_from_name(name).is_err(), "{name}");
        }
        let events = run(
            b"a;b;",
            &LinesInspectOptions {
                delimiter: ";".into(),
                ..Default::default()
            },
        );
        assert_eq!(events.len(), 2);
        assert_eq!(events[1]["text"], "b");
    }
}
