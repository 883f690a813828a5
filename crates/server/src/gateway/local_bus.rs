//! The in-process bus: publishing is delivering.

use std::sync::Arc;

use bytes::Bytes;

use super::bus::{Bus, Hub, Subscription};

/// A [`Bus`] within one process: each message goes straight to this
/// process's subscribers of its channel.
#[derive(Clone, Default)]
pub struct LocalBus {
    hub: Arc<Hub>,
}

impl LocalBus {
    /// A bus with no subscribers yet.
    pub fn new() -> LocalBus {
        LocalBus::default()
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
