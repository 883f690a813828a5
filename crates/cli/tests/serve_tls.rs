//! `wirestate serve websocket|rtmp --tls-cert --tls-key`: wss:// and
//! rtmps:// with a self-signed certificate made at test time; the flags'
//! errors; a client that speaks no TLS is dropped within the handshake
//! timeout.

mod support;

use std::io::Read;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::time::Duration;

use support::{Server, BOUND};
use wirestate_tokio::connect::WsConnect;
use wirestate_tokio::tls;
use wirestate_websocket::{DeflateConfig, Message, WsEvent};

/// A certificate for 127.0.0.1 and its key, as PEM files in a fresh
/// directory (removed when dropped).
struct Certificate {
    dir: PathBuf,
    cert: PathBuf,
    key: PathBuf,
}

impl Certificate {
    fn new(name: &str) -> Certificate {
        let dir = std::env::temp_dir().join(format!("wirestate-tls-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let made = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_string()]).unwrap();
        let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
        std::fs::write(&cert, made.cert.pem()).unwrap();
        std::fs::write(&key, made.key_pair.serialize_pem()).unwrap();
        Certificate { dir, cert, key }
    }

    fn args<'a>(&'a self, mode: &'a str) -> Vec<&'a str> {
        vec![
            "serve",
            mode,
            "--listen",
            "127.0.0.1:0",
            "--tls-cert",
            s(&self.cert),
            "--tls-key",
            s(&self.key),
        ]
    }
}

impl Drop for Certificate {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn s(path: &Path) -> &str {
    path.to_str().unwrap()
}

#[test]
fn serve_websocket_with_tls_echoes_over_wss() {
    let certificate = Certificate::new("wss");
    let server = Server::start(&certificate.args("websocket"));
    let roots = tls::certificates_from_pem(&certificate.cert).unwrap();
    let config = tls::client_config(roots).unwrap();
    let url = format!("wss://{}/", server.addr);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let echoed = runtime.block_on(async move {
        let (mut ws, response) = WsConnect::new(url)
            .deflate(DeflateConfig::client())
            .tls(config)
            .connect()
            .await
            .unwrap();
        assert!(response.deflate.is_some());
        ws.machine_mut().send_text("secure hello").unwrap();
        let event = tokio::time::timeout(BOUND, ws.next_event()).await.unwrap();
        event.unwrap().unwrap()
    });
    match echoed {
        WsEvent::Message(Message::Text(text)) => assert_eq!(text, "secure hello"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_client_without_tls_is_dropped_within_the_handshake_timeout() {
    let certificate = Certificate::new("silent");
    let mut args = certificate.args("rtmp");
    args.extend(["--handshake-timeout", "1"]);
    let server = Server::start(&args);
    let mut quiet = TcpStream::connect(server.addr).unwrap();
    quiet.set_read_timeout(Some(BOUND)).unwrap();
    let started = std::time::Instant::now();
    let mut rest = Vec::new();
    // Closed by the server (EOF, or a reset), long before BOUND.
    let _ = quiet.read_to_end(&mut rest);
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    assert!(rest.is_empty(), "{rest:?}");
}

#[test]
fn tls_flags_come_in_pairs_and_name_unreadable_files() {
    let bin = env!("CARGO_BIN_EXE_wirestate");
    let out = std::process::Command::new(bin)
        .args(["serve", "websocket", "--tls-cert", "cert.pem"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--tls-key"));

    let out = std::process::Command::new(bin)
        .args(["serve", "rtmp", "--listen", "127.0.0.1:0"])
        .args([
            "--tls-cert",
            "/nonexistent/cert.pem",
            "--tls-key",
            "/nonexistent/key.pem",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("/nonexistent/cert.pem"), "{stderr}");
}
