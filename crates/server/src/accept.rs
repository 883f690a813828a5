//! The accept loop every server shares: resilient to accept errors, bounded
//! in connections and memory, and graceful on shutdown.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use wirestate_tokio::MemoryBudget;

use crate::{ServerLimits, Shutdown};

/// The first pause after an accept error; it doubles on each further error
/// up to [`MAX_ACCEPT_BACKOFF`] and resets after a successful accept.
pub const MIN_ACCEPT_BACKOFF: Duration = Duration::from_millis(10);

/// The longest pause between accept attempts after errors.
pub const MAX_ACCEPT_BACKOFF: Duration = Duration::from_secs(1);

/// How many refused connections may be in the middle of their refusal (a
/// short HTTP 503, say) at once; past it, they are closed at once.
const MAX_REFUSING: usize = 64;

/// Whether a new connection is served or refused.
#[derive(Debug)]
pub enum Admission {
    /// Served: it holds one of the server's connection slots until the
    /// task ends.
    Admitted(ConnectionSlot),
    /// Refused, because the server holds its maximum of connections or its
    /// memory budget is spent. Say so briefly if the protocol can (an HTTP
    /// 503), then close; do not read from the peer.
    Refused,
}

/// One of the server's [`ServerLimits::max_connections`] slots, given back
/// when dropped.
#[derive(Debug)]
pub struct ConnectionSlot {
    _permit: OwnedSemaphorePermit,
}

/// Accepts connections on `listener` until `shutdown` fires, and runs
/// `connection(stream, peer, admission)` for each on its own task.
///
/// - Accept errors (a full file-descriptor table, an aborted connection ...)
///   are logged and accepting pauses, from [`MIN_ACCEPT_BACKOFF`] doubling
///   to [`MAX_ACCEPT_BACKOFF`]; the server goes on.
/// - Past [`ServerLimits::max_connections`] open connections, or while
///   `budget` is spent, new connections are [`Admission::Refused`].
/// - Once `shutdown` fires, the listener closes and the loop waits for the
///   admitted connections to finish (they hear the same signal), at most
///   [`ServerLimits::drain_timeout`] plus one second, then returns.
///
/// The connection tasks must finish by themselves after the signal: give
/// each a clone of `shutdown` and let it say goodbye (the tokio driver's
/// `Connection::shutdown` does that within a drain deadline).
///
/// # Errors
///
/// Only when the listener's address cannot be read at the start: accept
/// errors never end the loop.
pub async fn serve_connections<F, Fut>(
    listener: TcpListener,
    limits: &ServerLimits,
    budget: &MemoryBudget,
    mut shutdown: Shutdown,
    mut connection: F,
) -> io::Result<()>
where
    F: FnMut(TcpStream, SocketAddr, Admission) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let local = listener.local_addr()?;
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let refusing = Arc::new(Semaphore::new(MAX_REFUSING));
    let mut backoff = MIN_ACCEPT_BACKOFF;
    loop {
        let accepted = tokio::select! {
            () = shutdown.triggered() => break,
            accepted = listener.accept() => accepted,
        };
        let (stream, peer) = match accepted {
            Ok(accepted) => {
                backoff = MIN_ACCEPT_BACKOFF;
                accepted
            }
            Err(error) => {
                tracing::warn!(%local, %error, pause = ?backoff, "accept failed");
                tokio::select! {
                    () = shutdown.triggered() => break,
                    () = tokio::time::sleep(backoff) => {}
                }
                backoff = (backoff * 2).min(MAX_ACCEPT_BACKOFF);
                continue;
            }
        };
        let slot = if budget.is_spent() {
            None
        } else {
            slots.clone().try_acquire_owned().ok()
        };
        match slot {
            Some(permit) => {
                let admitted = Admission::Admitted(ConnectionSlot { _permit: permit });
                tokio::spawn(connection(stream, peer, admitted));
            }
            None => {
                tracing::warn!(%peer, used = budget.used(), "connection refused: server full");
                if let Ok(permit) = refusing.clone().try_acquire_owned() {
                    let refusal = connection(stream, peer, Admission::Refused);
                    tokio::spawn(async move {
                        refusal.await;
                        drop(permit);
                    });
                }
            }
        }
    }
    drop(listener);
    tracing::info!(%local, "shutting down: waiting for connections");
    let all = u32::try_from(limits.max_connections).unwrap_or(u32::MAX);
    let drained = tokio::time::timeout(
        limits.drain_timeout + Duration::from_secs(1),
        slots.acquire_many(all),
    )
    .await;
    if drained.is_err() {
        let open = limits.max_connections - slots.available_permits();
        tracing::warn!(%local, open, "drain deadline passed with connections open");
    }
    Ok(())
}
