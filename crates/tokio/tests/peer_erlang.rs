#![cfg(feature = "peer-tests")]
//! The `packet_echo_tokio` example against an Erlang/OTP `gen_tcp`
//! `{packet,N}` client (tests/peers/erlang_client.escript in the workspace,
//! installed by scripts/peers/install-erlang.sh) that checks every echo.
//!
//! Run: `scripts/peer-tests.sh`, or
//! `cargo test -p wirestate-tokio --features peer-tests --test peer_erlang -- --test-threads=1`.

// The example's own code, so the interop tests exercise exactly what ships.
#[allow(dead_code)]
#[path = "../examples/packet_echo_tokio.rs"]
mod example;

use wirestate_core::testing::peer::{erlang_client, erlang_client_expected};

const MIB: usize = 1024 * 1024;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn erlang_client_against_our_tokio_echo_server() {
    for (header, sizes) in [(2u8, vec![0, 1, 65535]), (4, vec![0, 1, 65535, MIB])] {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = tokio::spawn(example::serve(listener, header));
        let expected = erlang_client_expected(&sizes);
        let lines = tokio::task::spawn_blocking(move || erlang_client(header, port, &sizes))
            .await
            .unwrap();
        assert_eq!(lines, expected, "{{packet,{header}}}");
        server.abort();
    }
}

#[tokio::test]
async fn erlang_client_against_our_tokio_echo_connection() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = tokio::spawn(async move {
        let (socket, _) = listener.accept().await.unwrap();
        example::echo(socket, 2).await
    });
    let sizes = [0, 1, 65535];
    let lines = tokio::task::spawn_blocking(move || erlang_client(2, port, &sizes))
        .await
        .unwrap();
    assert_eq!(lines, erlang_client_expected(&sizes));
    assert_eq!(server.await.unwrap().unwrap(), 6);
}
