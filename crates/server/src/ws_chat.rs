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

use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::broadcast;
use wirestate_core::Machine;
use wirestate_tokio::{Connection, MemoryBudget};
use wirestate_websocket::{Keepalive, Message, Utf8Bytes, WsConfig, WsConnection, WsEvent};

use crate::plain_http::{self, HeadRead, Response};
use crate::{serve_connections, Admission, ServerLimits, Shutdown};

/// The page, compiled into the binary.
const PAGE: &str = include_str!("chat.html");
/// Messages a slow client may fall behind before it misses some.
const BACKLOG: usize = 64;
/// The keepalive ping interval (and answer time) of chat members.
const PING_INTERVAL: Duration = Duration::from_secs(30);

/// Serves the chat on `listener` with the default [`ServerLimits`] until the
/// task is dropped; see [`serve_with`].
///
/// # Errors
///
/// Only when the listener's address cannot be read: accept errors are
/// logged and the server goes on.
pub async fn serve(listener: TcpListener) -> std::io::Result<()> {
    serve_with(listener, ServerLimits::default(), Shutdown::never()).await
}

/// Accepts connections on `listener` until `shutdown` fires, each on its
/// own task, all sharing one broadcast channel, within `limits`: past
/// [`ServerLimits::max_connections`], clients get an HTTP 503; the request
/// head must arrive within the handshake timeout (else 408); chat members
/// get keepalive pings, the idle and send timeouts. On shutdown every
/// member gets a close 1001, and the server returns once they answered or
/// the drain timeout passed.
///
/// # Errors
///
/// Only when the listener's address cannot be read: accept errors are
/// logged and the server goes on.
pub async fn serve_with(
    listener: TcpListener,
    limits: ServerLimits,
    shutdown: Shutdown,
) -> std::io::Result<()> {
    let (room, _) = broadcast::channel::<Utf8Bytes>(BACKLOG);
    let budget = MemoryBudget::new(limits.memory_budget);
    let accept = |stream: TcpStream, _peer, admission: Admission| {
        let member = Member {
            room: room.clone(),
            limits: limits.clone(),
            budget: budget.clone(),
            shutdown: shutdown.clone(),
        };
        async move {
            match admission {
                Admission::Admitted(slot) => {
                    let _ = handle(stream, member).await;
                    drop(slot);
                }
                Admission::Refused => {
                    let full = Response::text(503, "full\n");
                    let _ = plain_http::respond(stream, &full, plain_http::REFUSAL_DEADLINE).await;
                }
            }
        }
    };
    serve_connections(listener, &limits, &budget, shutdown.clone(), accept).await
}

/// What a connection's task shares with the server.
struct Member {
    room: broadcast::Sender<Utf8Bytes>,
    limits: ServerLimits,
    budget: MemoryBudget,
    shutdown: Shutdown,
}

/// Reads the request head, then serves the page or joins the chat.
async fn handle(mut stream: TcpStream, member: Member) -> std::io::Result<()> {
    stream.set_nodelay(true)?;
    let deadline = plain_http::answer_deadline(&member.limits);
    let answer = match plain_http::read_head(&mut stream, &member.limits).await? {
        HeadRead::Head(head) => match head.path.as_str() {
            "/chat" => return chat(stream, &head.bytes, member).await,
            "/" => Response::new(200, "text/html; charset=utf-8", PAGE),
            _ => Response::text(404, "not found\n"),
        },
        HeadRead::TimedOut => Response::text(408, "too slow\n"),
        HeadRead::Malformed => Response::text(400, "bad request\n"),
        HeadRead::Closed => return Ok(()),
    };
    plain_http::respond(stream, &answer, deadline).await
}

/// The chat members' WebSocket settings: the limits' idle, handshake and
/// send timeouts, and keepalive pings every [`PING_INTERVAL`] of quiet.
fn member_config(limits: &ServerLimits) -> WsConfig {
    WsConfig {
        idle_timeout: limits.idle_timeout,
        handshake_timeout: limits.handshake_timeout,
        send_timeout: limits.send_timeout,
        keepalive: Some(Keepalive {
            interval: PING_INTERVAL,
            timeout: PING_INTERVAL,
        }),
        ..WsConfig::default()
    }
}

/// Runs one chat member: its messages go to the room, the room's to it.
async fn chat(stream: TcpStream, head: &[u8], member: Member) -> std::io::Result<()> {
    let Member {
        room,
        limits,
        budget,
        mut shutdown,
    } = member;
    let mut machine = WsConnection::server_auto_accept(member_config(&limits));
    // The head we already read is the start of the handshake.
    machine.handle_input(head, wirestate_tokio::now());
    let mut conn = Connection::new(stream, machine)
        .with_memory_budget(budget)
        .with_drain_timeout(limits.drain_timeout);
    let mut inbox = room.subscribe();
    let shut_down = loop {
        tokio::select! {
            () = shutdown.triggered() => break true,
            event = conn.next_event() => match event {
                Some(Ok(WsEvent::Message(Message::Text(text)))) => {
                    // No receivers is fine: nobody else is listening.
                    let _ = room.send(text);
                }
                Some(Ok(_)) => {}
                Some(Err(_)) | None => break false,
            },
            said = inbox.recv() => match said {
                Ok(text) => {
                    if conn.machine_mut().send_text(text).is_err() {
                        break false;
                    }
                }
                // Too slow: skip what was missed and carry on.
                Err(broadcast::error::RecvError::Lagged(_)) => {}
                Err(broadcast::error::RecvError::Closed) => break false,
            },
        }
    };
    let finished = if shut_down {
        conn.shutdown(limits.drain_timeout).await
    } else {
        tokio::select! {
            flushed = conn.flush() => flushed,
            () = shutdown.triggered() => conn.shutdown(limits.drain_timeout).await,
        }
    };
    finished.map_err(std::io::Error::other)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::SocketAddr;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use wirestate_core::SeededRandom;

    const BOUND: Duration = Duration::from_secs(10);

    async fn start(
        limits: ServerLimits,
    ) -> (
        SocketAddr,
        crate::ShutdownTrigger,
        tokio::task::JoinHandle<std::io::Result<()>>,
    ) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (trigger, shutdown) = Shutdown::new();
        let server = tokio::spawn(serve_with(listener, limits, shutdown));
        (addr, trigger, server)
    }

    /// Sends `request` and reads the response head.
    async fn ask(addr: SocketAddr, request: &str) -> (TcpStream, String) {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut head = Vec::new();
        let mut byte = [0];
        while !head.ends_with(b"\r\n\r\n") {
            let read = tokio::time::timeout(BOUND, stream.read(&mut byte)).await;
            if read.unwrap().unwrap() == 0 {
                break;
            }
            head.push(byte[0]);
        }
        (stream, String::from_utf8_lossy(&head).into_owned())
    }

    /// A chat member: the upgrade done, our client machine on the driver.
    async fn join(addr: SocketAddr) -> Connection<WsConnection, TcpStream> {
        let request = "GET /chat HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n\
            Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
            Sec-WebSocket-Version: 13\r\n\r\n";
        let (stream, head) = ask(addr, request).await;
        assert!(head.starts_with("HTTP/1.1 101"), "{head}");
        let machine =
            WsConnection::accepted_client(WsConfig::default(), None, SeededRandom::new(3));
        Connection::new(stream, machine)
    }

    #[tokio::test]
    async fn serves_the_page_and_relays_text_to_every_member() {
        let (addr, _trigger, _server) = start(ServerLimits::default()).await;
        let (_, head) = ask(addr, "GET / HTTP/1.1\r\nHost: x\r\n\r\n").await;
        assert!(head.starts_with("HTTP/1.1 200 OK"), "{head}");
        let mut alice = join(addr).await;
        let mut bob = join(addr).await;
        alice.machine_mut().send_text("hi all").unwrap();
        alice.flush().await.unwrap();
        for member in [&mut alice, &mut bob] {
            let event = tokio::time::timeout(BOUND, member.next_event())
                .await
                .unwrap();
            match event {
                Some(Ok(WsEvent::Message(Message::Text(text)))) => {
                    assert_eq!(text.as_str(), "hi all")
                }
                other => panic!("{other:?}"),
            }
        }
    }

    #[tokio::test]
    async fn past_max_connections_clients_get_503() {
        let limits = ServerLimits {
            max_connections: 1,
            ..ServerLimits::default()
        };
        let (addr, _trigger, _server) = start(limits).await;
        let _member = join(addr).await;
        let (_, head) = ask(addr, "GET / HTTP/1.1\r\nHost: x\r\n\r\n").await;
        assert!(
            head.starts_with("HTTP/1.1 503 Service Unavailable"),
            "{head}"
        );
    }

    #[tokio::test]
    async fn a_slow_request_head_gets_408() {
        let limits = ServerLimits {
            handshake_timeout: Some(Duration::from_millis(200)),
            ..ServerLimits::default()
        };
        let (addr, _trigger, _server) = start(limits).await;
        let (_, head) = ask(addr, "GET / HTTP/1.1\r\n").await;
        assert!(head.starts_with("HTTP/1.1 408 Request Timeout"), "{head}");
    }

    #[tokio::test]
    async fn shutdown_says_going_away_to_every_member_and_ends_the_server() {
        let (addr, trigger, server) = start(ServerLimits::default()).await;
        let mut members = [join(addr).await, join(addr).await];
        // Both have joined once their own message came back.
        for member in &mut members {
            member.machine_mut().send_text("here").unwrap();
            member.flush().await.unwrap();
            let event = tokio::time::timeout(BOUND, member.next_event())
                .await
                .unwrap();
            assert!(matches!(event, Some(Ok(WsEvent::Message(_)))), "{event:?}");
        }
        trigger.trigger();
        for member in &mut members {
            let close = loop {
                match tokio::time::timeout(BOUND, member.next_event())
                    .await
                    .unwrap()
                {
                    Some(Ok(WsEvent::Close(close))) => break close,
                    Some(Ok(_)) => {}
                    other => panic!("{other:?}"),
                }
            };
            assert_eq!(close.map(|c| c.code), Some(1001));
            // Our answer completes the close handshake.
            let _ = member.flush().await;
        }
        // The clients close their sockets, which ends the server's linger.
        drop(members);
        // Well before the drain timeout: both answered.
        tokio::time::timeout(Duration::from_secs(4), server)
            .await
            .unwrap()
            .unwrap()
            .unwrap();
    }
}
