//! Starting and stopping real peer programs for the `peer_*` tests.
//!
//! A peer is started from a script of this project, listens on 127.0.0.1,
//! and announces itself with one stdout line `LISTENING <port>`. It is stopped
//! by PID (never by name) when the [`Peer`] is dropped.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

/// A running peer process.
pub struct Peer {
    child: Child,
    /// Where the peer listens (always on 127.0.0.1).
    pub addr: SocketAddr,
    /// Every stdout line after `LISTENING`, collected by a background thread.
    lines: std::sync::mpsc::Receiver<String>,
}

/// The project root (where `scripts/` lives).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

impl Peer {
    /// Runs `program args...` from the project root and waits for its
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
            if let Some(port) = line.trim().strip_prefix("LISTENING ") {
                break port.parse::<u16>().expect("LISTENING <port>");
            }
        };
        let (tx, rx) = std::sync::mpsc::channel();
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

    /// The next stdout line of the peer, waiting up to `timeout` for it.
    pub fn next_line(&self, timeout: std::time::Duration) -> Option<String> {
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
