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

use std::io::{BufRead, BufReader, Read};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Output, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_wirestate");

/// The workspace root, where tests/peers/ is.
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A fresh directory under the system's temporary one, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let dir =
            std::env::temp_dir().join(format!("wirestate-cli-peer-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
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

/// A child process, killed by PID when dropped unfinished; its stderr is
/// collected line by line.
struct Proc {
    child: Option<Child>,
    name: String,
    lines: Receiver<String>,
    seen: Vec<String>,
}

impl Proc {
    fn spawn(program: &str, args: &[&str]) -> Proc {
        Proc::spawn_with(program, args, Stdio::null(), Stdio::piped())
    }

    fn spawn_with(program: &str, args: &[&str], stdin: Stdio, stdout: Stdio) -> Proc {
        let mut child = Command::new(program)
            .args(args)
            .current_dir(root())
            .env("NO_COLOR", "1")
            .stdin(stdin)
            .stdout(stdout)
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {program}: {e}"));
        let (tx, lines) = channel();
        let stderr = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Proc {
            child: Some(child),
            name: format!("{program} {}", args.first().unwrap_or(&"")),
            lines,
            seen: Vec::new(),
        }
    }

    /// `wirestate ARGS`.
    fn wirestate(args: &[&str]) -> Proc {
        Proc::spawn(BIN, args)
    }

    fn take_stdout(&mut self) -> ChildStdout {
        self.child.as_mut().unwrap().stdout.take().unwrap()
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

    /// Waits for the process to exit by itself, at most `limit`.
    fn finish(mut self, limit: Duration) -> Output {
        let mut child = self.child.take().unwrap();
        let stdout = child.stdout.take().map(|mut pipe| {
            std::thread::spawn(move || {
                let mut bytes = Vec::new();
                let _ = pipe.read_to_end(&mut bytes);
                bytes
            })
        });
        let deadline = Instant::now() + limit;
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!("{} did not finish in {limit:?}", self.name);
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        // The stderr thread ends with the pipe.
        while let Ok(line) = self.lines.recv_timeout(Duration::from_secs(5)) {
            self.seen.push(line);
        }
        let stdout = stdout.map(|t| t.join().unwrap()).unwrap_or_default();
        Output {
            status,
            stdout,
            stderr: self.seen.join("\n").into_bytes(),
        }
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn ok(output: &Output, what: &str) {
    assert!(
        output.status.success(),
        "{what}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A server that prints `LISTENING <port>` or `LISTENING <ip>:<port>` on
/// stdout once it accepts connections; killed by PID when dropped.
struct Server {
    _proc: Proc,
    port: u16,
}

impl Server {
    fn start(program: &str, args: &[&str]) -> Server {
        let mut proc = Proc::spawn(program, args);
        let mut stdout = BufReader::new(proc.take_stdout());
        let port = loop {
            let mut line = String::new();
            assert!(
                stdout.read_line(&mut line).unwrap() > 0,
                "{program} ended before LISTENING"
            );
            if let Some(at) = line.trim().strip_prefix("LISTENING ") {
                let port = at.rsplit(':').next().unwrap();
                break port.parse().expect("LISTENING [<ip>:]<port>");
            }
        };
        // Keep draining stdout so the server never blocks on it.
        std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
        Server { _proc: proc, port }
    }

    fn nginx() -> Server {
        Server::start(
            "bash",
            &["tests/peers/nginx_rtmp.sh", &free_port().to_string()],
        )
    }

    fn wirestate() -> Server {
        Server::start(BIN, &["serve", "rtmp", "--listen", "127.0.0.1:0"])
    }

    fn url(&self, key: &str) -> String {
        format!("rtmp://127.0.0.1:{}/live/{key}", self.port)
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// 3 s of test video and a sine tone, `video_codec` (no B-frames, a
/// keyframe a second) + AAC, in FLV.
fn make_media(ffmpeg: &str, dir: &TempDir, video_codec: &str) -> PathBuf {
    let path = dir.path(&format!("source-{video_codec}.flv"));
    let output = Command::new(ffmpeg)
        .args([
            "-v",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            "testsrc=size=320x240:rate=25",
        ])
        .args([
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=440:sample_rate=44100",
            "-t",
            "3",
        ])
        .args([
            "-c:v",
            video_codec,
            "-preset",
            "ultrafast",
            "-bf",
            "0",
            "-g",
            "25",
        ])
        .args(["-c:a", "aac", "-b:a", "64k", "-f", "flv", s(&path)])
        .output()
        .unwrap();
    ok(&output, "making the test media");
    path
}

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

/// What counts the packets of a file: the system's `ffprobe`, or (for
/// Enhanced RTMP files, which FFmpeg before 6.1 does not read) a newer
/// `ffmpeg` writing one `framemd5` line per packet.
#[derive(Debug, Clone)]
enum Prober {
    Ffprobe,
    Ffmpeg(String),
}

impl Prober {
    /// The program and its arguments to count the packets of `input`.
    fn command(&self, input: &str) -> (String, Vec<String>) {
        let (program, args): (&str, &[&str]) = match self {
            Prober::Ffprobe => (
                "ffprobe",
                &[
                    "-v",
                    "error",
                    "-count_packets",
                    "-show_entries",
                    "stream=codec_type,nb_read_packets",
                    "-of",
                    "csv=p=0",
                ],
            ),
            Prober::Ffmpeg(ffmpeg) => (ffmpeg, &["-v", "error", "-i"]),
        };
        let mut args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        args.push(input.into());
        if let Prober::Ffmpeg(_) = self {
            args.extend(["-map", "0", "-c", "copy", "-f", "framemd5", "-"].map(String::from));
        }
        (program.into(), args)
    }

    /// `(video, audio)` packets in the program's output.
    fn parse(&self, out: &str) -> (u64, u64) {
        let mut counts = (0, 0);
        let mut kinds = std::collections::HashMap::new();
        for line in out.lines() {
            let line = line.trim();
            if let Some(kind) = line.strip_prefix("#media_type ") {
                if let Some((index, kind)) = kind.split_once(": ") {
                    kinds.insert(index.to_owned(), kind.to_owned());
                }
                continue;
            }
            let (kind, n) = match (self, line.split_once(',')) {
                (_, None) => continue,
                (_, Some(_)) if line.starts_with('#') => continue,
                (Prober::Ffprobe, Some((kind, n))) => (kind, n.parse().unwrap()),
                (Prober::Ffmpeg(_), Some((index, _))) => match kinds.get(index.trim()) {
                    Some(kind) => (kind.as_str(), 1),
                    None => continue,
                },
            };
            match kind {
                "video" => counts.0 += n,
                "audio" => counts.1 += n,
                _ => {}
            }
        }
        counts
    }

    fn counts(&self, file: &Path) -> (u64, u64) {
        let (program, args) = self.command(s(file));
        let output = Command::new(program).args(args).output().unwrap();
        ok(&output, "counting packets");
        self.parse(&String::from_utf8_lossy(&output.stdout))
    }
}

fn packet_counts(file: &Path) -> (u64, u64) {
    Prober::Ffprobe.counts(file)
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
    let relay = Server::wirestate();
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
    let relay = Server::wirestate();
    let played = relay_round_trip(&relay, &source, &dir, &prober, &["--fourcc", "hvc1,avc1"]);
    let description = describe(&modern, &played);
    assert!(description.contains("Video: hevc"), "{description}");
    assert!(description.contains("Audio: aac"), "{description}");
}
