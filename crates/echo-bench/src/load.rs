//! The load client: tokio-tungstenite connections that each send a binary
//! message, wait for its echo, record the round trip and send the next one
//! (pipeline depth 1; [`Settings::depth`] keeps more in flight), for a
//! warm-up and then a measured window.

use std::collections::VecDeque;
use std::fmt;
use std::time::Duration;

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio::task::JoinSet;
use tokio::time::{timeout, Instant};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::latency::{Latencies, Summary};

/// An error of the load run: a connection that failed to open, broke, or
/// echoed something else than it was sent.
pub type LoadError = Box<dyn std::error::Error + Send + Sync>;

/// One client connection.
type Client = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// How long a connection waits for the server's close reply at the end.
const CLOSE_WAIT: Duration = Duration::from_secs(2);

/// What to run.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The server, `ws://127.0.0.1:PORT/`.
    pub url: String,
    /// How many connections run at once.
    pub connections: usize,
    /// The payload size of every message, in bytes.
    pub size: usize,
    /// Round trips that start in this window are counted.
    pub duration: Duration,
    /// Round trips before the window (connections and caches warm up) are
    /// not counted.
    pub warmup: Duration,
    /// Messages in flight per connection: each echo received sends the
    /// next message. 1 (the default) is strict ping-pong.
    pub depth: usize,
}

impl Settings {
    /// 100 connections, 16-byte messages, a 1 s warm-up and a 10 s window.
    pub fn new(url: impl Into<String>) -> Self {
        Settings {
            url: url.into(),
            connections: 100,
            size: 16,
            duration: Duration::from_secs(10),
            warmup: Duration::from_secs(1),
            depth: 1,
        }
    }
}

/// What a run measured.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Report {
    /// The measured window.
    pub duration: Duration,
    /// Round-trip percentiles of the window.
    pub latency: Summary,
    /// Every echo received, the warm-up's included: what the server's CPU
    /// time is divided by.
    pub total: u64,
}

impl Report {
    /// Echoed messages per second over the window.
    pub fn messages_per_second(&self) -> f64 {
        self.latency.count as f64 / self.duration.as_secs_f64()
    }
}

impl fmt::Display for Report {
    /// One line for scripts: `RESULT messages=.. total=.. seconds=..
    /// msgs_per_s=.. p50_us=.. p99_us=.. max_us=..`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let micros = |d: Duration| d.as_secs_f64() * 1e6;
        write!(
            f,
            "RESULT messages={} total={} seconds={:.3} msgs_per_s={:.0} p50_us={:.1} p99_us={:.1} max_us={:.1}",
            self.latency.count,
            self.total,
            self.duration.as_secs_f64(),
            self.messages_per_second(),
            micros(self.latency.p50),
            micros(self.latency.p99),
            micros(self.latency.max),
        )
    }
}

/// Opens every connection, runs them all through the warm-up and the
/// window, closes them, and reports the window.
///
/// # Errors
///
/// The first connection that fails to open, breaks, or echoes a message of
/// another size; an error if nothing was echoed in the window.
pub async fn run(settings: &Settings) -> Result<Report, LoadError> {
    let mut clients = Vec::with_capacity(settings.connections);
    for _ in 0..settings.connections {
        let (client, _) =
            tokio_tungstenite::connect_async_with_config(settings.url.as_str(), None, true).await?;
        clients.push(client);
    }
    let payload = Bytes::from(vec![b'x'; settings.size]);
    let measure_from = Instant::now() + settings.warmup;
    let until = measure_from + settings.duration;
    let mut tasks = JoinSet::new();
    for client in clients {
        let window = (measure_from, until);
        tasks.spawn(round_trips(client, payload.clone(), settings.depth, window));
    }
    let mut latencies = Latencies::new();
    let mut total = 0;
    while let Some(joined) = tasks.join_next().await {
        let (connection, echoed) = joined??;
        latencies.merge(connection);
        total += echoed;
    }
    let latency = latencies.summary().ok_or("no message was echoed")?;
    Ok(Report {
        duration: settings.duration,
        latency,
        total,
    })
}

/// Keeps `depth` copies of `payload` in flight until `window.1`, records
/// the round trips that start from `window.0`, and returns them with the
/// count of all echoes; then closes.
async fn round_trips(
    mut client: Client,
    payload: Bytes,
    depth: usize,
    (measure_from, until): (Instant, Instant),
) -> Result<(Latencies, u64), LoadError> {
    let mut latencies = Latencies::new();
    let mut echoed = 0;
    // Send times of the messages in flight: echoes come back in order.
    let mut in_flight = VecDeque::with_capacity(depth);
    for _ in 0..depth.max(1) {
        in_flight.push_back(Instant::now());
        client.feed(Message::Binary(payload.clone())).await?;
    }
    client.flush().await?;
    while let Some(sent) = in_flight.pop_front() {
        let echo = echo_of(&mut client).await?;
        if echo.len() != payload.len() {
            return Err(format!("sent {} bytes, echoed {}", payload.len(), echo.len()).into());
        }
        echoed += 1;
        if sent >= measure_from {
            latencies.record(sent.elapsed());
        }
        let now = Instant::now();
        if now < until {
            in_flight.push_back(now);
            client.send(Message::Binary(payload.clone())).await?;
        }
    }
    client.close(None).await?;
    // The server's close reply ends the stream; a slow one is not our measure.
    let _ = timeout(CLOSE_WAIT, async { while client.next().await.is_some() {} }).await;
    Ok((latencies, echoed))
}

/// The next data message's payload, skipping control frames.
async fn echo_of(client: &mut Client) -> Result<Bytes, LoadError> {
    while let Some(message) = client.next().await {
        match message? {
            Message::Binary(data) => return Ok(data),
            Message::Text(text) => return Ok(Bytes::copy_from_slice(text.as_bytes())),
            Message::Close(_) => break,
            _ => {}
        }
    }
    Err("the server closed before echoing".into())
}
