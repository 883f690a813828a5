//! The live streams: per (app, stream key), the players' feed and what a
//! late player needs first.

use std::collections::HashMap;
use std::sync::Mutex;

use bytes::Bytes;
use tokio::sync::broadcast;
use wirestate_rtmp::message::{DataMessage, Message};
use wirestate_rtmp::session::SequenceHeaders;

/// How many relayed messages a slow player may fall behind before it skips
/// to the next keyframe.
const RELAY_BACKLOG: usize = 1024;

/// A stream's application and stream key (`rtmp://host/app/key`).
pub(super) type StreamKey = (String, String);

/// A message relayed from a publisher to its players.
#[derive(Debug, Clone)]
pub(super) enum Relay {
    Metadata(u32, DataMessage),
    Audio(u32, Bytes),
    Video {
        timestamp: u32,
        payload: Bytes,
        keyframe: bool,
    },
    /// The publisher left.
    End,
}

/// One stream key: its players' feed and what a late player needs first.
struct Channel {
    feed: broadcast::Sender<Relay>,
    headers: SequenceHeaders,
    publishing: bool,
}

/// Every live stream, by (app, stream key).
#[derive(Default)]
pub(super) struct Hub {
    channels: Mutex<HashMap<StreamKey, Channel>>,
}

impl Hub {
    fn with_channel<T>(&self, key: &StreamKey, f: impl FnOnce(&mut Channel) -> T) -> T {
        let mut channels = self.channels.lock().unwrap_or_else(|e| e.into_inner());
        let channel = channels.entry(key.clone()).or_insert_with(|| Channel {
            feed: broadcast::channel(RELAY_BACKLOG).0,
            headers: SequenceHeaders::default(),
            publishing: false,
        });
        f(channel)
    }

    /// Claims the key for a publisher; false if someone publishes already.
    pub(super) fn start_publish(&self, key: &StreamKey) -> bool {
        self.with_channel(key, |c| !std::mem::replace(&mut c.publishing, true))
    }

    /// Remembers and relays one message of the publisher.
    pub(super) fn publish(&self, key: &StreamKey, timestamp: u32, message: &Message, relay: Relay) {
        self.with_channel(key, |c| {
            c.headers.observe(timestamp, message);
            // No players is not an error.
            let _ = c.feed.send(relay);
        })
    }

    /// The publisher left: players are told, the key is free again.
    pub(super) fn end_publish(&self, key: &StreamKey) {
        let mut channels = self.channels.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(channel) = channels.remove(key) {
            let _ = channel.feed.send(Relay::End);
        }
    }

    /// A player joins: what it needs first, and the live feed after it.
    pub(super) fn subscribe(
        &self,
        key: &StreamKey,
    ) -> (Vec<(u32, Message)>, broadcast::Receiver<Relay>) {
        self.with_channel(key, |c| {
            (c.headers.messages().collect(), c.feed.subscribe())
        })
    }

    /// A player left: a key nobody publishes or plays is forgotten, so
    /// players asking for made-up keys leave nothing behind.
    pub(super) fn unsubscribe(&self, key: &StreamKey, feed: broadcast::Receiver<Relay>) {
        drop(feed);
        let mut channels = self.channels.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(channel) = channels.get(key) {
            if !channel.publishing && channel.feed.receiver_count() == 0 {
                channels.remove(key);
            }
        }
    }
}
