//! The RTMP handshake against recorded real traffic (FFmpeg, nginx-rtmp,
//! rtmpdump, `ffmpeg -listen`): the digests in the captures validate, our
//! server and client accept every recorded peer, and whatever way the stream
//! is cut, exactly the post-handshake bytes are left for the chunk layer.

use bytes::BytesMut;
use proptest::prelude::*;
use wirestate_core::testing::arb_cuts;
use wirestate_core::SeededRandom;
use wirestate_rtmp::handshake::digest::{
    find_digest, verify_response, DigestScheme, CLIENT_SIGNING_KEY, FLASH_MEDIA_SERVER_KEY,
    FLASH_PLAYER_KEY, SERVER_SIGNING_KEY,
};
use wirestate_rtmp::handshake::{
    Handshake, HandshakeConfig, HandshakeInfo, HandshakeKind, PeerResponse, PACKET_LEN,
};

/// C0 + C1 + C2 (or S0 + S1 + S2).
const HANDSHAKE_LEN: usize = 1 + 2 * PACKET_LEN;

const CAPTURES: [&str; 6] = [
    "ffmpeg_publish_nginx",
    "ffmpeg_play_nginx",
    "rtmpdump_play_nginx",
    "ffmpeg_publish_nginx_extts_chunk128",
    "ffmpeg_publish_ffmpeglisten",
    "ffmpeg9_publish_nginx_ertmp_hevc",
];

fn capture(name: &str, direction: &str) -> Vec<u8> {
    wirestate_core::testing::capture::read(&format!("rtmp/rtmp_{name}.{direction}.bin"))
}

/// C1/S1 and C2/S2 of one direction of a capture.
fn packets(stream: &[u8]) -> (&[u8; PACKET_LEN], &[u8; PACKET_LEN]) {
    assert_eq!(stream[0], 3, "C0/S0 is version 3");
    (
        stream[1..1 + PACKET_LEN].try_into().unwrap(),
        stream[1 + PACKET_LEN..HANDSHAKE_LEN].try_into().unwrap(),
    )
}

fn digest_at(packet: &[u8; PACKET_LEN], offset: usize) -> &[u8] {
    &packet[offset..offset + 32]
}

/// What the dissections (`*.dissect.txt`) say about each capture's digests:
/// C1's Flash Player digest offset and S1's Flash Media Server digest offset
/// (`None` = simple handshake). All digests there use base 8.
#[test]
fn capture_digests_validate_where_the_dissections_say() {
    let expected: [(&str, Option<usize>, Option<usize>); 6] = [
        ("ffmpeg_publish_nginx", Some(494), Some(454)),
        ("ffmpeg_play_nginx", Some(494), Some(411)),
        ("rtmpdump_play_nginx", None, None),
        ("ffmpeg_publish_nginx_extts_chunk128", Some(494), Some(679)),
        ("ffmpeg_publish_ffmpeglisten", Some(494), None),
        ("ffmpeg9_publish_nginx_ertmp_hevc", Some(494), Some(527)),
    ];
    for (name, c1_offset, s1_offset) in expected {
        let c2s = capture(name, "c2s");
        let s2c = capture(name, "s2c");
        let (c1, c2) = packets(&c2s);
        let (s1, s2) = packets(&s2c);
        assert_eq!(
            find_digest(c1, CLIENT_SIGNING_KEY),
            c1_offset.map(|o| (DigestScheme::Base8, o)),
            "{name}: C1"
        );
        assert_eq!(
            find_digest(s1, SERVER_SIGNING_KEY),
            s1_offset.map(|o| (DigestScheme::Base8, o)),
            "{name}: S1"
        );
        // Neither key validates the other side's digest.
        assert_eq!(find_digest(c1, SERVER_SIGNING_KEY), None, "{name}");
        assert_eq!(find_digest(s1, CLIENT_SIGNING_KEY), None, "{name}");

        // nginx answers a digest C1 with an S2 signed over C1's digest.
        if let (Some(c1_offset), Some(_)) = (c1_offset, s1_offset) {
            assert!(
                verify_response(s2, digest_at(c1, c1_offset), &FLASH_MEDIA_SERVER_KEY),
                "{name}: nginx's S2 is the digest response"
            );
        }
        // FFmpeg as a player answers S1 with a signed C2; as a publisher it echoes S1.
        if let Some(s1_offset) = s1_offset {
            let signed = verify_response(c2, digest_at(s1, s1_offset), &FLASH_PLAYER_KEY);
            assert_eq!(signed, name == "ffmpeg_play_nginx", "{name}: C2 signed");
            assert_eq!(
                c2 == s1,
                name != "ffmpeg_play_nginx",
                "{name}: C2 echoes S1"
            );
        }
    }
    // rtmpdump's simple handshake with nginx: S1 = S2 = echo of C1, C2 = echo of S1.
    let c2s = capture("rtmpdump_play_nginx", "c2s");
    let s2c = capture("rtmpdump_play_nginx", "s2c");
    let ((c1, c2), (s1, s2)) = (packets(&c2s), packets(&s2c));
    assert!(s1 == c1 && s2 == c1 && c2 == s1);
}

/// What one side did with one input, fed in pieces.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Outcome {
    transmitted: Vec<u8>,
    left_over: Vec<u8>,
    done: bool,
    info: Option<HandshakeInfo>,
}

/// Feeds `input` cut at `cuts` to a fresh handshake (fixed seed), draining
/// its output after each piece the way a driver does.
fn feed(server: bool, input: &[u8], cuts: &[usize]) -> Outcome {
    let mut rng = SeededRandom::new(42);
    let config = HandshakeConfig::default();
    let mut handshake = if server {
        Handshake::server(config, &mut rng)
    } else {
        Handshake::client(config, &mut rng)
    };
    let mut cuts: Vec<usize> = cuts.iter().copied().filter(|&c| c < input.len()).collect();
    cuts.push(input.len());
    cuts.sort_unstable();
    let mut buf = BytesMut::new();
    let mut transmitted = Vec::new();
    let mut done = false;
    let mut start = 0;
    for end in cuts {
        buf.extend_from_slice(&input[start..end]);
        start = end;
        done = handshake
            .advance(&mut buf, &mut rng)
            .expect("handshake accepted");
        while let Some(piece) = handshake.poll_transmit() {
            transmitted.extend_from_slice(&piece);
        }
    }
    Outcome {
        transmitted,
        left_over: buf.to_vec(),
        done,
        info: handshake.info().cloned(),
    }
}

fn assert_same_whatever_the_cuts(server: bool, input: &[u8], what: &str) -> Outcome {
    let whole = feed(server, input, &[]);
    assert!(whole.done, "{what}: handshake completes");
    assert_eq!(
        whole.left_over,
        &input[HANDSHAKE_LEN..],
        "{what}: left over"
    );
    // One byte at a time over the handshake part (and a bit beyond).
    let bytewise: Vec<usize> = (1..HANDSHAKE_LEN + 64).collect();
    assert_eq!(
        feed(server, input, &bytewise),
        whole,
        "{what}: byte by byte"
    );
    for cuts in [
        vec![1],
        vec![1537],
        vec![1536, 3072],
        vec![3073],
        vec![3074],
        vec![7, 13, 4096],
    ] {
        assert_eq!(feed(server, input, &cuts), whole, "{what}: cut at {cuts:?}");
    }
    whole
}

/// Our server, fed what each real client sent.
#[test]
fn our_server_accepts_every_recorded_client() {
    for name in CAPTURES {
        let c2s = capture(name, "c2s");
        let outcome = assert_same_whatever_the_cuts(true, &c2s, name);
        let info = outcome.info.unwrap();
        let (c1, _) = packets(&c2s);
        let rtmpdump = name == "rtmpdump_play_nginx";
        // FFmpeg: 9.0.124.2 with a digest at base 8; rtmpdump: simple, version 0, its clock.
        if rtmpdump {
            assert_eq!(info.kind, HandshakeKind::Simple);
            assert_eq!((info.peer_version, info.peer_epoch), ([0; 4], 19836));
        } else {
            assert_eq!(
                info.kind,
                HandshakeKind::Digest {
                    scheme: DigestScheme::Base8,
                    offset: 494
                }
            );
            assert_eq!((info.peer_version, info.peer_epoch), ([9, 0, 124, 2], 0));
        }
        // The recorded C2 answered someone else's S1: accepted, not verified.
        assert_eq!(info.peer_response, Some(PeerResponse::Unverified), "{name}");

        // What we sent is what that client expects: S0, an S1 signed like
        // its C1 was, and an S2 answering its C1.
        let sent = &outcome.transmitted;
        assert_eq!(sent.len(), HANDSHAKE_LEN, "{name}");
        let (s1, s2) = packets(sent);
        if rtmpdump {
            assert_eq!(find_digest(s1, SERVER_SIGNING_KEY), None);
            assert_eq!(s2, c1, "{name}: simple S2 echoes C1");
        } else {
            assert!(matches!(
                find_digest(s1, SERVER_SIGNING_KEY),
                Some((DigestScheme::Base8, _))
            ));
            assert!(
                verify_response(s2, digest_at(c1, 494), &FLASH_MEDIA_SERVER_KEY),
                "{name}"
            );
        }
    }
}

/// Our client, fed what each real server sent.
#[test]
fn our_client_accepts_every_recorded_server() {
    for name in CAPTURES {
        let s2c = capture(name, "s2c");
        let outcome = assert_same_whatever_the_cuts(false, &s2c, name);
        let info = outcome.info.unwrap();
        let (s1, _) = packets(&s2c);
        match name {
            "rtmpdump_play_nginx" | "ffmpeg_publish_ffmpeglisten" => {
                assert_eq!(info.kind, HandshakeKind::Simple, "{name}");
                assert_eq!(info.peer_version, [0; 4], "{name}");
            }
            _ => {
                assert!(matches!(
                    info.kind,
                    HandshakeKind::Digest {
                        scheme: DigestScheme::Base8,
                        ..
                    }
                ));
                assert_eq!(info.peer_version, [13, 14, 10, 13], "{name}");
            }
        }
        assert_eq!(
            info.peer_epoch,
            u32::from_be_bytes(s1[..4].try_into().unwrap())
        );
        // The recorded S2 answered someone else's C1: accepted, not verified.
        assert_eq!(info.peer_response, Some(PeerResponse::Unverified), "{name}");

        // We sent C0+C1 and then a C2 that answers this S1.
        let sent = &outcome.transmitted;
        assert_eq!(sent.len(), HANDSHAKE_LEN, "{name}");
        let c2: &[u8; PACKET_LEN] = sent[1 + PACKET_LEN..].try_into().unwrap();
        match info.kind {
            HandshakeKind::Digest { offset, .. } => {
                assert!(
                    verify_response(c2, digest_at(s1, offset), &FLASH_PLAYER_KEY),
                    "{name}"
                )
            }
            HandshakeKind::Simple => assert_eq!(c2, s1, "{name}: simple C2 echoes S1"),
        }
    }
}

/// A simple S1 with a non-zero version (some servers send one), and an
/// nginx-style answer to a simple C1 (S1 = S2 = C1): both accepted.
#[test]
fn client_is_lenient_with_simple_servers() {
    let mut rng = SeededRandom::new(1);
    let config = HandshakeConfig {
        digest: false,
        ..HandshakeConfig::default()
    };
    let mut client = Handshake::client(config, &mut rng);
    let c0c1 = client.poll_transmit().unwrap();
    let mut answer = BytesMut::from(&c0c1[..]);
    answer.extend_from_slice(&c0c1[1..]);
    assert!(client.advance(&mut answer, &mut rng).unwrap());
    let info = client.info().unwrap();
    assert_eq!(info.kind, HandshakeKind::Simple);
    assert_eq!(info.peer_response, Some(PeerResponse::Echo));

    let mut client = Handshake::client(HandshakeConfig::default(), &mut rng);
    client.poll_transmit().unwrap();
    let mut s1 = [0x21u8; PACKET_LEN];
    s1[4..8].copy_from_slice(&[4, 5, 0, 1]);
    let mut answer = BytesMut::from(&[3u8][..]);
    answer.extend_from_slice(&s1);
    answer.extend_from_slice(&[0x22; PACKET_LEN]);
    assert!(client.advance(&mut answer, &mut rng).unwrap());
    let info = client.info().unwrap();
    assert_eq!(
        (info.kind, info.peer_version),
        (HandshakeKind::Simple, [4, 5, 0, 1])
    );
    assert_eq!(info.peer_response, Some(PeerResponse::Unverified));
    let mut c2 = Vec::new();
    while let Some(piece) = client.poll_transmit() {
        c2.extend_from_slice(&piece);
    }
    assert_eq!(c2, s1, "C2 echoes the simple S1");
}

/// FFmpeg's publisher answers a digest S1 with an echo instead of a signed
/// C2: our server accepts that.
#[test]
fn server_accepts_an_echoed_s1_as_c2() {
    let mut rng = SeededRandom::new(4);
    let mut server = Handshake::server(HandshakeConfig::default(), &mut rng);
    let c2s = capture("ffmpeg_publish_nginx", "c2s");
    let mut buf = BytesMut::from(&c2s[..1 + PACKET_LEN]);
    assert!(!server.advance(&mut buf, &mut rng).unwrap());
    let s0s1s2 = server.poll_transmit().unwrap();
    buf.extend_from_slice(&s0s1s2[1..1 + PACKET_LEN]);
    assert!(server.advance(&mut buf, &mut rng).unwrap());
    assert_eq!(
        server.info().unwrap().peer_response,
        Some(PeerResponse::Echo)
    );
}

proptest! {
    /// Any cuts, both sides, every capture: same bytes out, same bytes left.
    #[test]
    fn any_cuts_leave_exactly_the_post_handshake_bytes(
        which in 0..CAPTURES.len(),
        server in any::<bool>(),
        cuts in arb_cuts(HANDSHAKE_LEN + 200),
    ) {
        let name = CAPTURES[which];
        let input = capture(name, if server { "c2s" } else { "s2c" });
        let whole = feed(server, &input, &[]);
        let cut = feed(server, &input, &cuts);
        prop_assert_eq!(&cut, &whole);
        prop_assert_eq!(&cut.left_over[..], &input[HANDSHAKE_LEN..]);
    }
}
