//! The Prometheus text exposition format (version 0.0.4), as `/metrics`
//! endpoints answer: `# HELP` and `# TYPE` lines, then one sample per line,
//! `name{label="value",...} number`.
//!
//! ```
//! use wirestate_server::prometheus::{Exposition, Kind};
//!
//! let mut metrics = Exposition::new();
//! metrics.gauge("ws_connections_open", "Connections open now.", 2.0);
//! metrics
//!     .family("ws_closes_total", "Closes by code.", Kind::Counter)
//!     .sample(&[("code", "1000")], 5.0)
//!     .sample(&[("code", "1008")], 1.0);
//! let text = metrics.finish();
//! assert!(text.contains("ws_closes_total{code=\"1008\"} 1\n"));
//! ```

use std::fmt::Write;

/// The `Content-Type` of a text exposition.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// A metric's type, written on its `# TYPE` line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A value that only grows (its name should end in `_total`).
    Counter,
    /// A value that goes up and down.
    Gauge,
}

/// A text exposition being written: add metrics, then [`finish`](Self::finish).
#[derive(Debug, Default)]
pub struct Exposition {
    text: String,
}

impl Exposition {
    /// An empty exposition.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a counter without labels.
    pub fn counter(&mut self, name: &str, help: &str, value: u64) -> &mut Self {
        // Counters are integers here; f64 holds them exactly up to 2^53.
        self.family(name, help, Kind::Counter)
            .sample(&[], value as f64);
        self
    }

    /// Adds a gauge without labels.
    pub fn gauge(&mut self, name: &str, help: &str, value: f64) -> &mut Self {
        self.family(name, help, Kind::Gauge).sample(&[], value);
        self
    }

    /// Starts a metric family (its `# HELP` and `# TYPE` lines); add its
    /// samples on the returned builder. A family with no sample is valid.
    pub fn family(&mut self, name: &str, help: &str, kind: Kind) -> Family<'_> {
        let kind_name = match kind {
            Kind::Counter => "counter",
            Kind::Gauge => "gauge",
        };
        let help = help.replace('\\', "\\\\").replace('\n', "\\n");
        // Writing to a String cannot fail.
        let _ = writeln!(self.text, "# HELP {name} {help}\n# TYPE {name} {kind_name}");
        Family {
            text: &mut self.text,
            name: name.to_string(),
        }
    }

    /// The exposition text.
    pub fn finish(self) -> String {
        self.text
    }
}

/// The samples of one metric family; see [`Exposition::family`].
#[derive(Debug)]
pub struct Family<'a> {
    text: &'a mut String,
    name: String,
}

impl Family<'_> {
    /// Adds a sample with `labels` (name, value); label values are escaped
    /// as the format requires (`\\`, `\"`, `\n`).
    pub fn sample(&mut self, labels: &[(&str, &str)], value: f64) -> &mut Self {
        self.text.push_str(&self.name);
        if !labels.is_empty() {
            self.text.push('{');
            for (i, (label, label_value)) in labels.iter().enumerate() {
                if i > 0 {
                    self.text.push(',');
                }
                let escaped = label_value
                    .replace('\\', "\\\\")
                    .replace('"', "\\\"")
                    .replace('\n', "\\n");
                let _ = write!(self.text, "{label}=\"{escaped}\"");
            }
            self.text.push('}');
        }
        let _ = writeln!(self.text, " {}", number(value));
        self
    }
}

/// A sample value as the format spells it (`+Inf`, `-Inf`, `NaN`, else
/// Rust's shortest round-trip form, integers without a fraction).
fn number(value: f64) -> String {
    if value.is_nan() {
        "NaN".into()
    } else if value.is_infinite() {
        if value > 0.0 { "+Inf" } else { "-Inf" }.into()
    } else {
        format!("{value}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_help_type_and_samples() {
        let mut metrics = Exposition::new();
        metrics
            .counter("a_total", "Things.\nMore", 3)
            .gauge("b", "Ratio.", 0.25);
        metrics
            .family("c_total", "By label.", Kind::Counter)
            .sample(&[("k", "x\"y\\z\n"), ("j", "2")], 7.0);
        assert_eq!(
            metrics.finish(),
            "# HELP a_total Things.\\nMore\n# TYPE a_total counter\na_total 3\n\
             # HELP b Ratio.\n# TYPE b gauge\nb 0.25\n\
             # HELP c_total By label.\n# TYPE c_total counter\n\
             c_total{k=\"x\\\"y\\\\z\\n\",j=\"2\"} 7\n"
        );
    }

    #[test]
    fn spells_special_values() {
        let table = [
            (f64::NAN, "NaN"),
            (f64::INFINITY, "+Inf"),
            (f64::NEG_INFINITY, "-Inf"),
            (1e21, "1000000000000000000000"),
            (-0.5, "-0.5"),
        ];
        for (value, text) in table {
            assert_eq!(number(value), text);
        }
    }
}
