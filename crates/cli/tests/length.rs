//! The `wirestate` command's length mode, run as a user runs it.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

fn wirestate(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_wirestate"))
        .args(args)
        .output()
        .expect("run wirestate")
}

fn capture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/captures/length")
        .join(name)
}

fn json_lines(stdout: &[u8]) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(stdout)
        .lines()
        .map(|line| serde_json::from_str(line).expect("every line is JSON"))
        .collect()
}

#[test]
fn inspect_json_lists_every_frame_erlang_received() {
    let path = capture("erl_packet4_basic.c2s.bin");
    let out = wirestate(&[
        "inspect",
        "--protocol",
        "length",
        "--framing",
        "erlang4",
        "--json",
        path.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let events = json_lines(&out.stdout);

    // Erlang's own log of what gen_tcp:recv returned is the ground truth.
    let truth = std::fs::read_to_string(capture("erl_packet4_basic.events.txt")).unwrap();
    let lens: Vec<u64> = truth
        .lines()
        .filter_map(|line| {
            let mut words = line.split_whitespace().skip(1);
            (words.next() == Some("recv")).then(|| words.next().unwrap().parse().unwrap())
        })
        .collect();
    assert!(!lens.is_empty());
    assert_eq!(events.len(), lens.len());
    for (event, len) in events.iter().zip(lens) {
        assert_eq!(event["event"], "frame");
        assert_eq!(event["len"], len);
        assert_eq!(event["sha256"].as_str().unwrap().len(), 64);
    }
}

#[test]
fn inspect_reports_the_oversize_frame_as_an_error_on_stderr() {
    let path = capture("erl_packet2_oversize.c2s.bin");
    let out = wirestate(&[
        "inspect",
        "--protocol",
        "length",
        "--max",
        "1024",
        "--json",
        path.to_str().unwrap(),
    ]);
    // The frames before it on stdout, the error on stderr, exit status 1.
    assert_eq!(out.status.code(), Some(1));
    let events = json_lines(&out.stdout);
    assert!(!events.is_empty());
    assert!(events.iter().all(|e| e["event"] == "frame"));
    let errors = json_lines(&out.stderr);
    assert_eq!(errors.len(), 1);
    let error = &errors[0];
    assert_eq!(error["event"], "error");
    assert!(error["error"].as_str().unwrap().contains("2000"), "{error}");
}

#[test]
fn inspect_without_a_file_decodes_the_built_in_samples() {
    let out = wirestate(&["inspect", "--json"]);
    assert!(out.status.success());
    let events = json_lines(&out.stdout);
    let captures: Vec<&str> = events
        .iter()
        .filter(|e| e["event"] == "capture")
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert!(captures.contains(&"length/erl_packet2_basic.c2s.bin"));
    assert!(events.iter().any(|e| e["event"] == "frame"));
}

#[test]
fn an_unknown_framing_is_a_clear_failure() {
    let path = capture("erl_packet2_basic.c2s.bin");
    let out = wirestate(&[
        "inspect",
        "--protocol",
        "length",
        "--framing",
        "u13",
        path.to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown framing"));
}

/// The server process, killed by PID when dropped.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn serve_length_echoes_packet2_frames() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_wirestate"))
        .args(["serve", "length", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start wirestate serve");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let _server = Server(child);
    // `LISTENING 127.0.0.1:<port>`
    let addr: std::net::SocketAddr = line
        .trim()
        .strip_prefix("LISTENING ")
        .unwrap()
        .parse()
        .unwrap();
    assert!(addr.ip().is_loopback());

    let mut stream = TcpStream::connect(addr).unwrap();
    let frames: [&[u8]; 3] = [b"hello", b"", &[7u8; 65535]];
    let mut wire = Vec::new();
    for frame in frames {
        wire.extend_from_slice(&(frame.len() as u16).to_be_bytes());
        wire.extend_from_slice(frame);
    }
    stream.write_all(&wire).unwrap();
    let mut echoed = vec![0; wire.len()];
    stream.read_exact(&mut echoed).unwrap();
    assert_eq!(echoed, wire);
}

#[test]
fn inspect_decodes_erlang_packet_types_by_name() {
    // Two tpkt packets (version 3, length counting the 4-byte header) and
    // the start of a third.
    let wire = vec![3, 0, 0, 6, b'h', b'i', 3, 0, 0, 4, 3, 0];
    let dir = std::env::temp_dir().join(format!("wirestate-tpkt-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("tpkt.bin");
    std::fs::write(&path, &wire).unwrap();
    let args = [
        "inspect",
        "--protocol",
        "length",
        "--framing",
        "tpkt",
        "--json",
    ];
    let out = wirestate(&[&args[..], &[path.to_str().unwrap()]].concat());
    let events = json_lines(&out.stdout);
    // As decode_packet returns them: header included.
    assert_eq!(events[0]["event"], "frame");
    assert_eq!(events[0]["len"], 6);
    assert_eq!(events[1]["len"], 4);
    assert_eq!(events.len(), 2, "{events:?}");
    // The start of a third: an error on stderr, at its first byte.
    assert_eq!(out.status.code(), Some(1));
    let errors = json_lines(&out.stderr);
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0]["event"], "error");
    assert_eq!(errors[0]["offset"], 10);

    // An unknown name lists the Erlang ones among the choices.
    let out = wirestate(&[
        "inspect",
        "--protocol",
        "length",
        "--framing",
        "asn2",
        path.to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("sunrm") && stderr.contains("tpkt"),
        "{stderr}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
