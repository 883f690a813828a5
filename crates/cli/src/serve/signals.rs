//! SIGINT and SIGTERM end a server gracefully.

use std::io;

use tokio::signal::unix::{signal, Signal, SignalKind};
use wirestate_server::Shutdown;

/// Installs handlers for SIGINT and SIGTERM (call it inside the runtime)
/// and returns the signal the first of them fires: the servers then let
/// every connection say goodbye within the drain timeout and return. A
/// second SIGINT or SIGTERM exits at once, with status 130.
///
/// # Errors
///
/// When a handler cannot be installed.
pub(crate) fn shutdown_on_signals() -> io::Result<Shutdown> {
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut terminate = signal(SignalKind::terminate())?;
    let (trigger, shutdown) = Shutdown::new();
    tokio::spawn(async move {
        let name = first(&mut interrupt, &mut terminate).await;
        tracing::info!(
            signal = name,
            "shutting down: saying goodbye to every connection"
        );
        trigger.trigger();
        let name = first(&mut interrupt, &mut terminate).await;
        tracing::warn!(signal = name, "second signal: exiting now");
        std::process::exit(130);
    });
    Ok(shutdown)
}

/// Waits for the next of the two signals and names it.
async fn first(interrupt: &mut Signal, terminate: &mut Signal) -> &'static str {
    tokio::select! {
        _ = interrupt.recv() => "SIGINT",
        _ = terminate.recv() => "SIGTERM",
    }
}
