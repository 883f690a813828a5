use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::time::Duration;

/// A byte stream the blocking driver can run a machine on: `Read + Write`,
/// plus the two socket controls the driver needs.
///
/// Implemented for [`TcpStream`] and, on Unix, for
/// [`UnixStream`](std::os::unix::net::UnixStream). Implement it for your own
/// stream (a TLS session over a `TcpStream`, say) by forwarding to the socket
/// underneath.
pub trait Transport: Read + Write {
    /// Makes the next reads give up after `timeout` (`None`: wait forever)
    /// with an error of kind [`WouldBlock`](io::ErrorKind::WouldBlock) or
    /// [`TimedOut`](io::ErrorKind::TimedOut). The driver calls it before each
    /// read with the time left until the machine's deadline; it never passes
    /// a zero duration.
    ///
    /// # Errors
    ///
    /// The socket's error; the driver ends the connection with it.
    fn set_read_timeout(&mut self, timeout: Option<Duration>) -> io::Result<()>;

    /// Makes the next writes give up after `timeout` (`None`: wait forever),
    /// like [`set_read_timeout`](Transport::set_read_timeout) for reads. The
    /// driver calls it before writing with the time left until the
    /// machine's deadline (its send timeout), so a peer that stops reading
    /// cannot block a write forever.
    ///
    /// The default does nothing: writes on such a transport block until
    /// the peer takes the bytes.
    ///
    /// # Errors
    ///
    /// The socket's error; the driver ends the connection with it.
    fn set_write_timeout(&mut self, timeout: Option<Duration>) -> io::Result<()> {
        let _ = timeout;
        Ok(())
    }

    /// Closes the sending direction, so the peer reads EOF once it has every
    /// byte written before.
    ///
    /// # Errors
    ///
    /// The socket's error; [`NotConnected`](io::ErrorKind::NotConnected)
    /// (the peer is gone already) is ignored by the driver.
    fn shutdown_write(&mut self) -> io::Result<()>;
}

impl Transport for TcpStream {
    fn set_read_timeout(&mut self, timeout: Option<Duration>) -> io::Result<()> {
        TcpStream::set_read_timeout(self, timeout)
    }

    fn set_write_timeout(&mut self, timeout: Option<Duration>) -> io::Result<()> {
        TcpStream::set_write_timeout(self, timeout)
    }

    fn shutdown_write(&mut self) -> io::Result<()> {
        self.shutdown(Shutdown::Write)
    }
}

#[cfg(unix)]
impl Transport for std::os::unix::net::UnixStream {
    fn set_read_timeout(&mut self, timeout: Option<Duration>) -> io::Result<()> {
        std::os::unix::net::UnixStream::set_read_timeout(self, timeout)
    }

    fn set_write_timeout(&mut self, timeout: Option<Duration>) -> io::Result<()> {
        std::os::unix::net::UnixStream::set_write_timeout(self, timeout)
    }

    fn shutdown_write(&mut self) -> io::Result<()> {
        self.shutdown(Shutdown::Write)
    }
}

impl<T: Transport + ?Sized> Transport for &mut T {
    fn set_read_timeout(&mut self, timeout: Option<Duration>) -> io::Result<()> {
        (**self).set_read_timeout(timeout)
    }

    fn set_write_timeout(&mut self, timeout: Option<Duration>) -> io::Result<()> {
        (**self).set_write_timeout(timeout)
    }

    fn shutdown_write(&mut self) -> io::Result<()> {
        (**self).shutdown_write()
    }
}

impl<T: Transport + ?Sized> Transport for Box<T> {
    fn set_read_timeout(&mut self, timeout: Option<Duration>) -> io::Result<()> {
        (**self).set_read_timeout(timeout)
    }

    fn set_write_timeout(&mut self, timeout: Option<Duration>) -> io::Result<()> {
        (**self).set_write_timeout(timeout)
    }

    fn shutdown_write(&mut self) -> io::Result<()> {
        (**self).shutdown_write()
    }
}
