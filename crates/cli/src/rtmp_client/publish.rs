//! `wirestate publish URL FILE.flv`: reads the whole file first (a
//! malformed file fails before anything is sent), publishes, then sends
//! every tag in order, metadata and sequence headers where the file has
//! them, paced by the tags' timestamps unless `--fast`. Ends with
//! `FCUnpublish` and `deleteStream` (the session's shutdown), written
//! within the drain deadline.

use std::path::{Path, PathBuf};
use std::time::Duration;

use bytes::Bytes;
use futures_util::FutureExt;
use tokio::time::Instant;
use wirestate_rtmp::amf0::{decode_all, Amf0Limits, Value};
use wirestate_rtmp::flv::{FlvReader, TagType};
use wirestate_rtmp::session::ClientEvent;
use wirestate_tokio::Error;

use super::{connect, describe, interrupted, wait_started, Client, ConnectArgs, DRAIN};

/// `wirestate publish`'s command line.
#[derive(clap::Args, Debug, Clone)]
#[command(
    after_help = "Sends the file's metadata and sequence headers as they come in it. \
At the end of the file, or on SIGINT/SIGTERM, ends with FCUnpublish and deleteStream \
(written within 5 s) and exits 0. Exits 1 with a message when the URL or the file is bad, \
the server refuses the connection or the publication (its status is shown), or does not \
answer within --connect-timeout."
)]
pub struct PublishArgs {
    #[command(flatten)]
    pub connect: ConnectArgs,
    /// The FLV file to publish.
    pub file: PathBuf,
    /// Send the tags as fast as the server takes them, instead of in real
    /// time (each tag at its timestamp, counted from the first tag's).
    #[arg(long)]
    pub fast: bool,
    /// The publishing type sent with `publish`: live, record or append.
    #[arg(long, value_name = "TYPE", default_value = "live")]
    pub publish_type: String,
}

/// One tag of the file, as it is sent.
#[derive(Debug, Clone)]
enum Item {
    /// `onMetaData`'s properties, sent as `@setDataFrame`.
    Metadata(Value),
    Audio(Bytes),
    Video(Bytes),
}

/// Runs the command (see the module).
pub(super) async fn run(args: PublishArgs) -> Result<(), String> {
    let url = super::parse_url(&args.connect.url)?;
    let timeout = args.connect.timeout()?;
    let items = read_file(&args.file)?;
    let mut client = connect(&url, &args.connect).await?;
    client.machine_mut().publish(&url.key, &args.publish_type);
    let what = format!("publishing {}", url.key);
    wait_started(&mut client, timeout, &what, |event| {
        matches!(event, ClientEvent::PublishStarted { .. })
    })
    .await?;
    tracing::info!(tags = items.len(), fast = args.fast, "publish started");
    let sent = tokio::select! {
        sent = send_all(&mut client, &items, !args.fast) => sent?,
        () = interrupted() => None,
    };
    client
        .shutdown(DRAIN)
        .await
        .map_err(|e| format!("ending the publication failed: {e}"))?;
    match sent {
        Some(sent) => tracing::info!(tags = sent, "published the whole file"),
        None => tracing::info!("stopped before the end of the file"),
    }
    Ok(())
}

/// Reads and checks the whole file: its tags, with the metadata decoded.
/// Script tags other than `onMetaData` are left out (logged).
fn read_file(path: &Path) -> Result<Vec<(u32, Item)>, String> {
    let shown = path.display();
    let file = std::fs::read(path).map_err(|e| format!("cannot read {shown}: {e}"))?;
    let file = Bytes::from(file);
    let malformed = |e: &dyn std::fmt::Display| format!("{shown} is not a valid FLV file: {e}");
    let mut reader = FlvReader::new(&file).map_err(|e| malformed(&e))?;
    let mut items = Vec::new();
    while let Some(tag) = reader.next_tag().map_err(|e| malformed(&e))? {
        let item = match tag.tag_type {
            TagType::Audio => Item::Audio(file.slice_ref(tag.data)),
            TagType::Video => Item::Video(file.slice_ref(tag.data)),
            TagType::Script => {
                let values = decode_all(tag.data, &Amf0Limits::default())
                    .map_err(|e| malformed(&format!("script tag at {} ms: {e}", tag.timestamp)))?;
                match metadata(values) {
                    Some(properties) => Item::Metadata(properties),
                    None => {
                        tracing::warn!(timestamp = tag.timestamp, "not onMetaData; left out");
                        continue;
                    }
                }
            }
        };
        items.push((tag.timestamp, item));
    }
    Ok(items)
}

/// The properties of `onMetaData` (or `@setDataFrame onMetaData`).
fn metadata(mut values: Vec<Value>) -> Option<Value> {
    if values.first()?.as_str() == Some("@setDataFrame") {
        values.remove(0);
    }
    if values.len() < 2 || values[0].as_str() != Some("onMetaData") {
        return None;
    }
    Some(values.swap_remove(1))
}

/// Sends every item, paced or not; the number sent.
async fn send_all(
    client: &mut Client,
    items: &[(u32, Item)],
    paced: bool,
) -> Result<Option<usize>, String> {
    let start = Instant::now();
    let first = items.first().map_or(0, |(timestamp, _)| *timestamp);
    for (timestamp, item) in items {
        if paced {
            let offset = u64::from(timestamp.saturating_sub(first));
            wait_until(client, start + Duration::from_millis(offset)).await?;
        } else {
            take_ready_events(client)?;
        }
        let session = client.machine_mut();
        let queued = match item {
            Item::Metadata(properties) => session.send_metadata(*timestamp, properties.clone()),
            Item::Audio(payload) => session.send_audio(*timestamp, payload.clone()),
            Item::Video(payload) => session.send_video(*timestamp, payload.clone()),
        };
        queued.map_err(|e| format!("cannot send the tag at {timestamp} ms: {e}"))?;
        client.flush().await.map_err(|e| lost(&e))?;
    }
    Ok(Some(items.len()))
}

/// Handles the server's messages until `due`.
async fn wait_until(client: &mut Client, due: Instant) -> Result<(), String> {
    loop {
        tokio::select! {
            () = tokio::time::sleep_until(due) => return Ok(()),
            event = client.next_event() => on_event(event)?,
        }
    }
}

/// Handles the server's messages that arrived already, without waiting.
fn take_ready_events(client: &mut Client) -> Result<(), String> {
    while let Some(event) = client.next_event().now_or_never() {
        on_event(event)?;
    }
    Ok(())
}

/// What the server said while we publish: an error status or the end of
/// the connection stops publishing.
fn on_event(
    event: Option<Result<ClientEvent, Error<wirestate_rtmp::session::SessionError>>>,
) -> Result<(), String> {
    match event {
        None => Err("the server closed the connection while publishing".into()),
        Some(Err(e)) => Err(lost(&e)),
        Some(Ok(ClientEvent::Status { status, .. })) if status.is_error() => Err(format!(
            "the server stopped the publication: {}",
            describe(&status)
        )),
        Some(Ok(ClientEvent::Status { status, .. })) => {
            tracing::info!(code = %status.code, "status");
            Ok(())
        }
        Some(Ok(ClientEvent::CommandError { status, .. })) => {
            tracing::warn!(status = %describe(&status), "the server answered a command with _error");
            Ok(())
        }
        Some(Ok(ClientEvent::ReconnectRequested { tc_url, .. })) => {
            tracing::warn!(?tc_url, "the server asks to reconnect; not followed");
            Ok(())
        }
        Some(Ok(other)) => {
            tracing::debug!(?other, "while publishing");
            Ok(())
        }
    }
}

fn lost(error: &dyn std::fmt::Display) -> String {
    format!("the connection failed while publishing: {error}")
}
