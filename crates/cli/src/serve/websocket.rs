//! `serve websocket`: an echo server on the WebSocket machine, with a path,
//! a token, rate and age limits, `/health` and `/metrics` on the same port.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpStream;
use wirestate_server::auth::AccessToken;
use wirestate_server::ws_metrics::WsMetrics;
use wirestate_server::{serve_connections, Admission, ServerLimits};
use wirestate_websocket::{DeflateConfig, Keepalive, WsConfig};

use super::ws_conn::{self, Site};
use super::{parse_bytes, Refusal, Serving};

/// The shortest keepalive interval (and ping answer time).
const MIN_PING_INTERVAL: Duration = Duration::from_secs(1);
/// The longest keepalive interval, also used with the idle timeout off.
const MAX_PING_INTERVAL: Duration = Duration::from_secs(30);

/// The flags of `serve websocket` beyond the shared limits.
#[derive(clap::Args, Debug, Clone)]
pub(crate) struct WsArgs {
    /// Decline permessage-deflate. By default it is accepted (RFC 7692,
    /// the client's window asked down to 12 bits, the server's output
    /// compressed without context takeover).
    #[arg(long)]
    no_deflate: bool,
    /// The largest message accepted (inflated size with permessage-deflate;
    /// a frame is at most this and 16 MiB); a larger one closes the
    /// connection with 1009. Takes a suffix K, M or G, as in 64M.
    #[arg(long, value_name = "BYTES", default_value = "64M", value_parser = parse_bytes)]
    max_message_size: usize,
    /// Upgrade only requests for this path (as in /ws); others get 404.
    /// Default: any path. /health and /metrics answer on every path setting.
    #[arg(long, value_name = "PATH")]
    path: Option<String>,
    /// Upgrade only requests that carry this token, as `Authorization:
    /// Bearer TOKEN` or a `?token=TOKEN` query; others get 401 with
    /// `WWW-Authenticate: Bearer`.
    #[arg(long, value_name = "TOKEN")]
    auth_token: Option<String>,
    /// At most CAPACITY messages from a client per window of SECONDS (a
    /// fixed window that starts with the first message after the previous
    /// one ended); the message past it is dropped and the connection closed
    /// with 1008 (policy violation). As in 100/10. Default: no limit.
    #[arg(long, value_name = "CAPACITY/SECONDS", value_parser = parse_rate)]
    rate_limit: Option<Rate>,
    /// Close each connection with 1001 (going away) once it is this many
    /// seconds old (the client may reconnect). Default: no limit.
    #[arg(long, value_name = "SECS")]
    max_connection_age: Option<u64>,
    /// Bind with SO_REUSEPORT, so several servers share the port (unix
    /// only; elsewhere the server does not start).
    #[arg(long)]
    pub(crate) reuse_port: bool,
}

/// `--rate-limit`: messages per window.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Rate {
    /// Messages allowed per window.
    pub(crate) capacity: u64,
    /// The window.
    pub(crate) window: Duration,
}

/// Parses `CAPACITY/SECONDS` (seconds may have a fraction, above 0).
fn parse_rate(text: &str) -> Result<Rate, String> {
    let bad = || format!("{text:?}: expected CAPACITY/SECONDS, as in 100/10");
    let (capacity, seconds) = text.split_once('/').ok_or_else(bad)?;
    let capacity = capacity.trim().parse().map_err(|_| bad())?;
    let seconds: f64 = seconds.trim().parse().map_err(|_| bad())?;
    if !(seconds > 0.0 && seconds.is_finite()) {
        return Err(bad());
    }
    let window = Duration::try_from_secs_f64(seconds).map_err(|_| bad())?;
    Ok(Rate { capacity, window })
}

/// The echo server's machine settings: the limits' deadlines, keepalive
/// pings (see [`keepalive`]), permessage-deflate unless `--no-deflate`, and
/// the message size limit.
pub(crate) fn config(args: &WsArgs, limits: &ServerLimits) -> WsConfig {
    let defaults = WsConfig::default();
    WsConfig {
        max_message_size: args.max_message_size,
        max_frame_size: args.max_message_size.min(defaults.max_frame_size),
        idle_timeout: limits.idle_timeout,
        handshake_timeout: limits.handshake_timeout,
        send_timeout: limits.send_timeout,
        keepalive: Some(keepalive(limits.idle_timeout)),
        deflate: (!args.no_deflate).then(DeflateConfig::server),
        ..defaults
    }
}

/// The server's keepalive: a ping after a quarter of the idle timeout
/// without input (at least 1 s, at most 30 s; 30 s with the idle timeout
/// off), and a client that sends nothing within the same time after it is
/// cut. A quiet client that answers pings is thus never idle.
pub(crate) fn keepalive(idle: Option<Duration>) -> Keepalive {
    let interval = idle.map_or(MAX_PING_INTERVAL, |idle| {
        (idle / 4).clamp(MIN_PING_INTERVAL, MAX_PING_INTERVAL)
    });
    Keepalive {
        interval,
        timeout: interval,
    }
}

/// An echo server: upgrades the requests `--path` and `--auth-token`
/// allow, sends each text and binary message back, answers pings, and
/// completes the close handshake; idle, stalled, slow-handshake, too fast
/// and too old connections are closed per the limits. `GET /health` and
/// `GET /metrics` answer plain HTTP. Past the maximum of connections,
/// clients get an HTTP 503.
pub(crate) async fn serve(serving: Serving, args: &WsArgs) -> io::Result<()> {
    let Serving {
        listener,
        limits,
        budget,
        shutdown,
        tls,
    } = serving;
    let site = Arc::new(Site {
        config: config(args, &limits),
        path: args.path.clone(),
        token: args.auth_token.clone().map(AccessToken::new),
        rate: args.rate_limit,
        max_age: args.max_connection_age.map(Duration::from_secs),
        metrics: Arc::new(WsMetrics::default()),
        limits: limits.clone(),
        budget: budget.clone(),
    });
    let wrap = super::wrap_stream(tls, &limits);
    let accept = |stream: TcpStream, peer: SocketAddr, admission: Admission| {
        let (site, shutdown, wrap) = (site.clone(), shutdown.clone(), wrap.clone());
        async move {
            let _ = stream.set_nodelay(true);
            let Admission::Admitted(slot) = admission else {
                site.metrics.rejected(503);
                return Refusal::Http503.refuse(stream, peer).await;
            };
            match wrap(stream).await {
                Ok(stream) => ws_conn::serve_one(stream, peer, &site, shutdown).await,
                Err(error) => tracing::info!(%peer, %error, "TLS handshake failed"),
            }
            drop(slot);
        }
    };
    serve_connections(listener, &limits, &budget, shutdown.clone(), accept).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keepalive_pings_at_a_quarter_of_the_idle_timeout_within_bounds() {
        let secs = |s| Some(Duration::from_secs(s));
        assert_eq!(keepalive(secs(120)).interval, Duration::from_secs(30));
        assert_eq!(keepalive(secs(20)).interval, Duration::from_secs(5));
        assert_eq!(keepalive(secs(2)).interval, MIN_PING_INTERVAL);
        assert_eq!(keepalive(secs(3600)).interval, MAX_PING_INTERVAL);
        assert_eq!(keepalive(None).interval, MAX_PING_INTERVAL);
    }

    #[test]
    fn rate_limits_parse_as_capacity_per_seconds() {
        let ok = |text| parse_rate(text).unwrap();
        assert_eq!(ok("100/10").capacity, 100);
        assert_eq!(ok("100/10").window, Duration::from_secs(10));
        assert_eq!(ok("5/0.5").window, Duration::from_millis(500));
        for bad in ["100", "x/1", "1/0", "1/-2", "1/inf", "/1", "1/"] {
            assert!(parse_rate(bad).is_err(), "{bad}");
        }
    }
}
