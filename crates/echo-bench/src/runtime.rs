//! The one tokio runtime configuration that every echo server and the load
//! client use.

use std::io;

use tokio::runtime::{Builder, Runtime};

/// A tokio runtime with `threads` worker threads and IO and time enabled:
/// `current_thread` for one thread (the servers' setting: one core each,
/// no cross-thread wake-ups), `multi_thread` for more.
///
/// # Errors
///
/// The IO error of the runtime's creation (out of threads or file
/// descriptors).
pub fn build(threads: usize) -> io::Result<Runtime> {
    if threads <= 1 {
        Builder::new_current_thread().enable_all().build()
    } else {
        Builder::new_multi_thread()
            .worker_threads(threads)
            .enable_all()
            .build()
    }
}
