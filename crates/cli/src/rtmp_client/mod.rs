//! `wirestate publish` and `wirestate play`: an RTMP client on the command
//! line, on the rtmp crate's [`ClientSession`] and the tokio driver.
//!
//! ```text
//! wirestate publish rtmp://127.0.0.1:1935/live/key input.flv [--fast]
//! wirestate publish rtmps://live.example/app/key input.flv [--tls-ca roots.pem]
//! wirestate play rtmp://127.0.0.1:1935/live/key --output out.flv [--duration 10]
//! wirestate play rtmp://127.0.0.1/live/key --output - | ffprobe -
//! ```
//!
//! The URL, the connection and the waiting for the server's answers are
//! here; publishing a file is in `publish.rs`, playing into a file in
//! `play.rs`. Logs go to stderr, so `--output -` leaves stdout to the FLV.

mod play;
mod publish;
mod url;

use std::path::PathBuf;
use std::time::Duration;

use wirestate_rtmp::session::{ClientEvent, Status};
use wirestate_tokio::connect::{RtmpClient, RtmpConnect};

pub use play::PlayArgs;
pub use publish::PublishArgs;
pub use url::{parse as parse_url, RtmpUrl};

/// A client session on a TCP (or TLS) connection.
type Client = RtmpClient;

/// Where the system's trusted roots are looked for when `rtmps://` is
/// used without `--tls-ca` (Debian and Ubuntu, then Fedora and RHEL).
const SYSTEM_ROOTS: [&str; 2] = [
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
];

/// How long the goodbye (`FCUnpublish`, `deleteStream`, the last media)
/// may take to be written when a command ends.
const DRAIN: Duration = Duration::from_secs(5);

/// What both commands take besides their own flags.
#[derive(clap::Args, Debug, Clone)]
pub struct ConnectArgs {
    /// The stream: `rtmp://HOST[:PORT]/APP/KEY` (port 1935 by default; the
    /// last path segment is the stream key, the path before it the
    /// application), or `rtmps://` for RTMP over TLS (port 443 by default).
    pub url: String,
    /// For `rtmps://`: trust the certificates in this PEM file (a private
    /// CA, or a self-signed server's own certificate). By default the
    /// system's roots (/etc/ssl/certs/ca-certificates.crt).
    #[arg(long, value_name = "PEM")]
    pub tls_ca: Option<PathBuf>,
    /// Seconds to wait for the TCP connection, the handshake, `connect` and
    /// the answer to `publish`/`play`.
    #[arg(long, value_name = "SECS", default_value_t = 10.0)]
    pub connect_timeout: f64,
    /// Enhanced RTMP codecs to offer in `connect` as its `fourCcList`,
    /// comma-separated (for example `hvc1,av01,vp09`); not offered by
    /// default.
    #[arg(long, value_name = "LIST", value_delimiter = ',')]
    pub fourcc: Vec<String>,
}

impl ConnectArgs {
    /// The connect timeout as a duration.
    fn timeout(&self) -> Result<Duration, String> {
        Duration::try_from_secs_f64(self.connect_timeout)
            .map_err(|_| format!("invalid --connect-timeout {}", self.connect_timeout))
    }
}

/// Runs `wirestate publish`.
///
/// # Errors
///
/// A message for the user: a bad URL or file, a refused connection or
/// publish, a timeout, a failed connection.
pub fn publish(args: PublishArgs) -> Result<(), String> {
    init_logs();
    runtime()?.block_on(publish::run(args))
}

/// Runs `wirestate play`.
///
/// # Errors
///
/// As [`publish`]; also when the output cannot be written.
pub fn play(args: PlayArgs) -> Result<(), String> {
    init_logs();
    runtime()?.block_on(play::run(args))
}

fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))
}

/// Logs to stderr (`RUST_LOG`, default `info`).
fn init_logs() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(filter)
        .try_init();
}

/// Opens the TCP (TLS for `rtmps://`) connection and starts a session for
/// `url` on it, all within `timeout` (the handshake and `connect` get what
/// is left, as the session's handshake deadline).
async fn connect(url: &RtmpUrl, args: &ConnectArgs) -> Result<Client, String> {
    let timeout = args.timeout()?;
    let mut connect = RtmpConnect::new(&args.url)
        .map_err(|e| e.to_string())?
        .timeout(timeout);
    if !args.fourcc.is_empty() {
        connect.config_mut().four_cc_list = Some(args.fourcc.clone());
    }
    if url.secure {
        connect = connect.tls(trusted_roots(args.tls_ca.as_deref())?);
    }
    tracing::info!(server = %url.authority(), app = %url.app, key = %url.key, tls = url.secure, "connecting");
    connect.connect().await.map_err(|e| e.to_string())
}

/// The TLS client configuration: the roots of `--tls-ca`, or the system's.
fn trusted_roots(
    ca: Option<&std::path::Path>,
) -> Result<std::sync::Arc<wirestate_tokio::tls::rustls::ClientConfig>, String> {
    let path = match ca {
        Some(path) => path,
        None => SYSTEM_ROOTS
            .iter()
            .map(std::path::Path::new)
            .find(|path| path.exists())
            .ok_or("rtmps:// needs --tls-ca: no system roots found")?,
    };
    let roots = wirestate_tokio::tls::certificates_from_pem(path).map_err(|e| e.to_string())?;
    // A system bundle may hold a certificate rustls cannot parse: skip it.
    let mut usable = Vec::new();
    for root in roots {
        if wirestate_tokio::tls::client_config([root.clone()]).is_ok() {
            usable.push(root);
        }
    }
    wirestate_tokio::tls::client_config(usable).map_err(|e| e.to_string())
}

/// What a session said while it was asked to start: the event that
/// `started` accepted, or why it did not start.
async fn wait_started(
    client: &mut Client,
    timeout: Duration,
    what: &str,
    mut started: impl FnMut(&ClientEvent) -> bool,
) -> Result<ClientEvent, String> {
    let wait = async {
        loop {
            match client.next_event().await {
                Some(Ok(event)) if started(&event) => return Ok(event),
                Some(Ok(event)) => refusal(&event, what)?,
                Some(Err(e)) => return Err(format!("{what} failed: {e}")),
                None => return Err(format!("{what} failed: the server closed the connection")),
            }
        }
    };
    tokio::time::timeout(timeout, wait)
        .await
        .unwrap_or_else(|_| Err(format!("{what} failed: no answer within {timeout:?}")))
}

/// An error for an event that refuses what was asked; `Ok` for others
/// (logged at debug level).
fn refusal(event: &ClientEvent, what: &str) -> Result<(), String> {
    match event {
        ClientEvent::ConnectRejected(status) => Err(format!(
            "{what} failed: connect rejected: {}",
            describe(status)
        )),
        ClientEvent::Status { status, .. } if status.is_error() => {
            Err(format!("{what} failed: {}", describe(status)))
        }
        // Servers answer `releaseStream` or `FCPublish` with `_error` when
        // they do not know them; what matters comes as a status.
        ClientEvent::CommandError { status, .. } => {
            tracing::warn!(status = %describe(status), "the server answered a command with _error");
            Ok(())
        }
        ClientEvent::Connected { .. } => {
            tracing::info!("connected");
            Ok(())
        }
        other => {
            tracing::debug!(?other, "while starting");
            Ok(())
        }
    }
}

/// A status as the user reads it: `code (description)`.
fn describe(status: &Status) -> String {
    match (status.code.as_str(), status.description.as_str()) {
        ("", "") => "no reason given".into(),
        (code, "") => code.into(),
        ("", description) => description.into(),
        (code, description) => format!("{code} ({description})"),
    }
}

/// Resolves when SIGINT or SIGTERM arrives (never, if they cannot be
/// listened for).
async fn interrupted() {
    use tokio::signal::unix::{signal, SignalKind};
    let (Ok(mut int), Ok(mut term)) = (
        signal(SignalKind::interrupt()),
        signal(SignalKind::terminate()),
    ) else {
        return std::future::pending().await;
    };
    tokio::select! {
        _ = int.recv() => tracing::info!("SIGINT: stopping"),
        _ = term.recv() => tracing::info!("SIGTERM: stopping"),
    }
}
