//! What a server says to a connection past its limits.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The most time a refusal may take, writing included: a peer that does
/// not read its 503 loses it.
const REFUSAL_DEADLINE: Duration = Duration::from_secs(2);

/// The most request bytes read (and dropped) after a 503, so that closing
/// does not reset the connection before the client read the answer.
const MAX_DISCARD: usize = 16 << 10;

/// The answer of a full HTTP server.
const SERVICE_UNAVAILABLE: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\n\
Content-Type: text/plain\r\n\
Content-Length: 20\r\n\
Retry-After: 1\r\n\
Connection: close\r\n\
\r\n\
server at capacity\r\n";

/// How a serve mode refuses a connection past its maximum of connections
/// (or while its memory budget is spent).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// Close it at once (protocols without a way to say why).
    Close,
    /// Answer `HTTP/1.1 503 Service Unavailable` with `Connection: close`
    /// (WebSocket: the opening handshake is HTTP), within two seconds, then
    /// close.
    Http503,
}

impl Refusal {
    /// Refuses `stream`, the connection of `peer`.
    pub(crate) async fn refuse(self, stream: TcpStream, peer: SocketAddr) {
        match self {
            Refusal::Close => drop(stream),
            Refusal::Http503 => {
                match tokio::time::timeout(REFUSAL_DEADLINE, service_unavailable(stream)).await {
                    Ok(Ok(())) => {}
                    Ok(Err(error)) => tracing::debug!(%peer, %error, "503 not delivered"),
                    Err(_) => tracing::debug!(%peer, "503 not delivered in time"),
                }
            }
        }
    }
}

/// Writes the 503, ends our side, and drops what the client sends until it
/// closes too (at most [`MAX_DISCARD`] bytes).
async fn service_unavailable(mut stream: TcpStream) -> std::io::Result<()> {
    stream.write_all(SERVICE_UNAVAILABLE).await?;
    stream.shutdown().await?;
    let mut discard = [0; 4096];
    let mut total = 0;
    while total < MAX_DISCARD {
        match stream.read(&mut discard).await? {
            0 => break,
            n => total += n,
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_503_body_has_its_announced_length() {
        let text = std::str::from_utf8(SERVICE_UNAVAILABLE).unwrap();
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        assert!(head.contains(&format!("Content-Length: {}", body.len())));
        assert!(head.starts_with("HTTP/1.1 503 Service Unavailable\r\n"));
    }
}
