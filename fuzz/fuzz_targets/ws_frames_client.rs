//! Frames into a client-side connection (after the handshake): no panic,
//! bounded memory, the same events, error and goodbye however the input is
//! cut. The first byte picks the options.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wirestate_core::SeededRandom;
use wirestate_websocket::{Config, Connection, Delivery, Role};

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
    let make = || match Role::Client {
        Role::Server => Connection::new(Role::Server, config.clone()),
        Role::Client => Connection::client(config.clone(), SeededRandom::new(7)),
    };
    ws_common::check(make, data, seed, seed & 1 == 1);
});
