//! The error type both drivers return.

use std::io;

/// Why a driver call failed: the transport ([`Io`](DriverError::Io)), the
/// protocol as the machine reports it ([`Machine`](DriverError::Machine)), or
/// a machine that waits for the application ([`Stalled`](DriverError::Stalled)).
///
/// Both drivers return it (as `wirestate_tokio::Error` and
/// `wirestate_blocking::Error`), so an application can log a reset peer
/// differently from a peer that broke the protocol, whichever driver it runs.
///
/// ```
/// use std::io;
/// use wirestate_core::DriverError;
///
/// let reset: DriverError<String> = io::Error::from(io::ErrorKind::ConnectionReset).into();
/// assert_eq!(reset.as_io().map(|e| e.kind()), Some(io::ErrorKind::ConnectionReset));
/// let broken = DriverError::Machine("frame too long".to_string());
/// assert_eq!(broken.as_machine().map(String::as_str), Some("frame too long"));
/// assert_eq!(broken.to_string(), "frame too long");
/// ```
#[derive(Debug, thiserror::Error)]
pub enum DriverError<E> {
    /// Reading from or writing to the transport failed. The connection is
    /// finished: its event stream ends after this.
    #[error("connection io failed: {0}")]
    Io(#[from] io::Error),
    /// The machine reported an error: a fatal protocol violation from the
    /// event stream (after which it ends), or a rejected request from the
    /// driver's `send` (which leaves the connection usable).
    #[error(transparent)]
    Machine(E),
    /// The machine neither wants input, nor has events or a deadline: it
    /// waits for the application (a command, or a call through the driver's
    /// `machine_mut`). A blocking wait would never end, so the blocking
    /// driver's `next_event` returns this instead; the connection stays
    /// usable.
    ///
    /// **The tokio driver never returns it**: its stream stays pending until
    /// a command arrives. Code that only runs on tokio can treat this
    /// variant as unreachable (a `_` arm, or `unreachable!()`).
    #[error("the machine is waiting for the application: nothing to read, no deadline")]
    Stalled,
}

impl<E> DriverError<E> {
    /// The IO error, if this is one.
    pub fn as_io(&self) -> Option<&io::Error> {
        match self {
            DriverError::Io(e) => Some(e),
            _ => None,
        }
    }

    /// The machine's error, if this is one.
    pub fn as_machine(&self) -> Option<&E> {
        match self {
            DriverError::Machine(e) => Some(e),
            _ => None,
        }
    }
}
