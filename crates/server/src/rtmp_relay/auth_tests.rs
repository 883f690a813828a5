//! Access through the relay: applications and tokens.

use std::time::Duration;

use tokio::net::TcpStream;
use wirestate_core::OsRandom;
use wirestate_rtmp::session::{ClientConfig, ClientEvent, ClientSession};
use wirestate_tokio::Connection;

use super::tests::{next, next_matching, next_video, send_video, start_with, Client, KEYFRAME};
use super::RelayConfig;
use crate::auth::AccessToken;

/// A client of `app` (with `tc_url` after the host, e.g. `live?token=x`).
async fn client_of(port: u16, app: &str, tc_path: &str) -> Client {
    let socket = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let tc_url = format!("rtmp://127.0.0.1:{port}/{tc_path}");
    let mut config = ClientConfig::new(app, &tc_url);
    config.idle_timeout = Some(Duration::from_secs(15));
    let session = ClientSession::new(config, OsRandom, wirestate_tokio::now());
    Connection::new(socket, session)
}

/// Reads events until the relay closes the connection.
async fn until_closed(conn: &mut Client) {
    let ended = tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(Ok(_)) = conn.next_event().await {}
    });
    ended.await.expect("the relay closes the connection");
}

fn secured() -> RelayConfig {
    RelayConfig {
        app: Some("live".into()),
        publish_token: Some(AccessToken::new("pub")),
        play_token: Some(AccessToken::new("play")),
        ..RelayConfig::default()
    }
}

#[tokio::test]
async fn another_application_is_rejected_at_connect() {
    let relay = start_with(secured()).await;
    let mut other = client_of(relay.port, "vod", "vod").await;
    let status = next_matching!(&mut other, ClientEvent::ConnectRejected(status) => status.clone());
    assert_eq!(status.code, "NetConnection.Connect.Rejected");
    until_closed(&mut other).await;
    // The application itself connects, also with a query after it.
    let mut live = client_of(relay.port, "live?token=pub", "live?token=pub").await;
    next_matching!(&mut live, ClientEvent::Connected { .. } => ());
}

#[tokio::test]
async fn publish_and_play_need_their_tokens() {
    let relay = start_with(secured()).await;
    for name in ["cam", "cam?token=play", "cam?token=wrong"] {
        let mut refused = client_of(relay.port, "live", "live").await;
        refused.machine_mut().publish(name, "live");
        let status =
            next_matching!(&mut refused, ClientEvent::Status { status, .. } => status.clone());
        assert!(status.is_error(), "{status:?}");
        assert_eq!(status.code, "NetStream.Publish.BadName", "{name}");
        until_closed(&mut refused).await;
    }
    // The token on the stream name; the key is the name without it.
    let mut publishing = client_of(relay.port, "live", "live").await;
    publishing.machine_mut().publish("cam?token=pub", "live");
    next_matching!(&mut publishing, ClientEvent::PublishStarted { .. } => ());

    let mut refused = client_of(relay.port, "live", "live").await;
    refused.machine_mut().play("cam?token=pub");
    let status = next_matching!(&mut refused, ClientEvent::Status { status, .. } => status.clone());
    assert_eq!(status.code, "NetStream.Play.Failed");
    until_closed(&mut refused).await;

    // A player with the token in the tcUrl plays the same key.
    let mut player = client_of(relay.port, "live", "live?token=play").await;
    player.machine_mut().play("cam");
    next_matching!(&mut player, ClientEvent::PlayStarted { .. } => ());
    send_video(&mut publishing, &[(0, KEYFRAME)]).await;
    assert_eq!(next_video(&mut player).await, KEYFRAME);
}
