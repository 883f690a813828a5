//! `wirestate inspect` on every protocol's captures, run as a user runs it:
//! the JSON `offset` of each unit checked against the unit boundaries in
//! the capture, and `--payload hex|base64` against the capture's bytes.

use std::path::PathBuf;
use std::process::Command;

use base64::Engine;

fn capture(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/captures")
        .join(path)
}

/// Runs `wirestate inspect --json args... FILE`, expects success, returns
/// the JSON lines and the capture's bytes.
fn inspect(args: &[&str], file: &str) -> (Vec<serde_json::Value>, Vec<u8>) {
    let path = capture(file);
    let out = Command::new(env!("CARGO_BIN_EXE_wirestate"))
        .arg("inspect")
        .arg("--json")
        .args(args)
        .arg(&path)
        .output()
        .expect("run wirestate");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let events = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).expect("every line is JSON"))
        .collect();
    (events, std::fs::read(path).unwrap())
}

fn offset(event: &serde_json::Value) -> usize {
    event["offset"].as_u64().expect("every line has an offset") as usize
}

fn len(event: &serde_json::Value) -> usize {
    event["len"].as_u64().unwrap() as usize
}

fn hex(event: &serde_json::Value) -> Vec<u8> {
    let text = event["payload"].as_str().expect("--payload adds payload");
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

fn base64(event: &serde_json::Value) -> Vec<u8> {
    let text = event["payload"].as_str().expect("--payload adds payload");
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .unwrap()
}

#[test]
fn length_frames_follow_each_other_header_plus_len_apart() {
    for (framing, header, file) in [
        ("erlang2", 2, "length/erl_packet2_basic.c2s.bin"),
        ("erlang4", 4, "length/erl_packet4_basic.c2s.bin"),
    ] {
        for format in ["hex", "base64"] {
            let (events, input) = inspect(
                &[
                    "--protocol",
                    "length",
                    "--framing",
                    framing,
                    "--payload",
                    format,
                ],
                file,
            );
            assert!(events.len() > 2, "{file}");
            let mut expected = 0;
            for event in &events {
                assert_eq!(event["event"], "frame");
                assert_eq!(offset(event), expected, "{file} {event}");
                let start = expected + header;
                let bytes = &input[start..start + len(event)];
                let payload = if format == "hex" {
                    hex(event)
                } else {
                    base64(event)
                };
                assert_eq!(payload, bytes, "{file} {event}");
                expected = start + len(event);
            }
            assert_eq!(expected, input.len(), "{file}: every byte in a frame");
        }
    }
}

#[test]
fn lines_start_after_the_line_and_delimiter_before_them() {
    let (events, input) = inspect(
        &["--protocol", "lines", "--payload", "hex"],
        "lines/erl_line_basic.s2c.bin",
    );
    assert!(events.len() > 3);
    let mut expected = 0;
    for event in &events {
        assert_eq!(event["event"], "line", "{event}");
        assert_eq!(offset(event), expected, "{event}");
        let line = &input[expected..expected + len(event)];
        assert_eq!(hex(event), line);
        let rest = &input[expected + line.len()..];
        let delimiter = if rest.starts_with(b"\r\n") { 2 } else { 1 };
        assert_eq!(rest[delimiter - 1], b'\n', "{event}");
        expected += line.len() + delimiter;
    }
    assert_eq!(expected, input.len());
}

#[test]
fn memcached_raw_blocks_and_lines_tile_the_capture() {
    for file in [
        "lines/memcached_text.c2s.bin",
        "lines/memcached_meta.s2c.bin",
    ] {
        let (events, input) = inspect(
            &[
                "--protocol",
                "lines",
                "--memcached",
                "--delimiter",
                "lf",
                "--payload",
                "base64",
            ],
            file,
        );
        assert!(events.iter().any(|e| e["event"] == "raw"), "{file}");
        let mut expected = 0;
        for event in &events {
            assert_eq!(offset(event), expected, "{file} {event}");
            let bytes = base64(event);
            assert_eq!(
                bytes,
                &input[expected..expected + bytes.len()],
                "{file} {event}"
            );
            expected += bytes.len();
            if event["event"] == "line" {
                // The line's payload has no delimiter; skip `\r\n` or `\n`.
                expected += if input[expected] == b'\r' { 2 } else { 1 };
            } else {
                assert_eq!(event["event"], "raw", "{file} {event}");
            }
        }
        assert_eq!(expected, input.len(), "{file}");
    }
}

/// The manifest's frames of one direction: stream offset -> (opcode, header
/// length, payload length).
fn ws_frames(name: &str, direction: &str) -> Vec<(usize, (u64, usize, usize))> {
    let manifest: serde_json::Value = serde_json::from_slice(
        &std::fs::read(capture(&format!("websocket/{name}.manifest.json"))).unwrap(),
    )
    .unwrap();
    let base = manifest[format!("{direction}_ws_offset")].as_u64().unwrap() as usize;
    manifest[format!("{direction}_frames")]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let field = |k: &str| f[k].as_u64().unwrap();
            (
                base + field("offset") as usize,
                (
                    field("opcode"),
                    field("header_len") as usize,
                    field("payload_len") as usize,
                ),
            )
        })
        .collect()
}

#[test]
fn websocket_units_start_at_their_first_frame_in_both_roles() {
    let name = "ws_py_nodeflate";
    for (role, direction, head) in [("server", "c2s", "request"), ("client", "s2c", "response")] {
        let file = format!("websocket/{name}.{direction}.bin");
        let (events, input) = inspect(
            &[
                "--protocol",
                "websocket",
                "--role",
                role,
                "--payload",
                "hex",
            ],
            &file,
        );
        let frames: std::collections::HashMap<_, _> =
            ws_frames(name, direction).into_iter().collect();
        assert_eq!(events[0]["event"], head);
        assert_eq!(offset(&events[0]), 0);
        let mut checked = 0;
        for event in &events[1..] {
            let opcode = match (event["event"].as_str().unwrap(), event["type"].as_str()) {
                ("message", Some("text")) => 1,
                ("message", Some("binary")) => 2,
                ("close", _) => 8,
                ("ping", _) => 9,
                ("pong", _) => 10,
                (other, _) => panic!("unexpected {other}: {event}"),
            };
            let (op, header, payload_len) = frames[&offset(event)];
            assert_eq!(op, opcode, "{direction} {event}");
            // Unmasked single-frame messages: the payload is on the wire as is.
            if direction == "s2c" && opcode != 8 && payload_len == len(event) {
                let start = offset(event) + header;
                assert_eq!(hex(event), &input[start..start + payload_len], "{event}");
                checked += 1;
            }
        }
        assert!(events.len() > 5, "{direction}");
        assert!(direction == "c2s" || checked > 3, "{checked}");
    }
}

#[test]
fn rtmp_messages_start_at_a_chunk_of_their_chunk_stream() {
    let (events, input) = inspect(
        &["--protocol", "rtmp", "--payload", "hex"],
        "rtmp/rtmp_ffmpeg_publish_nginx.c2s.bin",
    );
    assert_eq!(events[0]["event"], "handshake");
    assert_eq!(offset(&events[0]), 0);
    // After C0, C1 and C2.
    assert_eq!(offset(&events[1]), 1 + 1536 + 1536);
    let mut previous = 0;
    let mut whole = 0;
    for event in &events[1..] {
        assert_eq!(event["event"], "message", "{event}");
        let at = offset(event);
        assert!(at > previous, "{event}");
        previous = at;
        // The basic header: format in the top two bits, csid below.
        let (fmt, csid) = (input[at] >> 6, u64::from(input[at] & 0x3f));
        assert_eq!(event["csid"], csid, "{event}");
        // A type 0 or 1 chunk carrying the whole message: its payload follows
        // the basic header and the 11- or 7-byte message header.
        if fmt <= 1 && len(event) <= 128 {
            let start = at + 1 + if fmt == 0 { 11 } else { 7 };
            assert_eq!(hex(event), &input[start..start + len(event)], "{event}");
            whole += 1;
        }
    }
    assert!(events.len() > 300);
    assert!(whole > 100, "{whole}");
}
