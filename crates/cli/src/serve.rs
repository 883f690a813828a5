//! What every `serve` mode shares: binding and announcing the port, the
//! accept loop, and a task per connection that hands each event to the
//! mode's handler and logs how the connection ends.

use std::fmt::Display;
use std::io::{self, Write};
use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use wirestate_core::{IdleTimeout, Machine};
use wirestate_tokio::Connection;

/// How long the demo servers keep a connection without input (Erlang's
/// classic 120 s).
pub(crate) const IDLE_TIMEOUT: Duration = wirestate_server::IDLE_TIMEOUT;

/// What a serve mode does with one event of a connection: `Ok(None)` when
/// it is handled (bytes it queued on the machine are written by the
/// driver), `Ok(Some(command))` to send `command` through the driver and
/// flush, `Err` to log "cannot echo" and end the connection.
pub(crate) type Handler<M, E> =
    fn(&mut M, SocketAddr, <M as Machine>::Event) -> Result<Option<<M as Machine>::Command>, E>;

/// Binds `listen` and tells whoever started the server where it listens:
/// one stdout line `LISTENING <port>` (the peer tests wait for it).
pub(crate) async fn bind(listen: SocketAddr) -> io::Result<TcpListener> {
    let listener = TcpListener::bind(listen).await?;
    let port = listener.local_addr()?.port();
    let mut stdout = io::stdout().lock();
    writeln!(stdout, "LISTENING {port}")?;
    stdout.flush()?;
    Ok(listener)
}

/// `machine` with the demo servers' [`IDLE_TIMEOUT`], counted from now.
pub(crate) fn with_idle_timeout<M: Machine>(machine: M) -> IdleTimeout<M> {
    IdleTimeout::new(machine, IDLE_TIMEOUT, wirestate_tokio::now())
}

/// Serves on `listener` (see [`bind`]) until accepting fails: every
/// connection gets a machine from `machine` and its own task, which passes
/// each event to `handler` (see [`Handler`]). With `nodelay`, Nagle's
/// algorithm is off on every connection.
pub(crate) async fn run<M, E>(
    listener: TcpListener,
    nodelay: bool,
    machine: impl Fn() -> M,
    handler: Handler<M, E>,
) -> io::Result<()>
where
    M: Machine + Send + 'static,
    M::Event: Send,
    M::Command: Send,
    E: Display + Send + 'static,
{
    loop {
        let (stream, peer) = listener.accept().await?;
        if nodelay {
            stream.set_nodelay(true)?;
        }
        tokio::spawn(connection(stream, peer, machine(), handler));
    }
}

/// One connection, from "connected" to "closed".
async fn connection<M, E>(stream: TcpStream, peer: SocketAddr, machine: M, handler: Handler<M, E>)
where
    M: Machine,
    E: Display,
{
    tracing::info!(%peer, "connected");
    let mut conn = Connection::new(stream, machine);
    while let Some(event) = conn.next_event().await {
        let event = match event {
            Ok(event) => event,
            Err(error) => {
                tracing::info!(%peer, %error, "connection ended");
                break;
            }
        };
        let handled = match handler(conn.machine_mut(), peer, event) {
            Ok(Some(command)) => conn.send(command).await.map_err(|e| e.to_string()),
            Ok(None) => Ok(()),
            Err(error) => Err(error.to_string()),
        };
        if let Err(error) = handled {
            tracing::warn!(%peer, %error, "cannot echo");
            break;
        }
    }
    if let Err(error) = conn.flush().await {
        tracing::debug!(%peer, %error, "flush on close failed");
    }
    tracing::info!(%peer, "closed");
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use wirestate_length::{LengthCommand, LengthConfig, LengthConnection, LengthEvent};

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

    async fn start() -> SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let machine = || LengthConnection::new(LengthConfig::erlang(2));
        tokio::spawn(run(listener, true, machine, echo));
        addr
    }

    #[tokio::test]
    async fn each_connection_is_served_by_the_handler() {
        let addr = start().await;
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
        let addr = start().await;
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
}
