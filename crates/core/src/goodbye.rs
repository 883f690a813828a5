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
    pub(crate) fn drop_events<M: Machine>(inner: &mut M) -> Option<Result<M::Event, M::Error>> {
        loop {
            match inner.poll_event()? {
                Ok(_) => continue,
                Err(error) => return Some(Err(error)),
            }
        }
    }
}
