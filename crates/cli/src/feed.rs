//! Running a machine over a whole capture while learning where each event's
//! bytes begin in the stream.

use std::io;
use std::time::Instant;

use wirestate_core::Machine;

/// Feeds `input` to `machine` one byte at a time, then EOF, and hands `each`
/// every event with its stream offset: the first byte the events before it
/// did not use (the machines are chunk independent, so the events are the
/// same as for one push; the byte after which an event appears ends it).
/// Stops after the first error. What the machine wants to send is dropped.
///
/// # Errors
///
/// What `each` returns.
pub(crate) fn feed<M: Machine>(
    machine: &mut M,
    input: &[u8],
    mut each: impl FnMut(&mut M, usize, Result<M::Event, M::Error>) -> io::Result<()>,
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
            each(machine, start, event)?;
            start = end.min(input.len());
            if failed {
                return Ok(());
            }
        }
    }
    Ok(())
}

/// Feeds all of `input` at once, then EOF, for machines whose units depend
/// on how the bytes arrive (Erlang's `raw` packets): every event at offset
/// 0 for the first, then at the end of the input.
///
/// # Errors
///
/// What `each` returns.
pub(crate) fn feed_whole<M: Machine>(
    machine: &mut M,
    input: &[u8],
    mut each: impl FnMut(&mut M, usize, Result<M::Event, M::Error>) -> io::Result<()>,
) -> io::Result<()> {
    let now = Instant::now();
    machine.handle_input(input, now);
    machine.handle_eof(now);
    let mut start = 0;
    while let Some(event) = machine.poll_event() {
        let failed = event.is_err();
        each(machine, start, event)?;
        start = input.len();
        if failed {
            break;
        }
    }
    Ok(())
}
