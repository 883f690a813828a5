//! Table-driven tests of the machine: every decoding case is fed whole, one
//! byte at a time and at several cuts, and must give the same transcript.

use std::time::Instant;

use bytes::{Bytes, BytesMut};
use wirestate_core::testing::feed_cut;
use wirestate_core::testing::table::{case, run, Case};
use wirestate_core::Machine;

use crate::{
    LengthCommand, LengthConfig, LengthConnection, LengthError, LengthEvent, LengthField,
    LocalError, OversizePolicy,
};

fn frame(bytes: &[u8]) -> LengthEvent {
    LengthEvent::Frame(Bytes::copy_from_slice(bytes))
}

fn oversize(len: u64) -> LengthEvent {
    LengthEvent::Oversize { len }
}

fn cat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

fn cases() -> Vec<Case<LengthConfig, LengthEvent>> {
    let u16 = || LengthConfig::new(LengthField::U16);
    let varint = || LengthConfig::new(LengthField::Varint);
    let x127 = [b'x'; 127];
    let x128 = [b'x'; 128];
    vec![
        case(
            "incomplete header waits",
            LengthConfig::erlang(4),
            b"\0\0\0",
            vec![],
        ),
        case(
            "incomplete payload waits",
            LengthConfig::erlang(2),
            b"\0\x05hel",
            vec![],
        ),
        case(
            "several frames in one push, then a clean EOF",
            LengthConfig::erlang(2),
            b"\0\x01a\0\x02bc\0\0\0\x03def",
            vec![frame(b"a"), frame(b"bc"), frame(b""), frame(b"def")],
        )
        .at_eof(),
        case(
            "zero-length frames only",
            LengthConfig::erlang(1),
            b"\0\0\0",
            vec![frame(b""), frame(b""), frame(b"")],
        )
        .at_eof(),
        case(
            "EOF inside the header",
            LengthConfig::erlang(4),
            b"\0\0\0\x01x\0\0",
            vec![frame(b"x")],
        )
        .at_eof()
        .fails(LengthError::Truncated { missing: 2 }),
        case(
            "EOF inside the payload",
            LengthConfig::erlang(2),
            b"\0\x05he",
            vec![],
        )
        .at_eof()
        .fails(LengthError::Truncated { missing: 3 }),
        case(
            "oversize, Fail: fatal at the offending header",
            LengthConfig::erlang(2).max_frame_length(3),
            b"\0\x03abc\0\x04abcd\0\x01z",
            vec![frame(b"abc")],
        )
        .at_eof()
        .fails(LengthError::Oversize {
            len: 4,
            max: 3,
            offset: 5,
        }),
        case(
            "oversize, Skip: event, bytes discarded, next frame decoded",
            LengthConfig::erlang(2)
                .max_frame_length(3)
                .oversize(OversizePolicy::Skip),
            b"\0\x03abc\0\x04abcd\0\x01z",
            vec![frame(b"abc"), oversize(4), frame(b"z")],
        )
        .at_eof(),
        case(
            "oversize, Skip: EOF inside the skipped frame",
            LengthConfig::erlang(2)
                .max_frame_length(3)
                .oversize(OversizePolicy::Skip),
            b"\0\x10abcd",
            vec![oversize(16)],
        )
        .at_eof()
        .fails(LengthError::Truncated { missing: 12 }),
        case(
            "oversize, Skip, kept header and offset: the whole frame is skipped",
            u16()
                .length_offset(1)
                .keep_header(true)
                .max_frame_length(2)
                .oversize(OversizePolicy::Skip),
            b"T\0\x03abcT\0\x02de",
            vec![oversize(3), frame(b"T\0\x02de")],
        )
        .at_eof(),
        case(
            "positive adjustment: the field leaves out 2 bytes",
            u16().length_adjustment(2),
            b"\0\x01abc\0\0xy",
            vec![frame(b"abc"), frame(b"xy")],
        )
        .at_eof(),
        case(
            "negative adjustment: the field counts itself",
            u16().length_adjustment(-2),
            b"\0\x05abc\0\x02",
            vec![frame(b"abc"), frame(b"")],
        )
        .at_eof(),
        case(
            "negative adjustment: a field below it is fatal",
            u16().length_adjustment(-2),
            b"\0\x05abc\0\x01",
            vec![frame(b"abc")],
        )
        .fails(LengthError::LengthUnderflow {
            field: 1,
            adjustment: -2,
            offset: 5,
        }),
        case(
            "the limit applies to the adjusted length",
            u16().length_adjustment(-2).max_frame_length(3),
            b"\0\x05abc\0\x06abcd",
            vec![frame(b"abc")],
        )
        .fails(LengthError::Oversize {
            len: 4,
            max: 3,
            offset: 5,
        }),
        case(
            "offset, header stripped",
            u16().length_offset(2),
            b"TT\0\x03abcUU\0\0",
            vec![frame(b"abc"), frame(b"")],
        )
        .at_eof(),
        case(
            "offset, header kept",
            u16().length_offset(2).keep_header(true),
            b"TT\0\x03abcUU\0\0",
            vec![frame(b"TT\0\x03abc"), frame(b"UU\0\0")],
        )
        .at_eof(),
        case(
            "header kept, length counts the whole frame",
            LengthConfig::new(LengthField::U32)
                .length_adjustment(-4)
                .keep_header(true),
            b"\0\0\0\x06ab\0\0\0\x04",
            vec![frame(b"\0\0\0\x06ab"), frame(b"\0\0\0\x04")],
        )
        .at_eof(),
        case(
            "little endian",
            LengthConfig::new(LengthField::U32).little_endian(),
            b"\x03\0\0\0abc\x01\0\0\0d",
            vec![frame(b"abc"), frame(b"d")],
        )
        .at_eof(),
        case(
            "3-byte field",
            LengthConfig::new(LengthField::U24),
            cat(&[b"\0\x01\x00", &[b'q'; 256], b"\0\0\x01z"]),
            vec![frame(&[b'q'; 256]), frame(b"z")],
        )
        .at_eof(),
        case(
            "3-byte field, little endian",
            LengthConfig::new(LengthField::U24).little_endian(),
            cat(&[b"\x00\x01\0", &[b'q'; 256]]),
            vec![frame(&[b'q'; 256])],
        )
        .at_eof(),
        case(
            "8-byte field",
            LengthConfig::new(LengthField::U64),
            b"\0\0\0\0\0\0\0\x02hi",
            vec![frame(b"hi")],
        )
        .at_eof(),
        case(
            "8-byte field announcing 2^64-1: oversize, nothing reserved",
            LengthConfig::new(LengthField::U64).oversize(OversizePolicy::Skip),
            b"\xff\xff\xff\xff\xff\xff\xff\xffabc",
            vec![oversize(u64::MAX)],
        )
        .at_eof()
        .fails(LengthError::Truncated {
            missing: u64::MAX - 11,
        }),
        case(
            "{packet,1} at its largest",
            LengthConfig::erlang(1),
            cat(&[b"\xff", &[7; 255]]),
            vec![frame(&[7; 255])],
        )
        .at_eof(),
        case(
            "varint 0, 127 and 128",
            varint(),
            cat(&[b"\x00\x7f", &x127, b"\x80\x01", &x128]),
            vec![frame(b""), frame(&x127), frame(&x128)],
        )
        .at_eof(),
        case(
            "varint 2^63: over the limit",
            varint(),
            b"\x80\x80\x80\x80\x80\x80\x80\x80\x80\x01",
            vec![],
        )
        .fails(LengthError::Oversize {
            len: 1 << 63,
            max: crate::DEFAULT_MAX_FRAME_LENGTH,
            offset: 0,
        }),
        case(
            "varint over 64 bits: tenth byte above 1",
            varint(),
            b"\x01x\xff\xff\xff\xff\xff\xff\xff\xff\xff\x02",
            vec![frame(b"x")],
        )
        .fails(LengthError::VarintOverflow { offset: 2 }),
        case(
            "varint over 64 bits: continuation on the tenth byte",
            varint(),
            vec![0x80; 10],
            vec![],
        )
        .fails(LengthError::VarintOverflow { offset: 0 }),
        case(
            "varint non-minimal: rejected by default",
            varint(),
            b"\x01x\x80\x00",
            vec![frame(b"x")],
        )
        .fails(LengthError::NonMinimalVarint { offset: 2 }),
        case(
            "varint non-minimal: allowed on request",
            varint().allow_non_minimal_varint(true),
            b"\x81\x80\x00x\x80\x80\x80\x80\x80\x80\x80\x80\x80\x00",
            vec![frame(b"x"), frame(b"")],
        )
        .at_eof(),
        case(
            "varint after an offset, header kept",
            varint().length_offset(1).keep_header(true),
            b"T\x02ab",
            vec![frame(b"T\x02ab")],
        )
        .at_eof(),
        case(
            "varint cut at EOF",
            varint(),
            b"\x01x\x80",
            vec![frame(b"x")],
        )
        .at_eof()
        .fails(LengthError::Truncated { missing: 1 }),
    ]
}

#[test]
fn decoding_table() {
    run(cases(), |framing| LengthConnection::new(framing.clone()));
}

#[test]
fn header_split_at_every_byte() {
    // Two frames, every cut position on its own and every pair of cuts.
    let input = b"\x00\x00\x00\x03abc\x00\x00\x00\x00\x00\x00\x00\x01z";
    let now = Instant::now();
    let expected = vec![frame(b"abc"), frame(b""), frame(b"z")];
    for a in 0..=input.len() {
        for b in a..=input.len() {
            let mut machine = LengthConnection::new(LengthConfig::erlang(4));
            let transcript = feed_cut(&mut machine, input, &[a, b], true, now);
            assert_eq!(transcript.events, expected, "cuts {a} {b}");
            assert!(transcript.closed && transcript.error.is_none());
        }
    }
}

#[test]
fn lowering_the_limit_applies_to_a_header_already_parsed() {
    let now = Instant::now();
    let mut machine = LengthConnection::new(LengthConfig::erlang(2));
    machine.handle_input(b"\0\x02ab\0\x05ab", now);
    assert_eq!(machine.poll_event(), Some(Ok(frame(b"ab"))));
    assert_eq!(machine.poll_event(), None); // second header parsed, payload partial
    machine.set_max_frame_length(4);
    machine.handle_input(b"cde", now);
    assert_eq!(
        machine.poll_event(),
        Some(Err(LengthError::Oversize {
            len: 5,
            max: 4,
            offset: 4
        }))
    );
    assert_eq!(machine.poll_event(), None);
    assert!(machine.is_closed());
}

#[test]
fn raising_the_limit_lets_longer_frames_through() {
    let now = Instant::now();
    let mut machine = LengthConnection::new(
        LengthConfig::erlang(2)
            .max_frame_length(2)
            .oversize(OversizePolicy::Skip),
    );
    machine.handle_input(b"\0\x03abc\0\x02de\0\x03fgh", now);
    assert_eq!(machine.poll_event(), Some(Ok(oversize(3))));
    assert_eq!(machine.poll_event(), Some(Ok(frame(b"de"))));
    machine.set_max_frame_length(3);
    assert_eq!(machine.config().frame_length_limit(), 3);
    assert_eq!(machine.poll_event(), Some(Ok(frame(b"fgh"))));
}

#[test]
fn changing_the_limit_between_events_is_chunk_independent() {
    // The limit drops after the first frame; whatever the cuts, the second
    // frame (header maybe parsed before the change) is checked against it.
    let input = b"\0\x02ab\0\x05abcde\0\x01z";
    let now = Instant::now();
    for cut in 0..=input.len() {
        let mut machine =
            LengthConnection::new(LengthConfig::erlang(2).oversize(OversizePolicy::Skip));
        let mut events = Vec::new();
        for piece in [&input[..cut], &input[cut..]] {
            machine.handle_input(piece, now);
            while let Some(event) = machine.poll_event() {
                events.push(event.unwrap());
                machine.set_max_frame_length(4);
            }
        }
        assert_eq!(
            events,
            [frame(b"ab"), oversize(5), frame(b"z")],
            "cut {cut}"
        );
    }
}

#[test]
fn skipped_bytes_are_never_buffered() {
    let now = Instant::now();
    let framing = LengthConfig::erlang(4)
        .max_frame_length(16)
        .oversize(OversizePolicy::Skip);
    let mut machine = LengthConnection::new(framing);
    machine.handle_input(b"\0\x10\0\0", now); // announces 1 MiB
    assert_eq!(machine.poll_event(), Some(Ok(oversize(1 << 20))));
    for _ in 0..16 {
        machine.handle_input(&[0; 65_536], now);
        assert_eq!(machine.buffered(), 0);
        assert!(machine.wants_read());
    }
    machine.handle_input(b"\0\0\0\x01!", now);
    assert_eq!(machine.poll_event(), Some(Ok(frame(b"!"))));
}

#[test]
fn nothing_is_reserved_for_an_announced_length() {
    let now = Instant::now();
    let mut machine = LengthConnection::new(LengthConfig::erlang(4));
    machine.handle_input(b"\0\x7f\xff\xff", now); // 8 MiB - 1: allowed
    assert_eq!(machine.poll_event(), None);
    assert!(machine.input_buffer().capacity() < 4096);
}

#[test]
fn frames_share_the_input_buffer() {
    let now = Instant::now();
    let mut machine = LengthConnection::new(LengthConfig::erlang(2));
    let buffer = machine.input_buffer();
    buffer.extend_from_slice(b"\0\x05hello\0\x03abc");
    let range = buffer.as_ptr() as usize..buffer.as_ptr() as usize + buffer.len();
    machine.handle_buffered_input(now);
    for expected in [&b"hello"[..], b"abc"] {
        let Some(Ok(LengthEvent::Frame(frame))) = machine.poll_event() else {
            panic!("expected a frame");
        };
        assert_eq!(frame, expected);
        assert!(
            range.contains(&(frame.as_ptr() as usize)),
            "frame was copied"
        );
    }
}

#[test]
fn wants_read_follows_the_high_water_mark() {
    let now = Instant::now();
    let mut machine = LengthConnection::new(LengthConfig::erlang(1));
    machine.set_input_high_water(6);
    assert_eq!(machine.input_high_water(), 6);
    machine.handle_input(b"\x01a\x01b", now);
    assert!(machine.wants_read());
    machine.handle_input(b"\x01c", now);
    assert!(!machine.wants_read(), "6 bytes buffered, none taken");
    while let Some(event) = machine.poll_event() {
        event.unwrap();
    }
    assert!(machine.wants_read());

    // A frame larger than the mark keeps reading open until it is complete.
    machine.handle_input(b"\x14abcdefgh", now);
    assert_eq!(machine.poll_event(), None);
    assert!(machine.wants_read(), "the frame needs 21 bytes");
    machine.handle_input(b"ijklmnopqrst", now);
    assert!(!machine.wants_read(), "complete frame not taken yet");
    assert_eq!(
        machine.poll_event(),
        Some(Ok(frame(b"abcdefghijklmnopqrst")))
    );
    assert!(machine.wants_read());

    machine.handle_eof(now);
    assert!(!machine.wants_read());
}

#[test]
fn a_fatal_error_poisons_the_machine() {
    let now = Instant::now();
    let mut machine = LengthConnection::new(LengthConfig::erlang(1).max_frame_length(1));
    machine.handle_input(b"\x02ab\x01c", now);
    assert!(matches!(
        machine.poll_event(),
        Some(Err(LengthError::Oversize { .. }))
    ));
    assert_eq!(machine.poll_event(), None);
    machine.handle_input(b"\x01d", now);
    assert_eq!(machine.poll_event(), None);
    assert_eq!(machine.buffered(), 0);
    assert!(machine.is_closed());
    assert!(!machine.wants_read());
    assert_eq!(
        machine.send(Bytes::from_static(b"x")),
        Err(LocalError::Closed)
    );
    assert_eq!(machine.poll_transmit(), None);
}

#[test]
fn buffered_frames_come_out_after_eof_and_later_input_is_ignored() {
    let now = Instant::now();
    let mut machine = LengthConnection::new(LengthConfig::erlang(1));
    machine.handle_input(b"\x01a\x01b", now);
    machine.handle_eof(now);
    assert!(!machine.is_closed());
    machine.handle_input(b"\x01c", now);
    assert_eq!(machine.poll_event(), Some(Ok(frame(b"a"))));
    assert_eq!(machine.poll_event(), Some(Ok(frame(b"b"))));
    assert_eq!(machine.poll_event(), None);
    assert!(machine.is_closed());
    // Half-close: this side may still answer.
    machine.send(Bytes::from_static(b"bye")).unwrap();
    assert_eq!(machine.poll_transmit().unwrap(), &b"\x03"[..]);
}

#[test]
fn send_queues_header_and_payload_untouched() {
    let now = Instant::now();
    let mut machine = LengthConnection::new(LengthConfig::new(LengthField::Varint));
    let payload = Bytes::from(vec![9u8; 300]);
    machine.send(payload.clone()).unwrap();
    machine
        .handle_command(LengthCommand::Send(Bytes::new()), now)
        .unwrap();
    assert_eq!(machine.poll_transmit().unwrap(), &[0xac, 0x02][..]);
    let sent = machine.poll_transmit().unwrap();
    assert_eq!(sent.as_ptr(), payload.as_ptr(), "payload was copied");
    assert_eq!(machine.poll_transmit().unwrap(), &[0x00][..]);
    assert_eq!(machine.poll_transmit(), None);
    assert_eq!(machine.poll_timeout(), None);
}

#[test]
fn encoder_table() {
    let u16 = || LengthConfig::new(LengthField::U16);
    type EncoderCase = (
        &'static str,
        LengthConfig,
        usize,
        Result<&'static [u8], LocalError>,
    );
    let cases: Vec<EncoderCase> = vec![
        ("{packet,1} max", LengthConfig::erlang(1), 255, Ok(b"\xff")),
        (
            "{packet,1} over the field",
            LengthConfig::erlang(1),
            256,
            Err(LocalError::PayloadTooLarge { len: 256, max: 255 }),
        ),
        (
            "over the configured limit",
            LengthConfig::erlang(4).max_frame_length(10),
            11,
            Err(LocalError::PayloadTooLarge { len: 11, max: 10 }),
        ),
        ("zero length", LengthConfig::erlang(4), 0, Ok(b"\0\0\0\0")),
        (
            "positive adjustment",
            u16().length_adjustment(2),
            2,
            Ok(b"\0\0"),
        ),
        (
            "positive adjustment, payload too short",
            u16().length_adjustment(2),
            1,
            Err(LocalError::PayloadTooShort { len: 1, min: 2 }),
        ),
        (
            "negative adjustment at the field's edge",
            u16().length_adjustment(-2),
            65_533,
            Ok(b"\xff\xff"),
        ),
        (
            "negative adjustment past the field",
            u16().length_adjustment(-2),
            65_534,
            Err(LocalError::PayloadTooLarge {
                len: 65_534,
                max: 65_533,
            }),
        ),
        (
            "adjustment larger than the field can ever hold",
            LengthConfig::new(LengthField::U8).length_adjustment(-300),
            0,
            Err(LocalError::PayloadTooLarge { len: 0, max: 0 }),
        ),
        (
            "offset bytes are zeros",
            u16().length_offset(2),
            1,
            Ok(b"\0\0\0\x01"),
        ),
        (
            "little endian",
            LengthConfig::new(LengthField::U24).little_endian(),
            0x0102,
            Ok(b"\x02\x01\0"),
        ),
        (
            "varint",
            LengthConfig::new(LengthField::Varint),
            128,
            Ok(b"\x80\x01"),
        ),
    ];
    for (name, framing, len, expected) in cases {
        let header = framing.encode_header(len);
        assert_eq!(
            header.map(|h| h.to_vec()),
            expected.clone().map(<[u8]>::to_vec),
            "{name}"
        );
        if let Ok(wire) = expected {
            assert_eq!(framing.header_len(len), Ok(wire.len()), "{name}");
        }
        let payload = vec![b'p'; len];
        let mut dst = BytesMut::from(&b"old"[..]);
        let result = framing.encode_into(&payload, &mut dst);
        match expected {
            Ok(wire) => {
                result.unwrap();
                assert_eq!(dst, [&b"old"[..], wire, &payload].concat(), "{name}");
            }
            Err(error) => {
                assert_eq!(result, Err(error), "{name}");
                assert_eq!(dst, &b"old"[..], "{name}: wrote on error");
            }
        }
    }
}

#[test]
#[should_panic(expected = "N = 1, 2 or 4")]
fn erlang_rejects_other_sizes() {
    let _ = LengthConfig::erlang(3);
}
