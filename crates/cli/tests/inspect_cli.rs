//! `wirestate inspect` as scripts use it: standard input, protocol
//! detection, decode errors on stderr with exit status 1 after the events
//! before them, and usage errors (exit 2) for flags of another protocol.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

fn capture(path: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/captures")
        .join(path);
    std::fs::read(path).unwrap()
}

fn capture_path(path: &str) -> String {
    format!("{}/../../tests/captures/{path}", env!("CARGO_MANIFEST_DIR"))
}

/// Runs `wirestate inspect args...` with `stdin` on standard input.
fn inspect(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_wirestate"))
        .arg("inspect")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run wirestate");
    let mut input = child.stdin.take().unwrap();
    let bytes = stdin.to_vec();
    // Written from a thread: the child may print before it read everything.
    let writer = std::thread::spawn(move || {
        let _ = input.write_all(&bytes);
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    out
}

fn json_lines(bytes: &[u8]) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(bytes)
        .lines()
        .map(|line| serde_json::from_str(line).expect("every line is JSON"))
        .collect()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn dash_reads_standard_input_like_the_file() {
    let name = "length/erl_packet4_basic.c2s.bin";
    let args = ["--protocol", "length", "--framing", "erlang4", "--json"];
    let from_stdin = inspect(&[&args[..], &["-"]].concat(), &capture(name));
    let from_file = inspect(&[&args[..], &[&capture_path(name)]].concat(), b"");
    assert!(from_stdin.status.success(), "{}", stderr(&from_stdin));
    assert!(!json_lines(&from_stdin.stdout).is_empty());
    assert_eq!(from_stdin.stdout, from_file.stdout);
}

#[test]
fn rtmp_and_both_websocket_directions_are_detected() {
    for (name, first, role) in [
        ("rtmp/rtmp_ffmpeg_play_nginx.c2s.bin", "handshake", None),
        ("rtmp/rtmp_ffmpeg_publish_nginx.s2c.bin", "handshake", None),
        (
            "websocket/ws_py_server_close_1009.c2s.bin",
            "request",
            Some("server"),
        ),
        (
            "websocket/ws_py_server_close_1009.s2c.bin",
            "response",
            Some("client"),
        ),
    ] {
        let detected = inspect(&["--json", "-"], &capture(name));
        assert!(detected.status.success(), "{name}: {}", stderr(&detected));
        let events = json_lines(&detected.stdout);
        assert_eq!(events[0]["event"], first, "{name}");
        assert!(events.len() >= 3, "{name}");
        // The same as naming the protocol (and the role).
        let protocol = if role.is_some() { "websocket" } else { "rtmp" };
        let mut args = vec!["--json", "--protocol", protocol];
        if let Some(role) = role {
            args.extend(["--role", role]);
        }
        args.push("-");
        let named = inspect(&args, &capture(name));
        assert_eq!(detected.stdout, named.stdout, "{name}");
    }
}

#[test]
fn an_undetectable_stream_asks_for_the_protocol() {
    let out = inspect(&["-"], &capture("length/erl_packet2_basic.c2s.bin"));
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    assert!(stderr(&out).contains("--protocol"), "{}", stderr(&out));
    // Too short for a C0+C1, though it starts with 3.
    let out = inspect(&["-"], &[3; 1536]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
}

#[test]
fn a_decode_error_exits_1_with_the_message_on_stderr_after_the_events() {
    // A WebSocket capture cut inside a frame: EOF without a close.
    let whole = capture("websocket/ws_py_nodeflate.s2c.bin");
    let cut = &whole[..whole.len() / 2];
    let out = inspect(&["--json", "-"], cut);
    assert_eq!(out.status.code(), Some(1));
    let events = json_lines(&out.stdout);
    assert!(events.iter().filter(|e| e["event"] == "message").count() > 3);
    assert!(events.iter().all(|e| e["event"] != "error"));
    let errors = json_lines(&out.stderr);
    assert_eq!(errors.len(), 1, "{}", stderr(&out));
    assert_eq!(errors[0]["event"], "error");
    assert_eq!(errors[0]["close_code"], 1006);
    // At the start of the cut frame: after every unit printed.
    let at = errors[0]["offset"].as_u64().unwrap();
    let last = events.last().unwrap()["offset"].as_u64().unwrap();
    assert!(last < at && (at as usize) < cut.len(), "{last} {at}");

    // Text mode: one clear line.
    let out = inspect(&["-"], cut);
    assert_eq!(out.status.code(), Some(1));
    assert!(!out.stdout.is_empty());
    let text = stderr(&out);
    assert_eq!(text.lines().count(), 1, "{text}");
    assert!(
        text.starts_with(&format!("wirestate: error at offset {at}: ")),
        "{text}"
    );

    // A lines capture that ends without its delimiter.
    let out = inspect(
        &["--protocol", "lines", "-"],
        &capture("lines/erl_line_basic.c2s.bin"),
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("line len=5 \"hello\""));
    assert!(stderr(&out).starts_with("wirestate: error at offset"));
}

#[test]
fn the_flags_of_another_protocol_are_refused() {
    let lines = capture("lines/erl_line_basic.s2c.bin");
    let ws = capture("websocket/ws_py_server_close_1009.c2s.bin");
    let length = capture("length/erl_packet2_basic.c2s.bin");
    for (args, input, flag) in [
        (
            &["--protocol", "lines", "--framing", "u16", "-"][..],
            &lines,
            "--framing",
        ),
        (
            &["--protocol", "websocket", "--memcached", "-"],
            &ws,
            "--memcached",
        ),
        (&["--memcached", "-"], &ws, "--memcached"), // detected websocket
        (
            &["--protocol", "length", "--role", "client", "-"],
            &length,
            "--role",
        ),
        (
            &["--protocol", "rtmp", "--max", "10", "-"],
            &length,
            "--max",
        ),
        (
            &["--protocol", "websocket", "--delimiter", "crlf", "-"],
            &ws,
            "--delimiter",
        ),
    ] {
        let out = inspect(args, input);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(out.stdout.is_empty(), "{args:?}");
        let text = stderr(&out);
        assert!(
            text.contains(flag) && text.contains("only"),
            "{args:?}: {text}"
        );
    }
    // The built-in samples have their own settings.
    let out = inspect(&["--framing", "u8"], b"");
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--framing"));
}

#[test]
fn the_built_in_samples_still_decode_with_offsets() {
    let out = inspect(&["--json", "--payload", "hex"], b"");
    assert!(out.status.success(), "{}", stderr(&out));
    let events = json_lines(&out.stdout);
    assert!(events.iter().all(|e| e["offset"].is_u64()));
    // Their errors are part of the demonstration: inline, as events.
    assert!(events.iter().any(|e| e["event"] == "error"));
    assert!(events
        .iter()
        .any(|e| e["event"] == "frame" && e["payload"].is_string()));
}
