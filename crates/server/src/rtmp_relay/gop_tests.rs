//! The GOP cache through the relay: a late player starts on a keyframe.

use bytes::Bytes;
use wirestate_rtmp::session::{ClientEvent, MediaEvent};

use super::tests::{
    client, next, next_matching, publisher, send_video, start_with, Client, INTER_FRAME, KEYFRAME,
    VIDEO_CONFIG,
};
use super::RelayConfig;

const AUDIO_CONFIG: &[u8] = b"\xaf\x00\x12\x10";
const AUDIO: &[u8] = b"\xaf\x01\x21\x00";

/// The kind and timestamp of the next media a player gets.
async fn next_media(conn: &mut Client) -> (&'static str, u32, Bytes) {
    next_matching!(conn, ClientEvent::Media(media) => match media {
        MediaEvent::Metadata { timestamp, .. } => ("meta", *timestamp, Bytes::new()),
        MediaEvent::Audio { timestamp, audio, .. } => ("audio", *timestamp, audio.payload.clone()),
        MediaEvent::Video { timestamp, video, .. } => ("video", *timestamp, video.payload.clone()),
    })
}

/// Waits until `player` got the media at `timestamp`: the relay handled
/// everything the publisher sent before it, so the cache holds it too.
async fn seen(player: &mut Client, timestamp: u32) {
    while next_media(player).await.1 != timestamp {}
}

/// A player that joins before anything is published.
async fn early(port: u16) -> Client {
    let mut player = client(port).await;
    player.machine_mut().play("cam");
    next_matching!(&mut player, ClientEvent::PlayStarted { .. } => ());
    player
}

async fn send_audio(conn: &mut Client, timestamp: u32, payload: &'static [u8]) {
    let payload = Bytes::from_static(payload);
    conn.machine_mut().send_audio(timestamp, payload).unwrap();
    conn.flush().await.unwrap();
}

#[tokio::test]
async fn a_late_player_gets_the_cached_group_from_its_keyframe_then_live_media() {
    let relay = start_with(RelayConfig::default()).await;
    let mut publishing = publisher(relay.port, "cam").await;
    let mut early = early(relay.port).await;
    send_video(&mut publishing, &[(0, VIDEO_CONFIG)]).await;
    send_audio(&mut publishing, 0, AUDIO_CONFIG).await;
    // An old group, then the current one with audio in between.
    send_video(&mut publishing, &[(0, KEYFRAME), (40, INTER_FRAME)]).await;
    send_audio(&mut publishing, 60, AUDIO).await;
    send_video(&mut publishing, &[(80, KEYFRAME)]).await;
    send_audio(&mut publishing, 100, AUDIO).await;
    send_video(&mut publishing, &[(120, INTER_FRAME)]).await;

    seen(&mut early, 120).await;
    let mut player = client(relay.port).await;
    player.machine_mut().play("cam");
    let mut got = Vec::new();
    for _ in 0..5 {
        let (kind, timestamp, payload) = next_media(&mut player).await;
        got.push((kind, timestamp, payload));
    }
    let expected: [(&str, u32, &[u8]); 5] = [
        ("video", 0, VIDEO_CONFIG),
        ("audio", 0, AUDIO_CONFIG),
        ("video", 80, KEYFRAME),
        ("audio", 100, AUDIO),
        ("video", 120, INTER_FRAME),
    ];
    for (got, expected) in got.iter().zip(expected) {
        assert_eq!((got.0, got.1, &got.2[..]), expected);
    }
    // Live media follows the group without waiting for a keyframe.
    send_video(&mut publishing, &[(160, INTER_FRAME)]).await;
    assert_eq!(next_media(&mut player).await.1, 160);
}

#[tokio::test]
async fn without_the_cache_a_late_player_waits_for_the_next_keyframe() {
    let config = RelayConfig {
        gop_cache: 0,
        ..RelayConfig::default()
    };
    let relay = start_with(config).await;
    let mut publishing = publisher(relay.port, "cam").await;
    let mut early = early(relay.port).await;
    send_video(&mut publishing, &[(0, VIDEO_CONFIG), (40, KEYFRAME)]).await;
    seen(&mut early, 40).await;
    let mut player = client(relay.port).await;
    player.machine_mut().play("cam");
    assert_eq!(next_media(&mut player).await.1, 0); // config
    send_video(&mut publishing, &[(80, INTER_FRAME), (120, KEYFRAME)]).await;
    assert_eq!(
        next_media(&mut player).await,
        ("video", 120, Bytes::from_static(KEYFRAME))
    );
}
