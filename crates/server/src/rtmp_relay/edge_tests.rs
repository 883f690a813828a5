//! Two relays in one test: an origin and an edge that pulls from it, a
//! source and a target it pushes to.

use std::time::Duration;

use bytes::Bytes;
use wirestate_rtmp::amf0::Value;
use wirestate_rtmp::session::{ClientEvent, MediaEvent};

use super::super::{PullOrigin, PushTarget, RelayConfig};
use super::{client, next, publisher, start_with, wait_until, Client, Running};

/// One message as sent and as received: kind, timestamp, body.
#[derive(Debug, Clone, PartialEq)]
enum Item {
    Metadata(u32, Value),
    Audio(u32, Bytes),
    Video(u32, Bytes),
}

/// A stream as a capture has it: metadata, the AVC and AAC sequence
/// headers, then two-second GOPs of 25 fps video with 43 fps AAC audio.
fn stream() -> Vec<Item> {
    let metadata = Value::EcmaArray(vec![
        ("width".into(), Value::Number(640.0)),
        ("framerate".into(), Value::Number(25.0)),
    ]);
    let mut items = vec![
        Item::Metadata(0, metadata),
        Item::Video(
            0,
            Bytes::from_static(b"\x17\x00\x00\x00\x00\x01\x64\x00\x1f"),
        ),
        Item::Audio(0, Bytes::from_static(b"\xaf\x00\x12\x10")),
    ];
    let (mut video, mut audio) = (0u32, 0u32);
    for frame in 0..120u32 {
        while audio <= video {
            let body = [0xaf, 0x01, (audio % 251) as u8, 0x21];
            items.push(Item::Audio(audio, Bytes::copy_from_slice(&body)));
            audio += 23;
        }
        let head: &[u8] = if frame % 50 == 0 {
            b"\x17\x01"
        } else {
            b"\x27\x01"
        };
        let mut body = head.to_vec();
        body.extend_from_slice(&[0, 0, 0]);
        body.extend_from_slice(&frame.to_be_bytes());
        body.resize(200 + (frame as usize % 7) * 100, 0x5a);
        items.push(Item::Video(video, Bytes::from(body)));
        video += 40;
    }
    items
}

/// Publishes `items` and writes them.
async fn send(publishing: &mut Client, items: &[Item]) {
    for item in items {
        let session = publishing.machine_mut();
        match item.clone() {
            Item::Metadata(timestamp, properties) => session.send_metadata(timestamp, properties),
            Item::Audio(timestamp, body) => session.send_audio(timestamp, body),
            Item::Video(timestamp, body) => session.send_video(timestamp, body),
        }
        .unwrap();
        publishing.flush().await.unwrap();
    }
}

/// Everything a player receives until the stream's end (StreamEOF).
async fn receive(player: &mut Client) -> Vec<Item> {
    let mut items = Vec::new();
    let received = tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            match player.next_event().await {
                Some(Ok(ClientEvent::Media(media))) => items.push(match media {
                    MediaEvent::Metadata {
                        timestamp, data, ..
                    } => Item::Metadata(timestamp, data.metadata().unwrap().clone()),
                    MediaEvent::Audio {
                        timestamp, audio, ..
                    } => Item::Audio(timestamp, audio.payload),
                    MediaEvent::Video {
                        timestamp, video, ..
                    } => Item::Video(timestamp, video.payload),
                }),
                Some(Ok(ClientEvent::StreamEof { .. })) => return,
                Some(Ok(_)) => {}
                other => panic!("the player's connection ended first: {other:?}"),
            }
        }
    })
    .await;
    assert!(received.is_ok(), "no end after {} items", items.len());
    items
}

async fn player(port: u16, key: &str) -> Client {
    let mut player = client(port).await;
    player.machine_mut().play(key);
    next!(&mut player, ClientEvent::PlayStarted { .. });
    player
}

async fn edge_of(origin: &Running) -> Running {
    let url = format!("rtmp://127.0.0.1:{}/live", origin.port);
    start_with(RelayConfig {
        pull: Some(url.parse::<PullOrigin>().unwrap()),
        ..RelayConfig::default()
    })
    .await
}

#[tokio::test]
async fn an_edge_pulls_a_stream_for_its_players_and_ends_it_with_the_origin() {
    let origin = start_with(RelayConfig::default()).await;
    let edge = edge_of(&origin).await;
    // The first player of the edge makes it play the key at the origin.
    let mut first = player(edge.port, "cam").await;
    wait_until(Duration::from_secs(10), || origin.stats.players() == 1).await;
    let mut publishing = publisher(origin.port, "cam").await;
    let items = stream();
    let (half, rest) = items.split_at(items.len() / 2);
    send(&mut publishing, half).await;
    // A second player shares the pull: the origin still has one player.
    let mut second = player(edge.port, "cam").await;
    assert_eq!(origin.stats.players(), 1);
    send(&mut publishing, rest).await;
    publishing.machine_mut().stop().unwrap();
    publishing.flush().await.unwrap();

    assert_eq!(receive(&mut first).await, items);
    // The late player starts with the headers, then the next keyframe.
    let late = receive(&mut second).await;
    assert_eq!(late[..3], items[..3]);
    let keyframe = items
        .iter()
        .skip(half.len())
        .position(|item| matches!(item, Item::Video(_, body) if body[0] == 0x17))
        .unwrap();
    let from_keyframe = &items[half.len() + keyframe..];
    let tail = &late[late.len() - from_keyframe.len()..];
    assert_eq!(tail, from_keyframe);
    // The pull is gone at both ends.
    wait_until(Duration::from_secs(10), || {
        origin.stats.players() == 0 && edge.stats.players() == 0
    })
    .await;
}

#[tokio::test]
async fn a_pull_is_released_after_its_last_player_leaves() {
    let origin = start_with(RelayConfig::default()).await;
    let edge = edge_of(&origin).await;
    let mut publishing = publisher(origin.port, "cam").await;
    send(&mut publishing, &stream()[..10]).await;
    let mut watching = player(edge.port, "cam").await;
    wait_until(Duration::from_secs(10), || origin.stats.players() == 1).await;
    next!(&mut watching, ClientEvent::Media(MediaEvent::Video { .. }));
    drop(watching);
    // Lingers, then stops playing at the origin; the publisher goes on.
    let limit = super::super::PULL_LINGER + Duration::from_secs(10);
    wait_until(limit, || {
        origin.stats.players() == 0 && edge.stats.players() == 0
    })
    .await;
    send(&mut publishing, &stream()[10..12]).await;
    // A new player pulls it again.
    let mut again = player(edge.port, "cam").await;
    wait_until(Duration::from_secs(10), || origin.stats.players() == 1).await;
    let items = stream();
    send(&mut publishing, &items[12..]).await;
    next!(&mut again, ClientEvent::Media(MediaEvent::Video { .. }));
}

/// The status a player gets for `key` at `port` instead of `Play.Start`.
async fn refused(port: u16, key: &str) -> String {
    let mut player = client(port).await;
    player.machine_mut().play(key);
    let status = next!(&mut player, ClientEvent::Status { status, .. } => status.clone());
    assert!(status.is_error(), "{status:?}");
    status.code
}

#[tokio::test]
async fn players_of_an_edge_whose_origin_is_down_are_told_the_stream_is_not_found() {
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let edge = start_with(RelayConfig {
        pull: Some(format!("rtmp://127.0.0.1:{port}/live").parse().unwrap()),
        ..RelayConfig::default()
    })
    .await;
    assert_eq!(
        refused(edge.port, "cam").await,
        "NetStream.Play.StreamNotFound"
    );
    wait_until(Duration::from_secs(5), || edge.stats.players() == 0).await;
}

#[tokio::test]
async fn a_player_waits_for_a_silent_origin_at_most_the_connect_timeout() {
    // Accepts connections and never answers.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = silent.local_addr().unwrap().port();
    let timeout = Duration::from_millis(400);
    let edge = start_with(RelayConfig {
        limits: crate::ServerLimits {
            handshake_timeout: Some(timeout),
            ..crate::ServerLimits::default()
        },
        pull: Some(format!("rtmp://127.0.0.1:{port}/live").parse().unwrap()),
        ..RelayConfig::default()
    })
    .await;
    let asked = tokio::time::Instant::now();
    let code = refused(edge.port, "cam").await;
    let waited = asked.elapsed();
    assert_eq!(code, "NetStream.Play.StreamNotFound");
    assert!(waited >= timeout - Duration::from_millis(50), "{waited:?}");
    assert!(waited < timeout * 10, "{waited:?}");
    // The pull's connection was made (and is closed).
    let (mut pulled, _) = silent.accept().await.unwrap();
    let mut rest = Vec::new();
    use tokio::io::AsyncReadExt;
    let read = tokio::time::timeout(Duration::from_secs(5), pulled.read_to_end(&mut rest)).await;
    assert!(read.is_ok(), "the pull's connection stayed open");
}

#[tokio::test]
async fn a_source_pushes_every_published_stream_to_its_target() {
    let target = start_with(RelayConfig::default()).await;
    let url = format!("rtmp://127.0.0.1:{}/live", target.port);
    let source = start_with(RelayConfig {
        push: vec![url.parse::<PushTarget>().unwrap()],
        ..RelayConfig::default()
    })
    .await;
    let mut watching = player(target.port, "cam").await;
    let mut publishing = publisher(source.port, "cam").await;
    let items = stream();
    send(&mut publishing, &items).await;
    // FCUnpublish and deleteStream reach the target, which ends its player.
    publishing.machine_mut().stop().unwrap();
    publishing.flush().await.unwrap();
    assert_eq!(receive(&mut watching).await, items);
    wait_until(Duration::from_secs(10), || source.stats.players() == 0).await;
}

#[tokio::test]
async fn a_failed_push_is_retried_with_backoff_while_the_stream_is_live() {
    // The push goes through a listener of the test: its first connection
    // is dropped, its second one is passed on to the target.
    let target = start_with(RelayConfig::default()).await;
    let door = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "rtmp://127.0.0.1:{}/live",
        door.local_addr().unwrap().port()
    );
    let source = start_with(RelayConfig {
        push: vec![url.parse().unwrap()],
        ..RelayConfig::default()
    })
    .await;
    let mut watching = player(target.port, "cam").await;
    let mut publishing = publisher(source.port, "cam").await;
    let accept = || async {
        let accepted = tokio::time::timeout(Duration::from_secs(10), door.accept()).await;
        accepted.expect("no push attempt").unwrap().0
    };
    drop(accept().await);
    let failed = tokio::time::Instant::now();
    let second = accept().await;
    assert!(failed.elapsed() >= super::super::FIRST_BACKOFF - Duration::from_millis(50));
    let target_port = target.port;
    tokio::spawn(async move {
        let mut second = second;
        let onward = tokio::net::TcpStream::connect(("127.0.0.1", target_port));
        let mut onward = onward.await.unwrap();
        let _ = tokio::io::copy_bidirectional(&mut second, &mut onward).await;
    });
    // The retry is a player of the source from before it connected: the
    // target's player gets the whole stream.
    let items = stream();
    send(&mut publishing, &items).await;
    publishing.machine_mut().stop().unwrap();
    publishing.flush().await.unwrap();
    assert_eq!(receive(&mut watching).await, items);
    wait_until(Duration::from_secs(10), || source.stats.players() == 0).await;
    // The stream ended: no more attempts.
    let again = tokio::time::timeout(Duration::from_secs(3), door.accept()).await;
    assert!(again.is_err(), "pushed again after the end");
}

#[tokio::test]
async fn on_shutdown_pushes_end_their_publication_and_pulls_let_go() {
    let origin = start_with(RelayConfig::default()).await;
    let edge = edge_of(&origin).await;
    let source = start_with(RelayConfig {
        push: vec![origin_app(&origin).parse().unwrap()],
        ..RelayConfig::default()
    })
    .await;
    let mut watching = player(edge.port, "cam").await;
    let mut publishing = publisher(source.port, "cam").await;
    let items = stream();
    send(&mut publishing, &items[..20]).await;
    next!(&mut watching, ClientEvent::Media(MediaEvent::Video { .. }));
    assert_eq!(origin.stats.players(), 1);
    // The source shuts down: its push ends the stream at the origin, and
    // the edge's player is told.
    source.trigger.trigger();
    let served = tokio::time::timeout(Duration::from_secs(10), source.task).await;
    served.expect("the source did not stop").unwrap().unwrap();
    next!(&mut watching, ClientEvent::StreamEof { .. });
    // A new pull, then the edge shuts down: the pull leaves the origin.
    let mut publishing = publisher(origin.port, "cam").await;
    send(&mut publishing, &items[..3]).await;
    let _again = player(edge.port, "cam").await;
    wait_until(Duration::from_secs(10), || origin.stats.players() == 1).await;
    edge.trigger.trigger();
    let served = tokio::time::timeout(Duration::from_secs(10), edge.task).await;
    served.expect("the edge did not stop").unwrap().unwrap();
    wait_until(Duration::from_secs(10), || origin.stats.players() == 0).await;
}

fn origin_app(origin: &Running) -> String {
    format!("rtmp://127.0.0.1:{}/live", origin.port)
}

#[tokio::test]
async fn a_push_to_a_target_that_stops_reading_drops_media_and_never_blocks_the_publisher() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    const BUDGET: usize = 256 << 10;
    // The push goes through a proxy of the test that stops reading from
    // it once `stalled` is set.
    let target = start_with(RelayConfig::default()).await;
    let door = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "rtmp://127.0.0.1:{}/live",
        door.local_addr().unwrap().port()
    );
    let source = start_with(RelayConfig {
        push: vec![url.parse().unwrap()],
        player_budget: BUDGET,
        ..RelayConfig::default()
    })
    .await;
    let stalled = Arc::new(AtomicBool::new(false));
    let proxy_stalled = stalled.clone();
    let target_port = target.port;
    tokio::spawn(async move {
        let (pushed, _) = door.accept().await.unwrap();
        let onward = tokio::net::TcpStream::connect(("127.0.0.1", target_port));
        let (mut from_push, mut to_push) = pushed.into_split();
        let (mut from_target, mut to_target) = onward.await.unwrap().into_split();
        tokio::spawn(async move { tokio::io::copy(&mut from_target, &mut to_push).await });
        let mut buf = vec![0; 16 << 10];
        while !proxy_stalled.load(Ordering::Relaxed) {
            match from_push.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => to_target.write_all(&buf[..n]).await.unwrap(),
            }
        }
        // Holds the connection open without reading.
        std::future::pending::<()>().await;
    });
    let mut watching = player(target.port, "cam").await;
    let mut publishing = publisher(source.port, "cam").await;
    send(&mut publishing, &stream()[..4]).await;
    next!(&mut watching, ClientEvent::Media(MediaEvent::Video { .. }));
    stalled.store(true, Ordering::Relaxed);
    // The publisher goes on at full speed; the push's queue fills and
    // drops, within its budget.
    let started = tokio::time::Instant::now();
    let mut timestamp = 1000;
    while source.stats.dropped_messages() == 0 {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "nothing dropped"
        );
        for n in 0..25 {
            let session = publishing.machine_mut();
            let body = super::frame(32 << 10, n == 0);
            session.send_video(timestamp, body).unwrap();
            timestamp += 40;
        }
        let flushed = tokio::time::timeout(Duration::from_secs(5), publishing.flush()).await;
        flushed.expect("the publisher was held up").unwrap();
        assert!(source.stats.peak_player_queue() <= BUDGET);
    }
}

#[tokio::test]
async fn when_the_connection_to_the_origin_breaks_the_edge_players_get_the_end() {
    // The pull goes through a proxy of the test, cut mid-stream.
    let origin = start_with(RelayConfig::default()).await;
    let door = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "rtmp://127.0.0.1:{}/live",
        door.local_addr().unwrap().port()
    );
    let edge = start_with(RelayConfig {
        pull: Some(url.parse().unwrap()),
        ..RelayConfig::default()
    })
    .await;
    let origin_port = origin.port;
    let proxy = tokio::spawn(async move {
        let (mut pulled, _) = door.accept().await.unwrap();
        let onward = tokio::net::TcpStream::connect(("127.0.0.1", origin_port));
        let mut onward = onward.await.unwrap();
        let _ = tokio::io::copy_bidirectional(&mut pulled, &mut onward).await;
    });
    let mut publishing = publisher(origin.port, "cam").await;
    send(&mut publishing, &stream()[..10]).await;
    let mut watching = player(edge.port, "cam").await;
    next!(&mut watching, ClientEvent::Media(MediaEvent::Video { .. }));
    proxy.abort();
    let ended = tokio::time::timeout(Duration::from_secs(10), async {
        next!(&mut watching, ClientEvent::StreamEof { .. });
    })
    .await;
    assert!(ended.is_ok(), "the edge's player was not told the end");
    wait_until(Duration::from_secs(10), || edge.stats.players() == 0).await;
    // The origin's publisher is still served.
    send(&mut publishing, &stream()[10..12]).await;
}
