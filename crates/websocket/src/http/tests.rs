//! The `http` forms against the raw handshake: the same heads, given as
//! bytes and as `http` types, meet the same rules and get the same answers.

use wirestate_core::{Machine, SeededRandom};

use crate::{
    accept_key, accept_response, http_client_request, http_upgrade, negotiate_deflate,
    parse_http_request, parse_request, parse_response, select_protocol, Accept, ClientRequest,
    DeflateConfig, Message, WsConfig, WsConnection, WsEvent,
};

/// A raw request head as an `http::Request<()>`.
fn http_request(head: &[u8]) -> http::Request<()> {
    let mut storage = [httparse::EMPTY_HEADER; 32];
    let mut parsed = httparse::Request::new(&mut storage);
    assert!(parsed.parse(head).unwrap().is_complete());
    let mut request = http::Request::builder()
        .method(parsed.method.unwrap())
        .uri(parsed.path.unwrap())
        .version(match parsed.version {
            Some(1) => http::Version::HTTP_11,
            _ => http::Version::HTTP_10,
        });
    for h in parsed.headers.iter() {
        request = request.header(h.name, h.value);
    }
    request.body(()).unwrap()
}

/// A raw response head as its status and header lines, names lower-cased.
fn lines_of(head: &[u8]) -> (u16, Vec<(String, String)>) {
    let mut storage = [httparse::EMPTY_HEADER; 32];
    let mut parsed = httparse::Response::new(&mut storage);
    assert!(parsed.parse(head).unwrap().is_complete());
    let lines = parsed
        .headers
        .iter()
        .map(|h| {
            let value = String::from_utf8(h.value.to_vec()).unwrap();
            (h.name.to_ascii_lowercase(), value)
        })
        .collect();
    (parsed.code.unwrap(), lines)
}

/// An `http` response as its status and header lines.
fn http_lines(response: &http::Response<()>) -> (u16, Vec<(String, String)>) {
    let lines = response
        .headers()
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_str().unwrap().to_string()))
        .collect();
    (response.status().as_u16(), lines)
}

const GOOD: &str = "GET /chat?x=1 HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\n\
    Connection: keep-alive, Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
    Sec-WebSocket-Protocol: chat, superchat\r\nSec-WebSocket-Version: 13\r\n\r\n";

fn with(from: &str, to: &str) -> String {
    assert!(GOOD.contains(from), "{from}");
    GOOD.replacen(from, to, 1)
}

/// Every request, valid or not: the raw and the `http` form get the same
/// verdict, and a refusal the status (426 naming version 13).
#[test]
fn requests_meet_the_raw_rules() {
    let cases = [
        GOOD.to_string(),
        with("Upgrade: websocket", "Upgrade: WebSocket"),
        with("keep-alive, Upgrade", "UPGRADE"),
        with("GET", "POST"),
        with("HTTP/1.1", "HTTP/1.0"),
        with("Host: server.example.com\r\n", ""),
        with("Upgrade: websocket", "Upgrade: h2c"),
        with("keep-alive, Upgrade", "keep-alive"),
        with("dGhlIHNhbXBsZSBub25jZQ==", "dGhlIHNhbXBsZQ=="),
        with("dGhlIHNhbXBsZSBub25jZQ==", "not base64!!"),
        with("Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n", ""),
        with("Version: 13", "Version: 8"),
        with("Sec-WebSocket-Version: 13\r\n", ""),
        with(
            "Sec-WebSocket-Version: 13\r\n",
            "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Version: 13\r\n",
        ),
    ];
    let mut refused = 0;
    for head in &cases {
        let raw = parse_request(head.as_bytes(), 32);
        let request = http_request(head.as_bytes());
        let via_http = parse_http_request(&request);
        match (&raw, &via_http) {
            (Ok(a), Ok(b)) => {
                assert_eq!((&a.path, &a.query, a.key()), (&b.path, &b.query, b.key()));
                assert_eq!((&a.protocols, &a.extensions), (&b.protocols, &b.extensions));
                assert!(http_upgrade(&request, WsConfig::default(), &[]).is_ok());
            }
            (Err(a), Err(b)) => {
                assert_eq!(a, b, "{head}");
                let rejection = http_upgrade(&request, WsConfig::default(), &[]).unwrap_err();
                assert_eq!(rejection.response.status().as_u16(), a.status());
                let version = rejection.response.headers().get("sec-websocket-version");
                assert_eq!(version.is_some(), a.status() == 426, "{head}");
                refused += 1;
            }
            _ => panic!("{head}: raw {raw:?}, http {via_http:?}"),
        }
    }
    assert_eq!(refused, 11);
    // Parts work as the whole request does.
    let (parts, ()) = http_request(GOOD.as_bytes()).into_parts();
    assert_eq!(parse_http_request(&parts).unwrap().path, "/chat");
}

/// (extensions offered, server deflate config, subprotocols supported):
/// the 101 of `http_upgrade` has the header lines the raw handshake
/// writes, and the connection the agreed deflate parameters.
#[test]
fn answers_match_the_raw_handshake() {
    let server = Some(DeflateConfig::server());
    let open = Some(DeflateConfig {
        server_no_context_takeover: false,
        ..DeflateConfig::server()
    });
    let cases: &[(&str, &Option<DeflateConfig>, &[&str])] = &[
        ("", &server, &[]),
        ("permessage-deflate", &server, &["superchat", "chat"]),
        (
            "permessage-deflate; client_max_window_bits",
            &server,
            &["chat"],
        ),
        (
            "permessage-deflate; client_max_window_bits",
            &None,
            &["mqtt"],
        ),
        ("permessage-deflate; server_max_window_bits=10", &open, &[]),
        (
            "x-foo, permessage-deflate; client_no_context_takeover",
            &open,
            &[],
        ),
        ("permessage-deflate; server_max_window_bits=8", &server, &[]),
        (
            "permessage-deflate; bogus, permessage-deflate; client_max_window_bits=9",
            &server,
            &[],
        ),
    ];
    for (offer, deflate, supported) in cases {
        let head = match offer {
            &"" => GOOD.to_string(),
            _ => with(
                "\r\n\r\n",
                &format!("\r\nSec-WebSocket-Extensions: {offer}\r\n\r\n"),
            ),
        };
        let raw = parse_request(head.as_bytes(), 32).unwrap();
        let agreed = deflate
            .as_ref()
            .and_then(|d| negotiate_deflate(&raw.extensions, d));
        let accept = Accept {
            protocol: select_protocol(&raw.protocols, supported).map(String::from),
            headers: Vec::new(),
        };
        let expected = lines_of(&accept_response(&raw, &accept, agreed).unwrap());

        let config = WsConfig {
            deflate: Option::clone(deflate),
            ..WsConfig::default()
        };
        let (response, connection) =
            http_upgrade(&http_request(head.as_bytes()), config, supported).unwrap();
        assert_eq!(http_lines(&response), expected, "{offer}");
        assert_eq!(connection.deflate(), agreed, "{offer}");
        assert!(connection.is_open());
    }
}

/// The `http` request carries the header lines `WsConnection::client`
/// writes with the same random source, in the same order.
#[test]
fn client_request_matches_the_raw_request() {
    let config = WsConfig {
        deflate: Some(DeflateConfig::client()),
        ..WsConfig::default()
    };
    let request = ClientRequest::new("h:80", "/p?q=1")
        .protocol("a")
        .protocol("b")
        .header("Origin", "http://h");
    let mut raw = WsConnection::client(request.clone(), config.clone(), SeededRandom::new(9))
        .unwrap()
        .poll_transmit()
        .unwrap()
        .to_vec();
    let (via_http, handshake) = http_client_request(request, config, SeededRandom::new(9)).unwrap();
    assert_eq!(
        (via_http.method(), via_http.uri().to_string().as_str()),
        (&http::Method::GET, "/p?q=1")
    );
    assert_eq!(via_http.version(), http::Version::HTTP_11);
    // The raw head parsed as a request, lines lower-cased.
    raw.splice(..0, b"HTTP/1.1 200 OK\r\n".iter().copied());
    let start = raw.windows(2).position(|w| w == b"\r\n").unwrap() + 2;
    let line_end = start + raw[start..].windows(2).position(|w| w == b"\r\n").unwrap() + 2;
    raw.drain(start..line_end); // the request line
    let (_, expected) = lines_of(&raw);
    let lines: Vec<_> = via_http
        .headers()
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_str().unwrap().to_string()))
        .collect();
    assert_eq!(lines, expected);
    assert!(lines.contains(&("sec-websocket-key".into(), handshake.key().to_string())));

    let bad = ClientRequest::new("h", "/").header("X", "1\r\nY: 2");
    assert!(http_client_request(bad, WsConfig::default(), SeededRandom::new(1)).is_err());
}

/// Answers to a client's request, good and bad: the `http` check agrees
/// with `parse_response`.
#[test]
fn client_checks_answers_as_the_raw_handshake() {
    let config = WsConfig {
        deflate: Some(DeflateConfig::client()),
        ..WsConfig::default()
    };
    let request = ClientRequest::new("h", "/").protocol("chat");
    let accept = accept_key(b"dGhlIHNhbXBsZSBub25jZQ==");
    let good = format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Accept: {accept}\r\n\r\n"
    );
    let add = |line: &str| good.replacen("\r\n\r\n", &format!("\r\n{line}\r\n\r\n"), 1);
    let cases = [
        good.clone(),
        add("Sec-WebSocket-Protocol: chat"),
        add("Sec-WebSocket-Protocol: mqtt"),
        add("Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits=10"),
        add("Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits=8"),
        add("Sec-WebSocket-Extensions: x-foo"),
        good.replace(&accept, "AAAAAAAAAAAAAAAAAAAAAAAAAAA="),
        good.replace("Upgrade: websocket\r\n", ""),
        "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n".to_string(),
        "HTTP/1.1 302 Found\r\nLocation: /elsewhere\r\n\r\n".to_string(),
    ];
    for head in &cases {
        let raw = parse_response(
            head.as_bytes(),
            "dGhlIHNhbXBsZSBub25jZQ==",
            &request.protocols,
            32,
            config.deflate.as_ref(),
        );
        let (status, lines) = lines_of(head.as_bytes());
        let mut response = http::Response::builder().status(status);
        for (name, value) in lines {
            response = response.header(name, value);
        }
        let response = response.body(()).unwrap();
        let request = request.clone().with_key("dGhlIHNhbXBsZSBub25jZQ==");
        let (_, handshake) =
            http_client_request(request, config.clone(), SeededRandom::new(1)).unwrap();
        match (raw, handshake.finish(&response)) {
            (Ok(a), Ok((b, connection))) => {
                assert_eq!((a.protocol, a.deflate), (b.protocol, b.deflate), "{head}");
                assert_eq!(connection.deflate(), a.deflate);
            }
            (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string(), "{head}"),
            (a, b) => panic!("{head}: raw {a:?}, http {:?}", b.map(|(r, _)| r)),
        }
    }
}

/// Both ends on `http` types: the client's request is upgraded by
/// `http_upgrade`, its 101 accepted by `finish`, and a message crosses
/// compressed.
#[test]
fn both_ends_on_http_types_agree_on_deflate() {
    let now = std::time::Instant::now();
    let client_config = WsConfig {
        deflate: Some(DeflateConfig::client()),
        ..WsConfig::default()
    };
    let server_config = WsConfig {
        deflate: Some(DeflateConfig::server()),
        ..WsConfig::default()
    };
    let (request, handshake) = http_client_request(
        ClientRequest::new("h", "/").protocol("v2"),
        client_config,
        SeededRandom::new(4),
    )
    .unwrap();
    let (response, mut server) = http_upgrade(&request, server_config, &["v1", "v2"]).unwrap();
    let (answer, mut client) = handshake.finish(&response).unwrap();
    assert_eq!(answer.protocol.as_deref(), Some("v2"));
    assert_eq!(client.deflate(), server.deflate());
    assert!(client.deflate().is_some());

    let text = "squeeze ".repeat(64);
    client.send_text(text.clone()).unwrap();
    let mut wire = Vec::new();
    while let Some(bytes) = client.poll_transmit() {
        wire.extend_from_slice(&bytes);
    }
    assert_eq!(wire[0], 0xc1, "FIN + RSV1 + text");
    assert!(wire.len() < 64);
    server.handle_input(&wire, now);
    let Some(Ok(WsEvent::Message(Message::Text(got)))) = server.poll_event() else {
        panic!()
    };
    assert_eq!(got, text.as_str());
}
