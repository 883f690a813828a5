//! The write side of a connection: the outbox, flushes bounded by the
//! deadlines, and the memory budget's charge.

use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::time::Instant;
use wirestate_core::{Machine, MAX_IO_SLICES};

use crate::clock::{timed_out, Wake};
use crate::{Connection, Error};

impl<M: Machine, S: AsyncRead + AsyncWrite + Unpin> Connection<M, S> {
    /// Moves the machine's transmits to the outbox and writes it out with
    /// vectored writes, then flushes the transport. Tells the machine how
    /// far it got.
    pub(crate) fn poll_write_side(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.outbox.take_from(&mut self.machine);
        let mut written = 0;
        let result = loop {
            if self.outbox.is_empty() {
                break Pin::new(&mut self.stream).poll_flush(cx);
            }
            let result = {
                let mut slices = [IoSlice::new(&[]); MAX_IO_SLICES];
                let count = self.outbox.slices(&mut slices);
                match Pin::new(&mut self.stream).poll_write_vectored(cx, &slices[..count]) {
                    Poll::Ready(result) => result,
                    Poll::Pending => break Poll::Pending,
                }
            };
            let before = self.outbox.len();
            if let Err(e) = self.outbox.wrote(result) {
                break Poll::Ready(Err(e));
            }
            written += before - self.outbox.len();
        };
        let unsent = self.outbox.len();
        if written > 0 || unsent > 0 {
            let now = Instant::now().into_std();
            self.machine.handle_written(written, unsent, now);
        }
        result
    }

    /// Writes everything out, running the machine's deadlines meanwhile
    /// (see [`flush`](Connection::flush)).
    pub(crate) fn poll_flush_all(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Result<(), Error<M::Error>>> {
        let _entered = self.trace.span.clone().entered();
        loop {
            self.clock.start(&mut self.machine);
            if let Poll::Ready(result) = self.poll_write_side(cx) {
                self.recharge();
                return Poll::Ready(result.map_err(Error::Io));
            }
            self.recharge();
            if self.machine.is_closed() {
                self.clock.start_drain(self.drain_timeout);
            }
            match ready!(self.clock.poll(&mut self.machine, cx)) {
                Wake::Machine if self.machine.is_closed() => {
                    return Poll::Ready(Err(Error::Io(timed_out(
                        "the connection closed (a deadline passed) while bytes waited",
                    ))));
                }
                Wake::Machine => {}
                Wake::Drain => {
                    tracing::debug!("drain timeout: the peer took no bytes while flushing");
                    return Poll::Ready(Err(Error::Io(timed_out(
                        "the peer took no bytes within the drain timeout",
                    ))));
                }
            }
        }
    }

    /// The sink's readiness: below the write high-water mark, or once
    /// everything is written.
    pub(crate) fn poll_send_ready(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Result<(), Error<M::Error>>> {
        if self.outbox.len() >= self.write_high_water {
            ready!(self.poll_flush_all(cx))?;
        }
        Poll::Ready(Ok(()))
    }

    /// Flushes, then shuts down the write side.
    pub(crate) fn poll_close_write(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Result<(), Error<M::Error>>> {
        ready!(self.poll_flush_all(cx))?;
        Pin::new(&mut self.stream)
            .poll_shutdown(cx)
            .map_err(Error::Io)
    }

    /// Updates what this connection charges to its memory budget.
    #[inline]
    pub(crate) fn recharge(&mut self) {
        if let Some(charge) = &mut self.charge {
            let held = self.machine.input_buffer().capacity() + self.machine.held_bytes();
            charge.set(held + self.outbox.len());
        }
    }
}
