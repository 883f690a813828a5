//! `wirestate`: inspect recorded captures with the wirestate codecs, serve
//! endpoints on them, and publish or play RTMP streams.
//!
//! ```text
//! wirestate inspect                                    # the sample captures compiled in
//! wirestate inspect --protocol length --framing erlang4 --json FILE
//! wirestate serve length --listen 127.0.0.1:4000       # a {packet,2} echo server
//! wirestate publish rtmp://127.0.0.1:1935/live/key in.flv
//! wirestate play rtmp://127.0.0.1:1935/live/key --output out.flv
//! ```
#![forbid(unsafe_code)]

mod length;
mod lines;
mod output;
mod rtmp;
mod rtmp_client;
mod sample;
mod serve;
mod websocket;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use output::Printer;

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
    /// Decode a raw byte stream (a `.c2s.bin`/`.s2c.bin` capture) and print one
    /// event per line. Without FILE, decodes the sample captures built in.
    Inspect(InspectArgs),
    /// Run a demo server on 127.0.0.1.
    #[command(subcommand)]
    Serve(serve::ServeCommand),
    /// Publish an FLV file to an RTMP server (rtmp://HOST[:PORT]/APP/KEY),
    /// in real time unless --fast.
    Publish(rtmp_client::PublishArgs),
    /// Play an RTMP stream into an FLV file (`--output -`: stdout).
    Play(rtmp_client::PlayArgs),
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Protocol {
    Length,
    Lines,
    Websocket,
    Rtmp,
}

/// Which side of a WebSocket connection wrote the capture's bytes is decoded
/// by the opposite role.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum WsRole {
    /// Decode what a client sent (a `.c2s.bin`), as a server does.
    Server,
    /// Decode what a server sent (a `.s2c.bin`), as a client does.
    Client,
}

#[derive(clap::Args)]
struct InspectArgs {
    /// The protocol to decode FILE with (all of them for the built-in samples).
    #[arg(long, value_enum)]
    protocol: Option<Protocol>,
    /// length: the framing (erlang1, erlang2, erlang4, u8, u16, u16le, u24,
    /// u32, u32le, u64, varint ...).
    #[arg(long, default_value = "erlang2")]
    framing: String,
    /// length: the maximum frame length, larger frames are an error; lines:
    /// the maximum line length.
    #[arg(long)]
    max: Option<usize>,
    /// lines: the delimiter (lf, crlf, or one byte such as `;` or `0x00`).
    #[arg(long, default_value = "lf")]
    delimiter: String,
    /// lines: read the data blocks that follow memcached `VALUE`/`set` lines
    /// as raw bytes.
    #[arg(long)]
    memcached: bool,
    /// websocket: the role to decode with (server for client bytes).
    #[arg(long, value_enum, default_value = "server")]
    role: WsRole,
    /// Print JSON lines instead of text.
    #[arg(long)]
    json: bool,
    /// The capture to decode.
    file: Option<PathBuf>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Inspect(args) => inspect(args),
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

fn inspect(args: InspectArgs) -> Result<(), String> {
    let stdout = Box::new(std::io::BufWriter::new(std::io::stdout().lock()));
    let mut out = Printer::new(stdout, args.json);
    match inspect_into(args, &mut out).and_then(|()| Ok(out.flush()?)) {
        Ok(()) => Ok(()),
        // The reader went away (`wirestate inspect | head`): not an error.
        Err(Failure::Io(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(Failure::Io(e)) => Err(e.to_string()),
        Err(Failure::Usage(message)) => Err(message),
    }
}

/// Why `inspect` stopped.
enum Failure {
    /// The command line or the input file is wrong.
    Usage(String),
    /// Writing the output failed.
    Io(std::io::Error),
}

impl From<std::io::Error> for Failure {
    fn from(e: std::io::Error) -> Self {
        Failure::Io(e)
    }
}

impl From<String> for Failure {
    fn from(message: String) -> Self {
        Failure::Usage(message)
    }
}

/// Decodes what `args` names into `out`.
fn inspect_into(args: InspectArgs, out: &mut Printer) -> Result<(), Failure> {
    match args.file {
        None => {
            let all = args.protocol.is_none();
            if all || args.protocol == Some(Protocol::Length) {
                for sample in length::SAMPLES {
                    out.section(sample.name)?;
                    length::inspect(sample.bytes, (sample.config)(), out)?;
                }
            }
            if all || args.protocol == Some(Protocol::Lines) {
                for sample in lines::SAMPLES {
                    out.section(sample.name)?;
                    lines::inspect(sample.bytes, &(sample.config)(), out)?;
                }
            }
            if all || args.protocol == Some(Protocol::Websocket) {
                for sample in websocket::SAMPLES {
                    out.section(sample.name)?;
                    websocket::inspect(sample.bytes, sample.config, out)?;
                }
            }
            if all || args.protocol == Some(Protocol::Rtmp) {
                for sample in rtmp::SAMPLES {
                    out.section(sample.name)?;
                    rtmp::inspect(sample.bytes, out)?;
                }
            }
        }
        Some(path) => {
            let input =
                std::fs::read(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            match args.protocol {
                None => return Err(Failure::Usage("inspecting a file needs --protocol".into())),
                Some(Protocol::Length) => {
                    let mut framing = length::framing_from_name(&args.framing)?;
                    if let Some(max) = args.max {
                        framing = framing.max_frame_length(max);
                    }
                    length::inspect(&input, framing, out)?;
                }
                Some(Protocol::Lines) => {
                    let opts = lines::LinesInspectOptions {
                        delimiter: args.delimiter,
                        max: args.max,
                        memcached: args.memcached,
                    };
                    lines::inspect(&input, &opts, out)?;
                }
                Some(Protocol::Websocket) => {
                    let role = match args.role {
                        WsRole::Server => wirestate_websocket::Role::Server,
                        WsRole::Client => wirestate_websocket::Role::Client,
                    };
                    websocket::inspect(&input, role, out)?;
                }
                Some(Protocol::Rtmp) => rtmp::inspect(&input, out)?,
            }
        }
    }
    Ok(())
}
