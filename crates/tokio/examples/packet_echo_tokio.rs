//! The `{packet,2}` echo server of the classic OTP `gen_tcp` tutorial, on the
//! tokio driver: a task per connection, every frame echoed back, and a
//! connection closed after 120 s without input (`gen_tcp:recv(S, 0, 120000)`).
//!
//! ```text
//! cargo run -p wirestate-tokio --example packet_echo_tokio -- [PORT] [2|4]
//! ```
//!
//! Listens on 127.0.0.1 (port 0, the default, picks a free one), prints
//! `LISTENING <port>`, and serves until killed. The second argument switches
//! to `{packet,4}`.

use std::io::Write;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use wirestate_core::{IdleError, IdleTimeout};
use wirestate_length::{LengthCommand, LengthConfig, LengthConnection, LengthError, LengthEvent};
use wirestate_tokio::{Connection, Error};

/// How long a connection may stay silent.
pub const IDLE: Duration = Duration::from_secs(120);

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let port: u16 = args.next().map_or(Ok(0), |p| p.parse())?;
    let header: u8 = args.next().map_or(Ok(2), |n| n.parse())?;
    let listener = TcpListener::bind(("127.0.0.1", port)).await?;
    println!("LISTENING {}", listener.local_addr()?.port());
    std::io::stdout().flush()?;
    serve(listener, header).await?;
    Ok(())
}

/// Accepts connections forever, each served by [`echo`] in its own task.
pub async fn serve(listener: TcpListener, header: u8) -> std::io::Result<()> {
    loop {
        let (socket, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            // Out of file descriptors, a connection aborted before it was
            // accepted ...: pause, then go on serving.
            Err(e) => {
                eprintln!("accept failed: {e}");
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                continue;
            }
        };
        tokio::spawn(async move {
            match echo(socket, header).await {
                Ok(frames) => eprintln!("{peer}: closed after {frames} frames"),
                Err(e) => eprintln!("{peer}: {e}"),
            }
        });
    }
}

/// Echoes every `{packet,N}` frame on `socket` (a `TcpStream`, or any
/// other byte stream) until the peer closes (returns how many frames), the
/// idle timeout passes, or something fails.
pub async fn echo<S>(socket: S, header: u8) -> Result<u64, Error<IdleError<LengthError>>>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let framing = LengthConnection::new(LengthConfig::erlang(header));
    // The start time comes from the driver's clock, like every later `now`.
    let machine = IdleTimeout::new(framing, IDLE, wirestate_tokio::now());
    let mut conn = Connection::new(socket, machine);
    let mut frames = 0;
    while let Some(event) = conn.next_event().await {
        match event? {
            // The payload is a slice of the input buffer: echoed without a copy.
            LengthEvent::Frame(payload) => {
                conn.send(LengthCommand::Send(payload)).await?;
                frames += 1;
            }
            // Only with OversizePolicy::Skip, which this server does not set.
            LengthEvent::Oversize { len } => eprintln!("skipped a frame of {len} bytes"),
        }
    }
    Ok(frames)
}
