//! The `{packet,2}` echo server of the classic OTP `gen_tcp` tutorial, on the
//! blocking driver: one thread per connection, every frame echoed back, and a
//! connection closed after 120 s without input (`gen_tcp:recv(S, 0, 120000)`).
//!
//! ```text
//! cargo run -p wirestate-blocking --example packet_echo_blocking -- [PORT] [2|4]
//! ```
//!
//! Listens on 127.0.0.1 (port 0, the default, picks a free one), prints
//! `LISTENING <port>`, and serves until killed. The second argument switches
//! to `{packet,4}`.

use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

use wirestate_blocking::{Connection, Error};
use wirestate_core::{IdleError, IdleTimeout};
use wirestate_length::{LengthCommand, LengthConfig, LengthConnection, LengthError, LengthEvent};

/// How long a connection may stay silent.
pub const IDLE: Duration = Duration::from_secs(120);

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let port: u16 = args.next().map_or(Ok(0), |p| p.parse())?;
    let header: u8 = args.next().map_or(Ok(2), |n| n.parse())?;
    let listener = TcpListener::bind(("127.0.0.1", port))?;
    println!("LISTENING {}", listener.local_addr()?.port());
    std::io::stdout().flush()?;
    serve(listener, header)?;
    Ok(())
}

/// Accepts connections forever, each served by [`echo`] on its own thread.
pub fn serve(listener: TcpListener, header: u8) -> std::io::Result<()> {
    loop {
        let (socket, peer) = listener.accept()?;
        std::thread::spawn(move || match echo(socket, header) {
            Ok(frames) => eprintln!("{peer}: closed after {frames} frames"),
            Err(e) => eprintln!("{peer}: {e}"),
        });
    }
}

/// Echoes every `{packet,N}` frame until the peer closes (returns how many
/// frames), the idle timeout passes, or something fails.
pub fn echo(socket: TcpStream, header: u8) -> Result<u64, Error<IdleError<LengthError>>> {
    let framing = LengthConnection::new(LengthConfig::erlang(header));
    let machine = IdleTimeout::new(framing, IDLE, Instant::now());
    let mut conn = Connection::new(socket, machine);
    let mut frames = 0;
    while let Some(event) = conn.next_event() {
        match event? {
            // The payload is a slice of the input buffer: echoed without a copy.
            LengthEvent::Frame(payload) => {
                conn.send(LengthCommand::Send(payload))?;
                frames += 1;
            }
            // Only with OversizePolicy::Skip, which this server does not set.
            LengthEvent::Oversize { len } => eprintln!("skipped a frame of {len} bytes"),
        }
    }
    Ok(frames)
}
