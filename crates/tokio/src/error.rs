use std::io;

/// Why a [`Connection`](crate::Connection) call failed.
///
/// The driver tells apart failures of the transport ([`Error::Io`]) from the
/// protocol failures the machine reports ([`Error::Machine`]), so an
/// application can log a reset peer differently from a peer that broke the
/// protocol.
#[derive(Debug, thiserror::Error)]
pub enum Error<E> {
    /// Reading from or writing to the transport failed. The connection is
    /// finished: the event stream ends after this.
    #[error("connection io failed: {0}")]
    Io(#[from] io::Error),
    /// The machine reported an error: a fatal protocol violation from the
    /// event stream (after which it ends), or a rejected request from
    /// [`send`](crate::Connection::send) (which leaves the connection usable).
    #[error(transparent)]
    Machine(E),
}

impl<E> Error<E> {
    /// The IO error, if this is one.
    pub fn as_io(&self) -> Option<&io::Error> {
        match self {
            Error::Io(e) => Some(e),
            Error::Machine(_) => None,
        }
    }

    /// The machine's error, if this is one.
    pub fn as_machine(&self) -> Option<&E> {
        match self {
            Error::Machine(e) => Some(e),
            Error::Io(_) => None,
        }
    }
}
