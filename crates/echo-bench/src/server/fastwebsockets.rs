//! The fastwebsockets echo server, as its documentation writes it: hyper 1
//! serves the HTTP/1.1 upgrade, `fastwebsockets::upgrade` answers it, and a
//! `FragmentCollector` echoes whole messages on the upgraded connection.

use fastwebsockets::{upgrade, FragmentCollector, OpCode, WebSocketError};
use http_body_util::Empty;
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use super::ConnectionError;

/// Serves the connection's HTTP/1.1 until the upgrade hands it over.
pub(super) async fn echo(stream: TcpStream) -> Result<(), ConnectionError> {
    http1::Builder::new()
        .serve_connection(TokioIo::new(stream), service_fn(upgrade_request))
        .with_upgrades()
        .await?;
    Ok(())
}

/// Answers the upgrade and echoes on the upgraded connection in a task of
/// its own, as hyper needs the response first.
async fn upgrade_request(
    mut request: Request<Incoming>,
) -> Result<Response<Empty<Bytes>>, WebSocketError> {
    let (response, upgraded) = upgrade::upgrade(&mut request)?;
    tokio::spawn(async move {
        let _ = echo_upgraded(upgraded).await;
    });
    Ok(response)
}

/// Writes every text or binary message back (fastwebsockets answers pings
/// and the close itself) until the close.
async fn echo_upgraded(upgraded: upgrade::UpgradeFut) -> Result<(), WebSocketError> {
    let mut ws = FragmentCollector::new(upgraded.await?);
    loop {
        let frame = ws.read_frame().await?;
        match frame.opcode {
            OpCode::Close => return Ok(()),
            OpCode::Text | OpCode::Binary => ws.write_frame(frame).await?,
            _ => {}
        }
    }
}
