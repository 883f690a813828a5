use std::collections::VecDeque;
use std::io::IoSlice;

use bytes::{Buf, Bytes};

/// How many pending pieces one vectored write offers at most (well below
/// every platform's `IOV_MAX`).
pub(crate) const MAX_SLICES: usize = 64;

/// Transmits taken from the machine and not yet written, in order.
///
/// Pieces are kept as the machine produced them (a header next to its
/// payload), so one vectored write sends them without copying; a partial
/// write advances the front piece in place.
#[derive(Debug, Default)]
pub(crate) struct Outbox {
    queue: VecDeque<Bytes>,
    len: usize,
}

impl Outbox {
    /// Queues `piece` (empty pieces are dropped: they would make a write
    /// return 0, which means "cannot write").
    pub(crate) fn push(&mut self, piece: Bytes) {
        if !piece.is_empty() {
            self.len += piece.len();
            self.queue.push_back(piece);
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    /// Pending bytes in total.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Fills `slices` with the first pending pieces; returns how many.
    pub(crate) fn slices<'a>(&'a self, slices: &mut [IoSlice<'a>; MAX_SLICES]) -> usize {
        let mut n = 0;
        for (slot, piece) in slices.iter_mut().zip(&self.queue) {
            *slot = IoSlice::new(piece);
            n += 1;
        }
        n
    }

    /// Drops the first `written` bytes: whole pieces first, then the front of
    /// a piece that was only partly written.
    pub(crate) fn advance(&mut self, mut written: usize) {
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
        let mut outbox = Outbox::default();
        outbox.push(Bytes::from_static(b"ab"));
        outbox.push(Bytes::new());
        outbox.push(Bytes::from_static(b"cde"));
        assert_eq!(outbox.len, 5);
        outbox.advance(3);
        let mut slices = [IoSlice::new(&[]); MAX_SLICES];
        assert_eq!(outbox.slices(&mut slices), 1);
        assert_eq!(&*slices[0], b"de");
        outbox.advance(2);
        assert!(outbox.is_empty());
        assert_eq!(outbox.len, 0);
    }
}
