use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};

use crate::{Machine, Poison, Timer, TimerTable, DEFAULT_SEND_TIMEOUT};

/// Why an [`IdleTimeout`] machine stopped.
#[derive(Debug, thiserror::Error)]
pub enum IdleError<E> {
    /// The wrapped machine failed.
    #[error(transparent)]
    Inner(E),
    /// No input arrived for the configured time.
    #[error("no input for {0:?}: idle timeout")]
    TimedOut(Duration),
    /// Bytes waited to be sent and the peer took none for the configured
    /// send timeout: it stopped reading.
    #[error("the peer took no bytes for {0:?}: send timeout")]
    SendStalled(Duration),
}

/// Wraps any machine and closes it after a period without input, the idle
/// timeout of classic Erlang servers (`gen_tcp:recv(Sock, 0, 120000)`), or
/// when the peer stops taking the bytes sent to it (the send timeout,
/// [`DEFAULT_SEND_TIMEOUT`] unless set with
/// [`with_send_timeout`](IdleTimeout::with_send_timeout)).
///
/// Only bytes from the peer count as input activity: commands and transmits
/// do not. The send timeout runs while the driver reports unsent bytes
/// ([`Machine::handle_written`]) and restarts whenever some are written.
/// The timer is driven purely through [`Machine::poll_timeout`] and
/// [`Machine::handle_timeout`]; when it fires, the next
/// [`poll_event`](Machine::poll_event) returns [`IdleError::TimedOut`] and the
/// machine reports [`is_closed`](Machine::is_closed).
#[derive(Debug)]
pub struct IdleTimeout<M: Machine> {
    inner: M,
    idle: Duration,
    send_timeout: Option<Duration>,
    timers: TimerTable<IdleTimer>,
    poison: Poison<IdleError<M::Error>>,
}

/// The wrapper's one timer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum IdleTimer {
    Idle,
    SendStall,
}

impl Timer for IdleTimer {
    const ALL: &'static [Self] = &[IdleTimer::Idle, IdleTimer::SendStall];
}

impl<M: Machine> IdleTimeout<M> {
    /// Wraps `inner`; the idle clock starts at `now` (the crate docs show it
    /// around a toy machine).
    pub fn new(inner: M, idle: Duration, now: Instant) -> Self {
        let mut timers = TimerTable::default();
        timers.set(IdleTimer::Idle, now + idle);
        IdleTimeout {
            inner,
            idle,
            send_timeout: Some(DEFAULT_SEND_TIMEOUT),
            timers,
            poison: Poison::default(),
        }
    }

    /// Sets how long queued bytes may wait without the peer taking any
    /// (`None`: forever). Default [`DEFAULT_SEND_TIMEOUT`].
    pub fn with_send_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.send_timeout = timeout;
        self
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

    /// Fails the wrapper: no more timers, the error comes out of `poll_event`.
    fn fail(&mut self, error: IdleError<M::Error>) {
        self.timers.stop_all();
        self.poison.fail(error);
    }
}

impl<M: Machine> Machine for IdleTimeout<M> {
    type Event = M::Event;
    type Command = M::Command;
    type Error = IdleError<M::Error>;

    fn input_buffer(&mut self) -> &mut BytesMut {
        self.inner.input_buffer()
    }

    fn handle_buffered_input(&mut self, now: Instant) {
        if self.poison.is_healthy() {
            self.timers.set(IdleTimer::Idle, now + self.idle);
        }
        self.inner.handle_buffered_input(now);
    }

    fn handle_eof(&mut self, now: Instant) {
        self.inner.handle_eof(now);
    }

    fn handle_timeout(&mut self, now: Instant) {
        match self.timers.expire(now) {
            Some(IdleTimer::Idle) => self.fail(IdleError::TimedOut(self.idle)),
            Some(IdleTimer::SendStall) => {
                let limit = self.send_timeout.unwrap_or_default();
                self.fail(IdleError::SendStalled(limit));
            }
            None => self.inner.handle_timeout(now),
        }
    }

    fn handle_connected(&mut self, now: Instant) {
        self.inner.handle_connected(now);
    }

    fn handle_written(&mut self, written: usize, unsent: usize, now: Instant) {
        if self.poison.is_healthy() {
            let timeout = self.send_timeout;
            self.timers
                .track_send(IdleTimer::SendStall, timeout, written, unsent, now);
        }
        self.inner.handle_written(written, unsent, now);
    }

    fn handle_shutdown(&mut self, now: Instant) -> bool {
        self.inner.handle_shutdown(now)
    }

    fn handle_command(&mut self, cmd: M::Command, now: Instant) -> Result<(), Self::Error> {
        self.inner
            .handle_command(cmd, now)
            .map_err(IdleError::Inner)
    }

    /// The inner machine's next event, or [`IdleError::TimedOut`] once after
    /// the idle timer fired (then `None` forever).
    ///
    /// Its answer changes after whatever changes the inner machine's, and
    /// after [`handle_timeout`](Machine::handle_timeout) at or past the
    /// deadline (the timeout). An inner error stops the idle timer.
    fn poll_event(&mut self) -> Option<Result<M::Event, Self::Error>> {
        if !self.poison.is_healthy() {
            return self.poison.take_error().map(Err);
        }
        let next = self.inner.poll_event()?.map_err(IdleError::Inner);
        if next.is_err() {
            self.timers.stop_all();
        }
        self.poison.check(Some(next))
    }

    fn poll_transmit(&mut self) -> Option<Bytes> {
        self.inner.poll_transmit()
    }

    /// The earlier of the idle deadline and the inner machine's deadline;
    /// `None` once the wrapper failed.
    ///
    /// Its answer changes after [`handle_input`](Machine::handle_input) (or
    /// [`handle_buffered_input`](Machine::handle_buffered_input)): input
    /// moves the idle deadline; after [`handle_timeout`](Machine::handle_timeout)
    /// (the timeout fires); after a [`poll_event`](Machine::poll_event) that
    /// returned an inner error (the idle timer stops); and after whatever
    /// changes the inner machine's answer. Commands and transmits do not
    /// move the idle deadline.
    fn poll_timeout(&self) -> Option<Instant> {
        if !self.poison.is_healthy() {
            return None;
        }
        let idle = self.timers.next();
        match self.inner.poll_timeout() {
            Some(inner) => idle.map(|idle| idle.min(inner)).or(Some(inner)),
            None => idle,
        }
    }

    fn wants_read(&self) -> bool {
        self.poison.is_healthy() && self.inner.wants_read()
    }

    fn input_needed(&self) -> Option<usize> {
        self.inner.input_needed()
    }

    fn held_bytes(&self) -> usize {
        self.inner.held_bytes()
    }

    fn is_closed(&self) -> bool {
        !self.poison.is_healthy() || self.inner.is_closed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Buffers input and emits each push's length as one event.
    #[derive(Default)]
    struct Counter {
        buf: BytesMut,
        pending: Vec<usize>,
        timeouts: usize,
    }

    impl Machine for Counter {
        type Event = usize;
        type Command = ();
        type Error = std::io::Error;
        fn input_buffer(&mut self) -> &mut BytesMut {
            &mut self.buf
        }
        fn handle_buffered_input(&mut self, _now: Instant) {
            self.pending.push(self.buf.len());
            self.buf.clear();
        }
        fn handle_eof(&mut self, _now: Instant) {}
        fn handle_timeout(&mut self, _now: Instant) {
            self.timeouts += 1;
        }
        fn handle_command(&mut self, _: (), _now: Instant) -> Result<(), std::io::Error> {
            Ok(())
        }
        fn poll_event(&mut self) -> Option<Result<usize, std::io::Error>> {
            (!self.pending.is_empty()).then(|| Ok(self.pending.remove(0)))
        }
        fn poll_transmit(&mut self) -> Option<Bytes> {
            None
        }
        fn poll_timeout(&self) -> Option<Instant> {
            None
        }
        fn wants_read(&self) -> bool {
            true
        }
        fn is_closed(&self) -> bool {
            false
        }
    }

    #[test]
    fn input_pushes_the_deadline_back() {
        let t0 = Instant::now();
        let idle = Duration::from_secs(120);
        let mut m = IdleTimeout::new(Counter::default(), idle, t0);
        assert_eq!(m.poll_timeout(), Some(t0 + idle));
        let t1 = t0 + Duration::from_secs(100);
        m.handle_input(b"abc", t1);
        assert_eq!(m.poll_event().unwrap().unwrap(), 3);
        assert_eq!(m.poll_timeout(), Some(t1 + idle));
        // The old deadline is now early: the wrapper passes it to the inner machine.
        m.handle_timeout(t0 + idle);
        assert!(!m.is_closed());
        assert_eq!(m.inner().timeouts, 1);
        assert!(m.poll_event().is_none());
    }

    #[test]
    fn expiry_reports_once_then_stays_closed() {
        let t0 = Instant::now();
        let idle = Duration::from_millis(5);
        let mut m = IdleTimeout::new(Counter::default(), idle, t0);
        m.handle_timeout(t0 + idle);
        assert!(m.is_closed());
        assert!(!m.wants_read());
        assert!(matches!(m.poll_event(), Some(Err(IdleError::TimedOut(d))) if d == idle));
        assert!(m.poll_event().is_none());
        assert_eq!(m.poll_timeout(), None);
        // Input after expiry does not revive the machine.
        m.handle_input(b"x", t0 + idle * 2);
        assert!(m.poll_event().is_none());
        assert!(m.is_closed());
    }

    #[test]
    fn a_peer_that_takes_no_bytes_fails_after_the_send_timeout() {
        let t0 = Instant::now();
        let idle = Duration::from_secs(120);
        let send = Duration::from_secs(30);
        let mut m = IdleTimeout::new(Counter::default(), idle, t0).with_send_timeout(Some(send));
        m.handle_written(0, 500, t0);
        assert_eq!(m.poll_timeout(), Some(t0 + send));
        // Progress restarts the clock; a report without progress does not.
        let t1 = t0 + Duration::from_secs(20);
        m.handle_written(100, 400, t1);
        m.handle_written(0, 400, t1 + Duration::from_secs(5));
        assert_eq!(m.poll_timeout(), Some(t1 + send));
        // Input does not count as the peer taking bytes.
        m.handle_input(b"x", t1 + Duration::from_secs(29));
        assert_eq!(m.poll_event().unwrap().unwrap(), 1);
        m.handle_timeout(t1 + send);
        assert!(m.is_closed());
        assert!(matches!(m.poll_event(), Some(Err(IdleError::SendStalled(d))) if d == send));
        assert_eq!(m.poll_timeout(), None);
    }

    #[test]
    fn nothing_waiting_stops_the_send_timer() {
        let t0 = Instant::now();
        let mut m = IdleTimeout::new(Counter::default(), Duration::from_secs(120), t0);
        m.handle_written(0, 10, t0);
        assert_eq!(m.poll_timeout(), Some(t0 + DEFAULT_SEND_TIMEOUT));
        m.handle_written(10, 0, t0);
        assert_eq!(m.poll_timeout(), Some(t0 + Duration::from_secs(120)));
        let mut never = IdleTimeout::new(Counter::default(), Duration::from_secs(1), t0)
            .with_send_timeout(None);
        never.handle_written(0, 10, t0);
        assert_eq!(never.poll_timeout(), Some(t0 + Duration::from_secs(1)));
    }
}
