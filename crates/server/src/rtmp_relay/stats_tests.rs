//! Per-stream counters through the relay, and the status port over HTTP.

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use wirestate_rtmp::session::ClientEvent;

use super::tests::{
    client, next, next_matching, next_video, publisher, send_video, start_with, wait_until,
    INTER_FRAME, KEYFRAME, VIDEO_CONFIG,
};
use super::{metrics, streams_json, RelayConfig};
use crate::{ServerLimits, Shutdown};

/// The answer of the status port at `addr` to `GET path`.
async fn get(addr: std::net::SocketAddr, path: &str) -> String {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: x\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    answer
}

#[tokio::test]
async fn streams_count_their_bytes_players_and_codecs() {
    let relay = start_with(RelayConfig::default()).await;
    let stats = relay.stats.clone();
    let mut publishing = publisher(relay.port, "cam").await;
    let mut player = client(relay.port).await;
    player.machine_mut().play("cam");
    next_matching!(&mut player, ClientEvent::PlayStarted { .. } => ());
    let frames = [(0, VIDEO_CONFIG), (40, KEYFRAME), (80, INTER_FRAME)];
    send_video(&mut publishing, &frames).await;
    for _ in 0..3 {
        next_video(&mut player).await;
    }
    let sent = (VIDEO_CONFIG.len() + KEYFRAME.len() + INTER_FRAME.len()) as u64;
    let streams = stats.streams(Instant::now());
    assert_eq!(streams.len(), 1);
    let cam = &streams[0];
    assert_eq!((cam.app.as_str(), cam.key.as_str()), ("live", "cam"));
    assert!(cam.publishing);
    assert_eq!(cam.video_codec.as_deref(), Some("H264"));
    assert_eq!(cam.audio_codec, None);
    assert_eq!((cam.players, cam.bytes_in, cam.bytes_out), (1, sent, sent));

    // The status port answers from the same counters.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (trigger, shutdown) = Shutdown::new();
    let limits = ServerLimits::default();
    let server = tokio::spawn(super::serve_stats(
        listener,
        limits,
        shutdown,
        stats.clone(),
    ));
    let health = get(addr, "/health").await;
    assert!(health.starts_with("HTTP/1.1 200 OK\r\n"), "{health}");
    let text = get(addr, "/metrics").await;
    assert!(text.starts_with("HTTP/1.1 200 OK\r\n"), "{text}");
    for line in [
        "rtmp_publishers 1",
        "rtmp_players 1",
        &format!("rtmp_stream_bytes_in_total{{app=\"live\",key=\"cam\"}} {sent}"),
        &format!("rtmp_stream_bytes_out_total{{app=\"live\",key=\"cam\"}} {sent}"),
        "rtmp_stream_players{app=\"live\",key=\"cam\"} 1",
        "rtmp_stream_publishers{app=\"live\",key=\"cam\"} 1",
        "rtmp_stream_dropped_messages_total{app=\"live\",key=\"cam\"} 0",
    ] {
        assert!(text.lines().any(|l| l == line), "{line} in {text}");
    }
    let json = get(addr, "/streams").await;
    let prefix = format!(
        "[{{\"app\":\"live\",\"key\":\"cam\",\"publishing\":true,\"video_codec\":\"H264\",\
         \"audio_codec\":null,\"bitrate\":0,\"players\":1,\"bytes_in\":{sent},\
         \"bytes_out\":{sent},\"dropped_messages\":0,\"uptime_seconds\":"
    );
    let body = json.split("\r\n\r\n").nth(1).unwrap();
    assert!(body.starts_with(&prefix), "{json}");
    assert!(
        json.contains("Content-Type: application/json\r\n"),
        "{json}"
    );
    assert!(get(addr, "/nope").await.starts_with("HTTP/1.1 404"));

    // Once the publisher and the player left, the stream is gone.
    drop(player);
    publishing.machine_mut().stop().unwrap();
    publishing.flush().await.unwrap();
    wait_until(Duration::from_secs(10), || {
        stats.streams(Instant::now()).is_empty()
    })
    .await;
    assert_eq!(streams_json(&stats, Instant::now()), "[]\n");
    assert!(metrics(&stats, Instant::now()).contains("\nrtmp_publishers 0\n"));
    trigger.trigger();
    server.await.unwrap().unwrap();
}
