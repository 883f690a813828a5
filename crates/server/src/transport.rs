//! Any byte stream a server can run a connection on: a `TcpStream`, or a
//! TLS session over it that the caller set up (see
//! [`rtmp_relay::serve_wrapped`](crate::rtmp_relay::serve_wrapped)).

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

/// A byte stream a connection task can own: `AsyncRead + AsyncWrite`,
/// movable between threads. Implemented for every such type.
pub trait ByteStream: AsyncRead + AsyncWrite + Unpin + Send + 'static {}

impl<T: AsyncRead + AsyncWrite + Unpin + Send + 'static> ByteStream for T {}

/// A boxed [`ByteStream`].
pub type BoxStream = Box<dyn ByteStream>;

/// What turns an accepted socket into the stream a connection runs on
/// (a TLS handshake, say), inside the connection's task and after its
/// admission. An error ends only that connection (it is logged).
pub type WrapStream = Arc<
    dyn Fn(TcpStream) -> Pin<Box<dyn Future<Output = io::Result<BoxStream>> + Send>> + Send + Sync,
>;

/// The identity [`WrapStream`]: the socket itself.
pub fn plain() -> WrapStream {
    Arc::new(|socket| Box::pin(async move { Ok(Box::new(socket) as BoxStream) }))
}
