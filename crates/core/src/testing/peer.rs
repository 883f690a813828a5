//! Real peer programs for the `peer_*` suites (feature `testing`).
//!
//! A peer is started from one of the project's scripts in the workspace's
//! `tests/peers/` (installed by `scripts/peer-tests.sh`), listens on
//! 127.0.0.1, and announces itself with one stdout line `LISTENING <port>`
//! (or `LISTENING <ip>:<port>`, as `wirestate serve` does).
//! It is stopped by PID (never by name) when its [`Peer`] is dropped.
//!
//! Every program runs with the workspace root as its working directory, so a
//! suite in any crate names the scripts the same way,
//! `tests/peers/<script>`.
//!
//! ```no_run
//! use std::net::TcpStream;
//! use std::time::Duration;
//! use wirestate_core::testing::peer::Peer;
//!
//! let peer = Peer::start("escript", &["tests/peers/lines_echo.escript"]);
//! let socket = TcpStream::connect(peer.addr).unwrap();
//! // ... talk to the peer, then read what it reported:
//! let report = peer.next_line(Duration::from_secs(10));
//! # drop((socket, report));
//! // Dropping `peer` kills exactly that process.
//! ```

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::Duration;

/// The Erlang `gen_tcp` `{packet,N}` client escript run by [`erlang_client`].
pub const ERLANG_CLIENT: &str = "tests/peers/erlang_client.escript";

/// The workspace root (where `scripts/` and `tests/peers/` live), found from
/// any crate of the workspace.
///
/// Starts at the manifest directory of the package under test (cargo sets
/// `CARGO_MANIFEST_DIR` when it runs a test; else this crate's own directory)
/// and walks up to the first directory whose `Cargo.toml` declares
/// `[workspace]`.
///
/// # Panics
///
/// If no such directory is found: the peer scripts cannot be located.
pub fn root() -> PathBuf {
    let start = std::env::var_os("CARGO_MANIFEST_DIR")
        .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")), PathBuf::from);
    start
        .ancestors()
        .find(|dir| declares_workspace(dir))
        .unwrap_or_else(|| panic!("no workspace Cargo.toml above {}", start.display()))
        .to_path_buf()
}

fn declares_workspace(dir: &Path) -> bool {
    std::fs::read_to_string(dir.join("Cargo.toml"))
        .is_ok_and(|manifest| manifest.lines().any(|l| l.trim() == "[workspace]"))
}

/// A running peer process, killed (by PID) when dropped.
pub struct Peer {
    child: Child,
    /// Where the peer listens (always on 127.0.0.1).
    pub addr: SocketAddr,
    /// Every stdout line after `LISTENING`, collected by a background thread.
    lines: Receiver<String>,
}

impl Peer {
    /// Runs `program args...` from the workspace [`root`] and waits for its
    /// `LISTENING <port>` line.
    ///
    /// # Panics
    ///
    /// If the program cannot be started or exits before announcing its port:
    /// a peer test without its peer fails, it never skips.
    pub fn start(program: &str, args: &[&str]) -> Peer {
        let mut child = Command::new(program)
            .args(args)
            .current_dir(root())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start peer {program} {args:?}: {e}"));
        let stdout = child.stdout.take().expect("piped stdout");
        let mut reader = BufReader::new(stdout);
        let port = loop {
            let mut line = String::new();
            let n = reader.read_line(&mut line).expect("read peer stdout");
            if n == 0 {
                let status = child.wait().ok();
                panic!("peer {program} {args:?} exited before LISTENING ({status:?})");
            }
            if let Some(port) = listening_port(&line) {
                break port;
            }
        };
        let (tx, rx) = channel();
        std::thread::spawn(move || {
            for line in reader.lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Peer {
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
            lines: rx,
        }
    }

    /// The next stdout line of the peer, waiting up to `timeout` for it;
    /// `None` if none came in time or the peer closed its stdout.
    pub fn next_line(&self, timeout: Duration) -> Option<String> {
        self.lines.recv_timeout(timeout).ok()
    }

    /// The PID, for logs.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        // Stop by PID: Child::kill signals exactly this process.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The port of a `LISTENING <port>` or `LISTENING <ip>:<port>` line (the
/// `wirestate serve` modes name the address too); `None` for other lines.
///
/// # Panics
///
/// If the line starts with `LISTENING ` but names no port.
pub fn listening_port(line: &str) -> Option<u16> {
    let rest = line.trim().strip_prefix("LISTENING ")?;
    let port = rest.rsplit_once(':').map_or(rest, |(_, port)| port);
    Some(
        port.parse()
            .expect("LISTENING <port> or LISTENING <ip>:<port>"),
    )
}

/// The ports of every `LISTENING` line among `lines`, in order: `serve
/// gateway` announces its TCP listener, then its WebSocket listener.
///
/// ```
/// use wirestate_core::testing::peer::listening_ports;
///
/// let out = "LISTENING 127.0.0.1:7000\nLISTENING 127.0.0.1:7001\nready";
/// assert_eq!(listening_ports(out.lines()), [7000, 7001]);
/// ```
///
/// # Panics
///
/// As [`listening_port`], for a `LISTENING` line without a port.
pub fn listening_ports<'a>(lines: impl IntoIterator<Item = &'a str>) -> Vec<u16> {
    lines.into_iter().filter_map(listening_port).collect()
}

/// Runs the Erlang `gen_tcp` `{packet,header}` client ([`ERLANG_CLIENT`])
/// against our echo server on 127.0.0.1:`port` and returns its stdout lines.
///
/// The client sends a frame of each size in `sizes` and waits for each echo
/// (one `ECHOED <size>` line each), then sends the frames of up to 64 KiB
/// pipelined (`PIPELINED <count>`), closes, and prints `DONE`: see
/// [`erlang_client_expected`]. Byte `i` of every frame is `i % 251`.
///
/// # Panics
///
/// If `escript` cannot be run or the client exits unsuccessfully (a wrong
/// echo, a closed connection): the panic message holds its stdout.
pub fn erlang_client(header: u8, port: u16, sizes: &[usize]) -> Vec<String> {
    let header = header.to_string();
    let port = port.to_string();
    let sizes: Vec<String> = sizes.iter().map(usize::to_string).collect();
    let mut args = vec![ERLANG_CLIENT, header.as_str(), port.as_str()];
    args.extend(sizes.iter().map(String::as_str));
    let output = Command::new("escript")
        .args(&args)
        .current_dir(root())
        .output()
        .expect("run the Erlang client escript");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(output.status.success(), "Erlang client failed: {stdout}");
    stdout.lines().map(str::to_owned).collect()
}

/// The stdout lines of a successful [`erlang_client`] run with `sizes`.
pub fn erlang_client_expected(sizes: &[usize]) -> Vec<String> {
    let mut lines: Vec<String> = sizes.iter().map(|s| format!("ECHOED {s}")).collect();
    let small = sizes.iter().filter(|&&s| s <= 65536).count();
    lines.push(format!("PIPELINED {small}"));
    lines.push("DONE".to_owned());
    lines
}

#[cfg(test)]
mod tests {
    use super::listening_port;

    #[test]
    fn the_listening_line_names_a_port_with_or_without_the_address() {
        assert_eq!(listening_port("LISTENING 4000\n"), Some(4000));
        assert_eq!(listening_port("LISTENING 127.0.0.1:8080"), Some(8080));
        assert_eq!(listening_port("LISTENING [::1]:9"), Some(9));
        assert_eq!(listening_port("ready"), None);
    }
}
