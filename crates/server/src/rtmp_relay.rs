//! `wirestate serve rtmp`: an RTMP ingest and relay server on the tokio
//! driver.
//!
//! Publishers are keyed by application and stream key (`rtmp://host/app/key`).
//! Each published stream can be recorded to `DIR/<app>_<key>.flv`, and is
//! relayed live to any number of players, who may join at any time: a late
//! player gets the metadata and sequence headers first, then the stream from
//! the next keyframe. When the publisher leaves, its players are told
//! (`NetStream.Play.UnpublishNotify`, `Play.Stop`, StreamEOF) and
//! disconnected.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufWriter};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::broadcast;
use wirestate_core::OsRandom;
use wirestate_rtmp::flv::{FlvWriter, TagType};
use wirestate_rtmp::message::{DataMessage, Message};
use wirestate_rtmp::session::{
    is_keyframe, is_video_config, MediaEvent, SequenceHeaders, ServerConfig, ServerEvent,
    ServerSession,
};
use wirestate_tokio::Connection;

/// How many relayed messages a slow player may fall behind before it skips
/// to the next keyframe.
const RELAY_BACKLOG: usize = 1024;

/// Serves RTMP publishers and players on `listener` until the task is
/// dropped. With `record`, every published stream is also written to an FLV
/// file in that directory (created if missing).
///
/// # Errors
///
/// When the recording directory cannot be created, or accepting a
/// connection fails. Errors of single connections are logged and end only
/// that connection.
pub async fn serve(listener: TcpListener, record: Option<PathBuf>) -> io::Result<()> {
    if let Some(dir) = &record {
        std::fs::create_dir_all(dir)?;
    }
    tracing::info!(addr = %listener.local_addr()?, record = ?record, "rtmp relay listening");
    let hub = Arc::new(Hub::default());
    loop {
        let (stream, peer) = listener.accept().await?;
        let _ = stream.set_nodelay(true);
        let hub = hub.clone();
        let record = record.clone();
        tokio::spawn(async move {
            tracing::info!(%peer, "rtmp connection");
            session(stream, hub, record.as_deref()).await;
            tracing::info!(%peer, "rtmp connection closed");
        });
    }
}

/// A message relayed from a publisher to its players.
#[derive(Debug, Clone)]
enum Relay {
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
struct Hub {
    channels: Mutex<HashMap<(String, String), Channel>>,
}

impl Hub {
    fn with_channel<T>(&self, key: &(String, String), f: impl FnOnce(&mut Channel) -> T) -> T {
        let mut channels = self.channels.lock().unwrap_or_else(|e| e.into_inner());
        let channel = channels.entry(key.clone()).or_insert_with(|| Channel {
            feed: broadcast::channel(RELAY_BACKLOG).0,
            headers: SequenceHeaders::default(),
            publishing: false,
        });
        f(channel)
    }

    /// Claims the key for a publisher; false if someone publishes already.
    fn start_publish(&self, key: &(String, String)) -> bool {
        self.with_channel(key, |c| !std::mem::replace(&mut c.publishing, true))
    }

    /// Remembers and relays one message of the publisher.
    fn publish(&self, key: &(String, String), timestamp: u32, message: &Message, relay: Relay) {
        self.with_channel(key, |c| {
            c.headers.observe(timestamp, message);
            // No players is not an error.
            let _ = c.feed.send(relay);
        })
    }

    /// The publisher left: players are told, the key is free again.
    fn end_publish(&self, key: &(String, String)) {
        let mut channels = self.channels.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(channel) = channels.remove(key) {
            let _ = channel.feed.send(Relay::End);
        }
    }

    /// A player joins: what it needs first, and the live feed after it.
    fn subscribe(
        &self,
        key: &(String, String),
    ) -> (Vec<(u32, Message)>, broadcast::Receiver<Relay>) {
        self.with_channel(key, |c| {
            (c.headers.messages().collect(), c.feed.subscribe())
        })
    }

    /// A player left: a key nobody publishes or plays is forgotten, so
    /// players asking for made-up keys leave nothing behind.
    fn unsubscribe(&self, key: &(String, String), feed: broadcast::Receiver<Relay>) {
        drop(feed);
        let mut channels = self.channels.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(channel) = channels.get(key) {
            if !channel.publishing && channel.feed.receiver_count() == 0 {
                channels.remove(key);
            }
        }
    }
}

/// What a connection is doing.
enum Role {
    Idle,
    Publisher {
        key: (String, String),
        recorder: Option<FlvWriter<BufWriter<File>>>,
    },
    Player {
        key: (String, String),
        stream_id: u32,
        feed: broadcast::Receiver<Relay>,
        /// Video is held back until a keyframe (after joining or lagging).
        need_keyframe: bool,
    },
}

type Conn = Connection<ServerSession, TcpStream>;

async fn session(stream: TcpStream, hub: Arc<Hub>, record: Option<&Path>) {
    let config = ServerConfig {
        idle_timeout: Some(crate::IDLE_TIMEOUT),
        ..ServerConfig::default()
    };
    let machine = ServerSession::new(config, OsRandom, wirestate_tokio::now());
    let mut conn = Connection::new(stream, machine);
    let mut role = Role::Idle;
    loop {
        let event = match &mut role {
            Role::Player { feed, .. } => {
                tokio::select! {
                    event = conn.next_event() => event,
                    relayed = feed.recv() => {
                        if !relay_to_player(&mut conn, &mut role, relayed).await {
                            break;
                        }
                        continue;
                    }
                }
            }
            _ => conn.next_event().await,
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

fn finish_publish(
    hub: &Hub,
    key: &(String, String),
    recorder: &mut Option<FlvWriter<BufWriter<File>>>,
) {
    hub.end_publish(key);
    if let Some(mut recorder) = recorder.take() {
        if let Err(e) = recorder.flush() {
            tracing::warn!(error = %e, "flushing the recording failed");
        }
        tracing::info!(app = %key.0, key = %key.1, tags = recorder.tags_written(), "recording closed");
    }
    tracing::info!(app = %key.0, key = %key.1, "publish finished");
}

/// `<app>_<key>.flv` with anything but `[A-Za-z0-9._-]` replaced.
fn recording_path(dir: &Path, key: &(String, String)) -> PathBuf {
    let clean = |s: &str| -> String {
        s.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || "._-".contains(c) {
                    c
                } else {
                    '_'
                }
            })
            .collect()
    };
    dir.join(format!("{}_{}.flv", clean(&key.0), clean(&key.1)))
}

fn record(
    recorder: &mut Option<FlvWriter<BufWriter<File>>>,
    tag_type: TagType,
    timestamp: u32,
    data: &[u8],
) {
    if let Some(writer) = recorder {
        if let Err(e) = writer.write_tag(tag_type, timestamp, data) {
            tracing::warn!(error = %e, "recording failed; stopping it");
            *recorder = None;
        }
    }
}

async fn on_event(
    conn: &mut Conn,
    role: &mut Role,
    hub: &Hub,
    record_dir: Option<&Path>,
    event: ServerEvent,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let session = conn.machine_mut();
    match event {
        ServerEvent::ConnectRequested(connect) => {
            tracing::info!(app = %connect.app, flash_ver = ?connect.flash_ver, "connect");
            session.accept_connect(connect.request)?;
        }
        ServerEvent::PublishRequested {
            request, app, name, ..
        } => {
            let key = (app, name);
            if !matches!(role, Role::Idle) || !hub.start_publish(&key) {
                tracing::warn!(app = %key.0, key = %key.1, "publish refused: already published");
                session.reject_publish(
                    request,
                    "NetStream.Publish.BadName",
                    "already publishing",
                )?;
            } else {
                session.accept_publish(request)?;
                let recorder = match record_dir {
                    Some(dir) => {
                        let path = recording_path(dir, &key);
                        tracing::info!(path = %path.display(), "recording");
                        Some(FlvWriter::new(
                            BufWriter::new(File::create(path)?),
                            true,
                            true,
                        )?)
                    }
                    None => None,
                };
                tracing::info!(app = %key.0, key = %key.1, "publishing");
                *role = Role::Publisher { key, recorder };
            }
        }
        ServerEvent::Media(MediaEvent::Metadata {
            timestamp, data, ..
        }) => {
            if let Role::Publisher { key, recorder } = role {
                let message = Message::Data(data.clone());
                record(
                    recorder,
                    TagType::Script,
                    timestamp,
                    &message.encode_payload(),
                );
                hub.publish(key, timestamp, &message, Relay::Metadata(timestamp, data));
            }
        }
        ServerEvent::Media(MediaEvent::Audio {
            timestamp, audio, ..
        }) => {
            if let Role::Publisher { key, recorder } = role {
                record(recorder, TagType::Audio, timestamp, &audio.payload);
                let relay = Relay::Audio(timestamp, audio.payload.clone());
                hub.publish(key, timestamp, &Message::Audio(audio), relay);
            }
        }
        ServerEvent::Media(MediaEvent::Video {
            timestamp, video, ..
        }) => {
            if let Role::Publisher { key, recorder } = role {
                record(recorder, TagType::Video, timestamp, &video.payload);
                let relay = Relay::Video {
                    timestamp,
                    payload: video.payload.clone(),
                    keyframe: is_keyframe(&video) || is_video_config(&video),
                };
                hub.publish(key, timestamp, &Message::Video(video), relay);
            }
        }
        ServerEvent::PublishFinished { .. } => {
            if let Role::Publisher { key, recorder } = role {
                finish_publish(hub, key, recorder);
            }
            *role = Role::Idle;
        }
        ServerEvent::PlayRequested {
            request,
            stream_id,
            app,
            name,
            ..
        } => {
            if !matches!(role, Role::Idle) {
                session.reject_play(
                    request,
                    "NetStream.Play.Failed",
                    "one stream per connection",
                )?;
            } else {
                session.accept_play(request)?;
                let key = (app, name);
                let (first, feed) = hub.subscribe(&key);
                for (timestamp, message) in first {
                    match message {
                        Message::Data(data) => {
                            session.send_metadata(stream_id, timestamp, &data)?
                        }
                        Message::Video(video) => {
                            session.send_video(stream_id, timestamp, video.payload)?
                        }
                        Message::Audio(audio) => {
                            session.send_audio(stream_id, timestamp, audio.payload)?
                        }
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
            }
        }
        ServerEvent::PlayFinished { .. } => leave(hub, role),
        ServerEvent::Other(_) => {}
    }
    conn.flush().await?;
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
