//! wirestate-websocket against real peers on 127.0.0.1, through both drivers:
//! Python `websockets` and Node `ws` as clients of our server and as servers
//! for our client, and headless Chromium loading a page that talks to our
//! server. Every run is the same scripted exchange: text with multi-byte
//! UTF-8, binary, 1 MiB, a fragmented message, ping/pong, and a close with a
//! code and a UTF-8 reason; both sides report what they received.
//!
//! The `*_deflate_*` tests run it again with permessage-deflate negotiated
//! (checked on both sides), adding a 1 MiB compressible text and a 1 MiB
//! incompressible binary each way: Python with context takeover and 12-bit
//! windows, Node with no context takeover both ways and its default
//! threshold, and Chromium against our server.
//! Last, two Chromium pages chat through the chat server of `wirestate_server::ws_chat`.
//! Run with scripts/peer-tests.sh (installs the peers first).
#![cfg(feature = "peer-tests")]

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::Duration;

use bytes::Bytes;
use sha2::{Digest, Sha256};
use wirestate::websocket::{
    ClientRequest, DeflateConfig, DeflateParams, Message, WsCommand, WsConfig, WsConnection,
    WsEvent,
};
use wirestate_core::testing::peer::Peer;
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

/// 1 MiB of compressible text (what the peers' BIG_TEXT builds).
fn big_text() -> String {
    let mut text = String::new();
    let mut i = 0;
    while text.len() < 1 << 20 {
        text.push_str(&format!("{{\"seq\":{i:06},\"sym\":\"BTC-USD\"}}\n"));
        i += 1;
    }
    text.truncate(1 << 20);
    text
}

/// 1 MiB of incompressible bytes (the peers' NOISE): sha256 of each counter.
fn noise() -> Vec<u8> {
    (0..1u32 << 15)
        .flat_map(|i| Sha256::digest(i.to_be_bytes()))
        .collect()
}

fn config() -> WsConfig {
    WsConfig {
        fragment_size: 64 << 10,
        ..WsConfig::default()
    }
}

/// Our side with permessage-deflate: a client with the default offer, a
/// server answering with context takeover kept (`takeover`) or the default
/// (no server context takeover).
fn deflate_config(role_server: bool, takeover: bool) -> WsConfig {
    let deflate = if role_server {
        DeflateConfig {
            server_no_context_takeover: !takeover,
            ..DeflateConfig::server()
        }
    } else {
        DeflateConfig::client()
    };
    WsConfig {
        deflate: Some(deflate),
        ..config()
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
    /// Run the deflate variant: two more messages each way.
    deflate: bool,
    /// What our machine negotiated.
    negotiated: Option<DeflateParams>,
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
            deflate: false,
            negotiated: None,
        }
    }

    /// The deflate variant: `expect` counts the two extra messages too.
    fn with_deflate(expect: usize, expect_ping: bool) -> Self {
        Script {
            deflate: true,
            ..Script::new(expect, expect_ping)
        }
    }

    fn on_event(&mut self, event: WsEvent) -> Vec<WsCommand> {
        match event {
            WsEvent::Message(Message::Text(t)) => {
                self.received.push(recv_line("text", t.as_bytes()));
                self.texts.push(t.to_string());
            }
            WsEvent::Message(Message::Binary(b)) => self.received.push(recv_line("binary", &b)),
            WsEvent::Ping(p) => self.pings.push(p),
            WsEvent::Pong(p) => self.pongs.push(p),
            WsEvent::Close(c) => {
                self.close = c.map(|c| (c.code, c.reason.to_string()));
            }
            WsEvent::Connected(response) => self.negotiated = response.deflate,
            WsEvent::Request(_) | WsEvent::Fragment(_) => {}
        }
        let ready =
            self.received.len() >= self.expect && (!self.expect_ping || !self.pings.is_empty());
        if ready && !self.sent {
            self.sent = true;
            // The ping goes first: the peer closes right after our third
            // message, and a pong cannot follow its close.
            let mut commands = vec![
                WsCommand::Ping(Bytes::from_static(b"our-ping")),
                WsCommand::Text(OUR_TEXT.to_string().into()),
                WsCommand::Binary(our_binary()),
                WsCommand::Binary(our_big()),
            ];
            if self.deflate {
                commands.push(WsCommand::Text(big_text().into()));
                commands.push(WsCommand::Binary(noise().into()));
            }
            return commands;
        }
        Vec::new()
    }

    /// Checks what we received from a Python or Node peer.
    fn assert_scripted_peer(&self) {
        let mut expected = vec![
            recv_line("text", PEER_TEXT.as_bytes()),
            recv_line("binary", &peer_binary()),
            recv_line("binary", &peer_big()),
            recv_line("text", PEER_FRAGMENTED.as_bytes()),
        ];
        if self.deflate {
            expected.push(recv_line("text", big_text().as_bytes()));
            expected.push(recv_line("binary", &noise()));
        }
        assert_eq!(self.received, expected);
        assert_eq!(
            self.negotiated.is_some(),
            self.deflate,
            "deflate negotiated"
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

fn expected_peer_lines_deflate() -> Vec<String> {
    let mut lines = expected_peer_lines();
    lines.push(recv_line("text", big_text().as_bytes()));
    lines.push(recv_line("binary", &noise()));
    lines
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
    assert_peer_lines(peer, expected_peer_lines());
}

/// The deflate variant: the peer also says it negotiated permessage-deflate.
fn assert_peer_report_deflate(peer: &Peer) {
    let lines = assert_peer_lines(peer, expected_peer_lines_deflate());
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("EXT ") && l.contains("permessage-deflate")),
        "peer negotiated deflate: {lines:?}"
    );
}

fn assert_peer_lines(peer: &Peer, mut expected: Vec<String>) -> Vec<String> {
    let lines = peer_report(peer);
    let mut recv: Vec<String> = lines
        .iter()
        .filter(|l| l.starts_with("RECV"))
        .cloned()
        .collect();
    recv.sort();
    expected.sort();
    assert_eq!(recv, expected, "peer report {lines:?}");
    assert!(lines.contains(&"PONG peer-ping".to_string()), "{lines:?}");
    assert_eq!(lines.last().unwrap(), "CLOSED 4001 peer done ✓");
    lines
}

fn client_machine(addr: SocketAddr, path: &str, config: WsConfig) -> WsConnection {
    WsConnection::client(ClientRequest::new(addr.to_string(), path), config, OsRandom).unwrap()
}

// ---- blocking driver ----

fn serve_blocking(listener: TcpListener, script: &mut Script) {
    serve_blocking_with(listener, script, config());
}

fn serve_blocking_with(listener: TcpListener, script: &mut Script, config: WsConfig) {
    let (stream, _) = listener.accept().unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let mut conn =
        wirestate_blocking::Connection::new(stream, WsConnection::server_auto_accept(config));
    while let Some(event) = conn.next_event() {
        for cmd in script.on_event(event.unwrap()) {
            conn.send(cmd).unwrap();
        }
    }
    script.negotiated = conn.machine().deflate();
}

fn connect_blocking(addr: SocketAddr, path: &str, script: &mut Script) {
    connect_blocking_with(addr, path, script, config());
}

fn connect_blocking_with(addr: SocketAddr, path: &str, script: &mut Script, config: WsConfig) {
    let stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let mut conn = wirestate_blocking::Connection::new(stream, client_machine(addr, path, config));
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
    serve_tokio_with(listener, script, config()).await
}

async fn serve_tokio_with(
    listener: tokio::net::TcpListener,
    script: &mut Script,
    config: WsConfig,
) {
    let (stream, _) = listener.accept().await.unwrap();
    let mut conn =
        wirestate_tokio::Connection::new(stream, WsConnection::server_auto_accept(config));
    while let Some(event) = conn.next_event().await {
        for cmd in script.on_event(event.unwrap()) {
            conn.send(cmd).await.unwrap();
        }
    }
    script.negotiated = conn.machine().deflate();
}

async fn connect_tokio(addr: SocketAddr, path: &str, script: &mut Script) {
    connect_tokio_with(addr, path, script, config()).await
}

async fn connect_tokio_with(addr: SocketAddr, path: &str, script: &mut Script, config: WsConfig) {
    let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut conn = wirestate_tokio::Connection::new(stream, client_machine(addr, path, config));
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

// ---- permessage-deflate ----

#[derive(Clone, Copy)]
enum Driver {
    Blocking,
    Tokio,
}

/// A peer client (`program script client PORT deflate`) against our deflate
/// server.
fn deflate_peer_client(program: &str, script_path: &str, takeover: bool, driver: Driver) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port().to_string();
    let peer = Peer::start(program, &[script_path, "client", &port, "deflate"]);
    let config = deflate_config(true, takeover);
    let script = within("deflate peer client", move || {
        let mut script = Script::with_deflate(6, true);
        match driver {
            Driver::Blocking => serve_blocking_with(listener, &mut script, config),
            Driver::Tokio => {
                listener.set_nonblocking(true).unwrap();
                runtime().block_on(async {
                    let listener = tokio::net::TcpListener::from_std(listener).unwrap();
                    serve_tokio_with(listener, &mut script, config).await
                })
            }
        }
        script
    });
    script.assert_scripted_peer();
    assert_peer_report_deflate(&peer);
}

/// Our deflate client against a peer server (`program script server deflate`).
fn deflate_peer_server(program: &str, script_path: &str, path: &str, driver: Driver) {
    let peer = Peer::start(program, &[script_path, "server", "deflate"]);
    let addr = peer.addr;
    let path = path.to_string();
    let script = within("deflate peer server", move || {
        let mut script = Script::with_deflate(6, true);
        let config = deflate_config(false, true);
        match driver {
            Driver::Blocking => connect_blocking_with(addr, &path, &mut script, config),
            Driver::Tokio => {
                runtime().block_on(connect_tokio_with(addr, &path, &mut script, config))
            }
        }
        script
    });
    script.assert_scripted_peer();
    assert_peer_report_deflate(&peer);
}

#[test]
fn python_deflate_client_against_our_server_blocking() {
    deflate_peer_client(PYTHON, "tests/peers/ws_py.py", true, Driver::Blocking);
}

#[test]
fn python_deflate_client_against_our_server_tokio() {
    deflate_peer_client(PYTHON, "tests/peers/ws_py.py", true, Driver::Tokio);
}

#[test]
fn our_deflate_client_against_python_server_blocking() {
    deflate_peer_server(PYTHON, "tests/peers/ws_py.py", "/py", Driver::Blocking);
}

#[test]
fn our_deflate_client_against_python_server_tokio() {
    deflate_peer_server(PYTHON, "tests/peers/ws_py.py", "/py", Driver::Tokio);
}

#[test]
fn node_deflate_client_against_our_server_blocking() {
    deflate_peer_client("node", "tests/peers/ws_node.js", false, Driver::Blocking);
}

#[test]
fn node_deflate_client_against_our_server_tokio() {
    deflate_peer_client("node", "tests/peers/ws_node.js", false, Driver::Tokio);
}

#[test]
fn our_deflate_client_against_node_server_blocking() {
    deflate_peer_server("node", "tests/peers/ws_node.js", "/node", Driver::Blocking);
}

#[test]
fn our_deflate_client_against_node_server_tokio() {
    deflate_peer_server("node", "tests/peers/ws_node.js", "/node", Driver::Tokio);
}

/// Chromium always offers permessage-deflate; our deflate server accepts it
/// and the page's exchange (including our 1 MiB messages) still matches.
fn chromium_deflate(driver: Driver) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let _browser = start_client_peer("bash", &["tests/peers/ws_chromium.sh"], port);
    let config = deflate_config(true, false);
    let script = within("chromium deflate", move || {
        let mut script = Script::new(3, false);
        match driver {
            Driver::Blocking => serve_blocking_with(listener, &mut script, config),
            Driver::Tokio => {
                listener.set_nonblocking(true).unwrap();
                runtime().block_on(async {
                    let listener = tokio::net::TcpListener::from_std(listener).unwrap();
                    serve_tokio_with(listener, &mut script, config).await
                })
            }
        }
        script
    });
    assert!(script.negotiated.is_some(), "Chromium negotiated deflate");
    assert_browser(&script);
}

#[test]
fn chromium_page_against_our_deflate_server_blocking() {
    chromium_deflate(Driver::Blocking);
}

#[test]
fn chromium_page_against_our_deflate_server_tokio() {
    chromium_deflate(Driver::Tokio);
}

// ---- the chat server ----

use wirestate_server::ws_chat;

/// Reads chat messages on `conn` into `seen` until `want` arrives.
fn wait_for_chat(
    conn: &mut wirestate_blocking::Connection<WsConnection, TcpStream>,
    seen: &mut Vec<String>,
    want: &str,
) {
    while !seen.iter().any(|m| m == want) {
        match conn.next_event() {
            Some(Ok(WsEvent::Message(Message::Text(text)))) => seen.push(text.to_string()),
            Some(Ok(_)) => {}
            other => panic!("chat ended waiting for {want:?}: {other:?}, saw {seen:?}"),
        }
    }
}

/// Two headless Chromium pages served by the chat example talk through it:
/// B's hello reaches A, A's answer reaches B, B's answer comes back. We
/// watch the room as a third member (our blocking client).
#[test]
fn chromium_pages_chat_through_the_chat_example() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let addr = listener.local_addr().unwrap();
    // The server runs until the test process ends.
    std::thread::spawn(move || {
        runtime().block_on(async {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            ws_chat::serve(listener).await
        })
    });

    let stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let mut watcher =
        wirestate_blocking::Connection::new(stream, client_machine(addr, "/chat", config()));
    assert!(matches!(
        watcher.next_event(),
        Some(Ok(WsEvent::Connected(_)))
    ));
    let mut seen = Vec::new();

    // A is in the room before B says hello.
    let _a = start_client_peer("bash", &["tests/peers/chat_chromium.sh", "A"], addr.port());
    wait_for_chat(&mut watcher, &mut seen, "A: hello");
    let _b = start_client_peer("bash", &["tests/peers/chat_chromium.sh", "B"], addr.port());
    wait_for_chat(&mut watcher, &mut seen, "B got: A got: B: hello");
    assert!(seen.iter().any(|m| m == "B: hello"), "{seen:?}");
    assert!(seen.iter().any(|m| m == "A got: B: hello"), "{seen:?}");

    watcher.machine_mut().close(1000, "").unwrap();
    watcher.flush().unwrap();
}
