//! Properties of the Erlang packet framings (`LengthConfig::erlang_packet`):
//!
//! - round trip: whatever the encoder of asn1, cdr, sunrm, fcgi or tpkt
//!   accepts decodes back, at any cuts, to the encoded packets (Erlang's
//!   view) or to the payloads (payload view); whatever it refuses was over
//!   the limit;
//! - raw: the packets are the pieces as they arrived, together exactly the
//!   input, whatever the limit; its encoder writes the payload as it is.

use std::time::Instant;

use bytes::{Bytes, BytesMut};
use proptest::prelude::*;
use wirestate_core::testing::{arb_cuts, feed_cut, pieces};
use wirestate_core::Machine;
use wirestate_length::{ErlangPacket, LengthConfig, LengthConnection, LengthEvent, LocalError};

fn arb_packet() -> impl Strategy<Value = ErlangPacket> {
    prop_oneof![
        Just(ErlangPacket::Asn1),
        Just(ErlangPacket::Cdr),
        Just(ErlangPacket::Sunrm),
        Just(ErlangPacket::Fcgi),
        Just(ErlangPacket::Tpkt),
    ]
}

prop_compose! {
    fn arb_framing()(
        packet in arb_packet(),
        keep in any::<bool>(),
        little in any::<bool>(),
        max in prop_oneof![Just(i32::MAX as usize), 0usize..400],
        tag in any::<u8>().prop_filter("one-byte tag", |tag| tag & 0x1f != 0x1f),
    ) -> LengthConfig {
        let framing = LengthConfig::erlang_packet(packet)
            .keep_header(keep)
            .max_frame_length(max)
            .asn1_tag(tag);
        if little { framing.little_endian() } else { framing }
    }
}

fn arb_payloads() -> impl Strategy<Value = Vec<Vec<u8>>> {
    prop::collection::vec(
        prop_oneof![
            3 => prop::collection::vec(any::<u8>(), 0..20),
            1 => prop::collection::vec(any::<u8>(), 100..700),
        ],
        0..10,
    )
}

proptest! {
    #[test]
    fn encoded_packets_decode_back(
        framing in arb_framing(),
        payloads in arb_payloads(),
        cuts in arb_cuts(8000),
    ) {
        let packet = framing.packet().unwrap();
        let max = framing.frame_length_limit().min(packet.max_payload_len());
        let mut wire = BytesMut::new();
        let mut expected = Vec::new();
        for payload in &payloads {
            let before = wire.len();
            match framing.encode_into(payload, &mut wire) {
                Ok(()) => {
                    let encoded = &wire[before..];
                    let header = framing.header_len(payload.len()).unwrap();
                    prop_assert_eq!(&encoded[header..], &payload[..]);
                    let frame = if framing.keeps_header() { encoded } else { &payload[..] };
                    expected.push(LengthEvent::Frame(Bytes::copy_from_slice(frame)));
                }
                Err(LocalError::PayloadTooLarge { len, max: refused }) => {
                    prop_assert_eq!(wire.len(), before);
                    prop_assert_eq!((len, refused), (payload.len(), max));
                    prop_assert!(len > max);
                }
                Err(other) => prop_assert!(false, "unexpected {:?}", other),
            }
        }
        let mut machine = LengthConnection::new(framing);
        let transcript = feed_cut(&mut machine, &wire, &cuts, true, Instant::now());
        prop_assert_eq!(transcript.error, None);
        prop_assert!(transcript.closed);
        prop_assert_eq!(transcript.events, expected);
    }

    #[test]
    fn raw_packets_are_the_pieces(
        input in prop::collection::vec(any::<u8>(), 0..600),
        cuts in arb_cuts(600),
        max in 0usize..10,
    ) {
        let raw = LengthConfig::erlang_packet(ErlangPacket::Raw).max_frame_length(max);
        let mut machine = LengthConnection::new(raw);
        let transcript = feed_cut(&mut machine, &input, &cuts, true, Instant::now());
        let expected: Vec<_> = pieces(&input, &cuts)
            .filter(|piece| !piece.is_empty())
            .map(|piece| LengthEvent::Frame(Bytes::copy_from_slice(piece)))
            .collect();
        prop_assert_eq!(transcript.events, expected);
        prop_assert_eq!(transcript.error, None);
        prop_assert!(transcript.closed);
    }
}

#[test]
fn raw_hands_out_everything_buffered() {
    let now = Instant::now();
    let mut machine = LengthConnection::new(ErlangPacket::Raw.into());
    assert_eq!(machine.poll_event(), None);
    machine.handle_input(b"abc", now);
    machine.handle_input(b"de", now);
    let frame = LengthEvent::Frame(Bytes::from_static(b"abcde"));
    assert_eq!(machine.poll_event(), Some(Ok(frame)));
    assert_eq!(machine.poll_event(), None);
    assert_eq!(machine.buffered(), 0);
    machine.handle_eof(now);
    assert_eq!(machine.poll_event(), None);
    assert!(machine.is_closed());
}

#[test]
fn raw_sends_the_payload_as_it_is() {
    let mut machine = LengthConnection::new(ErlangPacket::Raw.into());
    machine.send(Bytes::from_static(b"as is")).unwrap();
    assert_eq!(machine.poll_transmit().unwrap(), &b"as is"[..]);
    assert_eq!(machine.poll_transmit(), None);
    machine.send(Bytes::new()).unwrap();
    assert_eq!(machine.poll_transmit(), None);
}

#[test]
fn encoders_write_each_types_header() {
    let header = |packet: ErlangPacket, len| LengthConfig::from(packet).encode_header(len).unwrap();
    assert_eq!(header(ErlangPacket::Tpkt, 0), &[3, 0, 0, 4][..]);
    assert_eq!(header(ErlangPacket::Tpkt, 65_531), &[3, 0, 0xff, 0xff][..]);
    assert_eq!(header(ErlangPacket::Sunrm, 5), &[0x80, 0, 0, 5][..]);
    assert_eq!(
        header(ErlangPacket::Fcgi, 258),
        &[1, 6, 0, 1, 1, 2, 0, 0][..]
    );
    assert_eq!(
        header(ErlangPacket::Cdr, 2),
        &b"GIOP\x01\x00\x00\x00\x00\x00\x00\x02"[..]
    );
    assert_eq!(header(ErlangPacket::Asn1, 2), &[0x30, 2][..]);
    assert_eq!(header(ErlangPacket::Raw, 9), &b""[..]);
    let little = LengthConfig::from(ErlangPacket::Cdr).little_endian();
    assert_eq!(
        little.encode_header(2).unwrap(),
        &b"GIOP\x01\x00\x01\x00\x02\x00\x00\x00"[..]
    );
    let tpkt = LengthConfig::from(ErlangPacket::Tpkt);
    assert_eq!(
        tpkt.encode_header(65_532),
        Err(LocalError::PayloadTooLarge {
            len: 65_532,
            max: 65_531
        })
    );
    let fcgi = LengthConfig::from(ErlangPacket::Fcgi).max_frame_length(10);
    assert_eq!(
        fcgi.encode_header(11),
        Err(LocalError::PayloadTooLarge { len: 11, max: 10 })
    );
}

#[test]
fn names_parse_as_erlang_spells_them() {
    for packet in ErlangPacket::ALL {
        assert_eq!(packet.name().parse::<ErlangPacket>(), Ok(packet));
        let framing: LengthConfig = packet.name().parse::<ErlangPacket>().unwrap().into();
        assert_eq!(framing.packet(), Some(packet));
        assert!(framing.keeps_header());
    }
    assert_eq!("0".parse::<ErlangPacket>(), Ok(ErlangPacket::Raw));
    let error = "asn2".parse::<ErlangPacket>().unwrap_err();
    assert!(error.to_string().contains("asn2"), "{error}");
}
