//! The blocking echo server example against the tokio echo client example,
//! both in-process on 127.0.0.1.

#[allow(dead_code)]
#[path = "../examples/echo_server_blocking.rs"]
mod echo_server_blocking;

#[allow(dead_code)]
#[path = "../examples/echo_client.rs"]
mod echo_client;

#[tokio::test]
async fn blocking_echo_server_echoes_the_client_example() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || echo_server_blocking::serve(listener));

    let lines = echo_client::run(port).await.unwrap();
    assert_eq!(
        lines,
        [
            format!("text: {}", echo_client::TEXT),
            format!("binary: {:02x?}", echo_client::BINARY),
            format!("pong: {}", String::from_utf8_lossy(echo_client::PING)),
            "close: Some(1000)".to_string(),
        ]
    );
}
