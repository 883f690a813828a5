//! The publishers' side: one line machine per TCP connection, each line
//! `<channel> <payload>` published on the bus.

use std::net::SocketAddr;

use bytes::Bytes;
use tokio::net::TcpStream;
use wirestate_core::IdleTimeout;
use wirestate_lines::{LineConfig, LineConnection, LineEvent, Overflow};
use wirestate_tokio::Connection;

use super::{Gateway, NEVER};

/// Splits a line into its channel (up to the first space) and payload (the
/// rest, which may hold spaces, be empty, or be any bytes); `None` without
/// a space or with an empty channel.
pub fn split_line(line: &Bytes) -> Option<(&str, Bytes)> {
    let space = line.iter().position(|&b| b == b' ')?;
    let channel = std::str::from_utf8(&line[..space]).ok()?;
    if channel.is_empty() {
        return None;
    }
    Some((channel, line.slice(space + 1..)))
}

/// The publishers' line settings: `\n` (with an optional `\r`), lines up to
/// `max_line` bytes; a longer line is discarded up to its end.
///
/// # Errors
///
/// A zero `max_line`.
pub fn line_config(max_line: usize) -> Result<LineConfig, wirestate_lines::ConfigError> {
    Ok(LineConfig::default()
        .max_line(max_line)?
        .overflow(Overflow::Discard))
}

/// Serves one publisher until it closes, fails, idles out or the gateway
/// shuts down.
pub(super) async fn publisher(stream: TcpStream, peer: SocketAddr, gateway: Gateway) {
    let Gateway {
        bus,
        config,
        budget,
        mut shutdown,
    } = gateway;
    let limits = &config.limits;
    let Ok(lines) = line_config(config.max_line) else {
        return;
    };
    let machine = IdleTimeout::new(
        LineConnection::new(lines),
        limits.idle_timeout.unwrap_or(NEVER),
        wirestate_tokio::now(),
    )
    .with_send_timeout(limits.send_timeout);
    let mut conn = Connection::new(stream, machine)
        .with_memory_budget(budget)
        .with_drain_timeout(limits.drain_timeout);
    let mut published = 0u64;
    loop {
        let event = tokio::select! {
            () = shutdown.triggered() => break,
            event = conn.next_event() => event,
        };
        match event {
            Some(Ok(LineEvent::Line { bytes, .. })) => match split_line(&bytes) {
                Some((channel, payload)) => {
                    bus.publish(channel, payload);
                    published += 1;
                }
                None => tracing::warn!(%peer, "line without `<channel> <payload>` ignored"),
            },
            Some(Ok(LineEvent::Oversize { discarded })) => tracing::error!(
                %peer,
                discarded,
                max_line = config.max_line,
                "line longer than the maximum discarded; the connection goes on"
            ),
            Some(Ok(LineEvent::Raw(_))) => {}
            Some(Err(error)) => {
                tracing::info!(%peer, %error, published, "publisher ended");
                return;
            }
            None => break,
        }
    }
    tracing::info!(%peer, published, "publisher closed");
    let _ = conn.shutdown(limits.drain_timeout).await;
}
