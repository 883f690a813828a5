#![cfg(feature = "peer-tests")]
//! Enhanced RTMP capability negotiation against a real FFmpeg: the FFmpeg
//! 9 bundled with imageio-ffmpeg (installed by
//! scripts/peers/install-rtmp-peers.sh) publishes to a ServerSession on the
//! blocking driver, and we check what its `connect` offers and that it
//! takes our answer.
//!
//! What FFmpeg 9 sends, as captured here: `fourCcList` (Enhanced RTMP v1),
//! only when given `-rtmp_enhanced_codecs`, and none of Enhanced RTMP v2's
//! `videoFourCcInfoMap`, `audioFourCcInfoMap` or `capsEx`; it does not know
//! `NetConnection.Connect.ReconnectRequest` either. So the v2 parts are
//! checked here as absent (a v2 server answers such a client as a v1 one),
//! and the rest is covered by the machine tests of
//! crates/rtmp/tests/enhanced_rtmp.rs.
//!
//! The other way round, our ClientSession offers everything of v2 to
//! `ffmpeg -listen 1`, which ignores the offers and answers as a legacy
//! server: nothing is negotiated and playing works.
//!
//! FFmpeg runs on 127.0.0.1 and is stopped by PID when the test ends.

use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use wirestate::core::OsRandom;
use wirestate::rtmp::media::{FourCc, VideoTagHeader};
use wirestate::rtmp::session::{
    CapsEx, ClientConfig, ClientEvent, ClientSession, ConnectCaps, ConnectRequest, FourCcInfoMap,
    MediaEvent, ServerConfig, ServerEvent, ServerSession,
};
use wirestate::BlockingConnection as Connection;

/// The FFmpeg bundled with imageio-ffmpeg (9 at the time of writing).
fn modern_ffmpeg() -> String {
    let out = Command::new("python3")
        .args([
            "-c",
            "import imageio_ffmpeg; print(imageio_ffmpeg.get_ffmpeg_exe())",
        ])
        .output()
        .expect("python3 with imageio-ffmpeg");
    assert!(out.status.success(), "imageio-ffmpeg is not installed");
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// A child process, stopped by PID when dropped.
struct Proc(Option<Child>);

impl Proc {
    /// Waits for the exit (at most `limit`), stops it by PID past that.
    fn finish(mut self, limit: Duration) -> Output {
        let child = self.0.take().unwrap();
        let pid = child.id().to_string();
        let (done, exited) = std::sync::mpsc::channel();
        std::thread::spawn(move || done.send(child.wait_with_output().unwrap()));
        exited.recv_timeout(limit).unwrap_or_else(|_| {
            // Past the limit: stop it by PID; the waiting thread then returns.
            let _ = Command::new("kill").args(["-KILL", &pid]).status();
            exited.recv().unwrap()
        })
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

/// What one FFmpeg publish showed a ServerSession.
struct Seen {
    connect: ConnectRequest,
    negotiated: CapsEx,
    video: Vec<VideoTagHeader>,
    ffmpeg: Output,
}

/// FFmpeg encodes one second of `testsrc` with `codec` and publishes it to
/// a ServerSession that supports every `capsEx` bit; `extra` goes before
/// the output URL.
fn publish(codec: &str, extra: &[&str]) -> Seen {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("rtmp://{}/live/key", listener.local_addr().unwrap());
    let mut args = vec!["-v", "error", "-f", "lavfi", "-i"];
    args.extend(["testsrc=size=128x96:rate=10", "-t", "1", "-c:v", codec]);
    args.extend(extra);
    args.extend(["-f", "flv", &url]);
    let child = Command::new(modern_ffmpeg())
        .args(&args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start ffmpeg");
    let ffmpeg = Proc(Some(child));
    let socket = accept(&listener, Duration::from_secs(30));
    let config = ServerConfig {
        auto_accept: true,
        caps_ex: CapsEx(0x0f),
        idle_timeout: Some(Duration::from_secs(15)),
        ..ServerConfig::default()
    };
    let mut conn = Connection::new(socket, ServerSession::new(config, OsRandom, Instant::now()));
    let (mut connect, mut video) = (None, Vec::new());
    while let Some(event) = conn.next_event() {
        match event {
            Ok(ServerEvent::ConnectRequested(request)) => connect = Some(request),
            Ok(ServerEvent::Media(MediaEvent::Video { video: v, .. })) => {
                video.push(v.header.clone().expect("a video header that parses"))
            }
            Ok(ServerEvent::PublishFinished { .. }) => break,
            Ok(_) => {}
            Err(e) => panic!("session failed: {e}"),
        }
    }
    let negotiated = conn.machine().caps_ex();
    drop(conn);
    Seen {
        connect: connect.expect("no connect from ffmpeg"),
        negotiated,
        video,
        ffmpeg: ffmpeg.finish(Duration::from_secs(20)),
    }
}

/// The first connection on `listener`, waited for at most `limit`.
fn accept(listener: &TcpListener, limit: Duration) -> TcpStream {
    let listener = listener.try_clone().unwrap();
    let (accepted, connection) = std::sync::mpsc::channel();
    std::thread::spawn(move || accepted.send(listener.accept().map(|(socket, _)| socket)));
    match connection.recv_timeout(limit) {
        Ok(socket) => socket.unwrap(),
        Err(_) => panic!("ffmpeg never connected within {limit:?}"),
    }
}

fn ok(output: &Output) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "ffmpeg failed: {stderr}");
}

#[test]
fn ffmpeg_9_offers_its_four_cc_list_and_takes_our_answer() {
    let seen = publish("libx265", &["-rtmp_enhanced_codecs", "hvc1,av01,Opus"]);
    ok(&seen.ffmpeg);
    let connect = &seen.connect;
    assert_eq!(
        connect.four_cc_list,
        Some(vec!["hvc1".into(), "av01".into(), "Opus".into()])
    );
    // No Enhanced RTMP v2 offers: capsEx is not negotiated.
    assert_eq!(connect.video_four_cc_info_map, None);
    assert_eq!(connect.audio_four_cc_info_map, None);
    assert_eq!(connect.caps_ex, None);
    assert_eq!(seen.negotiated, CapsEx::NONE);
    // The HEVC it then sends is Enhanced RTMP video, parsed as such.
    assert!(!seen.video.is_empty());
    for header in &seen.video {
        let VideoTagHeader::Enhanced(header) = header else {
            panic!("legacy video header from ffmpeg: {header:?}")
        };
        assert!(header.tracks.iter().all(|t| t.fourcc == FourCc::HEVC));
    }
}

#[test]
fn ffmpeg_9_without_enhanced_codecs_is_a_legacy_client() {
    let seen = publish("libx264", &[]);
    ok(&seen.ffmpeg);
    let connect = &seen.connect;
    let offered = (
        &connect.four_cc_list,
        &connect.video_four_cc_info_map,
        &connect.audio_four_cc_info_map,
        connect.caps_ex,
    );
    assert_eq!(offered, (&None, &None, &None, None));
    assert_eq!(seen.negotiated, CapsEx::NONE);
    assert!(!seen.video.is_empty());
    assert!(seen
        .video
        .iter()
        .all(|h| matches!(h, VideoTagHeader::Legacy(_))));
}

#[test]
fn ffmpeg_9_as_a_server_ignores_our_v2_offers() {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("rtmp://127.0.0.1:{port}/live/x");
    let args = [
        "-v",
        "error",
        "-re",
        "-f",
        "lavfi",
        "-i",
        "testsrc=size=128x96:rate=10",
        "-t",
        "3",
        "-c:v",
        "libx264",
        "-f",
        "flv",
        "-listen",
        "1",
        &url,
    ];
    let child = Command::new(modern_ffmpeg())
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start ffmpeg");
    let ffmpeg = Proc(Some(child));
    let mut config = ClientConfig::new("live", &format!("rtmp://127.0.0.1:{port}/live"));
    config.caps_ex = Some(CapsEx(0x0f));
    config.video_four_cc_info_map = Some(FourCcInfoMap::forward_all());
    config.audio_four_cc_info_map = Some(FourCcInfoMap::forward_all());
    config.four_cc_list = Some(vec!["*".into()]);
    config.idle_timeout = Some(Duration::from_secs(15));
    let socket = connect_when_listening(port, Duration::from_secs(30));
    let mut conn = Connection::new(socket, ClientSession::new(config, OsRandom, Instant::now()));
    conn.machine_mut().play("x");
    let mut frames = 0;
    while frames < 5 {
        match conn.next_event() {
            Some(Ok(ClientEvent::Media(MediaEvent::Video { .. }))) => frames += 1,
            Some(Ok(_)) => {}
            other => panic!("playing ended early: {other:?}"),
        }
    }
    let client = conn.machine();
    assert_eq!(client.server_caps(), Some(&ConnectCaps::default()));
    assert_eq!(client.caps_ex(), CapsEx::NONE);
    drop(conn);
    drop(ffmpeg);
}

/// A connection to `port` once something listens there (`ffmpeg -listen`
/// opens its port a moment after it starts), within `limit`.
fn connect_when_listening(port: u16, limit: Duration) -> TcpStream {
    let deadline = Instant::now() + limit;
    loop {
        match TcpStream::connect(("127.0.0.1", port)) {
            Ok(socket) => return socket,
            Err(e) if Instant::now() > deadline => panic!("cannot connect to {port}: {e}"),
            Err(_) => std::thread::sleep(Duration::from_millis(50)),
        }
    }
}
