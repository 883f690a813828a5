//! Running `wirestate serve ...` as a child process and talking to it: the
//! server (killed by PID when dropped), its `LISTENING` line and log, and a
//! small WebSocket client on the crate's own client machine.
#![allow(dead_code)] // each test file uses its own part

pub mod rtmp_peers;

use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::{Duration, Instant};

use wirestate_core::{Machine, SeededRandom};
use wirestate_websocket::{CloseFrame, WsConfig, WsConnection, WsEvent};

/// How long any one condition may take before a test fails.
pub const BOUND: Duration = Duration::from_secs(30);

/// A running `wirestate serve ...`: stdout's `LISTENING` line parsed,
/// stderr's log lines collected; killed by PID when dropped.
pub struct Server {
    child: Child,
    /// Where it listens.
    pub addr: SocketAddr,
    /// Every address it announced, in order (`serve gateway` announces two).
    pub addrs: Vec<SocketAddr>,
    log: Receiver<String>,
    /// The log lines seen so far.
    pub seen: Vec<String>,
    /// Stdout's lines after the `LISTENING` line.
    stdout: Receiver<String>,
}

impl Server {
    /// Runs `wirestate args...` and waits for `LISTENING <ip>:<port>`.
    pub fn start(args: &[&str]) -> Server {
        let mut command = Command::new(env!("CARGO_BIN_EXE_wirestate"));
        command.args(args);
        Server::spawn(command, 1)
    }

    /// Runs `wirestate args...` and waits for `count` `LISTENING` lines
    /// (see [`Server::addrs`]); stdout is drained in the background.
    pub fn start_listening(args: &[&str], count: usize) -> Server {
        let mut command = Command::new(env!("CARGO_BIN_EXE_wirestate"));
        command.args(args);
        Server::spawn(command, count)
    }

    /// Runs `wirestate args...` under a shell that first runs `prelude`
    /// (such as `ulimit -n 32`).
    pub fn start_under_shell(prelude: &str, args: &[&str]) -> Server {
        let mut command = Command::new("sh");
        command
            .arg("-c")
            .arg(format!("{prelude}; exec \"$0\" \"$@\""))
            .arg(env!("CARGO_BIN_EXE_wirestate"))
            .args(args);
        Server::spawn(command, 1)
    }

    fn spawn(mut command: Command, count: usize) -> Server {
        let mut child = command
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start wirestate serve");
        let (tx, log) = channel();
        let stderr = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut listening = Vec::new();
        for _ in 0..count {
            let mut line = String::new();
            stdout.read_line(&mut line).unwrap();
            listening.push(line);
        }
        // The rest of stdout is read on, so the server never writes to a
        // closed pipe.
        let (tx, stdout_lines) = channel();
        std::thread::spawn(move || {
            for line in stdout.lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut server = Server {
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            addrs: Vec::new(),
            log,
            seen: Vec::new(),
            stdout: stdout_lines,
        };
        for line in listening {
            let addr = parse_listening(&line)
                .unwrap_or_else(|| panic!("no LISTENING line: {line:?}, log {:?}", server.log()));
            server.addrs.push(addr);
        }
        server.addr = server.addrs[0];
        server
    }

    /// The next stdout line after `LISTENING`, waiting at most `bound`.
    pub fn next_stdout(&mut self, bound: Duration) -> Option<String> {
        self.stdout.recv_timeout(bound).ok()
    }

    /// The PID.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends SIGTERM (by PID, through `kill`).
    pub fn terminate(&self) {
        let status = Command::new("kill")
            .arg("-TERM")
            .arg(self.pid().to_string())
            .status()
            .expect("run kill");
        assert!(status.success());
    }

    /// The exit status, waiting at most `bound`; `None` if still running.
    pub fn wait_exit(&mut self, bound: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + bound;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return Some(status);
            }
            if Instant::now() > deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Whether the process still runs.
    pub fn is_running(&mut self) -> bool {
        self.child.try_wait().unwrap().is_none()
    }

    /// Waits up to `bound` for a log line containing every one of `words`;
    /// returns it.
    pub fn wait_log(&mut self, words: &[&str], bound: Duration) -> Option<String> {
        let matches = |line: &String| words.iter().all(|w| line.contains(w));
        if let Some(line) = self.seen.iter().find(|l| matches(l)) {
            return Some(line.clone());
        }
        let deadline = Instant::now() + bound;
        loop {
            let left = deadline.checked_duration_since(Instant::now())?;
            let line = self.log.recv_timeout(left).ok()?;
            self.seen.push(line.clone());
            if matches(&line) {
                return Some(line);
            }
        }
    }

    /// Every log line so far.
    pub fn log(&mut self) -> String {
        while let Ok(line) = self.log.try_recv() {
            self.seen.push(line);
        }
        self.seen.join("\n")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // Child::kill signals exactly this PID.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The address of a `LISTENING <ip>:<port>` line.
pub fn parse_listening(line: &str) -> Option<SocketAddr> {
    line.trim().strip_prefix("LISTENING ")?.parse().ok()
}

/// A connected WebSocket client: the socket and our client machine.
pub struct WsClient {
    pub stream: TcpStream,
    pub machine: WsConnection,
    /// The local address, as the server's log names the peer.
    pub local: SocketAddr,
}

/// The opening request, without extensions.
pub fn ws_request(addr: SocketAddr) -> String {
    format!(
        "GET /echo HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
}

/// Reads an HTTP response head (up to the blank line) from `stream`; what
/// came before EOF or an error if the head is incomplete.
pub fn read_head(stream: &mut TcpStream) -> String {
    stream.set_read_timeout(Some(BOUND)).unwrap();
    let mut head = Vec::new();
    let mut byte = [0];
    while !head.ends_with(b"\r\n\r\n") {
        match stream.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            _ => break,
        }
    }
    String::from_utf8_lossy(&head).into_owned()
}

impl WsClient {
    /// Connects and completes the opening handshake (no extensions).
    pub fn connect(addr: SocketAddr) -> WsClient {
        WsClient::connect_path(addr, "/echo")
    }

    /// Connects to `path` (such as `/game1`) and completes the opening
    /// handshake (no extensions).
    pub fn connect_path(addr: SocketAddr, path: &str) -> WsClient {
        let mut stream = TcpStream::connect(addr).unwrap();
        let request = ws_request(addr).replacen("/echo", path, 1);
        stream.write_all(request.as_bytes()).unwrap();
        let head = read_head(&mut stream);
        assert!(head.starts_with("HTTP/1.1 101"), "{head:?}");
        let machine =
            WsConnection::accepted_client(WsConfig::default(), None, SeededRandom::new(7));
        let local = stream.local_addr().unwrap();
        WsClient {
            stream,
            machine,
            local,
        }
    }

    /// Writes everything the machine queued.
    pub fn flush(&mut self) -> std::io::Result<()> {
        while let Some(bytes) = self.machine.poll_transmit() {
            self.stream.write_all(&bytes)?;
        }
        Ok(())
    }

    /// Reads until the next event (pings are answered, not returned);
    /// `None` on EOF, an error or after `bound`.
    pub fn next_event(&mut self, bound: Duration) -> Option<WsEvent> {
        let deadline = Instant::now() + bound;
        let mut buf = vec![0; 64 << 10];
        loop {
            while let Some(event) = self.machine.poll_event() {
                match event.ok()? {
                    WsEvent::Ping(_) => {}
                    event => return Some(event),
                }
            }
            self.flush().ok()?;
            let left = deadline.checked_duration_since(Instant::now())?;
            self.stream.set_read_timeout(Some(left)).unwrap();
            let n = self.stream.read(&mut buf).ok()?;
            if n == 0 {
                return None;
            }
            self.machine.handle_input(&buf[..n], Instant::now());
        }
    }

    /// Reads until the server's close frame, answers it, and returns it.
    pub fn close_frame(&mut self, bound: Duration) -> Option<CloseFrame> {
        loop {
            if let WsEvent::Close(frame) = self.next_event(bound)? {
                let _ = self.flush();
                return frame;
            }
        }
    }
}

/// Writes `chunk` to `stream` over and over from another thread until
/// `total` bytes went out or the connection fails; the thread's result, on
/// the returned channel, is the failure (or `None`) and how many bytes were
/// written.
pub fn write_in_background(
    mut stream: TcpStream,
    chunk: Vec<u8>,
    total: usize,
) -> Receiver<(Option<ErrorKind>, usize)> {
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        let mut written = 0;
        let failure = loop {
            if written >= total {
                break None;
            }
            let at = written % chunk.len();
            match stream.write(&chunk[at..]) {
                Ok(0) => break Some(ErrorKind::WriteZero),
                Ok(n) => written += n,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => break Some(e.kind()),
            }
        };
        let _ = tx.send((failure, written));
    });
    rx
}

/// Writes to `stream` until a write makes no progress for `stall` (the peer
/// stopped reading) or `max` bytes went out; returns how many did.
pub fn write_until_stalled(
    stream: &mut TcpStream,
    chunk: &[u8],
    max: usize,
    stall: Duration,
) -> usize {
    stream.set_write_timeout(Some(stall)).unwrap();
    let mut written = 0;
    while written < max {
        let at = written % chunk.len();
        match stream.write(&chunk[at..]) {
            Ok(n) => written += n,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(_) => break,
        }
    }
    written
}
