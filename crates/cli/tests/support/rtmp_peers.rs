//! The RTMP peer tests' helpers (tests/peer_rtmp_cli.rs,
//! tests/peer_rtmp_edge.rs): a temporary directory, child processes with
//! their stderr collected by line and stopped by PID when dropped, a server
//! announcing `LISTENING [<ip>:]<port>` (nginx-rtmp through
//! tests/peers/nginx_rtmp.sh, or `wirestate serve rtmp`), FFmpeg lavfi test
//! media and packet counts.

use std::io::{BufRead, BufReader, Read};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Output, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_wirestate");

/// The workspace root, where tests/peers/ is.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A fresh directory under the system's temporary one, removed when dropped.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(name: &str) -> TempDir {
        let dir =
            std::env::temp_dir().join(format!("wirestate-rtmp-peer-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub fn s(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// A child process, killed by PID when dropped unfinished; its stderr is
/// collected line by line.
pub struct Proc {
    child: Option<Child>,
    name: String,
    lines: Receiver<String>,
    seen: Vec<String>,
}

impl Proc {
    pub fn spawn(program: &str, args: &[&str]) -> Proc {
        Proc::spawn_with(program, args, Stdio::null(), Stdio::piped())
    }

    pub fn spawn_with(program: &str, args: &[&str], stdin: Stdio, stdout: Stdio) -> Proc {
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
            name: format!("{program} {}", args.join(" ")),
            lines,
            seen: Vec::new(),
        }
    }

    /// `wirestate ARGS`.
    pub fn wirestate(args: &[&str]) -> Proc {
        Proc::spawn(BIN, args)
    }

    pub fn take_stdout(&mut self) -> ChildStdout {
        self.child.as_mut().unwrap().stdout.take().unwrap()
    }

    /// Waits for a stderr line containing `text`.
    pub fn wait_line(&mut self, text: &str, limit: Duration) {
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
    pub fn finish(mut self, limit: Duration) -> Output {
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
            // Polling the exit: there is no portable wait with a bound.
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

    /// Waits for the process to exit by itself (at most `limit`) and
    /// checks that it succeeded.
    pub fn succeeds(self, limit: Duration) {
        let name = self.name.clone();
        ok(&self.finish(limit), &name);
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

pub fn ok(output: &Output, what: &str) {
    assert!(
        output.status.success(),
        "{what}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A server that prints `LISTENING <port>` or `LISTENING <ip>:<port>` on
/// stdout once it accepts connections; killed by PID when dropped.
pub struct Server {
    _proc: Proc,
    port: u16,
}

impl Server {
    pub fn start(program: &str, args: &[&str]) -> Server {
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

    /// nginx-rtmp (tests/peers/nginx_rtmp.sh) on a free port.
    pub fn nginx() -> Server {
        Server::start(
            "bash",
            &["tests/peers/nginx_rtmp.sh", &free_port().to_string()],
        )
    }

    /// `wirestate serve rtmp` with `extra` flags.
    pub fn wirestate(extra: &[&str]) -> Server {
        let mut args = vec!["serve", "rtmp", "--listen", "127.0.0.1:0"];
        args.extend(extra);
        Server::start(BIN, &args)
    }

    /// `rtmp://127.0.0.1:PORT/live`.
    pub fn app(&self) -> String {
        format!("rtmp://127.0.0.1:{}/live", self.port)
    }

    /// `rtmp://127.0.0.1:PORT/live/KEY`.
    pub fn url(&self, key: &str) -> String {
        format!("{}/{key}", self.app())
    }
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// 3 s of test video and a sine tone, `video_codec` (no B-frames, a
/// keyframe a second) + AAC, in FLV, made by `ffmpeg` (a program).
pub fn make_media(ffmpeg: &str, dir: &TempDir, video_codec: &str) -> PathBuf {
    let path = dir.path(&format!("source-{video_codec}.flv"));
    let output = Command::new(ffmpeg)
        .args(["-v", "error", "-y", "-f", "lavfi", "-i"])
        .arg("testsrc=size=320x240:rate=25")
        .args(["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100"])
        .args(["-t", "3", "-c:v", video_codec, "-preset", "ultrafast"])
        .args(["-bf", "0", "-g", "25", "-c:a", "aac", "-b:a", "64k"])
        .args(["-f", "flv", s(&path)])
        .output()
        .unwrap();
    ok(&output, "making the test media");
    path
}

/// What counts the packets of a file: the system's `ffprobe`, or (for
/// Enhanced RTMP files, which FFmpeg before 6.1 does not read) a newer
/// `ffmpeg` writing one `framemd5` line per packet.
#[derive(Debug, Clone)]
pub enum Prober {
    Ffprobe,
    Ffmpeg(String),
}

impl Prober {
    /// The program and its arguments to count the packets of `input`.
    pub fn command(&self, input: &str) -> (String, Vec<String>) {
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
    pub fn parse(&self, out: &str) -> (u64, u64) {
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

    /// `(video, audio)` packets in `file`.
    pub fn counts(&self, file: &Path) -> (u64, u64) {
        let (program, args) = self.command(s(file));
        let output = Command::new(program).args(args).output().unwrap();
        ok(&output, "counting packets");
        self.parse(&String::from_utf8_lossy(&output.stdout))
    }
}

/// `(video, audio)` packets `ffprobe` reads in `file`.
pub fn packet_counts(file: &Path) -> (u64, u64) {
    Prober::Ffprobe.counts(file)
}
