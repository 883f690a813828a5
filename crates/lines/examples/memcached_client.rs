//! A memcached text-protocol client on wirestate-lines, on either driver:
//! `set` / `get` / `delete`, with values that may contain `\r\n` or any byte,
//! read back as raw blocks.
//!
//! ```text
//! memcached -l 127.0.0.1 -p 11211 &
//! cargo run -p wirestate-lines --example memcached_client -- 127.0.0.1:11211
//! cargo run -p wirestate-lines --example memcached_client -- 127.0.0.1:11211 --blocking
//! ```
//!
//! A `get` reply is `VALUE <key> <flags> <bytes>\r\n`, then exactly `<bytes>`
//! bytes of data and `\r\n`, then `END\r\n`. The data is not a line: it may
//! hold `\r\n` itself. So right after the `VALUE` line the client calls
//! `expect_raw(bytes + 2)`, and the next event is the data, whatever it holds.

use std::error::Error;
use std::net::SocketAddr;

use bytes::Bytes;
use wirestate_lines::{memcached, LineConfig, LineConnection, LineEvent};

type BoxError = Box<dyn Error + Send + Sync>;

/// The driver-independent part: requests, and replies read from events.
pub mod protocol {
    use super::*;

    /// A line machine for a memcached client: accepts `\n` or `\r\n`, sends
    /// `\r\n`, and takes values up to `max_value` bytes as raw blocks.
    pub fn machine(max_value: usize) -> LineConnection {
        let config = LineConfig::default()
            .encode_delimiter("\r\n")
            .expect("\\r\\n is one delimiter")
            .max_raw(max_value + 2);
        LineConnection::new(config)
    }

    /// Queues `set <key> 0 0 <len>`, the value and its `\r\n`. The value is
    /// not copied: it goes out as its own piece.
    pub fn set(lines: &mut LineConnection, key: &str, value: Bytes) -> Result<(), BoxError> {
        lines.send_line(format!("set {key} 0 0 {}", value.len()))?;
        lines.send_raw(value);
        lines.send_raw(Bytes::from_static(b"\r\n"));
        Ok(())
    }

    /// Queues `get <key>`.
    pub fn get(lines: &mut LineConnection, key: &str) -> Result<(), BoxError> {
        Ok(lines.send_line(format!("get {key}"))?)
    }

    /// Queues `delete <key>`.
    pub fn delete(lines: &mut LineConnection, key: &str) -> Result<(), BoxError> {
        Ok(lines.send_line(format!("delete {key}"))?)
    }

    /// Reads one reply from successive events.
    #[derive(Debug, Default)]
    pub struct Reply {
        value: Option<Bytes>,
        /// Data length announced by the last `VALUE` line, without its `\r\n`.
        announced: Option<usize>,
    }

    /// A finished reply.
    #[derive(Debug, PartialEq, Eq)]
    pub enum Done {
        /// A status line: `STORED`, `DELETED`, `NOT_FOUND`...
        Status(String),
        /// The reply to a `get`: the value, or `None` for a miss.
        Value(Option<Bytes>),
    }

    impl Reply {
        /// Takes the next event; `Ok(Some(_))` once the reply is complete.
        /// On a `VALUE` line it tells `lines` to read the data as a raw block.
        pub fn on_event(
            &mut self,
            lines: &mut LineConnection,
            event: LineEvent,
        ) -> Result<Option<Done>, BoxError> {
            match event {
                LineEvent::Line { bytes, .. } => {
                    if let Some(block) = memcached::data_len(&bytes) {
                        lines.expect_raw(block)?;
                        self.announced = Some(block - 2);
                        return Ok(None);
                    }
                    let line = String::from_utf8_lossy(&bytes).into_owned();
                    if line == "END" {
                        return Ok(Some(Done::Value(self.value.take())));
                    }
                    if line.contains("ERROR") {
                        return Err(format!("server: {line}").into());
                    }
                    Ok(Some(Done::Status(line)))
                }
                LineEvent::Raw(mut block) => {
                    let len = self.announced.take().ok_or("data without a VALUE line")?;
                    if !block.ends_with(b"\r\n") {
                        return Err("data block does not end in \\r\\n".into());
                    }
                    block.truncate(len);
                    self.value = Some(block);
                    Ok(None)
                }
                LineEvent::Oversize { .. } => Err("reply line too long".into()),
            }
        }
    }
}

use protocol::{Done, Reply};

/// The client on the tokio driver.
pub struct TokioClient {
    conn: wirestate_tokio::Connection<LineConnection, tokio::net::TcpStream>,
}

impl TokioClient {
    /// Connects to memcached at `addr`.
    pub async fn connect(addr: SocketAddr, max_value: usize) -> Result<Self, BoxError> {
        let stream = tokio::net::TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        Ok(TokioClient {
            conn: wirestate_tokio::Connection::new(stream, protocol::machine(max_value)),
        })
    }

    async fn reply(&mut self) -> Result<Done, BoxError> {
        self.conn.flush().await?;
        let mut reply = Reply::default();
        loop {
            let event = self.conn.next_event().await.ok_or("connection closed")??;
            if let Some(done) = reply.on_event(self.conn.machine_mut(), event)? {
                return Ok(done);
            }
        }
    }

    /// Stores `value` under `key`; `Ok(reply line)`, `STORED` on success.
    pub async fn set(&mut self, key: &str, value: Bytes) -> Result<Done, BoxError> {
        protocol::set(self.conn.machine_mut(), key, value)?;
        self.reply().await
    }

    /// Reads `key`: `Done::Value(Some(value))` or `Done::Value(None)`.
    pub async fn get(&mut self, key: &str) -> Result<Done, BoxError> {
        protocol::get(self.conn.machine_mut(), key)?;
        self.reply().await
    }

    /// Deletes `key`: `DELETED` or `NOT_FOUND`.
    pub async fn delete(&mut self, key: &str) -> Result<Done, BoxError> {
        protocol::delete(self.conn.machine_mut(), key)?;
        self.reply().await
    }
}

/// The client on the blocking driver.
pub struct BlockingClient {
    conn: wirestate_blocking::Connection<LineConnection, std::net::TcpStream>,
}

impl BlockingClient {
    /// Connects to memcached at `addr`.
    pub fn connect(addr: SocketAddr, max_value: usize) -> Result<Self, BoxError> {
        let stream = std::net::TcpStream::connect(addr)?;
        stream.set_nodelay(true)?;
        Ok(BlockingClient {
            conn: wirestate_blocking::Connection::new(stream, protocol::machine(max_value)),
        })
    }

    fn reply(&mut self) -> Result<Done, BoxError> {
        self.conn.flush()?;
        let mut reply = Reply::default();
        loop {
            let event = self.conn.next_event().ok_or("connection closed")??;
            if let Some(done) = reply.on_event(self.conn.machine_mut(), event)? {
                return Ok(done);
            }
        }
    }

    /// Stores `value` under `key`; `STORED` on success.
    pub fn set(&mut self, key: &str, value: Bytes) -> Result<Done, BoxError> {
        protocol::set(self.conn.machine_mut(), key, value)?;
        self.reply()
    }

    /// Reads `key`: `Done::Value(Some(value))` or `Done::Value(None)`.
    pub fn get(&mut self, key: &str) -> Result<Done, BoxError> {
        protocol::get(self.conn.machine_mut(), key)?;
        self.reply()
    }

    /// Deletes `key`: `DELETED` or `NOT_FOUND`.
    pub fn delete(&mut self, key: &str) -> Result<Done, BoxError> {
        protocol::delete(self.conn.machine_mut(), key)?;
        self.reply()
    }
}

/// The values the demo stores: embedded CRLFs, a bare CRLF, a protocol
/// look-alike, an empty value and every byte value.
pub fn demo_values() -> Vec<(&'static str, Bytes)> {
    vec![
        ("crlf", Bytes::from_static(b"line one\r\nline two\r\n")),
        ("just-crlf", Bytes::from_static(b"\r\n")),
        ("fake-reply", Bytes::from_static(b"END\r\nVALUE x 0 1\r\n")),
        ("empty", Bytes::new()),
        ("binary", (0..=255u8).collect::<Vec<u8>>().into()),
    ]
}

#[allow(dead_code)]
fn main() -> Result<(), BoxError> {
    let mut args = std::env::args().skip(1);
    let addr: SocketAddr = args
        .next()
        .unwrap_or_else(|| "127.0.0.1:11211".into())
        .parse()?;
    let blocking = args.any(|a| a == "--blocking");
    if blocking {
        let mut client = BlockingClient::connect(addr, 1 << 20)?;
        for (key, value) in demo_values() {
            println!("set {key}: {:?}", client.set(key, value.clone())?);
            let read = client.get(key)?;
            println!(
                "get {key}: {} bytes, same: {}",
                value.len(),
                read == Done::Value(Some(value))
            );
            println!("delete {key}: {:?}", client.delete(key)?);
        }
    } else {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        runtime.block_on(async {
            let mut client = TokioClient::connect(addr, 1 << 20).await?;
            for (key, value) in demo_values() {
                println!("set {key}: {:?}", client.set(key, value.clone()).await?);
                let read = client.get(key).await?;
                println!(
                    "get {key}: {} bytes, same: {}",
                    value.len(),
                    read == Done::Value(Some(value))
                );
                println!("delete {key}: {:?}", client.delete(key).await?);
            }
            Ok::<_, BoxError>(())
        })?;
    }
    Ok(())
}
