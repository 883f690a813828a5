//! TLS by composition (feature `tls`): rustls with the `ring` provider
//! wraps any `AsyncRead + AsyncWrite` stream, and the driver runs a machine
//! on the result like on any other stream.
//!
//! The caller supplies the trust: root certificates for a client
//! ([`client_config`]), a certificate chain and its key for a server
//! ([`server_config`], or [`server_config_from_pem`] for PEM files). Both
//! handshakes are bounded: [`connect`] and [`accept`] give up after the
//! timeout they are given.
//!
//! ```no_run
//! use std::time::Duration;
//! use wirestate_tokio::tls;
//!
//! # async fn f() -> Result<(), Box<dyn std::error::Error>> {
//! let acceptor = tls::server_config_from_pem("cert.pem".as_ref(), "key.pem".as_ref())?;
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8443").await?;
//! loop {
//!     // An accept error (no file descriptors left ...) must not end the
//!     // server: skip it (wirestate-server's accept loop logs and backs off).
//!     let Ok((socket, _)) = listener.accept().await else { continue };
//!     let acceptor = acceptor.clone();
//!     tokio::spawn(async move {
//!         if let Ok(stream) = tls::accept(&acceptor, socket, Duration::from_secs(10)).await {
//!             // ... Connection::new(stream, machine)
//!             drop(stream);
//!         }
//!     });
//! }
//! # }
//! ```

use std::io;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use tokio::io::{AsyncRead, AsyncWrite};

pub use rustls;
pub use tokio_rustls::{
    client::TlsStream as ClientTlsStream, server::TlsStream as ServerTlsStream,
};
pub use tokio_rustls::{TlsAcceptor, TlsConnector};

/// Why a TLS configuration could not be built.
#[derive(Debug, thiserror::Error)]
pub enum TlsConfigError {
    /// A PEM file could not be read or parsed.
    #[error("cannot read {path}: {source}")]
    Pem {
        /// The file.
        path: String,
        /// What went wrong.
        source: rustls::pki_types::pem::Error,
    },
    /// A PEM file holds no certificate.
    #[error("{0} holds no certificate")]
    NoCertificate(String),
    /// rustls refused the certificates or the key.
    #[error("{0}")]
    Rustls(#[from] rustls::Error),
}

/// The `ring` crypto provider every configuration here uses (the project
/// builds no aws-lc-rs). rustls deprecates it for lacking post-quantum key
/// exchange; the classical groups it offers are what the peers here speak.
#[allow(deprecated)]
fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// A client configuration that trusts exactly `roots` (for a self-signed
/// server, its own certificate). Pass it to [`connect`] or to the connect
/// helpers' `tls` option.
///
/// # Errors
///
/// [`TlsConfigError::Rustls`] when a root cannot be parsed.
pub fn client_config(
    roots: impl IntoIterator<Item = CertificateDer<'static>>,
) -> Result<Arc<rustls::ClientConfig>, TlsConfigError> {
    let mut store = rustls::RootCertStore::empty();
    for root in roots {
        store.add(root)?;
    }
    let config = rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()?
        .with_root_certificates(store)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// A server acceptor presenting `chain` (leaf first) with its `key`.
///
/// # Errors
///
/// [`TlsConfigError::Rustls`] when the key does not suit the chain or
/// cannot be used.
pub fn server_config(
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
) -> Result<TlsAcceptor, TlsConfigError> {
    let config = rustls::ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(chain, key)?;
    Ok(TlsAcceptor::from(Arc::new(config)))
}

/// [`server_config`] from a PEM file of certificates (leaf first) and a PEM
/// file with the private key (PKCS#8, PKCS#1 or SEC1), as
/// `wirestate serve --tls-cert --tls-key` takes them.
///
/// # Errors
///
/// [`TlsConfigError::Pem`] when a file cannot be read or holds no key,
/// [`TlsConfigError::NoCertificate`] for an empty chain, and as
/// [`server_config`].
pub fn server_config_from_pem(cert: &Path, key: &Path) -> Result<TlsAcceptor, TlsConfigError> {
    let chain = certificates_from_pem(cert)?;
    let key = PrivateKeyDer::from_pem_file(key).map_err(|source| TlsConfigError::Pem {
        path: key.display().to_string(),
        source,
    })?;
    server_config(chain, key)
}

/// Every certificate in the PEM file `path` (roots for [`client_config`],
/// or a chain for [`server_config`]).
///
/// # Errors
///
/// [`TlsConfigError::Pem`] when the file cannot be read or parsed,
/// [`TlsConfigError::NoCertificate`] when it holds none.
pub fn certificates_from_pem(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsConfigError> {
    let pem = |source| TlsConfigError::Pem {
        path: path.display().to_string(),
        source,
    };
    let chain = CertificateDer::pem_file_iter(path)
        .map_err(pem)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(pem)?;
    if chain.is_empty() {
        return Err(TlsConfigError::NoCertificate(path.display().to_string()));
    }
    Ok(chain)
}

/// Runs the client side of the TLS handshake on `stream`, checking the
/// server's certificate for `host` (a DNS name or an IP address) against
/// `config`'s roots; gives up after `timeout`. Then run a machine on the
/// returned stream.
///
/// # Errors
///
/// [`InvalidInput`](io::ErrorKind::InvalidInput) for a host that is no
/// server name, [`TimedOut`](io::ErrorKind::TimedOut) after `timeout`, and
/// the handshake's error (a certificate that is not trusted, say).
pub async fn connect<S>(
    config: Arc<rustls::ClientConfig>,
    host: &str,
    stream: S,
    timeout: Duration,
) -> io::Result<ClientTlsStream<S>>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let name = ServerName::try_from(host.to_owned())
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, format!("{host:?}: {e}")))?;
    let handshake = TlsConnector::from(config).connect(name, stream);
    crate::bounded::bounded(timeout, "TLS handshake", handshake).await
}

/// Runs the server side of the TLS handshake on `stream`; gives up after
/// `timeout` (use the handshake timeout of the protocol on top). Then run a
/// machine on the returned stream.
///
/// # Errors
///
/// [`TimedOut`](io::ErrorKind::TimedOut) after `timeout`, and the
/// handshake's error (a client that speaks no TLS, say).
pub async fn accept<S>(
    acceptor: &TlsAcceptor,
    stream: S,
    timeout: Duration,
) -> io::Result<ServerTlsStream<S>>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    crate::bounded::bounded(timeout, "TLS handshake", acceptor.accept(stream)).await
}
