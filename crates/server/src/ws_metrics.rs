//! Counters for a WebSocket server, rendered in the Prometheus text format
//! (the `/metrics` of `wirestate serve websocket`).
//!
//! One [`WsMetrics`] is shared (`Arc`) by every connection task; each
//! records what happens on its connection, and the metrics endpoint calls
//! [`WsMetrics::render`].
//!
//! ```
//! use std::sync::Arc;
//! use wirestate_server::ws_metrics::WsMetrics;
//!
//! let metrics = Arc::new(WsMetrics::default());
//! let open = metrics.connection_opened();
//! metrics.message_in(5);
//! metrics.message_out(5);
//! metrics.closed(1000);
//! drop(open);
//! let text = metrics.render();
//! assert!(text.contains("\nwirestate_ws_connections_total 1\n"));
//! assert!(text.contains("\nwirestate_ws_closes_total{code=\"1000\"} 1\n"));
//! ```

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use wirestate_websocket::DeflateTotals;

use crate::prometheus::{Exposition, Kind};

/// The counters of one WebSocket server. All methods take `&self`: share
/// it in an `Arc`.
#[derive(Debug, Default)]
pub struct WsMetrics {
    open: AtomicU64,
    total: AtomicU64,
    messages_in: AtomicU64,
    messages_out: AtomicU64,
    bytes_in: AtomicU64,
    bytes_out: AtomicU64,
    uncompressed: AtomicU64,
    compressed: AtomicU64,
    closes: Mutex<BTreeMap<u16, u64>>,
    rejected: Mutex<BTreeMap<u16, u64>>,
}

/// Counts one open connection until it is dropped (see
/// [`WsMetrics::connection_opened`]).
#[derive(Debug)]
pub struct OpenConnection(Arc<WsMetrics>);

impl Drop for OpenConnection {
    fn drop(&mut self) {
        self.0.open.fetch_sub(1, Ordering::Relaxed);
    }
}

impl WsMetrics {
    /// A connection was upgraded: counts it in the total and as open until
    /// the returned guard is dropped (keep it for the connection's life).
    pub fn connection_opened(self: &Arc<Self>) -> OpenConnection {
        self.total.fetch_add(1, Ordering::Relaxed);
        self.open.fetch_add(1, Ordering::Relaxed);
        OpenConnection(Arc::clone(self))
    }

    /// A message of `bytes` payload bytes arrived.
    pub fn message_in(&self, bytes: usize) {
        self.messages_in.fetch_add(1, Ordering::Relaxed);
        self.bytes_in.fetch_add(bytes as u64, Ordering::Relaxed);
    }

    /// A message of `bytes` payload bytes (before compression) was sent.
    pub fn message_out(&self, bytes: usize) {
        self.messages_out.fetch_add(1, Ordering::Relaxed);
        self.bytes_out.fetch_add(bytes as u64, Ordering::Relaxed);
    }

    /// Adds what permessage-deflate compressed since the last call (pass
    /// the difference of two [`DeflateTotals`]).
    pub fn deflated(&self, more: DeflateTotals) {
        self.uncompressed
            .fetch_add(more.uncompressed, Ordering::Relaxed);
        self.compressed
            .fetch_add(more.compressed, Ordering::Relaxed);
    }

    /// A connection ended with close `code` (the peer's, or ours when we
    /// closed first; 1006 when it ended without a close).
    pub fn closed(&self, code: u16) {
        bump(&self.closes, code);
    }

    /// A handshake was answered with `status` instead of an upgrade.
    pub fn rejected(&self, status: u16) {
        bump(&self.rejected, status);
    }

    /// The connections open now.
    pub fn open(&self) -> u64 {
        self.open.load(Ordering::Relaxed)
    }

    /// The Prometheus text exposition of every counter:
    /// `wirestate_ws_connections_open` (gauge), `_connections_total`,
    /// `_messages_received_total`, `_messages_sent_total`,
    /// `_bytes_received_total`, `_bytes_sent_total` (message payloads,
    /// uncompressed), `_closes_total{code}`, `_rejected_handshakes_total{status}`,
    /// `_deflate_uncompressed_bytes_total`, `_deflate_compressed_bytes_total`
    /// and `_deflate_ratio` (gauge: compressed / uncompressed, 1 before
    /// anything was compressed).
    pub fn render(&self) -> String {
        let load = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        let mut text = Exposition::new();
        text.gauge(
            "wirestate_ws_connections_open",
            "WebSocket connections open now.",
            load(&self.open) as f64,
        )
        .counter(
            "wirestate_ws_connections_total",
            "WebSocket connections upgraded since the start.",
            load(&self.total),
        )
        .counter(
            "wirestate_ws_messages_received_total",
            "Messages received.",
            load(&self.messages_in),
        )
        .counter(
            "wirestate_ws_messages_sent_total",
            "Messages sent.",
            load(&self.messages_out),
        )
        .counter(
            "wirestate_ws_bytes_received_total",
            "Payload bytes of the messages received.",
            load(&self.bytes_in),
        )
        .counter(
            "wirestate_ws_bytes_sent_total",
            "Payload bytes of the messages sent, before compression.",
            load(&self.bytes_out),
        );
        labelled(
            &mut text,
            "wirestate_ws_closes_total",
            "Connections ended, by close code.",
            "code",
            &self.closes,
        );
        labelled(
            &mut text,
            "wirestate_ws_rejected_handshakes_total",
            "Requests answered without an upgrade, by HTTP status.",
            "status",
            &self.rejected,
        );
        self.render_deflate(&mut text);
        text.finish()
    }

    fn render_deflate(&self, text: &mut Exposition) {
        let uncompressed = self.uncompressed.load(Ordering::Relaxed);
        let compressed = self.compressed.load(Ordering::Relaxed);
        let ratio = if uncompressed == 0 {
            1.0
        } else {
            compressed as f64 / uncompressed as f64
        };
        text.counter(
            "wirestate_ws_deflate_uncompressed_bytes_total",
            "Message bytes permessage-deflate compressed.",
            uncompressed,
        )
        .counter(
            "wirestate_ws_deflate_compressed_bytes_total",
            "Bytes permessage-deflate produced from them.",
            compressed,
        )
        .gauge(
            "wirestate_ws_deflate_ratio",
            "Compressed over uncompressed bytes of the compressed messages (1 before any).",
            ratio,
        );
    }
}

/// Adds one to `key`'s count.
fn bump(map: &Mutex<BTreeMap<u16, u64>>, key: u16) {
    let mut map = map.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    *map.entry(key).or_default() += 1;
}

/// A counter family with one sample per key, labelled `label`.
fn labelled(
    text: &mut Exposition,
    name: &str,
    help: &str,
    label: &str,
    map: &Mutex<BTreeMap<u16, u64>>,
) {
    let map = map.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let mut family = text.family(name, help, Kind::Counter);
    for (key, count) in map.iter() {
        family.sample(&[(label, &key.to_string())], *count as f64);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_sample_line_is_well_formed_and_counts_are_exact() {
        let metrics = Arc::new(WsMetrics::default());
        let first = metrics.connection_opened();
        let _second = metrics.connection_opened();
        drop(first);
        metrics.message_in(3);
        metrics.message_out(3);
        metrics.rejected(401);
        metrics.rejected(401);
        metrics.rejected(404);
        metrics.closed(1008);
        metrics.deflated(DeflateTotals {
            uncompressed: 100,
            compressed: 25,
        });
        let text = metrics.render();
        let samples: Vec<&str> = text.lines().filter(|l| !l.starts_with('#')).collect();
        for line in &samples {
            let (_, value) = line.rsplit_once(' ').unwrap();
            value.parse::<f64>().unwrap();
        }
        for expected in [
            "wirestate_ws_connections_open 1",
            "wirestate_ws_connections_total 2",
            "wirestate_ws_messages_received_total 1",
            "wirestate_ws_bytes_sent_total 3",
            "wirestate_ws_rejected_handshakes_total{status=\"401\"} 2",
            "wirestate_ws_rejected_handshakes_total{status=\"404\"} 1",
            "wirestate_ws_closes_total{code=\"1008\"} 1",
            "wirestate_ws_deflate_ratio 0.25",
        ] {
            assert!(samples.contains(&expected), "{expected} in\n{text}");
        }
    }
}
