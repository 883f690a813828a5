//! Table tests of the `cdr` (GIOP) framing, each case as
//! `erlang:decode_packet(cdr, ...)` answers it (OTP 25), fed whole, byte by
//! byte and at cuts.

mod common;

use common::{frames, invalid, limit, oversize, run, truncated, PAYLOAD, WHOLE};
use wirestate_core::testing::table::case;
use wirestate_length::{ErlangPacket, PacketProblem};

const CDR: ErlangPacket = ErlangPacket::Cdr;

/// A GIOP header with these flags and this message_size field.
fn giop(flags: u8, size: [u8; 4]) -> Vec<u8> {
    [&b"GIOP"[..], &[1, 2, flags, 0], &size].concat()
}

#[test]
fn byte_order_from_flags_bit_0() {
    let big = [giop(0, [0, 0, 0, 2]), vec![7, 8]].concat();
    let little = [giop(1, [2, 0, 0, 0]), vec![7, 8]].concat();
    // Only bit 0 counts: 2 is big endian, 3 little endian.
    let flags_3 = [giop(3, [2, 0, 0, 0]), vec![7, 8]].concat();
    run(
        CDR,
        vec![
            case("big endian", WHOLE, big.clone(), frames(&[&big])),
            case("little endian", WHOLE, little.clone(), frames(&[&little])),
            case("flags 3", WHOLE, flags_3.clone(), frames(&[&flags_3])),
            case(
                "flags 2: big endian",
                WHOLE,
                giop(2, [2, 0, 0, 0]),
                frames(&[]),
            ),
            case("payload view", PAYLOAD, big.clone(), frames(&[&[7, 8]])),
            case(
                "empty body",
                WHOLE,
                giop(0, [0; 4]),
                frames(&[&giop(0, [0; 4])]),
            )
            .at_eof(),
            case(
                "two",
                PAYLOAD,
                [big.clone(), little.clone()].concat(),
                frames(&[&[7, 8], &[7, 8]]),
            ),
        ],
    );
}

#[test]
fn truncations_and_invalid_headers() {
    let magic = |m: &[u8; 4], offset| invalid(CDR, PacketProblem::CdrMagic(*m), offset);
    let bad = [&b"XIOP"[..], &[1, 0, 0, 0, 0, 0, 0, 0]].concat();
    let max_total = giop(0, [0x7f, 0xff, 0xff, 0xf3]);
    let over = giop(0, [0x7f, 0xff, 0xff, 0xf4]);
    run(
        CDR,
        vec![
            // The magic is checked only once the 12 bytes are there.
            case("GIQ", WHOLE, *b"GIQ", frames(&[])),
            case("bad magic, 11 bytes", WHOLE, &bad[..11], frames(&[])),
            case("bad magic", WHOLE, bad.clone(), frames(&[])).fails(magic(b"XIOP", 0)),
            case(
                "bad magic after a packet",
                WHOLE,
                [giop(0, [0; 4]), bad].concat(),
                frames(&[&giop(0, [0; 4])]),
            )
            .fails(magic(b"XIOP", 12)),
            case(
                "body cut",
                WHOLE,
                [giop(0, [0, 0, 0, 3]), vec![1]].concat(),
                frames(&[]),
            ),
            case("header cut at EOF", WHOLE, *b"GIOP", frames(&[]))
                .at_eof()
                .fails(truncated(8)),
            case("2^31 - 1 in all", WHOLE, max_total, frames(&[])),
            case("2^31 in all", WHOLE, over, frames(&[])).fails(invalid(
                CDR,
                PacketProblem::TooLong(1 << 31),
                0,
            )),
        ],
    );
}

#[test]
fn packet_size_limits_message_size() {
    let two = [giop(1, [2, 0, 0, 0]), vec![1, 2]].concat();
    run(
        CDR,
        vec![
            case("exactly N", limit(2), two.clone(), frames(&[&two])),
            case("N + 1", limit(2), giop(1, [3, 0, 0, 0]), frames(&[])).fails(oversize(3, 2, 0)),
        ],
    );
}
