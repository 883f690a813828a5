//! `serve websocket`: an echo server on the WebSocket machine.

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use wirestate_server::ServerLimits;
use wirestate_websocket::{
    DeflateConfig, Keepalive, LocalError, Message, WsCommand, WsConfig, WsConnection, WsEvent,
};

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

/// An echo server: accepts every upgrade, sends each text and binary message
/// back, answers pings, and completes the close handshake; idle, stalled and
/// slow-handshake connections are closed per the limits. Past the maximum of
/// connections, clients get an HTTP 503.
pub(crate) async fn serve(serving: Serving, args: &WsArgs) -> io::Result<()> {
    let config = config(args, &serving.limits);
    let machine = || WsConnection::server_auto_accept(config.clone());
    super::run(serving, true, Refusal::Http503, machine, echo).await
}

/// Sends every text and binary message back.
fn echo(
    machine: &mut WsConnection,
    peer: SocketAddr,
    event: WsEvent,
) -> Result<Option<WsCommand>, LocalError> {
    match event {
        WsEvent::Message(Message::Text(text)) => machine.send_text(text)?,
        WsEvent::Message(Message::Binary(data)) => machine.send_binary(data)?,
        WsEvent::Request(request) => tracing::info!(%peer, path = %request.path, "upgraded"),
        _ => {}
    }
    Ok(None)
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
}
