//! The end of a connection: after the write side is shut down, what the
//! peer still sends is read and dropped until its EOF. Closing a socket
//! with unread input makes the kernel send a reset, and a reset can
//! destroy what the peer has received but not yet read (the last media of
//! a stream, a close frame): this "lingering close" lets it read all of it.

use std::pin::Pin;
use std::task::{ready, Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use wirestate_core::Machine;

use crate::clock::Wake;
use crate::connection::{EventResult, State};
use crate::Connection;

/// Reads per poll before yielding to other tasks, so a peer that floods
/// while we linger cannot hold the thread.
const READS_PER_POLL: usize = 16;

impl<M: Machine, S: AsyncRead + AsyncWrite + Unpin> Connection<M, S> {
    /// Discards input until the peer's EOF, a read error, or the drain
    /// deadline; then the stream ends (`None`). Nothing here is an error:
    /// the goodbye was written, and lingering is only a courtesy to a peer
    /// still reading it.
    pub(crate) fn poll_linger(&mut self, cx: &mut Context<'_>) -> Poll<Option<EventResult<M>>> {
        let mut scratch = [0u8; 2048];
        for _ in 0..READS_PER_POLL {
            let mut buf = ReadBuf::new(&mut scratch);
            match Pin::new(&mut self.stream).poll_read(cx, &mut buf) {
                Poll::Ready(Ok(())) if !buf.filled().is_empty() => continue,
                Poll::Ready(_) => return self.finish_linger(),
                Poll::Pending => {
                    return match ready!(self.clock.poll(&mut self.machine, cx)) {
                        Wake::Drain => self.finish_linger(),
                        // A closed machine's own timers mean nothing now;
                        // poll again to wait for the next wake.
                        Wake::Machine => {
                            cx.waker().wake_by_ref();
                            Poll::Pending
                        }
                    };
                }
            }
        }
        cx.waker().wake_by_ref();
        Poll::Pending
    }

    fn finish_linger(&mut self) -> Poll<Option<EventResult<M>>> {
        self.state = State::Done;
        Poll::Ready(None)
    }
}
