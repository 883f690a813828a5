//! Table tests of the `sunrm` framing (Sun RPC record marking), each case as
//! `erlang:decode_packet(sunrm, ...)` answers it (OTP 25), fed whole, byte
//! by byte and at cuts.

mod common;

use common::{frames, invalid, limit, oversize, run, truncated, PAYLOAD, WHOLE};
use wirestate_core::testing::table::case;
use wirestate_length::{ErlangPacket, PacketProblem};

const SUNRM: ErlangPacket = ErlangPacket::Sunrm;

#[test]
fn every_fragment_is_a_packet() {
    let first = [0, 0, 0, 2, b'a', b'b'];
    let last = [0x80, 0, 0, 1, b'c'];
    run(
        SUNRM,
        vec![
            case(
                "two fragments",
                WHOLE,
                [&first[..], &last].concat(),
                frames(&[&first, &last]),
            )
            .at_eof(),
            case(
                "payload view",
                PAYLOAD,
                [&first[..], &last].concat(),
                frames(&[b"ab", b"c"]),
            ),
            case(
                "empty last fragment",
                WHOLE,
                [0x80, 0, 0, 0],
                frames(&[&[0x80, 0, 0, 0]]),
            ),
            case("empty fragment", PAYLOAD, [0, 0, 0, 0], frames(&[b""])),
        ],
    );
}

#[test]
fn truncations_and_invalid_marks() {
    run(
        SUNRM,
        vec![
            case("mark cut", WHOLE, [0, 0, 0], frames(&[])),
            case("fragment cut", WHOLE, [0, 0, 0, 3, 1], frames(&[])),
            case("fragment cut at EOF", WHOLE, [0, 0, 0, 3, 1], frames(&[]))
                .at_eof()
                .fails(truncated(2)),
            // 4 + 0x7ffffffb = 2^31 - 1: waits; one more is invalid.
            case(
                "2^31 - 1 in all",
                WHOLE,
                [0x7f, 0xff, 0xff, 0xfb],
                frames(&[]),
            ),
            case(
                "last bit masked",
                WHOLE,
                [0xff, 0xff, 0xff, 0xfb],
                frames(&[]),
            ),
            case("2^31 in all", WHOLE, [0x7f, 0xff, 0xff, 0xfc], frames(&[])).fails(invalid(
                SUNRM,
                PacketProblem::TooLong(1 << 31),
                0,
            )),
            case("FF FF FF FF", WHOLE, [0xff; 4], frames(&[])).fails(invalid(
                SUNRM,
                PacketProblem::TooLong(0x8000_0003),
                0,
            )),
        ],
    );
}

#[test]
fn packet_size_limits_the_fragment() {
    run(
        SUNRM,
        vec![
            case(
                "exactly N",
                limit(2),
                [0, 0, 0, 2, 5, 6],
                frames(&[&[0, 0, 0, 2, 5, 6]]),
            ),
            case("N + 1", limit(2), [0x80, 0, 0, 3], frames(&[])).fails(oversize(3, 2, 0)),
            case(
                "N + 1 after a packet",
                limit(2),
                [0, 0, 0, 0, 0, 0, 0, 3],
                frames(&[&[0, 0, 0, 0]]),
            )
            .fails(oversize(3, 2, 4)),
        ],
    );
}
