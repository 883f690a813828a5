//! Shared by the ws_* fuzz targets: feed a machine at given cuts and record
//! everything it did, so different cuts can be compared.

use std::time::Instant;

use wirestate_core::Machine;

/// Events (as Debug text), the error, the transmitted bytes and is_closed.
pub type Outcome = (Vec<String>, Option<String>, Vec<u8>, bool);

pub fn feed<M: Machine>(machine: &mut M, data: &[u8], cuts: &[usize], eof: bool) -> Outcome
where
    M::Event: std::fmt::Debug,
{
    feed_with(machine, data, cuts, eof, &mut |_, _| {})
}

/// [`feed`] with `batch` called before every `poll_event`: a borrowed fast
/// path that records the events it takes in place.
pub fn feed_with<M: Machine>(
    machine: &mut M,
    data: &[u8],
    cuts: &[usize],
    eof: bool,
    batch: &mut impl FnMut(&mut M, &mut Vec<String>),
) -> Outcome
where
    M::Event: std::fmt::Debug,
{
    let now = Instant::now();
    let mut out: Outcome = (Vec::new(), None, Vec::new(), false);
    let mut start = 0;
    let ends = cuts
        .iter()
        .copied()
        .filter(|&c| c > 0 && c < data.len())
        .chain(std::iter::once(data.len()));
    let mut done = false;
    for end in ends {
        if done || end <= start {
            continue;
        }
        machine.handle_input(&data[start..end], now);
        start = end;
        done = drain(machine, &mut out, batch);
    }
    if eof && !done {
        machine.handle_eof(now);
        drain(machine, &mut out, batch);
    }
    // A poisoned or finished machine stays quiet.
    assert!(out.1.is_none() || machine.poll_event().is_none());
    out.3 = machine.is_closed();
    out
}

/// Drains events and transmits; true once the machine failed or closed.
fn drain<M: Machine>(
    machine: &mut M,
    out: &mut Outcome,
    batch: &mut impl FnMut(&mut M, &mut Vec<String>),
) -> bool
where
    M::Event: std::fmt::Debug,
{
    loop {
        while let Some(bytes) = machine.poll_transmit() {
            out.2.extend_from_slice(&bytes);
        }
        batch(machine, &mut out.0);
        match machine.poll_event() {
            Some(Ok(event)) => out.0.push(format!("{event:?}")),
            Some(Err(error)) => {
                out.1 = Some(error.to_string());
                while let Some(bytes) = machine.poll_transmit() {
                    out.2.extend_from_slice(&bytes);
                }
                return true;
            }
            None => return machine.is_closed(),
        }
    }
}

/// Feeds whole, at one fuzzer-chosen cut, and byte by byte; asserts the
/// outcomes are equal.
pub fn check<M: Machine>(make: impl Fn() -> M, data: &[u8], cut_seed: u8, eof: bool)
where
    M::Event: std::fmt::Debug,
{
    let whole = feed(&mut make(), data, &[], eof);
    let cut = usize::from(cut_seed) * data.len() / 256;
    let split = feed(&mut make(), data, &[cut], eof);
    assert_eq!(whole, split, "cut at {cut}");
    let every: Vec<usize> = (1..data.len()).collect();
    let bytewise = feed(&mut make(), data, &every, eof);
    assert_eq!(whole, bytewise, "byte by byte");
}

/// The ws_frames_* targets: `input`'s first byte picks the options
/// (delivery, auto pong, EOF, and permessage-deflate with its takeover and
/// window bits); the rest is fed to a connection in `role` after its
/// handshake.
#[allow(dead_code)]
pub fn frames(role: wirestate_websocket::Role, input: &[u8]) {
    use wirestate_core::SeededRandom;
    use wirestate_websocket::{DeflateParams, Delivery, WsConfig, WsConnection, WsEvent};

    let Some((&seed, data)) = input.split_first() else {
        return;
    };
    let config = WsConfig {
        max_frame_size: 300,
        max_message_size: 600,
        delivery: if seed & 2 == 0 {
            Delivery::Whole
        } else {
            Delivery::Streaming
        },
        auto_pong: seed & 4 == 0,
        ..WsConfig::default()
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
    let make = || match role {
        wirestate_websocket::Role::Server => WsConnection::accepted_server(config.clone(), deflate),
        wirestate_websocket::Role::Client => {
            WsConnection::accepted_client(config.clone(), deflate, SeededRandom::new(7))
        }
    };
    let eof = seed & 1 == 1;
    check(make, data, seed, eof);
    // The borrowed path in front of poll_event hands out the same.
    let mut batch = |machine: &mut WsConnection, events: &mut Vec<String>| {
        machine.for_each_message(|message| {
            events.push(format!("{:?}", WsEvent::Message(message.to_message())));
            std::ops::ControlFlow::Continue(())
        });
    };
    let whole = feed(&mut make(), data, &[], eof);
    let cut = usize::from(seed) * data.len() / 256;
    let every: Vec<usize> = (1..data.len()).collect();
    for cuts in [vec![], vec![cut], every] {
        let borrowed = feed_with(&mut make(), data, &cuts, eof, &mut batch);
        assert_eq!(whole, borrowed, "borrowed, {} cuts", cuts.len());
    }
}
