//! `wirestate serve rtmp`: its flags and SIGTERM (the relay's media paths are
//! tested with FFmpeg in the workspace's peer suites).

mod support;

use std::io::{Read, Write};
use std::net::TcpStream;

use support::{Server, BOUND};

#[test]
fn serve_rtmp_finishes_its_handshakes_and_exits_0_on_sigterm() {
    let dir = std::env::temp_dir().join(format!("wirestate-serve-rtmp-{}", std::process::id()));
    let mut server = Server::start(&[
        "serve",
        "rtmp",
        "--listen",
        "127.0.0.1:0",
        "--record",
        dir.to_str().unwrap(),
        "--record-mode",
        "append",
    ]);
    // C0 and C1: the server answers S0, S1 and S2.
    let mut client = TcpStream::connect(server.addr).unwrap();
    let mut c0c1 = vec![3u8];
    c0c1.extend_from_slice(&[0; 1536]);
    client.write_all(&c0c1).unwrap();
    client.set_read_timeout(Some(BOUND)).unwrap();
    let mut s0s1s2 = vec![0; 1 + 2 * 1536];
    client.read_exact(&mut s0s1s2).unwrap();
    assert_eq!(s0s1s2[0], 3);

    server.terminate();
    let status = server.wait_exit(BOUND).expect("exits after the drain");
    assert!(status.success(), "{status:?}: {}", server.log());
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn an_unknown_record_mode_is_refused() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_wirestate"))
        .args(["serve", "rtmp", "--record-mode", "rename"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("rename"), "{stderr}");
}

/// The answer to `GET path` from the status port at `addr`.
fn http_get(addr: std::net::SocketAddr, path: &str) -> String {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(BOUND)).unwrap();
    write!(stream, "GET {path} HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    answer
}

#[test]
fn serve_rtmp_http_serves_health_metrics_and_streams() {
    let mut server = Server::start(&[
        "serve",
        "rtmp",
        "--listen",
        "127.0.0.1:0",
        "--http",
        "127.0.0.1:0",
        "--app",
        "live",
        "--publish-token",
        "secret",
    ]);
    let line = server.next_stdout(BOUND).expect("a second stdout line");
    let addr: std::net::SocketAddr = line
        .strip_prefix("HTTP LISTENING ")
        .unwrap_or_else(|| panic!("{line:?}"))
        .parse()
        .unwrap();
    assert_ne!(addr, server.addr);
    let health = http_get(addr, "/health");
    assert!(health.starts_with("HTTP/1.1 200 OK\r\n"), "{health}");
    assert!(health.ends_with("\r\n\r\nok\n"), "{health}");
    let streams = http_get(addr, "/streams");
    assert!(streams.ends_with("\r\n\r\n[]\n"), "{streams}");
    let metrics = http_get(addr, "/metrics");
    assert!(
        metrics.contains("Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"),
        "{metrics}"
    );
    for line in [
        "rtmp_publishers 0",
        "rtmp_players 0",
        "rtmp_dropped_messages_total 0",
    ] {
        assert!(metrics.lines().any(|l| l == line), "{line} in {metrics}");
    }
    assert!(http_get(addr, "/other").starts_with("HTTP/1.1 404 "));

    server.terminate();
    let status = server.wait_exit(BOUND).expect("exits after the drain");
    assert!(status.success(), "{status:?}: {}", server.log());
}
