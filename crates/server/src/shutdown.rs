//! One signal that tells a server and all its connections to wind down.

use tokio::sync::watch;

/// The receiving side of a shutdown signal: the accept loop and every
/// connection task hold a clone and finish gracefully once it fires.
///
/// ```
/// use wirestate_server::Shutdown;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let (trigger, mut shutdown) = Shutdown::new();
/// assert!(!shutdown.is_triggered());
/// trigger.trigger();
/// shutdown.triggered().await; // returns at once now
/// assert!(shutdown.is_triggered());
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct Shutdown {
    fired: watch::Receiver<bool>,
}

/// The sending side of a [`Shutdown`]: fire it once (on SIGTERM, say).
/// Dropping it without firing leaves the servers running.
#[derive(Debug)]
pub struct ShutdownTrigger {
    fire: watch::Sender<bool>,
}

impl Shutdown {
    /// A new signal, not fired: the trigger and its first receiver. Clone
    /// the receiver for every task that must hear it.
    pub fn new() -> (ShutdownTrigger, Shutdown) {
        let (fire, fired) = watch::channel(false);
        (ShutdownTrigger { fire }, Shutdown { fired })
    }

    /// A signal that never fires, for servers run until their task is
    /// dropped.
    pub fn never() -> Shutdown {
        // With its trigger gone, the signal can never fire.
        Shutdown::new().1
    }

    /// Whether the signal fired.
    pub fn is_triggered(&self) -> bool {
        *self.fired.borrow()
    }

    /// Completes once the signal fired (at once if it already did). Cancel
    /// safe, so it can sit in a `tokio::select!`. A dropped trigger that
    /// never fired leaves it pending forever.
    pub async fn triggered(&mut self) {
        if self.fired.wait_for(|fired| *fired).await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

impl ShutdownTrigger {
    /// Fires the signal for every [`Shutdown`] cloned from this one.
    pub fn trigger(&self) {
        self.fire.send_replace(true);
    }
}
