//! `wirestate serve websocket` with its server features, run as a user runs
//! it: `--path`, `--auth-token`, `/health`, `/metrics`, `--rate-limit` and
//! `--max-connection-age`.

mod support;

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use support::{read_head, Server, WsClient, BOUND};
use wirestate_core::SeededRandom;
use wirestate_websocket::{Message, WsConfig, WsConnection, WsEvent};

fn serve(extra: &[&str]) -> Server {
    let mut args = vec!["serve", "websocket", "--listen", "127.0.0.1:0"];
    args.extend_from_slice(extra);
    Server::start(&args)
}

/// An upgrade request for `target` with `extra` header lines.
fn upgrade_request(addr: SocketAddr, target: &str, extra: &str) -> String {
    format!(
        "GET {target} HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n{extra}\r\n"
    )
}

/// Sends `request`, returns the response head and the open stream.
fn ask(addr: SocketAddr, request: &str) -> (String, TcpStream) {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    (read_head(&mut stream), stream)
}

/// `GET target` as plain HTTP: the head and the whole body (the server
/// closes after it).
fn get(addr: SocketAddr, target: &str) -> (String, String) {
    let (head, mut stream) = ask(
        addr,
        &format!("GET {target} HTTP/1.1\r\nHost: {addr}\r\n\r\n"),
    );
    let mut body = String::new();
    stream.read_to_string(&mut body).unwrap();
    (head, body)
}

/// An upgraded client over `stream` (the 101 already read).
fn client_over(stream: TcpStream) -> WsClient {
    let local = stream.local_addr().unwrap();
    let machine = WsConnection::accepted_client(WsConfig::default(), None, SeededRandom::new(9));
    WsClient {
        stream,
        machine,
        local,
    }
}

#[test]
fn only_the_path_is_upgraded_others_get_404() {
    let server = serve(&["--path", "/ws"]);
    let (head, _) = ask(server.addr, &upgrade_request(server.addr, "/other", ""));
    assert!(head.starts_with("HTTP/1.1 404"), "{head}");
    let (head, _) = ask(server.addr, &upgrade_request(server.addr, "/ws?x=1", ""));
    assert!(head.starts_with("HTTP/1.1 101"), "{head}");
    let (head, _) = get(server.addr, "/health");
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
}

#[test]
fn the_token_comes_as_bearer_or_query_else_401() {
    let server = serve(&["--auth-token", "s3cret"]);
    let addr = server.addr;
    for (case, target, header) in [
        ("no token", "/", ""),
        ("wrong bearer", "/", "Authorization: Bearer nope\r\n"),
        ("wrong query", "/?token=nope", ""),
    ] {
        let (head, _) = ask(addr, &upgrade_request(addr, target, header));
        assert!(head.starts_with("HTTP/1.1 401"), "{case}: {head}");
        assert!(head.contains("WWW-Authenticate: Bearer"), "{case}: {head}");
    }
    for (case, target, header) in [
        ("bearer", "/", "Authorization: Bearer s3cret\r\n"),
        ("query", "/chat?token=s3cret", ""),
    ] {
        let (head, stream) = ask(addr, &upgrade_request(addr, target, header));
        assert!(head.starts_with("HTTP/1.1 101"), "{case}: {head}");
        let mut client = client_over(stream);
        client.machine.send_text(case).unwrap();
        client.flush().unwrap();
        match client.next_event(BOUND) {
            Some(WsEvent::Message(Message::Text(text))) => assert_eq!(text.as_str(), case),
            other => panic!("{case}: {other:?}"),
        }
    }
}

#[test]
fn health_answers_ok() {
    let server = serve(&[]);
    let (head, body) = get(server.addr, "/health");
    assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{head}");
    assert_eq!(body, "ok\n");
}

/// Parses the Prometheus text: every line a comment (`# HELP`/`# TYPE`) or
/// a sample `name{labels} value`; the samples by `name{labels}`.
fn parse_metrics(text: &str) -> BTreeMap<String, f64> {
    let mut samples = BTreeMap::new();
    for line in text.lines() {
        if let Some(comment) = line.strip_prefix("# ") {
            assert!(
                comment.starts_with("HELP ") || comment.starts_with("TYPE "),
                "{line}"
            );
            continue;
        }
        let (series, value) = line.rsplit_once(' ').expect(line);
        let name_end = series.find('{').unwrap_or(series.len());
        let name = &series[..name_end];
        assert!(!name.is_empty(), "{line}");
        assert!(
            name.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':'),
            "{line}"
        );
        if name_end < series.len() {
            let labels = &series[name_end..];
            assert!(labels.starts_with('{') && labels.ends_with('}'), "{line}");
            for pair in labels[1..labels.len() - 1].split(',') {
                let (label, quoted) = pair.split_once('=').expect(line);
                assert!(!label.is_empty() && quoted.len() >= 2, "{line}");
                assert!(quoted.starts_with('"') && quoted.ends_with('"'), "{line}");
            }
        }
        let value: f64 = value.parse().expect(line);
        assert!(
            samples.insert(series.to_string(), value).is_none(),
            "{line} twice"
        );
    }
    samples
}

/// `/metrics` once `done` holds for it (bounded).
fn metrics_when(
    addr: SocketAddr,
    done: impl Fn(&BTreeMap<String, f64>) -> bool,
) -> BTreeMap<String, f64> {
    let deadline = Instant::now() + BOUND;
    loop {
        let (head, body) = get(addr, "/metrics");
        assert!(head.starts_with("HTTP/1.1 200"), "{head}");
        assert!(
            head.contains("Content-Type: text/plain; version=0.0.4"),
            "{head}"
        );
        let samples = parse_metrics(&body);
        if done(&samples) {
            return samples;
        }
        assert!(Instant::now() < deadline, "{body}");
        std::thread::yield_now();
    }
}

#[test]
fn metrics_count_an_echo_a_close_and_the_rejections_exactly() {
    let server = serve(&["--path", "/ws", "--auth-token", "t"]);
    let addr = server.addr;
    let (head, _) = ask(addr, &upgrade_request(addr, "/nope", ""));
    assert!(head.starts_with("HTTP/1.1 404"), "{head}");
    let (head, _) = ask(addr, &upgrade_request(addr, "/ws", ""));
    assert!(head.starts_with("HTTP/1.1 401"), "{head}");
    let (head, stream) = ask(addr, &upgrade_request(addr, "/ws?token=t", ""));
    assert!(head.starts_with("HTTP/1.1 101"), "{head}");
    let mut client = client_over(stream);
    client.machine.send_text("hello").unwrap();
    client.flush().unwrap();
    assert!(matches!(
        client.next_event(BOUND),
        Some(WsEvent::Message(_))
    ));
    let open = metrics_when(addr, |_| true);
    assert_eq!(open["wirestate_ws_connections_open"], 1.0);
    client.machine.close(1000, "bye").unwrap();
    client.flush().unwrap();
    assert!(matches!(client.next_event(BOUND), Some(WsEvent::Close(_))));
    let closed = r#"wirestate_ws_closes_total{code="1000"}"#;
    let samples = metrics_when(addr, |s| s.contains_key(closed));
    let expected = [
        ("wirestate_ws_connections_open", 0.0),
        ("wirestate_ws_connections_total", 1.0),
        ("wirestate_ws_messages_received_total", 1.0),
        ("wirestate_ws_messages_sent_total", 1.0),
        ("wirestate_ws_bytes_received_total", 5.0),
        ("wirestate_ws_bytes_sent_total", 5.0),
        (closed, 1.0),
        (
            r#"wirestate_ws_rejected_handshakes_total{status="404"}"#,
            1.0,
        ),
        (
            r#"wirestate_ws_rejected_handshakes_total{status="401"}"#,
            1.0,
        ),
        ("wirestate_ws_deflate_uncompressed_bytes_total", 0.0),
        ("wirestate_ws_deflate_ratio", 1.0),
    ];
    for (series, value) in expected {
        assert_eq!(samples.get(series), Some(&value), "{series}: {samples:?}");
    }
}

#[test]
fn past_the_rate_limit_the_connection_closes_with_1008() {
    let server = serve(&["--rate-limit", "2/60"]);
    let mut client = WsClient::connect(server.addr);
    for n in 0..3 {
        client.machine.send_text(format!("m{n}")).unwrap();
    }
    client.flush().unwrap();
    for n in 0..2 {
        match client.next_event(BOUND) {
            Some(WsEvent::Message(Message::Text(text))) => {
                assert_eq!(text.as_str(), format!("m{n}"))
            }
            other => panic!("{other:?}"),
        }
    }
    let close = client.close_frame(BOUND).expect("a close frame");
    assert_eq!(close.code, 1008);
    assert_eq!(
        close.reason.as_str(),
        wirestate_websocket::RATE_LIMITED_REASON
    );
    let code = r#"wirestate_ws_closes_total{code="1008"}"#;
    metrics_when(server.addr, |s| s.get(code) == Some(&1.0));
}

#[test]
fn at_the_maximum_age_the_connection_closes_with_1001() {
    let server = serve(&["--max-connection-age", "1"]);
    let started = Instant::now();
    let mut client = WsClient::connect(server.addr);
    let close = client.close_frame(BOUND).expect("a close frame");
    assert_eq!(close.code, 1001);
    assert_eq!(close.reason.as_str(), wirestate_websocket::MAX_AGE_REASON);
    assert!(started.elapsed() >= Duration::from_millis(900));
    let code = r#"wirestate_ws_closes_total{code="1001"}"#;
    metrics_when(server.addr, |s| s.get(code) == Some(&1.0));
}

#[test]
fn reuse_port_lets_two_servers_share_the_port() {
    let first = serve(&["--reuse-port"]);
    let port = first.addr.to_string();
    let second = Server::start(&["serve", "websocket", "--listen", &port, "--reuse-port"]);
    assert_eq!(second.addr, first.addr);
    let (head, _) = get(second.addr, "/health");
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
}

#[test]
fn help_documents_the_flags() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_wirestate"))
        .args(["serve", "websocket", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    for flag in [
        "--path",
        "--auth-token",
        "--rate-limit",
        "--max-connection-age",
        "--reuse-port",
        "/metrics",
    ] {
        assert!(help.contains(flag), "{flag} in {help}");
    }
}

#[test]
fn a_request_that_is_no_upgrade_is_refused_and_counted() {
    let server = serve(&[]);
    let (head, _) = get(server.addr, "/plain");
    let status = head.split(' ').nth(1).unwrap().to_string();
    assert!(status == "400" || status == "426", "{head}");
    let series = format!(r#"wirestate_ws_rejected_handshakes_total{{status="{status}"}}"#);
    metrics_when(server.addr, |s| s.get(&series) == Some(&1.0));
}
