//! The relay in-process, with our client sessions as publisher and player.

use std::path::PathBuf;
use std::time::Duration;

use bytes::Bytes;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use wirestate_core::OsRandom;
use wirestate_rtmp::amf0::Value;
use wirestate_rtmp::flv::{FlvReader, TagType};
use wirestate_rtmp::session::{ClientConfig, ClientEvent, ClientSession, MediaEvent};
use wirestate_tokio::Connection;

type Client = Connection<ClientSession, TcpStream>;

const VIDEO_CONFIG: &[u8] = b"\x17\x00\x00\x00\x00\x01\x64";
const KEYFRAME: &[u8] = b"\x17\x01\x00\x00\x00\xaa";
const INTER_FRAME: &[u8] = b"\x27\x01\x00\x00\x00\xbb";

/// A relay on a free loopback port; returns the port.
async fn start(record: Option<PathBuf>) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let config = super::RelayConfig {
        record,
        ..Default::default()
    };
    tokio::spawn(super::serve(listener, config, crate::Shutdown::never()));
    port
}

async fn client(port: u16) -> Client {
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

/// The next event that `pick` accepts, skipping the others; panics when the
/// connection ends first.
async fn next<T>(conn: &mut Client, mut pick: impl FnMut(&ClientEvent) -> Option<T>) -> T {
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
async fn next_video(conn: &mut Client) -> Bytes {
    next!(conn, ClientEvent::Media(MediaEvent::Video { video, .. }) => video.payload.clone())
}

/// Publishes `frames` (timestamp, payload) and writes them.
async fn send_video(conn: &mut Client, frames: &[(u32, &'static [u8])]) {
    for &(timestamp, payload) in frames {
        let payload = Bytes::from_static(payload);
        conn.machine_mut().send_video(timestamp, payload).unwrap();
    }
    conn.flush().await.unwrap();
}

async fn publisher(port: u16, key: &str) -> Client {
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
