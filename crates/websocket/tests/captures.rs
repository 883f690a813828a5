//! Replays the recorded WebSocket captures (tests/captures/websocket/)
//! through our machines and compares with the manifests' ground truth.
//!
//! - `ws_py_nodeflate`, `ws_py_server_close_1009`: c2s through our server role
//!   and s2c through our client role (built with the recorded key); every
//!   message type, length, sha256, text, close code and reason must match,
//!   fed whole, byte by byte, in the recorded TCP segment sizes and at
//!   proptest-chosen cuts.
//! - `ws_py_deflate`, `ws_node_client_py_server`, `ws_chromium_py_deflate`:
//!   the same, with permessage-deflate negotiated by our machines (every
//!   message inflated and compared), and also at frame level (count,
//!   opcodes, FIN, RSV1, masks, lengths).

use std::time::Instant;

use bytes::BytesMut;
use proptest::prelude::*;
use serde_json::Value;
use sha2::{Digest, Sha256};
use wirestate_core::testing::capture::{Capture as Recorded, Direction};
use wirestate_core::testing::{assert_transcripts_equal, feed_cut, Transcript};
use wirestate_core::SeededRandom;
use wirestate_websocket::frame::{rsv, FrameDecoder, FrameRules, Step};
use wirestate_websocket::{
    ClientRequest, DeflateConfig, DeflateParams, Message, WsConfig, WsConnection, WsEvent,
};

/// A recorded capture (bytes and segment sizes) with its manifest.
struct Capture {
    manifest: Value,
    recorded: Recorded,
}

impl std::ops::Deref for Capture {
    type Target = Recorded;

    fn deref(&self) -> &Recorded {
        &self.recorded
    }
}

fn load(name: &str) -> Capture {
    let recorded = Recorded::load("websocket", name);
    Capture {
        manifest: serde_json::from_slice(&recorded.file("manifest.json")).unwrap(),
        recorded,
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// One message in the manifest's terms, for comparison.
#[derive(Debug, PartialEq)]
enum Seen {
    Data {
        kind: &'static str,
        len: usize,
        sha256: String,
        text: Option<String>,
    },
    Control {
        kind: &'static str,
        payload_hex: String,
    },
    Close {
        code: Option<u64>,
        reason: String,
    },
}

fn from_event(event: &WsEvent) -> Option<Seen> {
    Some(match event {
        WsEvent::Message(m) => {
            let (kind, text) = match m {
                Message::Text(t) => ("text", Some(t.as_str().to_string())),
                Message::Binary(_) => ("binary", None),
            };
            Seen::Data {
                kind,
                len: m.payload().len(),
                sha256: hex(&Sha256::digest(m.payload())),
                text,
            }
        }
        WsEvent::Ping(p) => Seen::Control {
            kind: "ping",
            payload_hex: hex(p),
        },
        WsEvent::Pong(p) => Seen::Control {
            kind: "pong",
            payload_hex: hex(p),
        },
        WsEvent::Close(c) => Seen::Close {
            code: c.as_ref().map(|c| u64::from(c.code)),
            reason: c.as_ref().map(|c| c.reason.to_string()).unwrap_or_default(),
        },
        WsEvent::Request(_) | WsEvent::Connected(_) | WsEvent::Fragment(_) => return None,
    })
}

fn from_manifest(message: &Value) -> Seen {
    let kind = message["type"].as_str().unwrap();
    match kind {
        "text" | "binary" => Seen::Data {
            kind: if kind == "text" { "text" } else { "binary" },
            len: message["len"].as_u64().unwrap() as usize,
            sha256: message["sha256"].as_str().unwrap().to_string(),
            // The manifest keeps the text only when it is short; compare it
            // when it is there, and check it against the sha256 otherwise.
            text: message["text"].as_str().map(String::from),
        },
        "ping" | "pong" => Seen::Control {
            kind: if kind == "ping" { "ping" } else { "pong" },
            payload_hex: message["payload_hex"].as_str().unwrap().to_string(),
        },
        "close" => Seen::Close {
            code: message["close_code"].as_u64(),
            reason: message["close_reason"].as_str().unwrap_or("").to_string(),
        },
        other => panic!("unknown manifest message type {other}"),
    }
}

/// Compares what a machine produced with the manifest's message list.
fn check_messages(t: &Transcript<WsEvent>, expected: &Value, first: fn(&WsEvent) -> bool) {
    assert_eq!(t.error, None, "no error");
    assert!(
        first(&t.events[0]),
        "handshake event first: {:?}",
        t.events[0]
    );
    let mut seen: Vec<Seen> = t.events[1..].iter().filter_map(from_event).collect();
    let expected: Vec<Seen> = expected
        .as_array()
        .unwrap()
        .iter()
        .map(from_manifest)
        .collect();
    // Long texts are not in the manifest: drop ours there (sha256 covers them).
    for (ours, theirs) in seen.iter_mut().zip(&expected) {
        if let (Seen::Data { text, .. }, Seen::Data { text: None, .. }) = (ours, theirs) {
            *text = None;
        }
    }
    assert_eq!(seen.len(), expected.len(), "message count");
    for (i, (ours, theirs)) in seen.iter().zip(&expected).enumerate() {
        assert_eq!(ours, theirs, "message {i}");
    }
    assert!(t.closed, "the close handshake ends the machine");
}

fn key_and_target(capture: &Capture) -> (String, String, String) {
    let header = |name: &str| {
        capture.manifest["request_headers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|h| h[0].as_str().unwrap().eq_ignore_ascii_case(name))
            .map(|h| h[1].as_str().unwrap().to_string())
            .unwrap()
    };
    let line = capture.manifest["request_line"].as_str().unwrap();
    let path = line.split(' ').nth(1).unwrap().to_string();
    (header("Sec-WebSocket-Key"), header("Host"), path)
}

/// What a server sent after its HTTP response head.
fn after_head(transmitted: &[u8]) -> &[u8] {
    let head_end = transmitted
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap()
        + 4;
    &transmitted[head_end..]
}

fn server() -> WsConnection {
    WsConnection::server_auto_accept(WsConfig::default())
}

/// A server answering like the recorded deflate peers: context takeover
/// both ways, 12-bit windows.
fn deflate_server() -> WsConnection {
    WsConnection::server_auto_accept(WsConfig {
        deflate: Some(DeflateConfig {
            server_no_context_takeover: false,
            ..DeflateConfig::server()
        }),
        ..WsConfig::default()
    })
}

/// What the recorded deflate handshakes agreed on.
const RECORDED_DEFLATE: DeflateParams = DeflateParams {
    server_no_context_takeover: false,
    client_no_context_takeover: false,
    server_max_window_bits: 12,
    client_max_window_bits: 12,
};

fn client_for(capture: &Capture) -> impl Fn() -> WsConnection + '_ {
    client_with(capture, WsConfig::default())
}

fn client_with(capture: &Capture, config: WsConfig) -> impl Fn() -> WsConnection + '_ {
    move || {
        let (key, host, path) = key_and_target(capture);
        let request = ClientRequest::new(host, path).with_key(key);
        WsConnection::client(request, config.clone(), SeededRandom::new(3)).unwrap()
    }
}

fn deflate_client_for(capture: &Capture) -> impl Fn() -> WsConnection + '_ {
    client_with(
        capture,
        WsConfig {
            deflate: Some(DeflateConfig::client()),
            ..WsConfig::default()
        },
    )
}

fn is_request(e: &WsEvent) -> bool {
    matches!(e, WsEvent::Request(_))
}

fn is_connected(e: &WsEvent) -> bool {
    matches!(e, WsEvent::Connected(_))
}

fn sizes(capture: &Capture, direction: Direction) -> Vec<usize> {
    capture.segments(direction).unwrap().to_vec()
}

/// Whole, byte by byte and in the recorded segments: all equal, all right.
fn replay(name: &str) {
    let capture = load(name);
    replay_with(&capture, server, client_for(&capture));
}

/// A deflate capture: negotiated by our machines on both sides, then every
/// message inflated and compared.
fn replay_deflate(name: &str) {
    let capture = load(name);
    let whole = feed_cut(
        &mut deflate_server(),
        &capture.c2s,
        &[],
        true,
        Instant::now(),
    );
    let answer = String::from_utf8_lossy(&whole.transmitted).into_owned();
    assert!(
        answer.contains("Sec-WebSocket-Extensions: permessage-deflate; server_max_window_bits=12; client_max_window_bits=12\r\n"),
        "{answer}"
    );
    let client = deflate_client_for(&capture);
    let whole = feed_cut(&mut client(), &capture.s2c, &[], true, Instant::now());
    match &whole.events[0] {
        WsEvent::Connected(response) => assert_eq!(response.deflate, Some(RECORDED_DEFLATE)),
        other => panic!("{other:?}"),
    }
    replay_with(&capture, deflate_server, client);
}

fn replay_with(
    capture: &Capture,
    server: impl Fn() -> WsConnection,
    client: impl Fn() -> WsConnection,
) {
    replay_one_way(capture, Direction::C2s, server, is_request);
    replay_one_way(capture, Direction::S2c, client, is_connected);
}

/// One direction whole, in the recorded segments and byte by byte: all
/// equal, and the messages those of the manifest.
fn replay_one_way(
    capture: &Capture,
    direction: Direction,
    make: impl Fn() -> WsConnection,
    first: fn(&WsEvent) -> bool,
) {
    let now = Instant::now();
    let whole = capture.feed_cut(direction, &mut make(), &[], true, now);
    check_messages(
        &whole,
        &capture.manifest[format!("{direction}_messages")],
        first,
    );
    let segments = capture.feed_segments(direction, &mut make(), true, now);
    assert_transcripts_equal(
        &whole,
        &segments,
        &format!("{direction} in recorded segments"),
    );
    let all_bytes: Vec<usize> = (1..capture.bytes(direction).len()).collect();
    let bytewise = capture.feed_cut(direction, &mut make(), &all_bytes, true, now);
    assert_transcripts_equal(&whole, &bytewise, &format!("{direction} byte by byte"));
}

#[test]
fn ws_py_nodeflate_matches_its_manifest() {
    replay("ws_py_nodeflate");
}

#[test]
fn ws_py_deflate_matches_its_manifest() {
    replay_deflate("ws_py_deflate");
}

#[test]
fn ws_node_client_py_server_matches_its_manifest() {
    replay_deflate("ws_node_client_py_server");
}

#[test]
fn ws_chromium_py_deflate_matches_its_manifest() {
    replay_deflate("ws_chromium_py_deflate");
}

#[test]
fn ws_py_server_close_1009_matches_its_manifest() {
    replay("ws_py_server_close_1009");
}

/// With the recorded server's limit (4096), our server refuses the same
/// 5000-byte message with the same close code, right after "hi".
#[test]
fn ws_py_server_close_1009_with_the_same_limit_closes_like_the_peer() {
    let capture = load("ws_py_server_close_1009");
    let config = WsConfig {
        max_message_size: 4096,
        ..WsConfig::default()
    };
    let t = feed_cut(
        &mut WsConnection::server_auto_accept(config),
        &capture.c2s,
        &[],
        true,
        Instant::now(),
    );
    let seen: Vec<Seen> = t.events[1..].iter().filter_map(from_event).collect();
    assert_eq!(seen, [from_manifest(&capture.manifest["c2s_messages"][0])]);
    let error = t.error.expect("message too big");
    assert!(error.contains("exceeds the limit of 4096"), "{error}");
    // Our goodbye: 101 response, then a close frame with 1009.
    let close = after_head(&t.transmitted);
    assert_eq!(close[0], 0x88);
    assert_eq!(&close[2..4], 1009u16.to_be_bytes());
}

/// Both directions of `capture`, whole and at the given cuts: the
/// transcripts agree. Returns the whole ones (c2s, s2c).
fn assert_cuts_agree(
    capture: &Capture,
    server: impl Fn() -> WsConnection,
    client: impl Fn() -> WsConnection,
    c2s_cuts: &[usize],
    s2c_cuts: &[usize],
) -> (Transcript<WsEvent>, Transcript<WsEvent>) {
    let now = Instant::now();
    let c2s = feed_cut(&mut server(), &capture.c2s, &[], true, now);
    let cut = feed_cut(&mut server(), &capture.c2s, c2s_cuts, true, now);
    assert_transcripts_equal(&c2s, &cut, "c2s at proptest cuts");
    let s2c = feed_cut(&mut client(), &capture.s2c, &[], true, now);
    let cut = feed_cut(&mut client(), &capture.s2c, s2c_cuts, true, now);
    assert_transcripts_equal(&s2c, &cut, "s2c at proptest cuts");
    (c2s, s2c)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    #[test]
    fn ws_py_nodeflate_at_any_cuts(
        c2s_cuts in wirestate_core::testing::arb_cuts(2_098_234),
        s2c_cuts in wirestate_core::testing::arb_cuts(2_097_880),
    ) {
        let capture = load("ws_py_nodeflate");
        assert_cuts_agree(&capture, server, client_for(&capture), &c2s_cuts, &s2c_cuts);
    }

    #[test]
    fn deflate_captures_at_any_cuts(
        which in 0usize..3,
        c2s_cuts in wirestate_core::testing::arb_cuts(1_085_987),
        s2c_cuts in wirestate_core::testing::arb_cuts(1_085_482),
    ) {
        let name = ["ws_py_deflate", "ws_node_client_py_server", "ws_chromium_py_deflate"][which];
        let capture = load(name);
        // Cuts past a shorter capture's end are ignored by `feed_cut`.
        let client = deflate_client_for(&capture);
        let (c2s, s2c) = assert_cuts_agree(&capture, deflate_server, client, &c2s_cuts, &s2c_cuts);
        check_messages(&c2s, &capture.manifest["c2s_messages"], is_request);
        check_messages(&s2c, &capture.manifest["s2c_messages"], is_connected);
    }

    #[test]
    fn ws_py_server_close_1009_at_any_cuts(
        c2s_cuts in wirestate_core::testing::arb_cuts(5268),
        s2c_cuts in wirestate_core::testing::arb_cuts(260),
    ) {
        let capture = load("ws_py_server_close_1009");
        assert_cuts_agree(&capture, server, client_for(&capture), &c2s_cuts, &s2c_cuts);
    }
}

/// Frames as the manifest lists them: (fin, rsv1, opcode, masked, mask, len).
type FrameRow = (bool, bool, u8, bool, Option<String>, u64);

fn frames_at_frame_level(data: &[u8], from_client: bool, sizes: &[usize]) -> Vec<FrameRow> {
    let mut decoder = FrameDecoder::new(FrameRules {
        require_mask: Some(from_client),
        allowed_rsv: rsv::RSV1,
        max_frame_size: 1 << 30,
        accept_non_minimal_lengths: false,
    });
    let mut input = BytesMut::new();
    let mut rows = Vec::new();
    let mut at = 0usize;
    for &size in sizes.iter().chain(std::iter::once(&usize::MAX)) {
        let end = at.saturating_add(size).min(data.len());
        input.extend_from_slice(&data[at..end]);
        at = end;
        loop {
            match decoder.decode(&mut input).expect("valid frame") {
                Step::Frame(f) => {
                    let h = f.header;
                    rows.push((
                        h.fin,
                        h.rsv & rsv::RSV1 != 0,
                        h.opcode.as_u8(),
                        h.mask.is_some(),
                        h.mask.map(|m| hex(&m)),
                        h.payload_len,
                    ));
                }
                Step::Partial { .. } => {}
                Step::NeedMore => break,
            }
        }
        if at == data.len() {
            break;
        }
    }
    assert!(
        input.is_empty() && decoder.current().is_none(),
        "no partial frame left"
    );
    rows
}

fn manifest_frames(frames: &Value) -> Vec<FrameRow> {
    frames
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["fin"] == 1,
                f["rsv1"] == 1,
                f["opcode"].as_u64().unwrap() as u8,
                f["masked"] == 1,
                f["mask_key"].as_str().map(String::from),
                f["payload_len"].as_u64().unwrap(),
            )
        })
        .collect()
}

#[test]
fn every_capture_parses_at_frame_level() {
    for name in [
        "ws_py_deflate",
        "ws_node_client_py_server",
        "ws_chromium_py_deflate",
        "ws_py_nodeflate",
        "ws_py_server_close_1009",
    ] {
        let capture = load(name);
        for (direction, data, from_client) in [
            (Direction::C2s, &capture.c2s, true),
            (Direction::S2c, &capture.s2c, false),
        ] {
            let offset = capture.manifest[format!("{direction}_ws_offset")]
                .as_u64()
                .unwrap() as usize;
            let expected = manifest_frames(&capture.manifest[format!("{direction}_frames")]);
            let whole = frames_at_frame_level(&data[offset..], from_client, &[]);
            assert_eq!(whole, expected, "{name} {direction}");
            // In the recorded segments (minus the handshake's bytes) too.
            let mut segs = sizes(&capture, direction);
            let mut skip = offset;
            segs.retain_mut(|s| {
                let take = skip.min(*s);
                skip -= take;
                *s -= take;
                *s > 0
            });
            let segmented = frames_at_frame_level(&data[offset..], from_client, &segs);
            assert_eq!(segmented, expected, "{name} {direction} in segments");
        }
    }
}

/// Without a negotiated extension, a compressed (RSV1) frame is a protocol
/// error: accepting the handshake without permessage-deflate and then
/// receiving deflate frames fails with 1002.
#[test]
fn deflate_frames_without_negotiation_fail_with_1002() {
    let capture = load("ws_py_deflate");
    let t = feed_cut(&mut server(), &capture.c2s, &[], true, Instant::now());
    assert!(
        matches!(&t.events[..], [WsEvent::Request(r)] if r.extensions[0].name == "permessage-deflate")
    );
    let error = t.error.expect("RSV1 refused");
    assert!(error.contains("reserved bits"), "{error}");
    assert_eq!(&after_head(&t.transmitted)[2..4], 1002u16.to_be_bytes());
}
