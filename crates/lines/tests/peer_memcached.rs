//! The `memcached_client` example against a real memcached 1.6 on
//! 127.0.0.1 (started by tests/peers/memcached.sh in the workspace), through
//! both drivers: values with CRLFs, empty, binary and 1 MiB, read back
//! byte-exact. Run with scripts/peer-tests.sh (installs memcached first), or
//! `cargo test -p wirestate-lines --features peer-tests --test peer_memcached -- --test-threads=1`.
#![cfg(feature = "peer-tests")]

// The example's own code, so the interop tests exercise exactly what ships.
#[allow(dead_code)]
#[path = "../examples/memcached_client.rs"]
mod memcached_client;

use std::net::TcpListener;

use bytes::Bytes;
use memcached_client::protocol::Done;
use memcached_client::{BlockingClient, TokioClient};
use wirestate_core::testing::peer::Peer;

/// Large enough for the 1 MiB value (memcached runs with `-I 2m`).
const MAX_VALUE: usize = 2 << 20;

fn free_port() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    listener.local_addr().unwrap().port().to_string()
}

fn start_memcached() -> Peer {
    Peer::start("bash", &["tests/peers/memcached.sh", &free_port()])
}

/// Values that a line-only client would get wrong.
fn values() -> Vec<(String, Bytes)> {
    let mut big = Vec::with_capacity(1 << 20);
    for i in 0..(1usize << 20) {
        // Mostly text, with a CRLF and a lone CR or LF here and there.
        big.push(match i % 97 {
            95 => b'\r',
            96 => b'\n',
            41 => b'\r',
            73 => b'\n',
            n => b'a' + (n % 26) as u8,
        });
    }
    vec![
        ("crlf".into(), Bytes::from_static(b"ab\r\ncd\r\n\r\nef")),
        ("just-crlf".into(), Bytes::from_static(b"\r\n")),
        ("ends-in-cr".into(), Bytes::from_static(b"ab\r")),
        (
            "fake-reply".into(),
            Bytes::from_static(b"END\r\nVALUE x 0 1\r\nz\r\n"),
        ),
        ("empty".into(), Bytes::new()),
        ("binary".into(), (0..=255u8).collect::<Vec<u8>>().into()),
        ("one-mib".into(), big.into()),
    ]
}

fn status(s: &str) -> Done {
    Done::Status(s.into())
}

#[test]
fn memcached_values_round_trip_through_the_tokio_driver() {
    let peer = start_memcached();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let mut client = TokioClient::connect(peer.addr, MAX_VALUE).await.unwrap();
        for (key, value) in values() {
            let key = format!("tokio-{key}");
            assert_eq!(
                client.set(&key, value.clone()).await.unwrap(),
                status("STORED"),
                "{key}"
            );
            assert_eq!(
                client.get(&key).await.unwrap(),
                Done::Value(Some(value)),
                "{key}"
            );
        }
        assert_eq!(
            client.get("tokio-missing").await.unwrap(),
            Done::Value(None)
        );
        assert_eq!(
            client.delete("tokio-crlf").await.unwrap(),
            status("DELETED")
        );
        assert_eq!(
            client.delete("tokio-crlf").await.unwrap(),
            status("NOT_FOUND")
        );
        assert_eq!(client.get("tokio-crlf").await.unwrap(), Done::Value(None));
    });
}

#[test]
fn memcached_values_round_trip_through_the_blocking_driver() {
    let peer = start_memcached();
    let mut client = BlockingClient::connect(peer.addr, MAX_VALUE).unwrap();
    for (key, value) in values() {
        let key = format!("blocking-{key}");
        assert_eq!(
            client.set(&key, value.clone()).unwrap(),
            status("STORED"),
            "{key}"
        );
        assert_eq!(client.get(&key).unwrap(), Done::Value(Some(value)), "{key}");
    }
    assert_eq!(client.get("blocking-missing").unwrap(), Done::Value(None));
    assert_eq!(client.delete("blocking-binary").unwrap(), status("DELETED"));
    assert_eq!(client.get("blocking-binary").unwrap(), Done::Value(None));
}

#[test]
fn memcached_values_written_by_one_driver_read_by_the_other() {
    let peer = start_memcached();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let written = runtime.block_on(async {
        let mut client = TokioClient::connect(peer.addr, MAX_VALUE).await.unwrap();
        let mut written = Vec::new();
        for (key, value) in values() {
            let key = format!("cross-{key}");
            assert_eq!(
                client.set(&key, value.clone()).await.unwrap(),
                status("STORED")
            );
            written.push((key, value));
        }
        written
    });
    let mut client = BlockingClient::connect(peer.addr, MAX_VALUE).unwrap();
    for (key, value) in written {
        assert_eq!(client.get(&key).unwrap(), Done::Value(Some(value)), "{key}");
    }
}
