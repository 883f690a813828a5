//! Table tests of the `tpkt` framing, each case as `erlang:decode_packet(tpkt,
//! ...)` answers it (OTP 25), fed whole, byte by byte and at cuts.

mod common;

use common::{frames, invalid, limit, oversize, run, truncated, PAYLOAD, WHOLE};
use wirestate_core::testing::table::case;
use wirestate_length::{ErlangPacket, PacketProblem};

const TPKT: ErlangPacket = ErlangPacket::Tpkt;

#[test]
fn valid_packets() {
    run(
        TPKT,
        vec![
            case("empty", WHOLE, [3, 0, 0, 4], frames(&[&[3, 0, 0, 4]])),
            case("empty payload", PAYLOAD, [3, 0, 0, 4], frames(&[b""])),
            case(
                "reserved byte ignored",
                WHOLE,
                [3, 9, 0, 5, 1],
                frames(&[&[3, 9, 0, 5, 1]]),
            ),
            case(
                "two back to back",
                WHOLE,
                [3, 0, 0, 6, b'a', b'b', 3, 0, 0, 5, b'c'],
                frames(&[&[3, 0, 0, 6, b'a', b'b'], &[3, 0, 0, 5, b'c']]),
            )
            .at_eof(),
            case(
                "payload view",
                PAYLOAD,
                [3, 0, 0, 6, b'a', b'b', 3, 0, 0, 5, b'c'],
                frames(&[b"ab", b"c"]),
            ),
        ],
    );
}

#[test]
fn truncations_wait_for_more() {
    run(
        TPKT,
        vec![
            case("one byte", WHOLE, [3], frames(&[])),
            case("three header bytes", WHOLE, [3, 0, 0], frames(&[])),
            // The version is checked only once the whole header is there.
            case("bad version, header cut", WHOLE, [2, 0, 0], frames(&[])),
            case("body cut", WHOLE, [3, 0, 0, 7, 1], frames(&[])),
            case("largest length", WHOLE, [3, 0, 0xff, 0xff], frames(&[])),
            case("header cut at EOF", WHOLE, [3, 0], frames(&[]))
                .at_eof()
                .fails(truncated(2)),
            case("body cut at EOF", WHOLE, [3, 0, 0, 7, 1], frames(&[]))
                .at_eof()
                .fails(truncated(2)),
        ],
    );
}

#[test]
fn invalid_headers() {
    let version = |v| invalid(TPKT, PacketProblem::TpktVersion(v), 0);
    let length = |l| invalid(TPKT, PacketProblem::TpktLength(l), 0);
    run(
        TPKT,
        vec![
            case("version 0", WHOLE, [0, 0, 0, 4], frames(&[])).fails(version(0)),
            case("version 2", WHOLE, [2, 0, 0, 4], frames(&[])).fails(version(2)),
            case("length 0", WHOLE, [3, 0, 0, 0], frames(&[])).fails(length(0)),
            case("length 3", WHOLE, [3, 0, 0, 3], frames(&[])).fails(length(3)),
            case(
                "after a packet",
                WHOLE,
                [3, 0, 0, 4, 4, 0, 0, 4],
                frames(&[&[3, 0, 0, 4]]),
            )
            .fails(invalid(TPKT, PacketProblem::TpktVersion(4), 4)),
        ],
    );
}

#[test]
fn packet_size_limits_the_body() {
    run(
        TPKT,
        vec![
            case(
                "exactly N",
                limit(2),
                [3, 0, 0, 6, 1, 2],
                frames(&[&[3, 0, 0, 6, 1, 2]]),
            ),
            // Decided from the header alone: no body needed.
            case("N + 1", limit(2), [3, 0, 0, 7], frames(&[])).fails(oversize(3, 2, 0)),
            case(
                "N = 0, empty",
                limit(0),
                [3, 0, 0, 4],
                frames(&[&[3, 0, 0, 4]]),
            ),
        ],
    );
}
