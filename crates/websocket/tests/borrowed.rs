//! The borrowed fast path (`WsConnection::for_each_message`) against the
//! owned one: for both roles, frames of every kind (single-frame messages,
//! fragments, control frames, large frames that spill, invalid UTF-8, a
//! reserved bit), the same bytes cut anywhere and batches broken off at
//! chosen messages, the borrowed batches plus the `poll_event` calls they
//! stop for hand out exactly the events, the bytes to send and the error
//! that `poll_event` alone does.

use std::ops::ControlFlow;
use std::time::Instant;

use proptest::prelude::*;
use wirestate_core::testing::{arb_cuts, pieces};
use wirestate_core::{Machine, SeededRandom};
use wirestate_websocket::{apply_mask, MessageRef, Role, WsConfig, WsConnection, WsEvent};

/// One frame as the peer sends it: first header byte and payload.
#[derive(Debug, Clone)]
struct Frame(u8, Vec<u8>);

fn arb_frame() -> impl Strategy<Value = Frame> {
    let bytes = |max| prop::collection::vec(any::<u8>(), 0..max);
    prop_oneof![
        8 => bytes(40).prop_map(|p| Frame(0x82, p)),
        6 => "[a-zé€]{0,20}".prop_map(|t| Frame(0x81, t.into_bytes())),
        // A large binary frame: past 4 KiB, it may spill.
        1 => (4096usize..9000).prop_map(|n| Frame(0x82, vec![7; n])),
        // Fragments, a ping and a pong between messages.
        1 => bytes(10).prop_map(|p| Frame(0x01, p)),
        1 => bytes(10).prop_map(|p| Frame(0x80, p)),
        1 => bytes(10).prop_map(|p| Frame(0x89, p)),
        1 => bytes(10).prop_map(|p| Frame(0x8A, p)),
        // Rare faults: invalid UTF-8, a reserved bit.
        1 => Just(Frame(0x81, vec![b'o', b'k', 0xFF])),
        1 => Just(Frame(0xC2, vec![1])),
    ]
}

/// The frames on the wire towards `to`: masked towards a server.
fn wire(to: Role, frames: &[Frame]) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, Frame(first, payload)) in frames.iter().enumerate() {
        let masked = to == Role::Server;
        let bit = if masked { 0x80 } else { 0 };
        out.push(*first);
        match payload.len() {
            len @ 0..=125 => out.push(bit | len as u8),
            len @ 126..=0xFFFF => {
                out.push(bit | 126);
                out.extend_from_slice(&(len as u16).to_be_bytes());
            }
            len => {
                out.push(bit | 127);
                out.extend_from_slice(&(len as u64).to_be_bytes());
            }
        }
        let start = out.len() + if masked { 4 } else { 0 };
        if masked {
            out.extend_from_slice(&(i as u32).wrapping_mul(0x9E37_79B9).to_be_bytes());
        }
        out.extend_from_slice(payload);
        if masked {
            let key = out[start - 4..start].try_into().unwrap();
            apply_mask(&mut out[start..], key, 0);
        }
    }
    out
}

fn machine(role: Role) -> WsConnection {
    match role {
        Role::Server => WsConnection::accepted_server(WsConfig::default(), None),
        Role::Client => {
            WsConnection::accepted_client(WsConfig::default(), None, SeededRandom::new(5))
        }
    }
}

/// What a run hands out: events (errors as text), then every byte sent.
type Run = (Vec<Result<WsEvent, String>>, Vec<u8>);

fn sent(m: &mut WsConnection, out: &mut Vec<u8>) {
    while let Some(bytes) = m.poll_transmit() {
        out.extend_from_slice(&bytes);
    }
}

fn owned(role: Role, input: &[u8], cuts: &[usize]) -> Run {
    let (mut m, mut events, mut out) = (machine(role), Vec::new(), Vec::new());
    for piece in pieces(input, cuts) {
        m.handle_input(piece, Instant::now());
        while let Some(event) = m.poll_event() {
            events.push(event.map_err(|e| e.to_string()));
        }
        sent(&mut m, &mut out);
    }
    (events, out)
}

/// Batches first, `poll_event` for what stops them; a batch breaks off at
/// the messages whose number is in `breaks`.
fn borrowed(role: Role, input: &[u8], cuts: &[usize], breaks: &[usize]) -> Run {
    let (mut m, mut events, mut out) = (machine(role), Vec::new(), Vec::new());
    for piece in pieces(input, cuts) {
        m.handle_input(piece, Instant::now());
        loop {
            let batch = m.for_each_message(|message: MessageRef<'_>| {
                events.push(Ok(WsEvent::Message(message.to_message())));
                if breaks.contains(&events.len()) {
                    ControlFlow::Break(())
                } else {
                    ControlFlow::Continue(())
                }
            });
            match m.poll_event() {
                Some(event) => events.push(event.map_err(|e| e.to_string())),
                None if batch == 0 => break,
                None => {}
            }
        }
        sent(&mut m, &mut out);
    }
    (events, out)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn batches_hand_out_what_poll_event_does(
        frames in prop::collection::vec(arb_frame(), 0..24),
        client in any::<bool>(),
        cuts in arb_cuts(2_000),
        breaks in prop::collection::vec(0usize..24, 0..4),
    ) {
        let role = if client { Role::Client } else { Role::Server };
        let input = wire(role, &frames);
        let cuts: Vec<usize> = cuts.iter().map(|c| c * input.len() / 2_000).collect();
        let expected = owned(role, &input, &cuts);
        prop_assert_eq!(borrowed(role, &input, &cuts, &breaks), expected);
    }
}

#[test]
fn a_batch_reads_every_buffered_message_in_place() {
    // 100 single-frame messages in one read: one batch takes them all, and
    // poll_event has nothing left.
    let frames: Vec<Frame> = (0..100u8).map(|i| Frame(0x82, vec![i; 16])).collect();
    let mut m = machine(Role::Server);
    m.handle_input(&wire(Role::Server, &frames), Instant::now());
    let mut seen = Vec::new();
    let count = m.for_each_message(|message| {
        seen.push(message.payload()[0]);
        ControlFlow::Continue(())
    });
    assert_eq!(count, 100);
    assert_eq!(seen, (0..100).collect::<Vec<u8>>());
    assert!(m.poll_event().is_none());
    assert_eq!(m.buffered(), 0);
}

#[test]
fn a_message_whose_header_poll_event_took_is_finished_by_the_batch() {
    // poll_event takes the header of a frame cut short; once the rest
    // arrives, the batch hands out that message and the ones after it.
    let frames = [Frame(0x81, b"first".to_vec()), Frame(0x82, vec![2; 3])];
    let input = wire(Role::Server, &frames);
    let mut m = machine(Role::Server);
    m.handle_input(&input[..8], Instant::now());
    assert!(m.poll_event().is_none());
    m.handle_input(&input[8..], Instant::now());
    let mut seen = Vec::new();
    let count = m.for_each_message(|message| {
        seen.push(message.to_message());
        ControlFlow::Continue(())
    });
    assert_eq!(count, 2);
    assert_eq!(seen[0].payload(), b"first");
    assert_eq!(seen[1].payload(), [2; 3]);
}
