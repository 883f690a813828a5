//! The tokio-websockets echo server, as its echo example writes it.

use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;

use super::ConnectionError;

/// Accepts the upgrade, then sends every text or binary message back
/// (tokio-websockets answers pings and the close itself).
pub(super) async fn echo(stream: TcpStream) -> Result<(), ConnectionError> {
    let (_request, mut ws) = tokio_websockets::ServerBuilder::new()
        .accept(stream)
        .await?;
    while let Some(message) = ws.next().await {
        let message = message?;
        if message.is_text() || message.is_binary() {
            ws.send(message).await?;
        }
    }
    Ok(())
}
