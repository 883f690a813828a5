//! The subscribers' side: a WebSocket connection to `/<channel>` receives
//! the channel's messages, text frames for UTF-8 payloads, binary frames
//! for the others.

use bytes::Bytes;
use tokio::net::TcpStream;
use wirestate_tokio::Connection;
use wirestate_websocket::{
    Accept, Keepalive, Reject, Request, Utf8Bytes, WsConfig, WsConnection, WsEvent,
};

use super::{Gateway, GatewayConfig};
use crate::Shutdown;

/// The close code a subscriber gets when it falls more than its budget
/// behind: 1008, policy violation (the gateway's slow-consumer policy).
pub const CLOSE_TOO_SLOW: u16 = 1008;
/// Bytes of messages written to a subscriber in one go at most before the
/// gateway waits for them to be written.
const WRITE_BATCH: usize = 64 << 10;

/// The subscribers' WebSocket settings: the limits' deadlines, keepalive
/// pings, no permessage-deflate (every subscriber would compress the same
/// payloads again), and small messages from subscribers (they have nothing
/// to say).
pub fn subscriber_config(config: &GatewayConfig) -> WsConfig {
    let limits = &config.limits;
    let interval = limits
        .idle_timeout
        .map_or(super::MAX_PING_INTERVAL, |idle| {
            (idle / 4).clamp(super::MIN_PING_INTERVAL, super::MAX_PING_INTERVAL)
        });
    WsConfig {
        idle_timeout: limits.idle_timeout,
        handshake_timeout: limits.handshake_timeout,
        send_timeout: limits.send_timeout,
        keepalive: Some(Keepalive {
            interval,
            timeout: interval,
        }),
        max_message_size: 64 << 10,
        max_frame_size: 64 << 10,
        deflate: None,
        ..WsConfig::default()
    }
}

/// The channel a request names: its path without the leading `/`.
///
/// # Errors
///
/// The answer to refuse the upgrade with: 401 when the gateway requires
/// a token the request does not present, 404 when it names no channel.
pub fn channel_of(request: &Request, config: &GatewayConfig) -> Result<String, Reject> {
    if let Some(token) = &config.auth_token {
        crate::auth::check_request(token, request)?;
    }
    match request.path.strip_prefix('/') {
        Some(channel) if !channel.is_empty() => Ok(channel.to_string()),
        _ => Err(Reject::status(404)),
    }
}

/// How a subscriber's loop ended.
enum End {
    /// The gateway shuts down: close 1001.
    Shutdown,
    /// The subscriber fell too far behind: close 1008.
    TooSlow,
    /// The client closed, failed or was closed by its machine.
    Gone,
}

/// Serves one subscriber: the upgrade (with the token check), then the
/// channel's messages until it closes, falls too far behind or the gateway
/// shuts down.
pub(super) async fn subscriber(stream: TcpStream, gateway: Gateway) {
    let _ = stream.set_nodelay(true);
    let Gateway {
        bus,
        config,
        budget,
        mut shutdown,
    } = gateway;
    let mut conn = Connection::new(stream, WsConnection::server(subscriber_config(&config)))
        .with_memory_budget(budget)
        .with_drain_timeout(config.limits.drain_timeout);
    let mut subscription = None;
    let end = loop {
        let Some(sub) = subscription.as_mut() else {
            let event = tokio::select! {
                () = shutdown.triggered() => break End::Gone,
                event = conn.next_event() => event,
            };
            match event {
                Some(Ok(WsEvent::Request(request))) => match channel_of(&request, &config) {
                    Ok(channel) => {
                        if conn.machine_mut().accept(Accept::default()).is_err() {
                            break End::Gone;
                        }
                        tracing::debug!(%channel, "subscribed");
                        subscription = Some(bus.subscribe(&channel, config.subscriber_budget));
                    }
                    Err(reject) => {
                        let _ = conn.machine_mut().reject(reject);
                        break End::Gone;
                    }
                },
                Some(Ok(_)) => {}
                Some(Err(_)) | None => break End::Gone,
            }
            continue;
        };
        let payload = tokio::select! {
            () = shutdown.triggered() => break End::Shutdown,
            event = conn.next_event() => match event {
                Some(Ok(_)) => continue,
                Some(Err(_)) | None => break End::Gone,
            },
            payload = sub.recv() => payload,
        };
        // Cut off: what is still queued is not worth sending.
        if sub.is_too_slow() {
            break End::TooSlow;
        }
        let Some(payload) = payload else {
            break End::Gone;
        };
        if forward(&mut conn, sub, payload).is_err() {
            break End::Gone;
        }
        // Write what was queued; meanwhile the subscription's budget
        // counts what piles up.
        let flushed = tokio::select! {
            () = shutdown.triggered() => break End::Shutdown,
            flushed = conn.flush() => flushed,
        };
        if flushed.is_err() {
            break End::Gone;
        }
    };
    drop(subscription);
    finish(conn, end, &config, &mut shutdown).await;
}

/// Queues `first` and what else is waiting, up to [`WRITE_BATCH`] bytes.
fn forward(
    conn: &mut Connection<WsConnection, TcpStream>,
    sub: &mut super::Subscription,
    first: Bytes,
) -> Result<(), wirestate_websocket::LocalError> {
    let mut batch = first.len();
    send(conn.machine_mut(), first)?;
    while batch < WRITE_BATCH {
        let Some(payload) = sub.try_recv() else { break };
        batch += payload.len();
        send(conn.machine_mut(), payload)?;
    }
    Ok(())
}

/// One payload as one frame: text when it is UTF-8, else binary.
fn send(machine: &mut WsConnection, payload: Bytes) -> Result<(), wirestate_websocket::LocalError> {
    match Utf8Bytes::try_from_bytes(payload.clone()) {
        Some(text) => machine.send_text(text),
        None => machine.send_binary(payload),
    }
}

/// Says goodbye as `end` asks and waits (within the drain timeout) for it
/// to be written.
async fn finish(
    mut conn: Connection<WsConnection, TcpStream>,
    end: End,
    config: &GatewayConfig,
    shutdown: &mut Shutdown,
) {
    let drain = config.limits.drain_timeout;
    let _ = match end {
        End::Shutdown => conn.shutdown(drain).await,
        End::TooSlow => {
            tracing::warn!(
                budget = config.subscriber_budget,
                "subscriber too slow: closing with 1008"
            );
            let _ = conn.machine_mut().close(CLOSE_TOO_SLOW, "too slow");
            conn.shutdown(drain).await
        }
        End::Gone => tokio::select! {
            flushed = conn.flush() => flushed,
            () = shutdown.triggered() => conn.shutdown(drain).await,
        },
    };
}
