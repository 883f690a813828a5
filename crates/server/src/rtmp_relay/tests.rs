//! The relay in-process, with our client sessions as publisher and player.

use std::path::PathBuf;
use std::time::Duration;

use bytes::Bytes;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;
use wirestate_core::OsRandom;
use wirestate_rtmp::amf0::Value;
use wirestate_rtmp::flv::{FlvReader, TagType};
use wirestate_rtmp::session::{ClientConfig, ClientEvent, ClientSession, MediaEvent};
use wirestate_tokio::Connection;

use super::{RelayConfig, RelayStats};
use crate::{ServerLimits, Shutdown, ShutdownTrigger};

pub(super) type Client = Connection<ClientSession, TcpStream>;

pub(super) const VIDEO_CONFIG: &[u8] = b"\x17\x00\x00\x00\x00\x01\x64";
pub(super) const KEYFRAME: &[u8] = b"\x17\x01\x00\x00\x00\xaa";
pub(super) const INTER_FRAME: &[u8] = b"\x27\x01\x00\x00\x00\xbb";

/// A relay on a free loopback port; returns the port.
async fn start(record: Option<PathBuf>) -> u16 {
    let config = RelayConfig {
        record,
        ..Default::default()
    };
    start_with(config).await.port
}

/// A running relay: its port, counters, shutdown trigger and task.
pub(super) struct Running {
    pub(super) port: u16,
    pub(super) stats: RelayStats,
    pub(super) trigger: ShutdownTrigger,
    pub(super) task: JoinHandle<std::io::Result<()>>,
}

pub(super) async fn start_with(config: RelayConfig) -> Running {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let stats = RelayStats::default();
    let (trigger, shutdown) = Shutdown::new();
    let task = tokio::spawn(super::serve_with_stats(
        listener,
        config,
        shutdown,
        stats.clone(),
    ));
    Running {
        port,
        stats,
        trigger,
        task,
    }
}

/// A fresh directory under the system's temporary one, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let dir =
            std::env::temp_dir().join(format!("wirestate-relay-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub(super) async fn client(port: u16) -> Client {
    let socket = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let mut config = ClientConfig::new("live", &format!("rtmp://127.0.0.1:{port}/live"));
    config.idle_timeout = Some(Duration::from_secs(15));
    let session = ClientSession::new(config, OsRandom, wirestate_tokio::now());
    Connection::new(socket, session)
}

/// Waits for the next event of `$conn` that matches `$pattern` and gives
/// `$value` of it (`()` without one).
macro_rules! next {
    ($conn:expr, $pattern:pat) => {
        next!($conn, $pattern => ())
    };
    ($conn:expr, $pattern:pat => $value:expr) => {
        next($conn, |e| match e {
            $pattern => Some($value),
            _ => None,
        })
        .await
    };
}
pub(super) use next as next_matching;

/// The next event that `pick` accepts, skipping the others; panics when the
/// connection ends first.
pub(super) async fn next<T>(
    conn: &mut Client,
    mut pick: impl FnMut(&ClientEvent) -> Option<T>,
) -> T {
    loop {
        match conn.next_event().await {
            Some(Ok(event)) => {
                if let Some(found) = pick(&event) {
                    return found;
                }
            }
            other => panic!("connection ended first: {other:?}"),
        }
    }
}

/// The next video payload a player receives.
pub(super) async fn next_video(conn: &mut Client) -> Bytes {
    next!(conn, ClientEvent::Media(MediaEvent::Video { video, .. }) => video.payload.clone())
}

/// Publishes `frames` (timestamp, payload) and writes them.
pub(super) async fn send_video(conn: &mut Client, frames: &[(u32, &'static [u8])]) {
    for &(timestamp, payload) in frames {
        let payload = Bytes::from_static(payload);
        conn.machine_mut().send_video(timestamp, payload).unwrap();
    }
    conn.flush().await.unwrap();
}

pub(super) async fn publisher(port: u16, key: &str) -> Client {
    let mut conn = client(port).await;
    conn.machine_mut().publish(key, "live");
    next!(&mut conn, ClientEvent::PublishStarted { .. });
    conn
}

#[tokio::test]
async fn a_late_player_gets_the_headers_then_live_video_from_a_keyframe() {
    let dir = std::env::temp_dir().join(format!("wirestate-relay-{}", std::process::id()));
    let port = start(Some(dir.clone())).await;
    let mut publishing = publisher(port, "cam").await;
    let session = publishing.machine_mut();
    let properties = Value::EcmaArray(vec![("width".into(), Value::Number(640.0))]);
    session.send_metadata(0, properties).unwrap();
    send_video(&mut publishing, &[(0, VIDEO_CONFIG), (40, KEYFRAME)]).await;

    // A second publisher of the same key is refused.
    let mut second = client(port).await;
    second.machine_mut().publish("cam", "live");
    let refused = next!(&mut second, ClientEvent::Status { status, .. } => status.clone());
    assert!(refused.is_error(), "{refused:?}");

    let mut player = client(port).await;
    player.machine_mut().play("cam");
    let metadata =
        next!(&mut player, ClientEvent::Media(MediaEvent::Metadata { data, .. }) => data.clone());
    assert_eq!(metadata.values[0], Value::String("onMetaData".into()));
    assert_eq!(next_video(&mut player).await, VIDEO_CONFIG);

    // Live video waits for a keyframe.
    let live = [(80, INTER_FRAME), (120, KEYFRAME), (160, INTER_FRAME)];
    send_video(&mut publishing, &live).await;
    assert_eq!(next_video(&mut player).await, KEYFRAME);
    assert_eq!(next_video(&mut player).await, INTER_FRAME);

    // The publisher stops: the player is told and disconnected.
    publishing.machine_mut().stop().unwrap();
    publishing.flush().await.unwrap();
    next!(&mut player, ClientEvent::StreamEof { .. });
    while let Some(Ok(_)) = player.next_event().await {}

    // The relay closes the publisher's socket only after it handled the
    // stop, which closed the recording: it holds every tag, whole.
    publishing.transport_mut().shutdown().await.unwrap();
    while let Some(Ok(_)) = publishing.next_event().await {}
    let file = std::fs::read(dir.join("live_cam.flv")).unwrap();
    let mut reader = FlvReader::new(&file).unwrap();
    let mut tags = Vec::new();
    while let Some(tag) = reader.next_tag().unwrap() {
        tags.push((tag.tag_type, tag.timestamp));
    }
    // And the key is free again.
    drop(publisher(port, "cam").await);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(
        tags,
        [
            (TagType::Script, 0),
            (TagType::Video, 0),
            (TagType::Video, 40),
            (TagType::Video, 80),
            (TagType::Video, 120),
            (TagType::Video, 160),
        ]
    );
}

/// Waits until `condition` holds, checking it every 10 ms; panics after
/// `limit`.
pub(super) async fn wait_until(limit: Duration, mut condition: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + limit;
    let mut tick = tokio::time::interval(Duration::from_millis(10));
    while !condition() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "condition not met within {limit:?}"
        );
        tick.tick().await;
    }
}

/// Every tag `(type, timestamp)` of an FLV file, read back whole.
fn read_tags(path: &std::path::Path) -> Vec<(TagType, u32)> {
    let file = std::fs::read(path).unwrap();
    let mut reader = FlvReader::new(&file).unwrap();
    let mut tags = Vec::new();
    while let Some(tag) = reader.next_tag().unwrap() {
        tags.push((tag.tag_type, tag.timestamp));
    }
    tags
}

/// A video frame of `len` bytes: a keyframe or not.
fn frame(len: usize, keyframe: bool) -> Bytes {
    let mut payload = vec![0x5a; len];
    payload[..5].copy_from_slice(if keyframe {
        &KEYFRAME[..5]
    } else {
        &INTER_FRAME[..5]
    });
    Bytes::from(payload)
}

#[tokio::test]
async fn a_player_that_never_reads_stays_within_its_budget_and_is_released() {
    const BUDGET: usize = 256 << 10;
    let send_timeout = Duration::from_millis(500);
    let relay = start_with(RelayConfig {
        limits: ServerLimits {
            send_timeout: Some(send_timeout),
            ..ServerLimits::default()
        },
        player_budget: BUDGET,
        ..RelayConfig::default()
    })
    .await;
    let mut publishing = publisher(relay.port, "flood").await;
    let mut player = client(relay.port).await;
    player.machine_mut().play("flood");
    next!(&mut player, ClientEvent::PlayStarted { .. });
    // From now on the player reads nothing. The publisher pushes 32 KiB
    // frames (a keyframe every 25) until the relay lets the player go:
    // the kernel's socket buffers fill first, then the player's queue.
    let started = tokio::time::Instant::now();
    let mut timestamp = 0;
    let mut sent = 0usize;
    while relay.stats.stalled_players() == 0 {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "never released"
        );
        for _ in 0..25 {
            let keyframe = timestamp % 1000 == 0;
            let session = publishing.machine_mut();
            session
                .send_video(timestamp, frame(32 << 10, keyframe))
                .unwrap();
            timestamp += 40;
            sent += 32 << 10;
        }
        publishing.flush().await.unwrap();
        assert!(relay.stats.peak_player_queue() <= BUDGET);
    }
    let peak = relay.stats.peak_player_queue();
    assert!(peak > BUDGET / 2, "the queue filled: {peak} of {BUDGET}");
    assert!(relay.stats.dropped_messages() > 0);
    // Released: its queue no longer counts, and its socket ends.
    wait_until(Duration::from_secs(5), || relay.stats.players() == 0).await;
    assert_eq!(relay.stats.queued_bytes(), 0);
    let closed = tokio::time::timeout(Duration::from_secs(10), async {
        let mut buf = vec![0; 1 << 16];
        loop {
            use tokio::io::AsyncReadExt;
            match player.transport_mut().read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
        }
    })
    .await;
    assert!(closed.is_ok(), "the player's socket stayed open");
    tracing::info!(sent, peak, "never-reading player released");
    // The publisher is still served.
    publishing
        .machine_mut()
        .send_video(timestamp, frame(100, true))
        .unwrap();
    publishing.flush().await.unwrap();
}

#[tokio::test]
async fn when_the_publisher_leaves_a_player_with_a_full_queue_is_released() {
    const BUDGET: usize = 128 << 10;
    let relay = start_with(RelayConfig {
        limits: ServerLimits {
            // Only the publisher's end can release the player.
            send_timeout: None,
            drain_timeout: Duration::from_millis(300),
            ..ServerLimits::default()
        },
        player_budget: BUDGET,
        ..RelayConfig::default()
    })
    .await;
    let mut publishing = publisher(relay.port, "gone").await;
    let mut player = client(relay.port).await;
    player.machine_mut().play("gone");
    next!(&mut player, ClientEvent::PlayStarted { .. });
    let started = tokio::time::Instant::now();
    let mut timestamp = 0;
    while relay.stats.dropped_messages() == 0 {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "queue never full"
        );
        for _ in 0..25 {
            let session = publishing.machine_mut();
            session
                .send_video(timestamp, frame(32 << 10, timestamp % 1000 == 0))
                .unwrap();
            timestamp += 40;
        }
        publishing.flush().await.unwrap();
    }
    assert_eq!(relay.stats.players(), 1);
    publishing.machine_mut().stop().unwrap();
    publishing.flush().await.unwrap();
    wait_until(Duration::from_secs(5), || relay.stats.players() == 0).await;
    assert_eq!(relay.stats.queued_bytes(), 0);
    assert_eq!(relay.stats.stalled_players(), 0);
}

#[tokio::test]
async fn publishing_a_key_again_records_a_new_file() {
    let dir = TempDir::new("republish");
    let port = start(Some(dir.0.clone())).await;
    for round in 0..2u32 {
        let mut publishing = publisher(port, "cam").await;
        send_video(&mut publishing, &[(0, VIDEO_CONFIG), (40, KEYFRAME)]).await;
        if round == 1 {
            send_video(&mut publishing, &[(80, INTER_FRAME)]).await;
        }
        publishing.machine_mut().stop().unwrap();
        publishing.flush().await.unwrap();
        publishing.transport_mut().shutdown().await.unwrap();
        while let Some(Ok(_)) = publishing.next_event().await {}
    }
    // The relay finished each recording before closing its publisher.
    assert_eq!(read_tags(&dir.0.join("live_cam.flv")).len(), 2);
    assert_eq!(read_tags(&dir.0.join("live_cam-1.flv")).len(), 3);
}

#[tokio::test]
async fn shutdown_mid_publish_ends_the_recording_whole_with_its_duration() {
    let dir = TempDir::new("shutdown");
    let relay = start_with(RelayConfig {
        record: Some(dir.0.clone()),
        ..RelayConfig::default()
    })
    .await;
    let mut publishing = publisher(relay.port, "cam").await;
    let properties = Value::EcmaArray(vec![("width".into(), Value::Number(640.0))]);
    publishing
        .machine_mut()
        .send_metadata(0, properties)
        .unwrap();
    send_video(&mut publishing, &[(0, VIDEO_CONFIG), (40, KEYFRAME)]).await;
    let mut player = client(relay.port).await;
    player.machine_mut().play("cam");
    next!(&mut player, ClientEvent::PlayStarted { .. });
    let live = [(1040, KEYFRAME), (1080, INTER_FRAME), (2540, INTER_FRAME)];
    send_video(&mut publishing, &live).await;
    // Once the player has the last frame, the relay recorded it.
    for _ in 0..3 {
        next_video(&mut player).await;
    }

    relay.trigger.trigger();
    let served = tokio::time::timeout(Duration::from_secs(10), relay.task).await;
    assert!(matches!(served, Ok(Ok(Ok(())))), "{served:?}");
    // Both connections were closed by the relay.
    while let Some(Ok(_)) = publishing.next_event().await {}
    while let Some(Ok(_)) = player.next_event().await {}

    let path = dir.0.join("live_cam.flv");
    let tags = read_tags(&path);
    assert_eq!(tags.len(), 6, "{tags:?}");
    assert_eq!(tags.last(), Some(&(TagType::Video, 2540)));
    let file = std::fs::read(&path).unwrap();
    let mut reader = FlvReader::new(&file).unwrap();
    let metadata = reader.next_tag().unwrap().unwrap();
    let values = wirestate_rtmp::amf0::decode_all(metadata.data, &Default::default()).unwrap();
    assert_eq!(values[0], Value::String("onMetaData".into()));
    assert_eq!(values[1].get("duration"), Some(&Value::Number(2.54)));
    assert_eq!(values[1].get("width"), Some(&Value::Number(640.0)));
}

#[tokio::test]
async fn a_recording_that_cannot_start_refuses_the_publish_and_frees_the_key() {
    let dir = TempDir::new("unwritable");
    let port = start(Some(dir.0.clone())).await;
    // Once the relay serves, it has created the directory; it goes away.
    let mut probe = client(port).await;
    next!(&mut probe, ClientEvent::Connected { .. });
    std::fs::remove_dir_all(&dir.0).unwrap();
    let mut refused = client(port).await;
    refused.machine_mut().publish("cam", "live");
    let status = next!(&mut refused, ClientEvent::Status { status, .. } => status.clone());
    assert!(status.is_error(), "{status:?}");
    assert_eq!(status.code, "NetStream.Publish.Failed");
    // The key is free: once the directory is back, it records.
    std::fs::create_dir_all(&dir.0).unwrap();
    let mut publishing = publisher(port, "cam").await;
    send_video(&mut publishing, &[(0, VIDEO_CONFIG)]).await;
    publishing.machine_mut().stop().unwrap();
    publishing.flush().await.unwrap();
    publishing.transport_mut().shutdown().await.unwrap();
    while let Some(Ok(_)) = publishing.next_event().await {}
    assert_eq!(read_tags(&dir.0.join("live_cam.flv")).len(), 1);
}

/// The fixed cost per connection the module docs give.
#[tokio::test]
async fn a_connection_costs_what_the_docs_say() {
    use std::mem::size_of;
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let stream = TcpStream::connect(listener.local_addr().unwrap())
        .await
        .unwrap();
    let context = super::Context {
        hub: super::hub::Hub::default().into(),
        config: RelayConfig::default(),
        budget: wirestate_tokio::MemoryBudget::new(1),
    };
    let task = super::session::run(Box::new(stream), &context, Shutdown::never());
    let (task, conn) = (
        std::mem::size_of_val(&task),
        size_of::<super::session::Conn>(),
    );
    assert!(conn <= 2048, "connection {conn} B");
    assert!(task <= 3072, "task {task} B");
    assert!(size_of::<super::hub::PlayerFeed>() <= 256);
}

#[path = "edge_tests.rs"]
mod edge;
