//! What the WebSocket script targets share: a configuration from the
//! options byte and commands from script commands.

use std::time::Duration;

use crate::{bit, number, text};
use wirestate_websocket::{
    Accept, CloseFrame, DeflateConfig, Delivery, Keepalive, Reject, WsCommand, WsConfig,
};

/// Options bits: 0 deflate offered, 1 streaming delivery, 2 no automatic
/// pong, 3 keepalive pings, 4 idle timeout, 5 (server) automatic accept,
/// 6 non-minimal lengths accepted.
pub fn config(options: u8, deflate: DeflateConfig) -> WsConfig {
    let seconds = Duration::from_secs;
    WsConfig {
        max_frame_size: 300,
        max_message_size: 600,
        max_handshake_size: 2048,
        max_headers: 16,
        input_high_water: 4096,
        accept_non_minimal_lengths: bit(options, 6),
        delivery: if bit(options, 1) {
            Delivery::Streaming
        } else {
            Delivery::Whole
        },
        auto_pong: !bit(options, 2),
        keepalive: bit(options, 3).then_some(Keepalive {
            interval: seconds(5),
            timeout: seconds(5),
        }),
        idle_timeout: bit(options, 4).then_some(seconds(30)),
        deflate: bit(options, 0).then_some(deflate),
        ..WsConfig::default()
    }
}

/// Maps a script command to a WebSocket command: 0 accept (arg: a
/// subprotocol), 1 reject (arg: status), 2 text, 3 binary, 4 ping, 5 pong,
/// 6 close (arg: code, reason).
pub fn command(code: u8, arg: &[u8]) -> WsCommand {
    let payload = bytes::Bytes::copy_from_slice(arg);
    match code % 7 {
        0 => WsCommand::Accept(Accept {
            protocol: (!arg.is_empty()).then(|| text(arg)),
            ..Accept::default()
        }),
        1 => WsCommand::Reject(Reject::status(number(arg))),
        2 => WsCommand::Text(text(arg).into()),
        3 => WsCommand::Binary(payload),
        4 => WsCommand::Ping(payload),
        5 => WsCommand::Pong(payload),
        _ => WsCommand::Close((!arg.is_empty()).then(|| CloseFrame {
            code: number(arg),
            reason: text(arg.get(2..).unwrap_or_default()).into(),
        })),
    }
}

/// The memory bound of a connection under [`config`]: input up to the
/// high-water mark while events wait (an upgrade request waiting for the
/// application's answer) plus one read, or the head being collected, or
/// one frame's header and payload unread; plus a message being reassembled
/// and its inflated copy (each at most the message limit, its capacity at
/// most twice that).
pub const MAX_HELD: usize = 4096 + crate::run::READ_SIZE + 2048 + 14 + 300 + 4 * 600;
