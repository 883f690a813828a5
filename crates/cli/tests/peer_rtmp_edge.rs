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

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_wirestate");

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A fresh directory under the system's temporary one, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let dir =
            std::env::temp_dir().join(format!("wirestate-edge-peer-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    fn path(&self, name: &str) -> String {
        self.0.join(name).to_str().unwrap().to_owned()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A child process whose stderr is collected by line; killed by PID when
/// dropped unfinished.
struct Proc {
    child: Child,
    name: String,
    lines: Receiver<String>,
    seen: Vec<String>,
    done: bool,
}

impl Proc {
    fn spawn(program: &str, args: &[&str]) -> Proc {
        let mut child = Command::new(program)
            .args(args)
            .current_dir(root())
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {program}: {e}"));
        let (tx, lines) = channel();
        let stderr = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let name = format!("{program} {}", args.join(" "));
        Proc {
            child,
            name,
            lines,
            seen: Vec::new(),
            done: false,
        }
    }

    /// Waits for a stderr line containing `text`.
    fn wait_line(&mut self, text: &str, limit: Duration) {
        let deadline = Instant::now() + limit;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    let found = line.contains(text);
                    self.seen.push(line);
                    if found {
                        return;
                    }
                }
                Err(_) => panic!("{}: no {text:?} in {:#?}", self.name, self.seen),
            }
        }
    }

    /// Waits for the process to exit by itself (at most `limit`) and
    /// checks that it succeeded.
    fn succeeds(mut self, limit: Duration) {
        let deadline = Instant::now() + limit;
        let status: ExitStatus = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            assert!(
                Instant::now() < deadline,
                "{} did not finish in {limit:?}",
                self.name
            );
            // Polling the exit: there is no portable wait with a bound.
            std::thread::sleep(Duration::from_millis(20));
        };
        self.done = true;
        while let Ok(line) = self.lines.recv_timeout(Duration::from_secs(5)) {
            self.seen.push(line);
        }
        assert!(status.success(), "{}: {:#?}", self.name, self.seen);
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        if !self.done {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// A server that prints `LISTENING [<ip>:]<port>` on stdout once it
/// accepts connections.
struct Server {
    _proc: Proc,
    port: u16,
}

impl Server {
    fn start(program: &str, args: &[&str]) -> Server {
        let mut proc = Proc::spawn(program, args);
        let mut stdout = BufReader::new(proc.child.stdout.take().unwrap());
        let port = loop {
            let mut line = String::new();
            assert!(
                stdout.read_line(&mut line).unwrap() > 0,
                "{program} ended before LISTENING"
            );
            if let Some(at) = line.trim().strip_prefix("LISTENING ") {
                break at.rsplit(':').next().unwrap().parse().unwrap();
            }
        };
        std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
        Server { _proc: proc, port }
    }

    fn nginx() -> Server {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        Server::start("bash", &["tests/peers/nginx_rtmp.sh", &port.to_string()])
    }

    /// `wirestate serve rtmp` with `extra` flags.
    fn wirestate(extra: &[&str]) -> Server {
        let mut args = vec!["serve", "rtmp", "--listen", "127.0.0.1:0"];
        args.extend(extra);
        Server::start(BIN, &args)
    }

    /// `rtmp://127.0.0.1:PORT/live`.
    fn app(&self) -> String {
        format!("rtmp://127.0.0.1:{}/live", self.port)
    }
}

/// 3 s of test video (a keyframe a second, no B-frames) and a sine tone,
/// H.264 + AAC in FLV.
fn make_media(dir: &TempDir) -> String {
    let path = dir.path("source.flv");
    let output = Command::new("ffmpeg")
        .args(["-v", "error", "-y", "-f", "lavfi", "-i"])
        .arg("testsrc=size=320x240:rate=25")
        .args(["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100"])
        .args(["-t", "3", "-c:v", "libx264", "-preset", "ultrafast"])
        .args(["-bf", "0", "-g", "25", "-c:a", "aac", "-b:a", "64k"])
        .args(["-f", "flv", &path])
        .output()
        .unwrap();
    assert!(output.status.success(), "ffmpeg: {output:?}");
    path
}

/// `(video, audio)` packets `ffprobe` reads in `file`.
fn packet_counts(file: &str) -> (u64, u64) {
    let output = Command::new("ffprobe")
        .args(["-v", "error", "-count_packets", "-show_entries"])
        .args(["stream=codec_type,nb_read_packets", "-of", "csv=p=0", file])
        .output()
        .unwrap();
    assert!(output.status.success(), "ffprobe: {output:?}");
    let mut counts = (0, 0);
    for line in String::from_utf8_lossy(&output.stdout).lines() {
        match line.trim().split_once(',') {
            Some(("video", n)) => counts.0 += n.parse::<u64>().unwrap(),
            Some(("audio", n)) => counts.1 += n.parse::<u64>().unwrap(),
            _ => {}
        }
    }
    counts
}

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
    let media = make_media(dir);
    let played = dir.path("played.flv");
    let url = format!("{}/{key}", edge.app());
    let mut player = Proc::spawn(BIN, &["play", &url, "-o", &played]);
    // Answered once the edge's pull plays at the origin.
    player.wait_line("play started", Duration::from_secs(15));
    let url = format!("{}/{key}", source.app());
    let publishing = match publisher {
        Publisher::Wirestate => Proc::spawn(BIN, &["publish", &url, &media]),
        Publisher::Ffmpeg => Proc::spawn(
            "ffmpeg",
            &[
                "-v", "error", "-re", "-i", &media, "-c", "copy", "-f", "flv", &url,
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
