//! TLS by composition (feature `tls`): a rustls [`StreamOwned`] over any
//! [`Transport`] is a [`Transport`] too, so the driver runs a machine on it
//! like on a `TcpStream`.
//!
//! [`connect`] and [`accept`] run the TLS handshake within a timeout; the
//! caller supplies the trust (a `rustls::ClientConfig` with its roots, a
//! `rustls::ServerConfig` with a certificate chain and key; build them with
//! the `ring` provider, as `rustls::ClientConfig::builder_with_provider`
//! does).

use std::io;
use std::ops::{Deref, DerefMut};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub use rustls;
use rustls::pki_types::ServerName;
use rustls::{ClientConnection, ConnectionCommon, ServerConnection, SideData, StreamOwned};

use crate::Transport;

/// A TLS client session over `T`, as [`connect`] returns it.
pub type ClientTlsStream<T> = StreamOwned<ClientConnection, T>;
/// A TLS server session over `T`, as [`accept`] returns it.
pub type ServerTlsStream<T> = StreamOwned<ServerConnection, T>;

impl<C, T, S> Transport for StreamOwned<C, T>
where
    C: DerefMut + Deref<Target = ConnectionCommon<S>>,
    T: Transport,
    S: SideData,
{
    fn set_read_timeout(&mut self, timeout: Option<Duration>) -> io::Result<()> {
        self.sock.set_read_timeout(timeout)
    }

    fn set_write_timeout(&mut self, timeout: Option<Duration>) -> io::Result<()> {
        self.sock.set_write_timeout(timeout)
    }

    /// Sends TLS `close_notify`, writes what rustls holds, then closes the
    /// socket's sending direction.
    fn shutdown_write(&mut self) -> io::Result<()> {
        self.conn.send_close_notify();
        while self.conn.wants_write() {
            self.conn.write_tls(&mut self.sock)?;
        }
        self.sock.flush()?;
        self.sock.shutdown_write()
    }
}

/// Runs the client side of the TLS handshake on `sock`, checking the
/// server's certificate for `host` (a DNS name or an IP address) against
/// `config`'s roots, within `timeout`. Then run a machine on the result
/// with [`Connection::new`](crate::Connection::new).
///
/// # Errors
///
/// [`InvalidInput`](io::ErrorKind::InvalidInput) for a host that is no
/// server name, [`TimedOut`](io::ErrorKind::TimedOut) after `timeout`, and
/// the handshake's error (an untrusted certificate, say).
pub fn connect<T: Transport>(
    config: Arc<rustls::ClientConfig>,
    host: &str,
    sock: T,
    timeout: Duration,
) -> io::Result<ClientTlsStream<T>> {
    let name = ServerName::try_from(host.to_owned())
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, format!("{host:?}: {e}")))?;
    let conn = ClientConnection::new(config, name).map_err(io::Error::other)?;
    handshake(StreamOwned::new(conn, sock), timeout)
}

/// Runs the server side of the TLS handshake on `sock` within `timeout`.
///
/// # Errors
///
/// [`TimedOut`](io::ErrorKind::TimedOut) after `timeout`, and the
/// handshake's error (a client that speaks no TLS, say).
pub fn accept<T: Transport>(
    config: Arc<rustls::ServerConfig>,
    sock: T,
    timeout: Duration,
) -> io::Result<ServerTlsStream<T>> {
    let conn = ServerConnection::new(config).map_err(io::Error::other)?;
    handshake(StreamOwned::new(conn, sock), timeout)
}

/// Completes the handshake of `stream` by `timeout`, then clears the
/// socket's timeouts (the driver sets its own).
fn handshake<C, T, S>(
    mut stream: StreamOwned<C, T>,
    timeout: Duration,
) -> io::Result<StreamOwned<C, T>>
where
    C: DerefMut + Deref<Target = ConnectionCommon<S>>,
    T: Transport,
    S: SideData,
{
    let deadline = Instant::now() + timeout;
    let timed_out = || {
        io::Error::new(
            io::ErrorKind::TimedOut,
            format!("TLS handshake: no answer within {timeout:?}"),
        )
    };
    while stream.conn.is_handshaking() {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(timed_out());
        }
        stream.sock.set_read_timeout(Some(left))?;
        stream.sock.set_write_timeout(Some(left))?;
        match stream.conn.complete_io(&mut stream.sock) {
            Ok((0, 0)) if stream.conn.is_handshaking() && !stream.conn.wants_write() => {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "TLS handshake: the peer closed the connection",
                ));
            }
            Ok(_) => {}
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                return Err(timed_out())
            }
            Err(e) => return Err(e),
        }
    }
    while stream.conn.wants_write() {
        stream.conn.write_tls(&mut stream.sock)?;
    }
    stream.sock.set_read_timeout(None)?;
    stream.sock.set_write_timeout(None)?;
    Ok(stream)
}
