//! Origin/edge relaying: where streams are pushed to ([`PushTarget`]) or
//! pulled from ([`PullOrigin`]), and the hooks the hub calls when a stream
//! starts, is wanted by a player nobody serves, or loses its last player.
//! The client sessions themselves are in `push.rs` and `pull.rs`.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::{watch, Notify};
use tokio::task::JoinSet;
use wirestate_rtmp::chunk::SharedChunks;
use wirestate_rtmp::message::Message;
use wirestate_rtmp::session::{is_audio_config, is_keyframe, is_video_config, MediaEvent};
use wirestate_tokio::connect::{RtmpClient, RtmpConnect, RtmpUrl};
use wirestate_tokio::MemoryBudget;

use super::hub::{Hub, StreamKey};
use super::queue::Relay;
use super::RelayConfig;
use crate::{ServerLimits, Shutdown};

/// How long a pulled stream stays after its last player left, so a player
/// that comes back at once (a reload) finds it still there.
pub const PULL_LINGER: Duration = Duration::from_secs(2);

/// The connect timeout of push and pull sessions when the server's
/// handshake timeout is `None`.
pub const RELAY_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// `rtmp://host[:port]/app`: another server's application, which a stream
/// key is appended to. Used both as a [`PushTarget`] and a
/// [`PullOrigin`].
///
/// ```
/// use wirestate_server::rtmp_relay::RemoteApp;
///
/// let target: RemoteApp = "rtmp://127.0.0.1:1936/live/".parse().unwrap();
/// assert_eq!(target.stream_url("cam"), "rtmp://127.0.0.1:1936/live/cam");
/// assert_eq!(target.to_string(), "rtmp://127.0.0.1:1936/live");
/// assert!("http://127.0.0.1/live".parse::<RemoteApp>().is_err());
/// assert!("rtmp://127.0.0.1".parse::<RemoteApp>().is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteApp {
    base: String,
}

/// Where every published stream is relayed to (`--push`).
pub type PushTarget = RemoteApp;

/// The origin an edge pulls streams from (`--pull`).
pub type PullOrigin = RemoteApp;

impl RemoteApp {
    /// The URL of stream `key` at this application.
    pub fn stream_url(&self, key: &str) -> String {
        format!("{}/{key}", self.base)
    }
}

impl fmt::Display for RemoteApp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.base)
    }
}

/// A URL that is not `rtmp[s]://host[:port]/app`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadRemoteApp(pub String);

impl fmt::Display for BadRemoteApp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "expected rtmp://HOST[:PORT]/APP: {}", self.0)
    }
}

impl std::error::Error for BadRemoteApp {}

impl FromStr for RemoteApp {
    type Err = BadRemoteApp;

    fn from_str(url: &str) -> Result<Self, Self::Err> {
        let base = url.trim_end_matches('/');
        // Checked as the URL of a stream there.
        RtmpUrl::parse(&format!("{base}/key")).map_err(|e| BadRemoteApp(e.to_string()))?;
        Ok(RemoteApp { base: base.into() })
    }
}

/// What the push and pull tasks of one relay share, owned by its hub.
pub(super) struct Edge {
    push: Vec<PushTarget>,
    pull: Option<PullOrigin>,
    hub: Weak<Hub>,
    pub(super) budget: MemoryBudget,
    pub(super) limits: ServerLimits,
    pub(super) player_budget: usize,
    pub(super) shutdown: Shutdown,
    /// The streams being pulled.
    pulls: Mutex<HashMap<StreamKey, Arc<Pull>>>,
    /// The push and pull tasks (finished ones are reaped at each spawn).
    tasks: Mutex<JoinSet<()>>,
}

/// How far a pull got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum PullPhase {
    /// Connecting to the origin and asking for the stream.
    Connecting,
    /// Published into the hub.
    Live,
    /// Over (or never started).
    Ended,
}

/// One stream being pulled, as its task and the players see it.
pub(super) struct Pull {
    /// Signalled when its last player left.
    pub(super) idle: Notify,
    /// How far it got, for players waiting to be answered.
    pub(super) phase: watch::Sender<PullPhase>,
    /// Set while it claims the key in the hub: the stream it publishes is
    /// not pushed.
    pub(super) claiming: AtomicBool,
}

impl Edge {
    /// The edge of `hub`, as `config` asks.
    pub(super) fn new(
        config: &RelayConfig,
        hub: Weak<Hub>,
        budget: MemoryBudget,
        shutdown: Shutdown,
    ) -> Edge {
        Edge {
            push: config.push.clone(),
            pull: config.pull.clone(),
            hub,
            budget,
            limits: config.limits.clone(),
            player_budget: config.player_budget,
            shutdown,
            pulls: Mutex::default(),
            tasks: Mutex::default(),
        }
    }

    /// Runs a push or pull task.
    fn spawn(&self, task: impl std::future::Future<Output = ()> + Send + 'static) {
        let mut tasks = self.tasks.lock().unwrap_or_else(|e| e.into_inner());
        while tasks.try_join_next().is_some() {}
        tasks.spawn(task);
    }

    /// The server shut down: waits for the pushes to say their goodbye
    /// and the pulls to end, at most `drain`, then stops what is left.
    pub(super) async fn finish(&self, drain: Duration) {
        let mut tasks = std::mem::take(&mut *self.tasks.lock().unwrap_or_else(|e| e.into_inner()));
        let all = async { while tasks.join_next().await.is_some() {} };
        if tokio::time::timeout(drain, all).await.is_err() {
            tracing::debug!("push or pull tasks cut at the end of the drain");
        }
    }

    fn pulls(&self) -> MutexGuard<'_, HashMap<StreamKey, Arc<Pull>>> {
        self.pulls.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A stream started: it is pushed to every target (streams pulled
    /// here are not pushed on).
    pub(super) fn published(&self, key: &StreamKey) {
        let pulled = |pull: &Arc<Pull>| pull.claiming.load(Ordering::Relaxed);
        if self.push.is_empty() || self.pulls().get(key).is_some_and(pulled) {
            return;
        }
        let Some(hub) = self.hub.upgrade() else {
            return;
        };
        for target in &self.push {
            // A player from the start, so the push misses nothing.
            let Some(joined) = hub.subscribe_live(key, self.player_budget) else {
                return;
            };
            self.spawn(super::push::run(
                hub.clone(),
                target.clone(),
                key.clone(),
                joined,
            ));
        }
    }

    /// A player wants a stream nobody publishes here: it is pulled from the
    /// origin, unless it is being pulled already. How far the pull got;
    /// `None` without an origin.
    pub(super) fn wanted(&self, key: &StreamKey) -> Option<watch::Receiver<PullPhase>> {
        let origin = self.pull.as_ref()?;
        let hub = self.hub.upgrade()?;
        let mut pulls = self.pulls();
        if let Some(pull) = pulls.get(key) {
            return Some(pull.phase.subscribe());
        }
        let (phase, watching) = watch::channel(PullPhase::Connecting);
        let pull = Arc::new(Pull {
            idle: Notify::new(),
            phase,
            claiming: AtomicBool::new(false),
        });
        pulls.insert(key.clone(), pull.clone());
        self.spawn(super::pull::run(hub, origin.clone(), key.clone(), pull));
        Some(watching)
    }

    /// The last player of `key` left: a pull of it lingers, then ends.
    pub(super) fn idle(&self, key: &StreamKey) {
        if let Some(pull) = self.pulls().get(key) {
            pull.idle.notify_one();
        }
    }

    /// The pull of `key` ended.
    pub(super) fn pull_done(&self, key: &StreamKey) {
        self.pulls().remove(key);
    }

    /// How long connecting (TCP, handshake, `connect`, and the answer to
    /// `publish` or `play`) may take.
    pub(super) fn connect_timeout(&self) -> Duration {
        self.limits
            .handshake_timeout
            .unwrap_or(RELAY_CONNECT_TIMEOUT)
    }

    /// A client session to `url` (`rtmp://` only: there are no TLS roots
    /// to check an `rtmps://` server with), within the connect timeout,
    /// with the server's idle and send deadlines and counted in its memory
    /// budget.
    pub(super) async fn connect(&self, url: &str) -> Result<RtmpClient, String> {
        let mut connect = RtmpConnect::new(url)
            .map_err(|e| e.to_string())?
            .timeout(self.connect_timeout());
        let config = connect.config_mut();
        config.idle_timeout = self.limits.idle_timeout;
        config.send_timeout = self.limits.send_timeout;
        let client = connect.connect().await.map_err(|e| e.to_string())?;
        Ok(client
            .with_memory_budget(self.budget.clone())
            .with_drain_timeout(self.limits.drain_timeout))
    }
}

/// Media received from another server as the hub takes it: its timestamp,
/// the message (for the headers of late players) and what players get.
pub(super) fn relay_of(media: MediaEvent) -> (u32, Message, Relay) {
    match media {
        MediaEvent::Metadata {
            timestamp, data, ..
        } => {
            let message = Message::Data(data.clone());
            let size = message.encode_payload().len();
            let relay = Relay::Metadata {
                timestamp,
                data,
                size,
            };
            (timestamp, message, relay)
        }
        MediaEvent::Audio {
            timestamp, audio, ..
        } => {
            let relay = Relay::Audio {
                timestamp,
                payload: Bytes::copy_from_slice(&audio.payload),
                config: is_audio_config(&audio),
                chunks: SharedChunks::default(),
            };
            (timestamp, Message::Audio(audio), relay)
        }
        MediaEvent::Video {
            timestamp, video, ..
        } => {
            let relay = Relay::Video {
                timestamp,
                payload: Bytes::copy_from_slice(&video.payload),
                keyframe: is_keyframe(&video),
                config: is_video_config(&video),
                chunks: SharedChunks::default(),
            };
            (timestamp, Message::Video(video), relay)
        }
    }
}
