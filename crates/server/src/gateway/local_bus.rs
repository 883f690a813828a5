//! The in-process bus: publishing is delivering.

use std::sync::Arc;

use bytes::Bytes;

use super::bus::{Bus, Hub, Subscription};

/// A [`Bus`] within one process: each message goes straight to this
/// process's subscribers of its channel.
#[derive(Clone)]
pub struct LocalBus {
    hub: Arc<Hub>,
}

impl Default for LocalBus {
    fn default() -> Self {
        LocalBus { hub: Hub::new() }
    }
}

impl LocalBus {
    /// A bus with no subscribers yet, and no limit beyond each
    /// subscriber's budget.
    pub fn new() -> LocalBus {
        LocalBus::default()
    }

    /// A bus that queues at most `limit` bytes for all its subscribers
    /// together (see [`Hub`]).
    pub fn with_limit(limit: usize) -> LocalBus {
        LocalBus {
            hub: Hub::with_limit(limit),
        }
    }

    /// Bytes queued for all subscribers together.
    pub fn queued(&self) -> usize {
        self.hub.queued()
    }

    /// How many subscriptions are open.
    pub fn subscribers(&self) -> usize {
        self.hub.subscribers()
    }
}

impl Bus for LocalBus {
    fn publish(&self, channel: &str, payload: Bytes) {
        self.hub.deliver(channel, &payload);
    }

    fn subscribe(&self, channel: &str, budget: usize) -> Subscription {
        self.hub.subscribe(channel, budget)
    }
}
