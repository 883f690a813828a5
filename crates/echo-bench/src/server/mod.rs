//! The echo servers: one accept loop, and per library the connection
//! handler a user of that library would write (upgrade, then echo every
//! text and binary message; the libraries answer pings and closes).

mod fastwebsockets;
mod tokio_websockets;
mod tungstenite;
mod wirestate;

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};

/// An error of one connection; the server drops the connection and goes on.
pub type ConnectionError = Box<dyn std::error::Error + Send + Sync>;

/// The library an echo server is built on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Library {
    /// wirestate's `WsConnection` on the `wirestate-tokio` driver.
    Wirestate,
    /// tokio-tungstenite's `WebSocketStream`.
    Tungstenite,
    /// fastwebsockets, upgraded through hyper 1.
    Fastwebsockets,
    /// tokio-websockets' `ServerBuilder`.
    TokioWebsockets,
}

impl Library {
    /// Every library, wirestate first.
    pub const ALL: [Library; 4] = [
        Library::Wirestate,
        Library::Tungstenite,
        Library::Fastwebsockets,
        Library::TokioWebsockets,
    ];

    /// The name `--lib` takes.
    pub fn name(self) -> &'static str {
        match self {
            Library::Wirestate => "wirestate",
            Library::Tungstenite => "tungstenite",
            Library::Fastwebsockets => "fastwebsockets",
            Library::TokioWebsockets => "tokio-websockets",
        }
    }
}

impl fmt::Display for Library {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A `--lib` value that names no library.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownLibrary(pub String);

impl fmt::Display for UnknownLibrary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<_> = Library::ALL.iter().map(|lib| lib.name()).collect();
        write!(
            f,
            "unknown library {:?} (one of: {})",
            self.0,
            names.join(", ")
        )
    }
}

impl std::error::Error for UnknownLibrary {}

impl FromStr for Library {
    type Err = UnknownLibrary;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Library::ALL
            .into_iter()
            .find(|lib| lib.name() == name)
            .ok_or_else(|| UnknownLibrary(name.to_owned()))
    }
}

/// Accepts connections on `listener` forever and echoes on each with
/// `library`, one task per connection. Connection errors end only that
/// connection; accept errors (out of file descriptors) pause the loop
/// briefly instead of spinning.
pub async fn serve(library: Library, listener: TcpListener) {
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                tokio::spawn(echo(library, stream));
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
        }
    }
}

/// Echoes on one accepted connection until it ends; its error, if any,
/// is dropped with it (a benchmark server has no one to tell).
async fn echo(library: Library, stream: TcpStream) {
    let _ = echo_on(library, stream).await;
}

/// Echoes on one accepted connection with `library`.
///
/// # Errors
///
/// The connection's IO error, or the library's error for a broken
/// handshake or protocol violation.
pub async fn echo_on(library: Library, stream: TcpStream) -> Result<(), ConnectionError> {
    stream.set_nodelay(true)?;
    match library {
        Library::Wirestate => wirestate::echo(stream).await,
        Library::Tungstenite => tungstenite::echo(stream).await,
        Library::Fastwebsockets => fastwebsockets::echo(stream).await,
        Library::TokioWebsockets => tokio_websockets::echo(stream).await,
    }
}
