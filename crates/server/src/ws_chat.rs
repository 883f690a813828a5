//! A broadcast chat server on the tokio driver: every text message a client
//! sends goes to every connected client, the sender included. One port
//! serves both the page (`GET /`, `chat.html` over plain HTTP) and the
//! WebSocket (`GET /chat` with an upgrade).
//!
//! ```text
//! cargo run -p wirestate-server --example chat_server -- 127.0.0.1:8000
//! ```
//!
//! Then open http://127.0.0.1:8000/ in two browser tabs.

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::broadcast;
use wirestate_core::Machine;
use wirestate_websocket::{Message, Utf8Bytes, WsConfig, WsConnection, WsEvent};

/// The page, compiled into the binary.
const PAGE: &str = include_str!("chat.html");
/// The longest request head we read before giving up on a connection.
const MAX_HEAD: usize = 8 * 1024;
/// Messages a slow client may fall behind before it misses some.
const BACKLOG: usize = 64;

/// Accepts connections on `listener` forever, each on its own task, all
/// sharing one broadcast channel.
///
/// # Errors
///
/// When accepting a connection fails. Errors of single connections end
/// only that connection.
pub async fn serve(listener: TcpListener) -> std::io::Result<()> {
    let (room, _) = broadcast::channel::<Utf8Bytes>(BACKLOG);
    loop {
        let (stream, _) = listener.accept().await?;
        let room = room.clone();
        tokio::spawn(async move {
            let _ = handle(stream, room).await;
        });
    }
}

/// Reads the request head, then serves the page or joins the chat.
async fn handle(mut stream: TcpStream, room: broadcast::Sender<Utf8Bytes>) -> std::io::Result<()> {
    stream.set_nodelay(true)?;
    let mut head = Vec::new();
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        if head.len() >= MAX_HEAD || stream.read_buf(&mut head).await? == 0 {
            return Ok(());
        }
    }
    // `GET <path> HTTP/1.1`: only the path decides.
    let path = head
        .split(|&b| b == b' ')
        .nth(1)
        .map(|p| String::from_utf8_lossy(p).into_owned())
        .unwrap_or_default();
    match path.split('?').next() {
        Some("/chat") => chat(stream, &head, room).await,
        Some("/") => respond(stream, "200 OK", "text/html; charset=utf-8", PAGE).await,
        _ => respond(stream, "404 Not Found", "text/plain", "not found\n").await,
    }
}

/// Writes one plain HTTP response and closes.
async fn respond(
    mut stream: TcpStream,
    status: &str,
    kind: &str,
    body: &str,
) -> std::io::Result<()> {
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(body.as_bytes()).await?;
    stream.shutdown().await
}

/// Runs one chat member: its messages go to the room, the room's to it.
async fn chat(
    stream: TcpStream,
    head: &[u8],
    room: broadcast::Sender<Utf8Bytes>,
) -> std::io::Result<()> {
    let mut machine = WsConnection::server_auto_accept(WsConfig::default());
    // The head we already read is the start of the handshake.
    machine.handle_input(head, wirestate_tokio::now());
    let mut conn = wirestate_tokio::Connection::new(stream, machine);
    let mut inbox = room.subscribe();
    loop {
        tokio::select! {
            event = conn.next_event() => match event {
                Some(Ok(WsEvent::Message(Message::Text(text)))) => {
                    // No receivers is fine: nobody else is listening.
                    let _ = room.send(text);
                }
                Some(Ok(_)) => {}
                Some(Err(_)) | None => break,
            },
            said = inbox.recv() => match said {
                Ok(text) => {
                    if conn.machine_mut().send_text(text).is_err() {
                        break;
                    }
                }
                // Too slow: skip what was missed and carry on.
                Err(broadcast::error::RecvError::Lagged(_)) => {}
                Err(broadcast::error::RecvError::Closed) => break,
            },
        }
    }
    conn.flush().await.map_err(std::io::Error::other)
}
