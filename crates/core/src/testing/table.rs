//! Table-driven machine tests, in the style of httparse's tables of cases:
//! each [`Case`] names a setup (the machine's configuration), an input,
//! whether EOF follows, and what must come out (events, the fatal error, the
//! closed state). [`run`] feeds every case whole, one byte at a time and at
//! several cuts ([`assert_chunk_independent`]), and names the case whose
//! check fails.
//!
//! ```
//! use std::time::Instant;
//! use wirestate_core::testing::table::{case, run};
//! # use bytes::{Bytes, BytesMut};
//! # use wirestate_core::Machine;
//! # /// Emits every complete group of `n` bytes; a partial group at EOF is an error.
//! # struct Groups { n: usize, buf: BytesMut, eof: bool, failed: bool }
//! # impl Machine for Groups {
//! #     type Event = Bytes; type Command = (); type Error = std::io::Error;
//! #     fn input_buffer(&mut self) -> &mut BytesMut { &mut self.buf }
//! #     fn handle_buffered_input(&mut self, _: Instant) {}
//! #     fn handle_eof(&mut self, _: Instant) { self.eof = true }
//! #     fn handle_command(&mut self, _: (), _: Instant) -> Result<(), std::io::Error> { Ok(()) }
//! #     fn poll_event(&mut self) -> Option<Result<Bytes, std::io::Error>> {
//! #         if self.failed { return None }
//! #         if self.buf.len() >= self.n { return Some(Ok(self.buf.split_to(self.n).freeze())) }
//! #         if self.eof && !self.buf.is_empty() {
//! #             self.failed = true;
//! #             return Some(Err(std::io::Error::other(format!("{} bytes left", self.buf.len()))));
//! #         }
//! #         None
//! #     }
//! #     fn poll_transmit(&mut self) -> Option<Bytes> { None }
//! #     fn wants_read(&self) -> bool { !self.eof }
//! #     fn is_closed(&self) -> bool { self.eof || self.failed }
//! # }
//! let pairs = |input: &'static [u8], events: &[&'static str]| {
//!     let events = events.iter().map(|e| Bytes::from_static(e.as_bytes())).collect();
//!     case(format!("pairs of {input:?}"), 2, input, events)
//! };
//! run(
//!     [
//!         // Waits for more: not closed.
//!         pairs(b"abc", &["ab"]),
//!         pairs(b"abcd", &["ab", "cd"]).at_eof(),
//!         pairs(b"abc", &["ab"]).at_eof().fails("1 bytes left"),
//!         case("triples", 3, b"abcdef", vec![Bytes::from_static(b"abc"), Bytes::from_static(b"def")]),
//!     ],
//!     |&n| Groups { n, buf: BytesMut::new(), eof: false, failed: false },
//! );
//! ```

use std::any::Any;
use std::fmt::{Debug, Display};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Instant;

use super::assert_chunk_independent;
use crate::Machine;

/// One row of a table: what a machine built from `setup` must make of
/// `input`. Built with [`case`] and refined with [`at_eof`](Case::at_eof),
/// [`fails`](Case::fails) and [`closed`](Case::closed).
#[derive(Debug, Clone)]
pub struct Case<S, E> {
    name: String,
    setup: S,
    input: Vec<u8>,
    eof: bool,
    events: Vec<E>,
    error: Option<String>,
    closed: Option<bool>,
}

/// A case named `name`: a machine built from `setup`, fed `input` (no EOF),
/// must produce exactly `events`, no error, and stay open.
pub fn case<S, E>(
    name: impl Into<String>,
    setup: S,
    input: impl Into<Vec<u8>>,
    events: Vec<E>,
) -> Case<S, E> {
    Case {
        name: name.into(),
        setup,
        input: input.into(),
        eof: false,
        events,
        error: None,
        closed: None,
    }
}

impl<S, E> Case<S, E> {
    /// EOF follows the input.
    pub fn at_eof(mut self) -> Self {
        self.eof = true;
        self
    }

    /// The machine must fail with `error` (compared by its `Display` text,
    /// as [`Transcript::error`](super::Transcript::error) holds it) after
    /// the expected events.
    pub fn fails(mut self, error: impl Display) -> Self {
        self.error = Some(error.to_string());
        self
    }

    /// Whether the machine must report closed at the end. Without this, a
    /// case expects closed exactly when it is [`at_eof`](Case::at_eof) or
    /// [`fails`](Case::fails).
    pub fn closed(mut self, closed: bool) -> Self {
        self.closed = Some(closed);
        self
    }

    /// The case's name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

/// Runs every case: a fresh machine from `make(&setup)` for each way of
/// cutting the input, the transcripts all equal, and the events, error and
/// closed state as the case says.
///
/// # Panics
///
/// At the first case that fails a check, naming it.
pub fn run<S, M>(cases: impl IntoIterator<Item = Case<S, M::Event>>, mut make: impl FnMut(&S) -> M)
where
    M: Machine,
    M::Event: PartialEq + Debug,
{
    let now = Instant::now();
    for case in cases {
        let name = &case.name;
        let fed = catch_unwind(AssertUnwindSafe(|| {
            assert_chunk_independent(|| make(&case.setup), &case.input, case.eof, now)
        }));
        let transcript = fed.unwrap_or_else(|panic| {
            panic!(
                "case {name:?}: not chunk independent: {}",
                panic_message(&*panic)
            )
        });
        assert_eq!(transcript.events, case.events, "case {name:?}: events");
        assert_eq!(transcript.error, case.error, "case {name:?}: error");
        let closed = case.closed.unwrap_or(case.eof || case.error.is_some());
        assert_eq!(transcript.closed, closed, "case {name:?}: closed");
    }
}

fn panic_message(panic: &(dyn Any + Send)) -> &str {
    if let Some(text) = panic.downcast_ref::<String>() {
        text
    } else if let Some(text) = panic.downcast_ref::<&str>() {
        text
    } else {
        "(no message)"
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::{case, run, Case};
    use crate::testing::tiny::{frame, Tiny, TinyError, TinyEvent};

    fn frames(payloads: &[&'static [u8]]) -> Vec<TinyEvent> {
        payloads
            .iter()
            .map(|p| TinyEvent::Frame(Bytes::from_static(p)))
            .collect()
    }

    fn tiny(_: &()) -> Tiny {
        Tiny::new()
    }

    fn good() -> Vec<Case<(), TinyEvent>> {
        vec![
            case("waits", (), b"\x02a", frames(&[])),
            case(
                "two",
                (),
                [frame(b"a"), frame(b"bc")].concat(),
                frames(&[b"a", b"bc"]),
            )
            .at_eof()
            // Tiny closes only on a Close command.
            .closed(false),
            case("truncated", (), b"\x03ab", frames(&[]))
                .at_eof()
                .fails(TinyError::Truncated(3))
                .closed(false),
        ]
    }

    #[test]
    fn right_cases_pass() {
        run(good(), tiny);
    }

    #[test]
    #[should_panic(expected = "case \"two\": events")]
    fn a_wrong_event_names_the_case() {
        let mut cases = good();
        cases[1].events.pop();
        run(cases, tiny);
    }

    #[test]
    #[should_panic(expected = "case \"truncated\": error")]
    fn the_error_is_checked() {
        let mut cases = good();
        cases[2].error = Some("another".into());
        run(cases, tiny);
    }

    #[test]
    #[should_panic(expected = "case \"waits\": closed")]
    fn the_closed_state_is_checked() {
        run(
            [case("waits", (), b"\x02a", frames(&[])).closed(true)],
            tiny,
        );
    }
}
