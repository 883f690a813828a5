//! The "say goodbye" hook every protocol implements, and the bookkeeping the
//! limit wrappers ([`RateLimit`](crate::RateLimit), [`MaxAge`](crate::MaxAge))
//! share around it.

use std::time::Instant;

use crate::{IdleTimeout, Machine};

/// Why a connection is asked to end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GoodbyeReason {
    /// The server shuts down (what [`Machine::handle_shutdown`] says).
    Shutdown,
    /// The peer sent more than a [`RateLimit`](crate::RateLimit) allows.
    RateLimited,
    /// The connection reached its [`MaxAge`](crate::MaxAge).
    MaxAge,
}

/// A machine that can end its connection gracefully for a given reason:
/// the hook the limit wrappers call.
///
/// The default is [`Machine::handle_shutdown`], whatever the reason: the
/// protocol's one goodbye (an RTMP session's end of stream notices and
/// close). Protocols whose goodbye carries the reason override it (a
/// WebSocket close 1008 for [`GoodbyeReason::RateLimited`], 1001 for
/// [`GoodbyeReason::MaxAge`]). Protocols without a goodbye (length-prefix
/// framing, lines) keep the default, which queues nothing: the wrapper then
/// reports [`is_closed`](Machine::is_closed), so the driver flushes what is
/// queued and closes.
pub trait Goodbye: Machine {
    /// Queues the protocol's goodbye for `reason` at `now` and refuses new
    /// sends. Returns `true` when the goodbye awaits the peer's answer (drive
    /// the machine on until it is closed), `false` when the connection is
    /// done once the transmits are flushed.
    fn say_goodbye(&mut self, reason: GoodbyeReason, now: Instant) -> bool {
        let _ = reason;
        self.handle_shutdown(now)
    }
}

impl<M: Goodbye> Goodbye for IdleTimeout<M> {
    fn say_goodbye(&mut self, reason: GoodbyeReason, now: Instant) -> bool {
        self.inner_mut().say_goodbye(reason, now)
    }
}

/// What a limit wrapper remembers about its goodbye, and the rules that
/// follow from it (shared by [`RateLimit`](crate::RateLimit) and
/// [`MaxAge`](crate::MaxAge)).
#[derive(Debug, Default)]
pub(crate) struct Farewell {
    said: Option<GoodbyeReason>,
    awaits_answer: bool,
}

impl Farewell {
    /// Says `reason`'s goodbye through `inner`, once.
    pub(crate) fn say<M: Goodbye>(&mut self, inner: &mut M, reason: GoodbyeReason, now: Instant) {
        if self.said.is_none() {
            self.awaits_answer = inner.say_goodbye(reason, now);
            self.said = Some(reason);
        }
    }

    /// The goodbye said, if any.
    pub(crate) fn said(&self) -> Option<GoodbyeReason> {
        self.said
    }

    /// Whether the goodbye was said and awaits no answer: the connection
    /// is done once flushed.
    pub(crate) fn done(&self) -> bool {
        self.said.is_some() && !self.awaits_answer
    }

    /// After the goodbye: drains `inner`'s events, dropping them, and
    /// returns only an error (so the inner machine still decodes the
    /// peer's answer to the goodbye).
    ///
    /// A goodbye that awaits no answer ends the connection: then errors are
    /// dropped too, since which ones the inner machine still finds depends
    /// on how much input it had read when the goodbye came (fuzzing showed
    /// it), and nothing is read after it.
    pub(crate) fn drop_events<M: Machine>(
        &self,
        inner: &mut M,
    ) -> Option<Result<M::Event, M::Error>> {
        loop {
            match inner.poll_event()? {
                Err(error) if !self.done() => return Some(Err(error)),
                _ => continue,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use bytes::{Bytes, BytesMut};

    use super::*;
    use crate::{MaxAge, RateLimit};

    /// Every input byte is an event; `!` is a fatal error; the goodbye
    /// queues `bye:<reason>` and awaits the peer's `.`, which closes it.
    #[derive(Default)]
    struct Polite {
        buf: BytesMut,
        out: Vec<Bytes>,
        closed: bool,
    }

    impl Machine for Polite {
        type Event = u8;
        type Command = ();
        type Error = std::io::Error;
        fn input_buffer(&mut self) -> &mut BytesMut {
            &mut self.buf
        }
        fn handle_buffered_input(&mut self, _: Instant) {}
        fn handle_eof(&mut self, _: Instant) {}
        fn handle_command(&mut self, _: (), _: Instant) -> Result<(), std::io::Error> {
            Ok(())
        }
        fn poll_event(&mut self) -> Option<Result<u8, std::io::Error>> {
            if self.buf.is_empty() {
                return None;
            }
            match self.buf.split_to(1)[0] {
                b'!' => Some(Err(std::io::Error::other("bad byte"))),
                b'.' => {
                    self.closed = true;
                    Some(Ok(b'.'))
                }
                byte => Some(Ok(byte)),
            }
        }
        fn poll_transmit(&mut self) -> Option<Bytes> {
            (!self.out.is_empty()).then(|| self.out.remove(0))
        }
        fn wants_read(&self) -> bool {
            !self.closed
        }
        fn is_closed(&self) -> bool {
            self.closed
        }
    }

    impl Goodbye for Polite {
        fn say_goodbye(&mut self, reason: GoodbyeReason, _: Instant) -> bool {
            self.out.push(Bytes::from(format!("bye:{reason:?}")));
            true
        }
    }

    #[test]
    fn a_goodbye_that_awaits_an_answer_keeps_reading_and_drops_events() {
        let t0 = Instant::now();
        let mut m = RateLimit::new(Polite::default(), 1, Duration::from_secs(1));
        m.handle_input(b"ab", t0);
        assert_eq!(m.poll_event().unwrap().unwrap(), b'a');
        assert!(m.poll_event().is_none());
        assert!(m.limited());
        assert_eq!(m.poll_transmit().unwrap(), "bye:RateLimited");
        assert!(!m.is_closed() && m.wants_read());
        m.handle_input(b"xy.", t0);
        assert!(
            m.poll_event().is_none(),
            "events after the goodbye are dropped"
        );
        assert!(m.is_closed());
    }

    #[test]
    fn inner_errors_still_come_out_after_the_goodbye() {
        let t0 = Instant::now();
        let mut m = MaxAge::new(Polite::default(), Duration::from_secs(1));
        m.handle_connected(t0);
        m.handle_timeout(t0 + Duration::from_secs(1));
        assert!(m.expired());
        assert_eq!(m.poll_transmit().unwrap(), "bye:MaxAge");
        m.handle_input(b"z!", t0 + Duration::from_secs(2));
        assert!(m.poll_event().unwrap().is_err());
    }

    #[test]
    fn the_goodbye_is_said_once_and_wrappers_pass_it_on() {
        let t0 = Instant::now();
        let rate = RateLimit::new(Polite::default(), 0, Duration::from_secs(1));
        let mut m = MaxAge::new(rate, Duration::from_secs(1));
        m.handle_input(b"a", t0);
        assert!(m.poll_event().is_none());
        m.handle_timeout(t0 + Duration::from_secs(5));
        assert!(m.inner().limited() && m.expired());
        // Each wrapper said it once; the inner machine heard both.
        assert_eq!(m.poll_transmit().unwrap(), "bye:RateLimited");
        assert_eq!(m.poll_transmit().unwrap(), "bye:MaxAge");
        assert_eq!(m.poll_transmit(), None);
        assert!(m.say_goodbye(GoodbyeReason::Shutdown, t0));
        assert_eq!(m.poll_transmit().unwrap(), "bye:Shutdown");
    }
}
