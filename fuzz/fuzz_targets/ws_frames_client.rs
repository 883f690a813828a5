//! Frames into a client-side connection (after the handshake): no panic,
//! bounded memory, the same events, error and goodbye however the input is
//! cut. The first byte picks the options, including permessage-deflate.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wirestate_websocket::Role;

#[path = "ws_common.rs"]
mod ws_common;

fuzz_target!(|input: &[u8]| ws_common::frames(Role::Client, input));
