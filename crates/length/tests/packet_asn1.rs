//! Table tests of the `asn1` framing, each case as `erlang:decode_packet(asn1,
//! ...)` answers it (OTP 25), fed whole, byte by byte and at cuts.

mod common;

use common::{frames, invalid, limit, oversize, run, truncated, PAYLOAD, WHOLE};
use wirestate_core::testing::table::case;
use wirestate_length::{ErlangPacket, PacketProblem};

const ASN1: ErlangPacket = ErlangPacket::Asn1;

/// `head` then `n` bytes of content.
fn tlv(head: &[u8], n: usize) -> Vec<u8> {
    let mut packet = head.to_vec();
    packet.extend((0..n).map(|i| i as u8));
    packet
}

#[test]
fn short_and_long_form_lengths() {
    let long_forms: Vec<_> = [
        &[0x81, 0x02][..],
        &[0x82, 0x00, 0x02],
        &[0x83, 0x00, 0x00, 0x02],
        &[0x84, 0x00, 0x00, 0x00, 0x02],
    ]
    .into_iter()
    .map(|length| {
        let packet = tlv(&[&[0x30][..], length].concat(), 2);
        case(
            format!("non-minimal {length:02x?}"),
            WHOLE,
            packet.clone(),
            frames(&[&packet]),
        )
    })
    .collect();
    run(ASN1, long_forms);
    run(
        ASN1,
        vec![
            case("empty", WHOLE, [0x04, 0x00], frames(&[&[0x04, 0x00]])),
            case(
                "short",
                WHOLE,
                tlv(&[0x30, 3], 3),
                frames(&[&tlv(&[0x30, 3], 3)]),
            ),
            case(
                "payload view",
                PAYLOAD,
                tlv(&[0x30, 3], 3),
                frames(&[&[0, 1, 2]]),
            ),
            case(
                "0x81 128",
                WHOLE,
                tlv(&[0x30, 0x81, 0x80], 128),
                frames(&[&tlv(&[0x30, 0x81, 0x80], 128)]),
            ),
            case(
                "0x82 300",
                PAYLOAD,
                tlv(&[0x30, 0x82, 0x01, 0x2c], 300),
                frames(&[&tlv(&[], 300)]),
            ),
            // Indefinite: the packet is the header, the rest another packet.
            case(
                "0x80 reads as 0",
                WHOLE,
                [0x30, 0x80, 0x04, 0x00],
                frames(&[&[0x30, 0x80], &[0x04, 0x00]]),
            ),
            case("0x80 payload", PAYLOAD, [0x30, 0x80], frames(&[b""])).at_eof(),
        ],
    );
}

#[test]
fn multi_byte_tags() {
    let mut long = vec![0x3f];
    long.extend([0x80; 200]);
    long.extend([0x01, 0x01, 0xaa]);
    run(
        ASN1,
        vec![
            case(
                "tag 0x1f 0x81 0x82 0x03",
                WHOLE,
                [0x1f, 0x81, 0x82, 0x03, 0x01, 0x09],
                frames(&[&[0x1f, 0x81, 0x82, 0x03, 0x01, 0x09]]),
            ),
            case(
                "payload after a long tag",
                PAYLOAD,
                [0x1f, 0x81, 0x03, 0x01, 0x09],
                frames(&[&[0x09]]),
            ),
            case("202-byte tag", WHOLE, long.clone(), frames(&[&long])),
            case(
                "0x1e is one byte",
                WHOLE,
                [0x1e, 1, 0],
                frames(&[&[0x1e, 1, 0]]),
            ),
            case("0x1f: more", WHOLE, [0x1f, 0x01], frames(&[])),
            case(
                "continued tag: more",
                WHOLE,
                [0x1f, 0x81, 0x80],
                frames(&[]),
            ),
            case("long tag cut at EOF", WHOLE, [0x1f, 0x81], frames(&[]))
                .at_eof()
                .fails(truncated(1)),
        ],
    );
}

#[test]
fn truncations_wait_for_more() {
    run(
        ASN1,
        vec![
            case("tag only", WHOLE, [0x30], frames(&[])),
            case("0x81 without its byte", WHOLE, [0x30, 0x81], frames(&[])),
            case(
                "0x84 with 3 bytes",
                WHOLE,
                [0x30, 0x84, 0, 0, 0],
                frames(&[]),
            ),
            case("content cut", WHOLE, [0x30, 0x03, 1, 2], frames(&[])),
            case("content cut at EOF", WHOLE, [0x30, 0x03, 1, 2], frames(&[]))
                .at_eof()
                .fails(truncated(1)),
            // The largest packet Erlang accepts: 6 + 0x7ffffff9 = 2^31 - 1.
            case(
                "i32::MAX in all",
                WHOLE,
                [0x30, 0x84, 0x7f, 0xff, 0xff, 0xf9],
                frames(&[]),
            ),
        ],
    );
}

#[test]
fn lengths_over_four_bytes_are_invalid_once_present() {
    let form = |byte| invalid(ASN1, PacketProblem::Asn1LengthForm(byte), 0);
    let with = |byte: u8, n: usize| [&[0x30, byte][..], &vec![0; n]].concat();
    run(
        ASN1,
        vec![
            case("0x85 with 4 bytes", WHOLE, with(0x85, 4), frames(&[])),
            case("0x85 with 5 bytes", WHOLE, with(0x85, 5), frames(&[])).fails(form(0x85)),
            case("0x90 with 15 bytes", WHOLE, with(0x90, 15), frames(&[])),
            case("0x90 with 16 bytes", WHOLE, with(0x90, 16), frames(&[])).fails(form(0x90)),
            case("0xff with 126 bytes", WHOLE, with(0xff, 126), frames(&[])),
            case("0xff with 127 bytes", WHOLE, with(0xff, 127), frames(&[])).fails(form(0xff)),
            case(
                "over i32::MAX",
                WHOLE,
                [0x30, 0x84, 0x7f, 0xff, 0xff, 0xfa],
                frames(&[]),
            )
            .fails(invalid(ASN1, PacketProblem::TooLong(1 << 31), 0)),
            case(
                "u32::MAX",
                WHOLE,
                [0x30, 0x84, 0xff, 0xff, 0xff, 0xff],
                frames(&[]),
            )
            .fails(invalid(ASN1, PacketProblem::TooLong(6 + 0xffff_ffff), 0)),
            case(
                "after a packet",
                WHOLE,
                [&[0x04, 0x00][..], &with(0x85, 5)].concat(),
                frames(&[&[0x04, 0x00]]),
            )
            .fails(invalid(ASN1, PacketProblem::Asn1LengthForm(0x85), 2)),
        ],
    );
}

#[test]
fn packet_size_limits_the_content() {
    run(
        ASN1,
        vec![
            case(
                "exactly N",
                limit(2),
                [0x30, 0x81, 2, 1, 2],
                frames(&[&[0x30, 0x81, 2, 1, 2]]),
            ),
            case("N + 1, short form", limit(2), [0x30, 3], frames(&[])).fails(oversize(3, 2, 0)),
            case("N + 1, long form", limit(2), [0x30, 0x81, 3], frames(&[]))
                .fails(oversize(3, 2, 0)),
            case(
                "indefinite under N = 0",
                limit(0),
                [0x30, 0x80],
                frames(&[&[0x30, 0x80]]),
            ),
        ],
    );
}
