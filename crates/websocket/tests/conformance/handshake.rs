use super::*;
use wirestate_websocket::{Accept, ClientRequest, HandshakeError, Reject, WsConnection};

const KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";
const REQUEST: &str =
    "GET /chat?room=7 HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\n\
    Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
    Sec-WebSocket-Protocol: chat, superchat\r\nSec-WebSocket-Version: 13\r\n\r\n";
const RESPONSE: &str = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\
    Connection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n";

fn text(t: &Transcript<WsEvent>) -> String {
    String::from_utf8_lossy(&t.transmitted).into_owned()
}

#[test]
fn server_keeps_frames_that_arrive_with_the_request() {
    let mut input = REQUEST.as_bytes().to_vec();
    input.extend(frame(Role::Server, true, 1, b"early"));
    let t = assert_chunk_independent(
        || WsConnection::server_auto_accept(WsConfig::default()),
        &input,
        false,
        now(),
    );
    match t.events.as_slice() {
        [WsEvent::Request(r), WsEvent::Message(Message::Text(m))] => {
            assert_eq!(
                (r.path.as_str(), r.query.as_deref()),
                ("/chat", Some("room=7"))
            );
            assert_eq!(r.protocols, ["chat", "superchat"]);
            assert_eq!(m, "early");
        }
        other => panic!("{other:?}"),
    }
    assert!(text(&t).starts_with("HTTP/1.1 101 Switching Protocols\r\n"));
    assert!(text(&t).contains("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"));
}

#[test]
fn server_answers_bad_requests_with_the_right_status() {
    let cases: &[(String, &str, usize)] = &[
        (
            REQUEST.replace("Version: 13", "Version: 8"),
            "HTTP/1.1 426 Upgrade Required\r\nSec-WebSocket-Version: 13\r\n",
            64,
        ),
        (
            REQUEST.replace("GET", "POST"),
            "HTTP/1.1 400 Bad Request\r\n",
            64,
        ),
        (
            REQUEST.replace("Upgrade: websocket\r\n", ""),
            "HTTP/1.1 400 Bad Request\r\n",
            64,
        ),
        (
            "GET / HTTP/1.1\r\nBad Header\r\n\r\n".to_string(),
            "HTTP/1.1 400 Bad Request\r\n",
            64,
        ),
        (REQUEST.to_string(), "HTTP/1.1 431 ", 3),
    ];
    for (request, answer, max_headers) in cases {
        let config = WsConfig {
            max_headers: *max_headers,
            ..WsConfig::default()
        };
        let t = assert_chunk_independent(
            || WsConnection::server(config.clone()),
            request.as_bytes(),
            false,
            now(),
        );
        assert!(text(&t).starts_with(answer), "{request:?} -> {}", text(&t));
        assert!(
            t.error.is_some() && t.closed && t.events.is_empty(),
            "{request:?}"
        );
    }
}

#[test]
fn server_limits_the_head_size() {
    let config = WsConfig {
        max_handshake_size: 64,
        ..WsConfig::default()
    };
    let t = assert_chunk_independent(
        || WsConnection::server(config.clone()),
        REQUEST.as_bytes(),
        false,
        now(),
    );
    assert!(text(&t).starts_with("HTTP/1.1 431 "), "{}", text(&t));
    let error = t.error.unwrap();
    assert!(error.contains("larger than 64"), "{error}");
}

#[test]
fn server_application_rejects_with_status_headers_and_body() {
    let mut server = WsConnection::server(WsConfig::default());
    server.handle_input(REQUEST.as_bytes(), now());
    assert!(matches!(server.poll_event(), Some(Ok(WsEvent::Request(_)))));
    assert!(
        !server.wants_read(),
        "no reading while the application decides"
    );
    server
        .reject(Reject {
            status: 401,
            headers: vec![("WWW-Authenticate".into(), "Bearer".into())],
            body: Bytes::from_static(b"login first"),
        })
        .unwrap();
    let answer = server.poll_transmit().unwrap();
    assert_eq!(
        std::str::from_utf8(&answer).unwrap(),
        "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Bearer\r\nConnection: close\r\nContent-Length: 11\r\n\r\nlogin first"
    );
    assert!(server.is_closed());
    assert_eq!(server.send_text("no"), Err(LocalError::Closing));
}

#[test]
fn server_accepts_only_an_offered_subprotocol() {
    let mut server = WsConnection::server(WsConfig::default());
    server.handle_input(REQUEST.as_bytes(), now());
    let _ = server.poll_event();
    let wrong = Accept {
        protocol: Some("mqtt".into()),
        headers: vec![],
    };
    assert_eq!(
        server.accept(wrong),
        Err(LocalError::ProtocolNotOffered("mqtt".into()))
    );
    assert!(server.poll_transmit().is_none());
    let right = Accept {
        protocol: Some("superchat".into()),
        headers: vec![],
    };
    server.accept(right).unwrap();
    let answer = server.poll_transmit().unwrap();
    assert!(std::str::from_utf8(&answer)
        .unwrap()
        .contains("Sec-WebSocket-Protocol: superchat\r\n"));
    assert_eq!(
        server.accept(Accept::default()),
        Err(LocalError::NoPendingRequest)
    );
}

#[test]
fn server_eof_during_the_handshake_is_an_error() {
    let t = feed_cut(
        &mut WsConnection::server(WsConfig::default()),
        &REQUEST.as_bytes()[..30],
        &[],
        true,
        now(),
    );
    assert_eq!(
        t.error,
        Some(WsError::Handshake(HandshakeError::Eof).to_string())
    );
}

fn client() -> WsConnection {
    let request = ClientRequest::new("server.example.com", "/chat")
        .protocol("chat")
        .with_key(KEY);
    WsConnection::client(request, WsConfig::default(), SeededRandom::new(5)).unwrap()
}

#[test]
fn client_validates_the_answer_and_keeps_following_frames() {
    let mut input = RESPONSE
        .replace("\r\n\r\n", "\r\nSec-WebSocket-Protocol: chat\r\n\r\n")
        .into_bytes();
    input.extend(frame(Role::Client, true, 1, b"welcome"));
    let t = assert_chunk_independent(client, &input, false, now());
    match t.events.as_slice() {
        [WsEvent::Connected(r), WsEvent::Message(Message::Text(m))] => {
            assert_eq!(r.protocol.as_deref(), Some("chat"));
            assert_eq!(m, "welcome");
        }
        other => panic!("{other:?}"),
    }
    assert!(
        text(&t).starts_with("GET /chat HTTP/1.1\r\n"),
        "the request went out first"
    );
}

#[test]
fn client_reports_redirects_and_refusals_as_typed_errors() {
    let mut c = client();
    c.handle_input(
        b"HTTP/1.1 301 Moved\r\nLocation: wss://elsewhere/\r\n\r\n",
        now(),
    );
    match c.poll_event() {
        Some(Err(WsError::Handshake(HandshakeError::Redirect {
            status: 301,
            location,
            ..
        }))) => {
            assert_eq!(location.as_deref(), Some("wss://elsewhere/"))
        }
        other => panic!("{other:?}"),
    }
    assert!(c.is_closed() && c.poll_event().is_none());

    let mut c = client();
    c.handle_input(b"HTTP/1.1 403 Forbidden\r\nX-Why: no\r\n\r\n", now());
    assert!(matches!(
        c.poll_event(),
        Some(Err(WsError::Handshake(HandshakeError::Status {
            status: 403,
            ..
        })))
    ));

    let mut c = client();
    c.handle_input(RESPONSE.replace("xOo=", "xOp=").as_bytes(), now());
    assert!(matches!(
        c.poll_event(),
        Some(Err(WsError::Handshake(HandshakeError::BadAccept)))
    ));
}

#[test]
fn client_cannot_send_before_the_handshake() {
    let mut c = client();
    assert_eq!(c.send_text("too early"), Err(LocalError::NotOpen));
}
