use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};

use crate::goodbye::Farewell;
use crate::{Goodbye, GoodbyeReason, Machine};

/// Wraps any machine and allows the peer at most `capacity` events per
/// `duration` (Riverside's `transmission_limit`); past it, the protocol's
/// goodbye for [`GoodbyeReason::RateLimited`] (a WebSocket close 1008).
///
/// # Counting
///
/// A fixed window: the first event starts a window of `duration`; every
/// event of the inner machine (each `Ok` of
/// [`poll_event`](Machine::poll_event)) counts in the window it falls in,
/// and the first event at or past the window's end starts a new one. An
/// event's time is the `now` of the latest `handle_*` call before it (the
/// input that carried it), since `poll_event` takes no time. So at most
/// `capacity` events come out of any one window; a burst across a window
/// boundary may pass up to twice `capacity` within `duration`.
///
/// # Past the limit
///
/// The event number `capacity + 1` of a window is dropped and the goodbye
/// said ([`Goodbye::say_goodbye`]); [`limited`](RateLimit::limited) turns
/// `true` so servers can count it. From then on every inner event is
/// dropped (the inner machine still decodes them, so it sees the peer's
/// answer to the goodbye); inner errors still come out. A goodbye that
/// awaits no answer (lines, length-prefix framing) closes the wrapper at
/// once: [`is_closed`](Machine::is_closed), no more reading, the driver
/// flushes what is queued and closes.
///
/// ```
/// use std::time::{Duration, Instant};
/// use wirestate_core::{Machine, RateLimit};
/// # use bytes::{Bytes, BytesMut};
/// # #[derive(Default)] struct Bytewise { buf: BytesMut }
/// # impl Machine for Bytewise {
/// #     type Event = u8; type Command = (); type Error = std::io::Error;
/// #     fn input_buffer(&mut self) -> &mut BytesMut { &mut self.buf }
/// #     fn handle_buffered_input(&mut self, _: Instant) {}
/// #     fn handle_eof(&mut self, _: Instant) {}
/// #     fn handle_command(&mut self, _: (), _: Instant) -> Result<(), std::io::Error> { Ok(()) }
/// #     fn poll_event(&mut self) -> Option<Result<u8, std::io::Error>> {
/// #         (!self.buf.is_empty()).then(|| Ok(self.buf.split_to(1)[0]))
/// #     }
/// #     fn poll_transmit(&mut self) -> Option<Bytes> { None }
/// #     fn wants_read(&self) -> bool { true }
/// #     fn is_closed(&self) -> bool { false }
/// # }
/// # impl wirestate_core::Goodbye for Bytewise {}
/// let start = Instant::now();
/// // At most 2 events (here: bytes) per second.
/// let mut m = RateLimit::new(Bytewise::default(), 2, Duration::from_secs(1));
/// m.handle_input(b"ab", start);
/// assert_eq!(m.poll_event().unwrap().unwrap(), b'a');
/// assert_eq!(m.poll_event().unwrap().unwrap(), b'b');
/// m.handle_input(b"c", start + Duration::from_millis(500));
/// assert!(m.poll_event().is_none()); // the third in the window: dropped
/// assert!(m.limited());
/// assert!(m.is_closed()); // this toy protocol's goodbye awaits no answer
/// ```
#[derive(Debug)]
pub struct RateLimit<M: Machine> {
    inner: M,
    capacity: u64,
    duration: Duration,
    /// Where the current window started, once an event came.
    window: Option<Instant>,
    /// Events counted in the current window.
    count: u64,
    /// The `now` of the latest `handle_*` call: the time of the next events.
    clock: Option<Instant>,
    /// Which events count (all by default).
    counts: fn(&M::Event) -> bool,
    farewell: Farewell,
}

impl<M: Goodbye> RateLimit<M> {
    /// Wraps `inner`: at most `capacity` events per `duration` (a capacity
    /// of 0 says goodbye on the first event).
    pub fn new(inner: M, capacity: u64, duration: Duration) -> Self {
        RateLimit {
            inner,
            capacity,
            duration,
            window: None,
            count: 0,
            clock: None,
            counts: |_| true,
            farewell: Farewell::default(),
        }
    }

    /// Counts only the events for which `counts` is `true` (a WebSocket
    /// server counting messages, not pings); the others pass freely, also
    /// past the limit until the goodbye.
    pub fn counting(mut self, counts: fn(&M::Event) -> bool) -> Self {
        self.counts = counts;
        self
    }

    /// Whether the peer went past the limit (the goodbye was said): count
    /// it, log it.
    pub fn limited(&self) -> bool {
        self.farewell.said() == Some(GoodbyeReason::RateLimited)
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

    /// Notes the time of a `handle_*` call.
    fn tick(&mut self, now: Instant) {
        self.clock = Some(now);
    }

    /// Counts one event; `false` when it is past the limit.
    fn admit(&mut self) -> bool {
        let Some(now) = self.clock else {
            // An event before any call that gives time cannot come from
            // the peer; it is not counted.
            return true;
        };
        // A window too long for `Instant` never ends.
        let ended = |start: Instant| {
            start
                .checked_add(self.duration)
                .is_some_and(|end| now >= end)
        };
        match self.window {
            Some(start) if !ended(start) => {}
            _ => {
                self.window = Some(now);
                self.count = 0;
            }
        }
        self.count += 1;
        if self.count <= self.capacity {
            return true;
        }
        self.farewell
            .say(&mut self.inner, GoodbyeReason::RateLimited, now);
        false
    }
}

impl<M: Goodbye> Machine for RateLimit<M> {
    type Event = M::Event;
    type Command = M::Command;
    type Error = M::Error;

    fn input_buffer(&mut self) -> &mut BytesMut {
        self.inner.input_buffer()
    }

    fn handle_buffered_input(&mut self, now: Instant) {
        self.tick(now);
        self.inner.handle_buffered_input(now);
    }

    fn handle_eof(&mut self, now: Instant) {
        self.tick(now);
        self.inner.handle_eof(now);
    }

    fn handle_timeout(&mut self, now: Instant) {
        self.tick(now);
        self.inner.handle_timeout(now);
    }

    fn handle_connected(&mut self, now: Instant) {
        self.tick(now);
        self.inner.handle_connected(now);
    }

    fn handle_written(&mut self, written: usize, unsent: usize, now: Instant) {
        self.inner.handle_written(written, unsent, now);
    }

    fn handle_shutdown(&mut self, now: Instant) -> bool {
        self.inner.handle_shutdown(now)
    }

    fn handle_command(&mut self, cmd: M::Command, now: Instant) -> Result<(), M::Error> {
        self.inner.handle_command(cmd, now)
    }

    /// The inner machine's next event while within the limit; past it,
    /// nothing but inner errors (see the type docs).
    fn poll_event(&mut self) -> Option<Result<M::Event, M::Error>> {
        if self.farewell.said().is_some() {
            return self.farewell.drop_events(&mut self.inner);
        }
        match self.inner.poll_event()? {
            Ok(event) if !(self.counts)(&event) || self.admit() => Some(Ok(event)),
            Ok(_) => self.farewell.drop_events(&mut self.inner),
            Err(error) => Some(Err(error)),
        }
    }

    fn poll_transmit(&mut self) -> Option<Bytes> {
        self.inner.poll_transmit()
    }

    /// The inner machine's: the window needs no timer (it is checked when
    /// an event comes).
    fn poll_timeout(&self) -> Option<Instant> {
        self.inner.poll_timeout()
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

impl<M: Goodbye> Goodbye for RateLimit<M> {
    fn say_goodbye(&mut self, reason: GoodbyeReason, now: Instant) -> bool {
        self.inner.say_goodbye(reason, now)
    }
}
