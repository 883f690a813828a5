//! The driver's deadlines: the machine's own timers, and the drain deadline
//! that bounds the last writes of a closing connection.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::time::{Instant, Sleep};
use wirestate_core::Machine;

/// Which deadline woke the driver.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Wake {
    /// The machine's deadline passed and its `handle_timeout` ran: poll it
    /// again (it may have queued bytes, failed, or closed).
    Machine,
    /// The drain deadline passed: give up the remaining writes.
    Drain,
}

/// The deadlines of one connection, on tokio's clock.
#[derive(Debug, Default)]
pub(crate) struct Clock {
    /// The one timer, created on first use (creating one needs a runtime)
    /// and reset when the deadline moves.
    sleep: Option<Pin<Box<Sleep>>>,
    /// Whether the machine was told that the connection started.
    started: bool,
    /// When the remaining writes are given up: set once the machine is
    /// closed or failed, or a shutdown began.
    drain: Option<Instant>,
}

impl Clock {
    /// Tells the machine, once, that the connection started now.
    #[inline]
    pub(crate) fn start<M: Machine>(&mut self, machine: &mut M) {
        if !self.started {
            self.started = true;
            machine.handle_connected(Instant::now().into_std());
        }
    }

    /// Starts the drain deadline `timeout` from now, unless an earlier one
    /// runs already.
    pub(crate) fn start_drain(&mut self, timeout: Duration) {
        let at = Instant::now() + timeout;
        self.drain = Some(self.drain.map_or(at, |drain| drain.min(at)));
    }

    /// Waits for the earlier of the machine's deadline and the drain
    /// deadline. `Pending` registers the timer (or nothing, without a
    /// deadline); `Ready` says which one passed, after running the
    /// machine's `handle_timeout` when it was the machine's.
    pub(crate) fn poll<M: Machine>(&mut self, machine: &mut M, cx: &mut Context<'_>) -> Poll<Wake> {
        let own = machine.poll_timeout().map(Instant::from_std);
        let next = match (own, self.drain) {
            (Some(own), Some(drain)) => own.min(drain),
            (Some(at), None) | (None, Some(at)) => at,
            (None, None) => return Poll::Pending,
        };
        if next > Instant::now() && self.poll_sleep(next, cx).is_pending() {
            return Poll::Pending;
        }
        let now = Instant::now();
        if self.drain.is_some_and(|drain| drain <= now) {
            return Poll::Ready(Wake::Drain);
        }
        machine.handle_timeout(now.into_std());
        Poll::Ready(Wake::Machine)
    }

    /// Arms the timer for `deadline` (re-arming only when it moved) and
    /// polls it.
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
}

/// The error of writes given up at the drain deadline, or cut short by the
/// machine's own deadline.
pub(crate) fn timed_out(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::TimedOut, what.to_string())
}
