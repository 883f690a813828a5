//! How drivers size a read into a machine's input buffer.

use bytes::BytesMut;

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
