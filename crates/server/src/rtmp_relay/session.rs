//! One relay connection: its role (publisher or player) and one handler per
//! event kind.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use wirestate_core::{Machine, OsRandom};
use wirestate_rtmp::chunk::SharedChunks;
use wirestate_rtmp::flv::TagType;
use wirestate_rtmp::message::Message;
use wirestate_rtmp::session::{
    is_audio_config, is_keyframe, is_video_config, ConnectRequest, MediaEvent, RequestId,
    ServerConfig, ServerEvent, ServerSession, SessionError,
};
use wirestate_tokio::Connection;

use super::auth::{stream_key, Credentials, UNAUTHORIZED};
use super::hub::{PlayerFeed, StreamKey};
use super::player::{self, Flow};
use super::queue::Relay;
use super::record::Recording;
use super::Context;
use crate::{BoxStream, Shutdown};

/// What a connection is doing.
enum Role {
    Idle,
    Publisher {
        key: StreamKey,
        recording: Option<Recording>,
    },
    Player {
        key: StreamKey,
        stream_id: u32,
        feed: Arc<PlayerFeed>,
    },
}

pub(super) type Conn = Connection<ServerSession, BoxStream>;

pub(super) type DriverError = wirestate_tokio::Error<<ServerSession as Machine>::Error>;

/// Why a handler stopped the connection.
pub(super) type Stop = Box<dyn std::error::Error + Send + Sync>;

/// What woke the connection's task.
// A temporary of one loop turn: boxing the event would allocate per event.
#[allow(clippy::large_enum_variant)]
enum Step {
    Shutdown,
    Event(Option<Result<ServerEvent, DriverError>>),
    Feed,
}

/// Serves one connection until it ends (or the server shuts down), then
/// leaves the hub as it found it.
pub(super) async fn run(stream: BoxStream, context: &Context, mut shutdown: Shutdown) {
    let limits = &context.config.limits;
    // Quiet peers are pinged every DEFAULT_PING_INTERVAL (at most half
    // the idle timeout), so a passive player is not cut.
    let config = ServerConfig {
        idle_timeout: limits.idle_timeout,
        handshake_timeout: limits.handshake_timeout,
        send_timeout: limits.send_timeout,
        ..ServerConfig::default()
    };
    let machine = ServerSession::new(config, OsRandom, wirestate_tokio::now());
    let mut conn = Connection::new(stream, machine)
        .with_memory_budget(context.budget.clone())
        .with_drain_timeout(limits.drain_timeout);
    let mut role = Role::Idle;
    let mut credentials = Credentials::default();
    let shutting_down = loop {
        let step = match &role {
            Role::Player { feed, .. } => {
                let feed = feed.clone();
                tokio::select! {
                    () = shutdown.triggered() => Step::Shutdown,
                    event = conn.next_event() => Step::Event(event),
                    () = feed.changed() => Step::Feed,
                }
            }
            _ => tokio::select! {
                () = shutdown.triggered() => Step::Shutdown,
                event = conn.next_event() => Step::Event(event),
            },
        };
        let event = match step {
            Step::Shutdown => break true,
            Step::Feed => {
                let Role::Player {
                    stream_id, feed, ..
                } = &role
                else {
                    continue;
                };
                let feed = feed.clone();
                match player::relay(&mut conn, *stream_id, &feed, &mut shutdown, limits).await {
                    Flow::Continue => continue,
                    Flow::Shutdown => break true,
                    Flow::Done => break false,
                }
            }
            Step::Event(event) => event,
        };
        let event = match event {
            Some(Ok(event)) => event,
            Some(Err(e)) => {
                tracing::warn!(error = %e, "rtmp session failed");
                let stalled = matches!(
                    e,
                    wirestate_tokio::Error::Machine(SessionError::SendStalled(_))
                );
                if let (Role::Player { feed, .. }, true) = (&role, stalled) {
                    feed.stats().player_stalled();
                }
                break false;
            }
            None => break false,
        };
        let handled = on_event(&mut conn, (&mut role, &mut credentials), context, event);
        if let Err(e) = handled.await {
            tracing::warn!(error = %e, "rtmp session stopped");
            break false;
        }
    };
    if let Role::Publisher { key, recording } = &mut role {
        finish_publish(context, key, recording);
    }
    leave(context, &mut role);
    if shutting_down {
        goodbye(&mut conn, limits.drain_timeout).await;
    }
}

/// The server shuts down: the session says its goodbye, written within
/// `drain`.
async fn goodbye(conn: &mut Conn, drain: Duration) {
    if let Err(error) = conn.shutdown(drain).await {
        tracing::debug!(%error, "goodbye not delivered");
    }
}

/// Ends a player's role (if it is one), forgetting its key when unused.
fn leave(context: &Context, role: &mut Role) {
    if let Role::Player { key, feed, .. } = std::mem::replace(role, Role::Idle) {
        let (messages, bytes) = feed.queue().dropped();
        if messages > 0 {
            tracing::info!(app = %key.0, key = %key.1, messages, bytes, "player left; media dropped for it");
        }
        context.hub.unsubscribe(&key, &feed);
    }
}

/// The publisher is done: its players are told, its recording finished.
fn finish_publish(context: &Context, key: &StreamKey, recording: &mut Option<Recording>) {
    context.hub.end_publish(key);
    if let Some(recording) = recording.take() {
        let path = recording.path().to_owned();
        if let Err(error) = recording.finish() {
            tracing::warn!(path = %path.display(), %error, "finishing the recording failed");
        }
    }
    tracing::info!(app = %key.0, key = %key.1, "publish finished");
}

/// Handles one event of the session, then writes what it queued.
async fn on_event(
    conn: &mut Conn,
    (role, credentials): (&mut Role, &mut Credentials),
    context: &Context,
    event: ServerEvent,
) -> Result<(), Stop> {
    let session = conn.machine_mut();
    let config = &context.config;
    match event {
        ServerEvent::ConnectRequested(connect) => {
            on_connect(session, context, connect, credentials)?;
        }
        ServerEvent::PublishRequested { request, name, .. }
            if !credentials.allows(config.publish_token.as_ref(), &name) =>
        {
            tracing::warn!(key = %stream_key("", &name).1, "publish refused: no valid token");
            session.reject_publish(request, "NetStream.Publish.BadName", UNAUTHORIZED)?;
            session.close();
        }
        ServerEvent::PlayRequested { request, name, .. }
            if !credentials.allows(config.play_token.as_ref(), &name) =>
        {
            tracing::warn!(key = %stream_key("", &name).1, "play refused: no valid token");
            session.reject_play(request, "NetStream.Play.Failed", UNAUTHORIZED)?;
            session.close();
        }
        ServerEvent::PublishRequested {
            request, app, name, ..
        } => on_publish(session, role, context, request, stream_key(&app, &name))?,
        ServerEvent::Media(media) => on_media(role, context, media),
        ServerEvent::PublishFinished { .. } => on_publish_finished(role, context),
        ServerEvent::PlayRequested {
            request,
            stream_id,
            app,
            name,
            ..
        } => {
            // Boxed: once per player, and every connection's task stays small.
            let key = stream_key(&app, &name);
            Box::pin(play_when_ready(
                session,
                role,
                context,
                (request, stream_id),
                key,
            ))
            .await?;
        }
        ServerEvent::PlayFinished { .. } => leave(context, role),
        ServerEvent::Other(_) => {}
    }
    conn.flush().await?;
    Ok(())
}

/// Answers a play request once the stream can be played: at once, or on
/// an edge once its pull of the stream started (else StreamNotFound).
async fn play_when_ready(
    session: &mut ServerSession,
    role: &mut Role,
    context: &Context,
    (request, stream_id): (RequestId, u32),
    key: StreamKey,
) -> Result<(), Stop> {
    match super::pull::ready(&context.hub, key).await {
        Ok(key) => on_play(session, role, context, request, stream_id, key),
        Err(_) => {
            let why = "not found at the origin";
            session.reject_play(request, "NetStream.Play.StreamNotFound", why)?;
            Ok(())
        }
    }
}

/// Any application may connect, or only [`RelayConfig::app`](super::RelayConfig::app);
/// the token in the application or tcUrl is remembered for publish and
/// play.
fn on_connect(
    session: &mut ServerSession,
    context: &Context,
    connect: ConnectRequest,
    credentials: &mut Credentials,
) -> Result<(), Stop> {
    let Some((app, presented)) = Credentials::connect(&context.config, &connect) else {
        tracing::warn!(app = %auth_free(&connect.app), "connect refused: application not served");
        session.reject_connect(connect.request, "application not served")?;
        session.close();
        return Ok(());
    };
    tracing::info!(%app, flash_ver = ?connect.flash_ver, "connect");
    *credentials = presented;
    session.accept_connect(connect.request)?;
    Ok(())
}

/// A name as logged: without its query (which may hold a token).
fn auth_free(name: &str) -> &str {
    name.split_once('?').map_or(name, |(name, _)| name)
}

/// An idle connection may publish a key nobody publishes; it is recorded
/// when there is a recording directory. A recording that cannot start
/// refuses the publish and frees the key.
fn on_publish(
    session: &mut ServerSession,
    role: &mut Role,
    context: &Context,
    request: RequestId,
    key: StreamKey,
) -> Result<(), Stop> {
    if !matches!(role, Role::Idle) || !context.hub.start_publish(&key) {
        tracing::warn!(app = %key.0, key = %key.1, "publish refused: already published");
        session.reject_publish(request, "NetStream.Publish.BadName", "already publishing")?;
        return Ok(());
    }
    let recording = match &context.config.record {
        Some(dir) => match Recording::start(dir, &key, context.config.record_mode) {
            Ok(recording) => Some(recording),
            Err(error) => {
                tracing::warn!(app = %key.0, key = %key.1, %error, "publish refused: cannot record");
                context.hub.end_publish(&key);
                session.reject_publish(request, "NetStream.Publish.Failed", "cannot record")?;
                return Ok(());
            }
        },
        None => None,
    };
    session.accept_publish(request)?;
    tracing::info!(app = %key.0, key = %key.1, "publishing");
    *role = Role::Publisher { key, recording };
    Ok(())
}

/// A publisher's metadata, audio or video: recorded, remembered for late
/// players and relayed. Media of a connection that does not publish is
/// dropped.
fn on_media(role: &mut Role, context: &Context, media: MediaEvent) {
    let Role::Publisher { key, recording } = role else {
        return;
    };
    let hub = &context.hub;
    match media {
        MediaEvent::Metadata {
            timestamp, data, ..
        } => {
            if let Some(recording) = recording {
                recording.write_metadata(timestamp, &data);
            }
            let message = Message::Data(data.clone());
            let size = message.encode_payload().len();
            let relay = Relay::Metadata {
                timestamp,
                data,
                size,
            };
            hub.publish(key, timestamp, &message, relay);
        }
        MediaEvent::Audio {
            timestamp, audio, ..
        } => {
            if let Some(recording) = recording {
                recording.write(TagType::Audio, timestamp, &audio.payload);
            }
            let relay = Relay::Audio {
                timestamp,
                payload: owned(&audio.payload),
                config: is_audio_config(&audio),
                chunks: SharedChunks::default(),
            };
            hub.publish(key, timestamp, &Message::Audio(audio), relay);
        }
        MediaEvent::Video {
            timestamp, video, ..
        } => {
            if let Some(recording) = recording {
                recording.write(TagType::Video, timestamp, &video.payload);
            }
            let relay = Relay::Video {
                timestamp,
                payload: owned(&video.payload),
                keyframe: is_keyframe(&video),
                config: is_video_config(&video),
                chunks: SharedChunks::default(),
            };
            hub.publish(key, timestamp, &Message::Video(video), relay);
        }
    }
}

/// Payloads below this are copied before they are queued for players.
const COPY_BELOW: usize = 16 << 10;

/// A payload to queue for players that holds no more memory than its
/// length (plus at most one read's worth): a small message may be a slice
/// of a much larger input buffer, which it would keep alive while queued,
/// so it is copied (once, for all players); large ones are their own
/// reassembly buffer or most of the read they came in.
fn owned(payload: &Bytes) -> Bytes {
    if payload.len() < COPY_BELOW {
        Bytes::copy_from_slice(payload)
    } else {
        payload.clone()
    }
}

/// The publisher stopped: its players are told, its recording closed.
fn on_publish_finished(role: &mut Role, context: &Context) {
    if let Role::Publisher { key, recording } = role {
        finish_publish(context, key, recording);
    }
    *role = Role::Idle;
}

/// An idle connection may play one key: it gets the metadata and sequence
/// headers first, then the live feed from the next keyframe.
fn on_play(
    session: &mut ServerSession,
    role: &mut Role,
    context: &Context,
    request: RequestId,
    stream_id: u32,
    key: StreamKey,
) -> Result<(), Stop> {
    if !matches!(role, Role::Idle) {
        session.reject_play(
            request,
            "NetStream.Play.Failed",
            "one stream per connection",
        )?;
        return Ok(());
    }
    session.accept_play(request)?;
    let (first, feed) = context.hub.subscribe(&key, context.config.player_budget);
    // Joined before anything could fail, so leaving always unsubscribes.
    let name = key.clone();
    *role = Role::Player {
        key,
        stream_id,
        feed,
    };
    for (timestamp, message) in first {
        match message {
            Message::Data(data) => session.send_metadata(stream_id, timestamp, &data)?,
            Message::Video(video) => session.send_video(stream_id, timestamp, video.payload)?,
            Message::Audio(audio) => session.send_audio(stream_id, timestamp, audio.payload)?,
            _ => {}
        }
    }
    tracing::info!(app = %name.0, key = %name.1, "playing");
    Ok(())
}
