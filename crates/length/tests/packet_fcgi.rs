//! Table tests of the `fcgi` framing (FastCGI records), each case as
//! `erlang:decode_packet(fcgi, ...)` answers it (OTP 25), fed whole, byte by
//! byte and at cuts. Erlang hands out the header and the content; the
//! padding is consumed and dropped.

mod common;

use common::{frames, invalid, limit, oversize, run, truncated, PAYLOAD, WHOLE};
use wirestate_core::testing::table::case;
use wirestate_length::{ErlangPacket, PacketProblem};

const FCGI: ErlangPacket = ErlangPacket::Fcgi;

/// A record: header, content, padding of `padding` bytes 0xEE.
fn record(version: u8, content: &[u8], padding: u8) -> Vec<u8> {
    let len = (content.len() as u16).to_be_bytes();
    let header = [version, 5, 0, 1, len[0], len[1], padding, 0];
    [&header[..], content, &vec![0xee; usize::from(padding)]].concat()
}

/// What Erlang returns for `record(1, content, padding)`: the record
/// without its padding (the header still says how long it was).
fn returned(content: &[u8], padding: u8) -> Vec<u8> {
    let mut packet = record(1, content, padding);
    packet.truncate(8 + content.len());
    packet
}

#[test]
fn padding_is_consumed_not_returned() {
    let two = [record(1, b"ab", 6), record(1, b"", 0), record(1, b"c", 255)].concat();
    run(
        FCGI,
        vec![
            case(
                "padded",
                WHOLE,
                record(1, b"abc", 5),
                frames(&[&returned(b"abc", 5)]),
            )
            .at_eof(),
            case(
                "three",
                WHOLE,
                two.clone(),
                frames(&[&returned(b"ab", 6), &returned(b"", 0), &returned(b"c", 255)]),
            ),
            case("payload view", PAYLOAD, two, frames(&[b"ab", b"", b"c"])).at_eof(),
            case("only padding", PAYLOAD, record(1, b"", 3), frames(&[b""])),
        ],
    );
}

#[test]
fn truncations_and_invalid_versions() {
    let version = |v| invalid(FCGI, PacketProblem::FcgiVersion(v), 0);
    let padded = record(1, b"ab", 2);
    run(
        FCGI,
        vec![
            // The version is checked only once the 8 bytes are there.
            case(
                "version 2, 7 bytes",
                WHOLE,
                &record(2, b"", 0)[..7],
                frames(&[]),
            ),
            case("version 2", WHOLE, record(2, b"", 0), frames(&[])).fails(version(2)),
            case("version 0", WHOLE, record(0, b"x", 1), frames(&[])).fails(version(0)),
            case("padding cut", WHOLE, &padded[..11], frames(&[])),
            case("padding cut at EOF", WHOLE, &padded[..11], frames(&[]))
                .at_eof()
                .fails(truncated(1)),
            case("header cut at EOF", WHOLE, [1, 5, 0], frames(&[]))
                .at_eof()
                .fails(truncated(5)),
        ],
    );
}

#[test]
fn packet_size_limits_content_and_padding() {
    run(
        FCGI,
        vec![
            case(
                "exactly N",
                limit(3),
                record(1, b"ab", 1),
                frames(&[&returned(b"ab", 1)]),
            ),
            case("N + 1", limit(2), &record(1, b"ab", 1)[..8], frames(&[]))
                .fails(oversize(3, 2, 0)),
        ],
    );
}
