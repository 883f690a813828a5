//! Named deadlines: the one timer mechanism every machine uses.

use std::fmt::Debug;
use std::time::{Duration, Instant};

/// How long a connection's opening handshake may take by default, however
/// the peer trickles it: the handshake deadline of every machine that has
/// one.
pub const DEFAULT_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// How long queued bytes may wait for the peer to take any of them by
/// default, before the connection is given up: the send timeout of every
/// machine that has one (see [`TimerTable::track_send`]).
pub const DEFAULT_SEND_TIMEOUT: Duration = Duration::from_secs(30);

/// How many distinct timers one [`TimerTable`] holds at most.
pub const MAX_TIMERS: usize = 8;

/// The timers of one machine: a small `Copy` enum (idle, handshake,
/// keepalive, send stall, close linger ...).
///
/// ```
/// use wirestate_core::Timer;
///
/// #[derive(Debug, Clone, Copy, PartialEq, Eq)]
/// enum MyTimer { Idle, Keepalive }
///
/// impl Timer for MyTimer {
///     const ALL: &'static [Self] = &[MyTimer::Idle, MyTimer::Keepalive];
/// }
/// ```
pub trait Timer: Copy + Eq + Debug + 'static {
    /// Every timer, each once. Its length must not exceed [`MAX_TIMERS`];
    /// when two timers expire at the same instant, the one listed first
    /// fires first.
    const ALL: &'static [Self];
}

/// A machine's armed deadlines, one slot per [`Timer`], in the spirit of
/// quinn-proto's timer table: [`next`](TimerTable::next) is what
/// [`Machine::poll_timeout`](crate::Machine::poll_timeout) returns, and
/// [`expire`](TimerTable::expire) is what
/// [`Machine::handle_timeout`](crate::Machine::handle_timeout) runs.
///
/// It lives inline, with no heap: one `Option<Instant>` slot (16 bytes on
/// 64-bit Linux) for each of [`MAX_TIMERS`] timers, whatever the machine
/// declares, so 128 bytes in the machine's own struct.
///
/// ```
/// use std::time::{Duration, Instant};
/// use wirestate_core::{Timer, TimerTable};
///
/// #[derive(Debug, Clone, Copy, PartialEq, Eq)]
/// enum MyTimer { Idle, Keepalive }
/// impl Timer for MyTimer {
///     const ALL: &'static [Self] = &[MyTimer::Idle, MyTimer::Keepalive];
/// }
///
/// let start = Instant::now();
/// let mut timers = TimerTable::<MyTimer>::default();
/// timers.set(MyTimer::Idle, start + Duration::from_secs(120));
/// timers.set(MyTimer::Keepalive, start + Duration::from_secs(30));
/// assert_eq!(timers.next(), Some(start + Duration::from_secs(30)));
///
/// // Early calls expire nothing; then each expired timer comes out once,
/// // earliest first.
/// assert_eq!(timers.expire(start), None);
/// let later = start + Duration::from_secs(200);
/// assert_eq!(timers.expire(later), Some(MyTimer::Keepalive));
/// assert_eq!(timers.expire(later), Some(MyTimer::Idle));
/// assert_eq!(timers.expire(later), None);
/// assert_eq!(timers.next(), None);
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct TimerTable<T: Timer> {
    deadlines: [Option<Instant>; MAX_TIMERS],
    _timers: std::marker::PhantomData<T>,
}

impl<T: Timer> Default for TimerTable<T> {
    fn default() -> Self {
        const {
            assert!(
                T::ALL.len() <= MAX_TIMERS,
                "too many timers for a TimerTable"
            )
        };
        TimerTable {
            deadlines: [None; MAX_TIMERS],
            _timers: std::marker::PhantomData,
        }
    }
}

impl<T: Timer> Debug for TimerTable<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map()
            .entries(T::ALL.iter().filter_map(|&t| Some((t, self.get(t)?))))
            .finish()
    }
}

impl<T: Timer> TimerTable<T> {
    fn slot(timer: T) -> usize {
        T::ALL
            .iter()
            .position(|&t| t == timer)
            .expect("Timer::ALL lists every timer")
    }

    /// Arms `timer` for `at`, replacing its previous deadline.
    pub fn set(&mut self, timer: T, at: Instant) {
        self.deadlines[Self::slot(timer)] = Some(at);
    }

    /// Disarms `timer` (a no-op when it is not armed).
    pub fn stop(&mut self, timer: T) {
        self.deadlines[Self::slot(timer)] = None;
    }

    /// Disarms every timer, for a machine that is finished.
    pub fn stop_all(&mut self) {
        self.deadlines = [None; MAX_TIMERS];
    }

    /// The deadline of `timer`, if armed.
    #[must_use]
    pub fn get(&self, timer: T) -> Option<Instant> {
        self.deadlines[Self::slot(timer)]
    }

    /// Whether `timer` is armed.
    #[must_use]
    pub fn is_armed(&self, timer: T) -> bool {
        self.get(timer).is_some()
    }

    /// The earliest armed deadline: the machine's `poll_timeout`.
    #[must_use]
    pub fn next(&self) -> Option<Instant> {
        self.deadlines.iter().flatten().min().copied()
    }

    /// Applies a driver's write report
    /// ([`Machine::handle_written`](crate::Machine::handle_written)) to the
    /// send-stall `timer`: with nothing waiting it stops; when bytes were
    /// written, or bytes wait and it is not armed yet, it is armed for
    /// `now + timeout`. So it expires only after `timeout` in which bytes
    /// waited and none was written. `timeout: None` keeps it disarmed.
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use wirestate_core::{Timer, TimerTable};
    ///
    /// #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    /// enum MyTimer { SendStall }
    /// impl Timer for MyTimer {
    ///     const ALL: &'static [Self] = &[MyTimer::SendStall];
    /// }
    ///
    /// let t0 = Instant::now();
    /// let limit = Some(Duration::from_secs(30));
    /// let mut timers = TimerTable::<MyTimer>::default();
    /// timers.track_send(MyTimer::SendStall, limit, 0, 100, t0); // 100 bytes wait
    /// let t1 = t0 + Duration::from_secs(20);
    /// timers.track_send(MyTimer::SendStall, limit, 0, 100, t1); // no progress
    /// assert_eq!(timers.next(), Some(t0 + Duration::from_secs(30)));
    /// timers.track_send(MyTimer::SendStall, limit, 60, 40, t1); // progress
    /// assert_eq!(timers.next(), Some(t1 + Duration::from_secs(30)));
    /// timers.track_send(MyTimer::SendStall, limit, 40, 0, t1); // all written
    /// assert_eq!(timers.next(), None);
    /// ```
    pub fn track_send(
        &mut self,
        timer: T,
        timeout: Option<Duration>,
        written: usize,
        unsent: usize,
        now: Instant,
    ) {
        match timeout {
            Some(timeout) if unsent > 0 => {
                if written > 0 || !self.is_armed(timer) {
                    self.set(timer, now + timeout);
                }
            }
            _ => self.stop(timer),
        }
    }

    /// Disarms and returns the earliest timer whose deadline is at or before
    /// `now` (ties in [`Timer::ALL`] order), or `None` when nothing expired.
    /// A machine's `handle_timeout` calls it in a loop and acts on each.
    pub fn expire(&mut self, now: Instant) -> Option<T> {
        let (slot, _) = self
            .deadlines
            .iter()
            .enumerate()
            .filter_map(|(slot, at)| Some((slot, (*at)?)))
            .filter(|&(_, at)| at <= now)
            .min_by_key(|&(slot, at)| (at, slot))?;
        self.deadlines[slot] = None;
        Some(T::ALL[slot])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum T3 {
        A,
        B,
        C,
    }
    impl Timer for T3 {
        const ALL: &'static [Self] = &[T3::A, T3::B, T3::C];
    }

    #[test]
    fn earliest_first_and_ties_in_declared_order() {
        let t0 = Instant::now();
        let mut table = TimerTable::<T3>::default();
        assert_eq!(table.next(), None);
        table.set(T3::C, t0 + Duration::from_secs(1));
        table.set(T3::B, t0 + Duration::from_secs(1));
        table.set(T3::A, t0 + Duration::from_secs(2));
        assert_eq!(table.next(), Some(t0 + Duration::from_secs(1)));
        let late = t0 + Duration::from_secs(5);
        assert_eq!(table.expire(late), Some(T3::B));
        assert_eq!(table.expire(late), Some(T3::C));
        assert_eq!(table.expire(late), Some(T3::A));
        assert_eq!(table.expire(late), None);
    }

    #[test]
    fn set_replaces_and_stop_disarms() {
        let t0 = Instant::now();
        let mut table = TimerTable::<T3>::default();
        table.set(T3::A, t0 + Duration::from_secs(1));
        table.set(T3::A, t0 + Duration::from_secs(9));
        assert_eq!(table.get(T3::A), Some(t0 + Duration::from_secs(9)));
        assert_eq!(table.expire(t0 + Duration::from_secs(5)), None);
        table.stop(T3::A);
        assert!(!table.is_armed(T3::A));
        assert_eq!(table.next(), None);
        table.set(T3::B, t0);
        table.stop_all();
        assert_eq!(table.next(), None);
    }

    #[test]
    fn a_deadline_expires_at_its_instant_not_before() {
        let t0 = Instant::now();
        let at = t0 + Duration::from_millis(10);
        let mut table = TimerTable::<T3>::default();
        table.set(T3::B, at);
        assert_eq!(table.expire(at - Duration::from_nanos(1)), None);
        assert_eq!(table.expire(at), Some(T3::B));
    }

    #[test]
    fn debug_lists_armed_timers_only() {
        let t0 = Instant::now();
        let mut table = TimerTable::<T3>::default();
        table.set(T3::C, t0);
        let text = format!("{table:?}");
        assert!(text.contains('C') && !text.contains('A'), "{text}");
    }
}
