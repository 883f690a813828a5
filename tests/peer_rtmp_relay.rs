#![cfg(feature = "peer-tests")]
//! The RTMP relay's robustness against FFmpeg (installed by
//! scripts/peers/install-rtmp-peers.sh): a recording cut by a graceful
//! shutdown mid-stream reads back whole with its duration patched, and a
//! player that never reads while FFmpeg publishes stays within its byte
//! budget and is released.
//!
//! The relay runs in-process on 127.0.0.1:0; FFmpeg generates its media
//! (lavfi) and is stopped by PID when the test ends.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use wirestate::core::OsRandom;
use wirestate::rtmp::amf0::{decode_all, Amf0Limits, Value};
use wirestate::rtmp::flv::{FlvReader, TagType};
use wirestate::rtmp::session::{ClientConfig, ClientEvent, ClientSession};
use wirestate::BlockingConnection as Connection;
use wirestate_server::rtmp_relay::{self, RelayConfig, RelayStats};
use wirestate_server::{ServerLimits, Shutdown, ShutdownTrigger};

/// The relay on a runtime thread of its own, shut down gracefully (and
/// joined) when asked or dropped.
struct Relay {
    addr: SocketAddr,
    stats: RelayStats,
    trigger: ShutdownTrigger,
    thread: Option<std::thread::JoinHandle<std::io::Result<()>>>,
}

impl Relay {
    fn start(config: RelayConfig) -> Relay {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let stats = RelayStats::default();
        let counted = stats.clone();
        let (trigger, shutdown) = Shutdown::new();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener)?;
                rtmp_relay::serve_with_stats(listener, config, shutdown, counted).await
            })
        });
        Relay {
            addr,
            stats,
            trigger,
            thread: Some(thread),
        }
    }

    fn url(&self, key: &str) -> String {
        format!("rtmp://127.0.0.1:{}/live/{key}", self.addr.port())
    }

    /// Fires the shutdown signal and waits (at most `limit`) for `serve`
    /// to return.
    fn shutdown(&mut self, limit: Duration) -> std::io::Result<()> {
        self.trigger.trigger();
        let thread = self.thread.take().expect("running");
        wait_for(limit, "the relay to shut down", || thread.is_finished());
        thread.join().expect("the relay thread panicked")
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.trigger.trigger();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// A child process, stopped by PID when dropped.
struct Proc(Child);

impl Proc {
    fn spawn(program: &str, args: &[&str]) -> Proc {
        let child = Command::new(program)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {program}: {e}"));
        Proc(child)
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

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

/// Checks `condition` every 50 ms until it holds; panics after `limit`.
fn wait_for(limit: Duration, what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !condition() {
        assert!(Instant::now() < deadline, "waited {limit:?} for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// FFmpeg publishing `seconds` of generated media to `url`: `-re` H.264 +
/// AAC, or as fast as it encodes, high-bitrate Sorenson video.
fn ffmpeg_publish(url: &str, seconds: u32, flood: bool) -> Proc {
    let seconds = seconds.to_string();
    let mut args = vec!["-v", "error"];
    if flood {
        args.extend([
            "-f",
            "lavfi",
            "-i",
            "testsrc2=size=1280x720:rate=30",
            "-t",
            &seconds,
            "-c:v",
            "flv",
            "-q:v",
            "2",
            "-g",
            "30",
            "-an",
        ]);
    } else {
        args.extend([
            "-re",
            "-f",
            "lavfi",
            "-i",
            "testsrc=size=320x240:rate=25",
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=440:sample_rate=44100",
            "-t",
            &seconds,
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-bf",
            "0",
            "-g",
            "25",
            "-c:a",
            "aac",
        ]);
    }
    args.extend(["-f", "flv", url]);
    Proc::spawn("ffmpeg", &args)
}

/// Reads a whole FLV file: (tags by type, last timestamp, first tag body).
fn read_flv(path: &Path) -> (usize, usize, u32, Vec<u8>) {
    let file = std::fs::read(path).unwrap();
    let mut reader = FlvReader::new(&file).unwrap();
    let (mut video, mut audio, mut last) = (0, 0, 0);
    let mut first = None;
    while let Some(tag) = reader.next_tag().expect("whole tags to the end") {
        match tag.tag_type {
            TagType::Video => video += 1,
            TagType::Audio => audio += 1,
            TagType::Script => {}
        }
        last = last.max(tag.timestamp);
        first.get_or_insert_with(|| tag.data.to_vec());
    }
    (video, audio, last, first.unwrap_or_default())
}

#[test]
fn shutdown_while_ffmpeg_publishes_leaves_a_whole_recording_with_its_duration() {
    let dir = TempDir::new("shutdown");
    let mut relay = Relay::start(RelayConfig {
        record: Some(dir.0.clone()),
        limits: ServerLimits {
            drain_timeout: Duration::from_secs(2),
            ..ServerLimits::default()
        },
        ..RelayConfig::default()
    });
    let _ffmpeg = ffmpeg_publish(&relay.url("cam"), 30, false);
    let path = dir.0.join("live_cam.flv");
    // About three seconds of media recorded (the recording is buffered).
    wait_for(Duration::from_secs(20), "media to be recorded", || {
        std::fs::metadata(&path).is_ok_and(|m| m.len() > 96 << 10)
    });

    relay.shutdown(Duration::from_secs(10)).unwrap();

    let (video, audio, last, metadata) = read_flv(&path);
    assert!(
        video > 25 && audio > 25,
        "{video} video, {audio} audio tags"
    );
    let values = decode_all(&metadata, &Amf0Limits::default()).unwrap();
    assert_eq!(values[0], Value::String("onMetaData".into()));
    let duration = values[1].get("duration").and_then(Value::as_f64).unwrap();
    assert!(
        (duration - f64::from(last) / 1000.0).abs() < 0.001,
        "duration {duration} s, last tag at {last} ms"
    );
    if let Some(filesize) = values[1].get("filesize").and_then(Value::as_f64) {
        assert_eq!(filesize, std::fs::metadata(&path).unwrap().len() as f64);
    }
    // FFmpeg reads it to its end without complaint.
    let probe = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-show_entries",
            "format=duration",
            "-of",
            "csv=p=0",
        ])
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        probe.status.success() && probe.stderr.is_empty(),
        "{probe:?}"
    );
}

#[test]
fn a_player_that_never_reads_while_ffmpeg_publishes_is_bounded_and_released() {
    const BUDGET: usize = 1 << 20;
    let relay = Relay::start(RelayConfig {
        limits: ServerLimits {
            send_timeout: Some(Duration::from_secs(2)),
            ..ServerLimits::default()
        },
        player_budget: BUDGET,
        ..RelayConfig::default()
    });
    let socket = TcpStream::connect(relay.addr).unwrap();
    let url = format!("rtmp://127.0.0.1:{}/live", relay.addr.port());
    let session = ClientSession::new(ClientConfig::new("live", &url), OsRandom, Instant::now());
    let mut player = Connection::new(socket, session);
    player.machine_mut().play("flood");
    loop {
        match player.next_event() {
            Some(Ok(ClientEvent::PlayStarted { .. })) => break,
            Some(Ok(_)) => {}
            other => panic!("play failed: {other:?}"),
        }
    }
    // From now on the player reads nothing, while FFmpeg pushes about
    // 8 MB/s.
    let started = Instant::now();
    let _ffmpeg = ffmpeg_publish(&relay.url("flood"), 120, true);
    wait_for(Duration::from_secs(60), "the player's release", || {
        assert!(relay.stats.peak_player_queue() <= BUDGET);
        relay.stats.stalled_players() == 1
    });
    eprintln!(
        "never-reading player released after {:?}: peak queue {} bytes (budget {BUDGET}), {} messages ({} bytes) dropped",
        started.elapsed(),
        relay.stats.peak_player_queue(),
        relay.stats.dropped_messages(),
        relay.stats.dropped_bytes(),
    );
    assert!(relay.stats.dropped_messages() > 0);
    wait_for(Duration::from_secs(5), "the player's queue to go", || {
        relay.stats.players() == 0 && relay.stats.queued_bytes() == 0
    });
    // Its socket ends (after what the kernel buffered).
    let (mut socket, _) = player.into_inner();
    socket
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut buf = vec![0; 1 << 16];
    loop {
        use std::io::Read;
        match socket.read(&mut buf) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => break,
            Err(e) => panic!("the player's socket stayed open: {e}"),
        }
    }
}
