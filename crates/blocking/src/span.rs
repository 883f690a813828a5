//! The connection's tracing span: one per connection, with an id from a
//! process-wide counter and, once known, the peer's address. The driver
//! enters it around every call that does IO (`next_event`, `send`, `flush`,
//! `shutdown`), so whatever is logged while the connection
//! runs (the driver's own debug lines on EOF, drain timeout and machine
//! failure, or a user's) carries the connection's id.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};

use tracing::Span;
use wirestate_core::Machine;

use crate::{Connection, Transport};

/// The id of the next connection; ids start at 1 and are never reused.
static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// A connection's id and span.
#[derive(Debug)]
pub(crate) struct Trace {
    pub(crate) id: u64,
    pub(crate) span: Span,
}

impl Trace {
    /// A fresh id and its span, `connection{id=..}` at level INFO with an
    /// empty `peer` field to fill in later.
    pub(crate) fn new() -> Self {
        let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
        let span = tracing::info_span!("connection", id, peer = tracing::field::Empty);
        Trace { id, span }
    }
}

impl<M: Machine, S: Transport> Connection<M, S> {
    /// Records the peer's address in this connection's span (its `peer`
    /// field), e.g. from `TcpListener::accept` or `TcpStream::peer_addr`.
    ///
    /// ```
    /// use std::net::{TcpListener, TcpStream};
    /// use wirestate_blocking::Connection;
    /// use wirestate_length::{LengthConfig, LengthConnection};
    ///
    /// let listener = TcpListener::bind("127.0.0.1:0")?;
    /// let _client = TcpStream::connect(listener.local_addr()?)?;
    /// let (stream, peer) = listener.accept()?;
    /// let conn = Connection::new(stream, LengthConnection::new(LengthConfig::erlang(4)))
    ///     .with_peer(peer);
    /// assert!(conn.id() > 0);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn with_peer(self, addr: SocketAddr) -> Self {
        self.trace
            .span
            .record("peer", tracing::field::display(addr));
        self
    }

    /// Replaces this connection's span by `span` (the driver enters it
    /// around every call that does IO). The default span carries [`id`](Connection::id);
    /// a span of your own carries what you put in it.
    pub fn with_span(mut self, span: Span) -> Self {
        self.trace.span = span;
        self
    }

    /// This connection's span, to enter around your own work on the
    /// connection (or to `instrument` a task with) so your logs carry it too.
    pub fn span(&self) -> &Span {
        &self.trace.span
    }

    /// This connection's id, unique in the process: the `id` field of its
    /// default span.
    pub fn id(&self) -> u64 {
        self.trace.id
    }
}
