use std::collections::VecDeque;
use std::io::IoSlice;

use bytes::{Buf, Bytes};

/// How many pending pieces one vectored write offers at most (well below
/// every platform's `IOV_MAX`).
pub const MAX_IO_SLICES: usize = 64;

/// Transmits taken from a machine and not yet written, in order: the write
/// side every driver needs.
///
/// Pieces are kept as the machine produced them (a header next to its
/// payload), so one vectored write sends them without copying; a partial
/// write advances the front piece in place.
///
/// ```
/// use std::io::{IoSlice, Write};
/// use bytes::Bytes;
/// use wirestate_core::{TransmitQueue, MAX_IO_SLICES};
///
/// let mut queue = TransmitQueue::default();
/// queue.push(Bytes::from_static(b"\x00\x05"));
/// queue.push(Bytes::from_static(b"hello"));
///
/// let mut wire = Vec::new();
/// while !queue.is_empty() {
///     let mut slices = [IoSlice::new(&[]); MAX_IO_SLICES];
///     let count = queue.slices(&mut slices);
///     let written = wire.write_vectored(&slices[..count]).unwrap();
///     queue.advance(written);
/// }
/// assert_eq!(wire, b"\x00\x05hello");
/// ```
#[derive(Debug, Default)]
pub struct TransmitQueue {
    queue: VecDeque<Bytes>,
    len: usize,
}

impl TransmitQueue {
    /// Queues `piece` (empty pieces are dropped: they would make a write
    /// return 0, which means "cannot write").
    pub fn push(&mut self, piece: Bytes) {
        if !piece.is_empty() {
            self.len += piece.len();
            self.queue.push_back(piece);
        }
    }

    /// Whether everything was written.
    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    /// Pending bytes in total.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Fills `slices` with the first pending pieces and returns how many:
    /// write `slices[..count]` with one vectored write, then call
    /// [`advance`](TransmitQueue::advance) with what was written.
    pub fn slices<'a>(&'a self, slices: &mut [IoSlice<'a>; MAX_IO_SLICES]) -> usize {
        let mut n = 0;
        for (slot, piece) in slices.iter_mut().zip(&self.queue) {
            *slot = IoSlice::new(piece);
            n += 1;
        }
        n
    }

    /// Drops the first `written` bytes: whole pieces first, then the front of
    /// a piece that was only partly written.
    ///
    /// # Panics
    ///
    /// If `written` is more than [`len`](TransmitQueue::len) (a writer that
    /// claims to have written more than it was given).
    pub fn advance(&mut self, mut written: usize) {
        self.len -= written;
        while written > 0 {
            let front = self.queue.front_mut().expect("wrote more than was queued");
            if front.len() <= written {
                written -= front.len();
                self.queue.pop_front();
            } else {
                front.advance(written);
                written = 0;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advance_across_and_inside_pieces() {
        let mut outbox = TransmitQueue::default();
        outbox.push(Bytes::from_static(b"ab"));
        outbox.push(Bytes::new());
        outbox.push(Bytes::from_static(b"cde"));
        assert_eq!(outbox.len, 5);
        outbox.advance(3);
        let mut slices = [IoSlice::new(&[]); MAX_IO_SLICES];
        assert_eq!(outbox.slices(&mut slices), 1);
        assert_eq!(&*slices[0], b"de");
        outbox.advance(2);
        assert!(outbox.is_empty());
        assert_eq!(outbox.len, 0);
    }
}
