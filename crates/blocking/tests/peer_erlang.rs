#![cfg(feature = "peer-tests")]
//! The `packet_echo_blocking` example against an Erlang/OTP `gen_tcp`
//! `{packet,N}` client (tests/peers/erlang_client.escript in the workspace,
//! installed by scripts/peers/install-erlang.sh) that checks every echo.
//!
//! Run: `scripts/peer-tests.sh`, or
//! `cargo test -p wirestate-blocking --features peer-tests --test peer_erlang -- --test-threads=1`.

// The example's own code, so the interop tests exercise exactly what ships.
#[allow(dead_code)]
#[path = "../examples/packet_echo_blocking.rs"]
mod example;

use wirestate_core::testing::peer::{erlang_client, erlang_client_expected};

const MIB: usize = 1024 * 1024;

#[test]
fn erlang_client_against_our_blocking_echo_server() {
    for (header, sizes) in [(2u8, &[0, 1, 65535][..]), (4, &[0, 1, 65535, MIB][..])] {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        // The server thread accepts until the test process exits.
        std::thread::spawn(move || example::serve(listener, header));
        let lines = erlang_client(header, port, sizes);
        assert_eq!(lines, erlang_client_expected(sizes), "{{packet,{header}}}");
    }
}

#[test]
fn erlang_client_against_our_blocking_echo_connection() {
    // One connection through `echo` itself, to check what it returns.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = std::thread::spawn(move || {
        let (socket, _) = listener.accept().unwrap();
        example::echo(socket, 2)
    });
    let sizes = [0, 1, 65535];
    let lines = erlang_client(2, port, &sizes);
    assert_eq!(lines, erlang_client_expected(&sizes));
    // Three frames one at a time, three pipelined, then the client's close.
    assert_eq!(server.join().unwrap().unwrap(), 6);
}
