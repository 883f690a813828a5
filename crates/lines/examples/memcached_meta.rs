//! A memcached meta-protocol client on wirestate-lines, on either driver:
//! requests are pipelined and end with `mn`, whose `MN` answer says every
//! answer before it has arrived (quiet commands answer only when something
//! went wrong, or when they found something).
//!
//! ```text
//! memcached -l 127.0.0.1 -p 11211 &
//! cargo run -p wirestate-lines --example memcached_meta -- 127.0.0.1:11211
//! cargo run -p wirestate-lines --example memcached_meta -- 127.0.0.1:11211 --blocking
//! ```
//!
//! An `mg ... v` hit is `VA <size> <flags>*\r\n`, then exactly `<size>`
//! bytes of data and `\r\n`. The data is not a line: it may hold `\r\n`
//! itself. So right after the `VA` line the client calls
//! `expect_raw(size + 2)`, and the next event is the data, whatever it holds.

use std::error::Error;
use std::net::SocketAddr;

use bytes::Bytes;
use wirestate_lines::memcached::{MetaCommand, MetaFlag, MetaReply};
use wirestate_lines::{memcached, LineConfig, LineConnection, LineEvent};

type BoxError = Box<dyn Error + Send + Sync>;

/// The driver-independent part: requests, and answers read from events.
pub mod protocol {
    use super::*;

    /// A line machine for a meta client: accepts `\n` or `\r\n`, sends
    /// `\r\n`, and takes values up to `max_value` bytes as raw blocks.
    pub fn machine(max_value: usize) -> LineConnection {
        let config = LineConfig::default()
            .encode_delimiter("\r\n")
            .expect("\\r\\n is one delimiter")
            .max_raw(max_value + 2);
        LineConnection::new(config)
    }

    /// One request: a command and, for `ms`, its value.
    #[derive(Debug, Clone)]
    pub struct Request {
        /// The command line.
        pub command: MetaCommand,
        /// The data block of an `ms` (its length must be the command's).
        pub value: Option<Bytes>,
    }

    impl Request {
        /// A command without a data block.
        pub fn new(command: MetaCommand) -> Self {
            Request {
                command,
                value: None,
            }
        }

        /// `ms <key> <len> <flags>*` with `value` as its data block.
        pub fn set(key: impl Into<Bytes>, value: Bytes, flags: Vec<MetaFlag>) -> Self {
            let command = MetaCommand::Set {
                key: key.into(),
                data_len: value.len(),
                flags: flags.into_iter().collect(),
            };
            Request {
                command,
                value: Some(value),
            }
        }
    }

    /// Queues a request: the command line, then the value (not copied) and
    /// its `\r\n`.
    pub fn send(lines: &mut LineConnection, request: &Request) -> Result<(), BoxError> {
        lines.send_line(request.command.to_line()?)?;
        if let Some(value) = &request.value {
            lines.send_raw(value.clone());
            lines.send_raw(Bytes::from_static(b"\r\n"));
        }
        Ok(())
    }

    /// An answer: the line, and the value after a `VA`.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct Answer {
        /// The answer line.
        pub reply: MetaReply,
        /// The data after `VA`, without its `\r\n`.
        pub value: Option<Bytes>,
    }

    /// Reads answers from successive events.
    #[derive(Debug, Default)]
    pub struct Reader {
        /// A `VA` line waiting for its data.
        value_line: Option<MetaReply>,
    }

    impl Reader {
        /// Takes the next event; `Ok(Some(_))` once an answer is complete.
        /// On a `VA` line it tells `lines` to read the data as a raw block.
        pub fn on_event(
            &mut self,
            lines: &mut LineConnection,
            event: LineEvent,
        ) -> Result<Option<Answer>, BoxError> {
            match event {
                LineEvent::Line { bytes, .. } => {
                    let reply = MetaReply::parse(&bytes)?.ok_or_else(|| {
                        format!("not a meta answer: {:?}", String::from_utf8_lossy(&bytes))
                    })?;
                    if let Some(block) = memcached::data_len(&bytes) {
                        lines.expect_raw(block)?;
                        self.value_line = Some(reply);
                        return Ok(None);
                    }
                    Ok(Some(Answer { reply, value: None }))
                }
                LineEvent::Raw(mut block) => {
                    let reply = self.value_line.take().ok_or("data without a VA line")?;
                    if !block.ends_with(b"\r\n") {
                        return Err("data block does not end in \\r\\n".into());
                    }
                    block.truncate(block.len() - 2);
                    Ok(Some(Answer {
                        reply,
                        value: Some(block),
                    }))
                }
                LineEvent::Oversize { .. } => Err("answer line too long".into()),
            }
        }
    }
}

use protocol::{Answer, Reader, Request};

/// Queues `requests` and an `mn`; the answers are complete at the `MN`s.
fn queue(lines: &mut LineConnection, requests: &[Request]) -> Result<usize, BoxError> {
    for request in requests {
        protocol::send(lines, request)?;
    }
    protocol::send(lines, &Request::new(MetaCommand::Noop))?;
    let noops = requests
        .iter()
        .filter(|r| r.command == MetaCommand::Noop)
        .count();
    Ok(noops + 1)
}

/// Counts the `MN`s; true at the last one.
fn last_noop(answer: &Answer, noops: &mut usize) -> bool {
    if answer.reply == MetaReply::Noop {
        *noops -= 1;
    }
    *noops == 0
}

/// The client on the tokio driver.
pub struct TokioMeta {
    conn: wirestate_tokio::Connection<LineConnection, tokio::net::TcpStream>,
}

impl TokioMeta {
    /// Connects to memcached at `addr`.
    pub async fn connect(addr: SocketAddr, max_value: usize) -> Result<Self, BoxError> {
        let stream = tokio::net::TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        Ok(TokioMeta {
            conn: wirestate_tokio::Connection::new(stream, protocol::machine(max_value)),
        })
    }

    /// Sends `requests` and an `mn` in one go; every answer up to the last
    /// `MN` (included).
    pub async fn pipeline(&mut self, requests: &[Request]) -> Result<Vec<Answer>, BoxError> {
        let noops = queue(self.conn.machine_mut(), requests)?;
        self.answers(noops).await
    }

    /// Sends `bytes` as they are (a broken command, say), then an `mn`.
    pub async fn raw(&mut self, bytes: &'static [u8]) -> Result<Vec<Answer>, BoxError> {
        self.conn.machine_mut().send_raw(bytes);
        let noops = queue(self.conn.machine_mut(), &[])?;
        self.answers(noops).await
    }

    async fn answers(&mut self, mut noops: usize) -> Result<Vec<Answer>, BoxError> {
        self.conn.flush().await?;
        let (mut reader, mut answers) = (Reader::default(), Vec::new());
        loop {
            let event = self.conn.next_event().await.ok_or("connection closed")??;
            if let Some(answer) = reader.on_event(self.conn.machine_mut(), event)? {
                let done = last_noop(&answer, &mut noops);
                answers.push(answer);
                if done {
                    return Ok(answers);
                }
            }
        }
    }
}

/// The client on the blocking driver.
pub struct BlockingMeta {
    conn: wirestate_blocking::Connection<LineConnection, std::net::TcpStream>,
}

impl BlockingMeta {
    /// Connects to memcached at `addr`.
    pub fn connect(addr: SocketAddr, max_value: usize) -> Result<Self, BoxError> {
        let stream = std::net::TcpStream::connect(addr)?;
        stream.set_nodelay(true)?;
        Ok(BlockingMeta {
            conn: wirestate_blocking::Connection::new(stream, protocol::machine(max_value)),
        })
    }

    /// Sends `requests` and an `mn` in one go; every answer up to the last
    /// `MN` (included).
    pub fn pipeline(&mut self, requests: &[Request]) -> Result<Vec<Answer>, BoxError> {
        let noops = queue(self.conn.machine_mut(), requests)?;
        self.answers(noops)
    }

    /// Sends `bytes` as they are (a broken command, say), then an `mn`.
    pub fn raw(&mut self, bytes: &'static [u8]) -> Result<Vec<Answer>, BoxError> {
        self.conn.machine_mut().send_raw(bytes);
        let noops = queue(self.conn.machine_mut(), &[])?;
        self.answers(noops)
    }

    fn answers(&mut self, mut noops: usize) -> Result<Vec<Answer>, BoxError> {
        self.conn.flush()?;
        let (mut reader, mut answers) = (Reader::default(), Vec::new());
        loop {
            let event = self.conn.next_event().ok_or("connection closed")??;
            if let Some(answer) = reader.on_event(self.conn.machine_mut(), event)? {
                let done = last_noop(&answer, &mut noops);
                answers.push(answer);
                if done {
                    return Ok(answers);
                }
            }
        }
    }
}

/// The demo: store a value holding `\r\n`, read it back with its flags,
/// delete it, all in one pipeline.
fn demo() -> Vec<Request> {
    let get = MetaCommand::Get {
        key: "demo".into(),
        flags: [b'v', b'f', b's', b'k']
            .into_iter()
            .map(MetaFlag::new)
            .collect(),
    };
    vec![
        Request::set(
            "demo",
            Bytes::from_static(b"line one\r\nline two"),
            vec![MetaFlag::with_token(b'F', "7")],
        ),
        Request::new(get),
        Request::new(MetaCommand::Delete {
            key: "demo".into(),
            flags: Default::default(),
        }),
    ]
}

#[allow(dead_code)]
fn main() -> Result<(), BoxError> {
    let mut args = std::env::args().skip(1);
    let addr: SocketAddr = args
        .next()
        .unwrap_or_else(|| "127.0.0.1:11211".into())
        .parse()?;
    let answers = if args.any(|a| a == "--blocking") {
        BlockingMeta::connect(addr, 1 << 20)?.pipeline(&demo())?
    } else {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        runtime.block_on(async {
            TokioMeta::connect(addr, 1 << 20)
                .await?
                .pipeline(&demo())
                .await
        })?
    };
    for answer in answers {
        println!("{:?} {:?}", answer.reply, answer.value);
    }
    Ok(())
}
