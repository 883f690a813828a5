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

mod framing {
    use super::*;

    #[test]
    fn all_three_length_encodings() {
        for role in ROLES {
            for len in [0, 1, 125, 126, 300, 65535, 65536, 70000] {
                let payload: Vec<u8> = (0..len).map(|i| (i * 7) as u8).collect();
                let t = run(role, &frame(role, true, 2, &payload));
                assert_eq!(t.error, None, "{role:?} len {len}");
                assert_eq!(binary(&t), [payload], "{role:?} len {len}");
            }
        }
    }

    #[test]
    fn server_fails_on_unmasked_frames() {
        let t = run(Role::Server, &frame(Role::Client, true, 1, b"hi"));
        assert_fails(Role::Server, &t, 1002, "unmasked");
    }

    #[test]
    fn client_fails_on_masked_frames() {
        let t = run(Role::Client, &frame(Role::Server, true, 1, b"hi"));
        assert_fails(Role::Client, &t, 1002, "masked frame");
    }

    #[test]
    fn several_frames_in_one_read_and_nothing_before_completion() {
        for role in ROLES {
            let mut input = frame(role, true, 1, b"one");
            input.extend(frame(role, true, 2, b"two"));
            input.extend(&frame(role, true, 1, b"three")[..4]);
            let t = run(role, &input);
            assert_eq!(binary(&t), [b"one".to_vec(), b"two".to_vec()], "{role:?}");
            assert!(!t.closed);
        }
    }

    #[test]
    fn payload_length_with_the_high_bit_set_fails() {
        for role in ROLES {
            let mut input = vec![0x82, if role == Role::Server { 0xFF } else { 0x7F }];
            input.extend_from_slice(&(1u64 << 63).to_be_bytes());
            input.extend_from_slice(&[1, 2, 3, 4]);
            let t = run(role, &input);
            assert_fails(role, &t, 1002, "most significant bit");
        }
    }

    #[test]
    fn payload_lengths_not_in_their_minimal_encoding_fail() {
        for role in ROLES {
            let mask_bit = if role == Role::Server { 0x80 } else { 0 };
            // 5 bytes announced in 16 bits, 300 bytes in 64 bits.
            let mut short = vec![0x82, mask_bit | 126, 0, 5];
            let mut long = vec![0x82, mask_bit | 127];
            long.extend_from_slice(&300u64.to_be_bytes());
            for input in [&mut short, &mut long] {
                input.extend_from_slice(&[1, 2, 3, 4]);
                let t = run(role, input);
                assert_fails(role, &t, 1002, "minimal encoding");
            }
        }
    }
}

mod reserved_bits {
    use super::*;

    #[test]
    fn each_reserved_bit_fails_without_an_extension() {
        for role in ROLES {
            for bit in [0x40, 0x20, 0x10] {
                let t = run(role, &raw(role, 0x80 | bit | 1, b"x"));
                assert_fails(role, &t, 1002, "reserved bits");
            }
        }
    }

    #[test]
    fn reserved_bits_on_control_frames_fail() {
        for role in ROLES {
            let t = run(role, &raw(role, 0x80 | 0x40 | 9, b""));
            assert_fails(role, &t, 1002, "reserved bits");
        }
    }
}

mod opcodes {
    use super::*;

    #[test]
    fn unknown_opcodes_fail() {
        for role in ROLES {
            for op in [3u8, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF] {
                let t = run(role, &frame(role, true, op, b""));
                assert_fails(role, &t, 1002, "unknown opcode");
            }
        }
    }

    #[test]
    fn events_before_a_violation_are_still_delivered() {
        for role in ROLES {
            let mut input = frame(role, true, 1, b"ok");
            input.extend(frame(role, true, 0xB, b""));
            let t = run(role, &input);
            assert_eq!(binary(&t), [b"ok".to_vec()]);
            assert_fails(role, &t, 1002, "unknown opcode");
        }
    }
}

mod control_frames {
    use super::*;

    #[test]
    fn control_frames_must_have_fin() {
        for role in ROLES {
            for op in [8, 9, 0xA] {
                let t = run(role, &frame(role, false, op, b""));
                assert_fails(role, &t, 1002, "fragmented control");
            }
        }
    }

    #[test]
    fn control_payload_over_125_fails_and_125_passes() {
        for role in ROLES {
            for op in [8, 9, 0xA] {
                let t = run(role, &frame(role, true, op, &[b'a'; 126]));
                assert_fails(role, &t, 1002, "125");
            }
            let t = run(role, &frame(role, true, 9, &[b'a'; 125]));
            assert_eq!(t.events, [WsEvent::Ping(Bytes::from(vec![b'a'; 125]))]);
        }
    }

    #[test]
    fn control_frames_are_allowed_between_fragments() {
        for role in ROLES {
            let mut input = frame(role, false, 1, b"frag");
            input.extend(frame(role, true, 9, b"p"));
            input.extend(frame(role, true, 0xA, b"q"));
            input.extend(frame(role, true, 0, b"mented"));
            let t = run(role, &input);
            assert_eq!(
                t.events,
                [
                    WsEvent::Ping(Bytes::from_static(b"p")),
                    WsEvent::Pong(Bytes::from_static(b"q")),
                    WsEvent::Message(Message::Text("fragmented".into())),
                ],
                "{role:?}"
            );
        }
    }
}

mod ping_pong {
    use super::*;

    #[test]
    fn ping_is_answered_with_a_pong_echoing_the_payload() {
        for role in ROLES {
            let t = run(role, &frame(role, true, 9, b"are you there?"));
            assert_eq!(
                t.events,
                [WsEvent::Ping(Bytes::from_static(b"are you there?"))]
            );
            assert_eq!(
                sent(role, &t.transmitted),
                [(OpCode::Pong, true, Bytes::from_static(b"are you there?"))]
            );
        }
    }

    #[test]
    fn auto_pong_can_be_turned_off() {
        for role in ROLES {
            let config = WsConfig {
                auto_pong: false,
                ..WsConfig::default()
            };
            let t = run_with(role, config, &frame(role, true, 9, b"x"), false);
            assert_eq!(t.events, [WsEvent::Ping(Bytes::from_static(b"x"))]);
            assert!(t.transmitted.is_empty());
        }
    }

    #[test]
    fn unsolicited_pong_is_an_event_and_needs_no_answer() {
        for role in ROLES {
            let t = run(role, &frame(role, true, 0xA, b"hb"));
            assert_eq!(t.events, [WsEvent::Pong(Bytes::from_static(b"hb"))]);
            assert!(t.transmitted.is_empty());
        }
    }
}

mod fragmentation {
    use super::*;

    #[test]
    fn continuation_without_a_start_fails() {
        for role in ROLES {
            let t = run(role, &frame(role, true, 0, b"orphan"));
            assert_fails(role, &t, 1002, "continuation frame without");
        }
    }

    #[test]
    fn new_data_frame_inside_a_fragmented_message_fails() {
        for role in ROLES {
            for op in [1, 2] {
                let mut input = frame(role, false, 1, b"start");
                input.extend(frame(role, true, op, b"again"));
                let t = run(role, &input);
                assert_fails(role, &t, 1002, "inside a fragmented message");
            }
        }
    }

    #[test]
    fn fragments_are_reassembled_including_empty_ones() {
        for role in ROLES {
            let mut input = frame(role, false, 2, b"");
            input.extend(frame(role, false, 0, b"ab"));
            input.extend(frame(role, false, 0, b""));
            input.extend(frame(role, true, 0, b""));
            let t = run(role, &input);
            assert_eq!(
                t.events,
                [WsEvent::Message(Message::Binary(Bytes::from_static(b"ab")))]
            );
        }
    }

    #[test]
    fn streaming_mode_delivers_each_frame_with_fin() {
        for role in ROLES {
            let config = WsConfig {
                delivery: Delivery::Streaming,
                ..WsConfig::default()
            };
            let mut input = frame(role, false, 1, b"a\xc3");
            input.extend(frame(role, true, 0, b"\xa9"));
            let t = run_with(role, config, &input, false);
            let fragment = |payload: &'static [u8], fin| {
                WsEvent::Fragment(Fragment {
                    kind: DataKind::Text,
                    payload: Bytes::from_static(payload),
                    fin,
                })
            };
            assert_eq!(
                t.events,
                [fragment(b"a\xc3", false), fragment(b"\xa9", true)]
            );
        }
    }
}

mod utf8 {
    use super::*;

    const VALID: &str = "ünïcödé 日本語 🎉 κόσμε";
    const INVALID: &[&[u8]] = &[
        b"\xff",
        b"ab\xc0\xafcd",                                             // overlong '/'
        b"\xed\xa0\x80",                                             // surrogate U+D800
        b"\xf4\x90\x80\x80",                                         // above U+10FFFF
        b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80", // Autobahn 6.3.1
        b"\x80",                                                     // lone continuation
        b"ok\xe2\x82",                                               // truncated at the end
    ];

    #[test]
    fn valid_text_split_across_fragments_at_every_byte() {
        let bytes = VALID.as_bytes();
        for role in ROLES {
            for cut in 0..=bytes.len() {
                let mut input = frame(role, false, 1, &bytes[..cut]);
                input.extend(frame(role, true, 0, &bytes[cut..]));
                let t = run(role, &input);
                assert_eq!(
                    t.events,
                    [WsEvent::Message(Message::Text(VALID.to_string().into()))],
                    "cut {cut}"
                );
            }
        }
    }

    #[test]
    fn invalid_text_fails_with_1007_in_one_frame() {
        for role in ROLES {
            for bad in INVALID {
                let t = run(role, &frame(role, true, 1, bad));
                assert_fails(role, &t, 1007, "invalid UTF-8");
            }
        }
    }

    #[test]
    fn invalid_text_split_across_fragments_at_every_byte_fails() {
        for role in ROLES {
            for bad in INVALID {
                for cut in 0..=bad.len() {
                    let mut input = frame(role, false, 1, &bad[..cut]);
                    input.extend(frame(role, true, 0, &bad[cut..]));
                    let t = run(role, &input);
                    assert_fails(role, &t, 1007, "invalid UTF-8");
                }
            }
        }
    }

    #[test]
    fn fails_fast_without_waiting_for_the_end_of_the_message() {
        for role in ROLES {
            // First fragment only, no FIN ever arrives: the error is already there.
            let t = run(role, &frame(role, false, 1, b"fine so far \xff and more"));
            assert_fails(role, &t, 1007, "invalid UTF-8");
            // Even inside one frame whose payload has not fully arrived.
            let whole = frame(
                role,
                true,
                1,
                &[b"\xc3\x28".as_slice(), &[b'a'; 1000]].concat(),
            );
            let t = run(role, &whole[..whole.len() - 900]);
            assert_fails(role, &t, 1007, "invalid UTF-8");
        }
    }

    #[test]
    fn large_text_frames_back_to_back_are_checked_whatever_the_reads() {
        // Large frames are unmasked while they are copied in, including the
        // start of the next frame that shares their last read: every byte
        // must still be checked once, and an invalid one found.
        let text = VALID.repeat(400); // about 12 KiB per frame
        let mut bad = text.clone().into_bytes();
        bad[5_000] = 0xff;
        for role in ROLES {
            let mut input = frame(role, true, 1, text.as_bytes());
            input.extend(frame(role, true, 1, text.as_bytes()));
            let valid_len = input.len();
            input.extend(frame(role, true, 1, &bad));
            for read in [1, 7, 1000, 4096, 13_000, 30_000, input.len()] {
                let sizes = vec![read; input.len() / read + 1];
                let mut m = machine(role, WsConfig::default());
                let t = feed_sizes(&mut m, &input, &sizes, false, now());
                let texts: Vec<_> = t
                    .events
                    .iter()
                    .filter(
                        |e| matches!(e, WsEvent::Message(Message::Text(s)) if *s == text.as_str()),
                    )
                    .collect();
                assert_eq!(texts.len(), 2, "{role:?} reads of {read}");
                assert_fails(role, &t, 1007, "invalid UTF-8");
                // Without the bad frame, nothing fails.
                let t = feed_sizes(
                    &mut machine(role, WsConfig::default()),
                    &input[..valid_len],
                    &sizes,
                    false,
                    now(),
                );
                assert_eq!(t.error, None, "{role:?} reads of {read}");
            }
        }
    }

    #[test]
    fn incomplete_code_point_at_a_fragment_end_is_fine_until_the_end() {
        for role in ROLES {
            let t = run(role, &frame(role, false, 1, b"\xf0\x9f"));
            assert_eq!((t.error.as_deref(), t.events.len()), (None, 0));
        }
    }

    #[test]
    fn binary_messages_are_not_validated() {
        for role in ROLES {
            let t = run(role, &frame(role, true, 2, b"\xff\xfe"));
            assert_eq!(binary(&t), [b"\xff\xfe".to_vec()]);
        }
    }
}

mod close {
    use super::*;

    #[test]
    fn close_is_echoed_with_its_code_and_ends_the_connection() {
        for role in ROLES {
            let mut input = frame(role, true, 8, b"\x0f\xa1custom \xe2\x9c\x93");
            input.extend(frame(role, true, 1, b"ignored after close"));
            let t = run(role, &input);
            match t.events.as_slice() {
                [WsEvent::Close(Some(c))] => {
                    assert_eq!((c.code, c.reason.as_str()), (4001, "custom ✓"))
                }
                other => panic!("{other:?}"),
            }
            assert_eq!(close_sent(role, &t), Some(4001));
            assert!(t.closed && t.error.is_none());
        }
    }

    #[test]
    fn empty_close_is_answered_with_an_empty_close() {
        for role in ROLES {
            let t = run(role, &frame(role, true, 8, b""));
            assert_eq!(t.events, [WsEvent::Close(None)]);
            assert_eq!(
                sent(role, &t.transmitted),
                [(OpCode::Close, true, Bytes::new())]
            );
        }
    }

    #[test]
    fn one_byte_close_payload_fails() {
        for role in ROLES {
            let t = run(role, &frame(role, true, 8, b"\x03"));
            assert_fails(role, &t, 1002, "1-byte");
        }
    }

    #[test]
    fn valid_codes_pass_and_invalid_codes_fail() {
        for role in ROLES {
            for code in [
                1000u16, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000,
                4999,
            ] {
                let t = run(role, &frame(role, true, 8, &code.to_be_bytes()));
                assert_eq!(close_sent(role, &t), Some(code), "{role:?} {code}");
                assert!(t.error.is_none());
            }
            for code in [0u16, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65535] {
                let t = run(role, &frame(role, true, 8, &code.to_be_bytes()));
                assert_fails(role, &t, 1002, "invalid close code");
            }
        }
    }

    #[test]
    fn close_reason_must_be_utf8() {
        for role in ROLES {
            let t = run(role, &frame(role, true, 8, b"\x03\xe8\xce\xba\xed\xa0\x80"));
            assert_fails(role, &t, 1007, "invalid UTF-8");
        }
    }

    #[test]
    fn after_our_close_data_is_a_local_error_and_the_reply_completes_it() {
        for role in ROLES {
            let mut m = machine(role, WsConfig::default());
            m.close(1000, "bye").unwrap();
            assert_eq!(m.send_text("late"), Err(LocalError::Closing));
            assert_eq!(m.ping(Bytes::new()), Err(LocalError::Closing));
            assert_eq!(m.close(1000, ""), Err(LocalError::Closing));
            // Data in flight from the peer is still delivered, then its close.
            let mut input = frame(role, true, 1, b"in flight");
            input.extend(frame(role, true, 8, b"\x03\xe8"));
            let t = feed_cut(&mut m, &input, &[], false, now());
            assert_eq!(t.events.len(), 2);
            assert!(matches!(&t.events[1], WsEvent::Close(Some(c)) if c.code == 1000));
            // Only our own close went out: a reply is not echoed again.
            let frames = sent(role, &t.transmitted);
            assert_eq!(frames.len(), 1);
            assert!(t.closed);
        }
    }

    #[test]
    fn local_close_arguments_are_checked() {
        for role in ROLES {
            let mut m = machine(role, WsConfig::default());
            assert_eq!(m.close(1005, ""), Err(LocalError::InvalidCloseCode(1005)));
            assert_eq!(
                m.close(1000, &"x".repeat(124)),
                Err(LocalError::CloseReasonTooLong(124))
            );
            assert!(m.poll_transmit().is_none(), "a refused close sends nothing");
            assert!(m.send_text("still open").is_ok());
        }
    }

    #[test]
    fn eof_without_close_is_1006_and_drops_a_partial_frame() {
        for role in ROLES {
            let mut input = frame(role, true, 1, b"complete");
            input.extend(&frame(role, true, 2, b"partial")[..4]);
            let t = run_with(role, WsConfig::default(), &input, true);
            assert_eq!(binary(&t), [b"complete".to_vec()]);
            let error = t.error.expect("1006 reported");
            assert!(
                error.contains("1006") && error.contains("4 bytes"),
                "{error}"
            );
            assert_eq!(
                close_sent(
                    role,
                    &Transcript {
                        transmitted: t.transmitted,
                        ..Transcript {
                            events: vec![],
                            error: None,
                            transmitted: vec![],
                            closed: true
                        }
                    }
                ),
                None
            );
        }
    }

    #[test]
    fn eof_after_the_close_handshake_is_the_normal_end() {
        for role in ROLES {
            let t = run_with(
                role,
                WsConfig::default(),
                &frame(role, true, 8, b"\x03\xe8"),
                true,
            );
            assert!(t.error.is_none() && t.closed);
        }
    }
}

mod limits {
    use super::*;

    fn small() -> WsConfig {
        WsConfig {
            max_frame_size: 100,
            max_message_size: 150,
            ..WsConfig::default()
        }
    }

    #[test]
    fn oversize_frame_fails_from_its_header_alone() {
        for role in ROLES {
            let whole = frame(role, true, 2, &[0; 101]);
            // Only the header (plus mask): no payload needs to arrive.
            let header_len = if role == Role::Server { 6 } else { 2 };
            let t = run_with(role, small(), &whole[..header_len], false);
            assert_fails(role, &t, 1009, "exceeds the limit of 100");
        }
    }

    #[test]
    fn oversize_message_fails_when_the_fragment_is_announced() {
        for role in ROLES {
            let mut input = frame(role, false, 2, &[0; 100]);
            let next = frame(role, true, 0, &[0; 51]);
            input.extend_from_slice(&next[..next.len() - 51]);
            let t = run_with(role, small(), &input, false);
            assert_fails(role, &t, 1009, "exceeds the limit of 150");
        }
    }

    #[test]
    fn streaming_mode_is_bounded_by_the_frame_limit_only() {
        for role in ROLES {
            let config = WsConfig {
                delivery: Delivery::Streaming,
                ..small()
            };
            let mut input = Vec::new();
            for _ in 0..3 {
                input.extend(frame(
                    role,
                    false,
                    if input.is_empty() { 2 } else { 0 },
                    &[7; 100],
                ));
            }
            input.extend(frame(role, true, 0, &[]));
            let t = run_with(role, config, &input, false);
            assert_eq!(t.events.len(), 4);
            assert!(t.error.is_none());
        }
    }

    #[test]
    fn wants_read_stops_when_complete_frames_pile_up() {
        for role in ROLES {
            let mut m = machine(role, WsConfig::default());
            let one = frame(role, true, 2, &[0; 1000]);
            while m.wants_read() {
                m.handle_input(&one, now());
            }
            assert!(m.buffered() >= 64 << 10);
            while let Some(Ok(_)) = m.poll_event() {}
            assert!(m.wants_read(), "pulling the events resumes reading");
            assert_eq!(m.buffered(), 0);
        }
    }

    #[test]
    fn an_announced_length_reserves_nothing_beyond_what_arrived() {
        for role in ROLES {
            let mut m = machine(role, WsConfig::default());
            // A 10 MiB frame announced, 100 payload bytes sent.
            let big = frame(role, true, 2, &vec![3; 10 << 20]);
            let header = if role == Role::Server { 14 } else { 10 };
            m.handle_input(&big[..header + 100], now());
            assert!(m.poll_event().is_none());
            let capacity = m.input_buffer().capacity();
            assert!(capacity <= 128 << 10, "{role:?}: {capacity} bytes reserved");
        }
    }

    #[test]
    fn a_frame_within_eager_reserve_is_reserved_whole_once_checked() {
        for role in ROLES {
            let mut m = machine(role, WsConfig::default());
            let big = frame(role, true, 2, &vec![3; 1 << 20]);
            let header = big.len() - (1 << 20);
            m.handle_input(&big[..header + 100], now());
            assert!(m.poll_event().is_none());
            // The header was consumed: room for the whole payload remains,
            // and drivers are told to read into it.
            let reserved = m.input_buffer().capacity();
            assert!(reserved >= 1 << 20, "{role:?}: {reserved}");
            assert_eq!(m.input_needed(), Some((1 << 20) - 100));
            // The rest arrives without the buffer moving or growing.
            let at = m.input_buffer().as_ptr();
            for piece in big[header + 100..].chunks(64 << 10) {
                m.handle_input(piece, now());
                assert_eq!(m.input_buffer().as_ptr(), at, "{role:?}: no regrowth");
            }
            assert_eq!(m.input_needed(), None, "complete");
            assert!(
                matches!(m.poll_event(), Some(Ok(WsEvent::Message(msg))) if msg.payload().len() == 1 << 20)
            );
            // Past eager_reserve the old bound holds: 128 KiB to start.
            let small = WsConfig {
                eager_reserve: 64 << 10,
                ..WsConfig::default()
            };
            let mut m = machine(role, small);
            m.handle_input(&big[..header + 100], now());
            assert!(m.poll_event().is_none());
            assert!(m.input_buffer().capacity() <= 128 << 10);
        }
    }

    #[test]
    fn large_frames_back_to_back_survive_any_read_sizes() {
        // Large frames arrive in a buffer of their own, and bytes past a
        // frame's end are kept apart: the order must hold whatever the reads.
        for role in ROLES {
            let mut input = Vec::new();
            let mut expected = Vec::new();
            for (i, len) in [70_000usize, 5_000, 9, 130_000, 4_096]
                .into_iter()
                .enumerate()
            {
                let payload: Vec<u8> = (0..len).map(|j| (j * 3 + i) as u8).collect();
                input.extend(frame(role, true, 2, &payload));
                expected.push(payload);
            }
            for read in [1000, 4096, 65_536, 100_000] {
                let sizes = vec![read; input.len() / read + 1];
                let t = feed_sizes(
                    &mut machine(role, WsConfig::default()),
                    &input,
                    &sizes,
                    false,
                    now(),
                );
                assert_eq!(binary(&t), expected, "{role:?} reads of {read}");
            }
        }
    }

    #[test]
    fn a_dropped_large_frame_leaves_its_buffer_to_the_next_one() {
        // Two 1 MiB frames in 64 KiB pieces: the first piece past the first
        // frame spills. Once the first payload is dropped, the second frame
        // is written into the first one's buffer, not a fresh one.
        for role in ROLES {
            let mut input = frame(role, true, 2, &vec![1; 1 << 20]);
            input.extend(frame(role, true, 2, &vec![2; 1 << 20]));
            let mut m = machine(role, WsConfig::default());
            let mut payloads = Vec::new();
            for piece in input.chunks(64 << 10) {
                m.handle_input(piece, now());
                while let Some(event) = m.poll_event() {
                    let Ok(WsEvent::Message(Message::Binary(payload))) = event else {
                        panic!("{role:?}: {event:?}");
                    };
                    payloads.push((payload.as_ptr() as usize, payload[0], payload.len()));
                }
            }
            let [(first, 1, len1), (second, 2, len2)] = payloads[..] else {
                panic!("{role:?}: {payloads:?}");
            };
            assert_eq!((len1, len2), (1 << 20, 1 << 20));
            assert_eq!(first, second, "{role:?}: the same buffer");
        }
    }

    #[test]
    fn a_large_frame_in_progress_keeps_reading() {
        for role in ROLES {
            let mut m = machine(role, WsConfig::default());
            let big = frame(role, true, 2, &vec![1; 200_000]);
            m.handle_input(&big[..150_000], now());
            assert!(m.poll_event().is_none());
            assert!(m.wants_read(), "the frame cannot complete otherwise");
            m.handle_input(&big[150_000..], now());
            assert!(
                matches!(m.poll_event(), Some(Ok(WsEvent::Message(Message::Binary(b)))) if b.len() == 200_000)
            );
        }
    }
}

mod sending {
    use super::*;

    #[test]
    fn server_payloads_go_out_zero_copy_next_to_their_header() {
        let mut m = machine(Role::Server, WsConfig::default());
        let payload = Bytes::from(vec![5u8; 2000]);
        m.send_binary(payload.clone()).unwrap();
        let header = m.poll_transmit().unwrap();
        assert_eq!(&header[..], [0x82, 126, 0x07, 0xD0]);
        let body = m.poll_transmit().unwrap();
        assert_eq!(
            body.as_ptr(),
            payload.as_ptr(),
            "the same memory, not a copy"
        );
        assert!(m.poll_transmit().is_none());
    }

    #[test]
    fn small_server_payloads_go_out_in_one_piece_with_their_header() {
        let mut m = machine(Role::Server, WsConfig::default());
        for size in [0, 125, 126, 1024] {
            let payload = vec![5u8; size];
            m.send_binary(payload.clone()).unwrap();
            let frame = m.poll_transmit().unwrap();
            let header = if size < 126 { 2 } else { 4 };
            assert_eq!(frame.len(), header + size, "{size} B");
            assert_eq!(&frame[header..], &payload[..]);
            assert!(m.poll_transmit().is_none());
        }
    }

    #[test]
    fn messages_are_fragmented_at_the_configured_size() {
        for role in ROLES {
            let config = WsConfig {
                fragment_size: 4,
                ..WsConfig::default()
            };
            let mut m = machine(role, config);
            m.send_text("0123456789").unwrap();
            let mut wire = Vec::new();
            while let Some(b) = m.poll_transmit() {
                wire.extend_from_slice(&b);
            }
            let frames = sent(role, &wire);
            let shape: Vec<_> = frames
                .iter()
                .map(|(op, fin, p)| (*op, *fin, p.len()))
                .collect();
            assert_eq!(
                shape,
                [
                    (OpCode::Text, false, 4),
                    (OpCode::Continuation, false, 4),
                    (OpCode::Continuation, true, 2)
                ]
            );
            let joined: Vec<u8> = frames.iter().flat_map(|(_, _, p)| p.to_vec()).collect();
            assert_eq!(joined, b"0123456789");
        }
    }

    #[test]
    fn client_masks_with_keys_from_the_random_source() {
        let wire = |seed| {
            let mut m =
                WsConnection::accepted_client(WsConfig::default(), None, SeededRandom::new(seed));
            m.send_binary(Bytes::from_static(b"same payload")).unwrap();
            m.poll_transmit().unwrap()
        };
        let (a, b, c) = (wire(1), wire(1), wire(2));
        assert_eq!(a, b, "deterministic for a seed");
        assert_ne!(a[2..6], c[2..6], "the key comes from the source");
        assert_eq!(a[1] & 0x80, 0x80);
        assert_eq!(
            sent(Role::Client, &a),
            [(OpCode::Binary, true, Bytes::from_static(b"same payload"))]
        );
    }

    #[test]
    fn control_payload_limits_are_local_errors() {
        for role in ROLES {
            let mut m = machine(role, WsConfig::default());
            assert_eq!(m.ping(vec![0; 126]), Err(LocalError::ControlTooLong(126)));
            assert_eq!(m.pong(vec![0; 126]), Err(LocalError::ControlTooLong(126)));
            assert!(m.ping(vec![0; 125]).is_ok());
            // Local errors through the Machine API are their own variant.
            let err = m.handle_command(
                wirestate_websocket::WsCommand::Ping(Bytes::from(vec![0; 200])),
                now(),
            );
            assert!(matches!(
                err,
                Err(WsError::Local(LocalError::ControlTooLong(200)))
            ));
        }
    }
}

mod timers {
    use super::*;

    #[test]
    fn keepalive_pings_then_fails_without_an_answer() {
        for role in ROLES {
            let keepalive = Keepalive {
                interval: Duration::from_secs(10),
                timeout: Duration::from_secs(5),
            };
            let config = WsConfig {
                keepalive: Some(keepalive),
                ..WsConfig::default()
            };
            let mut m = machine(role, config);
            let t0 = now();
            assert_eq!(m.poll_timeout(), None, "armed by the first input");
            m.handle_input(&frame(role, true, 0xA, b""), t0);
            while m.poll_event().is_some() {}
            assert_eq!(m.poll_timeout(), Some(t0 + Duration::from_secs(10)));
            m.handle_timeout(t0 + Duration::from_secs(9));
            assert!(m.poll_transmit().is_none(), "early calls are no-ops");
            m.handle_timeout(t0 + Duration::from_secs(10));
            let ping = m.poll_transmit().unwrap();
            assert_eq!(sent(role, &ping), [(OpCode::Ping, true, Bytes::new())]);
            assert_eq!(m.poll_timeout(), Some(t0 + Duration::from_secs(15)));
            m.handle_timeout(t0 + Duration::from_secs(15));
            assert!(matches!(
                m.poll_event(),
                Some(Err(WsError::KeepaliveTimeout(_)))
            ));
            assert!(m.poll_event().is_none());
            assert!(m.is_closed());
        }
    }

    #[test]
    fn any_input_answers_the_keepalive() {
        let config = WsConfig {
            keepalive: Some(Keepalive {
                interval: Duration::from_secs(10),
                timeout: Duration::from_secs(5),
            }),
            ..WsConfig::default()
        };
        let mut m = machine(Role::Server, config);
        let t0 = now();
        m.handle_input(&frame(Role::Server, true, 0xA, b""), t0);
        m.handle_timeout(t0 + Duration::from_secs(10));
        m.handle_input(
            &frame(Role::Server, true, 0xA, b""),
            t0 + Duration::from_secs(12),
        );
        assert_eq!(m.poll_timeout(), Some(t0 + Duration::from_secs(22)));
        m.handle_timeout(t0 + Duration::from_secs(15));
        assert!(!m.is_closed());
    }

    #[test]
    fn idle_timeout_sends_going_away_and_fails() {
        for role in ROLES {
            let config = WsConfig {
                idle_timeout: Some(Duration::from_secs(30)),
                ..WsConfig::default()
            };
            let mut m = machine(role, config);
            let t0 = now();
            m.handle_input(&frame(role, true, 1, b"x"), t0);
            assert!(m.poll_event().is_some());
            assert_eq!(m.poll_timeout(), Some(t0 + Duration::from_secs(30)));
            m.handle_timeout(t0 + Duration::from_secs(30));
            assert!(matches!(m.poll_event(), Some(Err(WsError::IdleTimeout(_)))));
            let mut wire = Vec::new();
            while let Some(b) = m.poll_transmit() {
                wire.extend_from_slice(&b);
            }
            let frames = sent(role, &wire);
            assert_eq!(frames.len(), 1);
            assert_eq!(&frames[0].2[..2], 1001u16.to_be_bytes());
            assert!(m.is_closed() && m.poll_timeout().is_none());
        }
    }
}

mod handshake {
    use super::*;
    use wirestate_websocket::{Accept, ClientRequest, HandshakeError, Reject, WsConnection};

    const KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";
    const REQUEST: &str =
        "GET /chat?room=7 HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\n\
        Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
        Sec-WebSocket-Protocol: chat, superchat\r\nSec-WebSocket-Version: 13\r\n\r\n";
    const RESPONSE: &str = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\
        Connection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n";

    fn text(t: &Transcript<WsEvent>) -> String {
        String::from_utf8_lossy(&t.transmitted).into_owned()
    }

    #[test]
    fn server_keeps_frames_that_arrive_with_the_request() {
        let mut input = REQUEST.as_bytes().to_vec();
        input.extend(frame(Role::Server, true, 1, b"early"));
        let t = assert_chunk_independent(
            || WsConnection::server_auto_accept(WsConfig::default()),
            &input,
            false,
            now(),
        );
        match t.events.as_slice() {
            [WsEvent::Request(r), WsEvent::Message(Message::Text(m))] => {
                assert_eq!(
                    (r.path.as_str(), r.query.as_deref()),
                    ("/chat", Some("room=7"))
                );
                assert_eq!(r.protocols, ["chat", "superchat"]);
                assert_eq!(m, "early");
            }
            other => panic!("{other:?}"),
        }
        assert!(text(&t).starts_with("HTTP/1.1 101 Switching Protocols\r\n"));
        assert!(text(&t).contains("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"));
    }

    #[test]
    fn server_answers_bad_requests_with_the_right_status() {
        let cases: &[(String, &str, usize)] = &[
            (
                REQUEST.replace("Version: 13", "Version: 8"),
                "HTTP/1.1 426 Upgrade Required\r\nSec-WebSocket-Version: 13\r\n",
                64,
            ),
            (
                REQUEST.replace("GET", "POST"),
                "HTTP/1.1 400 Bad Request\r\n",
                64,
            ),
            (
                REQUEST.replace("Upgrade: websocket\r\n", ""),
                "HTTP/1.1 400 Bad Request\r\n",
                64,
            ),
            (
                "GET / HTTP/1.1\r\nBad Header\r\n\r\n".to_string(),
                "HTTP/1.1 400 Bad Request\r\n",
                64,
            ),
            (REQUEST.to_string(), "HTTP/1.1 431 ", 3),
        ];
        for (request, answer, max_headers) in cases {
            let config = WsConfig {
                max_headers: *max_headers,
                ..WsConfig::default()
            };
            let t = assert_chunk_independent(
                || WsConnection::server(config.clone()),
                request.as_bytes(),
                false,
                now(),
            );
            assert!(text(&t).starts_with(answer), "{request:?} -> {}", text(&t));
            assert!(
                t.error.is_some() && t.closed && t.events.is_empty(),
                "{request:?}"
            );
        }
    }

    #[test]
    fn server_limits_the_head_size() {
        let config = WsConfig {
            max_handshake_size: 64,
            ..WsConfig::default()
        };
        let t = assert_chunk_independent(
            || WsConnection::server(config.clone()),
            REQUEST.as_bytes(),
            false,
            now(),
        );
        assert!(text(&t).starts_with("HTTP/1.1 431 "), "{}", text(&t));
        let error = t.error.unwrap();
        assert!(error.contains("larger than 64"), "{error}");
    }

    #[test]
    fn server_application_rejects_with_status_headers_and_body() {
        let mut server = WsConnection::server(WsConfig::default());
        server.handle_input(REQUEST.as_bytes(), now());
        assert!(matches!(server.poll_event(), Some(Ok(WsEvent::Request(_)))));
        assert!(
            !server.wants_read(),
            "no reading while the application decides"
        );
        server
            .reject(Reject {
                status: 401,
                headers: vec![("WWW-Authenticate".into(), "Bearer".into())],
                body: Bytes::from_static(b"login first"),
            })
            .unwrap();
        let answer = server.poll_transmit().unwrap();
        assert_eq!(
            std::str::from_utf8(&answer).unwrap(),
            "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Bearer\r\nConnection: close\r\nContent-Length: 11\r\n\r\nlogin first"
        );
        assert!(server.is_closed());
        assert_eq!(server.send_text("no"), Err(LocalError::Closing));
    }

    #[test]
    fn server_accepts_only_an_offered_subprotocol() {
        let mut server = WsConnection::server(WsConfig::default());
        server.handle_input(REQUEST.as_bytes(), now());
        let _ = server.poll_event();
        let wrong = Accept {
            protocol: Some("mqtt".into()),
            headers: vec![],
        };
        assert_eq!(
            server.accept(wrong),
            Err(LocalError::ProtocolNotOffered("mqtt".into()))
        );
        assert!(server.poll_transmit().is_none());
        let right = Accept {
            protocol: Some("superchat".into()),
            headers: vec![],
        };
        server.accept(right).unwrap();
        let answer = server.poll_transmit().unwrap();
        assert!(std::str::from_utf8(&answer)
            .unwrap()
            .contains("Sec-WebSocket-Protocol: superchat\r\n"));
        assert_eq!(
            server.accept(Accept::default()),
            Err(LocalError::NoPendingRequest)
        );
    }

    #[test]
    fn server_eof_during_the_handshake_is_an_error() {
        let t = feed_cut(
            &mut WsConnection::server(WsConfig::default()),
            &REQUEST.as_bytes()[..30],
            &[],
            true,
            now(),
        );
        assert_eq!(
            t.error,
            Some(WsError::Handshake(HandshakeError::Eof).to_string())
        );
    }

    fn client() -> WsConnection {
        let request = ClientRequest::new("server.example.com", "/chat")
            .protocol("chat")
            .with_key(KEY);
        WsConnection::client(request, WsConfig::default(), SeededRandom::new(5)).unwrap()
    }

    #[test]
    fn client_validates_the_answer_and_keeps_following_frames() {
        let mut input = RESPONSE
            .replace("\r\n\r\n", "\r\nSec-WebSocket-Protocol: chat\r\n\r\n")
            .into_bytes();
        input.extend(frame(Role::Client, true, 1, b"welcome"));
        let t = assert_chunk_independent(client, &input, false, now());
        match t.events.as_slice() {
            [WsEvent::Connected(r), WsEvent::Message(Message::Text(m))] => {
                assert_eq!(r.protocol.as_deref(), Some("chat"));
                assert_eq!(m, "welcome");
            }
            other => panic!("{other:?}"),
        }
        assert!(
            text(&t).starts_with("GET /chat HTTP/1.1\r\n"),
            "the request went out first"
        );
    }

    #[test]
    fn client_reports_redirects_and_refusals_as_typed_errors() {
        let mut c = client();
        c.handle_input(
            b"HTTP/1.1 301 Moved\r\nLocation: wss://elsewhere/\r\n\r\n",
            now(),
        );
        match c.poll_event() {
            Some(Err(WsError::Handshake(HandshakeError::Redirect {
                status: 301,
                location,
                ..
            }))) => {
                assert_eq!(location.as_deref(), Some("wss://elsewhere/"))
            }
            other => panic!("{other:?}"),
        }
        assert!(c.is_closed() && c.poll_event().is_none());

        let mut c = client();
        c.handle_input(b"HTTP/1.1 403 Forbidden\r\nX-Why: no\r\n\r\n", now());
        assert!(matches!(
            c.poll_event(),
            Some(Err(WsError::Handshake(HandshakeError::Status {
                status: 403,
                ..
            })))
        ));

        let mut c = client();
        c.handle_input(RESPONSE.replace("xOo=", "xOp=").as_bytes(), now());
        assert!(matches!(
            c.poll_event(),
            Some(Err(WsError::Handshake(HandshakeError::BadAccept)))
        ));
    }

    #[test]
    fn client_cannot_send_before_the_handshake() {
        let mut c = client();
        assert_eq!(c.send_text("too early"), Err(LocalError::NotOpen));
    }
}
