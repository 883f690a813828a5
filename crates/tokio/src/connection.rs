use std::future::poll_fn;
use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll, Waker};

use bytes::BufMut;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};

use tokio::time::Instant;
use wirestate_core::Machine;

use crate::charge::Charge;
use crate::clock::{timed_out, Clock, Wake};
use crate::span::Trace;
use crate::{Error, MemoryBudget};
use wirestate_core::{prepare_read, TransmitQueue};

/// One item of the event stream.
pub(crate) type EventResult<M> = Result<<M as Machine>::Event, Error<<M as Machine>::Error>>;

/// How many bytes one read may append to the machine's buffer by default.
pub const DEFAULT_READ_SIZE: usize = 16 * 1024;

/// How many written-but-unsent bytes make the driver stop reading and make
/// [`Sink::poll_ready`](futures_sink::Sink::poll_ready) wait, by default.
pub const DEFAULT_WRITE_HIGH_WATER: usize = 64 * 1024;

/// How long the last writes of a closing connection (a goodbye, the rest
/// of the transmits) may take by default before they are given up.
pub const DEFAULT_DRAIN_TIMEOUT: Duration = Duration::from_secs(5);

/// The driver's clock as a `std::time::Instant`, the time it passes to
/// machines: tokio's clock, so it follows paused test time. Use it for the
/// `now` of machines you build (an [`IdleTimeout`](wirestate_core::IdleTimeout),
/// say) before handing them to a [`Connection`].
pub fn now() -> std::time::Instant {
    Instant::now().into_std()
}

/// A machine running on an `AsyncRead + AsyncWrite` transport.
///
/// The connection is a [`Stream`](futures_core::Stream) of events (also
/// [`next_event`](Connection::next_event)) and a [`Sink`](futures_sink::Sink) of commands (also
/// [`send`](Connection::send)). Polling the stream writes what the machine
/// queued, returns ready events, and otherwise waits for input (only while the
/// machine [`wants_read`](Machine::wants_read)), for the machine's deadline
/// (a tokio `sleep_until`), or for a command sent through the sink.
///
/// Reads go straight into the machine's
/// [`input_buffer`](Machine::input_buffer), at most
/// [`DEFAULT_READ_SIZE`] bytes per read (see
/// [`with_read_size`](Connection::with_read_size)), and into the room the
/// machine reserved for a unit when it reports one with
/// [`input_needed`](Machine::input_needed). Transmits are written
/// with vectored writes, several pieces at a time. The driver reads the clock
/// (tokio's [`Instant`]) and passes it in; it adds no protocol behaviour.
///
/// There is no background task: bytes move only while the connection is
/// polled (waiting for an event, sending, flushing). An event can be returned
/// while earlier bytes are still on their way; they go out with the next poll,
/// so keep polling for events, or [`flush`](Connection::flush) before you stop.
///
/// # Deadlines
///
/// No wait is unbounded unless the machine allows it. The machine is told
/// when the connection starts ([`Machine::handle_connected`]) and how far
/// every write got ([`Machine::handle_written`]), so its handshake and send
/// timeouts run; its deadlines are honoured in every wait: for input, in
/// [`flush`](Connection::flush) and [`send`](Connection::send), and after
/// the peer's EOF. Once the machine is closed or failed, or a
/// [`shutdown`](Connection::shutdown) began, the remaining writes get the
/// drain timeout ([`DEFAULT_DRAIN_TIMEOUT`], see
/// [`with_drain_timeout`](Connection::with_drain_timeout)), then the
/// connection ends without them. After our write side is shut down, the
/// driver reads and drops the peer's input until its EOF, within the same
/// deadline (a lingering close: closing a socket with unread input resets
/// the connection, which can destroy what the peer has not read yet).
#[derive(Debug)]
pub struct Connection<M: Machine, S> {
    pub(crate) machine: M,
    pub(crate) stream: S,
    pub(crate) outbox: TransmitQueue,
    pub(crate) read_size: usize,
    pub(crate) write_high_water: usize,
    pub(crate) drain_timeout: Duration,
    pub(crate) clock: Clock,
    /// This connection's share of a server-wide budget, if it has one.
    pub(crate) charge: Option<Charge>,
    pub(crate) state: State,
    /// Whether the peer closed its side (then closing does not linger).
    pub(crate) saw_eof: bool,
    /// A fatal machine error, returned once the goodbye was written.
    pub(crate) failure: Option<M::Error>,
    /// Whether the failure was returned already (then running out of drain
    /// time ends the stream quietly).
    pub(crate) failure_reported: bool,
    /// Whether the last event came out of the machine's buffered input, so
    /// more may follow without a read: the answers wait and go out together.
    pub(crate) handing_out: bool,
    /// The task waiting for events, woken when a command arrives (a command
    /// can make the machine want input again, or move its deadline).
    pub(crate) waiting: Option<Waker>,
    /// Its id and span (see [`Connection::span`]), boxed: a span is 40
    /// bytes, and a server holds thousands of idle connections.
    pub(crate) trace: Box<Trace>,
}

// The connection never pins its fields in place (the timer is boxed), so it
// can move freely whatever the machine is.
impl<M: Machine, S> Unpin for Connection<M, S> {}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum State {
    Open,
    /// The peer closed its side: the remaining events are returned, then the
    /// connection closes.
    Eof,
    /// Writing the last transmits, then shutting down the write side.
    Closing,
    /// The write side is shut down; reading and dropping input until the
    /// peer's EOF or the drain deadline (see `linger.rs`).
    Lingering,
    /// Ended: the stream yields `None` from now on.
    Done,
}

impl<M: Machine, S: AsyncRead + AsyncWrite + Unpin> Connection<M, S> {
    /// Runs `machine` on `stream`. Nothing is read or written until the
    /// connection is polled, or a command is sent or flushed.
    ///
    /// ```
    /// use wirestate_length::{LengthConfig, LengthConnection};
    /// use wirestate_tokio::Connection;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let (ours, _theirs) = tokio::io::duplex(1024); // or a TcpStream
    /// let conn = Connection::new(ours, LengthConnection::new(LengthConfig::erlang(4)))
    ///     .with_read_size(4096);
    /// assert!(!conn.is_finished());
    /// # }
    /// ```
    pub fn new(stream: S, machine: M) -> Self {
        Connection {
            machine,
            stream,
            outbox: TransmitQueue::default(),
            read_size: DEFAULT_READ_SIZE,
            write_high_water: DEFAULT_WRITE_HIGH_WATER,
            drain_timeout: DEFAULT_DRAIN_TIMEOUT,
            clock: Clock::default(),
            charge: None,
            state: State::Open,
            saw_eof: false,
            failure: None,
            failure_reported: false,
            handing_out: false,
            waiting: None,
            trace: Box::new(Trace::new()),
        }
    }

    /// Sets how many bytes one read may append to the machine's input buffer
    /// (default [`DEFAULT_READ_SIZE`]; at least 1).
    pub fn with_read_size(mut self, read_size: usize) -> Self {
        self.read_size = read_size.max(1);
        self
    }

    /// Sets how many unsent bytes stop reading and hold back
    /// [`Sink::poll_ready`](futures_sink::Sink::poll_ready) until the peer takes them (default
    /// [`DEFAULT_WRITE_HIGH_WATER`]).
    pub fn with_write_high_water(mut self, bytes: usize) -> Self {
        self.write_high_water = bytes;
        self
    }

    /// Sets how long the last writes of a closing connection may take
    /// (default [`DEFAULT_DRAIN_TIMEOUT`]): once the machine is closed or
    /// failed, bytes the peer has not taken by then are given up.
    pub fn with_drain_timeout(mut self, timeout: Duration) -> Self {
        self.drain_timeout = timeout;
        self
    }

    /// Charges this connection's buffered input (the capacity of the
    /// machine's input buffer, plus what it holds outside it:
    /// [`Machine::held_bytes`]) and unsent transmits to `budget`, shared with
    /// other connections: while the budget
    /// [`is_spent`](MemoryBudget::is_spent), the connection does not read.
    pub fn with_memory_budget(mut self, budget: MemoryBudget) -> Self {
        self.charge = Some(Charge::new(budget));
        self
    }

    /// Waits for the next event; the same as `StreamExt::next`.
    ///
    /// - `Some(Ok(event))`: an event.
    /// - `Some(Err(Error::Machine(_)))`: the machine failed. Its goodbye (if
    ///   any) was written and the write side shut down, or, when the peer is
    ///   not taking bytes, that continues while you poll on. Then `None`.
    /// - `Some(Err(Error::Io(_)))`: the transport failed. Then `None`.
    /// - `None`: the connection ended, because the machine
    ///   [`is_closed`](Machine::is_closed), or because the peer closed its
    ///   side and every remaining event was returned. The queued transmits
    ///   were written and the write side was shut down.
    ///
    /// What you queue in answer to events decoded from one read is written
    /// together once those events run out (or sooner, when it reaches the
    /// write high-water mark), so a burst of requests costs one write, not
    /// one per answer. Nothing waits longer than that: the write happens
    /// before this connection waits on the peer again, and
    /// [`flush`](Connection::flush) writes at once.
    ///
    /// Cancel safe: dropping the future loses nothing, all state lives in the
    /// connection. The machine's deadlines run in every wait, also after EOF
    /// (see [Deadlines](Connection#deadlines)); when the drain deadline
    /// passes with bytes unsent, the stream returns
    /// `Error::Io` (`TimedOut`), or simply ends if it already returned the
    /// machine's error.
    ///
    /// ```
    /// use bytes::Bytes;
    /// use tokio::io::AsyncWriteExt;
    /// use wirestate_length::{LengthConfig, LengthConnection, LengthEvent};
    /// use wirestate_tokio::Connection;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let (ours, mut theirs) = tokio::io::duplex(1024);
    /// let mut conn = Connection::new(ours, LengthConnection::new(LengthConfig::erlang(2)));
    /// theirs.write_all(b"\x00\x02hi").await.unwrap();
    /// drop(theirs); // EOF
    /// let event = conn.next_event().await.unwrap().unwrap();
    /// assert_eq!(event, LengthEvent::Frame(Bytes::from_static(b"hi")));
    /// assert!(conn.next_event().await.is_none());
    /// # }
    /// ```
    ///
    /// # Errors
    ///
    /// Inside the `Some`, as listed above: [`Error::Machine`] for the
    /// machine's fatal error, [`Error::Io`] for the transport's; both end
    /// the stream.
    pub async fn next_event(&mut self) -> Option<Result<M::Event, Error<M::Error>>> {
        poll_fn(|cx| self.poll_next_event(cx)).await
    }

    /// Executes `cmd` (see [`Machine::handle_command`]) and writes the bytes
    /// it produced.
    ///
    /// ```
    /// use bytes::Bytes;
    /// use tokio::io::AsyncReadExt;
    /// use wirestate_length::{LengthCommand, LengthConfig, LengthConnection};
    /// use wirestate_tokio::Connection;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let (ours, mut theirs) = tokio::io::duplex(1024);
    /// let mut conn = Connection::new(ours, LengthConnection::new(LengthConfig::erlang(2)));
    /// conn.send(LengthCommand::Send(Bytes::from_static(b"hi"))).await?;
    /// let mut wire = [0; 4];
    /// theirs.read_exact(&mut wire).await?;
    /// assert_eq!(&wire, b"\x00\x02hi");
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::Machine`] is a rejected request: the connection is unchanged
    /// and still usable. [`Error::Io`] means the transport failed.
    pub async fn send(&mut self, cmd: M::Command) -> Result<(), Error<M::Error>> {
        self.start_command(cmd)?;
        self.flush().await
    }

    /// Writes every byte the machine has queued (for example after a call
    /// through [`machine_mut`](Connection::machine_mut)) and flushes the
    /// transport.
    ///
    /// While it waits for the peer, the machine's deadlines run: if one
    /// closes the machine (its send timeout: the peer stopped reading), the
    /// flush returns at once; poll the event stream next for the machine's
    /// error and its goodbye.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] when writing or flushing the transport failed, or with
    /// kind `TimedOut` when the machine closed while bytes waited, or the
    /// drain deadline passed.
    pub async fn flush(&mut self) -> Result<(), Error<M::Error>> {
        poll_fn(|cx| self.poll_flush_all(cx)).await
    }

    /// Ends the connection gracefully within `drain`: the machine says its
    /// goodbye ([`Machine::handle_shutdown`]: a WebSocket close 1001, say),
    /// the driver writes it and, when the goodbye awaits an answer, reads
    /// until the machine is closed; then it shuts down the write side and
    /// reads (and drops) what the peer still sends until its EOF, so that
    /// closing does not reset a connection the peer is still reading (a
    /// reset can destroy what it has not read yet). All of it within
    /// `drain`. Events that arrive meanwhile are dropped. After it, the
    /// event stream has ended.
    ///
    /// ```
    /// use std::time::Duration;
    /// use tokio::io::AsyncReadExt;
    /// use wirestate_length::{LengthConfig, LengthConnection};
    /// use wirestate_tokio::Connection;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let (ours, mut theirs) = tokio::io::duplex(1024);
    /// let peer = tokio::spawn(async move {
    ///     let mut rest = Vec::new();
    ///     theirs.read_to_end(&mut rest).await // EOF: our write side is shut
    ///     // and `theirs` closes, which ends our linger
    /// });
    /// let mut conn = Connection::new(ours, LengthConnection::new(LengthConfig::erlang(2)));
    /// conn.shutdown(Duration::from_secs(5)).await?;
    /// assert!(conn.is_finished());
    /// peer.await??;
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::Io`] when the transport failed, or with kind `TimedOut`
    /// when the goodbye was not written (or answered) within `drain`;
    /// [`Error::Machine`] when the machine failed meanwhile.
    pub async fn shutdown(&mut self, drain: Duration) -> Result<(), Error<M::Error>> {
        if self.state == State::Done {
            return Ok(());
        }
        self.clock.start(&mut self.machine);
        self.clock.start_drain(drain);
        let awaits_answer = self.machine.handle_shutdown(Instant::now().into_std());
        if !awaits_answer && matches!(self.state, State::Open | State::Eof) {
            self.state = State::Closing;
        }
        while let Some(item) = self.next_event().await {
            item?;
        }
        Ok(())
    }

    /// Whether the event stream ended.
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
    /// yet written are lost: [`flush`](Connection::flush) first.
    pub fn into_inner(self) -> (S, M) {
        (self.stream, self.machine)
    }

    /// The event stream's poll: see [`next_event`](Connection::next_event).
    ///
    /// # Errors
    ///
    /// As [`next_event`](Connection::next_event).
    pub fn poll_next_event(&mut self, cx: &mut Context<'_>) -> Poll<Option<EventResult<M>>> {
        self.poll_next_with(cx, &mut |_| {})
    }

    /// [`poll_next_event`](Self::poll_next_event) that gives `batch` the
    /// machine before each `poll_event` (see
    /// [`next_event_with`](Self::next_event_with)).
    pub(crate) fn poll_next_with(
        &mut self,
        cx: &mut Context<'_>,
        batch: &mut impl FnMut(&mut M),
    ) -> Poll<Option<EventResult<M>>> {
        let span = self.trace.span.clone();
        let _entered = span.enter();
        self.poll_next_in_span(cx, batch)
    }

    // One loop with the numbered steps of the driver loop documented on
    // `Machine`, kept whole (about 100 lines) so their order reads in one place.
    fn poll_next_in_span(
        &mut self,
        cx: &mut Context<'_>,
        batch: &mut impl FnMut(&mut M),
    ) -> Poll<Option<EventResult<M>>> {
        loop {
            match self.state {
                State::Done => return Poll::Ready(None),
                State::Closing => return self.poll_closing(cx),
                State::Lingering => return self.poll_linger(cx),
                State::Open | State::Eof => {}
            }
            self.clock.start(&mut self.machine);

            // 1. Write what the machine queued, as far as the peer takes it;
            // but while buffered events are being handed out, answers wait
            // (up to the high-water mark) and leave in one write once the
            // events run out: a read that brought many messages is answered
            // with one system call, not one per message.
            self.outbox.take_from(&mut self.machine);
            let batching = self.handing_out && self.outbox.len() < self.write_high_water;
            let write_blocked = if batching {
                false
            } else {
                match self.poll_write_side(cx) {
                    Poll::Ready(Ok(())) => false,
                    Poll::Ready(Err(e)) => {
                        self.state = State::Done;
                        return Poll::Ready(Some(Err(Error::Io(e))));
                    }
                    Poll::Pending => self.outbox.len() >= self.write_high_water,
                }
            };

            // 2. Hand out events, after the caller's batch took what it can
            // in place (`next_event_with`).
            batch(&mut self.machine);
            match self.machine.poll_event() {
                Some(Ok(event)) => {
                    self.handing_out = true;
                    return Poll::Ready(Some(Ok(event)));
                }
                Some(Err(e)) => {
                    tracing::debug!(error = %e, "machine failed; writing its goodbye");
                    self.handing_out = false;
                    self.failure = Some(e);
                    self.clock.start_drain(self.drain_timeout);
                    self.state = State::Closing;
                    continue;
                }
                None => self.handing_out = false,
            }
            // That poll may have queued bytes without an event (a pong, an
            // acknowledgement), or answers waited for the batch to end:
            // write them before waiting on the peer.
            if self.outbox.take_from(&mut self.machine) || (batching && !self.outbox.is_empty()) {
                continue;
            }

            // 3. Finished: flush and close. After the peer's EOF the
            // machine's deadlines still bound the last writes.
            if self.machine.is_closed() {
                self.clock.start_drain(self.drain_timeout);
                self.state = State::Closing;
                continue;
            }
            if self.state == State::Eof {
                self.state = State::Closing;
                continue;
            }

            // 4. The machine's deadline, or the drain deadline of a shutdown.
            match self.clock.poll(&mut self.machine, cx) {
                Poll::Ready(Wake::Machine) => continue,
                Poll::Ready(Wake::Drain) => {
                    tracing::debug!("drain timeout: the peer did not answer the goodbye");
                    self.state = State::Done;
                    return Poll::Ready(Some(Err(Error::Io(timed_out(
                        "the peer did not answer the goodbye within the drain timeout",
                    )))));
                }
                Poll::Pending => {}
            }

            // 5. Input, unless the machine, a stuck peer or a spent memory
            // budget says wait.
            self.recharge();
            let room = match &mut self.charge {
                Some(charge) => charge.poll_room(cx),
                None => true,
            };
            if self.machine.wants_read() && !write_blocked && room {
                let (buffer, size) = prepare_read(&mut self.machine, self.read_size);
                let mut limited = buffer.limit(size);
                let read =
                    tokio_util::io::poll_read_buf(Pin::new(&mut self.stream), cx, &mut limited);
                match read {
                    Poll::Ready(Ok(0)) => {
                        tracing::debug!("the peer closed its side (EOF)");
                        self.machine.handle_eof(Instant::now().into_std());
                        self.state = State::Eof;
                        self.saw_eof = true;
                        continue;
                    }
                    Poll::Ready(Ok(_)) => {
                        self.machine
                            .handle_buffered_input(Instant::now().into_std());
                        self.recharge();
                        continue;
                    }
                    Poll::Ready(Err(e)) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Poll::Ready(Err(e)) => {
                        self.state = State::Done;
                        return Poll::Ready(Some(Err(Error::Io(e))));
                    }
                    Poll::Pending => {}
                }
            }

            // 6. Nothing to do until the stream, the timer or a command wakes us.
            self.waiting = Some(cx.waker().clone());
            return Poll::Pending;
        }
    }

    /// Writes the last transmits, shuts down the write side, then reports the
    /// machine's failure if there was one.
    ///
    /// While the peer does not take the bytes: a failure is reported at
    /// once (the goodbye goes on being written on later polls), a healthy
    /// machine's deadlines run (its send timeout ends a peer that stopped
    /// reading after its EOF), and the drain deadline gives up the rest.
    fn poll_closing(&mut self, cx: &mut Context<'_>) -> Poll<Option<EventResult<M>>> {
        let written = loop {
            match self.poll_write_side(cx) {
                Poll::Ready(written) => break written,
                Poll::Pending => {}
            }
            if let Some(failure) = self.failure.take() {
                self.failure_reported = true;
                return Poll::Ready(Some(Err(Error::Machine(failure))));
            }
            match ready!(self.clock.poll(&mut self.machine, cx)) {
                Wake::Machine => match self.machine.poll_event() {
                    Some(Ok(event)) => return Poll::Ready(Some(Ok(event))),
                    Some(Err(e)) => {
                        tracing::debug!(error = %e, "machine failed while closing");
                        self.failure = Some(e);
                        self.clock.start_drain(self.drain_timeout);
                    }
                    None if self.machine.is_closed() => {
                        self.clock.start_drain(self.drain_timeout);
                    }
                    None => {}
                },
                Wake::Drain => {
                    tracing::debug!("drain timeout: the peer took no bytes while closing");
                    self.state = State::Done;
                    if self.failure_reported {
                        return Poll::Ready(None);
                    }
                    return Poll::Ready(Some(Err(Error::Io(timed_out(
                        "the peer took no bytes within the drain timeout",
                    )))));
                }
            }
        };
        let closed = match written {
            Ok(()) => match ready!(Pin::new(&mut self.stream).poll_shutdown(cx)) {
                Err(e) if e.kind() != io::ErrorKind::NotConnected => Err(e),
                _ => Ok(()),
            },
            Err(e) => Err(e),
        };
        // Unless the peer closed first, linger until it has read everything.
        self.state = if closed.is_ok() && !self.saw_eof {
            self.clock.start_drain(self.drain_timeout);
            State::Lingering
        } else {
            State::Done
        };
        // The machine's reason matters more than a failed goodbye.
        match (self.failure.take(), closed) {
            (Some(failure), _) => Poll::Ready(Some(Err(Error::Machine(failure)))),
            (None, Err(e)) => Poll::Ready(Some(Err(Error::Io(e)))),
            (None, Ok(())) if self.state == State::Lingering => self.poll_linger(cx),
            (None, Ok(())) => Poll::Ready(None),
        }
    }

    pub(crate) fn start_command(&mut self, cmd: M::Command) -> Result<(), Error<M::Error>> {
        let _entered = self.trace.span.clone().entered();
        self.machine
            .handle_command(cmd, Instant::now().into_std())
            .map_err(Error::Machine)?;
        self.outbox.take_from(&mut self.machine);
        // The command may have changed what the event side waits for.
        if let Some(waker) = self.waiting.take() {
            waker.wake();
        }
        Ok(())
    }
}
