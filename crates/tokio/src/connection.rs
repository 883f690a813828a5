use std::future::{poll_fn, Future};
use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{ready, Context, Poll, Waker};

use bytes::BufMut;
use futures_core::{FusedStream, Stream};
use futures_sink::Sink;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::time::{Instant, Sleep};
use wirestate_core::Machine;

use crate::Error;
use wirestate_core::{prepare_read, TransmitQueue, MAX_IO_SLICES};

/// One item of the event stream.
type EventResult<M> = Result<<M as Machine>::Event, Error<<M as Machine>::Error>>;

/// How many bytes one read may append to the machine's buffer by default.
pub const DEFAULT_READ_SIZE: usize = 16 * 1024;

/// How many written-but-unsent bytes make the driver stop reading and make
/// [`Sink::poll_ready`] wait, by default.
pub const DEFAULT_WRITE_HIGH_WATER: usize = 64 * 1024;

/// The driver's clock as a `std::time::Instant`, the time it passes to
/// machines: tokio's clock, so it follows paused test time. Use it for the
/// `now` of machines you build (an [`IdleTimeout`](wirestate_core::IdleTimeout),
/// say) before handing them to a [`Connection`].
pub fn now() -> std::time::Instant {
    Instant::now().into_std()
}

/// A machine running on an `AsyncRead + AsyncWrite` transport.
///
/// The connection is a [`Stream`] of events (also
/// [`next_event`](Connection::next_event)) and a [`Sink`] of commands (also
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
#[derive(Debug)]
pub struct Connection<M: Machine, S> {
    machine: M,
    stream: S,
    outbox: TransmitQueue,
    read_size: usize,
    write_high_water: usize,
    /// The timer for the machine's deadline, created on first use (creating
    /// one needs a runtime) and reset when the deadline moves.
    sleep: Option<Pin<Box<Sleep>>>,
    state: State,
    /// A fatal machine error, returned once the goodbye was written.
    failure: Option<M::Error>,
    /// The task waiting for events, woken when a command arrives (a command
    /// can make the machine want input again, or move its deadline).
    waiting: Option<Waker>,
}

// The connection never pins its fields in place (the timer is boxed), so it
// can move freely whatever the machine is.
impl<M: Machine, S> Unpin for Connection<M, S> {}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Open,
    /// The peer closed its side: the remaining events are returned, then the
    /// connection closes.
    Eof,
    /// Writing the last transmits, then shutting down the write side.
    Closing,
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
            sleep: None,
            state: State::Open,
            failure: None,
            waiting: None,
        }
    }

    /// Sets how many bytes one read may append to the machine's input buffer
    /// (default [`DEFAULT_READ_SIZE`]; at least 1).
    pub fn with_read_size(mut self, read_size: usize) -> Self {
        self.read_size = read_size.max(1);
        self
    }

    /// Sets how many unsent bytes stop reading and hold back
    /// [`Sink::poll_ready`] until the peer takes them (default
    /// [`DEFAULT_WRITE_HIGH_WATER`]).
    pub fn with_write_high_water(mut self, bytes: usize) -> Self {
        self.write_high_water = bytes;
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
    /// Cancel safe: dropping the future loses nothing, all state lives in the
    /// connection. After EOF the driver no longer waits for deadlines, and
    /// the final flush waits for the peer as long as it takes: bound it with
    /// `tokio::time::timeout` if the peer may stop reading.
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
    /// # Errors
    ///
    /// [`Error::Io`] when writing or flushing the transport failed.
    pub async fn flush(&mut self) -> Result<(), Error<M::Error>> {
        poll_fn(|cx| self.poll_flush_all(cx)).await
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
    // One loop with the numbered steps of the driver loop documented on
    // `Machine`, kept whole (about 80 lines) so their order reads in one place.
    pub fn poll_next_event(&mut self, cx: &mut Context<'_>) -> Poll<Option<EventResult<M>>> {
        loop {
            match self.state {
                State::Done => return Poll::Ready(None),
                State::Closing => return self.poll_closing(cx),
                State::Open | State::Eof => {}
            }

            // 1. Write what the machine queued, as far as the peer takes it.
            let write_blocked = match self.poll_write_side(cx) {
                Poll::Ready(Ok(())) => false,
                Poll::Ready(Err(e)) => {
                    self.state = State::Done;
                    return Poll::Ready(Some(Err(Error::Io(e))));
                }
                Poll::Pending => self.outbox.len() >= self.write_high_water,
            };

            // 2. Hand out events.
            match self.machine.poll_event() {
                Some(Ok(event)) => return Poll::Ready(Some(Ok(event))),
                Some(Err(e)) => {
                    self.failure = Some(e);
                    self.state = State::Closing;
                    continue;
                }
                None => {}
            }
            // That poll may have queued bytes without an event (a pong, an
            // acknowledgement): write them before waiting on the peer.
            if self.outbox.take_from(&mut self.machine) {
                continue;
            }

            // 3. Finished: flush and close.
            if self.machine.is_closed() || self.state == State::Eof {
                self.state = State::Closing;
                continue;
            }

            // 4. The machine's deadline.
            if let Some(deadline) = self.machine.poll_timeout() {
                let deadline = Instant::from_std(deadline);
                let now = Instant::now();
                if deadline <= now {
                    self.machine.handle_timeout(now.into_std());
                    continue;
                }
                if self.poll_sleep(deadline, cx).is_ready() {
                    self.machine.handle_timeout(Instant::now().into_std());
                    continue;
                }
            }

            // 5. Input, unless the machine or a stuck peer says wait.
            if self.machine.wants_read() && !write_blocked {
                let (buffer, size) = prepare_read(&mut self.machine, self.read_size);
                let mut limited = buffer.limit(size);
                let read =
                    tokio_util::io::poll_read_buf(Pin::new(&mut self.stream), cx, &mut limited);
                match read {
                    Poll::Ready(Ok(0)) => {
                        self.machine.handle_eof(Instant::now().into_std());
                        self.state = State::Eof;
                        continue;
                    }
                    Poll::Ready(Ok(_)) => {
                        self.machine
                            .handle_buffered_input(Instant::now().into_std());
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

    /// Arms the timer for `deadline` (re-arming only when it moved) and polls it.
    fn poll_sleep(&mut self, deadline: Instant, cx: &mut Context<'_>) -> Poll<()> {
        match &mut self.sleep {
            Some(sleep) => {
                if sleep.deadline() != deadline {
                    sleep.as_mut().reset(deadline);
                }
            }
            None => self.sleep = Some(Box::pin(tokio::time::sleep_until(deadline))),
        }
        let sleep = self.sleep.as_mut().expect("armed above");
        sleep.as_mut().poll(cx)
    }

    /// Writes the last transmits, shuts down the write side, then reports the
    /// machine's failure if there was one.
    fn poll_closing(&mut self, cx: &mut Context<'_>) -> Poll<Option<EventResult<M>>> {
        let written = match self.poll_write_side(cx) {
            // A peer that does not read must not hide the machine's error:
            // report it now, and go on writing the goodbye on later polls.
            Poll::Pending => match self.failure.take() {
                Some(failure) => return Poll::Ready(Some(Err(Error::Machine(failure)))),
                None => return Poll::Pending,
            },
            Poll::Ready(written) => written,
        };
        let closed = match written {
            Ok(()) => match ready!(Pin::new(&mut self.stream).poll_shutdown(cx)) {
                Err(e) if e.kind() != io::ErrorKind::NotConnected => Err(e),
                _ => Ok(()),
            },
            Err(e) => Err(e),
        };
        self.state = State::Done;
        // The machine's reason matters more than a failed goodbye.
        match (self.failure.take(), closed) {
            (Some(failure), _) => Poll::Ready(Some(Err(Error::Machine(failure)))),
            (None, Err(e)) => Poll::Ready(Some(Err(Error::Io(e)))),
            (None, Ok(())) => Poll::Ready(None),
        }
    }

    /// Moves the machine's transmits to the outbox and writes it out with
    /// vectored writes, then flushes the transport.
    fn poll_write_side(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.outbox.take_from(&mut self.machine);
        while !self.outbox.is_empty() {
            let written = {
                let mut slices = [IoSlice::new(&[]); MAX_IO_SLICES];
                let count = self.outbox.slices(&mut slices);
                ready!(Pin::new(&mut self.stream).poll_write_vectored(cx, &slices[..count]))
            };
            if let Err(e) = self.outbox.wrote(written) {
                return Poll::Ready(Err(e));
            }
        }
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_flush_all(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Error<M::Error>>> {
        self.poll_write_side(cx).map_err(Error::Io)
    }

    fn start_command(&mut self, cmd: M::Command) -> Result<(), Error<M::Error>> {
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

impl<M, S> Stream for Connection<M, S>
where
    M: Machine,
    S: AsyncRead + AsyncWrite + Unpin,
{
    type Item = Result<M::Event, Error<M::Error>>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().poll_next_event(cx)
    }
}

impl<M, S> FusedStream for Connection<M, S>
where
    M: Machine,
    S: AsyncRead + AsyncWrite + Unpin,
{
    fn is_terminated(&self) -> bool {
        self.is_finished()
    }
}

impl<M, S> Sink<M::Command> for Connection<M, S>
where
    M: Machine,
    S: AsyncRead + AsyncWrite + Unpin,
{
    type Error = Error<M::Error>;

    /// Ready while fewer than the write high-water mark of bytes wait to be
    /// sent; otherwise writes until they are below it.
    fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        let this = self.get_mut();
        while this.outbox.len() >= this.write_high_water {
            ready!(this.poll_write_side(cx)).map_err(Error::Io)?;
        }
        Poll::Ready(Ok(()))
    }

    /// Executes the command; its bytes are written by the next flush (or by
    /// polling the event stream).
    fn start_send(self: Pin<&mut Self>, cmd: M::Command) -> Result<(), Self::Error> {
        self.get_mut().start_command(cmd)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.get_mut().poll_flush_all(cx)
    }

    /// Flushes, then shuts down the write side. Events can still be read.
    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        let this = self.get_mut();
        ready!(this.poll_flush_all(cx))?;
        Pin::new(&mut this.stream)
            .poll_shutdown(cx)
            .map_err(Error::Io)
    }
}
