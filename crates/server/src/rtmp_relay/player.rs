//! A player's side of the relay: media moves from its queue to its
//! session, one bounded batch at a time, and a player that stopped taking
//! media is let go.

use std::io;
use std::time::Duration;

use tokio::time::Instant;

use super::hub::PlayerFeed;
use super::queue::Relay;
use super::session::{Conn, DriverError, Stop};
use crate::{ServerLimits, Shutdown};

/// Bytes of queued media moved to the session per write: what the
/// connection holds beyond the player's queue (plus one message).
pub(super) const BATCH_BYTES: usize = 64 << 10;

/// What the player's task does next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Flow {
    /// Keep serving.
    Continue,
    /// The server shuts down: say goodbye.
    Shutdown,
    /// The player is done (released, told the end, or failed).
    Done,
}

/// Why writing to the player stopped early.
enum Abort {
    Shutdown,
    /// The publisher left while the player was still writing.
    Ended,
    /// The queue stayed full for the send timeout, or overflowed.
    Stalled,
}

/// Sends the next batch of the player's queue and writes it. Wakes the
/// task again while messages remain, so events of the player are served in
/// between.
pub(super) async fn relay(
    conn: &mut Conn,
    stream_id: u32,
    feed: &PlayerFeed,
    shutdown: &mut Shutdown,
    limits: &ServerLimits,
) -> Flow {
    if feed.queue().is_overflowed() {
        return stalled(feed);
    }
    let batch = feed.take(BATCH_BYTES);
    let ended = matches!(batch.last(), Some(Relay::End));
    if let Err(error) = send_batch(conn, stream_id, batch) {
        tracing::warn!(%error, "relaying to a player failed");
        return Flow::Done;
    }
    if ended {
        tell_end(conn, stream_id, feed, limits.drain_timeout).await;
        return Flow::Done;
    }
    match write(conn, feed, shutdown, limits.send_timeout).await {
        Ok(Ok(())) => {}
        // The session's send deadline passed: the player took no byte.
        Ok(Err(wirestate_tokio::Error::Io(error))) if error.kind() == io::ErrorKind::TimedOut => {
            return stalled(feed);
        }
        Ok(Err(error)) => {
            tracing::warn!(%error, "writing to a player failed");
            return Flow::Done;
        }
        Err(Abort::Shutdown) => return Flow::Shutdown,
        Err(Abort::Ended) => {
            tell_end(conn, stream_id, feed, limits.drain_timeout).await;
            return Flow::Done;
        }
        Err(Abort::Stalled) => return stalled(feed),
    }
    if !feed.queue().is_empty() {
        feed.rewake();
    }
    Flow::Continue
}

fn stalled(feed: &PlayerFeed) -> Flow {
    let queue = feed.queue();
    let (messages, bytes) = queue.dropped();
    tracing::warn!(
        queued = queue.bytes(),
        dropped_messages = messages,
        dropped_bytes = bytes,
        "player stopped taking media; disconnecting it"
    );
    feed.stats().player_stalled();
    Flow::Done
}

/// Hands a batch to the session (the End notice is handled by the caller).
fn send_batch(conn: &mut Conn, stream_id: u32, batch: Vec<Relay>) -> Result<(), Stop> {
    let session = conn.machine_mut();
    for relay in batch {
        match relay {
            Relay::Metadata {
                timestamp, data, ..
            } => session.send_metadata(stream_id, timestamp, &data)?,
            // Encoded once for all players in the same chunk state.
            Relay::Audio {
                timestamp,
                payload,
                chunks,
                ..
            } => session.send_audio_shared(stream_id, timestamp, payload, &chunks)?,
            Relay::Video {
                timestamp,
                payload,
                chunks,
                ..
            } => session.send_video_shared(stream_id, timestamp, payload, &chunks)?,
            Relay::End => {}
        }
    }
    Ok(())
}

/// The publisher left: the player gets what remains queued, then is told
/// the stream ended (UnpublishNotify, Play.Stop, StreamEOF), and the
/// connection closes; all within `drain`, after which a player that does
/// not take its bytes is let go.
async fn tell_end(conn: &mut Conn, stream_id: u32, feed: &PlayerFeed, drain: Duration) {
    let told = tokio::time::timeout(drain, async {
        loop {
            // The end notice is the last message queued.
            let batch = feed.take(BATCH_BYTES);
            let ended = batch.is_empty() || matches!(batch.last(), Some(Relay::End));
            send_batch(conn, stream_id, batch)?;
            if ended {
                conn.machine_mut().end_play(stream_id)?;
                conn.machine_mut().close();
            }
            conn.flush().await?;
            if ended {
                return Ok::<(), Stop>(());
            }
        }
    })
    .await;
    match told {
        Ok(Ok(())) => {}
        Ok(Err(error)) => tracing::debug!(%error, "telling a player the end failed"),
        Err(_) => tracing::debug!("a player did not take the end in time"),
    }
}

/// Writes what the session queued, unless the server shuts down, the
/// publisher leaves, or the player's queue stays full for `send_timeout`
/// first.
async fn write(
    conn: &mut Conn,
    feed: &PlayerFeed,
    shutdown: &mut Shutdown,
    send_timeout: Option<Duration>,
) -> Result<Result<(), DriverError>, Abort> {
    loop {
        let (ended, overflowed, full_since) = {
            let queue = feed.queue();
            (queue.is_ended(), queue.is_overflowed(), queue.full_since())
        };
        if ended {
            return Err(Abort::Ended);
        }
        if overflowed {
            return Err(Abort::Stalled);
        }
        let stall_at = full_since
            .zip(send_timeout)
            .map(|(since, timeout)| Instant::from_std(since) + timeout);
        tokio::select! {
            () = shutdown.triggered() => return Err(Abort::Shutdown),
            written = conn.flush() => return Ok(written),
            // Pushed meanwhile: check for the end or a full queue again
            // (the caller wakes the task again for what remains queued).
            () = feed.changed() => {}
            () = sleep_until(stall_at) => return Err(Abort::Stalled),
        }
    }
}

/// Completes at `at`; never without one.
async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}
