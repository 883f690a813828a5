//! One connection of `serve websocket`: the request head decides between
//! `/health`, `/metrics`, a 404 and an upgrade; an upgraded connection is
//! checked for its token, then echoes under the rate and age limits while
//! the metrics count what happens.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use wirestate_core::{DriverError, Machine, MaxAge, RateLimit};
use wirestate_server::auth::{check_request, AccessToken};
use wirestate_server::plain_http::{self, Head, HeadRead, Response};
use wirestate_server::ws_metrics::WsMetrics;
use wirestate_server::{prometheus, BoxStream, ServerLimits, Shutdown};
use wirestate_tokio::{Connection, MemoryBudget};
use wirestate_websocket::{
    Accept, DeflateTotals, LocalError, Message, WsConfig, WsConnection, WsError, WsEvent,
};

/// The machine of an upgraded connection: the echo server's WebSocket
/// machine under the rate limit, under the age limit.
type Limited = MaxAge<RateLimit<WsConnection>>;

/// What every connection of one server shares.
pub(crate) struct Site {
    /// The WebSocket machine's settings.
    pub(crate) config: WsConfig,
    /// `--path`: the one path upgraded, if set.
    pub(crate) path: Option<String>,
    /// `--auth-token`.
    pub(crate) token: Option<AccessToken>,
    /// `--rate-limit`.
    pub(crate) rate: Option<super::websocket::Rate>,
    /// `--max-connection-age`.
    pub(crate) max_age: Option<Duration>,
    /// The counters `/metrics` shows.
    pub(crate) metrics: Arc<WsMetrics>,
    /// The server's limits.
    pub(crate) limits: ServerLimits,
    /// The server's memory budget.
    pub(crate) budget: MemoryBudget,
}

/// Serves one admitted connection, from its request head to its end.
pub(crate) async fn serve_one(
    mut stream: BoxStream,
    peer: SocketAddr,
    site: &Site,
    shutdown: Shutdown,
) {
    let answer = match plain_http::read_head(&mut stream, &site.limits).await {
        Ok(HeadRead::Head(head)) => match route(&head, site) {
            Some(answer) => answer,
            None => return upgrade(stream, head, peer, site, shutdown).await,
        },
        Ok(HeadRead::TimedOut) => Response::text(408, "too slow\n"),
        Ok(HeadRead::Malformed) => Response::text(400, "bad request\n"),
        Ok(HeadRead::Closed) => return,
        Err(error) => return tracing::debug!(%peer, %error, "reading the request failed"),
    };
    if answer.status >= 400 {
        site.metrics.rejected(answer.status);
    }
    let deadline = plain_http::answer_deadline(&site.limits);
    if let Err(error) = plain_http::respond(stream, &answer, deadline).await {
        tracing::debug!(%peer, %error, "the answer was not delivered");
    }
}

/// The plain HTTP answer to `head`, or `None` to try the upgrade:
/// `GET /health` is `200 ok`, `GET /metrics` the Prometheus text, a path
/// other than `--path` 404.
fn route(head: &Head, site: &Site) -> Option<Response> {
    match (head.method.as_str(), head.path.as_str()) {
        ("GET", "/health") => Some(Response::text(200, "ok\n")),
        ("GET", "/metrics") => Some(Response::new(
            200,
            prometheus::CONTENT_TYPE,
            site.metrics.render(),
        )),
        (_, path) if site.path.as_deref().is_some_and(|only| only != path) => {
            Some(Response::text(404, "not found\n"))
        }
        _ => None,
    }
}

/// The machine of a new connection, with the site's limits (none: limits
/// that are never reached).
fn machine(site: &Site) -> Limited {
    let ws = WsConnection::server(site.config.clone());
    let rate = site.rate.map_or((u64::MAX, Duration::MAX), |rate| {
        (rate.capacity, rate.window)
    });
    let limited =
        RateLimit::new(ws, rate.0, rate.1).counting(|event| matches!(event, WsEvent::Message(_)));
    MaxAge::new(limited, site.max_age.unwrap_or(Duration::MAX))
}

/// What one upgraded connection has seen, for its metrics.
#[derive(Default)]
struct Seen {
    /// The metrics' count of it as open, once upgraded.
    open: Option<wirestate_server::ws_metrics::OpenConnection>,
    /// The close code the peer sent, or that its failure sends.
    close: Option<u16>,
    /// What permessage-deflate had compressed at the last look.
    deflated: DeflateTotals,
}

/// Hands the request head (and what followed it) to a WebSocket machine
/// and serves the connection until it ends or the server shuts down.
async fn upgrade(
    stream: BoxStream,
    head: Head,
    peer: SocketAddr,
    site: &Site,
    mut shutdown: Shutdown,
) {
    let mut machine = machine(site);
    machine.handle_input(&head.bytes, wirestate_tokio::now());
    let drain = site.limits.drain_timeout;
    let mut conn = Connection::new(stream, machine)
        .with_memory_budget(site.budget.clone())
        .with_drain_timeout(drain);
    let mut seen = Seen::default();
    let shut_down = loop {
        let event = tokio::select! {
            () = shutdown.triggered() => break true,
            event = conn.next_event() => event,
        };
        let outcome = match event {
            Some(Ok(event)) => handle(conn.machine_mut(), event, peer, site, &mut seen),
            Some(Err(error)) => {
                note_failure(&error, &mut seen, site);
                tracing::info!(%peer, %error, "connection ended");
                break false;
            }
            None => break false,
        };
        if let Err(error) = outcome {
            tracing::warn!(%peer, %error, "cannot echo");
            break false;
        }
    };
    let finished = if shut_down {
        conn.shutdown(drain).await
    } else {
        tokio::select! {
            finished = conn.flush() => finished,
            () = shutdown.triggered() => conn.shutdown(drain).await,
        }
    };
    if let Err(error) = finished {
        tracing::debug!(%peer, %error, "the last flush failed");
    }
    count_end(conn.machine(), &seen, shut_down, site);
    tracing::info!(%peer, "closed");
}

/// One event: a request is accepted or rejected (401), a message echoed,
/// a close noted.
fn handle(
    machine: &mut Limited,
    event: WsEvent,
    peer: SocketAddr,
    site: &Site,
    seen: &mut Seen,
) -> Result<(), LocalError> {
    let ws = machine.inner_mut().inner_mut();
    match event {
        WsEvent::Request(request) => {
            let allowed = site
                .token
                .as_ref()
                .map_or(Ok(()), |token| check_request(token, &request));
            match allowed {
                Ok(()) => {
                    ws.accept(Accept::default())?;
                    seen.open = Some(site.metrics.connection_opened());
                    tracing::info!(%peer, path = %request.path, "upgraded");
                }
                Err(reject) => {
                    site.metrics.rejected(reject.status);
                    tracing::info!(%peer, status = reject.status, "upgrade refused");
                    ws.reject(reject)?;
                }
            }
        }
        WsEvent::Message(message) => {
            let len = message.payload().len();
            site.metrics.message_in(len);
            match message {
                Message::Text(text) => ws.send_text(text)?,
                Message::Binary(data) => ws.send_binary(data)?,
            }
            site.metrics.message_out(len);
            if let Some(totals) = ws.deflate_totals() {
                site.metrics.deflated(DeflateTotals {
                    uncompressed: totals.uncompressed - seen.deflated.uncompressed,
                    compressed: totals.compressed - seen.deflated.compressed,
                });
                seen.deflated = totals;
            }
        }
        WsEvent::Close(frame) => seen.close = Some(frame.map_or(1005, |frame| frame.code)),
        _ => {}
    }
    Ok(())
}

/// Notes how a connection failed: before the upgrade, the status the
/// machine answered with (a request that was no valid upgrade, or too
/// slow); after it, the close code it sent (1006 when it sent none).
fn note_failure(error: &DriverError<WsError>, seen: &mut Seen, site: &Site) {
    let machine_error = match error {
        DriverError::Machine(error) => Some(error),
        _ => None,
    };
    if seen.open.is_none() {
        match machine_error {
            Some(WsError::Handshake(failure)) => site.metrics.rejected(failure.status()),
            Some(WsError::HandshakeTimeout(_)) => site.metrics.rejected(408),
            _ => {}
        }
        return;
    }
    seen.close = Some(machine_error.and_then(WsError::close_code).unwrap_or(1006));
}

/// Counts how an upgraded connection ended: 1008 past the rate limit,
/// 1001 at its maximum age or the server's shutdown, else the code seen.
fn count_end(machine: &Limited, seen: &Seen, shut_down: bool, site: &Site) {
    if seen.open.is_none() {
        return;
    }
    let code = if machine.inner().limited() {
        1008
    } else if machine.expired() || shut_down {
        1001
    } else {
        seen.close.unwrap_or(1006)
    };
    site.metrics.closed(code);
}
