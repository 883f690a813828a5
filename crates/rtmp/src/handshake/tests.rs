use bytes::BytesMut;
use wirestate_core::SeededRandom;

use super::digest::{find_digest, CLIENT_SIGNING_KEY, SERVER_SIGNING_KEY};
use super::*;

fn drain(h: &mut Handshake) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(b) = h.poll_transmit() {
        out.extend_from_slice(&b);
    }
    out
}

/// Runs a client against a server, passing bytes whole, and returns both.
fn run(client: HandshakeConfig, server: HandshakeConfig) -> (Handshake, Handshake) {
    let mut rng = SeededRandom::new(9);
    let mut c = Handshake::client(client, &mut rng);
    let mut s = Handshake::server(server, &mut rng);
    let mut to_server = BytesMut::from(&drain(&mut c)[..]);
    assert!(!s.advance(&mut to_server, &mut rng).unwrap());
    assert!(to_server.is_empty());
    let mut to_client = BytesMut::from(&drain(&mut s)[..]);
    assert_eq!(to_client.len(), 1 + 2 * PACKET_LEN);
    assert!(c.advance(&mut to_client, &mut rng).unwrap());
    assert!(to_client.is_empty());
    to_server.extend_from_slice(&drain(&mut c));
    assert!(s.advance(&mut to_server, &mut rng).unwrap());
    assert!(to_server.is_empty());
    assert!(c.is_done() && s.is_done());
    assert!(c.poll_transmit().is_none() && s.poll_transmit().is_none());
    (c, s)
}

fn config(digest: bool, scheme: DigestScheme) -> HandshakeConfig {
    HandshakeConfig {
        digest,
        scheme,
        ..HandshakeConfig::default()
    }
}

#[test]
fn our_client_and_server_agree_in_every_mode() {
    use DigestScheme::*;
    use PeerResponse::*;
    // (client digest, scheme, server digest) -> what each side sees.
    let cases = [
        (
            true,
            Base8,
            true,
            true,
            true,
            DigestResponse,
            DigestResponse,
        ),
        (
            true,
            Base772,
            true,
            true,
            true,
            DigestResponse,
            DigestResponse,
        ),
        // A simple client: the server falls back to the simple handshake.
        (false, Base8, true, false, false, Echo, Echo),
        // A digest client and a server that only speaks simple: the client
        // sees a simple S1, echoes it; the server echoes C1.
        (true, Base8, false, true, false, Echo, Echo),
        (false, Base8, false, false, false, Echo, Echo),
    ];
    for (client_digest, scheme, server_digest, c1_signed, s1_signed, server_sees, client_sees) in
        cases
    {
        let name =
            format!("client digest {client_digest} {scheme:?}, server digest {server_digest}");
        let (c, s) = run(config(client_digest, scheme), config(server_digest, scheme));
        let server_info = s.info().unwrap();
        let client_info = c.info().unwrap();
        assert_eq!(
            matches!(server_info.kind, HandshakeKind::Digest { scheme: found, .. } if found == scheme),
            c1_signed,
            "{name}: {server_info:?}"
        );
        assert_eq!(
            matches!(client_info.kind, HandshakeKind::Digest { scheme: found, .. } if found == scheme),
            s1_signed,
            "{name}: {client_info:?}"
        );
        assert_eq!(server_info.peer_response, Some(server_sees), "{name}");
        assert_eq!(client_info.peer_response, Some(client_sees), "{name}");
        let expected_client_version = if client_digest {
            [9, 0, 124, 2]
        } else {
            [0; 4]
        };
        assert_eq!(server_info.peer_version, expected_client_version, "{name}");
        let expected_server_version = if s1_signed { [13, 14, 10, 13] } else { [0; 4] };
        assert_eq!(client_info.peer_version, expected_server_version, "{name}");
    }
}

#[test]
fn epochs_and_versions_are_exchanged() {
    let client = HandshakeConfig {
        epoch: 1234,
        version: Some([10, 0, 32, 18]),
        ..HandshakeConfig::default()
    };
    let server = HandshakeConfig {
        epoch: 0xdead_beef,
        ..HandshakeConfig::default()
    };
    let (c, s) = run(client, server);
    assert_eq!(s.info().unwrap().peer_epoch, 1234);
    assert_eq!(s.info().unwrap().peer_version, [10, 0, 32, 18]);
    assert_eq!(c.info().unwrap().peer_epoch, 0xdead_beef);
}

#[test]
fn client_c1_is_signed_where_the_config_says() {
    for scheme in [DigestScheme::Base8, DigestScheme::Base772] {
        let mut rng = SeededRandom::new(3);
        let mut c = Handshake::client(config(true, scheme), &mut rng);
        let c0c1 = drain(&mut c);
        assert_eq!(c0c1.len(), 1 + PACKET_LEN);
        assert_eq!(c0c1[0], 3);
        let c1: &[u8; PACKET_LEN] = c0c1[1..].try_into().unwrap();
        let (found, offset) = find_digest(c1, CLIENT_SIGNING_KEY).unwrap();
        assert_eq!(found, scheme);
        assert_eq!(offset, scheme.offset(c1));
        // The server key does not validate a client digest.
        assert_eq!(find_digest(c1, SERVER_SIGNING_KEY), None);
    }
    let mut rng = SeededRandom::new(3);
    let mut simple = Handshake::client(config(false, DigestScheme::Base8), &mut rng);
    let c0c1 = drain(&mut simple);
    assert_eq!(&c0c1[5..9], &[0, 0, 0, 0], "simple C1 has a zero version");
}

#[test]
fn rtmpe_and_other_versions_are_rejected() {
    for version in [6u8, 8, 9, 0, 71] {
        let mut rng = SeededRandom::new(1);
        let mut s = Handshake::server(HandshakeConfig::default(), &mut rng);
        let mut buf = BytesMut::from(&[version, 1, 2][..]);
        let expected = HandshakeError::UnsupportedVersion(version);
        assert_eq!(s.advance(&mut buf, &mut rng), Err(expected.clone()));
        // Poisoned: the same error again, nothing sent.
        assert_eq!(s.advance(&mut buf, &mut rng), Err(expected));
        assert!(s.poll_transmit().is_none());
        assert!(!s.is_done());
    }
    // A client rejects an RTMPE S0 too.
    let mut rng = SeededRandom::new(1);
    let mut c = Handshake::client(HandshakeConfig::default(), &mut rng);
    drain(&mut c);
    let mut buf = BytesMut::from(&[6u8][..]);
    assert_eq!(
        c.advance(&mut buf, &mut rng),
        Err(HandshakeError::UnsupportedVersion(6))
    );
    assert!(HandshakeError::UnsupportedVersion(6)
        .to_string()
        .contains("RTMPE"));
}

#[test]
fn byte_by_byte_input_gives_the_same_output_and_leftover() {
    let mut rng = SeededRandom::new(5);
    let mut c = Handshake::client(HandshakeConfig::default(), &mut rng);
    let mut input = drain(&mut c);
    // Pretend C2 and a first chunk follow.
    input.extend_from_slice(&[0x55; PACKET_LEN]);
    input.extend_from_slice(b"\x03chunk");

    let whole = {
        let mut rng = SeededRandom::new(6);
        let mut s = Handshake::server(HandshakeConfig::default(), &mut rng);
        let mut buf = BytesMut::from(&input[..]);
        assert!(s.advance(&mut buf, &mut rng).unwrap());
        (drain(&mut s), buf.to_vec(), s.info().cloned())
    };
    let mut rng = SeededRandom::new(6);
    let mut s = Handshake::server(HandshakeConfig::default(), &mut rng);
    let mut buf = BytesMut::new();
    let mut sent = Vec::new();
    let mut done_at = None;
    for (i, &b) in input.iter().enumerate() {
        buf.extend_from_slice(&[b]);
        if s.advance(&mut buf, &mut rng).unwrap() && done_at.is_none() {
            done_at = Some(i);
        }
        sent.extend_from_slice(&drain(&mut s));
    }
    assert_eq!(
        done_at,
        Some(1 + 2 * PACKET_LEN - 1),
        "done exactly when C2 is complete"
    );
    assert_eq!((sent, buf.to_vec(), s.info().cloned()), whole);
    assert_eq!(whole.1, b"\x03chunk");
    assert_eq!(
        whole.2.unwrap().peer_response,
        Some(PeerResponse::Unverified)
    );
}

#[test]
fn same_seed_same_bytes() {
    let make = || {
        let mut rng = SeededRandom::new(77);
        let mut c = Handshake::client(HandshakeConfig::default(), &mut rng);
        drain(&mut c)
    };
    assert_eq!(make(), make());
    let mut rng = SeededRandom::new(78);
    let mut other = Handshake::client(HandshakeConfig::default(), &mut rng);
    assert_ne!(make(), drain(&mut other));
}

#[test]
fn info_appears_with_the_peer_first_packet() {
    let mut rng = SeededRandom::new(2);
    let mut c = Handshake::client(HandshakeConfig::default(), &mut rng);
    let mut s = Handshake::server(HandshakeConfig::default(), &mut rng);
    let c0c1 = drain(&mut c);
    let mut buf = BytesMut::from(&c0c1[..PACKET_LEN]);
    assert!(!s.advance(&mut buf, &mut rng).unwrap());
    assert!(s.info().is_none(), "C1 not complete yet");
    buf.extend_from_slice(&c0c1[PACKET_LEN..]);
    assert!(!s.advance(&mut buf, &mut rng).unwrap());
    let info = s.info().unwrap();
    assert!(matches!(info.kind, HandshakeKind::Digest { .. }));
    assert_eq!(info.peer_response, None);
}
