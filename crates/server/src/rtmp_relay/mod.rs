//! `wirestate serve rtmp`: an RTMP ingest and relay server on the tokio
//! driver.
//!
//! Publishers are keyed by application and stream key (`rtmp://host/app/key`).
//! Each published stream can be recorded to an FLV file in a directory, and
//! is relayed live to any number of players, who may join at any time: a
//! late player gets the metadata and sequence headers first, then the
//! cached group of pictures from the last keyframe (see [GOP
//! cache](self#gop-cache); without it, the stream from the next keyframe).
//! Access can be restricted to one application and to publishers and
//! players with a token ([Access](self#access)); [`RelayStats`] counts per
//! stream, and [`serve_stats`] serves the counters over HTTP. When the publisher leaves, its players
//! are told (`NetStream.Play.UnpublishNotify`, `Play.Stop`, StreamEOF) and
//! disconnected, also those whose queue is full (the notice is never
//! dropped; what waits before it is given up, and the goodbye gets
//! [`ServerLimits::drain_timeout`] to be written).
//!
//! # Players that fall behind
//!
//! The media waiting for one player is bounded in bytes,
//! [`RelayConfig::player_budget`] (each message costs its payload plus 64
//! bytes). When it fills, media is dropped as nginx-rtmp drops it: non-key
//! video first (refused past three quarters of the budget, then dropped up
//! to the next keyframe that fits, since frames without their reference
//! cannot be decoded), then audio and keyframes (refused when they do not
//! fit the whole budget). Metadata, decoder configurations and the end
//! notice are never dropped; they may take a queue to twice its budget, and
//! a player whose queue would grow beyond that is disconnected. Drops are
//! counted ([`RelayStats`]) and logged when a player starts and stops
//! skipping.
//!
//! A player whose queue stays full for [`ServerLimits::send_timeout`]
//! without taking anything is disconnected, and so is one that accepts no
//! byte for that long (the session's send deadline, through the driver).
//!
//! # Access
//!
//! With [`RelayConfig::app`], only that application is served. With
//! [`RelayConfig::publish_token`] or [`RelayConfig::play_token`], a
//! publisher or player must present the token as a `token` query
//! parameter of the stream name (`rtmp://host/app/key?token=x`) or of the
//! application (`rtmp://host/app?token=x/key`, or the tcUrl). Streams are
//! keyed by the names without their query. A refused `connect` gets
//! `_error` `NetConnection.Connect.Rejected`, a refused publish the
//! onStatus error `NetStream.Publish.BadName`, a refused play
//! `NetStream.Play.Failed`; then the connection is closed.
//!
//! # GOP cache
//!
//! Each published stream keeps its media since the last video keyframe
//! (audio included), up to [`RelayConfig::gop_cache`] bytes (a message
//! costs its payload plus 64 bytes). A player that joins gets the
//! metadata, the sequence headers, then that group through its queue, and
//! live media after it: its first media is a keyframe, as with nginx-rtmp
//! and SRS, instead of audio for up to a whole GOP. A group that outgrows
//! the limit is dropped and caching resumes at the next keyframe; the
//! caches are charged to the memory budget, and do not grow while it is
//! spent.
//!
//! # Recording
//!
//! With [`RelayConfig::record`], each publish is recorded; the file name
//! follows [`RecordMode`] (by default never overwriting: `app_key.flv`,
//! then `app_key-1.flv` ...). The recorded metadata is `onMetaData` with a
//! `duration` (added when the publisher sent none). When the publisher
//! ends, in any way, or the server shuts down, the recording is flushed
//! and ends with a whole tag, and the metadata's `duration` (seconds from
//! the first to the last tag) and `filesize` are patched in place. A write
//! error stops the recording and cuts the file after its last whole tag.
//! When the file cannot be created, the publish is refused
//! (`NetStream.Publish.Failed`) and the key stays free.
//!
//! # Origin and edge
//!
//! With [`RelayConfig::push`], every stream published here is relayed to
//! each target (`rtmp://host[:port]/app`, the stream key kept) by a client
//! session that is a player of the stream (its own queue of
//! `player_budget`: a slow target loses media like a slow player and
//! never holds up the publisher). When the publisher ends, the push sends
//! `FCUnpublish` and `deleteStream` and closes. A refused or failed push is
//! retried while the stream is live, after [`FIRST_BACKOFF`] doubling up to
//! [`MAX_BACKOFF`], and given up after [`MAX_FAILURES`] failures in a row.
//!
//! With [`RelayConfig::pull`], this server is an edge: a player asking for
//! a stream nobody publishes here makes the relay play `origin/key` and
//! publish what it receives as a local publisher would (metadata, sequence
//! headers, media); further players share it. A player is answered
//! (`Play.Start`) once the pull plays at the origin; when the origin
//! refuses the stream, fails, or does not answer within the connect
//! timeout (the handshake timeout, or [`RELAY_CONNECT_TIMEOUT`]), it gets
//! `NetStream.Play.StreamNotFound`. When the origin ends the stream or the
//! connection to it fails later, the players get the end as when a
//! publisher leaves. [`PULL_LINGER`] after its last player left, the pull
//! is stopped (`deleteStream`) and closed. Pulled streams are not pushed.
//! Only `rtmp://` is pushed to and pulled from.
//!
//! # Shutdown
//!
//! Once the [`Shutdown`] fires, the listener closes; publishers finish
//! their recording (their players are told), then every connection says
//! its goodbye through `Connection::shutdown` within
//! [`ServerLimits::drain_timeout`], and [`serve`] returns.
//!
//! # Memory
//!
//! The server's worst case is about:
//!
//! ```text
//!   memory_budget                      input buffers, messages being
//!                                      reassembled from chunks and unsent bytes
//!                                      of every connection
//!                                      (ServerLimits::memory_budget)
//! + max_connections x 16 KiB           one read each, by connections that were
//!                                      reading when the budget ran out
//! + max_connections x 3 KiB            one connection's task, session and driver
//!                                      (measured: 2.8 KiB, of which the driver
//!                                      1,640 B with the session's 1,416 B), plus the
//!                                      session's small tables (one entry per
//!                                      message stream and pending request)
//! + players x 2 x player_budget        queued media (twice only with a flood of
//!                                      metadata; media alone stays within one
//!                                      budget), shared by the players of a stream
//! + players x 64 KiB + one message     the batch moved from a player's queue to
//!                                      its session (inside the memory budget)
//! + publishers x 8 KiB                 the recording's write buffer
//! + publishers x gop_cache             the GOP cache (inside the memory
//!                                      budget); its payloads are shared
//!                                      with the players' queues
//! ```
//!
//! A push counts as a player (its queue of `player_budget`); the
//! connections of pushes and pulls count in the memory budget like
//! accepted ones, but not in [`ServerLimits::max_connections`] (at most
//! one per push target and published stream, and one per pulled stream).
//!
//! Queued payloads under 16 KiB are copied once when they arrive, so a
//! small message never keeps a large input buffer alive while it waits.

mod auth;
mod edge;
mod flv_file;
mod gop;
mod hub;
mod player;
mod pull;
mod push;
mod queue;
mod record;
mod session;
mod stats;
mod stats_http;
mod streams;

pub use edge::{
    BadRemoteApp, PullOrigin, PushTarget, RemoteApp, PULL_LINGER, RELAY_CONNECT_TIMEOUT,
};
pub use gop::GOP_CACHE;
pub use push::{FIRST_BACKOFF, MAX_BACKOFF, MAX_FAILURES};
pub use stats::RelayStats;
pub use stats_http::{metrics, serve_stats, streams_json};
pub use streams::{StreamInfo, BITRATE_WINDOW};

use std::fmt;
use std::io;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;

use tokio::net::TcpListener;
use wirestate_tokio::MemoryBudget;

use crate::auth::AccessToken;
use crate::{serve_connections, Admission, ServerLimits, Shutdown, WrapStream};
use hub::Hub;

/// The default [`RelayConfig::player_budget`]: 4 MiB of media queued for
/// one player (several seconds of a high-bitrate stream).
pub const PLAYER_BUDGET: usize = 4 << 20;

/// How the relay runs: the server's limits, recording and the budget of
/// each player.
///
/// ```
/// use wirestate_server::rtmp_relay::{RecordMode, RelayConfig};
///
/// let config = RelayConfig { record: Some("recordings".into()), ..RelayConfig::default() };
/// assert_eq!(config.record_mode, RecordMode::Unique);
/// assert_eq!(config.player_budget, 4 << 20);
/// ```
#[derive(Debug, Clone)]
pub struct RelayConfig {
    /// Deadlines, connection and memory limits of the server.
    pub limits: ServerLimits,
    /// Record every published stream to an FLV file in this directory
    /// (created if missing); `None`: no recording.
    pub record: Option<PathBuf>,
    /// What a recording does when its file exists already.
    pub record_mode: RecordMode,
    /// Bytes of media queued for one player at most; past it, video is
    /// dropped to the next keyframe, then audio (see the
    /// [module docs](self#players-that-fall-behind)).
    pub player_budget: usize,
    /// Bytes of media kept per stream since its last keyframe, for late
    /// players (0: off; default [`GOP_CACHE`]). A late player gets the
    /// metadata, the sequence headers, then this group, so its first
    /// media is a video keyframe. Past the limit the group is dropped
    /// until the next keyframe; what the caches hold counts against
    /// [`ServerLimits::memory_budget`] (see the
    /// [module docs](self#gop-cache)).
    pub gop_cache: usize,
    /// Serve this application only (`rtmp://host/APP/key`); a `connect`
    /// to another is refused with `NetConnection.Connect.Rejected`.
    /// `None`: any application.
    pub app: Option<String>,
    /// The token a publisher must present (see the
    /// [module docs](self#access)); `None`: anyone may publish.
    pub publish_token: Option<AccessToken>,
    /// The token a player must present; `None`: anyone may play.
    pub play_token: Option<AccessToken>,
    /// Relay every published stream to these servers (see the
    /// [module docs](self#origin-and-edge)).
    pub push: Vec<PushTarget>,
    /// Pull streams nobody publishes here from this origin (see the
    /// [module docs](self#origin-and-edge)).
    pub pull: Option<PullOrigin>,
}

impl Default for RelayConfig {
    fn default() -> Self {
        RelayConfig {
            limits: ServerLimits::default(),
            record: None,
            record_mode: RecordMode::default(),
            player_budget: PLAYER_BUDGET,
            gop_cache: GOP_CACHE,
            app: None,
            publish_token: None,
            play_token: None,
            push: Vec::new(),
            pull: None,
        }
    }
}

/// What recording a stream key does when its file exists already (the
/// `--record-mode` flag: `unique`, `append` or `overwrite`).
///
/// ```
/// use wirestate_server::rtmp_relay::RecordMode;
///
/// let mode: RecordMode = "append".parse().unwrap();
/// assert_eq!(mode, RecordMode::Append);
/// assert_eq!(mode.to_string(), "append");
/// assert!("rename".parse::<RecordMode>().is_err());
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum RecordMode {
    /// Never overwrite: the first recording of `app/key` is
    /// `app_key.flv`, the next ones `app_key-1.flv`, `app_key-2.flv`, ...
    /// (the first free name).
    #[default]
    Unique,
    /// Continue `app_key.flv`: new tags follow the existing ones, their
    /// timestamps continuing after the last one.
    Append,
    /// Truncate `app_key.flv` and start over.
    Overwrite,
}

impl RecordMode {
    /// The mode's name, as [`FromStr`] takes it.
    pub fn as_str(self) -> &'static str {
        match self {
            RecordMode::Unique => "unique",
            RecordMode::Append => "append",
            RecordMode::Overwrite => "overwrite",
        }
    }
}

impl fmt::Display for RecordMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A name that is not `unique`, `append` or `overwrite`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownRecordMode(pub String);

impl fmt::Display for UnknownRecordMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown record mode {:?} (expected unique, append or overwrite)",
            self.0
        )
    }
}

impl std::error::Error for UnknownRecordMode {}

impl FromStr for RecordMode {
    type Err = UnknownRecordMode;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        match name {
            "unique" => Ok(RecordMode::Unique),
            "append" => Ok(RecordMode::Append),
            "overwrite" => Ok(RecordMode::Overwrite),
            other => Err(UnknownRecordMode(other.to_owned())),
        }
    }
}

/// Serves RTMP publishers and players on `listener` until `shutdown` fires,
/// then ends every connection gracefully (recordings are finished, players
/// told, goodbyes flushed within [`ServerLimits::drain_timeout`]) and
/// returns. Connections past [`ServerLimits::max_connections`] or while the
/// memory budget is spent are closed at once.
///
/// # Errors
///
/// When the recording directory cannot be created, or the listener's
/// address cannot be read. Errors of single connections are logged and end
/// only that connection; accept errors are logged and retried.
pub async fn serve(
    listener: TcpListener,
    config: RelayConfig,
    shutdown: Shutdown,
) -> io::Result<()> {
    serve_with_stats(listener, config, shutdown, RelayStats::default()).await
}

/// What every connection task of one relay shares.
struct Context {
    hub: Arc<Hub>,
    config: RelayConfig,
    budget: MemoryBudget,
}

/// [`serve`], counting into `stats` (queued bytes, drops, stalled
/// players), which the caller can read while the relay runs.
///
/// # Errors
///
/// As [`serve`].
pub async fn serve_with_stats(
    listener: TcpListener,
    config: RelayConfig,
    shutdown: Shutdown,
    stats: RelayStats,
) -> io::Result<()> {
    serve_wrapped(listener, config, shutdown, stats, crate::plain()).await
}

/// [`serve_with_stats`] on the streams `wrap` makes of the accepted
/// sockets: `wirestate serve rtmp --tls-cert` passes a TLS handshake
/// (bounded by the handshake timeout) to serve `rtmps://`. A socket that
/// `wrap` fails on is logged and closed.
///
/// # Errors
///
/// As [`serve`].
pub async fn serve_wrapped(
    listener: TcpListener,
    config: RelayConfig,
    shutdown: Shutdown,
    stats: RelayStats,
    wrap: WrapStream,
) -> io::Result<()> {
    if let Some(dir) = &config.record {
        std::fs::create_dir_all(dir)?;
    }
    tracing::info!(addr = %listener.local_addr()?, record = ?config.record, "rtmp relay listening");
    let budget = MemoryBudget::new(config.limits.memory_budget);
    let limits = config.limits.clone();
    let hub = Arc::new(Hub::new(stats).with_gop_cache(config.gop_cache, budget.clone()));
    let edge = edge::Edge::new(
        &config,
        Arc::downgrade(&hub),
        budget.clone(),
        shutdown.clone(),
    );
    hub.set_edge(edge);
    let context = Arc::new(Context {
        hub: hub.clone(),
        config,
        budget: budget.clone(),
    });
    serve_connections(
        listener,
        &limits,
        &budget,
        shutdown.clone(),
        move |stream, peer, admission| {
            let context = context.clone();
            let shutdown = shutdown.clone();
            let wrap = wrap.clone();
            async move {
                let Admission::Admitted(slot) = admission else {
                    return;
                };
                let _ = stream.set_nodelay(true);
                let stream = match wrap(stream).await {
                    Ok(stream) => stream,
                    Err(error) => {
                        tracing::info!(%peer, %error, "rtmp connection refused");
                        return;
                    }
                };
                tracing::info!(%peer, "rtmp connection");
                session::run(stream, &context, shutdown).await;
                tracing::info!(%peer, "rtmp connection closed");
                drop(slot);
            }
        },
    )
    .await?;
    if let Some(edge) = hub.edge() {
        edge.finish(limits.drain_timeout).await;
    }
    Ok(())
}

#[cfg(test)]
mod auth_tests;
#[cfg(test)]
mod gop_tests;
#[cfg(test)]
mod stats_tests;
#[cfg(test)]
mod tests;
