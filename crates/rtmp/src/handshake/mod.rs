//! The RTMP handshake, client and server, simple and digest, as a Sans-IO
//! state machine.
//!
//! ```text
//! client                                   server
//!   C0 (version 3) + C1 (1536 bytes)  --->
//!                                     <---  S0 + S1 (1536) + S2 (1536: answers C1)
//!   C2 (1536: answers S1)             --->
//!   [chunk stream]                    <-->  [chunk stream]
//! ```
//!
//! C1/S1 are `time:4 version:4 random:1528`. In the simple handshake the
//! version field is zero and C2/S2 echo S1/C1. In the digest handshake
//! (Flash Player 9 and later, FFmpeg, nginx-rtmp) C1/S1 hide an HMAC-SHA256
//! digest and C2/S2 are signed answers to it; see [`digest`].
//!
//! A [`Handshake`] never touches a socket: the caller appends received bytes
//! to a `BytesMut`, calls [`advance`](Handshake::advance), and writes out
//! what [`poll_transmit`](Handshake::poll_transmit) returns. It consumes only
//! its own bytes from the buffer, so whatever the peer sent after its last
//! handshake packet (the first chunks, often in the same read) stays there for
//! the chunk layer.
//!
//! ```
//! use bytes::BytesMut;
//! use wirestate_core::SeededRandom;
//! use wirestate_rtmp::handshake::{Handshake, HandshakeConfig, HandshakeKind};
//!
//! let mut rng = SeededRandom::new(1);
//! let mut client = Handshake::client(HandshakeConfig::default(), &mut rng);
//! let mut server = Handshake::server(HandshakeConfig::default(), &mut rng);
//! let (mut to_server, mut to_client) = (BytesMut::new(), BytesMut::new());
//!
//! // C0+C1 go out at once; the server answers with S0+S1+S2.
//! to_server.extend_from_slice(&client.poll_transmit().unwrap());
//! assert!(!server.advance(&mut to_server, &mut rng)?);
//! to_client.extend_from_slice(&server.poll_transmit().unwrap());
//!
//! // The client is done after S2 and sends C2, followed here by a first chunk.
//! assert!(client.advance(&mut to_client, &mut rng)?);
//! to_server.extend_from_slice(&client.poll_transmit().unwrap());
//! to_server.extend_from_slice(b"\x02first chunk");
//! assert!(server.advance(&mut to_server, &mut rng)?);
//! assert_eq!(&to_server[..], b"\x02first chunk"); // left for the chunk layer
//!
//! assert!(matches!(server.info().unwrap().kind, HandshakeKind::Digest { .. }));
//! # Ok::<(), wirestate_rtmp::handshake::HandshakeError>(())
//! ```

pub mod digest;
mod error;

#[cfg(test)]
mod tests;

use bytes::{Buf, Bytes, BytesMut};
use wirestate_core::{RandomSource, TransmitQueue};

use digest::{DigestScheme, DIGEST_LEN};
pub use error::HandshakeError;

/// The length of C1, S1, C2 and S2.
pub const PACKET_LEN: usize = 1536;

/// The only plain-text RTMP version.
pub const RTMP_VERSION: u8 = 3;

/// How a [`Handshake`] introduces itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HandshakeConfig {
    /// The time field of our C1/S1 (milliseconds on our clock; any value
    /// works, peers use it only as the epoch of our timestamps).
    pub epoch: u32,
    /// Client: send a digest C1 (most servers require it for some features;
    /// all accept it). Server: answer a digest C1 with a digest S1 and S2;
    /// when `false` the server always answers with the simple handshake.
    pub digest: bool,
    /// Where a client puts the digest of its C1 (servers answer with the
    /// scheme the client used).
    pub scheme: DigestScheme,
    /// The version field of a digest C1/S1 (a simple one always has zero).
    /// `None`: 9.0.124.2 for a client (what FFmpeg sends), 13.14.10.13 for a
    /// server (what nginx-rtmp sends).
    pub version: Option<[u8; 4]>,
}

impl Default for HandshakeConfig {
    /// Epoch 0, digest handshake with the base-8 scheme, default versions.
    fn default() -> Self {
        HandshakeConfig {
            epoch: 0,
            digest: true,
            scheme: DigestScheme::Base8,
            version: None,
        }
    }
}

/// What the handshake learned about the peer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandshakeInfo {
    /// Whether the peer's C1/S1 carried a valid digest.
    pub kind: HandshakeKind,
    /// The version field of the peer's C1/S1 (for example `[9, 0, 124, 2]`).
    /// Some servers put a non-zero version in a simple handshake.
    pub peer_version: [u8; 4],
    /// The time field of the peer's C1/S1: the epoch of its timestamps.
    pub peer_epoch: u32,
    /// How the peer answered our C1/S1: `None` until its C2/S2 arrived.
    pub peer_response: Option<PeerResponse>,
}

/// The kind of handshake the peer's C1/S1 asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HandshakeKind {
    /// No valid digest: the plain echo handshake.
    Simple,
    /// A valid digest at `offset` found with `scheme`.
    Digest {
        /// Base 8 or base 772.
        scheme: DigestScheme,
        /// Where the 32 digest bytes start in C1/S1.
        offset: usize,
    },
}

/// How the peer's C2/S2 relates to the C1/S1 we sent. Informational only:
/// peers differ here (FFmpeg's publisher echoes S1 even after a digest S1;
/// nginx answers a simple C1 with S1 = S2 = C1), so nothing is rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeerResponse {
    /// An echo of our C1/S1 (time and random bytes; the second time field may differ).
    Echo,
    /// A C2/S2 correctly signed over the digest of our C1/S1.
    DigestResponse,
    /// Neither.
    Unverified,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Client,
    Server,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum State {
    /// Waiting for the peer's version byte (C0/S0).
    Version,
    /// Waiting for the peer's C1/S1.
    First,
    /// Waiting for the peer's C2/S2.
    Second,
    Done,
    Failed(HandshakeError),
}

/// One side of one connection's handshake.
///
/// Memory: our own C1/S1 (1536 bytes) is kept until the peer's answer is
/// checked; queued output is at most 3073 bytes. Input is never copied: the
/// handshake reads straight from the caller's buffer and splits off only
/// complete packets.
#[derive(Debug)]
pub struct Handshake {
    role: Role,
    config: HandshakeConfig,
    state: State,
    /// The C1/S1 we sent, to check the peer's echo or signed answer.
    sent: Box<[u8; PACKET_LEN]>,
    /// The digest inside `sent`, if we signed it.
    sent_digest: Option<[u8; DIGEST_LEN]>,
    out: TransmitQueue,
    info: Option<HandshakeInfo>,
}

impl Handshake {
    /// A server-side handshake. It sends nothing until C0+C1 arrived; call
    /// [`advance`](Self::advance) as input comes in.
    pub fn server(config: HandshakeConfig, rng: &mut dyn RandomSource) -> Handshake {
        let mut sent = Box::new([0; PACKET_LEN]);
        // Drawn now so that the answer does not depend on when C1 arrives.
        rng.fill_bytes(&mut sent[8..]);
        Handshake {
            role: Role::Server,
            config,
            state: State::Version,
            sent,
            sent_digest: None,
            out: TransmitQueue::default(),
            info: None,
        }
    }

    /// A client-side handshake: C0+C1 are queued at once, take them from
    /// [`poll_transmit`](Self::poll_transmit) and send them.
    pub fn client(config: HandshakeConfig, rng: &mut dyn RandomSource) -> Handshake {
        let mut handshake = Handshake {
            role: Role::Client,
            config,
            state: State::Version,
            sent: Box::new([0; PACKET_LEN]),
            sent_digest: None,
            out: TransmitQueue::default(),
            info: None,
        };
        rng.fill_bytes(&mut handshake.sent[8..]);
        handshake.fill_first_packet(config.digest.then_some(config.scheme));
        let mut c0c1 = BytesMut::with_capacity(1 + PACKET_LEN);
        c0c1.extend_from_slice(&[RTMP_VERSION]);
        c0c1.extend_from_slice(&handshake.sent[..]);
        handshake.out.push(c0c1.freeze());
        handshake
    }

    /// Consumes the handshake's own bytes from the front of `buf` and queues
    /// the answers. Returns `Ok(true)` once the handshake is complete (and on
    /// every later call, without touching `buf`); `Ok(false)` means more input
    /// is needed. Bytes after the peer's last handshake packet stay in `buf`
    /// for the chunk layer.
    ///
    /// After each call, drain [`poll_transmit`](Self::poll_transmit). An error
    /// is fatal and is returned again by every later call.
    ///
    /// # Errors
    ///
    /// A [`HandshakeError`] when the peer's C0/S0 asks for a version other
    /// than 3; fatal, returned again by every later call.
    pub fn advance(
        &mut self,
        buf: &mut BytesMut,
        rng: &mut dyn RandomSource,
    ) -> Result<bool, HandshakeError> {
        loop {
            match &self.state {
                State::Done => return Ok(true),
                State::Failed(e) => return Err(e.clone()),
                State::Version => {
                    let Some(&version) = buf.first() else {
                        return Ok(false);
                    };
                    if version != RTMP_VERSION {
                        let error = HandshakeError::UnsupportedVersion(version);
                        self.state = State::Failed(error.clone());
                        return Err(error);
                    }
                    buf.advance(1);
                    self.state = State::First;
                }
                State::First => {
                    let Some(packet) = take_packet(buf) else {
                        return Ok(false);
                    };
                    self.on_first(&packet, rng);
                    self.state = State::Second;
                }
                State::Second => {
                    let Some(packet) = take_packet(buf) else {
                        return Ok(false);
                    };
                    self.on_second(&packet);
                    self.state = State::Done;
                }
            }
        }
    }

    /// The next bytes to send, in order: C0+C1 then C2 for a client,
    /// S0+S1+S2 for a server. `None` when nothing is queued; more may come
    /// after the next [`advance`](Self::advance).
    pub fn poll_transmit(&mut self) -> Option<Bytes> {
        self.out.pop()
    }

    /// What was learned about the peer: `Some` once its C1/S1 arrived;
    /// [`HandshakeInfo::peer_response`] is filled in once its C2/S2 arrived.
    pub fn info(&self) -> Option<&HandshakeInfo> {
        self.info.as_ref()
    }

    /// Whether the handshake completed.
    pub fn is_done(&self) -> bool {
        self.state == State::Done
    }

    /// Fills in time, version and (if `scheme`) the digest of our C1/S1,
    /// whose random part is already drawn.
    fn fill_first_packet(&mut self, scheme: Option<DigestScheme>) {
        self.sent[..4].copy_from_slice(&self.config.epoch.to_be_bytes());
        let Some(scheme) = scheme else {
            self.sent[4..8].fill(0);
            return;
        };
        let (default_version, key) = match self.role {
            Role::Client => ([9, 0, 124, 2], digest::CLIENT_SIGNING_KEY),
            Role::Server => ([13, 14, 10, 13], digest::SERVER_SIGNING_KEY),
        };
        self.sent[4..8].copy_from_slice(&self.config.version.unwrap_or(default_version));
        let offset = digest::sign(&mut self.sent, scheme, key);
        let mut sent_digest = [0; DIGEST_LEN];
        sent_digest.copy_from_slice(&self.sent[offset..offset + DIGEST_LEN]);
        self.sent_digest = Some(sent_digest);
    }

    /// The peer's C1 (we are the server) or S1 (we are the client).
    fn on_first(&mut self, packet: &[u8; PACKET_LEN], rng: &mut dyn RandomSource) {
        let (peer_key, our_full_key) = match self.role {
            Role::Server => (
                digest::CLIENT_SIGNING_KEY,
                &digest::FLASH_MEDIA_SERVER_KEY[..],
            ),
            Role::Client => (digest::SERVER_SIGNING_KEY, &digest::FLASH_PLAYER_KEY[..]),
        };
        let found = digest::find_digest(packet, peer_key);
        self.info = Some(HandshakeInfo {
            kind: match found {
                Some((scheme, offset)) => HandshakeKind::Digest { scheme, offset },
                None => HandshakeKind::Simple,
            },
            peer_version: [packet[4], packet[5], packet[6], packet[7]],
            peer_epoch: u32::from_be_bytes([packet[0], packet[1], packet[2], packet[3]]),
            peer_response: None,
        });

        // Our answer to the peer's packet: signed if it was signed (and we
        // speak digest), an echo otherwise.
        let mut answer = Box::new([0; PACKET_LEN]);
        match found {
            Some((_, offset)) if self.config.digest => {
                rng.fill_bytes(&mut answer[..PACKET_LEN - DIGEST_LEN]);
                let peer_digest = &packet[offset..offset + DIGEST_LEN];
                digest::sign_response(&mut answer, peer_digest, our_full_key);
            }
            _ => answer.copy_from_slice(packet),
        }

        match self.role {
            Role::Client => self.out.push(Bytes::from(answer.to_vec())),
            Role::Server => {
                let scheme = match found {
                    Some((scheme, _)) if self.config.digest => Some(scheme),
                    _ => None,
                };
                self.fill_first_packet(scheme);
                let mut s0s1s2 = BytesMut::with_capacity(1 + 2 * PACKET_LEN);
                s0s1s2.extend_from_slice(&[RTMP_VERSION]);
                s0s1s2.extend_from_slice(&self.sent[..]);
                s0s1s2.extend_from_slice(&answer[..]);
                self.out.push(s0s1s2.freeze());
            }
        }
    }

    /// The peer's C2 (we are the server) or S2 (we are the client).
    fn on_second(&mut self, packet: &[u8; PACKET_LEN]) {
        let peer_full_key = match self.role {
            Role::Server => &digest::FLASH_PLAYER_KEY[..],
            Role::Client => &digest::FLASH_MEDIA_SERVER_KEY[..],
        };
        let echo = packet[..4] == self.sent[..4] && packet[8..] == self.sent[8..];
        let response = if echo {
            PeerResponse::Echo
        } else if self
            .sent_digest
            .is_some_and(|d| digest::verify_response(packet, &d, peer_full_key))
        {
            PeerResponse::DigestResponse
        } else {
            PeerResponse::Unverified
        };
        if let Some(info) = &mut self.info {
            info.peer_response = Some(response);
        }
    }
}

/// Splits one whole C1/S1/C2/S2 off the front of `buf`, if it is all there.
fn take_packet(buf: &mut BytesMut) -> Option<Box<[u8; PACKET_LEN]>> {
    if buf.len() < PACKET_LEN {
        return None;
    }
    let mut packet = Box::new([0; PACKET_LEN]);
    packet.copy_from_slice(&buf[..PACKET_LEN]);
    buf.advance(PACKET_LEN);
    Some(packet)
}
