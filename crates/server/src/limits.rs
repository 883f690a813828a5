//! The limits and deadlines every server applies, with their defaults.

use std::time::Duration;

use wirestate_core::{DEFAULT_HANDSHAKE_TIMEOUT, DEFAULT_SEND_TIMEOUT};

/// How long the servers keep a connection without input before closing it
/// (Erlang's classic 120 s).
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(120);

/// How long a graceful shutdown waits for goodbyes to be written (and
/// answered) before connections are dropped.
pub const DRAIN_TIMEOUT: Duration = Duration::from_secs(5);

/// The default number of connections a server serves at once.
pub const MAX_CONNECTIONS: usize = 1024;

/// The default server-wide memory budget for buffered input and queued
/// output: 256 MiB.
pub const MEMORY_BUDGET: usize = 256 << 20;

/// The limits and deadlines of one server: the `serve` modes' flags
/// `--idle-timeout`, `--handshake-timeout`, `--send-timeout`,
/// `--max-connections` and `--memory-budget`.
///
/// A server's worst-case memory is about `memory_budget` plus
/// `max_connections` times its fixed cost per connection (the machine,
/// the driver and a task: a few KiB; each server documents its own), plus
/// one read per connection that was reading when the budget ran out.
///
/// ```
/// use std::time::Duration;
/// use wirestate_server::ServerLimits;
///
/// let limits = ServerLimits { max_connections: 100, ..ServerLimits::default() };
/// assert_eq!(limits.send_timeout, Some(Duration::from_secs(30)));
/// ```
#[derive(Debug, Clone)]
pub struct ServerLimits {
    /// Close a connection after this long without input (`None`: never).
    pub idle_timeout: Option<Duration>,
    /// The opening handshake must complete within this (`None`: no limit).
    pub handshake_timeout: Option<Duration>,
    /// Close a connection whose peer takes none of the queued bytes for
    /// this long (`None`: wait forever).
    pub send_timeout: Option<Duration>,
    /// How long a graceful shutdown waits for goodbyes.
    pub drain_timeout: Duration,
    /// Connections served at once; more are refused.
    pub max_connections: usize,
    /// Bytes of buffered input and queued output of all connections
    /// together (see [`MemoryBudget`](wirestate_tokio::MemoryBudget)).
    pub memory_budget: usize,
}

impl Default for ServerLimits {
    fn default() -> Self {
        ServerLimits {
            idle_timeout: Some(IDLE_TIMEOUT),
            handshake_timeout: Some(DEFAULT_HANDSHAKE_TIMEOUT),
            send_timeout: Some(DEFAULT_SEND_TIMEOUT),
            drain_timeout: DRAIN_TIMEOUT,
            max_connections: MAX_CONNECTIONS,
            memory_budget: MEMORY_BUDGET,
        }
    }
}
