//! Every echo server echoes to the load client in-process: a handful of
//! round trips on two connections, one and three messages in flight,
//! checked for size by the client. No timing is asserted.

use std::time::Duration;

use wirestate_echo_bench::load::{self, Settings};
use wirestate_echo_bench::{server, Library};

#[tokio::test(flavor = "current_thread")]
async fn every_library_echoes_to_the_load_client() {
    for (library, depth) in Library::ALL
        .into_iter()
        .flat_map(|lib| [(lib, 1), (lib, 3)])
    {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("ws://{}/", listener.local_addr().unwrap());
        let server = tokio::spawn(server::serve(library, listener));
        let settings = Settings {
            connections: 2,
            size: 512,
            duration: Duration::from_millis(50),
            warmup: Duration::ZERO,
            depth,
            ..Settings::new(url)
        };
        let report = load::run(&settings)
            .await
            .unwrap_or_else(|error| panic!("{library} depth {depth}: {error}"));
        assert!(report.latency.count > 0, "{library}: nothing echoed");
        assert!(report.total >= report.latency.count as u64);
        server.abort();
    }
}

#[test]
fn library_names_round_trip() {
    for library in Library::ALL {
        assert_eq!(library.name().parse::<Library>(), Ok(library));
    }
    assert!("tungstenite2".parse::<Library>().is_err());
}
