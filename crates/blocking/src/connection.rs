use std::io::{self, IoSlice};
use std::time::{Duration, Instant};

use wirestate_core::Machine;

use crate::span::Trace;
use crate::{Error, Transport};
use wirestate_core::{prepare_read, TransmitQueue, MAX_IO_SLICES};

mod batch;
mod linger;

/// How many bytes one read asks for by default.
pub const DEFAULT_READ_SIZE: usize = 16 * 1024;

/// How long the last writes of a closing connection may take by default
/// before they are given up.
pub const DEFAULT_DRAIN_TIMEOUT: Duration = Duration::from_secs(5);

/// Answers queued while events from input already read are handed out wait
/// to be written together, up to this many bytes.
const BATCH_HIGH_WATER: usize = 64 * 1024;

/// A machine running on a blocking [`Transport`] (a `TcpStream`).
///
/// [`next_event`](Connection::next_event) writes what the machine wants sent,
/// then returns the next event, reading (with a read timeout set to the
/// machine's next deadline) only when the machine has none ready and
/// [`wants_read`](Machine::wants_read). [`send`](Connection::send) executes a
/// command and writes its bytes. The connection is also an [`Iterator`] of
/// events.
///
/// The driver reads the clock (`Instant::now()`) and passes it to the
/// machine; it adds no protocol behaviour of its own.
///
/// # Deadlines
///
/// The machine is told when the connection starts
/// ([`Machine::handle_connected`]) and how far every write got
/// ([`Machine::handle_written`]), and each blocking read and write gives up
/// at the machine's next deadline ([`Transport::set_read_timeout`],
/// [`Transport::set_write_timeout`]), also after the peer's EOF: a peer
/// that stops reading meets the machine's send timeout. Once the machine is
/// closed or failed, or a [`shutdown`](Connection::shutdown) began, the last
/// writes get the drain timeout ([`DEFAULT_DRAIN_TIMEOUT`]), and so does
/// the lingering close after them: unless the peer closed first, input is
/// read and dropped until its EOF, so that closing the socket does not
/// reset a connection the peer is still reading.
#[derive(Debug)]
pub struct Connection<M, S> {
    machine: M,
    stream: S,
    outbox: TransmitQueue,
    read_size: usize,
    drain_timeout: Duration,
    state: State,
    /// Whether the machine was told that the connection started.
    started: bool,
    /// When the remaining writes are given up (set once the machine is
    /// closed or a shutdown began).
    drain: Option<Instant>,
    /// Whether the last call returned an event decoded from input already
    /// read: what the application queues in answer waits for the batch.
    handing_out: bool,
    /// The read and write timeouts currently set on the stream (`None`: not
    /// known yet), to skip redundant calls.
    read_timeout: Option<Option<Duration>>,
    write_timeout: Option<Option<Duration>>,
    /// Its id and span (see [`Connection::span`]), boxed: a span is 40
    /// bytes, and a server holds thousands of idle connections.
    pub(crate) trace: Box<Trace>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Open,
    /// The peer closed its side: the remaining events are drained, then the
    /// connection ends.
    Eof,
    /// A deadline closed the machine while the peer took no bytes: the
    /// writes are given up, the remaining events (and the machine's error)
    /// are returned, then the connection ends.
    Abandoned,
    /// Ended: `next_event` returns `None` from now on.
    Done,
}

impl<M: Machine, S: Transport> Connection<M, S> {
    /// Runs `machine` on `stream`. Nothing is read or written until the first
    /// [`next_event`](Connection::next_event), [`send`](Connection::send) or
    /// [`flush`](Connection::flush).
    ///
    /// ```
    /// use std::os::unix::net::UnixStream;
    /// use wirestate_blocking::Connection;
    /// use wirestate_length::{LengthConfig, LengthConnection};
    ///
    /// let (ours, _theirs) = UnixStream::pair()?; // or a TcpStream
    /// let conn = Connection::new(ours, LengthConnection::new(LengthConfig::erlang(4)))
    ///     .with_read_size(4096);
    /// assert!(!conn.is_finished());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn new(stream: S, machine: M) -> Self {
        Connection {
            machine,
            stream,
            outbox: TransmitQueue::default(),
            read_size: DEFAULT_READ_SIZE,
            drain_timeout: DEFAULT_DRAIN_TIMEOUT,
            state: State::Open,
            started: false,
            drain: None,
            handing_out: false,
            read_timeout: None,
            write_timeout: None,
            trace: Box::new(Trace::new()),
        }
    }

    /// Sets how many bytes one read may append to the machine's input buffer
    /// (default [`DEFAULT_READ_SIZE`]; at least 1).
    pub fn with_read_size(mut self, read_size: usize) -> Self {
        self.read_size = read_size.max(1);
        self
    }

    /// Sets how long the last writes of a closing connection may take
    /// (default [`DEFAULT_DRAIN_TIMEOUT`]).
    pub fn with_drain_timeout(mut self, timeout: Duration) -> Self {
        self.drain_timeout = timeout;
        self
    }

    /// Returns the next event, blocking until there is one.
    ///
    /// Before anything else the bytes the machine queued are written, except
    /// while events decoded from input already read are being handed out:
    /// what you queue in answer to them (through
    /// [`machine_mut`](Connection::machine_mut)) is written together once
    /// they run out, or sooner past 64 KiB, and always before this call
    /// blocks on the peer. So a read that brought many requests is answered
    /// with one write. [`send`](Connection::send) and
    /// [`flush`](Connection::flush) write at once. Then:
    ///
    /// - `Some(Ok(event))`: an event; call again for the next.
    /// - `Some(Err(Error::Machine(_)))`: the machine failed. Its goodbye (if
    ///   any) was written and the write side shut down; the next call returns
    ///   `None`.
    /// - `Some(Err(Error::Io(_)))`: the transport failed; the next call
    ///   returns `None`.
    /// - `Some(Err(Error::Stalled))`: the machine waits for the application
    ///   (see [`Error::Stalled`]); nothing changed.
    /// - `None`: the connection ended, because the machine
    ///   [`is_closed`](Machine::is_closed) or because the peer closed its side
    ///   and every remaining event was returned. Pending transmits were written
    ///   and the write side was shut down.
    ///
    /// When the machine's [`poll_timeout`](Machine::poll_timeout) deadline
    /// passes while waiting (for input, or for the peer to take bytes),
    /// [`handle_timeout`](Machine::handle_timeout) is called (see
    /// [Deadlines](Connection#deadlines)).
    ///
    /// ```
    /// use std::io::Write;
    /// use std::net::Shutdown;
    /// use std::os::unix::net::UnixStream;
    /// use bytes::Bytes;
    /// use wirestate_blocking::Connection;
    /// use wirestate_length::{LengthConfig, LengthConnection, LengthEvent};
    ///
    /// let (ours, mut theirs) = UnixStream::pair()?;
    /// let mut conn = Connection::new(ours, LengthConnection::new(LengthConfig::erlang(2)));
    /// theirs.write_all(b"\x00\x02hi")?;
    /// theirs.shutdown(Shutdown::Write)?;
    /// let event = conn.next_event().unwrap().unwrap();
    /// assert_eq!(event, LengthEvent::Frame(Bytes::from_static(b"hi")));
    /// assert!(conn.next_event().is_none());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// Inside the `Some`, as listed above: [`Error::Machine`] and
    /// [`Error::Io`] end the connection, [`Error::Stalled`] does not.
    pub fn next_event(&mut self) -> Option<Result<M::Event, Error<M::Error>>> {
        self.next_event_in(&mut |_| {})
    }

    /// The loop behind [`next_event`](Self::next_event) and
    /// [`next_event_with`](Self::next_event_with).
    fn next_event_in(
        &mut self,
        batch: &mut impl FnMut(&mut M),
    ) -> Option<Result<M::Event, Error<M::Error>>> {
        let span = self.trace.span.clone();
        let _entered = span.enter();
        loop {
            if self.state == State::Done {
                return None;
            }
            self.start();
            if self.state == State::Abandoned {
                return self.last_events();
            }
            self.outbox.take_from(&mut self.machine);
            let batching = self.handing_out && self.outbox.len() < BATCH_HIGH_WATER;
            if !batching {
                if let Err(e) = self.write_transmits() {
                    let error = self.write_failed(e);
                    if self.state == State::Abandoned {
                        continue;
                    }
                    return Some(Err(error));
                }
            }
            batch(&mut self.machine);
            match self.machine.poll_event() {
                Some(Ok(event)) => {
                    self.handing_out = true;
                    return Some(Ok(event));
                }
                None => self.handing_out = false,
                Some(Err(e)) => {
                    tracing::debug!(error = %e, "machine failed; writing its goodbye");
                    // Fatal: send the goodbye, if any, then end. A write
                    // failure now matters less than the machine's reason.
                    self.start_drain(self.drain_timeout);
                    let _ = self.shutdown_write();
                    self.state = State::Done;
                    return Some(Err(Error::Machine(e)));
                }
            }
            // That poll may have queued bytes without an event (a pong, an
            // acknowledgement), or answers waited for the batch to end:
            // they go out before we block on the peer.
            if self.outbox.take_from(&mut self.machine) || !self.outbox.is_empty() {
                continue;
            }
            if self.machine.is_closed() || self.state == State::Eof {
                if self.machine.is_closed() {
                    self.start_drain(self.drain_timeout);
                }
                let closed = self.shutdown_write();
                let error = closed.err().map(|e| self.write_failed(e));
                if self.state == State::Abandoned {
                    continue;
                }
                self.state = State::Done;
                return error.map(Err);
            }
            match self.wait() {
                Ok(()) => {}
                Err(Error::Io(e)) => {
                    self.state = State::Done;
                    return Some(Err(Error::Io(e)));
                }
                Err(other) => return Some(Err(other)),
            }
        }
    }

    /// Executes `cmd` (see [`Machine::handle_command`]) and writes the bytes
    /// it produced.
    ///
    /// ```
    /// use std::io::Read;
    /// use std::os::unix::net::UnixStream;
    /// use bytes::Bytes;
    /// use wirestate_blocking::Connection;
    /// use wirestate_length::{LengthCommand, LengthConfig, LengthConnection};
    ///
    /// let (ours, mut theirs) = UnixStream::pair()?;
    /// let mut conn = Connection::new(ours, LengthConnection::new(LengthConfig::erlang(2)));
    /// conn.send(LengthCommand::Send(Bytes::from_static(b"hi")))?;
    /// let mut wire = [0; 4];
    /// theirs.read_exact(&mut wire)?;
    /// assert_eq!(&wire, b"\x00\x02hi");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::Machine`] is a rejected request: the connection is unchanged
    /// and still usable. [`Error::Io`] ends the connection.
    pub fn send(&mut self, cmd: M::Command) -> Result<(), Error<M::Error>> {
        let _entered = self.trace.span.clone().entered();
        self.start();
        self.machine
            .handle_command(cmd, Instant::now())
            .map_err(Error::Machine)?;
        self.flush()
    }

    /// Writes every byte the machine has queued, for example after a call
    /// through [`machine_mut`](Connection::machine_mut), and flushes the
    /// transport.
    ///
    /// While it waits for the peer, the machine's deadlines run; when one
    /// closes the machine (its send timeout), the flush returns and
    /// [`next_event`](Connection::next_event) reports the machine's error.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] when writing or flushing failed (it ends the
    /// connection), or with kind `TimedOut` when a deadline closed the
    /// machine while bytes waited (`next_event` returns the machine's error
    /// next) or the drain deadline passed.
    pub fn flush(&mut self) -> Result<(), Error<M::Error>> {
        let _entered = self.trace.span.clone().entered();
        self.start();
        self.write_transmits().map_err(|e| self.write_failed(e))
    }

    /// Ends the connection gracefully within `drain`: the machine says its
    /// goodbye ([`Machine::handle_shutdown`]: a WebSocket close 1001, say),
    /// the driver writes it and, when the goodbye awaits an answer, reads
    /// until the machine is closed; then it shuts down the write side and,
    /// unless the peer closed first, reads and drops input until the peer's
    /// EOF (a lingering close: closing with unread input makes the kernel
    /// reset the connection, which can destroy what the peer has not read
    /// yet). All within `drain`. Events that arrive meanwhile are dropped.
    ///
    /// ```
    /// use std::io::Read;
    /// use std::os::unix::net::UnixStream;
    /// use std::time::Duration;
    /// use wirestate_blocking::Connection;
    /// use wirestate_length::{LengthConfig, LengthConnection};
    ///
    /// let (ours, mut theirs) = UnixStream::pair()?;
    /// let mut conn = Connection::new(ours, LengthConnection::new(LengthConfig::erlang(2)));
    /// let peer = std::thread::spawn(move || {
    ///     let mut rest = Vec::new();
    ///     theirs.read_to_end(&mut rest) // EOF: the write side is shut
    ///     // ... then `theirs` closes, which ends our linger
    /// });
    /// conn.shutdown(Duration::from_secs(5))?;
    /// assert!(conn.is_finished());
    /// assert_eq!(peer.join().unwrap()?, 0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::Io`] when the transport failed, or with kind `TimedOut`
    /// when the goodbye was not written (or answered) within `drain`;
    /// [`Error::Machine`] when the machine failed meanwhile.
    pub fn shutdown(&mut self, drain: Duration) -> Result<(), Error<M::Error>> {
        if self.state == State::Done {
            return Ok(());
        }
        let _entered = self.trace.span.clone().entered();
        self.start();
        self.start_drain(drain);
        if !self.machine.handle_shutdown(Instant::now()) {
            self.state = State::Done;
            return self.shutdown_write().map_err(|e| self.write_failed(e));
        }
        while let Some(item) = self.next_event() {
            item?;
        }
        Ok(())
    }

    /// Whether the connection ended: [`next_event`](Connection::next_event)
    /// returned `None` or an error that ends it.
    pub fn is_finished(&self) -> bool {
        self.state == State::Done
    }

    /// The machine, to read its state.
    pub fn machine(&self) -> &M {
        &self.machine
    }

    /// The machine, for its inherent API (`send` methods that take more than a
    /// `Command`, say). Call [`flush`](Connection::flush) afterwards to write
    /// what it queued.
    pub fn machine_mut(&mut self) -> &mut M {
        &mut self.machine
    }

    /// The transport.
    pub fn transport(&self) -> &S {
        &self.stream
    }

    /// The transport, mutably. Reading from or writing to it directly
    /// desynchronises the machine from the peer.
    pub fn transport_mut(&mut self) -> &mut S {
        &mut self.stream
    }

    /// Takes the connection apart. Transmits taken from the machine but not
    /// yet written are lost: call [`flush`](Connection::flush) first.
    pub fn into_inner(self) -> (S, M) {
        (self.stream, self.machine)
    }

    /// Waits for one thing to happen (input, EOF or the deadline) and feeds it
    /// to the machine.
    fn wait(&mut self) -> Result<(), Error<M::Error>> {
        let now = Instant::now();
        let deadline = self.next_deadline();
        if let Some(deadline) = deadline {
            if deadline <= now {
                return self.deadline_passed(now);
            }
        }
        if !self.machine.wants_read() {
            // Backpressure: no reading. Only the timer can change anything.
            let deadline = deadline.ok_or(Error::Stalled)?;
            std::thread::sleep(deadline - now);
            return self.deadline_passed(Instant::now());
        }

        let timeout = deadline.map(|deadline| deadline - now);
        if self.read_timeout != Some(timeout) {
            self.stream.set_read_timeout(timeout)?;
            self.read_timeout = Some(timeout);
        }
        // Read straight into the machine's buffer, bounded by `read_size`
        // (and by the room reserved for the unit in progress, if any).
        let (buffer, size) = prepare_read(&mut self.machine, self.read_size);
        let start = buffer.len();
        buffer.resize(start + size, 0);
        let result = self.stream.read(&mut buffer[start..]);
        buffer.truncate(start + result.as_ref().map_or(0, |&n| n));
        match result {
            Ok(0) => {
                tracing::debug!("the peer closed its side (EOF)");
                self.machine.handle_eof(Instant::now());
                self.state = State::Eof;
            }
            Ok(_) => self.machine.handle_buffered_input(Instant::now()),
            Err(e) if is_timeout(&e) && timeout.is_some() => {
                return self.deadline_passed(Instant::now());
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(Error::Io(e)),
        }
        Ok(())
    }

    /// Moves every transmit out of the machine and writes them all, several
    /// pieces per vectored write, resuming correctly after partial writes.
    /// Each write gives up at the next deadline: the machine's (then its
    /// `handle_timeout` runs, and a machine it closed ends the writing with
    /// `TimedOut`) or the drain deadline (`TimedOut`).
    fn write_transmits(&mut self) -> io::Result<()> {
        loop {
            self.outbox.take_from(&mut self.machine);
            if self.outbox.is_empty() {
                return self.stream.flush();
            }
            let now = Instant::now();
            self.machine.handle_written(0, self.outbox.len(), now);
            let deadline = self.next_deadline();
            if deadline.is_some_and(|deadline| deadline <= now) {
                if self.drain.is_some_and(|drain| drain <= now) {
                    tracing::debug!("drain timeout: the peer took no bytes");
                    return Err(timed_out("the peer took no bytes within the drain timeout"));
                }
                self.machine.handle_timeout(now);
                if self.machine.is_closed() {
                    return Err(timed_out("the connection closed while bytes waited"));
                }
                continue;
            }
            let timeout = deadline.map(|deadline| deadline - now);
            if self.write_timeout != Some(timeout) {
                self.stream.set_write_timeout(timeout)?;
                self.write_timeout = Some(timeout);
            }
            let result = {
                let mut slices = [IoSlice::new(&[]); MAX_IO_SLICES];
                let count = self.outbox.slices(&mut slices);
                self.stream.write_vectored(&slices[..count])
            };
            match result {
                // The deadline passed: the next round fires it.
                Err(e) if is_timeout(&e) && timeout.is_some() => {}
                result => {
                    let before = self.outbox.len();
                    self.outbox.wrote(result)?;
                    let written = before - self.outbox.len();
                    let unsent = self.outbox.len();
                    self.machine.handle_written(written, unsent, Instant::now());
                }
            }
        }
    }

    /// Tells the machine, once, that the connection started.
    fn start(&mut self) {
        if !self.started {
            self.started = true;
            self.machine.handle_connected(Instant::now());
        }
    }

    /// Starts the drain deadline `timeout` from now, unless an earlier one
    /// runs already.
    fn start_drain(&mut self, timeout: Duration) {
        let at = Instant::now() + timeout;
        self.drain = Some(self.drain.map_or(at, |drain| drain.min(at)));
    }

    /// The earlier of the machine's deadline and the drain deadline.
    fn next_deadline(&self) -> Option<Instant> {
        match (self.machine.poll_timeout(), self.drain) {
            (Some(own), Some(drain)) => Some(own.min(drain)),
            (own, drain) => own.or(drain),
        }
    }

    /// A deadline passed while waiting: the drain deadline ends the
    /// connection, the machine's goes to the machine.
    fn deadline_passed(&mut self, now: Instant) -> Result<(), Error<M::Error>> {
        if self.drain.is_some_and(|drain| drain <= now) {
            tracing::debug!("drain timeout: the peer did not answer the goodbye");
            self.state = State::Done;
            return Err(Error::Io(timed_out(
                "the peer did not answer the goodbye within the drain timeout",
            )));
        }
        self.machine.handle_timeout(now);
        Ok(())
    }

    /// After a failed write: when a deadline of the machine closed it while
    /// bytes waited, the writes are abandoned (the machine's events and
    /// error come next); otherwise the connection ends.
    fn write_failed(&mut self, e: io::Error) -> Error<M::Error> {
        let by_machine = e.kind() == io::ErrorKind::TimedOut
            && self.machine.is_closed()
            && self.drain.is_none_or(|drain| drain > Instant::now());
        self.state = if by_machine {
            State::Abandoned
        } else {
            State::Done
        };
        Error::Io(e)
    }

    /// The events of an abandoned connection, then its end: nothing more is
    /// written.
    fn last_events(&mut self) -> Option<Result<M::Event, Error<M::Error>>> {
        let next = self.machine.poll_event();
        if !matches!(next, Some(Ok(_))) {
            self.state = State::Done;
        }
        next.map(|event| event.map_err(Error::Machine))
    }

    /// Flushes, then shuts down the sending side and, unless the peer closed
    /// first, lingers. A peer that is already gone is not an error here.
    fn shutdown_write(&mut self) -> io::Result<()> {
        self.write_transmits()?;
        match self.stream.shutdown_write() {
            Err(e) if e.kind() == io::ErrorKind::NotConnected => return Ok(()),
            Err(e) => return Err(e),
            Ok(()) => {}
        }
        if self.state != State::Eof {
            self.linger();
        }
        Ok(())
    }
}

impl<M: Machine, S: Transport> Iterator for Connection<M, S> {
    type Item = Result<M::Event, Error<M::Error>>;

    /// Same as [`Connection::next_event`].
    fn next(&mut self) -> Option<Self::Item> {
        self.next_event()
    }
}

/// The error of writes given up at a deadline.
fn timed_out(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::TimedOut, what.to_string())
}

/// A read that gave up because of the read timeout (Unix says `WouldBlock`,
/// Windows `TimedOut`).
fn is_timeout(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}
