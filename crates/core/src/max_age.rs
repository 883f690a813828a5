use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};

use crate::goodbye::Farewell;
use crate::{Goodbye, GoodbyeReason, Machine, Timer, TimerTable};

/// Wraps any machine and ends its connection once it is `max_age` old
/// (Riverside's `max_connection_age`): the protocol's goodbye for
/// [`GoodbyeReason::MaxAge`] (a WebSocket close 1001).
///
/// The age counts from [`handle_connected`](Machine::handle_connected), or
/// from the first other `handle_*` call of a machine that is never told. It
/// is a machine timer: [`poll_timeout`](Machine::poll_timeout) announces
/// it, [`handle_timeout`](Machine::handle_timeout) at or past it says the
/// goodbye, [`expired`](MaxAge::expired) turns `true` so servers can count
/// it. From then on every inner event is dropped (the inner machine still
/// decodes them, so it sees the peer's answer); inner errors still come
/// out. A goodbye that awaits no answer (lines, length-prefix framing)
/// closes the wrapper at once: [`is_closed`](Machine::is_closed), no more
/// reading, the driver flushes what is queued and closes.
///
/// ```
/// use std::time::{Duration, Instant};
/// use wirestate_core::{MaxAge, Machine};
/// # use bytes::{Bytes, BytesMut};
/// # #[derive(Default)] struct Quiet { buf: BytesMut }
/// # impl Machine for Quiet {
/// #     type Event = (); type Command = (); type Error = std::io::Error;
/// #     fn input_buffer(&mut self) -> &mut BytesMut { &mut self.buf }
/// #     fn handle_buffered_input(&mut self, _: Instant) {}
/// #     fn handle_eof(&mut self, _: Instant) {}
/// #     fn handle_command(&mut self, _: (), _: Instant) -> Result<(), std::io::Error> { Ok(()) }
/// #     fn poll_event(&mut self) -> Option<Result<(), std::io::Error>> { None }
/// #     fn poll_transmit(&mut self) -> Option<Bytes> { None }
/// #     fn wants_read(&self) -> bool { true }
/// #     fn is_closed(&self) -> bool { false }
/// # }
/// # impl wirestate_core::Goodbye for Quiet {}
/// let start = Instant::now();
/// let mut m = MaxAge::new(Quiet::default(), Duration::from_secs(3600));
/// m.handle_connected(start);
/// assert_eq!(m.poll_timeout(), Some(start + Duration::from_secs(3600)));
/// m.handle_timeout(start + Duration::from_secs(3600));
/// assert!(m.expired());
/// assert!(m.is_closed()); // this toy protocol's goodbye awaits no answer
/// ```
#[derive(Debug)]
pub struct MaxAge<M: Machine> {
    inner: M,
    max_age: Duration,
    started: bool,
    timers: TimerTable<AgeTimer>,
    farewell: Farewell,
}

/// The wrapper's one timer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AgeTimer {
    Age,
}

impl Timer for AgeTimer {
    const ALL: &'static [Self] = &[AgeTimer::Age];
}

impl<M: Goodbye> MaxAge<M> {
    /// Wraps `inner`; the connection may live `max_age` from
    /// [`handle_connected`](Machine::handle_connected).
    pub fn new(inner: M, max_age: Duration) -> Self {
        MaxAge {
            inner,
            max_age,
            started: false,
            timers: TimerTable::default(),
            farewell: Farewell::default(),
        }
    }

    /// Whether the connection reached its maximum age (the goodbye was
    /// said): count it, log it.
    pub fn expired(&self) -> bool {
        self.farewell.said() == Some(GoodbyeReason::MaxAge)
    }

    /// The wrapped machine.
    pub fn inner(&self) -> &M {
        &self.inner
    }

    /// The wrapped machine, mutably (for its inherent API).
    pub fn inner_mut(&mut self) -> &mut M {
        &mut self.inner
    }

    /// Unwraps the inner machine.
    pub fn into_inner(self) -> M {
        self.inner
    }

    /// Starts the age clock at `now`, once.
    fn start(&mut self, now: Instant) {
        if !self.started {
            self.started = true;
            // An age too long for `Instant` is never reached.
            if let Some(deadline) = now.checked_add(self.max_age) {
                self.timers.set(AgeTimer::Age, deadline);
            }
        }
    }
}

impl<M: Goodbye> Machine for MaxAge<M> {
    type Event = M::Event;
    type Command = M::Command;
    type Error = M::Error;

    fn input_buffer(&mut self) -> &mut BytesMut {
        self.inner.input_buffer()
    }

    fn handle_buffered_input(&mut self, now: Instant) {
        self.start(now);
        self.inner.handle_buffered_input(now);
    }

    fn handle_eof(&mut self, now: Instant) {
        self.start(now);
        self.inner.handle_eof(now);
    }

    /// Says the goodbye when the age deadline passed, then passes `now`
    /// to the inner machine's timers.
    fn handle_timeout(&mut self, now: Instant) {
        if let Some(AgeTimer::Age) = self.timers.expire(now) {
            self.farewell
                .say(&mut self.inner, GoodbyeReason::MaxAge, now);
        }
        self.inner.handle_timeout(now);
    }

    fn handle_connected(&mut self, now: Instant) {
        self.start(now);
        self.inner.handle_connected(now);
    }

    fn handle_written(&mut self, written: usize, unsent: usize, now: Instant) {
        self.start(now);
        self.inner.handle_written(written, unsent, now);
    }

    fn handle_shutdown(&mut self, now: Instant) -> bool {
        self.inner.handle_shutdown(now)
    }

    fn handle_command(&mut self, cmd: M::Command, now: Instant) -> Result<(), M::Error> {
        self.inner.handle_command(cmd, now)
    }

    /// The inner machine's next event until the goodbye; then nothing but
    /// inner errors (see the type docs).
    fn poll_event(&mut self) -> Option<Result<M::Event, M::Error>> {
        if self.farewell.said().is_some() {
            return self.farewell.drop_events(&mut self.inner);
        }
        self.inner.poll_event()
    }

    fn poll_transmit(&mut self) -> Option<Bytes> {
        self.inner.poll_transmit()
    }

    /// The earlier of the age deadline (until it fired) and the inner
    /// machine's deadline. It changes after the first `handle_*` call (the
    /// clock starts), after `handle_timeout` (the goodbye) and after
    /// whatever changes the inner machine's.
    fn poll_timeout(&self) -> Option<Instant> {
        let age = self.timers.next();
        match self.inner.poll_timeout() {
            Some(inner) => age.map(|age| age.min(inner)).or(Some(inner)),
            None => age,
        }
    }

    fn wants_read(&self) -> bool {
        !self.farewell.done() && self.inner.wants_read()
    }

    fn input_needed(&self) -> Option<usize> {
        self.inner.input_needed()
    }

    fn held_bytes(&self) -> usize {
        self.inner.held_bytes()
    }

    /// The inner machine's, or `true` once a goodbye that awaits no answer
    /// was said.
    fn is_closed(&self) -> bool {
        self.farewell.done() || self.inner.is_closed()
    }
}

impl<M: Goodbye> Goodbye for MaxAge<M> {
    fn say_goodbye(&mut self, reason: GoodbyeReason, now: Instant) -> bool {
        self.inner.say_goodbye(reason, now)
    }
}
