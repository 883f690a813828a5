//! The event stream with a borrowed fast path in front of it.

use std::future::poll_fn;

use tokio::io::{AsyncRead, AsyncWrite};
use wirestate_core::Machine;

use crate::connection::Connection;
use crate::Error;

impl<M: Machine, S: AsyncRead + AsyncWrite + Unpin> Connection<M, S> {
    /// Waits for the next event like [`next_event`](Self::next_event), but
    /// each time the driver is about to ask the machine for an event, it
    /// first calls `batch` with the machine, so that a borrowed fast path
    /// takes what it can in place: `WsConnection::for_each_message`,
    /// `LengthConnection::for_each_frame`, `LineConnection::for_each_line`.
    /// Whatever stops such a batch (a control frame, a raw block, the
    /// peer's error, ...) then comes out of this call as an event or an
    /// error, as from `next_event`.
    ///
    /// What `batch` queues on the machine (replies sent through it) is
    /// written like answers to events: together, once the input read so
    /// far is used up, before the driver waits on the peer again. So an
    /// echo server answers a read of many messages with one write.
    ///
    /// Returns only for an event or the end of the stream: while `batch`
    /// takes every message, it keeps reading. Cancel safe, as
    /// `next_event`.
    ///
    /// ```
    /// use std::ops::ControlFlow;
    /// use tokio::io::{AsyncReadExt, AsyncWriteExt};
    /// use wirestate_tokio::Connection;
    /// use wirestate_websocket::{WsConfig, WsConnection, WsEvent};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let (ours, mut theirs) = tokio::io::duplex(1024);
    /// let machine = WsConnection::accepted_server(WsConfig::default(), None);
    /// let mut conn = Connection::new(ours, machine);
    /// // Two masked binary messages and a ping, in one write.
    /// theirs
    ///     .write_all(b"\x82\x81\0\0\0\0a\x82\x81\0\0\0\0b\x89\x80\0\0\0\0")
    ///     .await
    ///     .unwrap();
    /// let mut seen = Vec::new();
    /// let event = conn
    ///     .next_event_with(|ws| {
    ///         ws.for_each_message(|message| {
    ///             seen.extend_from_slice(message.payload());
    ///             ControlFlow::Continue(())
    ///         });
    ///     })
    ///     .await;
    /// assert_eq!(seen, b"ab");
    /// // The ping stopped the batch; the driver answered it.
    /// assert!(matches!(event, Some(Ok(WsEvent::Ping(_)))));
    /// conn.flush().await.unwrap();
    /// let mut pong = [0; 2];
    /// theirs.read_exact(&mut pong).await.unwrap();
    /// assert_eq!(pong, [0x8a, 0]);
    /// # }
    /// ```
    ///
    /// # Errors
    ///
    /// As [`next_event`](Self::next_event), inside the `Some`.
    pub async fn next_event_with(
        &mut self,
        mut batch: impl FnMut(&mut M),
    ) -> Option<Result<M::Event, Error<M::Error>>> {
        poll_fn(|cx| self.poll_next_with(cx, &mut batch)).await
    }
}
