//! Tests of the frame layer: header parsing, decoding in pieces, encoding.

use super::*;

const SERVER: FrameRules = FrameRules {
    require_mask: Some(true),
    allowed_rsv: 0,
    max_frame_size: 1 << 20,
    accept_non_minimal_lengths: false,
};
const CLIENT: FrameRules = FrameRules {
    require_mask: Some(false),
    allowed_rsv: 0,
    max_frame_size: 1 << 20,
    accept_non_minimal_lengths: false,
};

/// (bytes, rules, expected header or error text)
#[test]
fn header_table() {
    type Case = (
        &'static [u8],
        FrameRules,
        Result<Option<(bool, OpCode, u64, usize)>, &'static str>,
    );
    let cases: &[Case] = &[
        (b"", CLIENT, Ok(None)),
        (b"\x81", CLIENT, Ok(None)),
        (b"\x81\x05", CLIENT, Ok(Some((true, OpCode::Text, 5, 2)))),
        (
            b"\x02\x7d",
            CLIENT,
            Ok(Some((false, OpCode::Binary, 125, 2))),
        ),
        (b"\x82\x7e\x00", CLIENT, Ok(None)),
        (
            b"\x82\x7e\x01\x00",
            CLIENT,
            Ok(Some((true, OpCode::Binary, 256, 4))),
        ),
        (b"\x82\x7f\x00\x00\x00\x00\x00\x01\x00", CLIENT, Ok(None)),
        (
            b"\x82\x7f\x00\x00\x00\x00\x00\x01\x00\x00",
            CLIENT,
            Ok(Some((true, OpCode::Binary, 65536, 10))),
        ),
        (
            b"\x82\x7f\x80\x00\x00\x00\x00\x00\x00\x00",
            CLIENT,
            Err("most significant bit"),
        ),
        (
            b"\x82\x7f\x00\x00\x00\x00\x01\x00\x00\x00",
            CLIENT,
            Err("exceeds"),
        ),
        (b"\x81\x85\x01\x02\x03", SERVER, Ok(None)),
        (
            b"\x81\x85\x01\x02\x03\x04",
            SERVER,
            Ok(Some((true, OpCode::Text, 5, 6))),
        ),
        (b"\x81\x05", SERVER, Err("unmasked")),
        (b"\x81\x85\x01\x02\x03\x04", CLIENT, Err("masked frame")),
        (b"\xc1\x00", CLIENT, Err("reserved bits")),
        (b"\xa1\x00", CLIENT, Err("reserved bits")),
        (b"\x91\x00", CLIENT, Err("reserved bits")),
        (b"\x83\x00", CLIENT, Err("opcode 0x3")),
        (b"\x8b\x00", CLIENT, Err("opcode 0xb")),
        (b"\x09\x00", CLIENT, Err("fragmented control")),
        (b"\x89\x7e\x00\x7e", CLIENT, Err("125")),
        (b"\x88\x7d", CLIENT, Ok(Some((true, OpCode::Close, 125, 2)))),
    ];
    for (bytes, rules, expected) in cases {
        let got = parse_header(bytes, rules)
            .map(|h| h.map(|h| (h.fin, h.opcode, h.payload_len, h.header_len)))
            .map_err(|e| e.to_string());
        match (expected, got) {
            (Ok(e), Ok(g)) => assert_eq!(*e, g, "{bytes:x?}"),
            (Err(want), Err(text)) => assert!(text.contains(want), "{bytes:x?}: {text}"),
            (e, g) => panic!("{bytes:x?}: expected {e:?}, got {g:?}"),
        }
    }
}

#[test]
fn rsv1_passes_when_an_extension_owns_it() {
    let rules = FrameRules {
        allowed_rsv: rsv::RSV1,
        ..CLIENT
    };
    let h = parse_header(b"\xc1\x00", &rules).unwrap().unwrap();
    assert_eq!(h.rsv, rsv::RSV1);
    assert!(parse_header(b"\xe1\x00", &rules).is_err());
}

#[test]
fn encode_then_parse_round_trips_all_three_lengths() {
    for len in [0u64, 1, 125, 126, 65535, 65536, 1 << 20] {
        for mask in [None, Some([9, 8, 7, 6])] {
            let mut out = BytesMut::new();
            encode_header(&mut out, true, 0, OpCode::Binary, mask, len);
            let rules = FrameRules {
                require_mask: None,
                allowed_rsv: 0,
                max_frame_size: u64::MAX >> 1,
                accept_non_minimal_lengths: false,
            };
            let h = parse_header(&out, &rules).unwrap().unwrap();
            assert_eq!(
                (h.payload_len, h.mask, h.header_len),
                (len, mask, out.len())
            );
        }
    }
}

#[test]
fn decoder_unmasks_in_pieces_and_reports_fresh_ranges() {
    let key = [0x37, 0xfa, 0x21, 0x3d];
    let mut wire = BytesMut::new();
    encode_header(&mut wire, true, 0, OpCode::Text, Some(key), 11);
    let mut payload = *b"hello world";
    apply_mask(&mut payload, key, 0);
    wire.extend_from_slice(&payload);

    let mut decoder = FrameDecoder::new(SERVER);
    let mut input = BytesMut::new();
    let mut fresh_total = 0;
    for (i, byte) in wire.iter().enumerate() {
        input.extend_from_slice(&[*byte]);
        match decoder.decode(&mut input).unwrap() {
            Step::NeedMore => assert!(i < 5, "byte {i}"),
            Step::Partial { fresh, .. } => {
                // The header alone (byte 5) reports an empty range.
                assert_eq!(fresh.len(), usize::from(i > 5));
                fresh_total += fresh.len();
            }
            Step::Frame(frame) => {
                assert_eq!(i, wire.len() - 1);
                assert_eq!(frame.payload, "hello world");
                assert_eq!(frame.unreported_from, fresh_total);
            }
        }
    }
    assert!(input.is_empty());
}

#[test]
fn lengths_must_be_minimal_unless_allowed() {
    // (header, announced length): each longer than it needs to be.
    let table: [(&[u8], u64); 4] = [
        (b"\x82\x7e\x00\x00", 0),
        (b"\x82\x7e\x00\x7d", 125),
        (b"\x82\x7f\x00\x00\x00\x00\x00\x00\x00\x7e", 126),
        (b"\x82\x7f\x00\x00\x00\x00\x00\x00\xff\xff", 65_535),
    ];
    let lenient = FrameRules {
        accept_non_minimal_lengths: true,
        ..CLIENT
    };
    for (header, len) in table {
        let strict = parse_header(header, &CLIENT);
        assert!(
            matches!(
                strict,
                Err(WsError::Protocol(ProtocolViolation::NonMinimalLength(l))) if l == len
            ),
            "{header:x?}: {strict:?}"
        );
        let header = parse_header(header, &lenient).unwrap().unwrap();
        assert_eq!(header.payload_len, len);
    }
    // The smallest lengths of each encoding are minimal.
    assert!(parse_header(b"\x82\x7e\x00\x7e", &CLIENT)
        .unwrap()
        .is_some());
    let smallest_64 = b"\x82\x7f\x00\x00\x00\x00\x00\x01\x00\x00";
    assert!(parse_header(smallest_64, &CLIENT).unwrap().is_some());
}
