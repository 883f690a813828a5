//! `echo-server --lib wirestate|tungstenite|fastwebsockets|tokio-websockets
//! --listen 127.0.0.1:0`: a WebSocket echo server on one library, on a
//! one-thread tokio runtime. Prints `LISTENING <addr>` once bound and runs
//! until killed.

use std::io::Write;

use clap::Parser;
use wirestate_echo_bench::{runtime, server, Library};

/// A WebSocket echo server for the loopback echo benchmark.
#[derive(Parser)]
#[command(name = "echo-server")]
struct Args {
    /// The library: wirestate, tungstenite, fastwebsockets or tokio-websockets.
    #[arg(long)]
    lib: Library,
    /// The address to listen on (port 0: any free port, printed).
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: String,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    // Every server on the same settings: one thread (see `runtime::build`).
    let rt = runtime::build(1)?;
    rt.block_on(async {
        let listener = tokio::net::TcpListener::bind(&args.listen).await?;
        let mut stdout = std::io::stdout();
        writeln!(stdout, "LISTENING {}", listener.local_addr()?)?;
        stdout.flush()?;
        server::serve(args.lib, listener).await;
        Ok(())
    })
}
