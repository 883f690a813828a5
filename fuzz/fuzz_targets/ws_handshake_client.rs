//! Upgrade responses (and whatever follows them) into a client: no panic,
//! bounded memory, the same outcome however the input is cut.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wirestate_core::SeededRandom;
use wirestate_websocket::{ClientRequest, WsConfig, WsConnection};

#[path = "ws_common.rs"]
mod ws_common;

fuzz_target!(|input: &[u8]| {
    let Some((&seed, data)) = input.split_first() else {
        return;
    };
    let make = || {
        let request = ClientRequest::new("h", "/")
            .protocol("chat")
            .with_key("dGhlIHNhbXBsZSBub25jZQ==");
        let config = WsConfig {
            max_handshake_size: 1024,
            max_headers: 16,
            max_frame_size: 512,
            max_message_size: 1024,
            ..WsConfig::default()
        };
        WsConnection::client(request, config, SeededRandom::new(1)).expect("valid request")
    };
    ws_common::check(make, data, seed, seed & 1 == 1);
});
