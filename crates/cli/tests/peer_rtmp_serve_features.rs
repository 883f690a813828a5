#![cfg(feature = "peer-tests")]
//! `wirestate serve rtmp` features with real peers (installed by
//! scripts/peers/): FFmpeg and rtmpdump refused without a token and served
//! with it, a late ffprobe player whose first packet is a video keyframe
//! (the GOP cache), and the status port's `/streams` and `/metrics` while
//! they play.
//!
//! Test media: 6 s of `testsrc` + `sine` from FFmpeg's lavfi, H.264 with a
//! keyframe every 2 s + AAC in FLV, published in real time (`-re`). Every
//! process runs on 127.0.0.1 and is stopped by PID when the test ends.

mod support;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use support::rtmp_peers::Proc;
use support::{Server, BOUND};

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// 6 s of H.264 (a keyframe every 2 s, no B-frames) and AAC in FLV.
fn make_media(dir: &Path) -> PathBuf {
    let path = dir.join("source.flv");
    let output = Command::new("ffmpeg")
        .args(["-v", "error", "-y", "-f", "lavfi", "-i"])
        .args(["testsrc=size=320x240:rate=25", "-f", "lavfi", "-i"])
        .args(["sine=frequency=440:sample_rate=44100", "-t", "6"])
        .args(["-c:v", "libx264", "-preset", "ultrafast", "-bf", "0"])
        .args(["-g", "50", "-keyint_min", "50", "-sc_threshold", "0"])
        .args(["-c:a", "aac", "-b:a", "64k", "-f", "flv"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", text(&output.stderr));
    path
}

/// Packets per stream type of `input`, as ffprobe counts them
/// (`video,150` ...), sorted.
fn packet_counts(input: &str) -> Vec<String> {
    let output = Command::new("ffprobe")
        .args(["-v", "error", "-count_packets", "-show_entries"])
        .args(["stream=codec_type,nb_read_packets", "-of", "csv=p=0", input])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", text(&output.stderr));
    let mut lines: Vec<String> = text(&output.stdout).lines().map(str::to_owned).collect();
    lines.sort();
    lines
}

/// A fresh directory under the system's temporary one, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!(
            "wirestate-serve-features-{name}-{}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The body of `GET path` from `addr`.
fn http_get(addr: SocketAddr, path: &str) -> String {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(BOUND)).unwrap();
    write!(stream, "GET {path} HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200 OK\r\n"), "{answer}");
    answer.split_once("\r\n\r\n").unwrap().1.to_owned()
}

/// Polls `/streams` until `condition` holds for its body; returns it.
fn wait_streams(http: SocketAddr, condition: impl Fn(&str) -> bool) -> String {
    let deadline = Instant::now() + BOUND;
    loop {
        let body = http_get(http, "/streams");
        if condition(&body) {
            return body;
        }
        assert!(Instant::now() < deadline, "no such /streams: {body}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The number after `"name":` in a JSON object.
fn json_number(body: &str, name: &str) -> u64 {
    let at = body.find(&format!("\"{name}\":")).expect(name) + name.len() + 3;
    let digits: String = body[at..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().unwrap()
}

/// `wirestate serve rtmp` with tokens and a status port: the server and
/// the status port's address.
fn start_server() -> (Server, SocketAddr) {
    let mut server = Server::start(&[
        "serve",
        "rtmp",
        "--listen",
        "127.0.0.1:0",
        "--http",
        "127.0.0.1:0",
        "--app",
        "live",
        "--publish-token",
        "pub-secret",
        "--play-token",
        "play-secret",
    ]);
    let line = server.next_stdout(BOUND).expect("HTTP LISTENING");
    let http = line
        .strip_prefix("HTTP LISTENING ")
        .unwrap_or_else(|| panic!("{line:?}"))
        .parse()
        .unwrap();
    (server, http)
}

fn publish(source: &Path, url: &str) -> Proc {
    let source = source.to_str().unwrap();
    Proc::spawn(
        "ffmpeg",
        &[
            "-v", "error", "-re", "-i", source, "-c", "copy", "-f", "flv", url,
        ],
    )
}

#[test]
fn publishers_and_players_without_the_token_are_refused() {
    let dir = TempDir::new("refused");
    let source = make_media(&dir.0);
    let (mut server, _http) = start_server();
    let base = format!("rtmp://{}/live", server.addr);
    for url in [format!("{base}/cam"), format!("{base}/cam?token=wrong")] {
        let refused = publish(&source, &url).finish(BOUND);
        assert!(!refused.status.success(), "{url}: published");
        server
            .wait_log(&["publish refused", "no valid token"], BOUND)
            .expect("the relay logs the refusal");
    }
    let other_app = publish(
        &source,
        &format!("rtmp://{}/vod/cam?token=pub-secret", server.addr),
    );
    assert!(!other_app.finish(BOUND).status.success());
    server
        .wait_log(&["connect refused", "application not served"], BOUND)
        .expect("the relay logs the refusal");

    let out = dir.0.join("refused.flv");
    let rtmpdump = Proc::spawn(
        "rtmpdump",
        &[
            "-q",
            "-r",
            &base,
            "-y",
            "cam",
            "-v",
            "-o",
            out.to_str().unwrap(),
        ],
    )
    .finish(BOUND);
    assert!(!rtmpdump.status.success(), "{}", text(&rtmpdump.stderr));
    server
        .wait_log(&["play refused", "no valid token"], BOUND)
        .expect("the relay logs the refusal");
}

#[test]
fn with_tokens_a_late_player_starts_on_a_keyframe_and_the_stats_show_the_stream() {
    let dir = TempDir::new("late");
    let source = make_media(&dir.0);
    let (server, http) = start_server();
    let base = format!("rtmp://{}/live", server.addr);

    // rtmpdump plays before the publisher starts: it gets the whole stream.
    let early_file = dir.0.join("early.flv");
    let early = Proc::spawn(
        "rtmpdump",
        &[
            "-q",
            "-r",
            &base,
            "-y",
            "cam?token=play-secret",
            "-v",
            "-o",
            early_file.to_str().unwrap(),
        ],
    );
    wait_streams(http, |body| body.contains("\"players\":1"));
    let publisher = publish(&source, &format!("{base}/cam?token=pub-secret"));

    // Mid-GOP: past 3 s of a stream with keyframes at 0, 2 and 4 s.
    let size = std::fs::metadata(&source).unwrap().len();
    wait_streams(http, |body| {
        body.contains("\"publishing\":true") && json_number(body, "bytes_in") > size / 2
    });
    let late = Proc::spawn(
        "ffprobe",
        &[
            "-v",
            "error",
            "-show_entries",
            "packet=codec_type,flags",
            "-of",
            "csv=p=0",
            &format!("{base}/cam?token=play-secret"),
        ],
    );
    let body = wait_streams(http, |body| body.contains("\"players\":2"));
    let expected = "[{\"app\":\"live\",\"key\":\"cam\",\"publishing\":true,\
                    \"video_codec\":\"H264\",\"audio_codec\":\"AAC\",\"bitrate\":";
    assert!(body.starts_with(expected), "{body}");
    let metrics = http_get(http, "/metrics");
    for line in [
        "rtmp_publishers 1",
        "rtmp_players 2",
        "rtmp_stream_players{app=\"live\",key=\"cam\"} 2",
        "rtmp_stream_publishers{app=\"live\",key=\"cam\"} 1",
        "rtmp_stream_dropped_messages_total{app=\"live\",key=\"cam\"} 0",
    ] {
        assert!(metrics.lines().any(|l| l == line), "{line} in {metrics}");
    }

    let published = publisher.finish(BOUND);
    assert!(published.status.success(), "{}", text(&published.stderr));
    let late = late.finish(BOUND);
    let packets = text(&late.stdout);
    // The first packet overall is video, flagged K (flags are `K_` or
    // `K__` depending on the FFmpeg version).
    let first = packets.lines().next().unwrap_or_default();
    assert!(
        first.starts_with("video,K"),
        "{packets}\n{}",
        text(&late.stderr)
    );
    assert!(packets.lines().filter(|l| l.starts_with("video")).count() < 150);

    // The early player got every packet of the source.
    early.finish(BOUND);
    assert_eq!(
        packet_counts(early_file.to_str().unwrap()),
        packet_counts(source.to_str().unwrap())
    );
    wait_streams(http, |body| body == "[]\n");
}
