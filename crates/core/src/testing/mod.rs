//! Helpers that feed a [`Machine`] one byte stream cut in different ways and
//! check that the outcome does not depend on the cuts (feature `testing`).
//!
//! ```
//! use std::time::Instant;
//! use wirestate_core::testing::{assert_chunk_independent, feed_cut};
//! # use bytes::{Bytes, BytesMut};
//! # use wirestate_core::Machine;
//! # /// Emits every complete pair of bytes.
//! # #[derive(Default)] struct Pairs { buf: BytesMut }
//! # impl Machine for Pairs {
//! #     type Event = Bytes; type Command = (); type Error = std::io::Error;
//! #     fn input_buffer(&mut self) -> &mut BytesMut { &mut self.buf }
//! #     fn handle_buffered_input(&mut self, _: Instant) {}
//! #     fn handle_eof(&mut self, _: Instant) {}
//! #     fn handle_command(&mut self, _: (), _: Instant) -> Result<(), std::io::Error> { Ok(()) }
//! #     fn poll_event(&mut self) -> Option<Result<Bytes, std::io::Error>> {
//! #         (self.buf.len() >= 2).then(|| Ok(self.buf.split_to(2).freeze()))
//! #     }
//! #     fn poll_transmit(&mut self) -> Option<Bytes> { None }
//! #     fn wants_read(&self) -> bool { true }
//! #     fn is_closed(&self) -> bool { false }
//! # }
//! let now = Instant::now();
//! // Whole, byte by byte and at a few fixed cuts: all the same, or a panic.
//! let whole = assert_chunk_independent(Pairs::default, b"abcdefg", true, now);
//! assert_eq!(whole.events, ["ab", "cd", "ef"]);
//! // Or feed at chosen cut points (proptest's `arb_cuts` picks them).
//! let cut = feed_cut(&mut Pairs::default(), b"abcdefg", &[1, 5], true, now);
//! assert_eq!(cut, whole);
//! ```

pub mod capture;
pub mod peer;
pub mod table;
pub mod tiny;
pub mod transport;

use std::fmt::Debug;
use std::time::Instant;

use proptest::strategy::Strategy;

use crate::Machine;

/// Everything a machine produced while being fed one input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transcript<E> {
    /// Every event, in order.
    pub events: Vec<E>,
    /// The fatal error, as its `Display` text, if the machine failed.
    pub error: Option<String>,
    /// Every transmitted byte, concatenated in order.
    pub transmitted: Vec<u8>,
    /// Whether the machine reported [`Machine::is_closed`] at the end.
    pub closed: bool,
}

/// Feeds `input` in pieces of the given sizes (the recorded TCP segment sizes
/// of a capture, say), then EOF if `eof`. A size list that does not cover the
/// input is completed with one last piece.
pub fn feed_sizes<M: Machine>(
    machine: &mut M,
    input: &[u8],
    sizes: &[usize],
    eof: bool,
    now: Instant,
) -> Transcript<M::Event> {
    let mut cuts = Vec::with_capacity(sizes.len());
    let mut at = 0usize;
    for &size in sizes {
        at = at.saturating_add(size);
        cuts.push(at);
    }
    feed_cut(machine, input, &cuts, eof, now)
}

/// `input` cut at the given offsets (any order; duplicates, 0 and offsets at
/// or past the end are ignored): the pieces in order, together exactly
/// `input`. An empty input is one empty piece.
///
/// ```
/// use wirestate_core::testing::pieces;
///
/// let cut: Vec<&[u8]> = pieces(b"abcdef", &[4, 1, 4, 0, 9]).collect();
/// assert_eq!(cut, [&b"a"[..], b"bcd", b"ef"]);
/// ```
pub fn pieces<'a>(input: &'a [u8], cuts: &[usize]) -> impl Iterator<Item = &'a [u8]> {
    let mut ends: Vec<usize> = cuts
        .iter()
        .copied()
        .filter(|&c| c > 0 && c < input.len())
        .collect();
    ends.sort_unstable();
    ends.dedup();
    ends.push(input.len());
    let mut start = 0;
    ends.into_iter().map(move |end| {
        let piece = &input[start..end];
        start = end;
        piece
    })
}

/// Feeds `input` cut at the given offsets (any order, duplicates and
/// out-of-range offsets are ignored), draining events and transmits after each
/// piece the way a driver does, then EOF if `eof`.
///
/// Feeding stops early once the machine fails or closes.
pub fn feed_cut<M: Machine>(
    machine: &mut M,
    input: &[u8],
    cuts: &[usize],
    eof: bool,
    now: Instant,
) -> Transcript<M::Event> {
    let mut transcript = Transcript {
        events: Vec::new(),
        error: None,
        transmitted: Vec::new(),
        closed: false,
    };
    drain(machine, &mut transcript);
    for piece in pieces(input, cuts) {
        if transcript.error.is_some() || machine.is_closed() {
            break;
        }
        if !piece.is_empty() {
            machine.handle_input(piece, now);
            drain(machine, &mut transcript);
        }
    }
    if eof && transcript.error.is_none() && !machine.is_closed() {
        machine.handle_eof(now);
        drain(machine, &mut transcript);
    }
    transcript.closed = machine.is_closed();
    transcript
}

fn drain<M: Machine>(machine: &mut M, transcript: &mut Transcript<M::Event>) {
    loop {
        while let Some(chunk) = machine.poll_transmit() {
            transcript.transmitted.extend_from_slice(&chunk);
        }
        match machine.poll_event() {
            Some(Ok(event)) => transcript.events.push(event),
            Some(Err(error)) => {
                transcript.error = Some(error.to_string());
                while let Some(chunk) = machine.poll_transmit() {
                    transcript.transmitted.extend_from_slice(&chunk);
                }
                return;
            }
            None => {
                while let Some(chunk) = machine.poll_transmit() {
                    transcript.transmitted.extend_from_slice(&chunk);
                }
                return;
            }
        }
    }
}

/// Connects two machines in memory until no bytes move: `a`'s transmits go
/// to `b`, `b`'s events are taken (each shown to `react` first, which may
/// answer through `b`), `b`'s transmits go to `a`, `a`'s events are taken.
/// Returns the events taken from `a` and from `b`.
///
/// # Panics
///
/// When either machine fails.
pub fn exchange<A: Machine, B: Machine>(
    a: &mut A,
    b: &mut B,
    now: Instant,
    mut react: impl FnMut(&mut B, &B::Event),
) -> (Vec<A::Event>, Vec<B::Event>) {
    let (mut a_events, mut b_events) = (Vec::new(), Vec::new());
    loop {
        let mut moved = false;
        while let Some(bytes) = a.poll_transmit() {
            b.handle_input(&bytes, now);
            moved = true;
        }
        while let Some(event) = b.poll_event() {
            let event = event.unwrap();
            react(b, &event);
            b_events.push(event);
        }
        while let Some(bytes) = b.poll_transmit() {
            a.handle_input(&bytes, now);
            moved = true;
        }
        while let Some(event) = a.poll_event() {
            a_events.push(event.unwrap());
        }
        if !moved {
            return (a_events, b_events);
        }
    }
}

/// Feeds fresh machines from `make` the whole input, the input one byte at a
/// time, and the input cut at a few fixed points, asserts that all transcripts
/// are identical, and returns the whole-input one.
///
/// # Panics
///
/// When any two transcripts differ (that is the test failing).
pub fn assert_chunk_independent<M, F>(
    mut make: F,
    input: &[u8],
    eof: bool,
    now: Instant,
) -> Transcript<M::Event>
where
    M: Machine,
    M::Event: PartialEq + Debug,
    F: FnMut() -> M,
{
    let whole = feed_cut(&mut make(), input, &[], eof, now);
    let bytewise: Vec<usize> = (1..input.len()).collect();
    let by_byte = feed_cut(&mut make(), input, &bytewise, eof, now);
    assert_transcripts_equal(&whole, &by_byte, "one byte at a time");
    let n = input.len();
    for cuts in [
        vec![1],
        vec![n / 2],
        vec![n / 3, 2 * n / 3],
        vec![7, 13, 4096],
    ] {
        let cut = feed_cut(&mut make(), input, &cuts, eof, now);
        assert_transcripts_equal(&whole, &cut, &format!("cut at {cuts:?}"));
    }
    whole
}

/// Asserts two transcripts are equal, with a message that names the first
/// difference instead of dumping megabytes.
///
/// # Panics
///
/// When they differ.
pub fn assert_transcripts_equal<E: PartialEq + Debug>(
    expected: &Transcript<E>,
    actual: &Transcript<E>,
    how: &str,
) {
    if let Some(i) = (0..expected.events.len().min(actual.events.len()))
        .find(|&i| expected.events[i] != actual.events[i])
    {
        panic!(
            "fed {how}: event {i} differs: {:?} vs {:?}",
            expected.events[i], actual.events[i]
        );
    }
    assert_eq!(
        expected.events.len(),
        actual.events.len(),
        "fed {how}: event count differs"
    );
    assert_eq!(expected.error, actual.error, "fed {how}: error differs");
    if expected.transmitted != actual.transmitted {
        let at = expected
            .transmitted
            .iter()
            .zip(&actual.transmitted)
            .position(|(a, b)| a != b)
            .unwrap_or(expected.transmitted.len().min(actual.transmitted.len()));
        panic!(
            "fed {how}: transmitted bytes differ at offset {at} (lengths {} and {})",
            expected.transmitted.len(),
            actual.transmitted.len()
        );
    }
    assert_eq!(expected.closed, actual.closed, "fed {how}: closed differs");
}

/// A proptest strategy for up to 32 cut offsets into an input of `len` bytes,
/// for [`feed_cut`].
pub fn arb_cuts(len: usize) -> impl Strategy<Value = Vec<usize>> {
    proptest::collection::vec(0..=len, 0..32)
}
