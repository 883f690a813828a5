#![cfg(feature = "peer-tests")]
//! The RTMP sessions and `wirestate serve rtmp` against real peers (installed
//! by scripts/peers/install-rtmp-peers.sh): FFmpeg publishes to and plays
//! from our relay, rtmpdump plays from it, our ClientSession publishes to and
//! plays from nginx-rtmp and plays from `ffmpeg -listen 1`, and an FFmpeg
//! >= 6.1 publishes HEVC over Enhanced RTMP.
//!
//! Test media: 5 s of `testsrc` + `sine` from FFmpeg's lavfi, H.264 + AAC in
//! an FLV file, generated once per test into a temporary directory.
//! Every peer runs on 127.0.0.1 and is stopped by PID when the test ends.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use bytes::Bytes;
use wirestate::core::OsRandom;
use wirestate::rtmp::amf0::{decode_all, Amf0Limits};
use wirestate::rtmp::flv::{FlvReader, TagType};
use wirestate::rtmp::session::{
    is_audio_config, is_video_config, ClientConfig, ClientEvent, ClientSession, MediaEvent,
};
use wirestate::BlockingConnection as Connection;
use wirestate_core::testing::peer::Peer;
use wirestate_server::rtmp_relay;

/// `serve rtmp` on a runtime thread of its own; stopped when dropped.
struct Relay {
    addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Relay {
    fn start(record: Option<PathBuf>) -> Relay {
        // Bound here, so the port is known before the relay runs.
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).unwrap();
                tokio::select! {
                    result = rtmp_relay::serve(
                        listener,
                        rtmp_relay::RelayConfig { record, ..Default::default() },
                        wirestate_server::Shutdown::never(),
                    ) => result.unwrap(),
                    _ = stopped => {}
                }
            });
        });
        Relay {
            addr,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    fn url(&self, key: &str) -> String {
        format!("rtmp://127.0.0.1:{}/live/{key}", self.addr.port())
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        let _ = self.stop.take().map(|stop| stop.send(()));
        let _ = self.thread.take().map(|thread| thread.join());
    }
}

/// A child process stopped by PID when dropped.
struct Proc(Option<Child>);

impl Proc {
    fn spawn(program: &str, args: &[&str]) -> Proc {
        let child = Command::new(program)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {program}: {e}"));
        Proc(Some(child))
    }

    /// Waits for the process to exit by itself, at most `limit`. Its output
    /// is read meanwhile, so a chatty process never blocks on a full pipe.
    fn finish(mut self, limit: Duration) -> Output {
        use std::io::Read;
        let deadline = Instant::now() + limit;
        let mut child = self.0.take().unwrap();
        let drain = |pipe: Option<Box<dyn Read + Send>>| {
            std::thread::spawn(move || {
                let mut bytes = Vec::new();
                if let Some(mut pipe) = pipe {
                    let _ = pipe.read_to_end(&mut bytes);
                }
                bytes
            })
        };
        let stdout = drain(
            child
                .stdout
                .take()
                .map(|p| Box::new(p) as Box<dyn Read + Send>),
        );
        let stderr = drain(
            child
                .stderr
                .take()
                .map(|p| Box::new(p) as Box<dyn Read + Send>),
        );
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                let stderr = stderr.join().unwrap();
                panic!(
                    "process did not finish in {limit:?}: {}",
                    String::from_utf8_lossy(&stderr)
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        Output {
            status,
            stdout: stdout.join().unwrap(),
            stderr: stderr.join().unwrap(),
        }
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        if let Some(mut child) = self.0.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn run(program: &str, args: &[&str]) -> Output {
    let output = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {program}: {e}"));
    assert!(
        output.status.success(),
        "{program} {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

fn ok(output: &Output, what: &str) {
    assert!(
        output.status.success(),
        "{what} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!(
            "wirestate-rtmp-{name}-{}-{}",
            std::process::id(),
            Instant::now().elapsed().as_nanos()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    fn path(&self, file: &str) -> PathBuf {
        self.0.join(file)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn s(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// 5 s of test video and a sine tone, H.264 (no B-frames, a keyframe a
/// second) + AAC, in FLV.
fn make_media(ffmpeg: &str, dir: &TempDir, video_codec: &str) -> PathBuf {
    let path = dir.path(&format!("source-{video_codec}.flv"));
    run(
        ffmpeg,
        &[
            "-v",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            "testsrc=size=320x240:rate=25",
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=440:sample_rate=44100",
            "-t",
            "5",
            "-c:v",
            video_codec,
            "-preset",
            "ultrafast",
            "-bf",
            "0",
            "-g",
            "25",
            "-c:a",
            "aac",
            "-b:a",
            "64k",
            "-f",
            "flv",
            s(&path),
        ],
    );
    path
}

/// `(codec_type, pts)` of every packet, per ffprobe.
fn packets(file: &Path) -> Vec<(String, i64)> {
    let out = run(
        "ffprobe",
        &[
            "-v",
            "error",
            "-show_entries",
            "packet=codec_type,pts",
            "-of",
            "csv=p=0",
            s(file),
        ],
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter(|l| !l.is_empty())
        .map(|line| {
            let (kind, pts) = line.split_once(',').unwrap();
            (kind.to_owned(), pts.parse().unwrap_or(-1))
        })
        .collect()
}

/// The codec names of the streams, per ffprobe (the given one).
fn codecs(ffprobe: &str, file: &Path) -> Vec<String> {
    let out = run(
        ffprobe,
        &[
            "-v",
            "error",
            "-show_entries",
            "stream=codec_name",
            "-of",
            "csv=p=0",
            s(file),
        ],
    );
    let mut codecs: Vec<String> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect();
    codecs.sort();
    codecs
}

fn of_kind(packets: &[(String, i64)], kind: &str) -> Vec<i64> {
    packets
        .iter()
        .filter(|p| p.0 == kind)
        .map(|p| p.1)
        .collect()
}

/// Each kind of `got` is a non-empty tail of the same kind in `source`.
fn assert_tail_of(source: &[(String, i64)], got: &[(String, i64)], what: &str) {
    for kind in ["video", "audio"] {
        let (src, got) = (of_kind(source, kind), of_kind(got, kind));
        assert!(
            got.len() >= src.len() / 2 && !got.is_empty(),
            "{what}: only {} of {} {kind} packets",
            got.len(),
            src.len()
        );
        assert_eq!(
            &src[src.len() - got.len()..],
            &got[..],
            "{what}: {kind} timestamps"
        );
    }
}

/// Like [`assert_tail_of`], for a server that rebases timestamps
/// (nginx-rtmp starts a player's clock at its own epoch): the tails match
/// after one shift, the same for video and audio, so they stay in sync.
fn assert_shifted_tail_of(source: &[(String, i64)], got: &[(String, i64)], what: &str) {
    let mut shifts = Vec::new();
    for kind in ["video", "audio"] {
        let (src, got) = (of_kind(source, kind), of_kind(got, kind));
        assert!(
            got.len() >= src.len() / 2 && !got.is_empty(),
            "{what}: only {} of {} {kind} packets",
            got.len(),
            src.len()
        );
        let tail = &src[src.len() - got.len()..];
        let shift = got[0] - tail[0];
        let unshifted: Vec<i64> = got.iter().map(|ts| ts - shift).collect();
        assert_eq!(tail, &unshifted[..], "{what}: {kind} timestamps");
        shifts.push(shift);
    }
    assert_eq!(
        shifts[0], shifts[1],
        "{what}: video and audio shifted apart"
    );
}

/// Publishes `file` to `url` in real time, stream copy.
fn publish(ffmpeg: &str, file: &Path, url: &str) -> Proc {
    Proc::spawn(
        ffmpeg,
        &[
            "-v",
            "error",
            "-re",
            "-i",
            s(file),
            "-c",
            "copy",
            "-f",
            "flv",
            url,
        ],
    )
}

/// Waits until `check` passes (a file written by another process gets
/// complete); panics with its last message after `limit`.
fn eventually(limit: Duration, mut check: impl FnMut() -> Result<(), String>) {
    let deadline = Instant::now() + limit;
    loop {
        match check() {
            Ok(()) => return,
            Err(e) if Instant::now() > deadline => panic!("{e}"),
            Err(_) => std::thread::sleep(Duration::from_millis(100)),
        }
    }
}

#[test]
fn ffmpeg_publishes_and_the_recording_matches_the_source() {
    let dir = TempDir::new("record");
    let source = make_media("ffmpeg", &dir, "libx264");
    let record = dir.path("rec");
    let relay = Relay::start(Some(record.clone()));
    let output = publish("ffmpeg", &source, &relay.url("cam1")).finish(Duration::from_secs(30));
    ok(&output, "ffmpeg publish");

    let recording = record.join("live_cam1.flv");
    let expected = packets(&source);
    assert!(of_kind(&expected, "video").len() >= 120);
    assert!(of_kind(&expected, "audio").len() >= 200);
    eventually(Duration::from_secs(10), || {
        let file = std::fs::read(&recording).map_err(|e| e.to_string())?;
        let mut reader = FlvReader::new(&file).map_err(|e| e.to_string())?;
        let mut tags = 0;
        while let Some(tag) = reader.next_tag().map_err(|e| e.to_string())? {
            let _ = tag.tag_type == TagType::Video;
            tags += 1;
        }
        if tags < expected.len() {
            return Err(format!(
                "{tags} tags recorded, {} packets sent",
                expected.len()
            ));
        }
        Ok(())
    });
    let got = packets(&recording);
    for kind in ["video", "audio"] {
        assert_eq!(
            of_kind(&got, kind),
            of_kind(&expected, kind),
            "{kind} packets"
        );
    }
    assert_eq!(codecs("ffprobe", &recording), ["aac", "h264"]);
}

#[test]
fn ffmpeg_and_rtmpdump_play_from_the_relay_while_ffmpeg_publishes() {
    let dir = TempDir::new("relay");
    let source = make_media("ffmpeg", &dir, "libx264");
    let relay = Relay::start(None);
    let url = relay.url("wirestate");
    let publisher = publish("ffmpeg", &source, &url);
    let from_ffmpeg = dir.path("ffmpeg.flv");
    let from_rtmpdump = dir.path("rtmpdump.flv");
    let ffmpeg_player = Proc::spawn(
        "ffmpeg",
        &[
            "-v",
            "error",
            "-y",
            "-i",
            &url,
            "-c",
            "copy",
            "-f",
            "flv",
            s(&from_ffmpeg),
        ],
    );
    let port = relay.addr.port().to_string();
    let rtmpdump = Proc::spawn(
        "bash",
        &["tests/peers/rtmpdump_play.sh", &port, s(&from_rtmpdump)],
    );
    ok(&publisher.finish(Duration::from_secs(30)), "ffmpeg publish");
    // The relay ends the players once the publisher is gone.
    let player = ffmpeg_player.finish(Duration::from_secs(20));
    ok(&player, "ffmpeg play");
    let stderr = String::from_utf8_lossy(&player.stderr);
    assert!(!stderr.contains("validating failed"), "{stderr}");
    rtmpdump.finish(Duration::from_secs(20));

    let expected = packets(&source);
    for (file, what) in [
        (&from_ffmpeg, "ffmpeg player"),
        (&from_rtmpdump, "rtmpdump"),
    ] {
        assert_eq!(codecs("ffprobe", file), ["aac", "h264"], "{what}");
        assert_tail_of(&expected, &packets(file), what);
    }
}

#[test]
fn ffmpeg_player_validates_our_digest_handshake() {
    // FFmpeg's player sends a digest C1 and checks the digest of our S2; a
    // bad one ends it with "Server response validating failed".
    let dir = TempDir::new("digest");
    let source = make_media("ffmpeg", &dir, "libx264");
    let relay = Relay::start(None);
    let url = relay.url("digest");
    let publisher = publish("ffmpeg", &source, &url);
    let player = Proc::spawn(
        "ffmpeg",
        &["-v", "debug", "-i", &url, "-t", "2", "-f", "null", "-"],
    );
    let output = player.finish(Duration::from_secs(30));
    ok(&output, "ffmpeg play");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("validating failed"), "{stderr}");
    // A non-zero server version is what makes FFmpeg check the digests.
    assert!(stderr.contains("Server version 13.14.10.13"), "{stderr}");
    assert!(stderr.contains("h264"), "{stderr}");
    drop(publisher);
}

/// The FFmpeg >= 6.1 bundled with imageio-ffmpeg.
fn modern_ffmpeg() -> String {
    let out = run(
        "python3",
        &[
            "-c",
            "import imageio_ffmpeg; print(imageio_ffmpeg.get_ffmpeg_exe())",
        ],
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Our client, on the blocking driver, connected to `port`'s `live` app.
fn our_client(port: u16) -> Connection<ClientSession, TcpStream> {
    let deadline = Instant::now() + Duration::from_secs(10);
    // `ffmpeg -listen` opens its port a moment after it starts.
    let socket = loop {
        match TcpStream::connect(("127.0.0.1", port)) {
            Ok(socket) => break socket,
            Err(e) if Instant::now() > deadline => panic!("cannot connect to {port}: {e}"),
            Err(_) => std::thread::sleep(Duration::from_millis(50)),
        }
    };
    let mut config = ClientConfig::new("live", &format!("rtmp://127.0.0.1:{port}/live"));
    config.idle_timeout = Some(Duration::from_secs(15));
    let session = ClientSession::new(config, OsRandom, Instant::now());
    Connection::new(socket, session)
}

/// The tags of an FLV file: (type, timestamp, body).
fn flv_tags(file: &Path) -> Vec<(TagType, u32, Bytes)> {
    try_flv_tags(file).unwrap()
}

/// The tags of an FLV file that may still be being written.
fn try_flv_tags(file: &Path) -> Result<Vec<(TagType, u32, Bytes)>, String> {
    let bytes = std::fs::read(file).map_err(|e| e.to_string())?;
    let mut reader = FlvReader::new(&bytes).map_err(|e| e.to_string())?;
    let mut tags = Vec::new();
    while let Some(tag) = reader.next_tag().map_err(|e| e.to_string())? {
        tags.push((
            tag.tag_type,
            tag.timestamp,
            Bytes::copy_from_slice(tag.data),
        ));
    }
    Ok(tags)
}

/// Publishes `file` with our ClientSession as `key`, in real time.
fn our_publish(port: u16, key: &str, file: &Path) {
    let mut conn = our_client(port);
    conn.machine_mut().publish(key, "live");
    loop {
        match conn.next_event() {
            Some(Ok(ClientEvent::PublishStarted { .. })) => break,
            Some(Ok(ClientEvent::Status { status, .. })) if status.is_error() => {
                panic!("publish refused: {status:?}")
            }
            Some(Ok(_)) => {}
            other => panic!("connection ended before publishing: {other:?}"),
        }
    }
    let start = Instant::now();
    for (tag_type, timestamp, data) in flv_tags(file) {
        let due = start + Duration::from_millis(u64::from(timestamp));
        // Pacing, as a live encoder would; not synchronisation.
        std::thread::sleep(due.saturating_duration_since(Instant::now()));
        let session = conn.machine_mut();
        match tag_type {
            TagType::Video => session.send_video(timestamp, data).unwrap(),
            TagType::Audio => session.send_audio(timestamp, data).unwrap(),
            TagType::Script => {
                let values = decode_all(&data, &Amf0Limits::default()).unwrap();
                session.send_metadata(timestamp, values[1].clone()).unwrap();
            }
        }
        conn.flush().unwrap();
    }
    conn.machine_mut().stop().unwrap();
    conn.flush().unwrap();
}

/// Plays `key` with our ClientSession until the stream or the connection
/// ends; returns the media: (kind, timestamp, is a codec configuration).
fn our_play(mut conn: Connection<ClientSession, TcpStream>, key: &str) -> Vec<(String, i64, bool)> {
    conn.machine_mut().play(key);
    let mut media = Vec::new();
    let mut started = false;
    while let Some(event) = conn.next_event() {
        match event {
            Ok(ClientEvent::PlayStarted { .. }) => started = true,
            // FFmpeg ends H.264 with an empty end-of-sequence message, which
            // is no packet to ffprobe.
            Ok(ClientEvent::Media(MediaEvent::Video { video, .. })) if video.data().is_empty() => {}
            Ok(ClientEvent::Media(MediaEvent::Video {
                timestamp, video, ..
            })) => media.push((
                "video".to_owned(),
                i64::from(timestamp),
                is_video_config(&video),
            )),
            Ok(ClientEvent::Media(MediaEvent::Audio {
                timestamp, audio, ..
            })) => media.push((
                "audio".to_owned(),
                i64::from(timestamp),
                is_audio_config(&audio),
            )),
            Ok(ClientEvent::Status { status, .. })
                if status.code == "NetStream.Play.UnpublishNotify"
                    || status.code == "NetStream.Play.Stop" =>
            {
                break
            }
            Ok(ClientEvent::StreamEof { .. }) => break,
            Ok(_) => {}
            Err(e) => panic!("play failed: {e}"),
        }
    }
    assert!(started, "no NetStream.Play.Start");
    media
}

/// The configuration records come first, then packets.
fn packets_after_config(media: &[(String, i64, bool)], what: &str) -> Vec<(String, i64)> {
    for kind in ["video", "audio"] {
        let first = media.iter().find(|m| m.0 == kind);
        assert!(
            matches!(first, Some((_, _, true))),
            "{what}: the first {kind} message is not its sequence header: {first:?}"
        );
    }
    media
        .iter()
        .filter(|m| !m.2)
        .map(|m| (m.0.clone(), m.1))
        .collect()
}

#[test]
fn our_client_publishes_to_nginx_rtmp_and_ffmpeg_plays_it_back() {
    let dir = TempDir::new("nginx-publish");
    let source = make_media("ffmpeg", &dir, "libx264");
    let port = free_port();
    let nginx = Peer::start("bash", &["tests/peers/nginx_rtmp.sh", &port.to_string()]);
    let played = dir.path("played.flv");
    let url = format!("rtmp://127.0.0.1:{port}/live/ours");
    let player = Proc::spawn(
        "ffmpeg",
        &[
            "-v",
            "error",
            "-y",
            "-i",
            &url,
            "-c",
            "copy",
            "-f",
            "flv",
            s(&played),
        ],
    );
    our_publish(nginx.addr.port(), "ours", &source);
    ok(
        &player.finish(Duration::from_secs(20)),
        "ffmpeg play from nginx",
    );
    assert_eq!(codecs("ffprobe", &played), ["aac", "h264"]);
    assert_shifted_tail_of(&packets(&source), &packets(&played), "ffmpeg via nginx");
}

#[test]
fn our_client_plays_from_nginx_rtmp() {
    let dir = TempDir::new("nginx-play");
    let source = make_media("ffmpeg", &dir, "libx264");
    let port = free_port();
    let nginx = Peer::start("bash", &["tests/peers/nginx_rtmp.sh", &port.to_string()]);
    let publisher = publish(
        "ffmpeg",
        &source,
        &format!("rtmp://127.0.0.1:{}/live/theirs", nginx.addr.port()),
    );
    let media = our_play(our_client(nginx.addr.port()), "theirs");
    ok(
        &publisher.finish(Duration::from_secs(30)),
        "ffmpeg publish to nginx",
    );
    let got = packets_after_config(&media, "nginx");
    assert_shifted_tail_of(&packets(&source), &got, "our player via nginx");
}

#[test]
fn our_client_plays_from_ffmpeg_listen() {
    let dir = TempDir::new("ffmpeg-listen");
    let source = make_media("ffmpeg", &dir, "libx264");
    let port = free_port();
    let url = format!("rtmp://127.0.0.1:{port}/live/x");
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
    let media = our_play(our_client(port), "x");
    server.finish(Duration::from_secs(20));
    let got = packets_after_config(&media, "ffmpeg -listen");
    // FFmpeg serves the whole file from the start: every packet arrives.
    let expected = packets(&source);
    for kind in ["video", "audio"] {
        assert_eq!(of_kind(&got, kind), of_kind(&expected, kind), "{kind}");
    }
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
fn enhanced_rtmp_hevc_is_recorded_and_relayed() {
    let modern = modern_ffmpeg();
    let dir = TempDir::new("hevc");
    let source = make_media(&modern, &dir, "libx265");
    assert!(describe(&modern, &source).contains("Video: hevc"));
    let record = dir.path("rec");
    let relay = Relay::start(Some(record.clone()));
    let url = relay.url("hevc");
    let publisher = publish(&modern, &source, &url);
    let played = dir.path("played.flv");
    let player = Proc::spawn(
        &modern,
        &[
            "-v",
            "error",
            "-y",
            "-i",
            &url,
            "-c",
            "copy",
            "-f",
            "flv",
            s(&played),
        ],
    );
    ok(
        &publisher.finish(Duration::from_secs(30)),
        "ffmpeg 6.1+ publish",
    );
    ok(&player.finish(Duration::from_secs(20)), "ffmpeg 6.1+ play");

    let description = describe(&modern, &played);
    assert!(description.contains("Video: hevc"), "{description}");
    assert!(description.contains("Audio: aac"), "{description}");

    // The recording holds every tag of the source, same bodies and times.
    let recording = record.join("live_hevc.flv");
    let media = |tags: Vec<(TagType, u32, Bytes)>| -> Vec<(TagType, u32, Bytes)> {
        tags.into_iter()
            .filter(|t| t.0 != TagType::Script)
            .collect()
    };
    let mut recorded = Vec::new();
    eventually(Duration::from_secs(10), || {
        recorded = media(try_flv_tags(&recording)?);
        let expected = media(flv_tags(&source)).len();
        if recorded.len() < expected {
            return Err(format!("{} of {expected} tags recorded", recorded.len()));
        }
        Ok(())
    });
    assert_eq!(recorded, media(flv_tags(&source)));
    assert!(describe(&modern, &recording).contains("Video: hevc"));
}
