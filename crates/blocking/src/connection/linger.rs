//! The lingering close, as in the tokio driver: after the write side is
//! shut down, what the peer still sends is read and dropped until its EOF.

use std::io;
use std::time::Instant;

use wirestate_core::Machine;

use super::Connection;
use crate::Transport;

impl<M: Machine, S: Transport> Connection<M, S> {
    /// Reads and drops what the peer still sends until its EOF, a read
    /// error, or the drain deadline (without one it does not wait). Closing a socket with unread input
    /// makes the kernel send a reset, which can destroy what the peer has
    /// received but not read yet (the last media of a stream, a close
    /// frame). Nothing here is an error: what we had to say was written.
    pub(super) fn linger(&mut self) {
        let Some(drain) = self.drain else {
            return;
        };
        let mut scratch = [0u8; 2048];
        loop {
            let now = Instant::now();
            if drain <= now {
                return;
            }
            let timeout = Some(drain - now);
            if self.stream.set_read_timeout(timeout).is_err() {
                return;
            }
            self.read_timeout = Some(timeout);
            match self.stream.read(&mut scratch) {
                Ok(0) => return,
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                // The drain deadline passed, or the transport failed.
                Err(_) => return,
            }
        }
    }
}
