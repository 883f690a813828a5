//! `wirestate serve length` and `serve lines` against a client that stops
//! reading, and SIGTERM.

mod support;

use std::io::{Read, Write};
use std::net::TcpStream;

use support::{write_in_background, Server, BOUND};

/// One `{packet,2}` frame of `len` bytes.
fn frame(len: usize) -> Vec<u8> {
    let mut wire = (len as u16).to_be_bytes().to_vec();
    wire.resize(2 + len, 0x33);
    wire
}

#[test]
fn serve_length_releases_a_client_that_never_reads_after_the_send_timeout() {
    let mut server = Server::start(&[
        "serve",
        "length",
        "--listen",
        "127.0.0.1:0",
        "--send-timeout",
        "2",
    ]);
    let stream = TcpStream::connect(server.addr).unwrap();
    let local = stream.local_addr().unwrap().to_string();
    let writer = write_in_background(stream, frame(65535), 256 << 20);
    let (failure, written) = writer.recv_timeout(BOUND).expect("released in time");
    assert!(failure.is_some(), "all {written} bytes went through");
    assert!(
        server.wait_log(&[&local, "closed"], BOUND).is_some(),
        "{}",
        server.log()
    );
}

#[test]
fn serve_length_ends_every_connection_on_sigterm_and_exits_0() {
    let mut server = Server::start(&["serve", "length", "--listen", "127.0.0.1:0"]);
    let mut clients: Vec<TcpStream> = (0..2)
        .map(|_| TcpStream::connect(server.addr).unwrap())
        .collect();
    for client in &mut clients {
        client.write_all(&frame(3)).unwrap();
        let mut echoed = [0; 5];
        client.read_exact(&mut echoed).unwrap();
    }
    server.terminate();
    for client in &mut clients {
        client.set_read_timeout(Some(BOUND)).unwrap();
        let mut rest = Vec::new();
        assert_eq!(client.read_to_end(&mut rest).unwrap(), 0, "closed cleanly");
    }
    let status = server.wait_exit(BOUND).expect("exits after the drain");
    assert!(status.success(), "{status:?}: {}", server.log());
}

#[test]
fn serve_lines_echoes_lines() {
    let server = Server::start(&["serve", "lines", "--listen", "127.0.0.1:0"]);
    let mut stream = TcpStream::connect(server.addr).unwrap();
    stream.write_all(b"hello\r\nworld\n").unwrap();
    stream.set_read_timeout(Some(BOUND)).unwrap();
    let mut echoed = [0; 12];
    stream.read_exact(&mut echoed).unwrap();
    assert_eq!(&echoed, b"hello\nworld\n");
}

#[test]
fn every_serve_mode_documents_its_limits_and_memory() {
    for mode in ["length", "lines", "websocket", "rtmp"] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_wirestate"))
            .args(["serve", mode, "--help"])
            .output()
            .unwrap();
        let help = String::from_utf8_lossy(&out.stdout);
        for flag in [
            "--idle-timeout <SECS>",
            "--handshake-timeout <SECS>",
            "--send-timeout <SECS>",
            "--max-connections <N>",
            "--memory-budget <BYTES>",
            "--drain-timeout <SECS>",
            "[default: ",
            "Memory: at most about --memory-budget",
        ] {
            assert!(help.contains(flag), "{mode}: {flag} missing in\n{help}");
        }
    }
}
