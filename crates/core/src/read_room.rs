//! How drivers size a read into a machine's input buffer.

use bytes::BytesMut;

use crate::Machine;

/// Spare room a fresh read reserves behind itself. A read that fills its
/// buffer may end with the header of a unit as large as the read; once the
/// header is consumed the unit's payload must still fit, or the machine's
/// reservation for it copies the whole read to a new buffer (64 KiB
/// WebSocket frames read 64 KiB at a time were copied twice).
const HEADER_ROOM: usize = 64;

/// The most bytes the next read should put into the room a machine reserved
/// for the unit it is decoding, or `None` when there is no such room and the
/// driver reserves a read of `read_size` as usual.
///
/// A machine reports the rest of the unit with
/// [`Machine::input_needed`](crate::Machine::input_needed). When `buffer`
/// has spare capacity for it (or for a whole read), the read goes there
/// without reserving: growing a buffer sized for a large unit would copy
/// everything in it.
///
/// ```
/// use bytes::BytesMut;
/// use wirestate_core::reserved_room;
/// let mut buffer = BytesMut::with_capacity(1000);
/// buffer.extend_from_slice(&[0; 900]);
/// let spare = buffer.capacity() - buffer.len();
/// // The machine needs 100 more bytes and has room for them: read there.
/// assert_eq!(reserved_room(Some(100), &buffer, 65536), Some(spare));
/// // No room for what it needs, or no known need: reserve a full read.
/// assert_eq!(reserved_room(Some(spare + 1), &buffer, 65536), None);
/// assert_eq!(reserved_room(None, &buffer, 65536), None);
/// ```
pub fn reserved_room(needed: Option<usize>, buffer: &BytesMut, read_size: usize) -> Option<usize> {
    let spare = buffer.capacity() - buffer.len();
    let needed = needed.filter(|&n| n > 0)?;
    (spare >= needed.min(read_size)).then_some(spare.min(read_size))
}

/// Prepares `machine`'s input buffer for one read of at most `read_size`
/// bytes and returns it with the number of bytes the read may append: the
/// room the machine reserved for the unit it is decoding (see
/// [`reserved_room`]), or else `read_size` after reserving that much and a
/// little more, so that a unit as large as the read still fits once its
/// header is consumed. Both drivers size their reads with it.
///
/// ```
/// use std::time::Instant;
/// use bytes::BytesMut;
/// use wirestate_core::{prepare_read, Machine};
/// # struct Sink { buf: BytesMut }
/// # impl Machine for Sink {
/// #     type Event = (); type Command = (); type Error = std::io::Error;
/// #     fn input_buffer(&mut self) -> &mut BytesMut { &mut self.buf }
/// #     fn handle_buffered_input(&mut self, _: Instant) {}
/// #     fn handle_eof(&mut self, _: Instant) {}
/// #     fn handle_command(&mut self, _: (), _: Instant) -> Result<(), std::io::Error> { Ok(()) }
/// #     fn poll_event(&mut self) -> Option<Result<(), std::io::Error>> { None }
/// #     fn poll_transmit(&mut self) -> Option<bytes::Bytes> { None }
/// #     fn wants_read(&self) -> bool { true }
/// #     fn is_closed(&self) -> bool { false }
/// # }
/// let mut machine = Sink { buf: BytesMut::new() };
/// let (buffer, size) = prepare_read(&mut machine, 4096);
/// assert_eq!(size, 4096);
/// assert!(buffer.capacity() >= 4096);
/// ```
pub fn prepare_read<M: Machine + ?Sized>(
    machine: &mut M,
    read_size: usize,
) -> (&mut BytesMut, usize) {
    let needed = machine.input_needed();
    let buffer = machine.input_buffer();
    let size = match reserved_room(needed, buffer, read_size) {
        Some(room) => room,
        None => {
            buffer.reserve(read_size.saturating_add(HEADER_ROOM));
            read_size
        }
    };
    (buffer, size)
}
