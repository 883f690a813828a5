//! What every `serve` mode shares: the limit flags, binding and announcing
//! the address, SIGINT/SIGTERM, the accept loop, and a task per connection
//! that hands each event to the mode's handler, says goodbye on shutdown and
//! logs how the connection ends.

mod args;
mod command;
mod gateway;
mod refuse;
mod signals;
pub(crate) mod websocket;
mod ws_conn;

use std::fmt::Display;
use std::io::{self, Write};
use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use wirestate_core::{IdleTimeout, Machine};
use wirestate_server::{
    serve_connections, Admission, BoxStream, ServerLimits, Shutdown, WrapStream,
};
use wirestate_tokio::tls::TlsAcceptor;
use wirestate_tokio::{Connection, MemoryBudget};

pub(crate) use args::{parse_bytes, LimitArgs, TlsArgs};
pub(crate) use command::{main, ServeCommand};
pub(crate) use refuse::Refusal;

/// What a serve mode does with one event of a connection: `Ok(None)` when
/// it is handled (bytes it queued on the machine are written by the
/// driver), `Ok(Some(command))` to send `command` through the driver and
/// flush, `Err` to log "cannot echo" and end the connection.
pub(crate) type Handler<M, E> =
    fn(&mut M, SocketAddr, <M as Machine>::Event) -> Result<Option<<M as Machine>::Command>, E>;

/// An idle timeout of a century: [`IdleTimeout`] always runs a clock, so
/// `--idle-timeout 0` (off) gives it one that never fires.
const NEVER: Duration = Duration::from_secs(100 * 365 * 24 * 3600);

/// A bound server, before it accepts: where it listens, its limits, its
/// memory budget, and the shutdown signal SIGINT/SIGTERM fire.
pub(crate) struct Serving {
    /// The bound listener.
    pub(crate) listener: TcpListener,
    /// The flags' limits.
    pub(crate) limits: ServerLimits,
    /// One budget for all connections ([`ServerLimits::memory_budget`]).
    pub(crate) budget: MemoryBudget,
    /// Fires on the first SIGINT or SIGTERM.
    pub(crate) shutdown: Shutdown,
    /// Serve over TLS with this acceptor (`--tls-cert`, `--tls-key`).
    pub(crate) tls: Option<TlsAcceptor>,
}

/// Starts a server: installs the SIGINT/SIGTERM handlers, binds `listen`
/// and tells whoever started the server where it listens: one stdout line
/// `LISTENING <ip>:<port>`, such as `LISTENING 127.0.0.1:8080` (the tests
/// and scripts wait for it).
///
/// # Errors
///
/// When the signal handlers cannot be installed, or binding or printing
/// fails.
pub(crate) async fn start(listen: SocketAddr, limits: ServerLimits) -> io::Result<Serving> {
    start_with(listen, limits, false).await
}

/// [`start`], with SO_REUSEPORT on the listener when `reuse_port`.
///
/// # Errors
///
/// As [`start`]; with `reuse_port` on a platform without SO_REUSEPORT,
/// [`io::ErrorKind::Unsupported`].
pub(crate) async fn start_with(
    listen: SocketAddr,
    limits: ServerLimits,
    reuse_port: bool,
) -> io::Result<Serving> {
    let shutdown = signals::shutdown_on_signals()?;
    let listener = if reuse_port {
        bind_reuse_port(listen)?
    } else {
        TcpListener::bind(listen).await?
    };
    let local = listener.local_addr()?;
    let mut stdout = io::stdout().lock();
    writeln!(stdout, "LISTENING {local}")?;
    stdout.flush()?;
    Ok(Serving {
        listener,
        budget: MemoryBudget::new(limits.memory_budget),
        limits,
        shutdown,
        tls: None,
    })
}

/// A listener on `listen` with SO_REUSEPORT (and SO_REUSEADDR, as
/// `TcpListener::bind` sets on unix).
#[cfg(all(unix, not(target_os = "solaris"), not(target_os = "illumos")))]
fn bind_reuse_port(listen: SocketAddr) -> io::Result<TcpListener> {
    let socket = match listen {
        SocketAddr::V4(_) => tokio::net::TcpSocket::new_v4()?,
        SocketAddr::V6(_) => tokio::net::TcpSocket::new_v6()?,
    };
    socket.set_reuseaddr(true)?;
    socket.set_reuseport(true)?;
    socket.bind(listen)?;
    socket.listen(1024)
}

/// SO_REUSEPORT is not available here.
#[cfg(not(all(unix, not(target_os = "solaris"), not(target_os = "illumos"))))]
fn bind_reuse_port(_listen: SocketAddr) -> io::Result<TcpListener> {
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        "--reuse-port needs SO_REUSEPORT (unix)",
    ))
}

/// What each accepted socket becomes: with `tls`, a TLS session whose
/// handshake must complete within the handshake timeout (a client that
/// fails it is logged and closed); without, the socket itself.
pub(crate) fn wrap_stream(tls: Option<TlsAcceptor>, limits: &ServerLimits) -> WrapStream {
    let Some(acceptor) = tls else {
        return wirestate_server::plain();
    };
    let timeout = limits.handshake_timeout.unwrap_or(NEVER);
    std::sync::Arc::new(move |socket| {
        let acceptor = acceptor.clone();
        Box::pin(async move {
            let stream = wirestate_tokio::tls::accept(&acceptor, socket, timeout).await?;
            Ok(Box::new(stream) as BoxStream)
        })
    })
}

/// `machine` with the idle timeout and send timeout of `limits`, counted
/// from now.
pub(crate) fn with_idle_timeout<M: Machine>(machine: M, limits: &ServerLimits) -> IdleTimeout<M> {
    let idle = limits.idle_timeout.unwrap_or(NEVER);
    IdleTimeout::new(machine, idle, wirestate_tokio::now()).with_send_timeout(limits.send_timeout)
}

/// Serves until SIGINT/SIGTERM, then lets every connection say goodbye
/// within the drain timeout: every admitted connection gets a machine from
/// `machine` and its own task, which passes each event to `handler` (see
/// [`Handler`]); connections past the limits get `refusal`. With
/// `nodelay`, Nagle's algorithm is off on every connection.
///
/// # Errors
///
/// Only when the listener's address cannot be read: accept errors are
/// logged and the server goes on.
pub(crate) async fn run<M, E>(
    serving: Serving,
    nodelay: bool,
    refusal: Refusal,
    machine: impl Fn() -> M,
    handler: Handler<M, E>,
) -> io::Result<()>
where
    M: Machine + Send + 'static,
    M::Event: Send,
    M::Command: Send,
    M::Error: Send,
    E: Display + Send + 'static,
{
    let Serving {
        listener,
        limits,
        budget,
        shutdown,
        tls,
    } = serving;
    let drain = limits.drain_timeout;
    let wrap = wrap_stream(tls, &limits);
    let accept = |stream: TcpStream, peer: SocketAddr, admission: Admission| {
        let admitted = match admission {
            Admission::Admitted(slot) => Some((slot, machine())),
            Admission::Refused => None,
        };
        let budget = budget.clone();
        let shutdown = shutdown.clone();
        let wrap = wrap.clone();
        async move {
            if nodelay {
                let _ = stream.set_nodelay(true);
            }
            let Some((slot, machine)) = admitted else {
                return refusal.refuse(stream, peer).await;
            };
            let stream = match wrap(stream).await {
                Ok(stream) => stream,
                Err(error) => return tracing::info!(%peer, %error, "TLS handshake failed"),
            };
            let conn = Connection::new(stream, machine)
                .with_memory_budget(budget)
                .with_drain_timeout(drain);
            connection(conn, peer, handler, shutdown, drain).await;
            drop(slot);
        }
    };
    serve_connections(listener, &limits, &budget, shutdown.clone(), accept).await
}

/// How [`serve_events`] ended.
enum End {
    /// The connection ended by itself (or failed): flush what is left.
    Closed,
    /// The server is shutting down: say goodbye.
    Shutdown,
}

/// One connection, from "connected" to "closed".
async fn connection<M, E>(
    mut conn: Connection<M, BoxStream>,
    peer: SocketAddr,
    handler: Handler<M, E>,
    mut shutdown: Shutdown,
    drain: Duration,
) where
    M: Machine,
    E: Display,
{
    tracing::info!(%peer, "connected");
    let end = serve_events(&mut conn, peer, handler, &mut shutdown).await;
    let finished = match end {
        End::Shutdown => conn.shutdown(drain).await,
        End::Closed => tokio::select! {
            finished = conn.flush() => finished,
            () = shutdown.triggered() => conn.shutdown(drain).await,
        },
    };
    if let Err(error) = finished {
        tracing::debug!(%peer, %error, "the last flush failed");
    }
    tracing::info!(%peer, "closed");
}

/// Passes each event of `conn` to `handler` until the connection ends or
/// `shutdown` fires.
async fn serve_events<M, E>(
    conn: &mut Connection<M, BoxStream>,
    peer: SocketAddr,
    handler: Handler<M, E>,
    shutdown: &mut Shutdown,
) -> End
where
    M: Machine,
    E: Display,
{
    loop {
        let event = tokio::select! {
            () = shutdown.triggered() => return End::Shutdown,
            event = conn.next_event() => event,
        };
        let event = match event {
            Some(Ok(event)) => event,
            Some(Err(error)) => {
                tracing::info!(%peer, %error, "connection ended");
                return End::Closed;
            }
            None => return End::Closed,
        };
        let handled = match handler(conn.machine_mut(), peer, event) {
            Ok(Some(command)) => tokio::select! {
                () = shutdown.triggered() => return End::Shutdown,
                sent = conn.send(command) => sent.map_err(|e| e.to_string()),
            },
            Ok(None) => Ok(()),
            Err(error) => Err(error.to_string()),
        };
        if let Err(error) = handled {
            tracing::warn!(%peer, %error, "cannot echo");
            return End::Closed;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use wirestate_length::{LengthCommand, LengthConfig, LengthConnection, LengthEvent};
    use wirestate_server::ShutdownTrigger;

    /// Echoes frames as commands; a frame "stop" is refused.
    fn echo(
        _: &mut LengthConnection,
        _: SocketAddr,
        event: LengthEvent,
    ) -> Result<Option<LengthCommand>, &'static str> {
        match event {
            LengthEvent::Frame(frame) if frame == "stop" => Err("refused"),
            LengthEvent::Frame(frame) => Ok(Some(LengthCommand::Send(frame))),
            LengthEvent::Oversize { .. } => Ok(None),
        }
    }

    /// An echo server with `limits`, and the trigger that stops it.
    async fn start(limits: ServerLimits) -> (SocketAddr, ShutdownTrigger) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (trigger, shutdown) = Shutdown::new();
        let serving = Serving {
            listener,
            budget: MemoryBudget::new(limits.memory_budget),
            limits,
            shutdown,
            tls: None,
        };
        let machine = || LengthConnection::new(LengthConfig::erlang(2));
        tokio::spawn(run(serving, true, Refusal::Close, machine, echo));
        (addr, trigger)
    }

    #[tokio::test]
    async fn each_connection_is_served_by_the_handler() {
        let (addr, _trigger) = start(ServerLimits::default()).await;
        let mut first = TcpStream::connect(addr).await.unwrap();
        let mut second = TcpStream::connect(addr).await.unwrap();
        second.write_all(b"\x00\x03two").await.unwrap();
        first.write_all(b"\x00\x03one").await.unwrap();
        let mut echoed = [0; 5];
        first.read_exact(&mut echoed).await.unwrap();
        assert_eq!(&echoed, b"\x00\x03one");
        second.read_exact(&mut echoed).await.unwrap();
        assert_eq!(&echoed, b"\x00\x03two");
    }

    #[tokio::test]
    async fn a_handler_error_ends_only_its_connection() {
        let (addr, _trigger) = start(ServerLimits::default()).await;
        let mut refused = TcpStream::connect(addr).await.unwrap();
        refused.write_all(b"\x00\x04stop\x00\x02hi").await.unwrap();
        let mut rest = Vec::new();
        refused.read_to_end(&mut rest).await.unwrap();
        assert!(rest.is_empty(), "{rest:?}");

        let mut other = TcpStream::connect(addr).await.unwrap();
        other.write_all(b"\x00\x02ok").await.unwrap();
        let mut echoed = [0; 4];
        other.read_exact(&mut echoed).await.unwrap();
        assert_eq!(Bytes::copy_from_slice(&echoed), "\x00\x02ok");
    }

    #[tokio::test]
    async fn past_the_maximum_connections_are_closed_at_once() {
        let limits = ServerLimits {
            max_connections: 1,
            ..ServerLimits::default()
        };
        let (addr, _trigger) = start(limits).await;
        let mut served = TcpStream::connect(addr).await.unwrap();
        served.write_all(b"\x00\x01a").await.unwrap();
        let mut echoed = [0; 3];
        served.read_exact(&mut echoed).await.unwrap();

        let mut refused = TcpStream::connect(addr).await.unwrap();
        let mut rest = Vec::new();
        let read = tokio::time::timeout(Duration::from_secs(5), refused.read_to_end(&mut rest));
        // Closed without a byte (EOF, or a reset if our bytes were unread).
        assert!(!matches!(read.await.expect("closed in time"), Ok(n) if n > 0));
    }

    #[tokio::test]
    async fn shutdown_closes_the_connections_and_ends_the_server() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (trigger, shutdown) = Shutdown::new();
        let limits = ServerLimits::default();
        let serving = Serving {
            listener,
            budget: MemoryBudget::new(limits.memory_budget),
            limits,
            shutdown,
            tls: None,
        };
        let machine = || LengthConnection::new(LengthConfig::erlang(2));
        let server = tokio::spawn(run(serving, true, Refusal::Close, machine, echo));
        let mut client = TcpStream::connect(addr).await.unwrap();
        client.write_all(b"\x00\x01a").await.unwrap();
        let mut echoed = [0; 3];
        client.read_exact(&mut echoed).await.unwrap();

        trigger.trigger();
        let mut rest = Vec::new();
        let read = tokio::time::timeout(Duration::from_secs(5), client.read_to_end(&mut rest));
        assert_eq!(read.await.expect("closed in time").unwrap(), 0);
        // A client closes on EOF; until then the server lingers (reading).
        drop(client);
        tokio::time::timeout(Duration::from_secs(5), server)
            .await
            .expect("the server ends")
            .unwrap()
            .unwrap();
    }
}
