//! The connection as a futures [`Stream`] of events and [`Sink`] of
//! commands.

use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::{FusedStream, Stream};
use futures_sink::Sink;
use tokio::io::{AsyncRead, AsyncWrite};
use wirestate_core::Machine;

use crate::{Connection, Error};

impl<M, S> Stream for Connection<M, S>
where
    M: Machine,
    S: AsyncRead + AsyncWrite + Unpin,
{
    type Item = Result<M::Event, Error<M::Error>>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().poll_next_event(cx)
    }
}

impl<M, S> FusedStream for Connection<M, S>
where
    M: Machine,
    S: AsyncRead + AsyncWrite + Unpin,
{
    fn is_terminated(&self) -> bool {
        self.is_finished()
    }
}

impl<M, S> Sink<M::Command> for Connection<M, S>
where
    M: Machine,
    S: AsyncRead + AsyncWrite + Unpin,
{
    type Error = Error<M::Error>;

    /// Ready while fewer than the write high-water mark of bytes wait to be
    /// sent; otherwise writes them all first (the machine's deadlines run
    /// meanwhile, as in [`Connection::flush`]).
    fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.get_mut().poll_send_ready(cx)
    }

    /// Executes the command; its bytes are written by the next flush (or by
    /// polling the event stream).
    fn start_send(self: Pin<&mut Self>, cmd: M::Command) -> Result<(), Self::Error> {
        self.get_mut().start_command(cmd)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.get_mut().poll_flush_all(cx)
    }

    /// Flushes, then shuts down the write side. Events can still be read.
    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.get_mut().poll_close_write(cx)
    }
}
