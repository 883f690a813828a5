//! One bounded wait, for the steps before a machine runs (TCP connect, TLS
//! handshake): the machines bound what comes after.

use std::fmt;
use std::future::Future;
use std::io;
use std::time::Duration;

/// `future`, or a `TimedOut` error naming `what` after `timeout`.
pub(crate) async fn bounded<T>(
    timeout: Duration,
    what: impl fmt::Display,
    future: impl Future<Output = io::Result<T>>,
) -> io::Result<T> {
    match tokio::time::timeout(timeout, future).await {
        Ok(result) => result,
        Err(_) => Err(io::Error::new(
            io::ErrorKind::TimedOut,
            format!("{what}: no answer within {timeout:?}"),
        )),
    }
}
