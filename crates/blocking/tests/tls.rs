//! The blocking driver over TLS (feature `tls`): a self-signed certificate
//! made at test time, a {packet,2} echo through rustls' `StreamOwned` on
//! 127.0.0.1, and a handshake that gives up at its timeout.

use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use wirestate_blocking::tls::{self, rustls};
use wirestate_blocking::Connection;
use wirestate_length::{LengthCommand, LengthConfig, LengthConnection, LengthEvent};

const WAIT: Duration = Duration::from_secs(10);

#[allow(deprecated)] // the ring provider, as the project builds no aws-lc-rs
fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Client and server configurations around a fresh self-signed
/// certificate for 127.0.0.1.
fn configs() -> (Arc<rustls::ClientConfig>, Arc<rustls::ServerConfig>) {
    let made = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_string()]).unwrap();
    let cert = made.cert.der().clone();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(made.key_pair.serialize_der()));
    let mut roots = rustls::RootCertStore::empty();
    roots.add(cert.clone()).unwrap();
    let client = rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let server = rustls::ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert], key)
        .unwrap();
    (Arc::new(client), Arc::new(server))
}

#[test]
fn frames_echo_over_tls() {
    let (client_config, server_config) = configs();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = std::thread::spawn(move || {
        let (socket, _) = listener.accept().unwrap();
        let stream = tls::accept(server_config, socket, WAIT).unwrap();
        let mut conn = Connection::new(stream, LengthConnection::new(LengthConfig::erlang(2)));
        let mut echoed = 0;
        while let Some(event) = conn.next_event() {
            if let LengthEvent::Frame(payload) = event.unwrap() {
                conn.send(LengthCommand::Send(payload)).unwrap();
                echoed += 1;
            }
        }
        echoed
    });

    let socket = TcpStream::connect(addr).unwrap();
    let stream = tls::connect(client_config, "127.0.0.1", socket, WAIT).unwrap();
    let mut client = Connection::new(stream, LengthConnection::new(LengthConfig::erlang(2)));
    let big = Bytes::from(vec![7u8; 40_000]);
    for payload in [Bytes::from_static(b"hello"), big.clone()] {
        client.send(LengthCommand::Send(payload.clone())).unwrap();
        assert_eq!(
            client.next_event().unwrap().unwrap(),
            LengthEvent::Frame(payload)
        );
    }
    client.shutdown(WAIT).unwrap();
    assert!(client.next_event().is_none(), "the server closed too");
    assert_eq!(server.join().unwrap(), 2);
}

#[test]
fn a_silent_server_times_the_handshake_out() {
    let (client_config, _) = configs();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let socket = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let _held = listener.accept().unwrap();
    let started = Instant::now();
    let timeout = Duration::from_millis(200);
    let error = tls::connect(client_config, "127.0.0.1", socket, timeout).unwrap_err();
    assert_eq!(error.kind(), std::io::ErrorKind::TimedOut, "{error}");
    assert!(started.elapsed() >= timeout && started.elapsed() < WAIT);
}

#[test]
fn an_untrusted_certificate_is_refused() {
    let (_, server_config) = configs();
    let (other_client, _) = configs();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = std::thread::spawn(move || {
        let (socket, _) = listener.accept().unwrap();
        tls::accept(server_config, socket, WAIT).is_err()
    });
    let socket = TcpStream::connect(addr).unwrap();
    assert!(tls::connect(other_client, "127.0.0.1", socket, WAIT).is_err());
    assert!(server.join().unwrap(), "the server sees the refusal too");
}
