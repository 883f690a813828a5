//! The Redis bus: every gateway process publishes to Redis and listens to
//! Redis, so subscribers anywhere see every publisher.
//!
//! See [`RedisBus`].

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::{BufMut, Bytes, BytesMut};
use futures_util::StreamExt;
use redis::aio::MultiplexedConnection;
use redis::Client;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::bus::{Bus, Hub, Subscription};

/// The first pause before reconnecting to Redis.
pub const MIN_BACKOFF: Duration = Duration::from_millis(100);
/// The longest pause between reconnection attempts.
pub const MAX_BACKOFF: Duration = Duration::from_secs(5);
/// Bytes of messages waiting to be published to Redis at most; past it
/// new messages are not sent to Redis (and counted).
pub const MAX_OUTGOING: usize = 32 << 20;
/// Messages sent to Redis in one pipeline at most.
const BATCH: usize = 256;

/// A [`Bus`] on Redis pub/sub. Its tasks end when it is dropped.
///
/// - A message on channel `c` is published to the Redis channel
///   `<prefix>c`; its Redis payload is the publishing process's 8-byte
///   origin id followed by the payload.
/// - Each process subscribes once, with `PSUBSCRIBE <prefix>*`, and hands
///   what arrives to its own subscribers of the channel (if any): one
///   subscription per process whatever the number of channels, at the cost
///   of every process receiving every channel's traffic.
/// - No double delivery: a process delivers its own publishers' messages to
///   its own subscribers at once (so they keep flowing while Redis is
///   away), and skips them when Redis echoes them back (same origin id).
/// - When Redis goes away, both connections are retried with a backoff
///   from [`MIN_BACKOFF`] doubling to [`MAX_BACKOFF`]. Messages published
///   meanwhile (or past [`MAX_OUTGOING`] bytes queued for Redis) are not
///   sent to Redis: a warning counts them when the connection is back.
///   Messages other processes published while this one was not subscribed
///   are lost to its subscribers.
pub struct RedisBus {
    hub: Arc<Hub>,
    prefix: String,
    origin: [u8; 8],
    outgoing: mpsc::UnboundedSender<(String, Bytes)>,
    queued: Arc<AtomicUsize>,
    unsent: Arc<AtomicU64>,
    tasks: Vec<JoinHandle<()>>,
}

impl RedisBus {
    /// Starts the bus on the Redis at `url` (`redis://host:port`), its
    /// channels named `<prefix><channel>`: spawns the publishing and the
    /// subscribing task (call it inside a tokio runtime). It does not wait
    /// for Redis: both tasks connect, and reconnect, on their own.
    ///
    /// # Errors
    ///
    /// When `url` is not a Redis URL.
    pub fn start(url: &str, prefix: &str) -> redis::RedisResult<RedisBus> {
        RedisBus::start_with_limit(url, prefix, usize::MAX)
    }

    /// As [`start`](Self::start), queueing at most `limit` bytes for this
    /// process's subscribers together (see [`Hub`]).
    ///
    /// # Errors
    ///
    /// When `url` is not a Redis URL.
    pub fn start_with_limit(url: &str, prefix: &str, limit: usize) -> redis::RedisResult<RedisBus> {
        let client = Client::open(url)?;
        let hub = Hub::with_limit(limit);
        let origin = origin_id();
        let (outgoing, rx) = mpsc::unbounded_channel();
        let queued = Arc::new(AtomicUsize::new(0));
        let unsent = Arc::new(AtomicU64::new(0));
        let publisher = Publisher {
            client: client.clone(),
            prefix: prefix.to_string(),
            origin,
            rx,
            queued: queued.clone(),
            unsent: unsent.clone(),
        };
        let listener = Listener {
            client,
            prefix: prefix.to_string(),
            origin,
            hub: hub.clone(),
        };
        let tasks = vec![tokio::spawn(publisher.run()), tokio::spawn(listener.run())];
        Ok(RedisBus {
            hub,
            prefix: prefix.to_string(),
            origin,
            outgoing,
            queued,
            unsent,
            tasks,
        })
    }

    /// Messages not sent to Redis so far (Redis away, or the queue full).
    pub fn unsent(&self) -> u64 {
        self.unsent.load(Ordering::Relaxed)
    }

    /// The Redis channel prefix.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// This process's origin id, which tags its messages on Redis.
    pub fn origin(&self) -> [u8; 8] {
        self.origin
    }
}

impl Bus for RedisBus {
    fn publish(&self, channel: &str, payload: Bytes) {
        self.hub.deliver(channel, &payload);
        let len = payload.len();
        if self.queued.fetch_add(len, Ordering::AcqRel) + len > MAX_OUTGOING {
            self.queued.fetch_sub(len, Ordering::AcqRel);
            self.unsent.fetch_add(1, Ordering::Relaxed);
            return;
        }
        if self.outgoing.send((channel.to_string(), payload)).is_err() {
            self.unsent.fetch_add(1, Ordering::Relaxed);
        }
    }

    fn subscribe(&self, channel: &str, budget: usize) -> Subscription {
        self.hub.subscribe(channel, budget)
    }
}

impl Drop for RedisBus {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// A random id for this process: the standard library's per-process
/// random hash keys, mixed with the PID.
fn origin_id() -> [u8; 8] {
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u32(std::process::id());
    hasher.finish().to_be_bytes()
}

/// Sleeps `backoff`, then doubles it up to [`MAX_BACKOFF`].
async fn pause(backoff: &mut Duration) {
    tokio::time::sleep(*backoff).await;
    *backoff = (*backoff * 2).min(MAX_BACKOFF);
}

/// The task that publishes this process's messages to Redis.
struct Publisher {
    client: Client,
    prefix: String,
    origin: [u8; 8],
    rx: mpsc::UnboundedReceiver<(String, Bytes)>,
    queued: Arc<AtomicUsize>,
    unsent: Arc<AtomicU64>,
}

impl Publisher {
    async fn run(mut self) {
        let mut backoff = MIN_BACKOFF;
        // Unsent messages already reported.
        let mut reported = 0;
        loop {
            match self.client.get_multiplexed_async_connection().await {
                Ok(mut connection) => {
                    backoff = MIN_BACKOFF;
                    let unsent = self.unsent.load(Ordering::Relaxed);
                    if unsent > reported {
                        tracing::warn!(
                            not_sent = unsent - reported,
                            "redis publisher reconnected: messages published meanwhile were not sent to redis"
                        );
                    } else {
                        tracing::info!("redis publisher connected");
                    }
                    reported = unsent;
                    let error = self.publish_all(&mut connection).await;
                    tracing::warn!(%error, "redis publisher lost its connection; retrying");
                }
                Err(error) => tracing::warn!(%error, pause = ?backoff, "cannot connect to redis"),
            }
            // Messages published while Redis is away are dropped, not kept.
            let reconnect = tokio::time::sleep(backoff);
            tokio::pin!(reconnect);
            loop {
                tokio::select! {
                    () = &mut reconnect => break,
                    next = self.rx.recv() => match next {
                        Some((_, payload)) => self.drop_one(payload.len()),
                        None => return,
                    },
                }
            }
            backoff = (backoff * 2).min(MAX_BACKOFF);
        }
    }

    fn drop_one(&self, len: usize) {
        self.queued.fetch_sub(len, Ordering::AcqRel);
        self.unsent.fetch_add(1, Ordering::Relaxed);
    }

    /// Publishes batches in order until the connection fails (the failed
    /// batch counts as unsent) or the bus is gone.
    async fn publish_all(&mut self, connection: &mut MultiplexedConnection) -> redis::RedisError {
        let mut batch = Vec::with_capacity(BATCH);
        loop {
            if self.rx.recv_many(&mut batch, BATCH).await == 0 {
                return redis::RedisError::from(std::io::Error::other("bus dropped"));
            }
            let mut pipe = redis::pipe();
            let count = batch.len() as u64;
            let mut bytes = 0;
            for (channel, payload) in batch.drain(..) {
                bytes += payload.len();
                let mut tagged = BytesMut::with_capacity(8 + payload.len());
                tagged.put_slice(&self.origin);
                tagged.put_slice(&payload);
                pipe.cmd("PUBLISH")
                    .arg(format!("{}{channel}", self.prefix))
                    .arg(&tagged[..])
                    .ignore();
            }
            self.queued.fetch_sub(bytes, Ordering::AcqRel);
            if let Err(error) = pipe.query_async::<()>(connection).await {
                self.unsent.fetch_add(count, Ordering::Relaxed);
                return error;
            }
        }
    }
}

/// The task that hands what Redis carries to this process's subscribers.
struct Listener {
    client: Client,
    prefix: String,
    origin: [u8; 8],
    hub: Arc<Hub>,
}

impl Listener {
    async fn run(self) {
        let mut backoff = MIN_BACKOFF;
        let mut again = false;
        loop {
            match self.listen(again).await {
                Ok(()) => {
                    backoff = MIN_BACKOFF;
                    again = true;
                    tracing::warn!("redis subscription ended; resubscribing");
                }
                Err(error) => tracing::warn!(%error, pause = ?backoff, "cannot subscribe on redis"),
            }
            pause(&mut backoff).await;
        }
    }

    /// Subscribes to every channel under the prefix and delivers until the
    /// connection ends.
    /// `again`: a subscription existed before (the log says resubscribed).
    async fn listen(&self, again: bool) -> redis::RedisResult<()> {
        let mut pubsub = self.client.get_async_pubsub().await?;
        pubsub.psubscribe(format!("{}*", self.prefix)).await?;
        if again {
            tracing::info!(prefix = %self.prefix, "resubscribed on redis");
        } else {
            tracing::info!(prefix = %self.prefix, "subscribed on redis");
        }
        let mut messages = pubsub.into_on_message();
        while let Some(message) = messages.next().await {
            let Some(channel) = message.get_channel_name().strip_prefix(&self.prefix) else {
                continue;
            };
            let tagged = message.get_payload_bytes();
            if tagged.len() < 8 || tagged[..8] == self.origin {
                continue;
            }
            if self.hub.has_subscribers(channel) {
                self.hub
                    .deliver(channel, &Bytes::copy_from_slice(&tagged[8..]));
            }
        }
        Ok(())
    }
}
