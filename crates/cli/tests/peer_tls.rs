#![cfg(feature = "peer-tests")]
//! wss:// and rtmps:// against real peers (installed by
//! scripts/peers/install-websocket-peers.sh and install-rtmp-peers.sh),
//! with a self-signed certificate made at test time:
//!
//! - Python `websockets`, with an `SSLContext` that trusts exactly that
//!   certificate, gets its message echoed by
//!   `wirestate serve websocket --tls-cert --tls-key`;
//! - Debian's FFmpeg publishes to `rtmps://127.0.0.1:PORT/live/x`
//!   (`-tls_verify 0`) on `wirestate serve rtmp --tls-cert --tls-key
//!   --record DIR`, and the recording has the source's packet count
//!   (`ffprobe -count_packets`).
//!
//! Every process runs on 127.0.0.1 and is stopped by PID.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use support::{Server, BOUND};

/// The workspace root, where .peers/ is.
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn s(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// A fresh directory with a certificate for 127.0.0.1 and its key (PEM);
/// removed when dropped.
struct Certificate {
    dir: PathBuf,
    cert: PathBuf,
    key: PathBuf,
}

impl Certificate {
    fn new(name: &str) -> Certificate {
        let dir =
            std::env::temp_dir().join(format!("wirestate-peer-tls-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let made = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_string()]).unwrap();
        let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
        std::fs::write(&cert, made.cert.pem()).unwrap();
        std::fs::write(&key, made.key_pair.serialize_pem()).unwrap();
        Certificate { dir, cert, key }
    }

    fn serve<'a>(&'a self, mode: &'a str, extra: &[&'a str]) -> Server {
        let mut args = vec!["serve", mode, "--listen", "127.0.0.1:0"];
        args.extend(["--tls-cert", s(&self.cert), "--tls-key", s(&self.key)]);
        args.extend(extra);
        Server::start(&args)
    }
}

impl Drop for Certificate {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Sends a text and a binary message over wss:// with an SSLContext that
/// trusts only argv[2], prints both echoes.
const PYTHON_WSS_CLIENT: &str = r#"
import asyncio, ssl, sys
import websockets

async def main():
    context = ssl.create_default_context(cafile=sys.argv[2])
    async with websockets.connect(sys.argv[1], ssl=context) as ws:
        await ws.send("hello over tls")
        print(await ws.recv())
        await ws.send(b"\x00\x01\x02")
        print((await ws.recv()).hex())

asyncio.run(main())
"#;

#[test]
fn python_websockets_gets_an_echo_over_wss() {
    let certificate = Certificate::new("wss");
    let server = certificate.serve("websocket", &[]);
    let python = root().join(".peers/python/bin/python");
    let url = format!("wss://{}/", server.addr);
    let output = Command::new(python)
        .args(["-c", PYTHON_WSS_CLIENT, &url, s(&certificate.cert)])
        .output()
        .expect("run the Python websockets client");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        stdout.lines().collect::<Vec<_>>(),
        ["hello over tls", "000102"]
    );
}

/// (video, audio) packets in `file`, as ffprobe counts them.
fn packet_counts(file: &Path) -> (u64, u64) {
    let mut counts = [0u64; 2];
    for (i, stream) in ["v:0", "a:0"].into_iter().enumerate() {
        let output = Command::new("ffprobe")
            .args(["-v", "error", "-count_packets", "-select_streams", stream])
            .args(["-show_entries", "stream=nb_read_packets", "-of", "csv=p=0"])
            .arg(file)
            .output()
            .unwrap();
        assert!(output.status.success(), "ffprobe {}", file.display());
        counts[i] = String::from_utf8_lossy(&output.stdout)
            .trim()
            .parse()
            .unwrap();
    }
    (counts[0], counts[1])
}

/// 3 s of test video (H.264) and a sine tone (AAC) in FLV.
fn make_media(path: &Path) {
    let output = Command::new("ffmpeg")
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
            "libx264",
            "-preset",
            "ultrafast",
            "-bf",
            "0",
            "-g",
            "25",
        ])
        .args(["-c:a", "aac", "-b:a", "64k", "-f", "flv"])
        .arg(path)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn ffmpeg_publishes_over_rtmps_and_the_recording_has_every_packet() {
    let certificate = Certificate::new("rtmps");
    let source = certificate.dir.join("source.flv");
    make_media(&source);
    let record = certificate.dir.join("record");
    let mut server = certificate.serve("rtmp", &["--record", s(&record)]);
    let url = format!("rtmps://127.0.0.1:{}/live/x", server.addr.port());
    let output = Command::new("ffmpeg")
        .args(["-v", "error", "-i", s(&source), "-c", "copy", "-f", "flv"])
        .args(["-tls_verify", "0", &url])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // The recording ends whole once the publisher is gone.
    server
        .wait_log(&["rtmp connection closed"], BOUND)
        .unwrap_or_else(|| panic!("{}", server.log()));
    server.terminate();
    let status = server.wait_exit(BOUND).expect("exits after the drain");
    assert!(status.success(), "{}", server.log());

    let recording = record.join("live_x.flv");
    let want = packet_counts(&source);
    assert!(want.0 > 0 && want.1 > 0, "{want:?}");
    assert_eq!(packet_counts(&recording), want);
}
