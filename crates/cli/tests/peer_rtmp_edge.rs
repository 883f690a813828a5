#![cfg(feature = "peer-tests")]
//! Origin/edge relaying between real servers: `wirestate serve rtmp
//! --push` and `--pull` (this binary) with another `wirestate serve rtmp`
//! as the origin, and with nginx-rtmp (tests/peers/nginx_rtmp.sh,
//! installed by scripts/peers/install-rtmp-peers.sh) as the origin an edge
//! pulls from and as the target a source pushes to.
//!
//! Each test chains `wirestate publish` (or FFmpeg) -> source (`--push`) -> origin ->
//! edge (`--pull`) -> `wirestate play` into a file, and `ffprobe` must
//! count as many video and audio packets in that file as in the source
//! file. The player attaches first (the edge answers it once its pull is
//! playing at the origin), so every relay passes the whole stream on from
//! its first tag.
//!
//! Test media: 3 s of `testsrc` + `sine` from FFmpeg's lavfi, H.264 + AAC
//! in FLV. Every process runs on 127.0.0.1 and is stopped by PID when the
//! test ends.

mod support;

use std::time::Duration;

use support::rtmp_peers::{make_media, packet_counts, s, Proc, Server, TempDir, BIN};

/// Who publishes the test media at the source.
#[derive(Debug, Clone, Copy)]
enum Publisher {
    /// `wirestate publish`.
    Wirestate,
    /// `ffmpeg -re -i FILE -c copy -f flv URL`.
    Ffmpeg,
}

/// Plays `key` at the edge into a file, publishes the test media at the
/// source, and checks the played file has every packet.
fn through(source: &Server, edge: &Server, key: &str, publisher: Publisher, dir: &TempDir) {
    let media = make_media("ffmpeg", dir, "libx264");
    let played = dir.path("played.flv");
    let url = edge.url(key);
    let mut player = Proc::spawn(BIN, &["play", &url, "-o", s(&played)]);
    // Answered once the edge's pull plays at the origin.
    player.wait_line("play started", Duration::from_secs(15));
    let url = source.url(key);
    let publishing = match publisher {
        Publisher::Wirestate => Proc::spawn(BIN, &["publish", &url, s(&media)]),
        Publisher::Ffmpeg => Proc::spawn(
            "ffmpeg",
            &[
                "-v",
                "error",
                "-re",
                "-i",
                s(&media),
                "-c",
                "copy",
                "-f",
                "flv",
                &url,
            ],
        ),
    };
    publishing.succeeds(Duration::from_secs(30));
    // The end travels source -> origin -> edge -> player.
    player.succeeds(Duration::from_secs(30));
    let expected = packet_counts(&media);
    assert!(expected.0 >= 75 && expected.1 > 100, "{expected:?}");
    assert_eq!(packet_counts(&played), expected);
}

#[test]
fn two_wirestate_relays_push_to_and_pull_from_a_wirestate_origin() {
    let dir = TempDir::new("wirestate");
    let origin = Server::wirestate(&[]);
    let edge = Server::wirestate(&["--pull", &origin.app()]);
    let source = Server::wirestate(&["--push", &origin.app()]);
    through(&source, &edge, "chain", Publisher::Wirestate, &dir);
}

#[test]
fn nginx_rtmp_is_the_target_of_a_push_and_the_origin_of_a_pull() {
    let dir = TempDir::new("nginx");
    let nginx = Server::nginx();
    let edge = Server::wirestate(&["--pull", &nginx.app()]);
    let source = Server::wirestate(&["--push", &nginx.app()]);
    through(&source, &edge, "chain", Publisher::Wirestate, &dir);
}

#[test]
fn what_ffmpeg_publishes_goes_through_nginx_rtmp_whole() {
    let dir = TempDir::new("ffmpeg");
    let nginx = Server::nginx();
    let edge = Server::wirestate(&["--pull", &nginx.app()]);
    let source = Server::wirestate(&["--push", &nginx.app()]);
    through(&source, &edge, "ffmpeg", Publisher::Ffmpeg, &dir);
}
