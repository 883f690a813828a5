//! One relay connection: its role (publisher or player) and one handler per
//! event kind.

use std::path::Path;
use std::sync::Arc;

use tokio::net::TcpStream;
use tokio::sync::broadcast;
use wirestate_core::OsRandom;
use wirestate_rtmp::flv::TagType;
use wirestate_rtmp::message::Message;
use wirestate_rtmp::session::{
    is_keyframe, is_video_config, ConnectRequest, MediaEvent, RequestId, ServerConfig, ServerEvent,
    ServerSession,
};
use wirestate_tokio::Connection;

use super::hub::{Hub, Relay, StreamKey};
use super::record::{self, Recorder};
use super::RelayConfig;
use crate::Shutdown;

/// What a connection is doing.
enum Role {
    Idle,
    Publisher {
        key: StreamKey,
        recorder: Recorder,
    },
    Player {
        key: StreamKey,
        stream_id: u32,
        feed: broadcast::Receiver<Relay>,
        /// Video is held back until a keyframe (after joining or lagging).
        need_keyframe: bool,
    },
}

type Conn = Connection<ServerSession, TcpStream>;

/// Why a handler stopped the connection.
type Stop = Box<dyn std::error::Error + Send + Sync>;

/// Serves one connection until it ends, then leaves the hub as it found it.
pub(super) async fn run(
    stream: TcpStream,
    hub: Arc<Hub>,
    relay: &RelayConfig,
    mut shutdown: Shutdown,
) {
    let record = relay.record.as_deref();
    let config = ServerConfig {
        idle_timeout: relay.limits.idle_timeout,
        ..ServerConfig::default()
    };
    let machine = ServerSession::new(config, OsRandom, wirestate_tokio::now());
    let mut conn = Connection::new(stream, machine);
    let mut role = Role::Idle;
    loop {
        let event = match &mut role {
            Role::Player { feed, .. } => {
                tokio::select! {
                    () = shutdown.triggered() => break,
                    event = conn.next_event() => event,
                    relayed = feed.recv() => {
                        if !relay_to_player(&mut conn, &mut role, relayed).await {
                            break;
                        }
                        continue;
                    }
                }
            }
            _ => tokio::select! {
                () = shutdown.triggered() => break,
                event = conn.next_event() => event,
            },
        };
        let event = match event {
            Some(Ok(event)) => event,
            Some(Err(e)) => {
                tracing::warn!(error = %e, "rtmp session failed");
                break;
            }
            None => break,
        };
        if let Err(e) = on_event(&mut conn, &mut role, &hub, record, event).await {
            tracing::warn!(error = %e, "rtmp session stopped");
            break;
        }
    }
    if let Role::Publisher { key, recorder } = &mut role {
        finish_publish(&hub, key, recorder);
    }
    leave(&hub, &mut role);
}

/// Ends a player's role (if it is one), forgetting its key when unused.
fn leave(hub: &Hub, role: &mut Role) {
    if let Role::Player { key, feed, .. } = std::mem::replace(role, Role::Idle) {
        hub.unsubscribe(&key, feed);
    }
}

fn finish_publish(hub: &Hub, key: &StreamKey, recorder: &mut Recorder) {
    hub.end_publish(key);
    record::finish(recorder, key);
    tracing::info!(app = %key.0, key = %key.1, "publish finished");
}

/// Handles one event of the session, then writes what it queued.
async fn on_event(
    conn: &mut Conn,
    role: &mut Role,
    hub: &Hub,
    record_dir: Option<&Path>,
    event: ServerEvent,
) -> Result<(), Stop> {
    let session = conn.machine_mut();
    match event {
        ServerEvent::ConnectRequested(connect) => on_connect(session, connect)?,
        ServerEvent::PublishRequested {
            request, app, name, ..
        } => on_publish(session, role, hub, record_dir, request, (app, name))?,
        ServerEvent::Media(media) => on_media(role, hub, media),
        ServerEvent::PublishFinished { .. } => on_publish_finished(role, hub),
        ServerEvent::PlayRequested {
            request,
            stream_id,
            app,
            name,
            ..
        } => on_play(session, role, hub, request, stream_id, (app, name))?,
        ServerEvent::PlayFinished { .. } => leave(hub, role),
        ServerEvent::Other(_) => {}
    }
    conn.flush().await?;
    Ok(())
}

/// Every application may connect.
fn on_connect(session: &mut ServerSession, connect: ConnectRequest) -> Result<(), Stop> {
    tracing::info!(app = %connect.app, flash_ver = ?connect.flash_ver, "connect");
    session.accept_connect(connect.request)?;
    Ok(())
}

/// An idle connection may publish a key nobody publishes; it is recorded
/// when there is a recording directory.
fn on_publish(
    session: &mut ServerSession,
    role: &mut Role,
    hub: &Hub,
    record_dir: Option<&Path>,
    request: RequestId,
    key: StreamKey,
) -> Result<(), Stop> {
    if !matches!(role, Role::Idle) || !hub.start_publish(&key) {
        tracing::warn!(app = %key.0, key = %key.1, "publish refused: already published");
        session.reject_publish(request, "NetStream.Publish.BadName", "already publishing")?;
        return Ok(());
    }
    session.accept_publish(request)?;
    let recorder = record::start(record_dir, &key)?;
    tracing::info!(app = %key.0, key = %key.1, "publishing");
    *role = Role::Publisher { key, recorder };
    Ok(())
}

/// A publisher's metadata, audio or video: recorded, remembered for late
/// players and relayed. Media of a connection that does not publish is
/// dropped.
fn on_media(role: &mut Role, hub: &Hub, media: MediaEvent) {
    let Role::Publisher { key, recorder } = role else {
        return;
    };
    match media {
        MediaEvent::Metadata {
            timestamp, data, ..
        } => {
            let message = Message::Data(data.clone());
            let payload = message.encode_payload();
            record::write(recorder, TagType::Script, timestamp, &payload);
            hub.publish(key, timestamp, &message, Relay::Metadata(timestamp, data));
        }
        MediaEvent::Audio {
            timestamp, audio, ..
        } => {
            record::write(recorder, TagType::Audio, timestamp, &audio.payload);
            let relay = Relay::Audio(timestamp, audio.payload.clone());
            hub.publish(key, timestamp, &Message::Audio(audio), relay);
        }
        MediaEvent::Video {
            timestamp, video, ..
        } => {
            record::write(recorder, TagType::Video, timestamp, &video.payload);
            let relay = Relay::Video {
                timestamp,
                payload: video.payload.clone(),
                keyframe: is_keyframe(&video) || is_video_config(&video),
            };
            hub.publish(key, timestamp, &Message::Video(video), relay);
        }
    }
}

/// The publisher stopped: its players are told, its recording closed.
fn on_publish_finished(role: &mut Role, hub: &Hub) {
    if let Role::Publisher { key, recorder } = role {
        finish_publish(hub, key, recorder);
    }
    *role = Role::Idle;
}

/// An idle connection may play one key: it gets the metadata and sequence
/// headers first, then the live feed from the next keyframe.
fn on_play(
    session: &mut ServerSession,
    role: &mut Role,
    hub: &Hub,
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
    let (first, feed) = hub.subscribe(&key);
    for (timestamp, message) in first {
        match message {
            Message::Data(data) => session.send_metadata(stream_id, timestamp, &data)?,
            Message::Video(video) => session.send_video(stream_id, timestamp, video.payload)?,
            Message::Audio(audio) => session.send_audio(stream_id, timestamp, audio.payload)?,
            _ => {}
        }
    }
    tracing::info!(app = %key.0, key = %key.1, "playing");
    *role = Role::Player {
        key,
        stream_id,
        feed,
        // Live video starts at a keyframe.
        need_keyframe: true,
    };
    Ok(())
}
/// Sends one relayed message to a player; false once the player is done.
async fn relay_to_player(
    conn: &mut Conn,
    role: &mut Role,
    relayed: Result<Relay, broadcast::error::RecvError>,
) -> bool {
    let Role::Player {
        stream_id,
        need_keyframe,
        ..
    } = role
    else {
        return true;
    };
    let stream_id = *stream_id;
    let session = conn.machine_mut();
    let sent = match relayed {
        Ok(Relay::Metadata(timestamp, data)) => session.send_metadata(stream_id, timestamp, &data),
        Ok(Relay::Audio(timestamp, payload)) => session.send_audio(stream_id, timestamp, payload),
        Ok(Relay::Video {
            timestamp,
            payload,
            keyframe,
        }) => {
            if *need_keyframe && !keyframe {
                return true;
            }
            *need_keyframe = false;
            session.send_video(stream_id, timestamp, payload)
        }
        Err(broadcast::error::RecvError::Lagged(skipped)) => {
            tracing::warn!(skipped, "player too slow; skipping to the next keyframe");
            *need_keyframe = true;
            return true;
        }
        Ok(Relay::End) | Err(broadcast::error::RecvError::Closed) => {
            let _ = session.end_play(stream_id);
            session.close();
            let _ = conn.flush().await;
            return false;
        }
    };
    if let Err(e) = sent {
        tracing::warn!(error = %e, "relaying to a player failed");
        return false;
    }
    conn.flush().await.is_ok()
}
