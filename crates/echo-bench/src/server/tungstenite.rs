//! The tokio-tungstenite echo server, as its echo example writes it.

use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;

use super::ConnectionError;

/// Accepts the upgrade, then sends every text or binary message back
/// (tungstenite queues the pong and the close reply itself).
pub(super) async fn echo(stream: TcpStream) -> Result<(), ConnectionError> {
    let mut ws = tokio_tungstenite::accept_async(stream).await?;
    while let Some(message) = ws.next().await {
        let message = message?;
        if message.is_text() || message.is_binary() {
            ws.send(message).await?;
        }
    }
    Ok(())
}
