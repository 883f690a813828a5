//! `wirestate play URL --output FILE.flv`: plays a stream and writes what
//! arrives as an FLV file (the metadata, audio and video message bodies
//! as tags, at their timestamps), until the stream ends
//! (`NetStream.Play.UnpublishNotify`, `Play.Stop`, `Play.Complete`,
//! StreamEOF, or the server closing), `--duration` elapses, or SIGINT or
//! SIGTERM arrives. Every tag is written whole: a tag is written in one
//! go between two waits, so stopping never cuts one.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::PathBuf;
use std::time::Duration;

use wirestate_rtmp::flv::{FlvWriter, TagType};
use wirestate_rtmp::message::Message;
use wirestate_rtmp::session::{ClientEvent, MediaEvent};

use super::{connect, describe, interrupted, wait_started, Client, ConnectArgs, DRAIN};

/// `wirestate play`'s command line.
#[derive(clap::Args, Debug, Clone)]
#[command(
    after_help = "Writes an FLV file: metadata, audio and video as they arrive, \
every tag whole. Stops when the stream ends (UnpublishNotify, Play.Stop, Play.Complete, \
StreamEOF, the server closing), when --duration elapses, or on SIGINT/SIGTERM, and exits 0. \
Exits 1 with a message when the URL is bad, the output cannot be written, the server \
refuses the connection or the stream (its status is shown), or does not answer within \
--connect-timeout."
)]
pub struct PlayArgs {
    #[command(flatten)]
    pub connect: ConnectArgs,
    /// Where to write the FLV file; `-` writes it to stdout (logs go to
    /// stderr), so `wirestate play URL --output - | ffprobe -` works.
    #[arg(long, short, value_name = "FILE")]
    pub output: PathBuf,
    /// Stop this many seconds after playing started (after a whole tag);
    /// without it, play until the stream ends or SIGINT/SIGTERM.
    #[arg(long, value_name = "SECS")]
    pub duration: Option<f64>,
}

/// Why playing stopped, when it stopped well.
#[derive(Debug)]
enum End {
    /// The server said the stream ended (the status code, or StreamEOF).
    Stream(String),
    /// The server closed the connection.
    Closed,
    /// `--duration` elapsed.
    Duration,
    /// SIGINT or SIGTERM.
    Signal,
    /// The reader of stdout went away.
    ReaderGone,
}

impl std::fmt::Display for End {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            End::Stream(code) => write!(f, "the stream ended ({code})"),
            End::Closed => f.write_str("the server closed the connection"),
            End::Duration => f.write_str("--duration elapsed"),
            End::Signal => f.write_str("interrupted"),
            End::ReaderGone => f.write_str("the reader of stdout went away"),
        }
    }
}

/// The output file.
struct Output {
    writer: FlvWriter<Box<dyn Write>>,
    name: String,
}

impl Output {
    fn create(path: &PathBuf) -> Result<Output, String> {
        let (out, name): (Box<dyn Write>, String) = if path.as_os_str() == "-" {
            (Box::new(BufWriter::new(io::stdout())), "stdout".into())
        } else {
            let name = path.display().to_string();
            let file = File::create(path).map_err(|e| format!("cannot create {name}: {e}"))?;
            (Box::new(BufWriter::new(file)), name)
        };
        let writer = FlvWriter::new(out, true, true).map_err(|e| write_error(&name, &e))?;
        Ok(Output { writer, name })
    }

    /// Writes one media event as a tag; `Ok(false)` when stdout's reader
    /// went away.
    fn write(&mut self, media: &MediaEvent) -> Result<bool, String> {
        let written = match media {
            MediaEvent::Metadata {
                timestamp, data, ..
            } => {
                let mut data = data.clone();
                data.amf3 = false;
                let body = Message::Data(data).encode_payload();
                self.writer.write_tag(TagType::Script, *timestamp, &body)
            }
            MediaEvent::Audio {
                timestamp, audio, ..
            } => self
                .writer
                .write_tag(TagType::Audio, *timestamp, &audio.payload),
            MediaEvent::Video {
                timestamp, video, ..
            } => self
                .writer
                .write_tag(TagType::Video, *timestamp, &video.payload),
        };
        match written {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(false),
            Err(e) => Err(write_error(&self.name, &e)),
        }
    }

    fn finish(mut self) -> Result<u64, String> {
        match self.writer.flush() {
            Ok(()) => Ok(self.writer.tags_written()),
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(self.writer.tags_written()),
            Err(e) => Err(write_error(&self.name, &e)),
        }
    }
}

fn write_error(name: &str, error: &io::Error) -> String {
    format!("cannot write {name}: {error}")
}

/// Runs the command (see the module).
pub(super) async fn run(args: PlayArgs) -> Result<(), String> {
    let url = super::parse_url(&args.connect.url)?;
    let timeout = args.connect.timeout()?;
    let duration = args
        .duration
        .map(|secs| {
            Duration::try_from_secs_f64(secs).map_err(|_| format!("invalid --duration {secs}"))
        })
        .transpose()?;
    let mut output = Output::create(&args.output)?;
    let started = async {
        let mut client = connect(&url, &args.connect).await?;
        client.machine_mut().play(&url.key);
        let what = format!("playing {}", url.key);
        // A server that streams at once without `Play.Start` (`ffmpeg
        // -listen` may) has started too.
        let first = wait_started(&mut client, timeout, &what, |event| {
            matches!(
                event,
                ClientEvent::PlayStarted { .. } | ClientEvent::Media(_)
            )
        })
        .await?;
        Ok::<_, String>((client, first))
    };
    let (mut client, first) = match started.await {
        Ok(started) => started,
        Err(e) => {
            // Nothing was played: no file is left behind.
            drop(output);
            if args.output.as_os_str() != "-" {
                let _ = std::fs::remove_file(&args.output);
            }
            return Err(e);
        }
    };
    tracing::info!(output = %output.name, "play started");
    let end = match first {
        ClientEvent::Media(media) if !output.write(&media)? => Ok(End::ReaderGone),
        _ => {
            let until = async {
                match duration {
                    Some(duration) => tokio::time::sleep(duration).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                end = receive(&mut client, &mut output) => end,
                () = until => Ok(End::Duration),
                () = interrupted() => Ok(End::Signal),
            }
        }
    };
    // The file ends whole whatever happened to the connection.
    let tags = output.finish();
    let end = end?;
    let tags = tags?;
    if !matches!(end, End::Closed) {
        // Stops the stream (`deleteStream`); the server may be gone already.
        if let Err(e) = client.shutdown(DRAIN).await {
            tracing::debug!(%e, "closing");
        }
    }
    tracing::info!(tags, "stopped playing: {end}");
    Ok(())
}

/// Writes the media that arrives until the stream ends.
async fn receive(client: &mut Client, output: &mut Output) -> Result<End, String> {
    loop {
        let event = match client.next_event().await {
            Some(Ok(event)) => event,
            Some(Err(e)) => return Err(format!("the connection failed while playing: {e}")),
            None => return Ok(End::Closed),
        };
        match event {
            ClientEvent::Media(media) => {
                if !output.write(&media)? {
                    return Ok(End::ReaderGone);
                }
            }
            ClientEvent::StreamEof { .. } => return Ok(End::Stream("StreamEOF".into())),
            ClientEvent::Status { status, .. } => match status.code.as_str() {
                "NetStream.Play.UnpublishNotify"
                | "NetStream.Play.Stop"
                | "NetStream.Play.Complete" => return Ok(End::Stream(status.code)),
                _ if status.is_error() => {
                    return Err(format!("the server stopped playing: {}", describe(&status)))
                }
                code => tracing::info!(code, "status"),
            },
            other => tracing::debug!(?other, "while playing"),
        }
    }
}
