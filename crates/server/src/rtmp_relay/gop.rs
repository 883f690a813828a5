//! The GOP cache: per published stream, the media since the last video
//! keyframe, so a player that joins late starts on a keyframe at once
//! instead of waiting up to a whole group of pictures.
//!
//! The cache follows the publisher's messages:
//!
//! - a video **keyframe** (not a decoder configuration) starts a new group:
//!   what was cached is dropped and the keyframe is kept;
//! - **audio and non-key video** after it are kept, in order, so the audio
//!   interleaved with the group reaches the late player too;
//! - **metadata and decoder configurations** are not kept here (the hub's
//!   [`SequenceHeaders`](wirestate_rtmp::session::SequenceHeaders) sends
//!   them first);
//! - media before the first keyframe is not kept (it cannot start a
//!   decoder).
//!
//! The cache is bounded: each message costs what it costs in a player's
//! queue ([`Relay::cost`]). A message that would take the cache past its
//! limit drops the whole cache, which stays empty until the next keyframe
//! (a group without its start is of no use). While the server's
//! [`MemoryBudget`] is spent, the cache does not grow either (it is
//! dropped the same way). What the cache holds is charged to that budget.

use wirestate_tokio::MemoryBudget;

use super::queue::Relay;

/// The default [`RelayConfig::gop_cache`](super::RelayConfig::gop_cache):
/// 2 MiB per stream, two seconds of an 8 Mbit/s stream. It stays below
/// three quarters of the default player budget, so a late player's queue
/// takes a whole cached group without dropping frames of it.
pub const GOP_CACHE: usize = 2 << 20;

/// What the cache does with messages until the next keyframe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// No keyframe seen yet, or the cache was dropped: wait for one.
    AwaitKeyframe,
    /// Caching the current group.
    Caching,
}

/// The media of one stream since its last keyframe, bounded in bytes.
#[derive(Debug)]
pub(super) struct GopCache {
    limit: usize,
    items: Vec<Relay>,
    bytes: usize,
    state: State,
    budget: Option<MemoryBudget>,
}

impl GopCache {
    /// An empty cache of at most `limit` bytes (0: off), charging what it
    /// holds to `budget`.
    pub(super) fn new(limit: usize, budget: Option<MemoryBudget>) -> Self {
        GopCache {
            limit,
            items: Vec::new(),
            bytes: 0,
            state: State::AwaitKeyframe,
            budget,
        }
    }

    /// Follows one message of the publisher (see the module docs).
    pub(super) fn observe(&mut self, relay: &Relay) {
        if self.limit == 0 {
            return;
        }
        let before = self.bytes;
        match relay {
            Relay::Video {
                keyframe: true,
                config: false,
                ..
            } => {
                self.drop_group();
                self.state = State::Caching;
                self.keep(relay);
            }
            Relay::Audio { config: false, .. }
            | Relay::Video {
                keyframe: false,
                config: false,
                ..
            } if self.state == State::Caching => self.keep(relay),
            _ => {}
        }
        self.charge(before);
    }

    /// Keeps `relay`, or drops the group when it does not fit.
    fn keep(&mut self, relay: &Relay) {
        let cost = relay.cost();
        let spent = self.budget.as_ref().is_some_and(MemoryBudget::is_spent);
        if self.bytes + cost > self.limit || spent {
            self.drop_group();
            return;
        }
        self.bytes += cost;
        self.items.push(relay.clone());
    }

    /// Forgets the group; caching resumes at the next keyframe.
    fn drop_group(&mut self) {
        self.items.clear();
        self.bytes = 0;
        self.state = State::AwaitKeyframe;
    }

    /// Moves the budget's charge from `before` to what is held now.
    fn charge(&self, before: usize) {
        if let Some(budget) = &self.budget {
            budget.recharge(before, self.bytes);
        }
    }

    /// The cached group, keyframe first (empty while waiting for one).
    pub(super) fn messages(&self) -> &[Relay] {
        &self.items
    }

    /// The bytes the cache holds (charged to the budget).
    #[cfg(test)]
    pub(super) fn bytes(&self) -> usize {
        self.bytes
    }
}

impl Drop for GopCache {
    fn drop(&mut self) {
        let before = self.bytes;
        self.drop_group();
        self.charge(before);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use wirestate_rtmp::chunk::SharedChunks;
    use wirestate_rtmp::message::DataMessage;

    use crate::rtmp_relay::queue::ENTRY_COST;

    fn video(ts: u32, len: usize, keyframe: bool) -> Relay {
        Relay::Video {
            timestamp: ts,
            payload: Bytes::from(vec![0; len]),
            keyframe,
            config: false,
            chunks: SharedChunks::default(),
        }
    }

    fn audio(ts: u32, len: usize) -> Relay {
        Relay::Audio {
            timestamp: ts,
            payload: Bytes::from(vec![0; len]),
            config: false,
            chunks: SharedChunks::default(),
        }
    }

    /// (kind, timestamp) of each cached message.
    fn cached(cache: &GopCache) -> Vec<(&'static str, u32)> {
        cache
            .messages()
            .iter()
            .map(|r| match r {
                Relay::Video {
                    keyframe: true,
                    timestamp,
                    ..
                } => ("key", *timestamp),
                Relay::Video { timestamp, .. } => ("inter", *timestamp),
                Relay::Audio { timestamp, .. } => ("audio", *timestamp),
                _ => ("other", 0),
            })
            .collect()
    }

    #[test]
    fn keeps_the_media_since_the_last_keyframe_with_its_audio() {
        let mut cache = GopCache::new(10_000, None);
        for relay in [
            audio(0, 10),
            video(0, 100, false),
            video(40, 100, true),
            audio(50, 10),
            video(80, 100, false),
        ] {
            cache.observe(&relay);
        }
        assert_eq!(cached(&cache), [("key", 40), ("audio", 50), ("inter", 80)]);
        assert_eq!(cache.bytes(), 210 + 3 * ENTRY_COST);
        // A new keyframe starts a new group.
        cache.observe(&video(120, 100, true));
        cache.observe(&audio(130, 10));
        assert_eq!(cached(&cache), [("key", 120), ("audio", 130)]);
        assert_eq!(cache.bytes(), 110 + 2 * ENTRY_COST);
    }

    #[test]
    fn configurations_and_metadata_are_not_cached() {
        let mut cache = GopCache::new(10_000, None);
        cache.observe(&video(0, 100, true));
        let config = Relay::Video {
            timestamp: 0,
            payload: Bytes::from_static(b"\x17\x00"),
            keyframe: true,
            config: true,
            chunks: SharedChunks::default(),
        };
        cache.observe(&config);
        cache.observe(&Relay::Audio {
            timestamp: 0,
            payload: Bytes::from_static(b"\xaf\x00"),
            config: true,
            chunks: SharedChunks::default(),
        });
        cache.observe(&Relay::Metadata {
            timestamp: 0,
            data: DataMessage {
                amf3: false,
                values: Vec::new(),
            },
            size: 10,
        });
        cache.observe(&Relay::End);
        assert_eq!(cached(&cache), [("key", 0)]);
    }

    #[test]
    fn past_its_limit_the_group_is_dropped_until_the_next_keyframe() {
        // Room for the keyframe and one more 100-byte message.
        let mut cache = GopCache::new(2 * (100 + ENTRY_COST) + 10, None);
        cache.observe(&video(0, 100, true));
        cache.observe(&video(40, 100, false));
        assert_eq!(cached(&cache), [("key", 0), ("inter", 40)]);
        cache.observe(&video(80, 100, false));
        assert!(cached(&cache).is_empty());
        assert_eq!(cache.bytes(), 0);
        // Nothing until a keyframe, even with room again.
        cache.observe(&audio(90, 10));
        cache.observe(&video(120, 10, false));
        assert!(cached(&cache).is_empty());
        cache.observe(&video(160, 100, true));
        assert_eq!(cached(&cache), [("key", 160)]);
        // A keyframe larger than the whole cache is not kept.
        cache.observe(&video(200, 1000, true));
        assert!(cached(&cache).is_empty());
    }

    #[test]
    fn a_zero_limit_turns_the_cache_off() {
        let mut cache = GopCache::new(0, None);
        cache.observe(&video(0, 1, true));
        assert!(cached(&cache).is_empty());
    }

    #[test]
    fn what_it_holds_is_charged_to_the_budget_and_given_back() {
        let budget = MemoryBudget::new(1 << 20);
        let mut cache = GopCache::new(10_000, Some(budget.clone()));
        cache.observe(&video(0, 100, true));
        cache.observe(&audio(10, 10));
        assert_eq!(budget.used(), 110 + 2 * ENTRY_COST);
        cache.observe(&video(40, 50, true));
        assert_eq!(budget.used(), 50 + ENTRY_COST);
        drop(cache);
        assert_eq!(budget.used(), 0);
    }

    #[test]
    fn a_spent_budget_drops_the_group() {
        let budget = MemoryBudget::new(200);
        let mut cache = GopCache::new(10_000, Some(budget.clone()));
        cache.observe(&video(0, 100, true));
        assert_eq!(cached(&cache), [("key", 0)]);
        // 164 of 200 charged: the next message would spend it.
        let other = MemoryBudget::clone(&budget);
        other.recharge(0, 100);
        cache.observe(&audio(10, 10));
        assert!(cached(&cache).is_empty());
        assert_eq!(budget.used(), 100);
        other.recharge(100, 0);
    }
}
