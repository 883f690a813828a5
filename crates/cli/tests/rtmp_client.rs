//! `wirestate publish` and `wirestate play` (the binary) against the relay
//! of `wirestate serve rtmp`, run in-process on 127.0.0.1: what is
//! published comes back tag for tag, paced or not, to a file and to
//! stdout; `--duration` and SIGINT end a player with a whole file; refused
//! publications, bad URLs, unreachable servers and malformed files fail
//! with a message and a non-zero status.

use std::io::Read;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use wirestate_rtmp::amf0::Value;
use wirestate_rtmp::flv::{FlvReader, FlvWriter, TagType};
use wirestate_rtmp::message::{DataMessage, Message};
use wirestate_server::rtmp_relay::{self, RelayConfig, RelayStats};

const BIN: &str = env!("CARGO_BIN_EXE_wirestate");

/// How long the TLS handshake of the test relay may take.
const WAIT: Duration = Duration::from_secs(10);

/// The relay on a runtime thread of its own; stopped when dropped.
struct Relay {
    port: u16,
    scheme: &'static str,
    stats: RelayStats,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Relay {
    fn start() -> Relay {
        Relay::start_with(wirestate_server::plain(), "rtmp")
    }

    /// The relay behind TLS with `acceptor`: `rtmps://`.
    fn start_tls(acceptor: wirestate_tokio::tls::TlsAcceptor) -> Relay {
        let wrap: wirestate_server::WrapStream = std::sync::Arc::new(move |socket| {
            let acceptor = acceptor.clone();
            Box::pin(async move {
                let stream = wirestate_tokio::tls::accept(&acceptor, socket, WAIT).await?;
                Ok(Box::new(stream) as wirestate_server::BoxStream)
            })
        });
        Relay::start_with(wrap, "rtmps")
    }

    fn start_with(wrap: wirestate_server::WrapStream, scheme: &'static str) -> Relay {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let stats = RelayStats::default();
        let counted = stats.clone();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).unwrap();
                let never = wirestate_server::Shutdown::never();
                let config = RelayConfig::default();
                tokio::select! {
                    result = rtmp_relay::serve_wrapped(listener, config, never, counted, wrap) => result.unwrap(),
                    _ = stopped => {}
                }
            });
        });
        Relay {
            port,
            scheme,
            stats,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    fn url(&self, key: &str) -> String {
        format!("{}://127.0.0.1:{}/live/{key}", self.scheme, self.port)
    }

    /// Waits until `n` players play.
    fn wait_players(&self, n: usize) {
        wait_for(Duration::from_secs(10), "players", || {
            self.stats.players() == n
        });
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        let _ = self.stop.take().map(|stop| stop.send(()));
        let _ = self.thread.take().map(|thread| thread.join());
    }
}

fn wait_for(limit: Duration, what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !condition() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// A fresh directory under the system's temporary one, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("wirestate-cli-{name}-{}", std::process::id()));
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

/// The `wirestate` binary running; killed by PID when dropped unfinished.
struct Proc(Option<Child>);

impl Proc {
    fn spawn(args: &[&str]) -> Proc {
        let child = Command::new(BIN)
            .args(args)
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        Proc(Some(child))
    }

    fn pid(&self) -> u32 {
        self.0.as_ref().unwrap().id()
    }

    /// Waits for the process to exit by itself, at most `limit`, reading
    /// its output meanwhile.
    fn finish(mut self, limit: Duration) -> Output {
        let mut child = self.0.take().unwrap();
        let pipe = |mut pipe: Box<dyn Read + Send>| {
            std::thread::spawn(move || {
                let mut bytes = Vec::new();
                let _ = pipe.read_to_end(&mut bytes);
                bytes
            })
        };
        let stdout = pipe(Box::new(child.stdout.take().unwrap()));
        let stderr = pipe(Box::new(child.stderr.take().unwrap()));
        let deadline = Instant::now() + limit;
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "wirestate did not finish in {limit:?}: {}",
                    String::from_utf8_lossy(&stderr.join().unwrap())
                );
            }
            std::thread::sleep(Duration::from_millis(10));
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

fn run(args: &[&str]) -> Output {
    Proc::spawn(args).finish(Duration::from_secs(30))
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn succeeded(output: &Output, what: &str) {
    assert!(output.status.success(), "{what}: {}", stderr(output));
}

type Tag = (TagType, u32, Vec<u8>);

/// Metadata, both decoder configurations, then `frames` video frames at
/// 25 fps (a keyframe every 10, some larger than a chunk) and as many
/// audio frames, interleaved.
fn source(frames: u32) -> Vec<Tag> {
    let metadata = DataMessage {
        amf3: false,
        values: vec![
            "onMetaData".into(),
            Value::EcmaArray(vec![
                ("duration".into(), Value::Number(f64::from(frames) / 25.0)),
                ("width".into(), Value::Number(320.0)),
            ]),
        ],
    };
    let mut tags = vec![
        (
            TagType::Script,
            0,
            Message::Data(metadata).encode_payload().to_vec(),
        ),
        (
            TagType::Video,
            0,
            b"\x17\x00\x00\x00\x00\x01\x64\x00\x1f".to_vec(),
        ),
        (TagType::Audio, 0, b"\xaf\x00\x12\x10".to_vec()),
    ];
    for i in 0..frames {
        let key = i % 10 == 0;
        let mut video = if key { b"\x17\x01" } else { b"\x27\x01" }.to_vec();
        video.extend([0, 0, 0]);
        let size = if key { 9000 } else { 300 + i as usize * 7 };
        video.extend((0..size).map(|n| (n as u32 ^ i) as u8));
        tags.push((TagType::Video, i * 40, video));
        let mut audio = b"\xaf\x01".to_vec();
        audio.extend((0..200).map(|n| (n + i) as u8));
        tags.push((TagType::Audio, i * 40 + 10, audio));
    }
    tags
}

fn write_flv(path: &Path, tags: &[Tag]) {
    let mut writer = FlvWriter::new(Vec::new(), true, true).unwrap();
    for (tag_type, timestamp, data) in tags {
        writer.write_tag(*tag_type, *timestamp, data).unwrap();
    }
    std::fs::write(path, writer.into_inner()).unwrap();
}

/// Every tag of an FLV file (which must be whole: each back pointer is
/// checked, and the file must end after a tag).
fn read_flv(file: &[u8]) -> Vec<Tag> {
    let mut reader = FlvReader::new(file).unwrap();
    let mut tags = Vec::new();
    while let Some(tag) = reader.next_tag().unwrap() {
        tags.push((tag.tag_type, tag.timestamp, tag.data.to_vec()));
    }
    tags
}

fn s(path: &Path) -> &str {
    path.to_str().unwrap()
}

#[test]
fn what_is_published_is_played_back_tag_for_tag_to_a_file_and_to_stdout() {
    let dir = TempDir::new("roundtrip");
    let relay = Relay::start();
    let tags = source(60);
    let input = dir.path("in.flv");
    write_flv(&input, &tags);
    let url = relay.url("cam");
    let out = dir.path("out.flv");
    let to_file = Proc::spawn(&["play", &url, "--output", s(&out)]);
    let to_stdout = Proc::spawn(&["play", &url, "-o", "-"]);
    relay.wait_players(2);

    succeeded(&run(&["publish", &url, s(&input), "--fast"]), "publish");
    let from_file = to_file.finish(Duration::from_secs(20));
    succeeded(&from_file, "play to a file");
    assert!(
        stderr(&from_file).contains("UnpublishNotify"),
        "{}",
        stderr(&from_file)
    );
    let from_stdout = to_stdout.finish(Duration::from_secs(20));
    succeeded(&from_stdout, "play to stdout");

    assert_eq!(read_flv(&std::fs::read(&out).unwrap()), tags);
    assert_eq!(read_flv(&from_stdout.stdout), tags);
}

#[test]
fn rtmps_publish_and_play_round_trip_through_a_tls_relay() {
    let dir = TempDir::new("rtmps");
    let made = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_string()]).unwrap();
    let cert = dir.path("cert.pem");
    std::fs::write(&cert, made.cert.pem()).unwrap();
    let key = dir.path("key.pem");
    std::fs::write(&key, made.key_pair.serialize_pem()).unwrap();
    let acceptor = wirestate_tokio::tls::server_config_from_pem(&cert, &key).unwrap();
    let relay = Relay::start_tls(acceptor);
    let tags = source(30);
    let input = dir.path("in.flv");
    write_flv(&input, &tags);
    let url = relay.url("secure");
    assert!(url.starts_with("rtmps://"));
    let out = dir.path("out.flv");
    let player = Proc::spawn(&["play", &url, "-o", s(&out), "--tls-ca", s(&cert)]);
    relay.wait_players(1);
    succeeded(
        &run(&["publish", &url, s(&input), "--fast", "--tls-ca", s(&cert)]),
        "publish",
    );
    succeeded(&player.finish(Duration::from_secs(20)), "play");
    assert_eq!(read_flv(&std::fs::read(&out).unwrap()), tags);

    // A server certificate the client does not trust is refused.
    let other = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_string()]).unwrap();
    let untrusted = dir.path("other.pem");
    std::fs::write(&untrusted, other.cert.pem()).unwrap();
    let refused = run(&["publish", &url, s(&input), "--tls-ca", s(&untrusted)]);
    assert!(!refused.status.success());
    assert!(
        stderr(&refused).contains("TLS handshake"),
        "{}",
        stderr(&refused)
    );
}

#[test]
fn publishing_is_paced_by_the_timestamps_unless_fast() {
    let dir = TempDir::new("paced");
    let relay = Relay::start();
    // The last tag is at 19 * 40 + 10 = 770 ms.
    let tags = source(20);
    let input = dir.path("in.flv");
    write_flv(&input, &tags);
    let out = dir.path("out.flv");
    let url = relay.url("paced");
    let player = Proc::spawn(&["play", &url, "--output", s(&out)]);
    relay.wait_players(1);

    let started = Instant::now();
    succeeded(&run(&["publish", &url, s(&input)]), "publish");
    let took = started.elapsed();
    assert!(took >= Duration::from_millis(770), "took {took:?}");
    succeeded(&player.finish(Duration::from_secs(20)), "play");
    assert_eq!(read_flv(&std::fs::read(&out).unwrap()), tags);
}

#[test]
fn duration_and_sigint_end_a_player_with_a_whole_file() {
    let dir = TempDir::new("stop");
    let relay = Relay::start();
    // 40 s of stream, published in real time: longer than the test.
    let input = dir.path("in.flv");
    write_flv(&input, &source(1000));
    let url = relay.url("long");
    let (timed, signalled) = (dir.path("timed.flv"), dir.path("signalled.flv"));
    let by_duration = Proc::spawn(&["play", &url, "-o", s(&timed), "--duration", "0.5"]);
    let by_signal = Proc::spawn(&["play", &url, "-o", s(&signalled)]);
    relay.wait_players(2);
    let publisher = Proc::spawn(&["publish", &url, s(&input)]);

    let output = by_duration.finish(Duration::from_secs(20));
    succeeded(&output, "play --duration");
    assert!(
        stderr(&output).contains("--duration elapsed"),
        "{}",
        stderr(&output)
    );
    let timed = read_flv(&std::fs::read(&timed).unwrap());
    assert!(timed.len() > 3, "{} tags", timed.len());
    let last = timed.last().unwrap().1;
    assert!(last < 5000, "played until {last} ms");

    wait_for(Duration::from_secs(10), "media", || {
        std::fs::metadata(&signalled).is_ok_and(|m| m.len() > 20_000)
    });
    let kill = Command::new("kill")
        .args(["-INT", &by_signal.pid().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let output = by_signal.finish(Duration::from_secs(20));
    succeeded(&output, "play, interrupted");
    assert!(
        stderr(&output).contains("interrupted"),
        "{}",
        stderr(&output)
    );
    assert!(read_flv(&std::fs::read(&signalled).unwrap()).len() > 3);

    // SIGTERM ends the publisher cleanly too.
    let kill = Command::new("kill")
        .args(["-TERM", &publisher.pid().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let output = publisher.finish(Duration::from_secs(20));
    succeeded(&output, "publish, terminated");
    assert!(
        stderr(&output).contains("stopped before the end"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn a_second_publisher_of_a_key_is_refused_with_the_servers_reason() {
    let dir = TempDir::new("refused");
    let relay = Relay::start();
    let input = dir.path("in.flv");
    write_flv(&input, &source(1000));
    let url = relay.url("taken");
    let first = Proc::spawn(&["publish", &url, s(&input)]);
    let out = dir.path("out.flv");
    // The first publisher publishes once a player gets its metadata.
    let player = Proc::spawn(&["play", &url, "-o", s(&out), "--duration", "30"]);
    wait_for(Duration::from_secs(10), "the first publisher", || {
        std::fs::metadata(&out).is_ok_and(|m| m.len() > 13)
    });

    let second = run(&["publish", &url, s(&input), "--fast"]);
    assert!(!second.status.success());
    let message = stderr(&second);
    assert!(
        message.contains("wirestate: publishing taken failed: NetStream.Publish."),
        "{message}"
    );
    drop((first, player));
}

#[test]
fn bad_urls_files_and_servers_fail_with_a_message() {
    let dir = TempDir::new("errors");
    let input = dir.path("in.flv");
    write_flv(&input, &source(2));
    // A port nobody listens on.
    let closed = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let refused = format!("rtmp://127.0.0.1:{port}/live/key");
    let mut truncated = std::fs::read(&input).unwrap();
    truncated.truncate(truncated.len() - 3);
    let broken = dir.path("broken.flv");
    std::fs::write(&broken, truncated).unwrap();
    let out = dir.path("out.flv");
    let missing = dir.path("none.flv");

    let cases: &[(&[&str], &str)] = &[
        (
            &["publish", "rtmpt://h/live/k", s(&input)],
            "rtmpt:// is not supported",
        ),
        (
            &["play", "rtmp://h/live", "-o", s(&out)],
            "expected an application",
        ),
        (
            &["publish", &refused, s(&input)],
            "cannot connect to 127.0.0.1:",
        ),
        (
            &["play", &refused, "-o", s(&out)],
            "cannot connect to 127.0.0.1:",
        ),
        (
            &["publish", &refused, s(&broken)],
            "is not a valid FLV file: truncated",
        ),
        (&["publish", &refused, s(&missing)], "cannot read"),
        (
            &["publish", &refused, s(&input), "--connect-timeout=-1"],
            "invalid --connect-timeout",
        ),
    ];
    for (args, want) in cases {
        let output = run(args);
        assert!(!output.status.success(), "{args:?}");
        assert!(
            stderr(&output).contains(want),
            "{args:?}: {}",
            stderr(&output)
        );
    }
    // A player that never started leaves no file.
    assert!(!out.exists());
}

#[test]
fn a_server_that_never_answers_times_out() {
    // Accepts, then says nothing: the handshake never completes.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!(
        "rtmp://127.0.0.1:{}/live/k",
        silent.local_addr().unwrap().port()
    );
    let dir = TempDir::new("silent");
    let out = dir.path("out.flv");
    let started = Instant::now();
    let output = run(&["play", &url, "-o", s(&out), "--connect-timeout", "0.5"]);
    assert!(!output.status.success());
    assert!(
        stderr(&output).contains("playing k failed"),
        "{}",
        stderr(&output)
    );
    assert!(started.elapsed() < Duration::from_secs(10));
    drop(silent);
}
