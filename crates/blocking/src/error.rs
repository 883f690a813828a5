use std::io;

/// Why a [`Connection`](crate::Connection) call failed.
///
/// The driver tells apart failures of the socket ([`Error::Io`]) from the
/// protocol failures the machine reports ([`Error::Machine`]), so an
/// application can log a reset peer differently from a peer that broke the
/// protocol.
#[derive(Debug, thiserror::Error)]
pub enum Error<E> {
    /// Reading from or writing to the transport failed. The connection is
    /// finished: the next [`next_event`](crate::Connection::next_event)
    /// returns `None`.
    #[error("connection io failed: {0}")]
    Io(#[from] io::Error),
    /// The machine reported an error: a fatal protocol violation from
    /// [`next_event`](crate::Connection::next_event), or a rejected request
    /// from [`send`](crate::Connection::send) (which leaves the connection
    /// usable).
    #[error(transparent)]
    Machine(E),
    /// The machine neither wants input, nor has events or a deadline: it waits
    /// for the application (a command, or a call through
    /// [`machine_mut`](crate::Connection::machine_mut)). Blocking would never
    /// end, so [`next_event`](crate::Connection::next_event) returns this
    /// instead; the connection stays usable.
    #[error("the machine is waiting for the application: nothing to read, no deadline")]
    Stalled,
}

impl<E> Error<E> {
    /// The IO error, if this is one.
    pub fn as_io(&self) -> Option<&io::Error> {
        match self {
            Error::Io(e) => Some(e),
            _ => None,
        }
    }

    /// The machine's error, if this is one.
    pub fn as_machine(&self) -> Option<&E> {
        match self {
            Error::Machine(e) => Some(e),
            _ => None,
        }
    }
}
