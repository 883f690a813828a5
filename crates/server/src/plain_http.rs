//! Plain HTTP/1.1 beside a protocol: reading one request head with a
//! deadline (to route it before a WebSocket machine sees it), answering it
//! with one response and closing, and a tiny server for status endpoints
//! (`/health`, `/metrics`).
//!
//! Every answer is `Connection: close`: these endpoints serve probes and
//! scrapers, not browsers that keep connections alive.

use std::io;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;
use wirestate_tokio::MemoryBudget;

use crate::{serve_connections, Admission, ServerLimits, Shutdown};

/// The longest request head read before giving up on a connection.
pub const MAX_HEAD: usize = 8 * 1024;
/// How long an answer may take to write when the limits set no send
/// timeout.
pub const ANSWER_DEADLINE: Duration = Duration::from_secs(10);
/// How long a refusal (503, server full) may take to write.
pub const REFUSAL_DEADLINE: Duration = Duration::from_secs(2);

/// A request head, as far as routing needs it.
#[derive(Debug, Clone)]
pub struct Head {
    /// The method, e.g. `GET`.
    pub method: String,
    /// The path, without the query.
    pub path: String,
    /// The query after `?`, if any.
    pub query: Option<String>,
    /// Everything read: the head and any bytes that followed it. Feed them
    /// to a machine that takes the connection over (a WebSocket upgrade).
    pub bytes: Vec<u8>,
}

/// What [`read_head`] found.
#[derive(Debug)]
pub enum HeadRead {
    /// A complete head.
    Head(Head),
    /// The peer closed before completing it.
    Closed,
    /// The handshake timeout passed first; answer 408.
    TimedOut,
    /// The head was longer than [`MAX_HEAD`] or not a request line; answer
    /// 400 (or close).
    Malformed,
}

/// Reads one request head from `stream` within the limits' handshake
/// timeout. What follows the head stays in [`Head::bytes`].
///
/// # Errors
///
/// When reading fails.
pub async fn read_head<S>(stream: &mut S, limits: &ServerLimits) -> io::Result<HeadRead>
where
    S: AsyncRead + Unpin,
{
    let mut bytes = Vec::new();
    let read = async {
        loop {
            if let Some(end) = head_end(&bytes) {
                return Ok(Some(end));
            }
            if bytes.len() >= MAX_HEAD {
                return Ok(None);
            }
            if stream.read_buf(&mut bytes).await? == 0 {
                return Ok::<_, io::Error>(Some(0));
            }
        }
    };
    let read = match limits.handshake_timeout {
        Some(limit) => match tokio::time::timeout(limit, read).await {
            Ok(read) => read?,
            Err(_) => return Ok(HeadRead::TimedOut),
        },
        None => read.await?,
    };
    Ok(match read {
        Some(0) => HeadRead::Closed,
        Some(end) => parse_request_line(&bytes[..end])
            .map(|(method, path, query)| {
                HeadRead::Head(Head {
                    method,
                    path,
                    query,
                    bytes,
                })
            })
            .unwrap_or(HeadRead::Malformed),
        None => HeadRead::Malformed,
    })
}

/// The length of the head (through its blank line), once complete.
fn head_end(bytes: &[u8]) -> Option<usize> {
    let end = bytes.windows(4).position(|w| w == b"\r\n\r\n")?;
    Some(end + 4)
}

/// Method, path and query of `METHOD TARGET HTTP/1.x`.
fn parse_request_line(head: &[u8]) -> Option<(String, String, Option<String>)> {
    let line = head.split(|&b| b == b'\r').next()?;
    let line = std::str::from_utf8(line).ok()?;
    let mut parts = line.split(' ');
    let (method, target, version) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || !version.starts_with("HTTP/1.") || method.is_empty() {
        return None;
    }
    let (path, query) = match target.split_once('?') {
        Some((path, query)) => (path, Some(query.to_string())),
        None => (target, None),
    };
    Some((method.to_string(), path.to_string(), query))
}

/// One response to write with [`respond`].
#[derive(Debug, Clone)]
pub struct Response {
    /// The status code.
    pub status: u16,
    /// The `Content-Type` of the body.
    pub content_type: String,
    /// Further headers.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Bytes,
}

impl Response {
    /// A response with `status`, `content_type` and `body`.
    pub fn new(status: u16, content_type: &str, body: impl Into<Bytes>) -> Self {
        Response {
            status,
            content_type: content_type.to_string(),
            headers: Vec::new(),
            body: body.into(),
        }
    }

    /// A `text/plain` response.
    pub fn text(status: u16, body: impl Into<Bytes>) -> Self {
        Response::new(status, "text/plain; charset=utf-8", body)
    }

    /// The response's bytes: status line, headers, blank line, body.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = format!(
            "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: close\r\n",
            self.status,
            reason(self.status),
            self.content_type,
            self.body.len()
        );
        for (name, value) in &self.headers {
            out.push_str(&format!("{name}: {value}\r\n"));
        }
        out.push_str("\r\n");
        let mut bytes = out.into_bytes();
        bytes.extend_from_slice(&self.body);
        bytes
    }
}

/// The reason phrase of the statuses servers here answer with.
fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        426 => "Upgrade Required",
        503 => "Service Unavailable",
        _ => "Status",
    }
}

/// Writes `response` and closes the writing side, within `deadline`.
///
/// # Errors
///
/// When writing fails or the deadline passes (`TimedOut`).
pub async fn respond<S>(mut stream: S, response: &Response, deadline: Duration) -> io::Result<()>
where
    S: AsyncWrite + Unpin,
{
    let write = async {
        stream.write_all(&response.to_bytes()).await?;
        stream.shutdown().await
    };
    tokio::time::timeout(deadline, write)
        .await
        .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "answer not taken in time"))?
}

/// How long an answer may take to write under `limits`.
pub fn answer_deadline(limits: &ServerLimits) -> Duration {
    limits.send_timeout.unwrap_or(ANSWER_DEADLINE)
}

/// Answers each request on `listener` with `handler(&head)` until
/// `shutdown` fires, within `limits` (past the maximum of connections: 503;
/// a head not complete within the handshake timeout: 408; not a request:
/// 400).
///
/// # Errors
///
/// Only when the listener's address cannot be read: accept errors are
/// logged and the server goes on.
pub async fn serve_http<H>(
    listener: TcpListener,
    limits: &ServerLimits,
    shutdown: Shutdown,
    handler: H,
) -> io::Result<()>
where
    H: Fn(&Head) -> Response + Send + Sync + 'static,
{
    let handler = Arc::new(handler);
    // Requests and answers are small and short-lived; only the count is bounded.
    let budget = MemoryBudget::new(limits.memory_budget);
    let deadline = answer_deadline(limits);
    let connection = |mut stream: tokio::net::TcpStream, _peer, admission: Admission| {
        let (handler, limits) = (handler.clone(), limits.clone());
        async move {
            let response = match admission {
                Admission::Refused => {
                    let full = Response::text(503, "full\n");
                    let _ = respond(stream, &full, REFUSAL_DEADLINE).await;
                    return;
                }
                Admission::Admitted(_slot) => match read_head(&mut stream, &limits).await {
                    Ok(HeadRead::Head(head)) => handler(&head),
                    Ok(HeadRead::TimedOut) => Response::text(408, "too slow\n"),
                    Ok(HeadRead::Malformed) => Response::text(400, "bad request\n"),
                    Ok(HeadRead::Closed) | Err(_) => return,
                },
            };
            let _ = respond(stream, &response, deadline).await;
        }
    };
    serve_connections(listener, limits, &budget, shutdown, connection).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_lines_parse_or_are_refused() {
        type Parsed<'a> = Option<(&'a str, &'a str, Option<&'a str>)>;
        let table: [(&[u8], Parsed); 6] = [
            (b"GET / HTTP/1.1\r\n\r\n", Some(("GET", "/", None))),
            (
                b"GET /metrics?x=1 HTTP/1.0\r\nHost: a\r\n\r\n",
                Some(("GET", "/metrics", Some("x=1"))),
            ),
            (b"GET /  HTTP/1.1\r\n\r\n", None),
            (b"GET / SPDY/3\r\n\r\n", None),
            (b"GET\r\n\r\n", None),
            (b"\xff / HTTP/1.1\r\n\r\n", None),
        ];
        for (head, expected) in table {
            let parsed = parse_request_line(head);
            let parsed = parsed
                .as_ref()
                .map(|(m, p, q)| (m.as_str(), p.as_str(), q.as_deref()));
            assert_eq!(parsed, expected, "{:?}", String::from_utf8_lossy(head));
        }
    }

    #[tokio::test]
    async fn reads_a_head_and_keeps_what_follows() {
        let (mut client, mut server) = tokio::io::duplex(64);
        let limits = ServerLimits::default();
        let reading = tokio::spawn(async move { read_head(&mut server, &limits).await });
        client
            .write_all(b"GET /ws?token=a HTTP/1.1\r\nHost: x\r\n")
            .await
            .unwrap();
        client.write_all(b"\r\nEXTRA").await.unwrap();
        let HeadRead::Head(head) = reading.await.unwrap().unwrap() else {
            panic!("no head")
        };
        assert_eq!((head.method.as_str(), head.path.as_str()), ("GET", "/ws"));
        assert_eq!(head.query.as_deref(), Some("token=a"));
        assert!(head.bytes.ends_with(b"\r\n\r\nEXTRA"));
    }

    #[tokio::test(start_paused = true)]
    async fn a_trickled_head_times_out_and_an_endless_one_is_malformed() {
        let limits = ServerLimits {
            handshake_timeout: Some(Duration::from_secs(5)),
            ..ServerLimits::default()
        };
        let (mut client, mut server) = tokio::io::duplex(64);
        client.write_all(b"GET / HTTP/1.1\r\n").await.unwrap();
        let read = read_head(&mut server, &limits).await.unwrap();
        assert!(matches!(read, HeadRead::TimedOut), "{read:?}");

        let (mut client, mut server) = tokio::io::duplex(2 * MAX_HEAD);
        client.write_all(&vec![b'a'; MAX_HEAD + 1]).await.unwrap();
        let read = read_head(&mut server, &limits).await.unwrap();
        assert!(matches!(read, HeadRead::Malformed), "{read:?}");

        drop(client);
        let (client, mut server) = tokio::io::duplex(64);
        drop(client);
        let read = read_head(&mut server, &limits).await.unwrap();
        assert!(matches!(read, HeadRead::Closed), "{read:?}");
    }

    #[tokio::test]
    async fn serves_status_endpoints_over_tcp() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (trigger, shutdown) = Shutdown::new();
        let limits = ServerLimits::default();
        let server = tokio::spawn(async move {
            serve_http(listener, &limits, shutdown, |head: &Head| {
                match head.path.as_str() {
                    "/health" => Response::text(200, "ok\n"),
                    _ => Response::text(404, "not found\n"),
                }
            })
            .await
        });
        for (request, expected) in [
            ("GET /health HTTP/1.1\r\n\r\n", "HTTP/1.1 200 OK\r\n"),
            ("GET /nope HTTP/1.1\r\n\r\n", "HTTP/1.1 404 Not Found\r\n"),
            ("nonsense\r\n\r\n", "HTTP/1.1 400 Bad Request\r\n"),
        ] {
            let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
            stream.write_all(request.as_bytes()).await.unwrap();
            let mut answer = String::new();
            stream.read_to_string(&mut answer).await.unwrap();
            assert!(answer.starts_with(expected), "{answer}");
            let length = answer.split("\r\n\r\n").nth(1).unwrap().len();
            assert!(answer.contains(&format!("Content-Length: {length}\r\n")));
        }
        trigger.trigger();
        server.await.unwrap().unwrap();
    }
}
