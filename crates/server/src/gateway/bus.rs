//! The [`Bus`] trait every gateway bus implements, and the [`Hub`] that
//! fans a channel's messages out to this process's subscribers, each within
//! its own byte budget.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use bytes::Bytes;
use tokio::sync::mpsc;

/// Where the gateway publishes the lines it reads and subscribes its
/// WebSocket clients: [`LocalBus`](super::LocalBus) within one process,
/// [`RedisBus`](super::RedisBus) across processes.
///
/// Both deliver a publisher's messages to every subscriber of the channel
/// in the order they were published, and each message at most once.
pub trait Bus: Send + Sync + 'static {
    /// Publishes `payload` on `channel`. Never blocks: a bus that cannot
    /// carry the message now (Redis away, its queue full) drops it for the
    /// other processes and counts it; this process's subscribers still get
    /// it.
    fn publish(&self, channel: &str, payload: Bytes);

    /// Subscribes to `channel` with a budget of `budget` bytes of messages
    /// not yet taken: past it the subscription ends as
    /// [`Subscription::is_too_slow`]. Read it with [`Subscription::recv`];
    /// drop it to unsubscribe.
    fn subscribe(&self, channel: &str, budget: usize) -> Subscription;
}

/// One subscriber's end as the hub holds it.
struct Slot {
    id: u64,
    tx: mpsc::UnboundedSender<Bytes>,
    queued: Arc<AtomicUsize>,
    too_slow: Arc<AtomicBool>,
    budget: usize,
}

/// The subscribers of this process by channel: [`Hub::deliver`] hands a
/// message to each of them. Both buses deliver through one.
///
/// Memory: each subscriber holds at most its budget of queued messages,
/// and all of them together at most the hub's limit; past it, a
/// subscriber that has a backlog is cut off rather than queued for
/// (one that keeps up still gets the message).
pub struct Hub {
    channels: Mutex<Channels>,
    /// Bytes queued for all subscribers together.
    total: AtomicUsize,
    limit: usize,
}

#[derive(Default)]
struct Channels {
    next_id: u64,
    by_name: HashMap<String, Vec<Slot>>,
}

impl Hub {
    /// An empty hub without a limit of its own (each subscriber still has
    /// its budget), shared by a bus and its subscriptions.
    pub fn new() -> Arc<Hub> {
        Hub::with_limit(usize::MAX)
    }

    /// An empty hub that queues at most `limit` bytes for all its
    /// subscribers together.
    pub fn with_limit(limit: usize) -> Arc<Hub> {
        Arc::new(Hub {
            channels: Mutex::default(),
            total: AtomicUsize::new(0),
            limit,
        })
    }

    /// Bytes queued for all subscribers together.
    pub fn queued(&self) -> usize {
        self.total.load(Ordering::Acquire)
    }

    /// Queues `payload` for every subscriber of `channel`. A subscriber
    /// whose queue would pass its budget, or that has a backlog while the
    /// hub's limit is reached, is cut off instead: its subscription ends as
    /// too slow, and what it had queued is freed once it is dropped.
    pub fn deliver(&self, channel: &str, payload: &Bytes) {
        let len = payload.len();
        let mut channels = self.channels.lock().unwrap_or_else(PoisonError::into_inner);
        let Some(slots) = channels.by_name.get_mut(channel) else {
            return;
        };
        slots.retain(|slot| {
            let queued = slot.queued.load(Ordering::Acquire);
            let full = self.total.load(Ordering::Acquire) + len > self.limit;
            if queued + len > slot.budget || (full && queued > 0) {
                slot.too_slow.store(true, Ordering::Release);
                return false;
            }
            slot.queued.fetch_add(len, Ordering::AcqRel);
            self.total.fetch_add(len, Ordering::AcqRel);
            if slot.tx.send(payload.clone()).is_err() {
                slot.queued.fetch_sub(len, Ordering::AcqRel);
                self.total.fetch_sub(len, Ordering::AcqRel);
                return false;
            }
            true
        });
        if slots.is_empty() {
            channels.by_name.remove(channel);
        }
    }

    /// Whether `channel` has a subscriber in this process.
    pub fn has_subscribers(&self, channel: &str) -> bool {
        let channels = self.channels.lock().unwrap_or_else(PoisonError::into_inner);
        channels.by_name.contains_key(channel)
    }

    /// How many subscriptions this process holds.
    pub fn subscribers(&self) -> usize {
        let channels = self.channels.lock().unwrap_or_else(PoisonError::into_inner);
        channels.by_name.values().map(Vec::len).sum()
    }

    /// A new subscription to `channel` (see [`Bus::subscribe`]).
    pub fn subscribe(self: &Arc<Self>, channel: &str, budget: usize) -> Subscription {
        let (tx, rx) = mpsc::unbounded_channel();
        let queued = Arc::new(AtomicUsize::new(0));
        let too_slow = Arc::new(AtomicBool::new(false));
        let mut channels = self.channels.lock().unwrap_or_else(PoisonError::into_inner);
        let id = channels.next_id;
        channels.next_id += 1;
        channels
            .by_name
            .entry(channel.to_string())
            .or_default()
            .push(Slot {
                id,
                tx,
                queued: queued.clone(),
                too_slow: too_slow.clone(),
                budget,
            });
        Subscription {
            rx,
            queued,
            too_slow,
            hub: self.clone(),
            channel: channel.to_string(),
            id,
        }
    }

    /// Removes a subscriber and frees what it left queued (`left`, read
    /// once the hub can no longer add to it).
    fn unsubscribe(&self, channel: &str, id: u64, left: &AtomicUsize) {
        let mut channels = self.channels.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(slots) = channels.by_name.get_mut(channel) {
            slots.retain(|slot| slot.id != id);
            if slots.is_empty() {
                channels.by_name.remove(channel);
            }
        }
        drop(channels);
        self.total
            .fetch_sub(left.swap(0, Ordering::AcqRel), Ordering::AcqRel);
    }

    /// Takes `len` bytes off a subscriber's and the hub's count.
    fn taken(&self, queued: &AtomicUsize, len: usize) {
        queued.fetch_sub(len, Ordering::AcqRel);
        self.total.fetch_sub(len, Ordering::AcqRel);
    }
}

/// One subscriber's queue of messages on one channel, from
/// [`Bus::subscribe`]. Dropping it unsubscribes.
pub struct Subscription {
    rx: mpsc::UnboundedReceiver<Bytes>,
    queued: Arc<AtomicUsize>,
    too_slow: Arc<AtomicBool>,
    hub: Arc<Hub>,
    channel: String,
    id: u64,
}

impl Subscription {
    /// The next message, in publishing order; `None` once the subscription
    /// ended: see [`is_too_slow`](Self::is_too_slow). Cancel safe.
    pub async fn recv(&mut self) -> Option<Bytes> {
        let payload = self.rx.recv().await?;
        self.hub.taken(&self.queued, payload.len());
        Some(payload)
    }

    /// The next message if one is queued, without waiting.
    pub fn try_recv(&mut self) -> Option<Bytes> {
        let payload = self.rx.try_recv().ok()?;
        self.hub.taken(&self.queued, payload.len());
        Some(payload)
    }

    /// Whether the subscription was cut off because its queue passed its
    /// budget (the subscriber took messages more slowly than they came).
    pub fn is_too_slow(&self) -> bool {
        self.too_slow.load(Ordering::Acquire)
    }

    /// Bytes of messages queued and not taken yet.
    pub fn queued(&self) -> usize {
        self.queued.load(Ordering::Acquire)
    }

    /// The channel.
    pub fn channel(&self) -> &str {
        &self.channel
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.hub.unsubscribe(&self.channel, self.id, &self.queued);
    }
}

impl std::fmt::Debug for Subscription {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Subscription")
            .field("channel", &self.channel)
            .field("queued", &self.queued())
            .field("too_slow", &self.is_too_slow())
            .finish()
    }
}
