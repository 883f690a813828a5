//! The connect helpers over TLS, in process: a self-signed certificate made
//! at test time, a TLS-wrapped server on 127.0.0.1, and `wss://` /
//! `rtmps://` clients that trust exactly that certificate.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::io::AsyncReadExt;
use tokio::net::TcpListener;
use wirestate_core::SeededRandom;
use wirestate_rtmp::session::{ClientEvent, MediaEvent, ServerConfig, ServerEvent, ServerSession};
use wirestate_tokio::connect::{ConnectError, RtmpConnect, WsConnect};
use wirestate_tokio::tls::{self, rustls, TlsAcceptor};
use wirestate_tokio::Connection;
use wirestate_websocket::{DeflateConfig, Message, WsConfig, WsConnection, WsEvent};

const WAIT: Duration = Duration::from_secs(10);

/// A self-signed certificate for `localhost` and 127.0.0.1, and the
/// acceptor that presents it.
fn certificate() -> (CertificateDer<'static>, TlsAcceptor) {
    let names = vec!["localhost".to_string(), "127.0.0.1".to_string()];
    let made = rcgen::generate_simple_self_signed(names).unwrap();
    let cert = made.cert.der().clone();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(made.key_pair.serialize_der()));
    let acceptor = tls::server_config(vec![cert.clone()], key).unwrap();
    (cert, acceptor)
}

fn trusting(cert: &CertificateDer<'static>) -> Arc<rustls::ClientConfig> {
    tls::client_config([cert.clone()]).unwrap()
}

/// A wss echo server for one connection: permessage-deflate, subprotocol
/// and the request's headers as the server sees them.
async fn wss_echo(acceptor: TlsAcceptor) -> (u16, tokio::task::JoinHandle<Vec<String>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = tokio::spawn(async move {
        let (socket, _) = listener.accept().await.unwrap();
        let stream = tls::accept(&acceptor, socket, WAIT).await.unwrap();
        let config = WsConfig {
            deflate: Some(DeflateConfig::server()),
            ..WsConfig::default()
        };
        let mut conn = Connection::new(stream, WsConnection::server_auto_accept(config));
        let mut seen = Vec::new();
        while let Some(event) = conn.next_event().await {
            match event.unwrap() {
                WsEvent::Request(request) => {
                    seen.push(request.path.clone());
                    seen.extend(request.query.clone());
                    for (name, value) in &request.headers {
                        if name.eq_ignore_ascii_case("x-token") {
                            seen.push(String::from_utf8_lossy(value).into_owned());
                        }
                    }
                }
                WsEvent::Message(Message::Text(text)) => {
                    conn.machine_mut().send_text(text).unwrap();
                }
                _ => {}
            }
        }
        seen
    });
    (port, server)
}

#[tokio::test]
async fn wss_echo_through_the_connect_helper() {
    let (cert, acceptor) = certificate();
    let (port, server) = wss_echo(acceptor).await;
    let url = format!("wss://localhost:{port}/echo?room=1");
    let (mut ws, response) = WsConnect::new(url)
        .header("X-Token", "abc")
        .deflate(DeflateConfig::client())
        .tls(trusting(&cert))
        .connect()
        .await
        .unwrap();
    assert!(ws.transport().is_tls());
    assert!(response.deflate.is_some(), "deflate agreed: {response:?}");
    let text = "over TLS ".repeat(50);
    ws.machine_mut().send_text(text.clone()).unwrap();
    let echo = tokio::time::timeout(WAIT, ws.next_event()).await.unwrap();
    match echo.unwrap().unwrap() {
        WsEvent::Message(Message::Text(got)) => assert_eq!(got, text.as_str()),
        other => panic!("{other:?}"),
    }
    ws.machine_mut().close(1000, "done").unwrap();
    while let Some(event) = tokio::time::timeout(WAIT, ws.next_event()).await.unwrap() {
        event.unwrap();
    }
    let seen = tokio::time::timeout(WAIT, server).await.unwrap().unwrap();
    assert_eq!(seen, ["/echo", "room=1", "abc"]);
}

#[tokio::test]
async fn wss_refuses_a_server_it_does_not_trust() {
    let (_, acceptor) = certificate();
    let (other, _) = certificate();
    let (port, _server) = wss_echo(acceptor).await;
    let error = WsConnect::new(format!("wss://127.0.0.1:{port}/"))
        .tls(trusting(&other))
        .connect()
        .await
        .unwrap_err();
    assert!(matches!(error, ConnectError::Tls { .. }), "{error}");
}

#[tokio::test]
async fn wss_without_a_tls_config_is_refused_before_connecting() {
    let error = WsConnect::new("wss://127.0.0.1:1/")
        .connect()
        .await
        .unwrap_err();
    assert!(
        matches!(error, ConnectError::NoTls(ref s) if s == "wss"),
        "{error}"
    );
}

#[tokio::test]
async fn a_silent_tls_server_times_out_within_the_timeout() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let held = tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut sink = Vec::new();
        let _ = socket.read_to_end(&mut sink).await;
    });
    let (cert, _) = certificate();
    let started = tokio::time::Instant::now();
    let error = WsConnect::new(format!("wss://localhost:{port}/"))
        .tls(trusting(&cert))
        .timeout(Duration::from_millis(300))
        .connect()
        .await
        .unwrap_err();
    assert!(started.elapsed() < WAIT);
    match error {
        ConnectError::Tls { source, .. } => {
            assert_eq!(source.kind(), std::io::ErrorKind::TimedOut)
        }
        other => panic!("{other}"),
    }
    held.abort();
}

#[tokio::test]
async fn rtmps_publish_reaches_a_tls_server_session() {
    let (cert, acceptor) = certificate();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = tokio::spawn(async move {
        let (socket, _) = listener.accept().await.unwrap();
        let stream = tls::accept(&acceptor, socket, WAIT).await.unwrap();
        let config = ServerConfig {
            auto_accept: true,
            ..ServerConfig::default()
        };
        let session = ServerSession::new(config, SeededRandom::new(3), wirestate_tokio::now());
        let mut conn = Connection::new(stream, session);
        let mut published = None;
        while let Some(event) = conn.next_event().await {
            match event.unwrap() {
                ServerEvent::PublishRequested { app, name, .. } => published = Some((app, name)),
                ServerEvent::Media(MediaEvent::Video { video, .. }) => {
                    return (published, video.payload)
                }
                _ => {}
            }
        }
        panic!("the client left without video");
    });

    let connect = RtmpConnect::new(&format!("rtmps://localhost:{port}/live/key")).unwrap();
    let key = connect.url().key.clone();
    let mut client = connect.tls(trusting(&cert)).connect().await.unwrap();
    assert!(client.transport().is_tls());
    client.machine_mut().publish(&key, "live");
    loop {
        let event = tokio::time::timeout(WAIT, client.next_event())
            .await
            .unwrap();
        if let ClientEvent::PublishStarted { .. } = event.unwrap().unwrap() {
            break;
        }
    }
    let frame = Bytes::from_static(b"\x17\x01\x00\x00\x00keyframe");
    client.machine_mut().send_video(0, frame.clone()).unwrap();
    client.flush().await.unwrap();
    let (published, payload) = tokio::time::timeout(WAIT, server).await.unwrap().unwrap();
    assert_eq!(published, Some(("live".to_string(), "key".to_string())));
    assert_eq!(payload, frame);
}
