//! wirestate-websocket against real peers on 127.0.0.1, through both drivers:
//! Python `websockets` and Node `ws` as clients of our server and as servers
//! for our client, and headless Chromium loading a page that talks to our
//! server. Every run is the same scripted exchange: text with multi-byte
//! UTF-8, binary, 1 MiB, a fragmented message, ping/pong, and a close with a
//! code and a UTF-8 reason; both sides report what they received.
//! Run with scripts/peer-tests.sh (installs the peers first).
#![cfg(feature = "peer-tests")]

mod peers;

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::Duration;

use bytes::Bytes;
use peers::Peer;
use sha2::{Digest, Sha256};
use wirestate::websocket::{ClientRequest, Command, Config, Event, Message, WsClient, WsServer};
use wirestate_core::OsRandom;

/// What the peers send (tests/peers/ws_py.py, ws_node.js, ws_chromium.html).
const PEER_TEXT: &str = "héllo wörld — 你好 🌍";
const PEER_FRAGMENTED: &str = "fragment-one|fragment-two|fragment-three";
/// What we send: the big one goes out in 64 KiB frames (`fragment_size`).
const OUR_TEXT: &str = "ours: ünïcödé テキスト 🎉";

fn peer_binary() -> Vec<u8> {
    (0..=255).collect()
}

fn peer_big() -> Vec<u8> {
    (0..1usize << 20)
        .map(|i| ((i * 7 + 3) % 251) as u8)
        .collect()
}

fn our_binary() -> Bytes {
    (0..=255u8).rev().collect::<Vec<_>>().into()
}

fn our_big() -> Bytes {
    (0..1usize << 20)
        .map(|i| ((i * 13 + 5) % 253) as u8)
        .collect::<Vec<_>>()
        .into()
}

fn recv_line(kind: &str, data: &[u8]) -> String {
    let sha: String = Sha256::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("RECV {kind} {} {sha}", data.len())
}

fn config() -> Config {
    Config {
        fragment_size: 64 << 10,
        ..Config::default()
    }
}

/// Our side of the exchange, driver-independent: events in, commands out.
struct Script {
    /// Data messages to wait for before sending ours.
    expect: usize,
    /// Whether the peer pings (browsers cannot).
    expect_ping: bool,
    received: Vec<String>,
    texts: Vec<String>,
    pings: Vec<Bytes>,
    pongs: Vec<Bytes>,
    close: Option<(u16, String)>,
    sent: bool,
}

impl Script {
    fn new(expect: usize, expect_ping: bool) -> Self {
        Script {
            expect,
            expect_ping,
            received: Vec::new(),
            texts: Vec::new(),
            pings: Vec::new(),
            pongs: Vec::new(),
            close: None,
            sent: false,
        }
    }

    fn on_event(&mut self, event: Event) -> Vec<Command> {
        match event {
            Event::Message(Message::Text(t)) => {
                self.received.push(recv_line("text", t.as_bytes()));
                self.texts.push(t.to_string());
            }
            Event::Message(Message::Binary(b)) => self.received.push(recv_line("binary", &b)),
            Event::Ping(p) => self.pings.push(p),
            Event::Pong(p) => self.pongs.push(p),
            Event::Close(c) => {
                self.close = c.map(|c| (c.code, c.reason.to_string()));
            }
            Event::Request(_) | Event::Connected(_) | Event::Fragment(_) => {}
        }
        let ready =
            self.received.len() >= self.expect && (!self.expect_ping || !self.pings.is_empty());
        if ready && !self.sent {
            self.sent = true;
            // The ping goes first: the peer closes right after our third
            // message, and a pong cannot follow its close.
            return vec![
                Command::Ping(Bytes::from_static(b"our-ping")),
                Command::Text(OUR_TEXT.to_string().into()),
                Command::Binary(our_binary()),
                Command::Binary(our_big()),
            ];
        }
        Vec::new()
    }

    /// Checks what we received from a Python or Node peer.
    fn assert_scripted_peer(&self) {
        assert_eq!(
            self.received,
            [
                recv_line("text", PEER_TEXT.as_bytes()),
                recv_line("binary", &peer_binary()),
                recv_line("binary", &peer_big()),
                recv_line("text", PEER_FRAGMENTED.as_bytes()),
            ]
        );
        assert_eq!(self.pings, [Bytes::from_static(b"peer-ping")]);
        self.assert_common();
    }

    fn assert_common(&self) {
        assert_eq!(
            self.pongs,
            [Bytes::from_static(b"our-ping")],
            "our ping answered"
        );
        assert_eq!(self.close, Some((4001, "peer done ✓".to_string())));
    }
}

/// What the peer must report having received from us.
fn expected_peer_lines() -> Vec<String> {
    vec![
        recv_line("text", OUR_TEXT.as_bytes()),
        recv_line("binary", &our_binary()),
        recv_line("binary", &our_big()),
    ]
}

/// Reads the peer's report lines up to `CLOSED`.
fn peer_report(peer: &Peer) -> Vec<String> {
    let mut lines = Vec::new();
    while let Some(line) = peer.next_line(Duration::from_secs(30)) {
        let closed = line.starts_with("CLOSED");
        lines.push(line);
        if closed {
            return lines;
        }
    }
    panic!("peer stopped reporting: {lines:?}");
}

fn assert_peer_report(peer: &Peer) {
    let lines = peer_report(peer);
    let mut recv: Vec<String> = lines
        .iter()
        .filter(|l| l.starts_with("RECV"))
        .cloned()
        .collect();
    recv.sort();
    let mut expected = expected_peer_lines();
    expected.sort();
    assert_eq!(recv, expected, "peer report {lines:?}");
    assert!(lines.contains(&"PONG peer-ping".to_string()), "{lines:?}");
    assert_eq!(lines.last().unwrap(), "CLOSED 4001 peer done ✓");
}

fn client_machine(addr: SocketAddr, path: &str) -> WsClient {
    WsClient::new(
        ClientRequest::new(addr.to_string(), path),
        config(),
        OsRandom,
    )
    .unwrap()
}

// ---- blocking driver ----

fn serve_blocking(listener: TcpListener, script: &mut Script) {
    let (stream, _) = listener.accept().unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let mut conn = wirestate_blocking::Connection::new(stream, WsServer::auto_accept(config()));
    while let Some(event) = conn.next_event() {
        for cmd in script.on_event(event.unwrap()) {
            conn.send(cmd).unwrap();
        }
    }
}

fn connect_blocking(addr: SocketAddr, path: &str, script: &mut Script) {
    let stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let mut conn = wirestate_blocking::Connection::new(stream, client_machine(addr, path));
    while let Some(event) = conn.next_event() {
        for cmd in script.on_event(event.unwrap()) {
            conn.send(cmd).unwrap();
        }
    }
}

// ---- tokio driver ----

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

async fn serve_tokio(listener: tokio::net::TcpListener, script: &mut Script) {
    let (stream, _) = listener.accept().await.unwrap();
    let mut conn = wirestate_tokio::Connection::new(stream, WsServer::auto_accept(config()));
    while let Some(event) = conn.next_event().await {
        for cmd in script.on_event(event.unwrap()) {
            conn.send(cmd).await.unwrap();
        }
    }
}

async fn connect_tokio(addr: SocketAddr, path: &str, script: &mut Script) {
    let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut conn = wirestate_tokio::Connection::new(stream, client_machine(addr, path));
    while let Some(event) = conn.next_event().await {
        for cmd in script.on_event(event.unwrap()) {
            conn.send(cmd).await.unwrap();
        }
    }
}

fn within<T>(what: &str, f: impl FnOnce() -> T + Send + 'static) -> T
where
    T: Send + 'static,
{
    // A hung exchange fails the test instead of hanging the suite.
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(Duration::from_secs(60))
        .unwrap_or_else(|_| panic!("{what}: no result within 60 s"))
}

const PYTHON: &str = ".peers/python/bin/python";

fn start_client_peer(program: &str, args: &[&str], port: u16) -> Peer {
    let port = port.to_string();
    let mut all: Vec<&str> = args.to_vec();
    all.push(&port);
    Peer::start(program, &all)
}

#[test]
fn python_client_against_our_server_blocking() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let peer = start_client_peer(
        PYTHON,
        &["tests/peers/ws_py.py", "client"],
        listener.local_addr().unwrap().port(),
    );
    let script = within("python client", move || {
        let mut script = Script::new(4, true);
        serve_blocking(listener, &mut script);
        script
    });
    script.assert_scripted_peer();
    assert_peer_report(&peer);
}

#[test]
fn python_client_against_our_server_tokio() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let peer = start_client_peer(
        PYTHON,
        &["tests/peers/ws_py.py", "client"],
        listener.local_addr().unwrap().port(),
    );
    let script = within("python client", move || {
        runtime().block_on(async {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            let mut script = Script::new(4, true);
            serve_tokio(listener, &mut script).await;
            script
        })
    });
    script.assert_scripted_peer();
    assert_peer_report(&peer);
}

#[test]
fn our_client_against_python_server_blocking() {
    let peer = Peer::start(PYTHON, &["tests/peers/ws_py.py", "server"]);
    let addr = peer.addr;
    let script = within("python server", move || {
        let mut script = Script::new(4, true);
        connect_blocking(addr, "/py", &mut script);
        script
    });
    script.assert_scripted_peer();
    assert_peer_report(&peer);
}

#[test]
fn our_client_against_python_server_tokio() {
    let peer = Peer::start(PYTHON, &["tests/peers/ws_py.py", "server"]);
    let addr = peer.addr;
    let script = within("python server", move || {
        runtime().block_on(async {
            let mut script = Script::new(4, true);
            connect_tokio(addr, "/py", &mut script).await;
            script
        })
    });
    script.assert_scripted_peer();
    assert_peer_report(&peer);
}

#[test]
fn node_client_against_our_server_tokio() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let peer = start_client_peer(
        "node",
        &["tests/peers/ws_node.js", "client"],
        listener.local_addr().unwrap().port(),
    );
    let script = within("node client", move || {
        runtime().block_on(async {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            let mut script = Script::new(4, true);
            serve_tokio(listener, &mut script).await;
            script
        })
    });
    script.assert_scripted_peer();
    assert_peer_report(&peer);
}

#[test]
fn node_client_against_our_server_blocking() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let peer = start_client_peer(
        "node",
        &["tests/peers/ws_node.js", "client"],
        listener.local_addr().unwrap().port(),
    );
    let script = within("node client", move || {
        let mut script = Script::new(4, true);
        serve_blocking(listener, &mut script);
        script
    });
    script.assert_scripted_peer();
    assert_peer_report(&peer);
}

#[test]
fn our_client_against_node_server_blocking() {
    let peer = Peer::start("node", &["tests/peers/ws_node.js", "server"]);
    let addr = peer.addr;
    let script = within("node server", move || {
        let mut script = Script::new(4, true);
        connect_blocking(addr, "/node", &mut script);
        script
    });
    script.assert_scripted_peer();
    assert_peer_report(&peer);
}

#[test]
fn our_client_against_node_server_tokio() {
    let peer = Peer::start("node", &["tests/peers/ws_node.js", "server"]);
    let addr = peer.addr;
    let script = within("node server", move || {
        runtime().block_on(async {
            let mut script = Script::new(4, true);
            connect_tokio(addr, "/node", &mut script).await;
            script
        })
    });
    script.assert_scripted_peer();
    assert_peer_report(&peer);
}

fn assert_browser(script: &Script) {
    assert_eq!(
        script.received[..3],
        [
            recv_line("text", PEER_TEXT.as_bytes()),
            recv_line("binary", &peer_binary()),
            recv_line("binary", &peer_big()),
        ]
    );
    // The page's report of what it received from us, as its fourth message.
    let report = script.texts.last().expect("report");
    let lines: Vec<&str> = report.lines().collect();
    assert_eq!(lines[0], "REPORT");
    assert_eq!(
        lines[1..],
        expected_peer_lines()
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>()[..]
    );
    script.assert_common();
}

#[test]
fn chromium_page_against_our_server_tokio() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();
    let _browser = start_client_peer("bash", &["tests/peers/ws_chromium.sh"], port);
    let script = within("chromium", move || {
        runtime().block_on(async {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            let mut script = Script::new(3, false);
            serve_tokio(listener, &mut script).await;
            script
        })
    });
    assert_browser(&script);
}

#[test]
fn chromium_page_against_our_server_blocking() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let _browser = start_client_peer("bash", &["tests/peers/ws_chromium.sh"], port);
    let script = within("chromium", move || {
        let mut script = Script::new(3, false);
        serve_blocking(listener, &mut script);
        script
    });
    assert_browser(&script);
}
