//! `echo-load --url ws://127.0.0.1:PORT/ --connections 100 --size 16
//! --seconds 10 [--depth 1]`: the load client of the echo benchmark. Each
//! connection sends a binary message, waits for its echo and sends the next
//! (`--depth` messages in flight); prints one `RESULT messages=.. total=..
//! seconds=.. msgs_per_s=.. p50_us=.. p99_us=.. max_us=..` line.

use std::time::Duration;

use clap::Parser;
use wirestate_echo_bench::load::{self, Settings};
use wirestate_echo_bench::runtime;

/// The load client of the loopback WebSocket echo benchmark.
#[derive(Parser)]
#[command(name = "echo-load")]
struct Args {
    /// The echo server's URL.
    #[arg(long)]
    url: String,
    /// Connections running at once.
    #[arg(long, default_value_t = 100)]
    connections: usize,
    /// Payload bytes per message.
    #[arg(long, default_value_t = 16)]
    size: usize,
    /// The measured window, in seconds.
    #[arg(long, default_value_t = 10.0)]
    seconds: f64,
    /// The warm-up before the window, in seconds (not counted).
    #[arg(long, default_value_t = 1.0)]
    warmup: f64,
    /// Messages in flight per connection (1: send, wait for the echo, repeat).
    #[arg(long, default_value_t = 1)]
    depth: usize,
    /// The client runtime's threads (1: current_thread, as the servers).
    #[arg(long, default_value_t = 1)]
    threads: usize,
}

fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let args = Args::parse();
    let settings = Settings {
        url: args.url,
        connections: args.connections,
        size: args.size,
        duration: Duration::try_from_secs_f64(args.seconds)?,
        warmup: Duration::try_from_secs_f64(args.warmup)?,
        depth: args.depth.max(1),
    };
    let report = runtime::build(args.threads)?.block_on(load::run(&settings))?;
    println!("{report}");
    Ok(())
}
