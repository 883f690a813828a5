//! `wirestate serve <mode>`: the subcommands, their flags and help, and
//! running one.

use std::io::{IsTerminal, Write};
use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Subcommand;

use wirestate_server::auth::AccessToken;
use wirestate_server::rtmp_relay::{self, PullOrigin, PushTarget, RecordMode, RelayConfig};

use super::gateway::{GatewayArgs, GATEWAY_HELP};
use super::websocket::WsArgs;
use super::{parse_bytes, LimitArgs, TlsArgs};

/// The worst-case memory of the framing servers, for their `--help`.
const FRAMING_MEMORY: &str = "\
Memory: at most about --memory-budget + 16 KiB x --max-connections (defaults: \
256 MiB + 1024 x 16 KiB = 272 MiB), plus one 16 KiB read per connection that \
was reading when the budget ran out. The budget counts buffered input and \
queued output. The fixed 16 KiB per connection (machine, driver, task) is \
the growth of resident memory over 900 connections that each had a frame \
echoed (10-11 KiB measured), rounded up; kernel socket buffers are not \
counted.";

/// The worst-case memory, keepalive and HTTP endpoints of the WebSocket
/// server, for its `--help`.
const WEBSOCKET_MEMORY: &str = "\
Memory: at most about --memory-budget + 72 KiB x --max-connections (defaults: \
256 MiB + 1024 x 72 KiB = 328 MiB), plus one 16 KiB read per connection that \
was reading when the budget ran out (for a compressed message, what that \
read inflates to, up to --max-message-size). The budget counts buffered \
input, messages being reassembled or inflated, and queued output. The fixed 72 KiB per connection (machine, inflate and deflate state, \
driver, task) is the growth of resident memory over 900 connections that \
each had a compressed message echoed (69 KiB measured; 19 KiB without \
permessage-deflate), rounded up; kernel socket buffers are not counted.

Keepalive: a ping after a quarter of --idle-timeout without input (1 to 30 s; \
30 s when the idle timeout is off); a client that answers nothing within the \
same time again is closed, so a quiet client that answers pings stays.

HTTP on the same port: GET /health answers 200 `ok`; GET /metrics the Prometheus text format: wirestate_ws_connections_open, wirestate_ws_connections_total, wirestate_ws_messages_{received,sent}_total, wirestate_ws_bytes_{received,sent}_total (payloads, uncompressed), wirestate_ws_closes_total{code}, wirestate_ws_rejected_handshakes_total{status}, wirestate_ws_deflate_{uncompressed,compressed}_bytes_total and wirestate_ws_deflate_ratio (compressed / uncompressed).";

/// The worst-case memory of the RTMP relay, for its `--help`.
const RTMP_MEMORY: &str = "\
Memory: at most about --memory-budget + 16 KiB x --max-connections (defaults: \
256 MiB + 1024 x 16 KiB = 272 MiB), plus 2 x --player-budget of queued media \
per player (twice only with a flood of metadata), plus one 16 KiB read per \
connection that was reading when the budget ran out, plus 8 KiB per \
recording. The GOP caches (--gop-cache per stream) count against the budget. The budget counts buffered input, messages being reassembled \
from chunks, and queued output. The fixed 16 KiB per connection (session, driver, task) is the \
growth of resident memory over 900 connections that completed the RTMP \
handshake (13.4 KiB measured), rounded up; kernel socket buffers are not \
counted.";

/// The `serve` modes. Each takes the shared limits (see [`LimitArgs`]),
/// prints `LISTENING <ip>:<port>` once bound (`serve rtmp --http` then a
/// second line, `HTTP LISTENING <ip>:<port>`), and ends gracefully on
/// SIGINT or SIGTERM (exit status 0 after the drain).
#[derive(Subcommand)]
pub(crate) enum ServeCommand {
    /// An Erlang-style `{packet,2}` echo server.
    #[command(after_help = FRAMING_MEMORY)]
    Length {
        /// Where to listen (loopback only in tests; port 0 picks a free one).
        #[arg(long, default_value = "127.0.0.1:4000")]
        listen: SocketAddr,
        /// The framing, as for `inspect --framing`.
        #[arg(long, default_value = "erlang2")]
        framing: String,
        #[command(flatten)]
        limits: LimitArgs,
    },
    /// A line echo server.
    #[command(after_help = FRAMING_MEMORY)]
    Lines {
        /// Where to listen (port 0 picks a free one).
        #[arg(long, default_value = "127.0.0.1:4001")]
        listen: SocketAddr,
        #[command(flatten)]
        limits: LimitArgs,
    },
    /// A WebSocket echo server (permessage-deflate, keepalive pings), with
    /// `GET /health` (200 ok) and `GET /metrics` (Prometheus text) on the
    /// same port.
    #[command(after_help = WEBSOCKET_MEMORY)]
    Websocket {
        /// Where to listen (port 0 picks a free one).
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
        #[command(flatten)]
        ws: WsArgs,
        #[command(flatten)]
        tls: TlsArgs,
        #[command(flatten)]
        limits: LimitArgs,
    },
    /// An RTMP ingest and relay server: publishers are recorded and relayed
    /// live to players.
    #[command(after_help = RTMP_MEMORY)]
    Rtmp {
        /// Where to listen (port 0 picks a free one).
        #[arg(long, default_value = "127.0.0.1:1935")]
        listen: SocketAddr,
        /// Record each published stream to an FLV file in this directory.
        #[arg(long, value_name = "DIR")]
        record: Option<PathBuf>,
        /// When a recording's file exists: unique (a new file, `app_key-1.flv`
        /// ...), append (continue it) or overwrite.
        #[arg(long, value_name = "MODE", default_value_t = RecordMode::Unique)]
        record_mode: RecordMode,
        /// Bytes of media queued for one player at most; past it, video is
        /// dropped to the next keyframe, then audio. Takes a suffix K, M or G.
        #[arg(long, value_name = "BYTES", default_value = "4M", value_parser = parse_bytes)]
        player_budget: usize,
        /// Bytes of media kept per stream since its last keyframe, so a
        /// late player starts on a keyframe (0: off); past it the group is
        /// dropped until the next keyframe. Counts against --memory-budget.
        /// Takes a suffix K, M or G.
        #[arg(long, value_name = "BYTES", default_value = "2M", value_parser = parse_bytes)]
        gop_cache: usize,
        /// Serve this application only (`rtmp://host/APP/key`); others are
        /// refused at connect (NetConnection.Connect.Rejected). Default:
        /// any application.
        #[arg(long, value_name = "NAME")]
        app: Option<String>,
        /// Publishers must present this token as `?token=` on the stream
        /// name (`rtmp://host/app/key?token=T`) or the application; others
        /// get NetStream.Publish.BadName and are disconnected.
        #[arg(long, value_name = "TOKEN")]
        publish_token: Option<String>,
        /// Players must present this token the same way; others get
        /// NetStream.Play.Failed and are disconnected.
        #[arg(long, value_name = "TOKEN")]
        play_token: Option<String>,
        /// Serve GET /health, /metrics (Prometheus text) and /streams (JSON:
        /// app, key, codecs, bitrate, players, uptime) on this address;
        /// prints `HTTP LISTENING <ip>:<port>` after the `LISTENING` line.
        #[arg(long, value_name = "ADDR")]
        http: Option<SocketAddr>,
        /// Relay every published stream to `rtmp://HOST[:PORT]/APP` (the
        /// stream key kept); repeat for several targets. A failed push is
        /// retried while the stream is live (1 s, doubling to 30 s, 10 tries).
        #[arg(long, value_name = "URL")]
        push: Vec<PushTarget>,
        /// Be an edge of the origin `rtmp://HOST[:PORT]/APP`: a stream
        /// nobody publishes here is pulled from there on its first player,
        /// and released 2 s after its last one left.
        #[arg(long, value_name = "URL")]
        pull: Option<PullOrigin>,
        #[command(flatten)]
        tls: TlsArgs,
        #[command(flatten)]
        limits: LimitArgs,
    },
    /// A gateway: TCP line publishers -> channels -> WebSocket subscribers,
    /// in-process or across processes on Redis (--bus).
    #[command(after_help = GATEWAY_HELP)]
    Gateway(GatewayArgs),
}

/// Runs the server `cmd` names until SIGINT or SIGTERM and its drain.
///
/// # Errors
///
/// When the runtime cannot start, the address cannot be bound, or the
/// framing is unknown; as a message for the user.
pub(crate) fn main(cmd: ServeCommand) -> Result<(), String> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let runtime = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
    runtime.block_on(run(cmd))
}

/// Starts the server `cmd` names and serves until the shutdown drained.
async fn run(cmd: ServeCommand) -> Result<(), String> {
    let text = |e: std::io::Error| e.to_string();
    match cmd {
        ServeCommand::Length {
            listen,
            framing,
            limits,
        } => {
            let framing = crate::length::framing_from_name(&framing)?;
            let serving = super::start(listen, limits.limits()).await.map_err(text)?;
            crate::length::serve(serving, framing).await.map_err(text)
        }
        ServeCommand::Lines { listen, limits } => {
            let serving = super::start(listen, limits.limits()).await.map_err(text)?;
            crate::lines::serve(serving).await.map_err(text)
        }
        ServeCommand::Websocket {
            listen,
            ws,
            tls,
            limits,
        } => {
            let tls = tls.acceptor()?;
            let mut serving = super::start_with(listen, limits.limits(), ws.reuse_port)
                .await
                .map_err(text)?;
            serving.tls = tls;
            super::websocket::serve(serving, &ws).await.map_err(text)
        }
        ServeCommand::Rtmp {
            listen,
            record,
            record_mode,
            player_budget,
            gop_cache,
            app,
            publish_token,
            play_token,
            http,
            push,
            pull,
            tls,
            limits,
        } => {
            let tls = tls.acceptor()?;
            let serving = super::start(listen, limits.limits()).await.map_err(text)?;
            let wrap = super::wrap_stream(tls, &serving.limits);
            let config = RelayConfig {
                limits: serving.limits.clone(),
                record,
                record_mode,
                player_budget,
                gop_cache,
                app,
                publish_token: publish_token.map(AccessToken::new),
                play_token: play_token.map(AccessToken::new),
                push,
                pull,
            };
            serve_rtmp(serving, config, wrap, http).await.map_err(text)
        }
        ServeCommand::Gateway(args) => super::gateway::serve(args).await,
    }
}

/// Runs the relay, and its status port on `http` (announced on stdout as
/// `HTTP LISTENING <ip>:<port>`), until the shutdown drained both.
async fn serve_rtmp(
    serving: super::Serving,
    config: RelayConfig,
    wrap: wirestate_server::WrapStream,
    http: Option<SocketAddr>,
) -> std::io::Result<()> {
    let stats = rtmp_relay::RelayStats::default();
    let status = match http {
        Some(addr) => {
            let listener = tokio::net::TcpListener::bind(addr).await?;
            let local = listener.local_addr()?;
            let mut stdout = std::io::stdout().lock();
            writeln!(stdout, "HTTP LISTENING {local}")?;
            stdout.flush()?;
            let limits = serving.limits.clone();
            let shutdown = serving.shutdown.clone();
            let stats = stats.clone();
            Some(tokio::spawn(rtmp_relay::serve_stats(
                listener, limits, shutdown, stats,
            )))
        }
        None => None,
    };
    let relay =
        rtmp_relay::serve_wrapped(serving.listener, config, serving.shutdown, stats, wrap).await;
    if let Some(status) = status {
        if let Ok(Err(error)) = status.await {
            tracing::warn!(%error, "the status port failed");
        }
    }
    relay
}
