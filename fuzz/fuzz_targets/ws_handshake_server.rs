//! Upgrade requests (and whatever follows them) into a server: no panic,
//! bounded memory, the same outcome however the input is cut.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wirestate_websocket::{WsConfig, WsConnection};

#[path = "ws_common.rs"]
mod ws_common;

fuzz_target!(|input: &[u8]| {
    let Some((&seed, data)) = input.split_first() else {
        return;
    };
    let config = WsConfig {
        max_handshake_size: 1024,
        max_headers: 16,
        max_frame_size: 512,
        max_message_size: 1024,
        ..WsConfig::default()
    };
    ws_common::check(
        || WsConnection::server_auto_accept(config.clone()),
        data,
        seed,
        seed & 1 == 1,
    );
});
