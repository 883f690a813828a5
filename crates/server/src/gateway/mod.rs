//! A gateway: TCP line publishers -> channels -> WebSocket subscribers.
//!
//! - Publishers connect to the TCP listener and send lines
//!   `<channel> <payload>\n` (up to [`GatewayConfig::max_line`] bytes; a
//!   longer line is discarded up to its end, with a logged error, and the
//!   connection goes on). Each payload is published on `channel`.
//! - Subscribers connect to `ws://<ws listener>/<channel>` and receive each
//!   payload of the channel as one frame: text when it is UTF-8, binary
//!   otherwise, in the order each publisher sent them. With
//!   [`GatewayConfig::auth_token`], the upgrade needs
//!   `Authorization: Bearer <token>` or `?token=<token>` (else 401).
//! - The [`Bus`] joins them: [`LocalBus`] in one process, [`RedisBus`]
//!   across processes.
//! - A subscriber more than [`GatewayConfig::subscriber_budget`] bytes
//!   behind is closed with 1008 ([`CLOSE_TOO_SLOW`]), and so is one with a
//!   backlog while the bus's [`Hub`] limit is reached (see
//!   [`LocalBus::with_limit`], [`RedisBus::start_with_limit`]); with the
//!   connections' shared memory budget and the connection limit, memory
//!   stays bounded. On
//!   shutdown, subscribers get a close 1001 and publishers are closed after
//!   their last complete line.
//!
//! ```no_run
//! use std::sync::Arc;
//! use tokio::net::TcpListener;
//! use wirestate_server::gateway::{self, GatewayConfig, LocalBus};
//! use wirestate_server::Shutdown;
//!
//! # #[tokio::main]
//! # async fn main() -> std::io::Result<()> {
//! let tcp = TcpListener::bind("127.0.0.1:7000").await?;
//! let ws = TcpListener::bind("127.0.0.1:7001").await?;
//! // `printf 'game1 hello\n' | nc 127.0.0.1 7000` reaches ws://127.0.0.1:7001/game1.
//! gateway::serve(tcp, ws, Arc::new(LocalBus::new()), GatewayConfig::default(), Shutdown::never()).await
//! # }
//! ```

mod bus;
mod local_bus;
mod redis_bus;
mod tcp;
mod ws;

#[cfg(test)]
mod tests;

use std::sync::Arc;
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use wirestate_tokio::MemoryBudget;

pub use bus::{Bus, Hub, Subscription};
pub use local_bus::LocalBus;
pub use redis_bus::{RedisBus, MAX_BACKOFF, MAX_OUTGOING, MIN_BACKOFF};
pub use tcp::{line_config, split_line};
pub use ws::{channel_of, subscriber_config, CLOSE_TOO_SLOW};

use crate::auth::AccessToken;
use crate::{serve_connections, Admission, ServerLimits, Shutdown};

/// The default longest line a publisher may send: 64 KiB.
pub const DEFAULT_MAX_LINE: usize = 64 << 10;
/// The default byte budget of one subscriber: 1 MiB behind at most.
pub const DEFAULT_SUBSCRIBER_BUDGET: usize = 1 << 20;
/// A timeout that never fires, for limits that are off.
const NEVER: Duration = Duration::from_secs(100 * 365 * 24 * 3600);
/// The shortest keepalive interval of subscribers.
const MIN_PING_INTERVAL: Duration = Duration::from_secs(1);
/// The longest keepalive interval of subscribers.
const MAX_PING_INTERVAL: Duration = Duration::from_secs(30);

/// The gateway's settings.
#[derive(Debug, Clone)]
pub struct GatewayConfig {
    /// Connections (publishers and subscribers together, per listener),
    /// deadlines and the shared memory budget.
    pub limits: ServerLimits,
    /// The longest line a publisher may send (without its `\n`).
    pub max_line: usize,
    /// Bytes of messages a subscriber may have queued and not written;
    /// past it, it is closed with [`CLOSE_TOO_SLOW`].
    pub subscriber_budget: usize,
    /// The token subscribers must present, if any (see
    /// [`auth::check_request`](crate::auth::check_request)).
    pub auth_token: Option<AccessToken>,
}

impl Default for GatewayConfig {
    fn default() -> Self {
        GatewayConfig {
            limits: ServerLimits::default(),
            max_line: DEFAULT_MAX_LINE,
            subscriber_budget: DEFAULT_SUBSCRIBER_BUDGET,
            auth_token: None,
        }
    }
}

/// What every connection task of the gateway shares.
#[derive(Clone)]
struct Gateway {
    bus: Arc<dyn Bus>,
    config: Arc<GatewayConfig>,
    budget: MemoryBudget,
    shutdown: Shutdown,
}

/// Serves publishers on `tcp` and subscribers on `ws`, joined by `bus`,
/// until `shutdown` fires and the connections drained (see the module
/// docs). Connections past [`ServerLimits::max_connections`] on either
/// listener are closed at once (subscribers get an HTTP 503).
///
/// # Errors
///
/// Only when a listener's address cannot be read: accept errors are logged
/// and the gateway goes on.
pub async fn serve(
    tcp: TcpListener,
    ws: TcpListener,
    bus: Arc<dyn Bus>,
    config: GatewayConfig,
    shutdown: Shutdown,
) -> std::io::Result<()> {
    let limits = config.limits.clone();
    let gateway = Gateway {
        bus,
        budget: MemoryBudget::new(limits.memory_budget),
        config: Arc::new(config),
        shutdown: shutdown.clone(),
    };
    let publishers = {
        let gateway = gateway.clone();
        move |stream: TcpStream, peer, admission| {
            let gateway = gateway.clone();
            async move {
                if let Admission::Admitted(slot) = admission {
                    tcp::publisher(stream, peer, gateway).await;
                    drop(slot);
                }
            }
        }
    };
    let subscribers = {
        let gateway = gateway.clone();
        move |stream: TcpStream, _peer, admission| {
            let gateway = gateway.clone();
            async move {
                match admission {
                    Admission::Admitted(slot) => {
                        ws::subscriber(stream, gateway).await;
                        drop(slot);
                    }
                    Admission::Refused => refuse(stream).await,
                }
            }
        }
    };
    let budget = gateway.budget.clone();
    let (tcp_done, ws_done) = tokio::join!(
        serve_connections(tcp, &limits, &budget, shutdown.clone(), publishers),
        serve_connections(ws, &limits, &budget, shutdown, subscribers),
    );
    tcp_done.and(ws_done)
}

/// Answers a refused subscriber with a short HTTP 503.
async fn refuse(mut stream: TcpStream) {
    use tokio::io::AsyncWriteExt;
    let answer =
        b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 5\r\nConnection: close\r\n\r\nfull\n";
    let write = async {
        stream.write_all(answer).await?;
        stream.shutdown().await
    };
    let _ = tokio::time::timeout(Duration::from_secs(2), write).await;
}
