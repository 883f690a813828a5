//! The media waiting for one player, bounded in bytes, and what is dropped
//! when it is full.
//!
//! A player that reads slower than the publisher sends makes its queue
//! grow. Past its budget, media is dropped in the order nginx-rtmp drops it
//! (least useful first):
//!
//! 1. **Non-key video** is refused once the queue holds three quarters of
//!    the budget; from then on every non-key frame is dropped until a
//!    keyframe fits (a frame without its reference frames cannot be
//!    decoded), so audio keeps the last quarter.
//! 2. **Keyframes** and **audio** are refused when they do not fit in the
//!    whole budget (audio has no keyframes: it flows again as soon as it
//!    fits).
//! 3. **Metadata, decoder configurations and the End notice** are never
//!    dropped: they may take the queue past its budget, up to
//!    [`ESSENTIAL_SLACK`] times it. A player whose queue would grow beyond
//!    that is [`overflowed`](PlayerQueue::is_overflowed) and gets
//!    disconnected.
//!
//! A new player waits for a keyframe the same way (its first video is a
//! keyframe), without counting those frames as drops.
//!
//! Every queued message costs its payload plus [`ENTRY_COST`] bytes; the
//! queue counts what it drops, and remembers since when it has been full
//! without the player taking anything ([`full_since`](PlayerQueue::full_since)):
//! the relay disconnects a player whose queue stayed full for the send
//! timeout.

use std::collections::VecDeque;
use std::time::Instant;

use bytes::Bytes;
use wirestate_rtmp::chunk::SharedChunks;
use wirestate_rtmp::message::DataMessage;

/// The bytes one queued message costs beyond its payload (the queue entry
/// and the payload's handle).
pub(super) const ENTRY_COST: usize = 64;

/// Essential messages may take a queue up to this many times its budget.
pub(super) const ESSENTIAL_SLACK: usize = 2;

/// A message relayed from a publisher to its players.
#[derive(Debug, Clone)]
pub(super) enum Relay {
    /// Metadata, with the size of its encoding.
    Metadata {
        timestamp: u32,
        data: DataMessage,
        size: usize,
    },
    Audio {
        timestamp: u32,
        payload: Bytes,
        /// A codec configuration (AAC sequence header ...).
        config: bool,
        /// The chunks, encoded once for the players whose chunk settings
        /// match (see [`SharedChunks`]).
        chunks: SharedChunks,
    },
    Video {
        timestamp: u32,
        payload: Bytes,
        /// Starts a group of pictures.
        keyframe: bool,
        /// A decoder configuration (AVC sequence header ...).
        config: bool,
        /// As for audio.
        chunks: SharedChunks,
    },
    /// The publisher left.
    End,
}

/// How a message is treated when the queue is full.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Essential,
    Keyframe,
    Audio,
    InterVideo,
}

impl Relay {
    /// What the message costs in the queue.
    pub(super) fn cost(&self) -> usize {
        ENTRY_COST
            + match self {
                Relay::Metadata { size, .. } => *size,
                Relay::Audio { payload, .. } | Relay::Video { payload, .. } => payload.len(),
                Relay::End => 0,
            }
    }

    fn class(&self) -> Class {
        match self {
            Relay::Metadata { .. } | Relay::End => Class::Essential,
            Relay::Audio { config: true, .. } | Relay::Video { config: true, .. } => {
                Class::Essential
            }
            Relay::Audio { .. } => Class::Audio,
            Relay::Video { keyframe: true, .. } => Class::Keyframe,
            Relay::Video { .. } => Class::InterVideo,
        }
    }
}

/// What [`PlayerQueue::push`] did with a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Pushed {
    /// Queued for the player.
    Queued,
    /// Dropped: the queue is full, or video waits for a keyframe.
    Dropped,
    /// Not queued: the queue ended or overflowed already.
    Ignored,
    /// An essential message did not fit even past the budget: the player
    /// must be disconnected.
    Overflowed,
}

/// Whether non-key video flows to the player.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum VideoGate {
    Flowing,
    /// Until the next keyframe that fits; `overload` when the queue was
    /// full (the dropped frames count as drops), not a new player.
    AwaitKeyframe {
        overload: bool,
    },
}

/// The media waiting for one player.
#[derive(Debug)]
pub(super) struct PlayerQueue {
    budget: usize,
    items: VecDeque<Relay>,
    bytes: usize,
    peak: usize,
    video: VideoGate,
    full_since: Option<Instant>,
    dropped_messages: u64,
    dropped_bytes: u64,
    ended: bool,
    overflowed: bool,
}

impl PlayerQueue {
    /// An empty queue of `budget` bytes for a new player (its video starts
    /// at a keyframe).
    pub(super) fn new(budget: usize) -> Self {
        PlayerQueue {
            budget,
            items: VecDeque::new(),
            bytes: 0,
            peak: 0,
            video: VideoGate::AwaitKeyframe { overload: false },
            full_since: None,
            dropped_messages: 0,
            dropped_bytes: 0,
            ended: false,
            overflowed: false,
        }
    }

    /// Offers `relay` to the player at `now`, following the drop policy of
    /// the module docs.
    pub(super) fn push(&mut self, relay: Relay, now: Instant) -> Pushed {
        if self.ended || self.overflowed {
            return Pushed::Ignored;
        }
        let cost = relay.cost();
        let fits = |share: usize| self.bytes + cost <= share;
        let queued = match relay.class() {
            Class::Essential => {
                if matches!(relay, Relay::End) {
                    self.ended = true;
                } else if !fits(self.budget.saturating_mul(ESSENTIAL_SLACK)) {
                    self.overflowed = true;
                    self.full_since.get_or_insert(now);
                    return Pushed::Overflowed;
                }
                true
            }
            Class::Keyframe => {
                let fit = fits(self.budget);
                if fit {
                    self.video = VideoGate::Flowing;
                } else {
                    self.video = VideoGate::AwaitKeyframe { overload: true };
                }
                fit
            }
            Class::Audio => fits(self.budget),
            Class::InterVideo => match self.video {
                VideoGate::AwaitKeyframe { overload: false } => return Pushed::Dropped,
                VideoGate::AwaitKeyframe { overload: true } => false,
                VideoGate::Flowing => {
                    let fit = fits(self.budget / 4 * 3);
                    if !fit {
                        self.video = VideoGate::AwaitKeyframe { overload: true };
                    }
                    fit
                }
            },
        };
        if !queued {
            self.dropped_messages += 1;
            self.dropped_bytes += cost as u64;
            self.full_since.get_or_insert(now);
            return Pushed::Dropped;
        }
        self.bytes += cost;
        self.peak = self.peak.max(self.bytes);
        if self.bytes > self.budget {
            self.full_since.get_or_insert(now);
        }
        self.items.push_back(relay);
        Pushed::Queued
    }

    /// Takes queued messages for the player, in order: at least one (if
    /// any), then more while they total at most `max_bytes`. The player
    /// made progress, so the queue is no longer full.
    pub(super) fn take(&mut self, max_bytes: usize) -> Vec<Relay> {
        let mut taken = Vec::new();
        let mut bytes = 0;
        while let Some(next) = self.items.front() {
            let cost = next.cost();
            if !taken.is_empty() && bytes + cost > max_bytes {
                break;
            }
            bytes += cost;
            taken.extend(self.items.pop_front());
        }
        self.bytes -= bytes;
        if !taken.is_empty() {
            self.full_since = None;
        }
        taken
    }

    /// The bytes queued now.
    pub(super) fn bytes(&self) -> usize {
        self.bytes
    }

    /// The most bytes ever queued.
    pub(super) fn peak(&self) -> usize {
        self.peak
    }

    /// Whether nothing waits.
    pub(super) fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Messages and bytes dropped so far.
    pub(super) fn dropped(&self) -> (u64, u64) {
        (self.dropped_messages, self.dropped_bytes)
    }

    /// Since when the queue has been full (it refused a message or went
    /// past its budget) without the player taking anything.
    pub(super) fn full_since(&self) -> Option<Instant> {
        self.full_since
    }

    /// Whether the End notice was queued.
    pub(super) fn is_ended(&self) -> bool {
        self.ended
    }

    /// Whether an essential message did not fit: the player must go.
    pub(super) fn is_overflowed(&self) -> bool {
        self.overflowed
    }

    /// Whether video is being dropped until a keyframe because the queue
    /// was full.
    pub(super) fn is_skipping(&self) -> bool {
        self.video == (VideoGate::AwaitKeyframe { overload: true })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn video(len: usize, keyframe: bool) -> Relay {
        Relay::Video {
            timestamp: 0,
            payload: Bytes::from(vec![0; len]),
            keyframe,
            config: false,
            chunks: SharedChunks::default(),
        }
    }

    fn audio(len: usize) -> Relay {
        Relay::Audio {
            timestamp: 0,
            payload: Bytes::from(vec![0; len]),
            config: false,
            chunks: SharedChunks::default(),
        }
    }

    fn config(len: usize) -> Relay {
        Relay::Video {
            timestamp: 0,
            payload: Bytes::from(vec![0; len]),
            keyframe: true,
            config: true,
            chunks: SharedChunks::default(),
        }
    }

    fn kinds(items: &[Relay]) -> Vec<&'static str> {
        items
            .iter()
            .map(|r| match r {
                Relay::Metadata { .. } => "meta",
                Relay::Audio { config: true, .. } => "aconf",
                Relay::Audio { .. } => "audio",
                Relay::Video { config: true, .. } => "vconf",
                Relay::Video { keyframe: true, .. } => "key",
                Relay::Video { .. } => "inter",
                Relay::End => "end",
            })
            .collect()
    }

    /// A budget of 1,000 bytes of payload (entries of 100 bytes cost 164).
    fn queue() -> PlayerQueue {
        PlayerQueue::new(1000)
    }

    #[test]
    fn a_new_player_waits_for_a_keyframe_without_counting_drops() {
        let now = Instant::now();
        let mut q = queue();
        assert_eq!(q.push(video(100, false), now), Pushed::Dropped);
        assert_eq!(q.push(audio(10), now), Pushed::Queued);
        assert_eq!(q.push(video(100, true), now), Pushed::Queued);
        assert_eq!(q.push(video(100, false), now), Pushed::Queued);
        assert_eq!(q.dropped(), (0, 0));
        assert_eq!(q.full_since(), None);
        assert_eq!(kinds(&q.take(usize::MAX)), ["audio", "key", "inter"]);
    }

    #[test]
    fn bytes_are_accounted_on_push_and_take() {
        let now = Instant::now();
        let mut q = queue();
        q.push(video(100, true), now);
        q.push(audio(50), now);
        assert_eq!(q.bytes(), 100 + 50 + 2 * ENTRY_COST);
        // At least one message, then as many as fit in max_bytes.
        assert_eq!(kinds(&q.take(1)), ["key"]);
        assert_eq!(q.bytes(), 50 + ENTRY_COST);
        assert_eq!(kinds(&q.take(1000)), ["audio"]);
        assert_eq!(q.bytes(), 0);
        assert!(q.is_empty());
        assert_eq!(q.peak(), 150 + 2 * ENTRY_COST);
    }

    #[test]
    fn video_goes_first_then_audio_and_video_resumes_at_a_keyframe() {
        let start = Instant::now();
        let mut q = queue();
        assert_eq!(q.push(video(100, true), start), Pushed::Queued); // 164
        assert_eq!(q.push(video(100, false), start), Pushed::Queued); // 328
        assert_eq!(q.push(video(100, false), start), Pushed::Queued); // 492
        assert_eq!(q.push(video(100, false), start), Pushed::Queued); // 656
                                                                      // 820 > 750: non-key video is refused past three quarters...
        let later = start + Duration::from_secs(1);
        assert_eq!(q.push(video(100, false), later), Pushed::Dropped);
        assert!(q.is_skipping());
        assert_eq!(q.full_since(), Some(later));
        // ... while audio still fits in the last quarter ...
        assert_eq!(q.push(audio(100), later), Pushed::Queued); // 820
        assert_eq!(q.push(audio(100), later), Pushed::Queued); // 984
        assert_eq!(q.push(audio(100), later), Pushed::Dropped); // 1148 > 1000
                                                                // ... and non-key video stays dropped until a keyframe, even with room.
        assert_eq!(kinds(&q.take(600)), ["key", "inter", "inter"]); // 492 left
        assert_eq!(q.full_since(), None);
        assert_eq!(q.push(video(10, false), later), Pushed::Dropped);
        assert_eq!(q.push(video(100, true), later), Pushed::Queued); // 656
        assert!(!q.is_skipping());
        assert_eq!(q.push(video(10, false), later), Pushed::Queued);
        assert_eq!(q.dropped(), (3, 164 * 2 + 74));
        assert!(q.bytes() <= 1000);
    }

    #[test]
    fn a_keyframe_that_does_not_fit_keeps_video_waiting() {
        let now = Instant::now();
        let mut q = queue();
        q.push(video(700, true), now);
        assert_eq!(q.push(video(300, true), now), Pushed::Dropped);
        assert!(q.is_skipping());
        assert_eq!(q.push(video(10, false), now), Pushed::Dropped);
        q.take(usize::MAX);
        assert_eq!(q.push(video(300, true), now), Pushed::Queued);
    }

    #[test]
    fn metadata_configs_and_end_are_never_dropped() {
        let now = Instant::now();
        let mut q = queue();
        q.push(video(900, true), now);
        assert_eq!(q.push(audio(100), now), Pushed::Dropped);
        let metadata = Relay::Metadata {
            timestamp: 0,
            data: DataMessage {
                amf3: false,
                values: Vec::new(),
            },
            size: 100,
        };
        assert_eq!(q.push(metadata, now), Pushed::Queued);
        assert_eq!(q.push(config(100), now), Pushed::Queued);
        assert_eq!(q.push(Relay::End, now), Pushed::Queued);
        assert!(q.bytes() > 1000);
        assert!(q.is_ended());
        // Nothing after the End.
        assert_eq!(q.push(config(1), now), Pushed::Ignored);
        assert_eq!(kinds(&q.take(usize::MAX)), ["key", "meta", "vconf", "end"]);
    }

    #[test]
    fn essential_messages_past_the_slack_overflow_the_player() {
        let now = Instant::now();
        let mut q = queue();
        for _ in 0..10 {
            assert_eq!(q.push(config(100), now), Pushed::Queued); // 1640
        }
        assert_eq!(q.push(config(300), now), Pushed::Overflowed);
        assert!(q.is_overflowed());
        assert!(q.bytes() <= 1000 * ESSENTIAL_SLACK);
        // The player is disconnected: nothing more is queued.
        assert_eq!(q.push(Relay::End, now), Pushed::Ignored);
    }

    #[test]
    fn the_queue_stays_full_until_the_player_takes_something() {
        let start = Instant::now();
        let mut q = queue();
        q.push(video(900, true), start);
        assert_eq!(q.full_since(), None);
        let t1 = start + Duration::from_secs(1);
        q.push(audio(100), t1);
        q.push(audio(100), t1 + Duration::from_secs(1));
        assert_eq!(q.full_since(), Some(t1));
        q.take(1);
        assert_eq!(q.full_since(), None);
    }
}
