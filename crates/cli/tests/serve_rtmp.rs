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
