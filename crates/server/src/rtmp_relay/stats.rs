//! Counters of the relay's players, for operators and tests.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use super::streams::{StreamCounters, StreamInfo};

/// Live counters of a relay's players: how much media waits for them and
/// what the byte budget dropped. Clone it and pass it to
/// [`serve_with_stats`](super::serve_with_stats); read it from anywhere.
///
/// ```
/// use wirestate_server::rtmp_relay::RelayStats;
///
/// let stats = RelayStats::default();
/// assert_eq!(stats.queued_bytes(), 0);
/// assert_eq!(stats.peak_player_queue(), 0);
/// ```
#[derive(Debug, Clone, Default)]
pub struct RelayStats {
    counters: Arc<Counters>,
}

#[derive(Debug, Default)]
struct Counters {
    queued_bytes: AtomicUsize,
    peak_player_queue: AtomicUsize,
    players: AtomicUsize,
    dropped_messages: AtomicU64,
    dropped_bytes: AtomicU64,
    stalled_players: AtomicU64,
    /// The live streams, by (app, key).
    streams: Mutex<BTreeMap<(String, String), Arc<StreamCounters>>>,
}

impl RelayStats {
    /// Bytes of media queued for all players together, now.
    pub fn queued_bytes(&self) -> usize {
        self.counters.queued_bytes.load(Ordering::Relaxed)
    }

    /// The most bytes ever queued for one player (bounded by twice the
    /// player budget: see [`RelayConfig::player_budget`](super::RelayConfig::player_budget)).
    pub fn peak_player_queue(&self) -> usize {
        self.counters.peak_player_queue.load(Ordering::Relaxed)
    }

    /// Players playing now.
    pub fn players(&self) -> usize {
        self.counters.players.load(Ordering::Relaxed)
    }

    /// Media messages dropped because a player's queue was full.
    pub fn dropped_messages(&self) -> u64 {
        self.counters.dropped_messages.load(Ordering::Relaxed)
    }

    /// Bytes of the dropped messages (as the queues count them).
    pub fn dropped_bytes(&self) -> u64 {
        self.counters.dropped_bytes.load(Ordering::Relaxed)
    }

    /// Players disconnected because they stopped taking media: they took
    /// no byte for the send timeout, or their queue stayed full that long,
    /// or overflowed.
    pub fn stalled_players(&self) -> u64 {
        self.counters.stalled_players.load(Ordering::Relaxed)
    }

    /// Every live stream (published, or played and waiting for a
    /// publisher) at `now`, ordered by application and key.
    ///
    /// ```
    /// use wirestate_server::rtmp_relay::RelayStats;
    ///
    /// assert!(RelayStats::default().streams(std::time::Instant::now()).is_empty());
    /// ```
    pub fn streams(&self, now: Instant) -> Vec<StreamInfo> {
        self.table().values().map(|s| s.info(now)).collect()
    }

    /// Streams someone publishes now.
    pub fn publishers(&self) -> usize {
        let now = Instant::now();
        self.table()
            .values()
            .filter(|s| s.info(now).publishing)
            .count()
    }

    fn table(&self) -> MutexGuard<'_, BTreeMap<(String, String), Arc<StreamCounters>>> {
        self.counters
            .streams
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }

    /// A stream's counters, created at `now` when it is new.
    pub(super) fn open_stream(&self, key: &(String, String), now: Instant) -> Arc<StreamCounters> {
        self.table()
            .entry(key.clone())
            .or_insert_with(|| Arc::new(StreamCounters::new(&key.0, &key.1, now)))
            .clone()
    }

    /// The stream is gone (nobody publishes or plays it).
    pub(super) fn close_stream(&self, key: &(String, String)) {
        self.table().remove(key);
    }

    pub(super) fn queued(&self, before: usize, after: usize, peak: usize) {
        let counters = &self.counters;
        if after > before {
            counters
                .queued_bytes
                .fetch_add(after - before, Ordering::Relaxed);
        } else {
            counters
                .queued_bytes
                .fetch_sub(before - after, Ordering::Relaxed);
        }
        counters
            .peak_player_queue
            .fetch_max(peak, Ordering::Relaxed);
    }

    pub(super) fn dropped(&self, bytes: usize) {
        let counters = &self.counters;
        counters.dropped_messages.fetch_add(1, Ordering::Relaxed);
        counters
            .dropped_bytes
            .fetch_add(bytes as u64, Ordering::Relaxed);
    }

    pub(super) fn player_joined(&self) {
        self.counters.players.fetch_add(1, Ordering::Relaxed);
    }

    pub(super) fn player_left(&self) {
        self.counters.players.fetch_sub(1, Ordering::Relaxed);
    }

    pub(super) fn player_stalled(&self) {
        self.counters
            .stalled_players
            .fetch_add(1, Ordering::Relaxed);
    }
}
