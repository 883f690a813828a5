//! The live streams: per (app, stream key), the publisher's players with
//! their queues, and what a late player needs first.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::Instant;

use tokio::sync::Notify;
use wirestate_rtmp::message::Message;
use wirestate_rtmp::session::SequenceHeaders;
use wirestate_tokio::MemoryBudget;

use super::edge::Edge;
use super::gop::GopCache;
use super::queue::{PlayerQueue, Pushed, Relay, ENTRY_COST};
use super::stats::RelayStats;
use super::streams::StreamCounters;

/// A stream's application and stream key (`rtmp://host/app/key`).
pub(super) type StreamKey = (String, String);

/// What a joining player gets: the messages it needs first, and its feed.
pub(super) type Joined = (Vec<(u32, Message)>, Arc<PlayerFeed>);

/// One player's queue, shared by the publisher (who pushes) and the
/// player's task (who takes and is woken).
#[derive(Debug)]
pub(super) struct PlayerFeed {
    queue: Mutex<PlayerQueue>,
    wake: Notify,
    stats: RelayStats,
    stream: Arc<StreamCounters>,
}

impl PlayerFeed {
    fn new(budget: usize, stats: RelayStats, stream: Arc<StreamCounters>) -> Self {
        PlayerFeed {
            queue: Mutex::new(PlayerQueue::new(budget)),
            wake: Notify::new(),
            stats,
            stream,
        }
    }

    /// The queue, to read its state.
    pub(super) fn queue(&self) -> MutexGuard<'_, PlayerQueue> {
        self.queue.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Offers a message to the player and wakes its task.
    pub(super) fn push(&self, relay: Relay, now: Instant) {
        let mut queue = self.queue();
        let before = queue.bytes();
        let skipping = queue.is_skipping();
        let dropped = queue.dropped().0;
        let cost = relay.cost();
        match queue.push(relay, now) {
            Pushed::Queued => {
                if skipping && !queue.is_skipping() {
                    let (messages, bytes) = queue.dropped();
                    tracing::debug!(messages, bytes, "player resumed at a keyframe");
                }
            }
            Pushed::Dropped => {
                if queue.is_skipping() && !skipping {
                    // Loud once per player; its totals are logged when it goes.
                    let queued = queue.bytes();
                    if dropped == 0 {
                        tracing::warn!(
                            queued,
                            "player queue full: dropping video to the next keyframe"
                        );
                    } else {
                        tracing::debug!(queued, "player queue full again");
                    }
                }
                if queue.dropped().0 > dropped {
                    self.stats.dropped(cost);
                    self.stream.dropped();
                }
            }
            Pushed::Overflowed => {
                tracing::warn!(queued = queue.bytes(), "player queue overflowed");
            }
            Pushed::Ignored => return,
        }
        self.stats.queued(before, queue.bytes(), queue.peak());
        drop(queue);
        self.wake.notify_one();
    }

    /// Takes what waits (at least one message, then up to `max_bytes`).
    pub(super) fn take(&self, max_bytes: usize) -> Vec<Relay> {
        let mut queue = self.queue();
        let before = queue.bytes();
        let taken = queue.take(max_bytes);
        self.stats.queued(before, queue.bytes(), queue.peak());
        let payload = taken.iter().map(|r| r.cost() - ENTRY_COST).sum();
        self.stream.sent(payload);
        taken
    }

    /// Completes when something was pushed since the last wake (at once
    /// if something was pushed while nobody waited).
    pub(super) async fn changed(&self) {
        self.wake.notified().await;
    }

    /// The relay's counters.
    pub(super) fn stats(&self) -> &RelayStats {
        &self.stats
    }

    /// Wakes the player's task once more (it left messages queued).
    pub(super) fn rewake(&self) {
        self.wake.notify_one();
    }

    /// The player left: what waits for it no longer counts.
    fn release(&self) {
        let mut queue = self.queue();
        let before = queue.bytes();
        queue.take(usize::MAX);
        self.stats.queued(before, 0, 0);
    }
}

/// One stream key: its players and what a late player needs first.
struct Channel {
    players: Vec<Arc<PlayerFeed>>,
    headers: SequenceHeaders,
    gop: GopCache,
    publishing: bool,
    stream: Arc<StreamCounters>,
}

/// Every live stream, by (app, stream key).
#[derive(Default)]
pub(super) struct Hub {
    channels: Mutex<HashMap<StreamKey, Channel>>,
    stats: RelayStats,
    /// The GOP cache's limit per stream (0: off), and the budget it is
    /// charged to.
    gop: (usize, Option<MemoryBudget>),
    /// Pushes and pulls, when configured.
    edge: OnceLock<Edge>,
}

impl Hub {
    /// A hub that counts into `stats`.
    pub(super) fn new(stats: RelayStats) -> Self {
        Hub {
            channels: Mutex::default(),
            stats,
            gop: (0, None),
            edge: OnceLock::new(),
        }
    }

    /// Keeps a GOP cache of `limit` bytes per stream, charged to `budget`.
    pub(super) fn with_gop_cache(mut self, limit: usize, budget: MemoryBudget) -> Self {
        self.gop = (limit, Some(budget));
        self
    }

    /// The channel of a key nobody used yet.
    fn channel(&self, key: &StreamKey) -> Channel {
        Channel {
            players: Vec::new(),
            headers: SequenceHeaders::default(),
            gop: GopCache::new(self.gop.0, self.gop.1.clone()),
            publishing: false,
            stream: self.stats.open_stream(key, wirestate_tokio::now()),
        }
    }

    /// Pushes published streams and pulls wanted ones as `edge` says.
    pub(super) fn set_edge(&self, edge: Edge) {
        let _ = self.edge.set(edge);
    }

    /// The pushes and pulls, if any.
    pub(super) fn edge(&self) -> Option<&Edge> {
        self.edge.get()
    }

    fn channels(&self) -> MutexGuard<'_, HashMap<StreamKey, Channel>> {
        self.channels.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Claims the key for a publisher; false if someone publishes already.
    pub(super) fn start_publish(&self, key: &StreamKey) -> bool {
        let mut channels = self.channels();
        let channel = channels
            .entry(key.clone())
            .or_insert_with(|| self.channel(key));
        channel.stream.set_publishing(true);
        let started = !std::mem::replace(&mut channel.publishing, true);
        drop(channels);
        if let (true, Some(edge)) = (started, self.edge()) {
            edge.published(key);
        }
        started
    }

    /// Remembers and relays one message of the publisher.
    pub(super) fn publish(&self, key: &StreamKey, timestamp: u32, message: &Message, relay: Relay) {
        let now = wirestate_tokio::now();
        let mut channels = self.channels();
        if let Some(channel) = channels.get_mut(key) {
            channel.headers.observe(timestamp, message);
            channel.gop.observe(&relay);
            let size = relay.cost() - ENTRY_COST;
            channel.stream.received(message, size, now);
            for player in &channel.players {
                player.push(relay.clone(), now);
            }
        }
    }

    /// The publisher left: players are told (an End that is never
    /// dropped), the key is free again.
    pub(super) fn end_publish(&self, key: &StreamKey) {
        let channel = self.channels().remove(key);
        self.stats.close_stream(key);
        let now = wirestate_tokio::now();
        for player in channel.into_iter().flat_map(|c| c.players) {
            player.push(Relay::End, now);
        }
    }

    /// A player joins with a queue of `budget` bytes: what it needs first
    /// (metadata and sequence headers), and its feed, which holds the
    /// cached GOP already (so its first media is a keyframe).
    pub(super) fn subscribe(
        &self,
        key: &StreamKey,
        budget: usize,
    ) -> (Vec<(u32, Message)>, Arc<PlayerFeed>) {
        let mut channels = self.channels();
        let channel = channels
            .entry(key.clone())
            .or_insert_with(|| self.channel(key));
        let stream = channel.stream.clone();
        let feed = Arc::new(PlayerFeed::new(budget, self.stats.clone(), stream));
        channel.stream.player(true);
        let now = wirestate_tokio::now();
        for relay in channel.gop.messages() {
            feed.push(relay.clone(), now);
        }
        channel.players.push(feed.clone());
        self.stats.player_joined();
        let (first, publishing) = (channel.headers.messages().collect(), channel.publishing);
        drop(channels);
        if let (false, Some(edge)) = (publishing, self.edge()) {
            edge.wanted(key);
        }
        (first, feed)
    }

    /// [`subscribe`](Self::subscribe), only while someone publishes `key`.
    pub(super) fn subscribe_live(&self, key: &StreamKey, budget: usize) -> Option<Joined> {
        let mut channels = self.channels();
        let channel = channels.get_mut(key).filter(|c| c.publishing)?;
        let feed = Arc::new(PlayerFeed::new(
            budget,
            self.stats.clone(),
            channel.stream.clone(),
        ));
        channel.stream.player(true);
        channel.players.push(feed.clone());
        self.stats.player_joined();
        Some((channel.headers.messages().collect(), feed))
    }

    /// Whether someone publishes `key`.
    pub(super) fn is_published(&self, key: &StreamKey) -> bool {
        self.channels().get(key).is_some_and(|c| c.publishing)
    }

    /// How many players `key` has.
    pub(super) fn players(&self, key: &StreamKey) -> usize {
        self.channels().get(key).map_or(0, |c| c.players.len())
    }

    /// Nobody published `key` after all: its waiting players get the end.
    pub(super) fn end_waiting(&self, key: &StreamKey) {
        let mut channels = self.channels();
        if channels.get(key).is_some_and(|c| !c.publishing) {
            let now = wirestate_tokio::now();
            for player in channels.remove(key).into_iter().flat_map(|c| c.players) {
                player.push(Relay::End, now);
            }
            self.stats.close_stream(key);
        }
    }

    /// A player left: its queue is dropped, and a key nobody publishes or
    /// plays is forgotten, so players asking for made-up keys leave
    /// nothing behind.
    pub(super) fn unsubscribe(&self, key: &StreamKey, feed: &Arc<PlayerFeed>) {
        feed.release();
        self.stats.player_left();
        feed.stream.player(false);
        let mut channels = self.channels();
        if let Some(channel) = channels.get_mut(key) {
            channel.players.retain(|p| !Arc::ptr_eq(p, feed));
            let idle = channel.players.is_empty();
            if !channel.publishing && idle {
                channels.remove(key);
                self.stats.close_stream(key);
            }
            drop(channels);
            if let (true, Some(edge)) = (idle, self.edge()) {
                edge.idle(key);
            }
        }
    }
}
