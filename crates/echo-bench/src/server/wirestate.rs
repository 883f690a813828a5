//! The wirestate echo server: `WsConnection::server` on the public tokio
//! driver, the way `wirestate serve websocket` drives it (without its
//! limits and metrics).

use tokio::net::TcpStream;
use wirestate_tokio::Connection;
use wirestate_websocket::{Accept, Message, WsConfig, WsConnection, WsEvent};

use super::ConnectionError;

/// Accepts the upgrade, then queues every message back; the driver writes
/// the queued echoes before it reads again, and answers the close.
pub(super) async fn echo(stream: TcpStream) -> Result<(), ConnectionError> {
    let mut conn = Connection::new(stream, WsConnection::server(WsConfig::default()));
    while let Some(event) = conn.next_event().await {
        let ws = conn.machine_mut();
        match event? {
            WsEvent::Request(_) => ws.accept(Accept::default())?,
            WsEvent::Message(Message::Text(text)) => ws.send_text(text)?,
            WsEvent::Message(Message::Binary(data)) => ws.send_binary(data)?,
            _ => {}
        }
    }
    Ok(())
}
