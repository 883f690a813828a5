//! An edge's pull: a player asked for a stream nobody publishes here, so
//! the edge plays it at the origin and publishes what arrives into the hub
//! as a local publisher would. Further players share it; it ends when the
//! origin ends it or fails (the players get the normal end), when the
//! server shuts down, or [`PULL_LINGER`] after its last player left.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use tokio::sync::Notify;
use tokio::time::Instant;
use wirestate_rtmp::session::ClientEvent;
use wirestate_tokio::connect::RtmpClient;

use super::edge::{relay_of, Edge, Pull, PullOrigin, PullPhase, PULL_LINGER};
use super::hub::{Hub, StreamKey};

/// How a pull ended.
enum Ended {
    /// A local publisher took the key first: nothing was published.
    Preempted,
    /// It published, and ended for this reason.
    Published(&'static str),
}

/// Pulls `key` from `origin` into `hub` until it ends, then tells its
/// players (when it published) and frees the key. Never fails: errors are
/// logged.
pub(super) async fn run(hub: Arc<Hub>, origin: PullOrigin, key: StreamKey, state: Arc<Pull>) {
    let Some(edge) = hub.edge() else {
        return;
    };
    let url = origin.stream_url(&key.1);
    tracing::info!(app = %key.0, key = %key.1, %url, "pulling from the origin");
    let mut shutdown = edge.shutdown.clone();
    let mut published = false;
    let ended = tokio::select! {
        ended = pull(&hub, edge, &url, &key, &state, &mut published) => ended,
        () = shutdown.triggered() => Ok(Ended::Published("the server shuts down")),
    };
    state.phase.send_replace(PullPhase::Ended);
    edge.pull_done(&key);
    match ended {
        Ok(Ended::Preempted) => return,
        Ok(Ended::Published(why)) => tracing::info!(app = %key.0, key = %key.1, why, "pull ended"),
        Err(error) => tracing::warn!(app = %key.0, key = %key.1, %url, %error, "pull failed"),
    }
    if published {
        hub.end_publish(&key);
    } else {
        // Its players waited for nothing: they get the end.
        hub.end_waiting(&key);
    }
}

/// Whether a player of `key` may be answered with `Play.Start`: the key
/// is published here, or there is no origin, or a pull of it (started now
/// if needed) got it within the connect timeout. A player that gets
/// `false` is refused with `NetStream.Play.StreamNotFound`. Gives the key
/// back (`Err` for `false`), so the caller's task does not hold it while
/// waiting.
pub(super) async fn ready(hub: &Hub, key: StreamKey) -> Result<StreamKey, StreamKey> {
    if waited(hub, &key).await {
        Ok(key)
    } else {
        Err(key)
    }
}

async fn waited(hub: &Hub, key: &StreamKey) -> bool {
    let Some(edge) = hub.edge() else {
        return true;
    };
    if hub.is_published(key) {
        return true;
    }
    let Some(mut phase) = edge.wanted(key) else {
        return true;
    };
    let started = phase.wait_for(|phase| *phase != PullPhase::Connecting);
    let live = match tokio::time::timeout(edge.connect_timeout(), started).await {
        Ok(Ok(phase)) => *phase == PullPhase::Live,
        _ => false,
    };
    // A local publisher may have taken the key before the pull could.
    live || hub.is_published(key)
}

/// Plays `url`, then publishes into the hub until the stream ends.
async fn pull(
    hub: &Hub,
    edge: &Edge,
    url: &str,
    key: &StreamKey,
    state: &Pull,
    published: &mut bool,
) -> Result<Ended, String> {
    // The connect timeout bounds the whole start, as players wait for it.
    let starting = async {
        let mut client = edge.connect(url).await?;
        client.machine_mut().play(&key.1);
        let first = started(&mut client).await?;
        Ok::<_, String>((client, first))
    };
    let (mut client, first) = tokio::time::timeout(edge.connect_timeout(), starting)
        .await
        .map_err(|_| "the origin did not start the stream in time".to_owned())??;
    state.claiming.store(true, Ordering::Relaxed);
    let claimed = hub.start_publish(key);
    state.claiming.store(false, Ordering::Relaxed);
    if !claimed {
        let _ = client.shutdown(edge.limits.drain_timeout).await;
        return Ok(Ended::Preempted);
    }
    *published = true;
    state.phase.send_replace(PullPhase::Live);
    tracing::info!(app = %key.0, key = %key.1, "pulled stream started");
    if let Some(ClientEvent::Media(media)) = first {
        let (timestamp, message, relay) = relay_of(media);
        hub.publish(key, timestamp, &message, relay);
    }
    let ended = relay(hub, &mut client, key, &state.idle).await?;
    if ended == "no players left" {
        // Stops playing (`deleteStream`) and closes.
        let _ = client.shutdown(edge.limits.drain_timeout).await;
    }
    Ok(Ended::Published(ended))
}

/// Waits for `Play.Start` (or the first media of an origin that sends
/// none); `Some` media when that came first.
async fn started(client: &mut RtmpClient) -> Result<Option<ClientEvent>, String> {
    loop {
        match client.next_event().await {
            Some(Ok(ClientEvent::PlayStarted { .. })) => return Ok(None),
            Some(Ok(event @ ClientEvent::Media(_))) => return Ok(Some(event)),
            Some(Ok(ClientEvent::ConnectRejected(status))) => {
                return Err(format!("connect rejected: {}", status.code))
            }
            Some(Ok(ClientEvent::Status { status, .. })) if status.is_error() => {
                return Err(format!("play refused: {}", status.code))
            }
            Some(Ok(_)) => {}
            Some(Err(error)) => return Err(error.to_string()),
            None => return Err("the origin closed the connection".into()),
        }
    }
}

/// Publishes what the origin sends until the stream ends there, or
/// [`PULL_LINGER`] passed with no player; why it ended.
async fn relay(
    hub: &Hub,
    client: &mut RtmpClient,
    key: &StreamKey,
    idle: &Notify,
) -> Result<&'static str, String> {
    // Its players may have left while it connected.
    let mut linger = (hub.players(key) == 0).then(|| Instant::now() + PULL_LINGER);
    loop {
        tokio::select! {
            event = client.next_event() => match event {
                Some(Ok(ClientEvent::Media(media))) => {
                    let (timestamp, message, relay) = relay_of(media);
                    hub.publish(key, timestamp, &message, relay);
                }
                Some(Ok(ClientEvent::StreamEof { .. })) => return Ok("StreamEOF"),
                Some(Ok(ClientEvent::Status { status, .. })) => match status.code.as_str() {
                    "NetStream.Play.UnpublishNotify"
                    | "NetStream.Play.Stop"
                    | "NetStream.Play.Complete" => return Ok("the origin ended the stream"),
                    _ if status.is_error() => return Err(format!("the origin said {}", status.code)),
                    _ => {}
                },
                Some(Ok(_)) => {}
                Some(Err(error)) => return Err(error.to_string()),
                None => return Err("the origin closed the connection".into()),
            },
            () = idle.notified() => linger = Some(Instant::now() + PULL_LINGER),
            () = sleep_until(linger) => {
                if hub.players(key) == 0 {
                    return Ok("no players left");
                }
                linger = None;
            }
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
