//! Runs an operation script against a machine, as a driver would, and
//! records what it did; checks the invariants every machine keeps.

use std::fmt::Debug;
use std::time::{Duration, Instant};

use wirestate_core::Machine;

use crate::script::{Op, Script};

/// How many events one drain may return before the machine is taken to be
/// looping: far more than any script's input can produce.
const MAX_EVENTS_PER_DRAIN: usize = 1 << 20;
/// How many times in a row a deadline may be due after `handle_timeout`.
const MAX_TIMEOUTS_PER_ADVANCE: usize = 64;
/// The most input the runner gives a machine at once, as a driver reads
/// into a buffer of this size. Targets count it in their bound.
pub const READ_SIZE: usize = 4096;

/// What a fuzz target tells the runner about its machine.
pub trait Target {
    /// The machine under test.
    type M: Machine;

    /// A fresh machine, configured from the script's options byte.
    fn make(&self, options: u8, now: Instant) -> Self::M;

    /// Sends the command that `code` and `arg` choose (local errors are
    /// fine: misuse must be refused, not panic).
    fn command(&self, machine: &mut Self::M, code: u8, arg: &[u8], now: Instant);

    /// The machine's documented memory bound for these options, in bytes:
    /// what it holds ([`Machine::held_bytes`]) plus its unread input once
    /// every event was polled.
    fn max_held(&self, options: u8) -> usize;
}

/// Everything a machine did under a script, in a comparable form.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Transcript {
    /// Each event as `Debug` text (text, because AMF0 numbers may be NaN).
    pub events: Vec<String>,
    /// The first error, as text.
    pub error: Option<String>,
    /// Every byte the machine sent.
    pub transmitted: Vec<u8>,
    /// The next deadline after each operation other than a feed, relative
    /// to the start (`None` once the machine is closed).
    pub deadlines: Vec<Option<Duration>>,
    /// `is_closed` at the end.
    pub closed: bool,
}

/// Runs `script` against a fresh machine and returns its transcript.
///
/// # Panics
///
/// When the machine breaks an invariant: more memory than
/// [`Target::max_held`], a deadline that stays due, an endless stream of
/// events, or (inside the machine) any panic.
pub fn run<T: Target>(target: &T, script: &Script) -> Transcript
where
    <T::M as Machine>::Event: Debug,
    <T::M as Machine>::Error: Debug,
{
    let start = Instant::now();
    let mut now = start;
    let mut machine = target.make(script.options, now);
    machine.handle_connected(now);
    let bound = target.max_held(script.options);
    let mut driver = Driver::default();
    driver.drain(&mut machine, now);
    for op in &script.ops {
        match op {
            Op::Feed(bytes) => driver.unread.extend_from_slice(bytes),
            Op::Advance(millis) => {
                now += Duration::from_millis(*millis);
                driver.fire_timers(&mut machine, now);
            }
            Op::Command { code, arg } => target.command(&mut machine, *code, arg, now),
            Op::Eof => machine.handle_eof(now),
            Op::ToggleStall => driver.toggle_stall(&mut machine, now),
            Op::Shutdown => {
                let _ = machine.handle_shutdown(now);
            }
        }
        driver.drain(&mut machine, now);
        driver.feed(&mut machine, now);
        if !matches!(op, Op::Feed(_)) {
            // A closed machine is only flushed, under the driver's drain
            // timeout: its own deadlines no longer matter (and depend on
            // how much input it had read when it closed).
            let deadline = match machine.is_closed() {
                true => None,
                false => machine.poll_timeout(),
            };
            let deadline = deadline.map(|at| at.saturating_duration_since(start));
            driver.transcript.deadlines.push(deadline);
        }
        let held = machine.held_bytes() + machine.input_buffer().len();
        assert!(held <= bound, "machine holds {held} bytes, bound {bound}");
    }
    driver.transcript.closed = machine.is_closed();
    driver.transcript
}

/// Runs `script` as given and with its adjacent feeds joined, and asserts
/// that both transcripts are equal: how the peer's bytes were cut never
/// matters.
///
/// # Panics
///
/// When they differ, or on any invariant [`run`] checks.
pub fn check<T: Target>(target: &T, data: &[u8])
where
    <T::M as Machine>::Event: Debug,
    <T::M as Machine>::Error: Debug,
{
    let script = Script::parse(data);
    let cut = run(target, &script);
    let whole = run(target, &script.merged());
    assert_eq!(whole.error, cut.error, "errors differ");
    assert_eq!(whole.events, cut.events, "events differ");
    assert_eq!(
        whole.transmitted, cut.transmitted,
        "transmitted bytes differ"
    );
    assert_eq!(whole, cut);
}

/// The runner's side of the connection: the transcript, the input the
/// machine does not want yet, and transmits the stalled peer has not taken.
#[derive(Default)]
struct Driver {
    transcript: Transcript,
    unread: Vec<u8>,
    stalled: bool,
    unsent: Vec<u8>,
}

impl Driver {
    /// Gives the machine the input that arrived, [`READ_SIZE`] bytes at a
    /// time while it wants to read; after an error or the end it reads
    /// nothing more, as drivers do.
    fn feed<M: Machine>(&mut self, machine: &mut M, now: Instant)
    where
        M::Event: Debug,
        M::Error: Debug,
    {
        if self.transcript.error.is_some() || machine.is_closed() {
            self.unread.clear();
        } else {
            while machine.wants_read() && !self.unread.is_empty() {
                let read = self.unread.len().min(READ_SIZE);
                machine.handle_input(&self.unread[..read], now);
                self.unread.drain(..read);
                self.drain(machine, now);
            }
        }
    }

    /// Takes every transmit and event, as a driver does after each call.
    fn drain<M: Machine>(&mut self, machine: &mut M, now: Instant)
    where
        M::Event: Debug,
        M::Error: Debug,
    {
        for _ in 0..MAX_EVENTS_PER_DRAIN {
            self.take_transmits(machine, now);
            match machine.poll_event() {
                Some(Ok(event)) => self.transcript.events.push(format!("{event:?}")),
                Some(Err(error)) => {
                    let text = format!("{error:?}");
                    self.transcript.error.get_or_insert(text);
                }
                None => {
                    self.take_transmits(machine, now);
                    return;
                }
            }
        }
        panic!("more than {MAX_EVENTS_PER_DRAIN} events from one drain");
    }

    /// Moves transmits to the wire, or holds them while the peer is
    /// stalled, reporting progress as a driver does.
    fn take_transmits<M: Machine>(&mut self, machine: &mut M, now: Instant) {
        while let Some(bytes) = machine.poll_transmit() {
            if self.stalled {
                self.unsent.extend_from_slice(&bytes);
                machine.handle_written(0, self.unsent.len(), now);
            } else {
                self.transcript.transmitted.extend_from_slice(&bytes);
                machine.handle_written(bytes.len(), 0, now);
            }
        }
    }

    /// The peer stops reading, or resumes and takes what waited.
    fn toggle_stall<M: Machine>(&mut self, machine: &mut M, now: Instant) {
        self.stalled = !self.stalled;
        if !self.stalled && !self.unsent.is_empty() {
            let written = self.unsent.len();
            self.transcript.transmitted.append(&mut self.unsent);
            machine.handle_written(written, 0, now);
        }
    }

    /// Calls `handle_timeout` while a deadline is due.
    fn fire_timers<M: Machine>(&mut self, machine: &mut M, now: Instant)
    where
        M::Event: Debug,
        M::Error: Debug,
    {
        for _ in 0..MAX_TIMEOUTS_PER_ADVANCE {
            match machine.poll_timeout() {
                Some(deadline) if deadline <= now => {
                    machine.handle_timeout(now);
                    self.drain(machine, now);
                }
                _ => return,
            }
        }
        panic!("a deadline stays due after {MAX_TIMEOUTS_PER_ADVANCE} timeouts");
    }
}
