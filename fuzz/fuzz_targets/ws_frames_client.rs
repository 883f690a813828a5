//! Frames into a client-side connection (after the handshake): no panic,
//! bounded memory, the same events, error and goodbye however the input is
//! cut. The first byte picks the options, including permessage-deflate.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wirestate_core::SeededRandom;
use wirestate_websocket::{Config, Connection, DeflateParams, Delivery, Role};

#[path = "ws_common.rs"]
mod ws_common;

fuzz_target!(|input: &[u8]| {
    let Some((&seed, data)) = input.split_first() else {
        return;
    };
    let config = Config {
        max_frame_size: 300,
        max_message_size: 600,
        delivery: if seed & 2 == 0 { Delivery::Whole } else { Delivery::Streaming },
        auto_pong: seed & 4 == 0,
        ..Config::default()
    };
    // Seed bit 3: permessage-deflate negotiated; bits 4-5: no context
    // takeover per side; bits 6-7: window bits (9 + 2n). max_message_size
    // then bounds the inflated size, so a bomb cannot grow memory.
    let deflate = (seed & 8 != 0).then(|| DeflateParams {
        server_no_context_takeover: seed & 16 != 0,
        client_no_context_takeover: seed & 32 != 0,
        server_max_window_bits: 9 + 2 * (seed >> 6),
        client_max_window_bits: 15 - 2 * (seed >> 6),
    });
    let make = || {
        let mut conn = match Role::Client {
            Role::Server => Connection::new(Role::Server, config.clone()),
            Role::Client => Connection::client(config.clone(), SeededRandom::new(7)),
        };
        if let Some(params) = deflate {
            conn.set_deflate(params);
        }
        conn
    };
    ws_common::check(make, data, seed, seed & 1 == 1);
});
