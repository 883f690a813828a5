//! `wirestate inspect`: its flags, which protocol a capture is, which flags
//! fit it, and the exit status (0 decoded, 1 a decode error, 2 a usage error).

use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::ValueEnum;

use crate::output::{PayloadFormat, Printer};
use crate::{length, lines, rtmp, websocket};

/// The protocols `inspect` decodes.
#[derive(Clone, Copy, PartialEq, Eq, Debug, ValueEnum)]
pub(crate) enum Protocol {
    Length,
    Lines,
    Websocket,
    Rtmp,
}

/// Which side of a WebSocket connection wrote the capture's bytes is decoded
/// by the opposite role.
#[derive(Clone, Copy, PartialEq, Eq, Debug, ValueEnum)]
pub(crate) enum WsRole {
    /// Decode what a client sent (a `.c2s.bin`), as a server does.
    Server,
    /// Decode what a server sent (a `.s2c.bin`), as a client does.
    Client,
}

/// The flags of `wirestate inspect`.
#[derive(clap::Args)]
#[command(after_long_help = OFFSETS_HELP)]
pub(crate) struct InspectArgs {
    /// The protocol to decode FILE with. Without it, a FILE starting with an
    /// RTMP C0+C1 (byte 3, then 1536 bytes) is rtmp, one starting with
    /// `GET ` is a WebSocket client's bytes (decoded with --role server),
    /// one starting with `HTTP/1.1 101` a WebSocket server's (--role
    /// client); anything else asks for --protocol. Without FILE: the
    /// built-in samples of this protocol (all of them if none).
    #[arg(long, value_enum)]
    protocol: Option<Protocol>,
    /// length: the framing (erlang1, erlang2, erlang4, u8, u16, u16le, u24,
    /// u32, u32le, u64, varint ...) [default: erlang2].
    #[arg(long)]
    framing: Option<String>,
    /// length: the maximum frame length, larger frames are an error; lines:
    /// the maximum line length.
    #[arg(long)]
    max: Option<usize>,
    /// lines: the delimiter (lf, crlf, or one byte such as `;` or `0x00`)
    /// [default: lf].
    #[arg(long)]
    delimiter: Option<String>,
    /// lines: read the data blocks that follow memcached `VALUE`/`set` lines
    /// as raw bytes.
    #[arg(long)]
    memcached: bool,
    /// websocket: the role to decode with (server for client bytes)
    /// [default: server, or what detection found].
    #[arg(long, value_enum)]
    role: Option<WsRole>,
    /// Print JSON lines instead of text. Every line has `event` and `offset`.
    #[arg(long)]
    json: bool,
    /// Add each unit's bytes (JSON `payload`; text: ` payload=...`).
    #[arg(long, value_enum)]
    payload: Option<PayloadFormat>,
    /// The capture to decode; `-` reads standard input.
    file: Option<PathBuf>,
}

/// What `--help` says about offsets, payloads, errors and exit codes.
const OFFSETS_HELP: &str = "\
Offsets (JSON `offset`): the byte offset in the input of the unit's first byte.
  length:    the frame's header
  lines:     the line's first byte (a memcached raw block: its first byte)
  websocket: 0 for the HTTP head; else the unit's first frame header
             (a message: its first fragment's)
  rtmp:      0 for the handshake; else the first byte after the message
             before it completed (its first chunk, unless chunk streams
             interleave)
  errors:    the start of the unit the error was found in
Payloads (--payload): length: the frame; lines: the line without its
  delimiter, or the raw block; websocket: the message (inflated), fragment,
  ping or pong data; rtmp: the message payload.
Errors: decoded events go to stdout; the error that ends a FILE's stream
  goes to stderr (`wirestate: error at offset N: ...`, or with --json the
  error's JSON object) and the exit status is 1. Usage errors exit 2. The
  built-in samples print their errors inline, as `error` events, and exit 0.";

/// Why `inspect` stopped early.
enum Failure {
    /// The command line or the input is wrong (exit 2).
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

/// Runs `wirestate inspect`; returns its exit status.
pub(crate) fn main(args: InspectArgs) -> ExitCode {
    let stdout = Box::new(std::io::BufWriter::new(std::io::stdout().lock()));
    let mut out = Printer::new(stdout, args.json).with_payload(args.payload);
    if args.file.is_some() {
        out = out.errors_to_stderr();
    }
    let result = inspect_into(args, &mut out).and_then(|()| Ok(out.flush()?));
    match result {
        Ok(()) if out.failed() => ExitCode::from(1),
        Ok(()) => ExitCode::SUCCESS,
        // The reader went away (`wirestate inspect | head`): not an error.
        Err(Failure::Io(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(Failure::Io(e)) => {
            eprintln!("wirestate: {e}");
            ExitCode::from(1)
        }
        Err(Failure::Usage(message)) => {
            eprintln!("wirestate: {message}");
            ExitCode::from(2)
        }
    }
}

/// Decodes what `args` names into `out`.
fn inspect_into(args: InspectArgs, out: &mut Printer) -> Result<(), Failure> {
    let Some(path) = &args.file else {
        check_no_file_options(&args)?;
        return Ok(samples(args.protocol, out)?);
    };
    let input = read_input(path)?;
    let protocol = match args.protocol {
        Some(protocol) => protocol,
        None => detect(&input)?.0,
    };
    check_options(&args, protocol)?;
    match protocol {
        Protocol::Length => {
            let name = args.framing.as_deref().unwrap_or("erlang2");
            let mut framing = length::framing_from_name(name)?;
            if let Some(max) = args.max {
                framing = framing.max_frame_length(max);
            }
            length::inspect(&input, framing, out)?;
        }
        Protocol::Lines => {
            let opts = lines::LinesInspectOptions {
                delimiter: args.delimiter.unwrap_or_else(|| "lf".into()),
                max: args.max,
                memcached: args.memcached,
            };
            lines::delimiter_from_name(&opts.delimiter)?;
            lines::inspect(&input, &opts, out)?;
        }
        Protocol::Websocket => {
            let detected = detect(&input).ok().and_then(|(_, role)| role);
            let role = match args.role.or(detected).unwrap_or(WsRole::Server) {
                WsRole::Server => wirestate_websocket::Role::Server,
                WsRole::Client => wirestate_websocket::Role::Client,
            };
            websocket::inspect(&input, role, out)?;
        }
        Protocol::Rtmp => rtmp::inspect(&input, out)?,
    }
    Ok(())
}

/// Reads FILE, or standard input for `-`.
fn read_input(path: &PathBuf) -> Result<Vec<u8>, String> {
    if path.as_os_str() == "-" {
        let mut input = Vec::new();
        std::io::stdin()
            .lock()
            .read_to_end(&mut input)
            .map_err(|e| format!("cannot read standard input: {e}"))?;
        return Ok(input);
    }
    std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

/// The protocol of a capture from its first bytes, with the WebSocket role
/// that decodes it.
fn detect(input: &[u8]) -> Result<(Protocol, Option<WsRole>), String> {
    if input.first() == Some(&3) && input.len() >= 1537 {
        Ok((Protocol::Rtmp, None))
    } else if input.starts_with(b"GET ") {
        Ok((Protocol::Websocket, Some(WsRole::Server)))
    } else if input.starts_with(b"HTTP/1.1 101") {
        Ok((Protocol::Websocket, Some(WsRole::Client)))
    } else {
        Err(
            "cannot tell the protocol (not an RTMP C0+C1, a WebSocket request or \
             a 101 response); use --protocol length|lines|websocket|rtmp"
                .into(),
        )
    }
}

/// Refuses the options of protocols other than `protocol`.
fn check_options(args: &InspectArgs, protocol: Protocol) -> Result<(), String> {
    let given = [
        ("--framing", args.framing.is_some(), &[Protocol::Length][..]),
        (
            "--max",
            args.max.is_some(),
            &[Protocol::Length, Protocol::Lines],
        ),
        ("--delimiter", args.delimiter.is_some(), &[Protocol::Lines]),
        ("--memcached", args.memcached, &[Protocol::Lines]),
        ("--role", args.role.is_some(), &[Protocol::Websocket]),
    ];
    for (flag, set, fits) in given {
        if set && !fits.contains(&protocol) {
            let names: Vec<_> = fits.iter().map(|p| protocol_name(*p)).collect();
            return Err(format!(
                "{flag} is for {} only, not for {}",
                names.join(" and "),
                protocol_name(protocol)
            ));
        }
    }
    Ok(())
}

/// The built-in samples use their own settings: the decoding flags need a FILE.
fn check_no_file_options(args: &InspectArgs) -> Result<(), String> {
    let set = [
        ("--framing", args.framing.is_some()),
        ("--max", args.max.is_some()),
        ("--delimiter", args.delimiter.is_some()),
        ("--memcached", args.memcached),
        ("--role", args.role.is_some()),
    ];
    match set.iter().find(|(_, set)| *set) {
        Some((flag, _)) => Err(format!(
            "{flag} applies to a FILE; the built-in samples use their own settings"
        )),
        None => Ok(()),
    }
}

/// The protocol's name as `--protocol` spells it.
fn protocol_name(protocol: Protocol) -> &'static str {
    match protocol {
        Protocol::Length => "length",
        Protocol::Lines => "lines",
        Protocol::Websocket => "websocket",
        Protocol::Rtmp => "rtmp",
    }
}

/// Decodes the built-in samples of `protocol` (all of them for `None`).
fn samples(protocol: Option<Protocol>, out: &mut Printer) -> std::io::Result<()> {
    let wanted = |p| protocol.is_none_or(|q| q == p);
    if wanted(Protocol::Length) {
        for sample in length::SAMPLES {
            out.section(sample.name)?;
            length::inspect(sample.bytes, (sample.config)(), out)?;
        }
    }
    if wanted(Protocol::Lines) {
        for sample in lines::SAMPLES {
            out.section(sample.name)?;
            lines::inspect(sample.bytes, &(sample.config)(), out)?;
        }
    }
    if wanted(Protocol::Websocket) {
        for sample in websocket::SAMPLES {
            out.section(sample.name)?;
            websocket::inspect(sample.bytes, sample.config, out)?;
        }
    }
    if wanted(Protocol::Rtmp) {
        for sample in rtmp::SAMPLES {
            out.section(sample.name)?;
            rtmp::inspect(sample.bytes, out)?;
        }
    }
    Ok(())
}
