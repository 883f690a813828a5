//! `wirestate`: inspect recorded captures with the wirestate codecs, serve
//! endpoints on them, and publish or play RTMP streams.
//!
//! ```text
//! wirestate inspect                                    # the sample captures compiled in
//! wirestate inspect --protocol length --framing erlang4 --json FILE
//! wirestate inspect --json --payload hex - < capture.c2s.bin  # rtmp/websocket detected
//! wirestate serve length --listen 127.0.0.1:4000       # a {packet,2} echo server
//! wirestate publish rtmp://127.0.0.1:1935/live/key in.flv
//! wirestate play rtmp://127.0.0.1:1935/live/key --output out.flv
//! ```
#![forbid(unsafe_code)]

mod feed;
mod inspect;
mod length;
mod lines;
mod output;
mod rtmp;
mod rtmp_client;
mod sample;
mod serve;
mod websocket;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "wirestate",
    version,
    about = "Inspect captures and serve demo endpoints with the wirestate Sans-IO codecs"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Decode a raw byte stream (a `.c2s.bin`/`.s2c.bin` capture, `-` for
    /// stdin) and print one event per line. Without FILE, decodes the sample
    /// captures built in.
    Inspect(inspect::InspectArgs),
    /// Run a demo server on 127.0.0.1.
    #[command(subcommand)]
    Serve(serve::ServeCommand),
    /// Publish an FLV file to an RTMP server (rtmp://HOST[:PORT]/APP/KEY),
    /// in real time unless --fast.
    Publish(rtmp_client::PublishArgs),
    /// Play an RTMP stream into an FLV file (`--output -`: stdout).
    Play(rtmp_client::PlayArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        // Exit 1 for a decode error, 2 for a usage error.
        Command::Inspect(args) => return inspect::main(args),
        Command::Serve(cmd) => serve::main(cmd),
        Command::Publish(args) => rtmp_client::publish(args),
        Command::Play(args) => rtmp_client::play(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("wirestate: {message}");
            ExitCode::FAILURE
        }
    }
}
