use std::collections::VecDeque;
use std::io::{self, IoSlice};

use bytes::{Buf, Bytes};

use crate::Machine;

/// How many pending pieces one vectored write offers at most (well below
/// every platform's `IOV_MAX`).
pub const MAX_IO_SLICES: usize = 64;

/// Bytes to send, in order: the outgoing queue of every machine (its
/// `poll_transmit` pops from it) and the write side of every driver (which
/// moves a machine's transmits in with [`take_from`](TransmitQueue::take_from)
/// and writes them with vectored writes).
///
/// Pieces are kept as they were produced (a header next to its payload), so
/// one vectored write sends them without copying; a partial write advances
/// the front piece in place. An emptied queue keeps its capacity, so a busy
/// connection does not allocate again on every send; a machine that promises
/// an idle connection holds no heap memory calls
/// [`release_if_empty`](TransmitQueue::release_if_empty) after popping.
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
    #[inline]
    pub fn push(&mut self, piece: Bytes) {
        if !piece.is_empty() {
            self.len += piece.len();
            self.queue.push_back(piece);
        }
    }

    /// Takes the next piece, in order (a machine's `poll_transmit`). The
    /// queue keeps its capacity when it runs empty, so the next send does
    /// not allocate; see [`release_if_empty`](TransmitQueue::release_if_empty).
    #[inline]
    pub fn pop(&mut self) -> Option<Bytes> {
        let piece = self.queue.pop_front()?;
        self.len -= piece.len();
        Some(piece)
    }

    /// Frees the queue's memory if nothing is pending (no-op otherwise).
    ///
    /// For a machine that promises an idle connection holds no heap memory
    /// (the WebSocket connection calls it after each `pop`); the price is
    /// one allocation for the next piece queued.
    ///
    /// ```
    /// use bytes::Bytes;
    /// use wirestate_core::TransmitQueue;
    ///
    /// let mut queue = TransmitQueue::default();
    /// queue.push(Bytes::from_static(b"ab"));
    /// assert_eq!(queue.pop().unwrap(), "ab");
    /// queue.release_if_empty();
    /// assert!(queue.is_empty());
    /// ```
    #[inline]
    pub fn release_if_empty(&mut self) {
        if self.queue.is_empty() && self.queue.capacity() > 0 {
            self.queue = VecDeque::new();
        }
    }

    /// Moves every transmit `machine` has ready to the back of the queue
    /// (what a driver does before writing); returns whether there were any.
    pub fn take_from<M: Machine + ?Sized>(&mut self, machine: &mut M) -> bool {
        let before = self.queue.len();
        while let Some(piece) = machine.poll_transmit() {
            self.push(piece);
        }
        self.queue.len() > before
    }

    /// Whether nothing is pending (everything was written or popped).
    #[must_use]
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    /// Pending bytes in total.
    #[must_use]
    #[inline]
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

    /// Takes in the outcome of one write of [`slices`](TransmitQueue::slices)
    /// the way both drivers do: bytes written are dropped from the queue
    /// ([`advance`](TransmitQueue::advance)), an interrupted write is retried
    /// later (`Ok`), and a write of 0 bytes (the peer takes nothing more)
    /// is a [`WriteZero`](io::ErrorKind::WriteZero) error.
    ///
    /// ```
    /// use std::io;
    /// use bytes::Bytes;
    /// use wirestate_core::TransmitQueue;
    ///
    /// let mut queue = TransmitQueue::default();
    /// queue.push(Bytes::from_static(b"abc"));
    /// queue.wrote(Ok(2)).unwrap();
    /// assert_eq!(queue.len(), 1);
    /// queue.wrote(Err(io::ErrorKind::Interrupted.into())).unwrap();
    /// assert_eq!(queue.wrote(Ok(0)).unwrap_err().kind(), io::ErrorKind::WriteZero);
    /// ```
    ///
    /// # Errors
    ///
    /// The write's error (but `Interrupted`), or `WriteZero` for a write of 0
    /// bytes; the queue is unchanged then.
    pub fn wrote(&mut self, result: io::Result<usize>) -> io::Result<()> {
        match result {
            Ok(0) => Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => {
                self.advance(n);
                Ok(())
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => Ok(()),
            Err(e) => Err(e),
        }
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

/// Queues each piece as [`push`](TransmitQueue::push) does, so an encoder
/// that appends its pieces to any `Extend<Bytes>` writes straight into the
/// queue.
impl Extend<Bytes> for TransmitQueue {
    fn extend<I: IntoIterator<Item = Bytes>>(&mut self, pieces: I) {
        for piece in pieces {
            self.push(piece);
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

    #[test]
    fn pop_in_order_and_keep_capacity_when_empty() {
        let mut queue = TransmitQueue::default();
        queue.push(Bytes::from_static(b"ab"));
        queue.push(Bytes::from_static(b"c"));
        assert_eq!(queue.len(), 3);
        assert_eq!(queue.pop().unwrap(), "ab");
        assert_eq!(queue.len(), 1);
        assert_eq!(queue.pop().unwrap(), "c");
        assert_eq!(queue.pop(), None);
        assert!(queue.queue.capacity() > 0);
    }

    #[test]
    fn release_if_empty_frees_only_an_empty_queue() {
        let mut queue = TransmitQueue::default();
        queue.push(Bytes::from_static(b"ab"));
        queue.push(Bytes::from_static(b"c"));
        assert_eq!(queue.pop().unwrap(), "ab");
        queue.release_if_empty();
        assert!(queue.queue.capacity() > 0);
        assert_eq!(queue.pop().unwrap(), "c");
        queue.release_if_empty();
        assert_eq!(queue.queue.capacity(), 0);
        assert_eq!(queue.len(), 0);
    }
}
