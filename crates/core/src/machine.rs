use std::time::Instant;

use bytes::{Bytes, BytesMut};

/// A Sans-IO protocol state machine.
///
/// Push with `handle_*`, pull with `poll_*`. The machine never performs IO,
/// never reads a clock and never draws randomness of its own: everything it
/// knows arrives through these methods, so the same calls always give the same
/// events and the same bytes.
///
/// # Driving a machine
///
/// A driver (or a test) calls [`handle_connected`](Machine::handle_connected)
/// once, then runs this loop:
///
/// 1. Drain [`poll_transmit`](Machine::poll_transmit) until `None` and write
///    the chunks, in order (they are ready for one vectored write); report
///    how far the writes got with
///    [`handle_written`](Machine::handle_written).
/// 2. Drain [`poll_event`](Machine::poll_event) and hand the events to the
///    application. A `Some(Err(_))` is fatal: the machine is poisoned, later
///    polls return `None` (but step 1 may still yield a goodbye, such as a
///    WebSocket close frame).
/// 3. If [`is_closed`](Machine::is_closed), flush transmits and close.
/// 4. Otherwise wait for whichever comes first: readable input (only while
///    [`wants_read`](Machine::wants_read)), the peer taking queued bytes, the
///    deadline of [`poll_timeout`](Machine::poll_timeout), or a command from
///    the application; feed it in with the matching `handle_*` call; repeat.
///    Every wait, also for the peer to take bytes and after its EOF, ends at
///    the deadline: that is how a machine's send and handshake timeouts
///    bound a stuck peer.
///    Input can be read straight into
///    [`input_buffer`](Machine::input_buffer), into the room the machine
///    reserved when it reports [`input_needed`](Machine::input_needed).
///
/// # Chunk independence
///
/// Every implementation yields the same events and the same transmitted bytes
/// whether its input arrives whole, one byte at a time, or cut anywhere.
/// The `testing` module (feature `testing`) checks exactly that.
pub trait Machine {
    /// Decoded things for the application (frames, lines, messages ...).
    type Event;
    /// Application requests that produce wire bytes (send a frame, accept a
    /// handshake ...). Protocol crates also offer richer inherent methods; this
    /// type exists so generic drivers can pass requests through.
    type Command;
    /// Fatal errors: the peer broke a protocol rule, or the application misused
    /// the machine.
    type Error: std::error::Error + Send + Sync + 'static;

    /// Feeds bytes received from the peer.
    ///
    /// The default copies `data` into [`input_buffer`](Machine::input_buffer)
    /// and calls [`handle_buffered_input`](Machine::handle_buffered_input).
    /// Afterwards, poll events and transmits.
    fn handle_input(&mut self, data: &[u8], now: Instant) {
        self.input_buffer().extend_from_slice(data);
        self.handle_buffered_input(now);
    }

    /// The buffer that holds received, not yet decoded input.
    ///
    /// Drivers read from the socket straight into its spare capacity (for
    /// example with `read_buf`), then call
    /// [`handle_buffered_input`](Machine::handle_buffered_input). Callers must
    /// only append to it; the bytes already in it belong to the machine.
    /// Decoded payloads are split off this buffer, so they share its memory
    /// instead of being copied.
    fn input_buffer(&mut self) -> &mut BytesMut;

    /// Tells the machine that bytes were appended to
    /// [`input_buffer`](Machine::input_buffer) at time `now`.
    ///
    /// Decoding may happen here or lazily in [`poll_event`](Machine::poll_event);
    /// either way, poll events and transmits next.
    fn handle_buffered_input(&mut self, now: Instant);

    /// Tells the machine that the peer closed its sending side.
    ///
    /// What happens to a partial unit still buffered is each machine's
    /// documented EOF policy. Poll events next: the final ones, or an error.
    fn handle_eof(&mut self, now: Instant);

    /// Tells the machine that the deadline it announced through
    /// [`poll_timeout`](Machine::poll_timeout) may have passed. Calls before the
    /// deadline are no-ops, so a driver may call it whenever it wakes up.
    /// Afterwards, poll events and transmits: a timer may have queued bytes
    /// (a keepalive ping) or failed the machine (an idle timeout).
    ///
    /// The default does nothing, for machines without timers. Machines with
    /// timers keep them in a [`TimerTable`](crate::TimerTable).
    fn handle_timeout(&mut self, now: Instant) {
        let _ = now;
    }

    /// Tells the machine that its transport is connected, at `now`. The
    /// clocks that run from the start of a connection (a handshake deadline)
    /// start here; a machine that is never told starts them at its first
    /// input. Drivers call it once, before anything else.
    ///
    /// The default does nothing, for machines without such clocks.
    fn handle_connected(&mut self, now: Instant) {
        let _ = now;
    }

    /// Tells the machine how far the driver got writing its transmits: at
    /// `now`, `written` more bytes went to the transport, and `unsent` bytes
    /// taken from [`poll_transmit`](Machine::poll_transmit) still wait.
    /// Drivers call it after every write attempt that wrote something or
    /// left bytes waiting.
    ///
    /// A machine with a send timeout arms it while bytes wait and re-arms it
    /// whenever some are written
    /// ([`TimerTable::track_send`](crate::TimerTable::track_send)); when it
    /// expires, the peer has stopped reading and the machine fails. A machine
    /// that is never told assumes every transmit was written at once. Poll
    /// the timeout next: this call moves it.
    ///
    /// The default does nothing, for machines without a send timeout.
    fn handle_written(&mut self, written: usize, unsent: usize, now: Instant) {
        let _ = (written, unsent, now);
    }

    /// Asks the machine to end the connection gracefully at `now` (a server
    /// shutting down): it queues the protocol's goodbye, such as a WebSocket
    /// close 1001 "going away", and refuses new sends.
    ///
    /// Returns `true` when the goodbye awaits the peer's answer: drive the
    /// machine on (write, read, poll events) until it
    /// [`is_closed`](Machine::is_closed) or your drain deadline passes.
    /// `false`: flush the transmits and close.
    ///
    /// The default queues nothing and returns `false`, for protocols
    /// without a goodbye.
    fn handle_shutdown(&mut self, now: Instant) -> bool {
        let _ = now;
        false
    }

    /// Executes an application request. Wire bytes it produces come out of
    /// [`poll_transmit`](Machine::poll_transmit).
    ///
    /// # Errors
    ///
    /// A local error: the request was invalid, or the machine was already
    /// closed. The machine itself is unchanged by it.
    fn handle_command(&mut self, cmd: Self::Command, now: Instant) -> Result<(), Self::Error>;

    /// Returns the next decoded event, `None` when there is none yet.
    ///
    /// `Some(Err(_))` is fatal: it is returned once, and every later call
    /// returns `None` (see [`Poison`](crate::Poison)).
    ///
    /// A `None` turns into `Some` only after a call that gives the machine
    /// something new: any `handle_*` call, or an inherent method that
    /// changes what the machine expects (a WebSocket server's `accept`, a
    /// line machine's `expect_raw`, an RTMP session's `accept_*`). Each
    /// protocol crate names those methods on its connection type.
    #[must_use = "events carry the decoded input; a dropped error hides a fatal failure"]
    fn poll_event(&mut self) -> Option<Result<Self::Event, Self::Error>>;

    /// Returns the next piece of bytes to send to the peer, in order.
    ///
    /// Drain it completely after every `handle_*`, `poll_event` and inherent
    /// `send`/`accept`/`close` call: any of them may queue bytes (an echoed
    /// ping, an acknowledgement, a close frame). A header and its payload
    /// come out as two consecutive pieces, ready for a vectored write.
    #[must_use = "transmits must be written to the peer, in order"]
    fn poll_transmit(&mut self) -> Option<Bytes>;

    /// The next instant at which [`handle_timeout`](Machine::handle_timeout)
    /// must be called, if any (the earliest of the machine's
    /// [`TimerTable`](crate::TimerTable)).
    ///
    /// The answer changes after any `handle_*` call and after inherent calls
    /// that arm or disarm timers (sending a ping, starting a close). The
    /// default, `None`, is for machines without timers.
    #[must_use]
    fn poll_timeout(&self) -> Option<Instant> {
        None
    }

    /// Whether the machine accepts more input now.
    ///
    /// `false` once the buffered input reaches the machine's high-water mark
    /// (the application is behind on events) or after EOF and fatal errors:
    /// a driver stops reading until it turns `true` again, the same flow
    /// control as Erlang's `{active, once}`. It turns `true` again after
    /// `poll_event` took enough events to bring the buffer under the mark.
    #[must_use]
    fn wants_read(&self) -> bool;

    /// How many more bytes the unit being decoded still needs, when the
    /// machine knows (a frame whose length has arrived) and has reserved
    /// room for it in [`input_buffer`](Machine::input_buffer).
    ///
    /// While it returns `Some(n)` and the buffer has `n` bytes of spare
    /// capacity (or a whole read's worth), drivers read into that room
    /// instead of reserving a full read: growing a buffer sized for a large
    /// unit would copy everything in it. The default, `None`, leaves the
    /// buffer's sizing to the driver.
    #[must_use]
    fn input_needed(&self) -> Option<usize> {
        None
    }

    /// Bytes the machine holds outside its
    /// [`input_buffer`](Machine::input_buffer): units being reassembled
    /// (the earlier fragments of a WebSocket message, its inflated bytes, an
    /// RTMP message arriving in chunks). Drivers charge them, with the input
    /// buffer and their unsent transmits, to a server's memory budget.
    ///
    /// The default, 0, is for machines that keep nothing outside the input
    /// buffer.
    #[must_use]
    fn held_bytes(&self) -> usize {
        0
    }

    /// Whether the machine is finished. A driver flushes the remaining
    /// transmits, then closes the connection. Once `true`, it stays `true`.
    #[must_use]
    fn is_closed(&self) -> bool;
}
