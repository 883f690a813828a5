//! A push: one published stream relayed to one [`PushTarget`] by a client
//! session that publishes the same stream key there.
//!
//! The push is a player of the hub: it has its own queue of
//! [`RelayConfig::player_budget`](super::RelayConfig::player_budget)
//! bytes, so a slow target loses media as a slow player does and never
//! holds up the publisher. When the publisher ends, the push ends its
//! publication (`FCUnpublish`, `deleteStream`) and closes.
//!
//! When the target refuses the stream or the connection fails, the push
//! is retried while the stream is live, after [`FIRST_BACKOFF`], doubled
//! at each failure up to [`MAX_BACKOFF`]; after [`MAX_FAILURES`] failures
//! in a row (none of which got to publish) it gives up for this
//! publication. Each attempt starts from the stream's metadata and
//! sequence headers, then its next keyframe.

use std::sync::Arc;
use std::time::Duration;

use wirestate_rtmp::message::Message;
use wirestate_rtmp::session::ClientEvent;
use wirestate_tokio::connect::RtmpClient;

use super::edge::{Edge, PushTarget};
use super::hub::{Hub, Joined, PlayerFeed, StreamKey};
use super::player::BATCH_BYTES;
use super::queue::Relay;
use crate::Shutdown;

/// The wait before the first retry of a failed push.
pub const FIRST_BACKOFF: Duration = Duration::from_secs(1);
/// The longest wait between two attempts of a push.
pub const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// Failed attempts in a row after which a push gives up.
pub const MAX_FAILURES: u32 = 10;

/// The default send deadline of a push when the server has none.
const SEND_TIMEOUT: Duration = Duration::from_secs(30);

/// How one attempt ended.
enum Outcome {
    /// The publisher ended (the target was told).
    Ended,
    /// The server shuts down.
    Shutdown,
}

/// Why one attempt failed, and whether it got to publish.
struct Failure {
    error: String,
    published: bool,
}

impl Failure {
    fn before(error: String) -> Failure {
        Failure {
            error,
            published: false,
        }
    }

    fn after(error: impl ToString) -> Failure {
        Failure {
            error: error.to_string(),
            published: true,
        }
    }
}

/// Pushes `key` to `target` while it is published here, retrying as the
/// module says, starting as the player `joined`. Never fails: errors are
/// logged.
pub(super) async fn run(hub: Arc<Hub>, target: PushTarget, key: StreamKey, joined: Joined) {
    let Some(edge) = hub.edge() else {
        return;
    };
    let url = target.stream_url(&key.1);
    let mut shutdown = edge.shutdown.clone();
    let mut backoff = FIRST_BACKOFF;
    let mut failures = 0;
    let mut joined = Some(joined);
    // None: the stream ended meanwhile.
    while let Some((first, feed)) = joined
        .take()
        .or_else(|| hub.subscribe_live(&key, edge.player_budget))
    {
        tracing::info!(app = %key.0, key = %key.1, %url, "pushing");
        let result = push(edge, &url, &key.1, first, &feed, &mut shutdown).await;
        hub.unsubscribe(&key, &feed);
        let failure = match result {
            Ok(Outcome::Ended) => {
                tracing::info!(app = %key.0, key = %key.1, %url, "push finished");
                return;
            }
            Ok(Outcome::Shutdown) => return,
            Err(failure) => failure,
        };
        if failure.published {
            (failures, backoff) = (0, FIRST_BACKOFF);
        }
        failures += 1;
        if failures >= MAX_FAILURES {
            tracing::warn!(app = %key.0, key = %key.1, %url, error = %failure.error, failures, "push failed; giving up");
            return;
        }
        tracing::warn!(app = %key.0, key = %key.1, %url, error = %failure.error, retry_in = ?backoff, "push failed");
        tokio::select! {
            () = tokio::time::sleep(backoff) => {}
            () = shutdown.triggered() => return,
        }
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

/// One attempt: connects, publishes, sends the headers, then the feed
/// until the publisher ends.
async fn push(
    edge: &Edge,
    url: &str,
    name: &str,
    first: Vec<(u32, Message)>,
    feed: &PlayerFeed,
    shutdown: &mut Shutdown,
) -> Result<Outcome, Failure> {
    let connecting = async {
        let mut client = edge.connect(url).await?;
        client.machine_mut().publish(name, "live");
        tokio::time::timeout(edge.connect_timeout(), publish_started(&mut client))
            .await
            .map_err(|_| "the target did not accept the publication in time".to_owned())??;
        Ok::<_, String>(client)
    };
    let mut client = tokio::select! {
        client = connecting => client.map_err(Failure::before)?,
        () = ended(feed) => return Ok(Outcome::Ended),
        () = shutdown.triggered() => return Ok(Outcome::Shutdown),
    };
    let send_timeout = edge.limits.send_timeout.unwrap_or(SEND_TIMEOUT);
    let drain = edge.limits.drain_timeout;
    send_headers(&mut client, first).map_err(Failure::after)?;
    flush(&mut client, send_timeout).await?;
    let mut batch = feed.take(BATCH_BYTES);
    loop {
        if feed.queue().is_overflowed() {
            return Err(Failure::after("the target fell too far behind"));
        }
        if batch.is_empty() {
            tokio::select! {
                () = feed.changed() => {}
                event = client.next_event() => on_event(event)?,
                () = shutdown.triggered() => {
                    let _ = client.shutdown(drain).await;
                    return Ok(Outcome::Shutdown);
                }
            }
            batch = feed.take(BATCH_BYTES);
            continue;
        }
        let ended = send(&mut client, std::mem::take(&mut batch)).map_err(Failure::after)?;
        flush(&mut client, send_timeout).await?;
        if ended {
            // FCUnpublish and deleteStream, then the close.
            if let Err(error) = client.shutdown(drain).await {
                tracing::debug!(%error, "ending the push");
            }
            return Ok(Outcome::Ended);
        }
        batch = feed.take(BATCH_BYTES);
    }
}

/// Writes what the session queued within `send_timeout`.
async fn flush(client: &mut RtmpClient, send_timeout: Duration) -> Result<(), Failure> {
    match tokio::time::timeout(send_timeout, client.flush()).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(error)) => Err(Failure::after(error)),
        Err(_) => Err(Failure::after("the target took nothing in time")),
    }
}

/// Sends the stream's metadata and sequence headers (what a late player
/// gets first).
fn send_headers(client: &mut RtmpClient, first: Vec<(u32, Message)>) -> Result<(), String> {
    let session = client.machine_mut();
    for (timestamp, message) in first {
        let sent = match message {
            Message::Data(data) => match data.metadata() {
                Some(properties) => session.send_metadata(timestamp, properties.clone()),
                None => Ok(()),
            },
            Message::Audio(audio) => session.send_audio(timestamp, audio.payload),
            Message::Video(video) => session.send_video(timestamp, video.payload),
            _ => Ok(()),
        };
        sent.map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// Completes when the feed's stream ended (it may take what was pushed
/// meanwhile: the caller looks at the queue again).
async fn ended(feed: &PlayerFeed) {
    while !feed.queue().is_ended() {
        feed.changed().await;
    }
}

/// Waits for `Publish.Start`.
async fn publish_started(client: &mut RtmpClient) -> Result<(), String> {
    loop {
        match client.next_event().await {
            Some(Ok(ClientEvent::PublishStarted { .. })) => return Ok(()),
            Some(Ok(ClientEvent::ConnectRejected(status))) => {
                return Err(format!("connect rejected: {}", status.code))
            }
            Some(Ok(ClientEvent::Status { status, .. })) if status.is_error() => {
                return Err(format!("publish refused: {}", status.code))
            }
            Some(Ok(_)) => {}
            Some(Err(error)) => return Err(error.to_string()),
            None => return Err("the target closed the connection".into()),
        }
    }
}

/// What the target says while we publish: an error status or the end of
/// the connection fails the push.
fn on_event(
    event: Option<
        Result<ClientEvent, wirestate_tokio::Error<wirestate_rtmp::session::SessionError>>,
    >,
) -> Result<(), Failure> {
    match event {
        None => Err(Failure::after("the target closed the connection")),
        Some(Err(error)) => Err(Failure::after(error)),
        Some(Ok(ClientEvent::Status { status, .. })) if status.is_error() => {
            Err(Failure::after(format!("the target said {}", status.code)))
        }
        Some(Ok(_)) => Ok(()),
    }
}

/// Hands a batch to the session; true when it ends with the publisher's
/// end.
fn send(client: &mut RtmpClient, batch: Vec<Relay>) -> Result<bool, String> {
    let session = client.machine_mut();
    for relay in batch {
        let sent = match relay {
            Relay::Metadata {
                timestamp, data, ..
            } => match data.metadata() {
                Some(properties) => session.send_metadata(timestamp, properties.clone()),
                None => Ok(()),
            },
            Relay::Audio {
                timestamp, payload, ..
            } => session.send_audio(timestamp, payload),
            Relay::Video {
                timestamp, payload, ..
            } => session.send_video(timestamp, payload),
            Relay::End => return Ok(true),
        };
        sent.map_err(|e| e.to_string())?;
    }
    Ok(false)
}
