//! A line-command server in the spirit of a telemetry gateway, on either
//! driver. Devices connect and send one command per line:
//!
//! ```text
//! v:<key>                   how many records are logged for <key>  -> OK <count>
//! l:<key>:<base64 json>     log one JSON record for <key>          -> OK
//! anything else                                                    -> ERR <why>
//! ```
//!
//! A connection that sends nothing for the idle time (default 60 s) is closed
//! by [`IdleTimeout`], the way classic Erlang servers use
//! `gen_tcp:recv(Sock, 0, Timeout)`. Over-long lines are skipped (`ERR`) and
//! the connection carries on.
//!
//! ```text
//! cargo run -p wirestate-lines --example gateway -- 127.0.0.1:7000 --idle 30
//! cargo run -p wirestate-lines --example gateway -- 127.0.0.1:7000 --blocking
//! printf 'l:dev1:eyJ0IjoyMX0=\nv:dev1\n' | nc 127.0.0.1 7000
//! ```

use std::collections::HashMap;
use std::error::Error;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine;
use bytes::Bytes;
use wirestate_core::{IdleError, IdleTimeout};
use wirestate_lines::{LineCommand, LineConfig, LineConnection, LineError, LineEvent, Overflow};

type BoxError = Box<dyn Error + Send + Sync>;

/// The driver-independent part: the machine and the command handler.
pub mod protocol {
    use super::*;

    /// The longest command line; longer ones are skipped.
    pub const MAX_LINE: usize = 16 * 1024;

    /// One connection's machine: LF or CRLF lines up to [`MAX_LINE`],
    /// over-long ones discarded, closed after `idle` without input.
    pub fn machine(idle: Duration, now: Instant) -> IdleTimeout<LineConnection> {
        let config = LineConfig::default()
            .max_line(MAX_LINE)
            .expect("non-zero")
            .overflow(Overflow::Discard);
        IdleTimeout::new(LineConnection::new(config), idle, now)
    }

    /// The records logged so far, shared by every connection.
    #[derive(Debug, Default)]
    pub struct Gateway {
        records: Mutex<HashMap<String, u64>>,
    }

    impl Gateway {
        /// The reply line to one event from a device.
        pub fn reply(&self, event: &LineEvent) -> Bytes {
            match event {
                LineEvent::Line {
                    bytes,
                    partial: false,
                } => match self.command(bytes) {
                    Ok(reply) => reply.into(),
                    Err(why) => format!("ERR {why}").into(),
                },
                _ => Bytes::from_static(b"ERR line too long"),
            }
        }

        fn command(&self, line: &[u8]) -> Result<String, &'static str> {
            let line = wirestate_lines::text(line).map_err(|_| "not UTF-8")?;
            let mut records = self.records.lock().expect("no panics while locked");
            if let Some(key) = line.strip_prefix("v:") {
                let key = valid_key(key)?;
                return Ok(format!("OK {}", records.get(key).copied().unwrap_or(0)));
            }
            if let Some(rest) = line.strip_prefix("l:") {
                let (key, record) = rest
                    .split_once(':')
                    .ok_or("expected l:<key>:<base64 json>")?;
                let key = valid_key(key)?;
                let json = base64::engine::general_purpose::STANDARD
                    .decode(record)
                    .map_err(|_| "record is not base64")?;
                serde_json::from_slice::<serde_json::Value>(&json)
                    .map_err(|_| "record is not JSON")?;
                *records.entry(key.to_owned()).or_default() += 1;
                return Ok("OK".into());
            }
            Err("unknown command")
        }
    }

    fn valid_key(key: &str) -> Result<&str, &'static str> {
        let ok = !key.is_empty()
            && key.len() <= 64
            && key
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b));
        ok.then_some(key).ok_or("bad key")
    }
}

use protocol::Gateway;

/// Serves devices on the tokio driver, forever.
pub async fn serve_tokio(
    listener: tokio::net::TcpListener,
    idle: Duration,
    gateway: Arc<Gateway>,
) -> std::io::Result<()> {
    loop {
        let (stream, _) = match listener.accept().await {
            Ok(accepted) => accepted,
            // Out of file descriptors, a connection aborted before it was
            // accepted ...: pause, then go on serving.
            Err(e) => {
                eprintln!("accept failed: {e}");
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                continue;
            }
        };
        tokio::spawn(connection_tokio(stream, idle, gateway.clone()));
    }
}

/// Runs one device connection on the tokio driver; returns why it ended
/// (`None`: the device closed it).
pub async fn connection_tokio<S>(
    stream: S,
    idle: Duration,
    gateway: Arc<Gateway>,
) -> Option<IdleError<LineError>>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let machine = protocol::machine(idle, wirestate_tokio::now());
    let mut conn = wirestate_tokio::Connection::new(stream, machine);
    while let Some(event) = conn.next_event().await {
        let event = match event {
            Ok(event) => event,
            Err(wirestate_tokio::Error::Machine(why)) => return Some(why),
            // Io; `Stalled` is the blocking driver's only.
            Err(_) => return None,
        };
        if conn
            .send(LineCommand::Send(gateway.reply(&event)))
            .await
            .is_err()
        {
            return None;
        }
    }
    None
}

/// Serves devices on the blocking driver, a thread per connection.
pub fn serve_blocking(
    listener: std::net::TcpListener,
    idle: Duration,
    gateway: Arc<Gateway>,
) -> std::io::Result<()> {
    loop {
        let (stream, _) = listener.accept()?;
        let gateway = gateway.clone();
        std::thread::spawn(move || {
            let mut conn = wirestate_blocking::Connection::new(
                stream,
                protocol::machine(idle, Instant::now()),
            );
            while let Some(event) = conn.next_event() {
                let Ok(event) = event else { break };
                if conn.send(LineCommand::Send(gateway.reply(&event))).is_err() {
                    break;
                }
            }
        });
    }
}

#[allow(dead_code)]
fn main() -> Result<(), BoxError> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let addr: SocketAddr = args
        .first()
        .filter(|a| !a.starts_with("--"))
        .map_or("127.0.0.1:0", |a| a)
        .parse()?;
    let idle = match args.iter().position(|a| a == "--idle") {
        Some(i) => Duration::from_secs(args.get(i + 1).ok_or("--idle needs seconds")?.parse()?),
        None => Duration::from_secs(60),
    };
    let gateway = Arc::new(Gateway::default());
    if args.iter().any(|a| a == "--blocking") {
        let listener = std::net::TcpListener::bind(addr)?;
        println!("LISTENING {}", listener.local_addr()?.port());
        serve_blocking(listener, idle, gateway)?;
    } else {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()?;
        runtime.block_on(async {
            let listener = tokio::net::TcpListener::bind(addr).await?;
            println!("LISTENING {}", listener.local_addr()?.port());
            serve_tokio(listener, idle, gateway).await
        })?;
    }
    Ok(())
}
