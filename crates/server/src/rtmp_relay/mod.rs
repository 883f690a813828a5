//! `wirestate serve rtmp`: an RTMP ingest and relay server on the tokio
//! driver.
//!
//! Publishers are keyed by application and stream key (`rtmp://host/app/key`).
//! Each published stream can be recorded to `DIR/<app>_<key>.flv`, and is
//! relayed live to any number of players, who may join at any time: a late
//! player gets the metadata and sequence headers first, then the stream from
//! the next keyframe. When the publisher leaves, its players are told
//! (`NetStream.Play.UnpublishNotify`, `Play.Stop`, StreamEOF) and
//! disconnected.

mod hub;
mod record;
mod session;

use std::io;
use std::path::PathBuf;
use std::sync::Arc;

use tokio::net::TcpListener;

use hub::Hub;

/// Serves RTMP publishers and players on `listener` until the task is
/// dropped. With `record`, every published stream is also written to an FLV
/// file in that directory (created if missing).
///
/// # Errors
///
/// When the recording directory cannot be created, or accepting a
/// connection fails. Errors of single connections are logged and end only
/// that connection.
pub async fn serve(listener: TcpListener, record: Option<PathBuf>) -> io::Result<()> {
    if let Some(dir) = &record {
        std::fs::create_dir_all(dir)?;
    }
    tracing::info!(addr = %listener.local_addr()?, record = ?record, "rtmp relay listening");
    let hub = Arc::new(Hub::default());
    loop {
        let (stream, peer) = listener.accept().await?;
        let _ = stream.set_nodelay(true);
        let hub = hub.clone();
        let record = record.clone();
        tokio::spawn(async move {
            tracing::info!(%peer, "rtmp connection");
            session::run(stream, hub, record.as_deref()).await;
            tracing::info!(%peer, "rtmp connection closed");
        });
    }
}

#[cfg(test)]
mod tests;
