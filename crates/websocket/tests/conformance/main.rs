//! RFC 6455 conformance, one test per rule, grouped as the RFC groups them,
//! each run for both roles. Every input is also fed whole, byte by byte and
//! at several cuts (`assert_chunk_independent`), so every rule is checked for
//! chunk independence too.

use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use wirestate_core::testing::{assert_chunk_independent, feed_cut, feed_sizes, Transcript};
use wirestate_core::{Machine, SeededRandom};
use wirestate_websocket::frame::{FrameDecoder, FrameRules, OpCode, Step};
use wirestate_websocket::{
    DataKind, Delivery, Fragment, Keepalive, LocalError, Message, Role, WsConfig, WsConnection,
    WsError, WsEvent,
};

const ROLES: [Role; 2] = [Role::Server, Role::Client];

/// A frame as the peer of `to` sends it: masked towards a server, unmasked
/// towards a client. `first` is the whole first header byte.
fn raw(to: Role, first: u8, payload: &[u8]) -> Vec<u8> {
    let masked = to == Role::Server;
    let m = if masked { 0x80 } else { 0 };
    let mut out = vec![first];
    let len = payload.len();
    if len < 126 {
        out.push(m | len as u8);
    } else if len <= 0xFFFF {
        out.push(m | 126);
        out.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        out.push(m | 127);
        out.extend_from_slice(&(len as u64).to_be_bytes());
    }
    if masked {
        let key = [0x12, 0x34, 0x56, 0x78];
        out.extend_from_slice(&key);
        out.extend(payload.iter().enumerate().map(|(i, b)| b ^ key[i % 4]));
    } else {
        out.extend_from_slice(payload);
    }
    out
}

fn frame(to: Role, fin: bool, opcode: u8, payload: &[u8]) -> Vec<u8> {
    raw(to, if fin { 0x80 } else { 0 } | opcode, payload)
}

fn machine(role: Role, config: WsConfig) -> WsConnection {
    match role {
        Role::Server => WsConnection::accepted_server(config, None),
        Role::Client => WsConnection::accepted_client(config, None, SeededRandom::new(99)),
    }
}

fn now() -> Instant {
    // One fixed instant per process is enough: timers get offsets from it.
    use std::sync::OnceLock;
    static T0: OnceLock<Instant> = OnceLock::new();
    *T0.get_or_init(Instant::now)
}

fn run_with(role: Role, config: WsConfig, input: &[u8], eof: bool) -> Transcript<WsEvent> {
    assert_chunk_independent(|| machine(role, config.clone()), input, eof, now())
}

fn run(role: Role, input: &[u8]) -> Transcript<WsEvent> {
    run_with(role, WsConfig::default(), input, false)
}

/// Frames `sender` transmitted, unmasked: (opcode, fin, payload).
fn sent(sender: Role, bytes: &[u8]) -> Vec<(OpCode, bool, Bytes)> {
    let mut decoder = FrameDecoder::new(FrameRules {
        require_mask: Some(sender == Role::Client),
        allowed_rsv: 0,
        max_frame_size: u64::MAX >> 1,
        accept_non_minimal_lengths: false,
    });
    let mut input = BytesMut::from(bytes);
    let mut frames = Vec::new();
    while let Step::Frame(f) = decoder.decode(&mut input).expect("we send valid frames") {
        frames.push((f.header.opcode, f.header.fin, f.payload));
    }
    assert!(input.is_empty(), "trailing bytes after our frames");
    frames
}

/// The close code of the last frame sent, if it is a close with a code.
fn close_sent(sender: Role, t: &Transcript<WsEvent>) -> Option<u16> {
    let frames = sent(sender, &t.transmitted);
    let (op, _, payload) = frames.last()?;
    (*op == OpCode::Close && payload.len() >= 2)
        .then(|| u16::from_be_bytes([payload[0], payload[1]]))
}

/// Asserts the machine failed with `code` sent (and `needle` in the error).
fn assert_fails(role: Role, t: &Transcript<WsEvent>, code: u16, needle: &str) {
    let error = t
        .error
        .as_deref()
        .unwrap_or_else(|| panic!("{role:?}: no error, events {:?}", t.events));
    assert!(
        error.contains(needle),
        "{role:?}: {error:?} lacks {needle:?}"
    );
    assert_eq!(close_sent(role, t), Some(code), "{role:?}: close code sent");
    assert!(t.closed, "{role:?}: a failed machine is closed");
}

fn binary(t: &Transcript<WsEvent>) -> Vec<Vec<u8>> {
    t.events
        .iter()
        .filter_map(|e| match e {
            WsEvent::Message(m) => Some(m.payload().to_vec()),
            _ => None,
        })
        .collect()
}

mod close;
mod control_frames;
mod fragmentation;
mod framing;
mod handshake;
mod limits;
mod opcodes;
mod ping_pong;
mod reserved_bits;
mod sending;
mod timers;
mod utf8;
