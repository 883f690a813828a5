//! The opening handshake as the first phase of a [`WsConnection`]: a server
//! reads the request and waits for the application's decision, a client
//! reads the answer to the request it queued. Both collect the head the same
//! way; the bytes after it stay in the input buffer for the frame layer.

use bytes::BytesMut;

use super::{Role, WsConnection, WsTimer};
use crate::deflate::DeflateParams;
use crate::error::{LocalError, WsError};
use crate::event::WsEvent;
use crate::handshake::{
    accept_response_for, failure_response, parse_request, parse_response, reject_response, Accept,
    HandshakeError, HeadScanner, Reject,
};

/// Where a connection is in the opening handshake.
#[derive(Debug)]
pub(super) enum Phase {
    /// Server: collecting the request head.
    Request {
        scanner: HeadScanner,
        /// Accept every valid request at once.
        auto_accept: bool,
    },
    /// Server: the request was reported; waiting for accept or reject.
    Deciding {
        key: Vec<u8>,
        protocols: Vec<String>,
        /// The permessage-deflate parameters to answer with, if an offer was
        /// acceptable.
        deflate: Option<DeflateParams>,
    },
    /// Client: the request is queued; collecting the response head.
    Response {
        scanner: HeadScanner,
        key: String,
        protocols: Vec<String>,
    },
    /// The handshake is done: frames flow.
    Open,
    /// Rejected, or the handshake failed: only the answer is left to send.
    Done,
}

impl Phase {
    pub(super) fn server(auto_accept: bool) -> Phase {
        Phase::Request {
            scanner: HeadScanner::default(),
            auto_accept,
        }
    }

    pub(super) fn client(key: String, protocols: Vec<String>) -> Phase {
        Phase::Response {
            scanner: HeadScanner::default(),
            key,
            protocols,
        }
    }
}

impl WsConnection {
    /// Accepts the reported request: queues the `101` answer (with the
    /// agreed permessage-deflate parameters, if any), and frames are read
    /// from now on, including any that arrived with the request. Poll
    /// transmits, then events, next.
    ///
    /// ```
    /// use std::time::Instant;
    /// use wirestate_core::Machine;
    /// use wirestate_websocket::{Accept, WsConfig, WsConnection, WsEvent};
    ///
    /// let mut server = WsConnection::server(WsConfig::default());
    /// server.handle_input(
    ///     b"GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
    ///       Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\
    ///       Sec-WebSocket-Protocol: chat\r\n\r\n",
    ///     Instant::now(),
    /// );
    /// assert!(matches!(server.poll_event(), Some(Ok(WsEvent::Request(_)))));
    /// server.accept(Accept { protocol: Some("chat".into()), ..Accept::default() }).unwrap();
    /// let answer = server.poll_transmit().unwrap();
    /// assert!(answer.ends_with(b"Sec-WebSocket-Protocol: chat\r\n\r\n"));
    /// assert!(server.is_open());
    /// ```
    ///
    /// # Errors
    ///
    /// [`LocalError::WrongRole`] on a client; [`LocalError::NoPendingRequest`]
    /// unless a request was reported and not answered yet;
    /// [`LocalError::ProtocolNotOffered`] or [`LocalError::InvalidHeader`]
    /// for an answer that cannot be sent (the request stays pending).
    pub fn accept(&mut self, accept: Accept) -> Result<(), LocalError> {
        if self.role == Role::Client {
            return Err(LocalError::WrongRole("client"));
        }
        let Phase::Deciding {
            key,
            protocols,
            deflate,
        } = &self.phase
        else {
            return Err(LocalError::NoPendingRequest);
        };
        let deflate = *deflate;
        let response = accept_response_for(key, protocols, accept, deflate)?;
        self.out.push(response);
        if let Some(params) = deflate {
            self.set_deflate(params);
        }
        self.open();
        Ok(())
    }

    /// Rejects the reported request with an HTTP response (e.g. 401 with
    /// `WWW-Authenticate`); the connection is closed once it is sent.
    ///
    /// # Errors
    ///
    /// [`LocalError::WrongRole`] on a client; [`LocalError::NoPendingRequest`]
    /// unless a request is waiting; [`LocalError::InvalidStatus`] or
    /// [`LocalError::InvalidHeader`] for a response that cannot be sent.
    pub fn reject(&mut self, reject: Reject) -> Result<(), LocalError> {
        if self.role == Role::Client {
            return Err(LocalError::WrongRole("client"));
        }
        if !matches!(self.phase, Phase::Deciding { .. }) {
            return Err(LocalError::NoPendingRequest);
        }
        let response = reject_response(&reject)?;
        self.out.push(response);
        self.phase = Phase::Done;
        self.finish_silently();
        Ok(())
    }

    /// Collects the handshake head: `None` until it is complete, then the
    /// head split off the input (the rest stays for the frame layer), or why
    /// the handshake failed (too large, EOF first).
    fn scan_head(&mut self) -> Option<Result<BytesMut, HandshakeError>> {
        let limit = self.config.max_handshake_size;
        let (Phase::Request { scanner, .. } | Phase::Response { scanner, .. }) = &mut self.phase
        else {
            return None;
        };
        match scanner.scan(&self.input, limit) {
            Ok(Some(end)) => {
                let head = self.input.split_to(end);
                if self.input.is_empty() {
                    self.input = BytesMut::new();
                }
                Some(Ok(head))
            }
            Ok(None) if self.peer_eof => Some(Err(HandshakeError::Eof)),
            Ok(None) => None,
            Err(error) => Some(Err(error)),
        }
    }

    /// Server: the request head, validated and reported (and accepted at
    /// once in auto-accept mode); an invalid one is answered and fails.
    pub(super) fn read_request(&mut self) -> Option<Result<WsEvent, WsError>> {
        let auto_accept = matches!(
            self.phase,
            Phase::Request {
                auto_accept: true,
                ..
            }
        );
        let outcome = self
            .scan_head()?
            .and_then(|head| parse_request(&head, self.config.max_headers));
        let request = match outcome {
            Ok(request) => request,
            Err(error) => {
                if error != HandshakeError::Eof {
                    self.out.push(failure_response(&error));
                }
                return Some(Err(self.fail_handshake(error)));
            }
        };
        let deflate = self
            .config
            .deflate
            .as_ref()
            .and_then(|config| crate::negotiate_deflate(&request.extensions, config));
        self.phase = Phase::Deciding {
            key: request.key.clone(),
            protocols: request.protocols.clone(),
            deflate,
        };
        if auto_accept {
            // Cannot fail: no subprotocol, no headers.
            let _ = self.accept(Accept::default());
        }
        Some(Ok(WsEvent::Request(Box::new(request))))
    }

    /// Client: the response head, checked against our request.
    pub(super) fn read_response(&mut self) -> Option<Result<WsEvent, WsError>> {
        let head = match self.scan_head()? {
            Ok(head) => head,
            Err(error) => return Some(Err(self.fail_handshake(error))),
        };
        let Phase::Response { key, protocols, .. } = &self.phase else {
            return None;
        };
        let (max_headers, deflate) = (self.config.max_headers, self.config.deflate.as_ref());
        match parse_response(&head, key, protocols, max_headers, deflate) {
            Ok(response) => {
                if let Some(params) = response.deflate {
                    self.set_deflate(params);
                }
                self.open();
                Some(Ok(WsEvent::Connected(Box::new(response))))
            }
            Err(error) => Some(Err(self.fail_handshake(error))),
        }
    }

    /// The handshake completed: frames flow, and its deadline stops.
    fn open(&mut self) {
        self.phase = Phase::Open;
        self.timers.stop(WsTimer::Handshake);
    }

    /// Gives the opening handshake up (its deadline passed, or a shutdown):
    /// a server that has not answered the request yet answers with
    /// `status` (`Connection: close`, no body), and the connection is
    /// done. A no-op once the handshake is over.
    pub(super) fn abandon_handshake(&mut self, status: u16) {
        match self.phase {
            Phase::Request { .. } | Phase::Deciding { .. } => {
                if let Ok(answer) = reject_response(&Reject::status(status)) {
                    self.out.push(answer);
                }
            }
            Phase::Response { .. } => {}
            Phase::Open | Phase::Done => return,
        }
        self.phase = Phase::Done;
        self.finish_silently();
    }

    fn fail_handshake(&mut self, error: HandshakeError) -> WsError {
        self.phase = Phase::Done;
        self.finish_silently();
        WsError::Handshake(error)
    }
}
