//! Running a machine over a whole capture while learning where each event's
//! bytes begin in the stream.

use std::io;
use std::ops::Range;
use std::time::Instant;

use wirestate_core::Machine;

/// Feeds `input` to `machine` one byte at a time, then EOF, and hands `each`
/// every event with its span in the stream: from the first byte the events
/// before it did not use to the byte after which it appeared (the machines
/// are chunk independent, so the events are the same as for one push).
/// Stops after the first error. What the machine wants to send is dropped.
///
/// # Errors
///
/// What `each` returns.
pub(crate) fn feed<M: Machine>(
    machine: &mut M,
    input: &[u8],
    mut each: impl FnMut(&mut M, Range<usize>, Result<M::Event, M::Error>) -> io::Result<()>,
) -> io::Result<()> {
    let now = Instant::now();
    let mut start = 0;
    for end in 1..=input.len() + 1 {
        match input.get(end - 1) {
            Some(byte) => machine.handle_input(std::slice::from_ref(byte), now),
            None => machine.handle_eof(now),
        }
        while machine.poll_transmit().is_some() {}
        while let Some(event) = machine.poll_event() {
            let failed = event.is_err();
            let end = end.min(input.len());
            each(machine, start..end, event)?;
            start = end;
            if failed {
                return Ok(());
            }
        }
    }
    Ok(())
}

/// Feeds all of `input` at once, then EOF, for machines whose units depend
/// on how the bytes arrive (Erlang's `raw` packets): the first event spans
/// the input, the others are empty spans at its end.
///
/// # Errors
///
/// What `each` returns.
pub(crate) fn feed_whole<M: Machine>(
    machine: &mut M,
    input: &[u8],
    mut each: impl FnMut(&mut M, Range<usize>, Result<M::Event, M::Error>) -> io::Result<()>,
) -> io::Result<()> {
    let now = Instant::now();
    machine.handle_input(input, now);
    machine.handle_eof(now);
    let mut start = 0;
    while let Some(event) = machine.poll_event() {
        let failed = event.is_err();
        each(machine, start..input.len(), event)?;
        start = input.len();
        if failed {
            break;
        }
    }
    Ok(())
}
