//! `serve gateway`: TCP line publishers -> channels -> WebSocket
//! subscribers, on the server crate's gateway; this file only wires flags.

use std::io::{self, Write};
use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::TcpListener;
use wirestate_server::auth::AccessToken;
use wirestate_server::gateway::{self, Bus, GatewayConfig, LocalBus, RedisBus};

use super::{parse_bytes, LimitArgs};

/// What `serve gateway --help` says after the flags.
pub(crate) const GATEWAY_HELP: &str = "\
Publishers send lines `<channel> <payload>` to --tcp; a WebSocket client of \
ws://<--ws>/<channel> receives each payload of that channel as one frame \
(text when UTF-8, else binary), in the order each publisher sent them.

Startup prints two lines on stdout: `LISTENING <ip>:<port>` of the TCP \
listener first, then that of the WebSocket listener.

A line longer than --max-line is discarded up to its end and logged; the \
connection goes on. A subscriber more than --subscriber-budget bytes behind \
is closed with 1008 (policy violation), and so is one with a backlog while \
the queues of all subscribers together hold --memory-budget bytes. On SIGINT \
or SIGTERM subscribers get a close 1001.

Memory: at most about 2 x --memory-budget (buffered input and queued output \
of the connections; messages queued for subscribers) + 16 KiB x \
--max-connections per listener + 64 KiB per subscriber being written to, plus \
32 MiB of messages waiting for Redis. The 16 KiB per connection is the growth \
of resident memory over 1,000 idle subscribers (13.5 KiB measured with \
examples/gateway_bench.rs), rounded up; kernel socket buffers are not counted.

--bus redis://HOST:PORT shares channels between gateway processes: channel \
c is the Redis channel <--redis-prefix>c, each process PSUBSCRIBEs to the \
prefix. A process delivers its own publishers' messages locally at once and \
skips them when Redis echoes them (messages carry an origin id), so local \
delivery goes on while Redis is away; it reconnects with a backoff (0.1 s \
doubling to 5 s) and logs how many messages were not sent to Redis \
meanwhile.";

/// The flags of `serve gateway`.
#[derive(clap::Args, Debug, Clone)]
pub(crate) struct GatewayArgs {
    /// Where publishers connect (port 0 picks a free one).
    #[arg(long, default_value = "127.0.0.1:7000")]
    tcp: SocketAddr,
    /// Where WebSocket subscribers connect (port 0 picks a free one).
    #[arg(long, default_value = "127.0.0.1:7001")]
    ws: SocketAddr,
    /// Share channels with other gateways through Redis pub/sub
    /// (redis://HOST:PORT); in-process only without it.
    #[arg(long, value_name = "URL")]
    bus: Option<String>,
    /// The prefix of the Redis channel names.
    #[arg(long, value_name = "PREFIX", default_value = "wirestate:")]
    redis_prefix: String,
    /// The longest line a publisher may send. Takes a suffix K, M or G.
    #[arg(long, value_name = "BYTES", default_value = "64K", value_parser = parse_bytes)]
    max_line: usize,
    /// Bytes of messages one subscriber may fall behind before it is
    /// closed (1008). Takes a suffix K, M or G.
    #[arg(long, value_name = "BYTES", default_value = "1M", value_parser = parse_bytes)]
    subscriber_budget: usize,
    /// Subscribers must present this token (`Authorization: Bearer <T>` or
    /// `?token=<T>`); others get HTTP 401.
    #[arg(long, value_name = "T")]
    auth_token: Option<String>,
    #[command(flatten)]
    limits: LimitArgs,
}

/// Binds both listeners, announces them (TCP first), and serves until
/// SIGINT/SIGTERM and the drain.
///
/// # Errors
///
/// When a listener cannot be bound, the signal handlers cannot be
/// installed, or the Redis URL is not one; as a message for the user.
pub(crate) async fn serve(args: GatewayArgs) -> Result<(), String> {
    if args.max_line == 0 {
        return Err("--max-line must be at least 1".into());
    }
    let text = |e: io::Error| e.to_string();
    let shutdown = super::signals::shutdown_on_signals().map_err(text)?;
    let limits = args.limits.limits();
    // The subscribers' queues together get a budget as large as the
    // connections' one.
    let queue_limit = limits.memory_budget;
    let bus: Arc<dyn Bus> = match &args.bus {
        Some(url) => Arc::new(
            RedisBus::start_with_limit(url, &args.redis_prefix, queue_limit)
                .map_err(|e| format!("--bus {url}: {e}"))?,
        ),
        None => Arc::new(LocalBus::with_limit(queue_limit)),
    };
    let tcp = TcpListener::bind(args.tcp).await.map_err(text)?;
    let ws = TcpListener::bind(args.ws).await.map_err(text)?;
    {
        let mut stdout = io::stdout().lock();
        for listener in [&tcp, &ws] {
            writeln!(stdout, "LISTENING {}", listener.local_addr().map_err(text)?).map_err(text)?;
        }
        stdout.flush().map_err(text)?;
    }
    let config = GatewayConfig {
        limits,
        max_line: args.max_line,
        subscriber_budget: args.subscriber_budget,
        auth_token: args.auth_token.map(AccessToken::new),
    };
    gateway::serve(tcp, ws, bus, config, shutdown)
        .await
        .map_err(text)
}
