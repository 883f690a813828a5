//! One connection type, roles as data: what applies to one role only, the
//! handshake pieces used on their own give the same bytes as the
//! connection, and timers in the table.

use std::time::{Duration, Instant};

use bytes::Bytes;
use wirestate_core::{Machine, SeededRandom};
use wirestate_websocket::{
    accept_response, negotiate_deflate, parse_request, parse_response, select_protocol, Accept,
    ClientRequest, DeflateConfig, Keepalive, LocalError, Message, Reject, Role, WsCommand,
    WsConfig, WsConnection, WsError, WsEvent, WsTimer,
};

const REQUEST: &[u8] = b"GET /chat HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n\
    Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
    Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: chat.v1, chat.v2\r\n\
    Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\r\n";

fn drain(m: &mut impl Machine) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(piece) = m.poll_transmit() {
        out.extend_from_slice(&piece);
    }
    out
}

fn client() -> WsConnection {
    let request = ClientRequest::new("a", "/chat").with_key("dGhlIHNhbXBsZSBub25jZQ==");
    WsConnection::client(request, WsConfig::default(), SeededRandom::new(3)).unwrap()
}

#[test]
fn accept_and_reject_are_for_the_server_role_only() {
    let mut c = client();
    assert_eq!(c.role(), Role::Client);
    assert_eq!(
        c.accept(Accept::default()),
        Err(LocalError::WrongRole("client"))
    );
    assert_eq!(
        c.reject(Reject::status(403)),
        Err(LocalError::WrongRole("client"))
    );
    let now = Instant::now();
    assert_eq!(
        c.handle_command(WsCommand::Accept(Accept::default()), now),
        Err(WsError::Local(LocalError::WrongRole("client")))
    );
    // The client is unchanged: its request is still the next transmit.
    assert!(drain(&mut c).starts_with(b"GET /chat HTTP/1.1\r\n"));

    let mut s = WsConnection::server(WsConfig::default());
    assert_eq!(s.role(), Role::Server);
    assert_eq!(
        s.accept(Accept::default()),
        Err(LocalError::NoPendingRequest)
    );
    assert_eq!(s.send_text("early"), Err(LocalError::NotOpen));
}

#[test]
fn handshake_pieces_write_what_the_connection_writes() {
    let config = WsConfig {
        deflate: Some(DeflateConfig::server()),
        ..WsConfig::default()
    };
    let mut server = WsConnection::server(config.clone());
    server.handle_input(REQUEST, Instant::now());
    let Some(Ok(WsEvent::Request(request))) = server.poll_event() else {
        panic!("no request")
    };
    let protocol = select_protocol(&request.protocols, &["chat.v2"]).map(String::from);
    let accept = Accept {
        protocol,
        ..Accept::default()
    };
    server.accept(accept.clone()).unwrap();
    let from_connection = drain(&mut server);

    let parsed = parse_request(REQUEST, 64).unwrap();
    assert_eq!(parsed, *request);
    let deflate = negotiate_deflate(&parsed.extensions, config.deflate.as_ref().unwrap());
    assert_eq!(deflate, server.deflate());
    let from_pieces = accept_response(&parsed, &accept, deflate).unwrap();
    assert_eq!(from_pieces, from_connection);

    // The client side checks that answer as the client connection would.
    let client_config = DeflateConfig::client();
    let response = parse_response(
        &from_pieces,
        "dGhlIHNhbXBsZSBub25jZQ==",
        &["chat.v1".into(), "chat.v2".into()],
        64,
        Some(&client_config),
    )
    .unwrap();
    assert_eq!(response.protocol.as_deref(), Some("chat.v2"));
    assert_eq!(response.deflate, deflate);
}

#[test]
fn an_accepted_connection_starts_open_with_the_agreed_deflate() {
    let offers = wirestate_websocket::parse_extensions(b"permessage-deflate");
    let params = negotiate_deflate(&offers, &DeflateConfig::server());
    let config = WsConfig {
        deflate: Some(DeflateConfig::server()),
        ..WsConfig::default()
    };
    let mut server = WsConnection::accepted_server(config, params);
    let mut client =
        WsConnection::accepted_client(WsConfig::default(), params, SeededRandom::new(1));
    assert!(server.is_open() && client.is_open());
    let text = "squeeze ".repeat(50);
    client.send_text(text.clone()).unwrap();
    let wire = drain(&mut client);
    assert!(wire.len() < text.len() / 4, "compressed: {}", wire.len());
    server.handle_input(&wire, Instant::now());
    match server.poll_event() {
        Some(Ok(WsEvent::Message(Message::Text(got)))) => assert_eq!(got, text.as_str()),
        other => panic!("{other:?}"),
    }
}

#[test]
fn timers_are_named_deadlines_that_run_once_open() {
    let t0 = Instant::now();
    let config = WsConfig {
        keepalive: Some(Keepalive {
            interval: Duration::from_secs(10),
            timeout: Duration::from_secs(5),
        }),
        idle_timeout: Some(Duration::from_secs(60)),
        ..WsConfig::default()
    };
    let mut server = WsConnection::server(WsConfig {
        handshake_timeout: Some(Duration::from_secs(20)),
        ..config
    });
    server.handle_input(&REQUEST[..20], t0);
    assert_eq!(server.poll_event(), None);
    assert_eq!(
        server.poll_timeout(),
        Some(t0 + Duration::from_secs(20)),
        "only the handshake deadline runs during the handshake"
    );
    server.handle_input(&REQUEST[20..], t0);
    assert!(matches!(server.poll_event(), Some(Ok(WsEvent::Request(_)))));
    assert_eq!(server.poll_timeout(), Some(t0 + Duration::from_secs(20)));
    // The keepalive deadline (t0 + 10 s) is armed but does not run yet.
    server.handle_timeout(t0 + Duration::from_secs(10));
    assert!(server.poll_transmit().is_none() && server.poll_event().is_none());
    server.accept(Accept::default()).unwrap();
    drain(&mut server);
    assert_eq!(server.deadline(WsTimer::Handshake), None);
    assert_eq!(
        server.deadline(WsTimer::Keepalive),
        Some(t0 + Duration::from_secs(10))
    );
    assert_eq!(
        server.deadline(WsTimer::Idle),
        Some(t0 + Duration::from_secs(60))
    );
    assert_eq!(server.poll_timeout(), Some(t0 + Duration::from_secs(10)));

    // The keepalive fires: a ping goes out and the pong deadline is armed.
    let t1 = t0 + Duration::from_secs(10);
    server.handle_timeout(t1);
    assert_eq!(drain(&mut server), [0x89, 0x00]);
    assert_eq!(server.deadline(WsTimer::Keepalive), None);
    assert_eq!(
        server.deadline(WsTimer::PongTimeout),
        Some(t1 + Duration::from_secs(5))
    );
    // Any input counts as the answer.
    let t2 = t1 + Duration::from_secs(1);
    server.handle_input(&[0x8A, 0x80, 0, 0, 0, 0], t2);
    assert_eq!(server.poll_event(), Some(Ok(WsEvent::Pong(Bytes::new()))));
    assert_eq!(server.deadline(WsTimer::PongTimeout), None);
    assert_eq!(server.poll_timeout(), Some(t2 + Duration::from_secs(10)));

    // Late by far: the idle timeout wins over the keepalive that is also due.
    server.handle_timeout(t2 + Duration::from_secs(600));
    assert_eq!(
        server.poll_event(),
        Some(Err(WsError::IdleTimeout(Duration::from_secs(60))))
    );
    let close = drain(&mut server);
    assert_eq!(&close[..4], [0x88, close[1], 0x03, 0xE9], "close 1001");
    assert_eq!(server.poll_event(), None);
    assert_eq!(server.poll_timeout(), None);
    assert!(server.is_closed());
}
