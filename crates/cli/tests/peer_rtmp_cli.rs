#![cfg(feature = "peer-tests")]
//! `wirestate publish` and `wirestate play` against real servers
//! (installed by scripts/peers/install-rtmp-peers.sh): nginx-rtmp (started
//! by tests/peers/nginx_rtmp.sh), `ffmpeg -listen 1` as the receiver of a
//! publication and as the source of a stream, and `wirestate serve rtmp`
//! (this binary). Each time the packets `ffprobe` counts in what came back
//! must equal those of the source file; one player of each relay writes to
//! stdout, straight into `ffprobe -`. An Enhanced RTMP HEVC file (made by
//! the FFmpeg >= 6.1 of imageio-ffmpeg) goes through both commands and
//! `wirestate serve rtmp`; not through nginx-rtmp, whose Debian build
//! (1.2) relays none of its video (all 132 audio tags and the metadata
//! arrive, no video tag: it does not know Enhanced RTMP video headers).
//!
//! Players attach before the publisher starts, so a relay sends them the
//! whole stream from its first tag: the counts are exact.
//!
//! Test media: 3 s of `testsrc` + `sine` from FFmpeg's lavfi, H.264 (or
//! HEVC) + AAC in FLV. Every process runs on 127.0.0.1 and is stopped by
//! PID when the test ends.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use support::rtmp_peers::{
    free_port, make_media, ok, packet_counts, s, Prober, Proc, Server, TempDir, BIN,
};

/// The FFmpeg >= 6.1 bundled with imageio-ffmpeg.
fn modern_ffmpeg() -> String {
    let out = Command::new("python3")
        .args([
            "-c",
            "import imageio_ffmpeg; print(imageio_ffmpeg.get_ffmpeg_exe())",
        ])
        .output()
        .unwrap();
    ok(&out, "imageio_ffmpeg");
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// `wirestate play URL --output -` piped into the prober reading `-`:
/// both running.
struct PipedProbe {
    player: Proc,
    probe: Proc,
    prober: Prober,
}

impl PipedProbe {
    fn start(url: &str, prober: &Prober, extra: &[&str]) -> PipedProbe {
        let mut args = vec!["play", url, "-o", "-"];
        args.extend(extra);
        let mut player = Proc::spawn_with(BIN, &args, Stdio::null(), Stdio::piped());
        let stdout = player.take_stdout();
        let (program, args) = prober.command("-");
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let probe = Proc::spawn_with(&program, &args, Stdio::from(stdout), Stdio::piped());
        player.wait_line("play started", Duration::from_secs(10));
        PipedProbe {
            player,
            probe,
            prober: prober.clone(),
        }
    }

    fn counts(self) -> (u64, u64) {
        ok(
            &self.player.finish(Duration::from_secs(30)),
            "play to stdout",
        );
        let probe = self.probe.finish(Duration::from_secs(30));
        ok(&probe, "probing stdin");
        self.prober.parse(&String::from_utf8_lossy(&probe.stdout))
    }
}

/// Publishes `source` to a relay with two of our players attached (one
/// to a file, one to stdout into ffprobe); both get every packet.
fn relay_round_trip(
    server: &Server,
    source: &Path,
    dir: &TempDir,
    prober: &Prober,
    extra: &[&str],
) -> PathBuf {
    let url = server.url("cli");
    let played = dir.path("played.flv");
    let mut args = vec!["play", &url, "-o", s(&played)];
    args.extend(extra);
    let mut to_file = Proc::wirestate(&args);
    to_file.wait_line("play started", Duration::from_secs(10));
    let piped = PipedProbe::start(&url, prober, extra);

    let mut args = vec!["publish", &url, s(source)];
    args.extend(extra);
    ok(
        &Proc::wirestate(&args).finish(Duration::from_secs(30)),
        "publish",
    );
    ok(&to_file.finish(Duration::from_secs(30)), "play");

    let expected = prober.counts(source);
    assert!(expected.0 >= 75 && expected.1 > 100, "{expected:?}");
    assert_eq!(prober.counts(&played), expected, "played to a file");
    assert_eq!(piped.counts(), expected, "played to ffprobe -");
    played
}

#[test]
fn nginx_rtmp_relays_what_we_publish_to_our_players() {
    let dir = TempDir::new("nginx");
    let source = make_media("ffmpeg", &dir, "libx264");
    let nginx = Server::nginx();
    relay_round_trip(&nginx, &source, &dir, &Prober::Ffprobe, &[]);
}

#[test]
fn wirestate_serve_rtmp_relays_what_we_publish_to_our_players() {
    let dir = TempDir::new("serve");
    let source = make_media("ffmpeg", &dir, "libx264");
    let relay = Server::wirestate(&[]);
    relay_round_trip(&relay, &source, &dir, &Prober::Ffprobe, &[]);
}

/// Runs `wirestate ARGS` until it does not fail with a refused
/// connection (`ffmpeg -listen` opens its port a moment after it starts).
fn until_listening(args: &[&str]) -> Output {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let output = Proc::wirestate(args).finish(Duration::from_secs(30));
        let refused = String::from_utf8_lossy(&output.stderr).contains("Connection refused");
        if !refused || Instant::now() > deadline {
            return output;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn ffmpeg_listen_receives_what_we_publish() {
    let dir = TempDir::new("ffmpeg-in");
    let source = make_media("ffmpeg", &dir, "libx264");
    let url = format!("rtmp://127.0.0.1:{}/live/in", free_port());
    let received = dir.path("received.flv");
    let server = Proc::spawn(
        "ffmpeg",
        &[
            "-v",
            "error",
            "-y",
            "-listen",
            "1",
            "-i",
            &url,
            "-c",
            "copy",
            "-f",
            "flv",
            s(&received),
        ],
    );
    ok(
        &until_listening(&["publish", &url, s(&source), "--fast"]),
        "publish",
    );
    ok(&server.finish(Duration::from_secs(30)), "ffmpeg -listen");
    assert_eq!(packet_counts(&received), packet_counts(&source));
}

#[test]
fn we_play_what_ffmpeg_listen_serves() {
    let dir = TempDir::new("ffmpeg-out");
    let source = make_media("ffmpeg", &dir, "libx264");
    let url = format!("rtmp://127.0.0.1:{}/live/out", free_port());
    let server = Proc::spawn(
        "ffmpeg",
        &[
            "-v",
            "error",
            "-re",
            "-i",
            s(&source),
            "-c",
            "copy",
            "-f",
            "flv",
            "-listen",
            "1",
            &url,
        ],
    );
    let played = dir.path("played.flv");
    ok(&until_listening(&["play", &url, "-o", s(&played)]), "play");
    ok(&server.finish(Duration::from_secs(30)), "ffmpeg -listen");
    // FFmpeg serves the whole file from the start: every packet arrives.
    assert_eq!(packet_counts(&played), packet_counts(&source));
}

/// What the given ffmpeg says the file's streams are (`Video: hevc ...`).
fn describe(ffmpeg: &str, file: &Path) -> String {
    let out = Command::new(ffmpeg)
        .args(["-hide_banner", "-i", s(file)])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn enhanced_rtmp_hevc_goes_through_publish_and_play() {
    let modern = modern_ffmpeg();
    let dir = TempDir::new("hevc");
    let source = make_media(&modern, &dir, "libx265");
    assert!(describe(&modern, &source).contains("Video: hevc"));
    let prober = Prober::Ffmpeg(modern.clone());
    let relay = Server::wirestate(&[]);
    let played = relay_round_trip(&relay, &source, &dir, &prober, &["--fourcc", "hvc1,avc1"]);
    let description = describe(&modern, &played);
    assert!(description.contains("Video: hevc"), "{description}");
    assert!(description.contains("Audio: aac"), "{description}");
}
