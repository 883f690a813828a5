//! The limits and deadlines every `serve` mode takes: one clap struct,
//! flattened into each subcommand, turned into the server crate's
//! [`ServerLimits`].

use std::path::PathBuf;
use std::time::Duration;

use wirestate_server::ServerLimits;
use wirestate_tokio::tls::TlsAcceptor;

/// `--idle-timeout`, `--handshake-timeout`, `--send-timeout`,
/// `--max-connections`, `--memory-budget` and `--drain-timeout`. For the
/// timeouts, 0 means off (never).
#[derive(clap::Args, Debug, Clone)]
pub(crate) struct LimitArgs {
    /// Close a connection after this many seconds without input (0: never).
    #[arg(long, value_name = "SECS", default_value_t = 120)]
    idle_timeout: u64,
    /// The opening handshake must complete within this many seconds (0: no
    /// limit). Only the protocols with a handshake (websocket, rtmp) use it.
    #[arg(long, value_name = "SECS", default_value_t = 10)]
    handshake_timeout: u64,
    /// Close a connection whose peer takes none of the queued bytes for this
    /// many seconds (0: wait forever).
    #[arg(long, value_name = "SECS", default_value_t = 30)]
    send_timeout: u64,
    /// Serve at most this many connections at once; more are refused
    /// (websocket: HTTP 503; the others are closed at once).
    #[arg(long, value_name = "N", default_value_t = wirestate_server::MAX_CONNECTIONS)]
    max_connections: usize,
    /// Bytes of buffered input and queued output of all connections
    /// together; when spent, connections stop reading and new ones are
    /// refused. Takes a suffix K, M or G (powers of 1024), as in 64M.
    #[arg(long, value_name = "BYTES", default_value = "256M", value_parser = parse_bytes)]
    memory_budget: usize,
    /// On SIGINT or SIGTERM, wait this many seconds for every connection to
    /// say goodbye (WebSocket: close 1001 and the client's answer), then
    /// exit.
    #[arg(long, value_name = "SECS", default_value_t = 5)]
    drain_timeout: u64,
}

impl LimitArgs {
    /// The limits the flags name.
    pub(crate) fn limits(&self) -> ServerLimits {
        ServerLimits {
            idle_timeout: seconds_or_off(self.idle_timeout),
            handshake_timeout: seconds_or_off(self.handshake_timeout),
            send_timeout: seconds_or_off(self.send_timeout),
            drain_timeout: Duration::from_secs(self.drain_timeout),
            max_connections: self.max_connections,
            memory_budget: self.memory_budget,
        }
    }
}

/// `--tls-cert` and `--tls-key`: serve over TLS (`wss://`, `rtmps://`).
#[derive(clap::Args, Debug, Clone)]
pub(crate) struct TlsArgs {
    /// Serve over TLS (wss://, rtmps://) with the certificate chain in this
    /// PEM file (leaf first); needs --tls-key. The TLS handshake must
    /// complete within --handshake-timeout.
    #[arg(long, value_name = "PEM", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// The private key of --tls-cert, a PEM file (PKCS#8, PKCS#1 or SEC1).
    #[arg(long, value_name = "PEM", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
}

impl TlsArgs {
    /// The TLS acceptor the flags name, or `None` without them.
    ///
    /// # Errors
    ///
    /// A message naming the file that cannot be read or the key that does
    /// not suit the certificate.
    pub(crate) fn acceptor(&self) -> Result<Option<TlsAcceptor>, String> {
        let (Some(cert), Some(key)) = (&self.tls_cert, &self.tls_key) else {
            return Ok(None);
        };
        wirestate_tokio::tls::server_config_from_pem(cert, key)
            .map(Some)
            .map_err(|e| format!("--tls-cert/--tls-key: {e}"))
    }
}

/// `secs` seconds, or `None` (off) for 0.
fn seconds_or_off(secs: u64) -> Option<Duration> {
    (secs > 0).then(|| Duration::from_secs(secs))
}

/// Parses a byte count: digits with an optional suffix K, M or G (also KiB,
/// MiB, GiB; powers of 1024, any case).
pub(crate) fn parse_bytes(text: &str) -> Result<usize, String> {
    let text = text.trim();
    let digits = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, suffix) = text.split_at(digits);
    let number: usize = number
        .parse()
        .map_err(|_| format!("{text:?} is not a byte count (such as 65536, 64K, 64M or 1G)"))?;
    let shift = match suffix.to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        _ => return Err(format!("unknown unit {suffix:?} (use K, M or G)")),
    };
    number
        .checked_mul(1 << shift)
        .ok_or_else(|| format!("{text} is too large"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_counts_take_binary_suffixes() {
        for (text, bytes) in [
            ("0", 0),
            ("65536", 65536),
            ("64K", 64 << 10),
            ("64M", 64 << 20),
            ("256MiB", 256 << 20),
            ("1g", 1 << 30),
            (" 12kb ", 12 << 10),
        ] {
            assert_eq!(parse_bytes(text), Ok(bytes), "{text}");
        }
        for bad in ["", "M", "1.5M", "12T", "-1", "99999999999999999999G"] {
            assert!(parse_bytes(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn zero_turns_a_timeout_off() {
        assert_eq!(seconds_or_off(0), None);
        assert_eq!(seconds_or_off(3), Some(Duration::from_secs(3)));
    }
}
