//! The event stream with a borrowed fast path in front of it.

use wirestate_core::Machine;

use super::Connection;
use crate::{Error, Transport};

impl<M: Machine, S: Transport> Connection<M, S> {
    /// Returns the next event like [`next_event`](Self::next_event), but
    /// each time the driver is about to ask the machine for an event, it
    /// first calls `batch` with the machine, so that a borrowed fast path
    /// takes what it can in place: `WsConnection::for_each_message`,
    /// `LengthConnection::for_each_frame`, `LineConnection::for_each_line`.
    /// Whatever stops such a batch (a control frame, a raw block, the
    /// peer's error, ...) then comes out of this call as an event or an
    /// error. What `batch` queues on the
    /// machine is written like answers to events: together, before the
    /// driver blocks on the peer. Returns only for an event or the end:
    /// while `batch` takes everything, it keeps reading.
    ///
    /// ```
    /// use std::io::Write;
    /// use std::net::Shutdown;
    /// use std::ops::ControlFlow;
    /// use std::os::unix::net::UnixStream;
    /// use wirestate_blocking::Connection;
    /// use wirestate_length::{LengthConfig, LengthConnection};
    ///
    /// let (ours, mut theirs) = UnixStream::pair()?;
    /// let mut conn = Connection::new(ours, LengthConnection::new(LengthConfig::erlang(1)));
    /// theirs.write_all(b"\x02hi\x03you")?;
    /// theirs.shutdown(Shutdown::Write)?;
    /// let mut total = 0;
    /// let end = conn.next_event_with(|machine| {
    ///     machine.for_each_frame(|frame| {
    ///         total += frame.len();
    ///         ControlFlow::Continue(())
    ///     });
    /// });
    /// assert!(end.is_none()); // every frame went to the batch, then EOF
    /// assert_eq!(total, 5);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// As [`next_event`](Self::next_event), inside the `Some`.
    pub fn next_event_with(
        &mut self,
        mut batch: impl FnMut(&mut M),
    ) -> Option<Result<M::Event, Error<M::Error>>> {
        self.next_event_in(&mut batch)
    }
}
