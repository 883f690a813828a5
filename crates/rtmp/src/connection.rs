//! [`RtmpConnection`]: the handshake and the chunk stream of one connection,
//! as a [`Machine`].

use std::collections::VecDeque;
use std::time::Instant;

use bytes::{Bytes, BytesMut};
use wirestate_core::{Machine, Poison, RandomSource, TimerTable, TransmitQueue};

use crate::amf0::Amf0Limits;
use crate::chunk::{ChunkDecoder, ChunkEncoder, RawMessage};
use crate::handshake::{Handshake, HandshakeInfo};
use crate::message::{split_aggregate, type_id, Message, UserControl};
use crate::{MessageEvent, Role, RtmpCommand, RtmpConfig, RtmpError, RtmpEvent};

mod ack;
mod deadlines;
mod send;
#[cfg(test)]
mod tests;

use deadlines::{ConnectionTimer, Limits};

/// Acknowledgement windows below this are raised to it, so a peer cannot
/// make the machine answer every byte with a 16-byte acknowledgement.
pub const MIN_ACK_WINDOW: u32 = 1024;

/// One RTMP connection, server or client side: the handshake, then the
/// chunk stream with protocol control handled inside.
///
/// - Bytes that follow the handshake in the same read go to the chunk
///   decoder (nothing is lost).
/// - SetChunkSize and Abort apply inside the decoder at once.
/// - Acknowledgements are sent each time the received chunk-stream bytes
///   (handshake excluded, as nginx-rtmp and FFmpeg count) cross a multiple
///   of the peer's WindowAckSize; the sequence number is that multiple,
///   wrapping at 2^32. The peer's acknowledgements are reported, never
///   enforced.
/// - SetPeerBandwidth is answered with WindowAckSize when its size differs
///   from the window last announced.
/// - PingRequest is answered with PingResponse.
/// - Aggregate messages arrive as their sub-messages.
/// - The handshake must complete within
///   [`RtmpConfig::handshake_timeout`], counted from
///   [`handle_connected`](Machine::handle_connected) (or the first input);
///   trickled bytes do not extend it.
/// - While the driver reports bytes waiting
///   ([`handle_written`](Machine::handle_written)), the peer must take some
///   within [`RtmpConfig::send_timeout`]. This holds after the peer's EOF
///   and after [`close`](RtmpConnection::close) too: the connection is not
///   [closed](Machine::is_closed) while bytes wait, and a stall is reported
///   as [`RtmpError::SendStalled`] even then. A failure ends the connection
///   at once: the driver flushes what is queued under its drain deadline.
///
/// Messages are decoded when events are polled, so a slow application
/// slows reading down ([`wants_read`](Machine::wants_read)).
///
/// # EOF policy
///
/// After EOF the complete messages already received are still delivered;
/// then a clean end closes the machine, while EOF inside the handshake or
/// inside a message is an error ([`RtmpError::EofInHandshake`],
/// [`RtmpError::EofInMessage`]).
///
/// # Memory
///
/// Input: up to [`RtmpConfig::input_high_water`] plus one read, or one
/// chunk header plus one single-chunk message (at most
/// [`ChunkLimits::max_message_len`](crate::chunk::ChunkLimits::max_message_len)),
/// whichever is larger. Reassembly: at most
/// [`ChunkLimits::max_buffered`](crate::chunk::ChunkLimits::max_buffered).
/// Queued events: the sub-messages of one aggregate.
#[derive(Debug)]
pub struct RtmpConnection {
    role: Role,
    rng: Rng,
    /// The handshake while it runs; dropped when it completes, with its
    /// copy of our C1/S1, so an established connection does not carry it.
    handshake: Option<Handshake>,
    /// What the handshake learned, kept after it completed.
    handshake_info: Option<HandshakeInfo>,
    input: BytesMut,
    decoder: ChunkDecoder,
    encoder: ChunkEncoder,
    amf0: Amf0Limits,
    input_high_water: usize,
    /// Bytes to send, in order.
    out: TransmitQueue,
    /// Chunks sent before the handshake finished, released after it.
    held: TransmitQueue,
    events: VecDeque<RtmpEvent>,
    /// The poison rule: a fatal error is reported once.
    poison: Poison<RtmpError>,
    /// Set once the clean end was reported.
    ended: bool,
    eof: bool,
    closed_locally: bool,
    /// The last decode attempt needed more input.
    starved: bool,
    /// The peer's WindowAckSize (0: none yet, no acknowledgements).
    ack_window: u32,
    /// The next chunk-stream byte count at which to acknowledge.
    next_ack: u64,
    /// The last acknowledged byte count.
    last_ack: u64,
    /// The WindowAckSize this side announced last.
    announced_window: Option<u32>,
    /// The handshake deadline and the send-stall timer.
    timers: TimerTable<ConnectionTimer>,
    limits: Limits,
    /// Set by `handle_connected` or the first input.
    clock_started: bool,
    /// The send-stall timer fired while the connection was otherwise
    /// healthy: its error is reported even after a close or clean end.
    stalled: bool,
}

/// The injected random source (opaque in `Debug` output).
struct Rng(Box<dyn RandomSource + Send>);

impl std::fmt::Debug for Rng {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RandomSource")
    }
}

impl RtmpConnection {
    /// A connection in `role`. A client queues C0+C1 at once. `rng` fills
    /// the handshake's random bytes: [`OsRandom`](wirestate_core::OsRandom)
    /// in production, [`SeededRandom`](wirestate_core::SeededRandom) in
    /// tests.
    pub fn new(
        role: Role,
        config: RtmpConfig,
        rng: impl RandomSource + Send + 'static,
    ) -> RtmpConnection {
        let mut rng = Rng(Box::new(rng));
        let handshake = match role {
            Role::Server => Handshake::server(config.handshake, &mut *rng.0),
            Role::Client => Handshake::client(config.handshake, &mut *rng.0),
        };
        let mut connection = RtmpConnection {
            role,
            rng,
            handshake: Some(handshake),
            handshake_info: None,
            input: BytesMut::new(),
            decoder: ChunkDecoder::new(config.decoder),
            encoder: ChunkEncoder::default(),
            amf0: config.amf0,
            input_high_water: config.input_high_water,
            out: TransmitQueue::default(),
            held: TransmitQueue::default(),
            events: VecDeque::new(),
            poison: Poison::default(),
            ended: false,
            eof: false,
            closed_locally: false,
            starved: true,
            ack_window: 0,
            next_ack: 0,
            last_ack: 0,
            announced_window: None,
            timers: TimerTable::default(),
            limits: Limits {
                handshake: config.handshake_timeout,
                send: config.send_timeout,
            },
            clock_started: false,
            stalled: false,
        };
        connection.collect_handshake_output();
        connection
    }

    /// A server-side connection with the default configuration.
    pub fn server(rng: impl RandomSource + Send + 'static) -> RtmpConnection {
        RtmpConnection::new(Role::Server, RtmpConfig::default(), rng)
    }

    /// A client-side connection with the default configuration; C0+C1 are
    /// ready in [`poll_transmit`](Machine::poll_transmit) at once.
    pub fn client(rng: impl RandomSource + Send + 'static) -> RtmpConnection {
        RtmpConnection::new(Role::Client, RtmpConfig::default(), rng)
    }

    /// The role given at creation.
    pub fn role(&self) -> Role {
        self.role
    }

    /// What the handshake found out (kind, peer version, digest offset),
    /// once it is complete.
    pub fn handshake_info(&self) -> Option<&HandshakeInfo> {
        match &self.handshake {
            Some(handshake) => handshake.info(),
            None => self.handshake_info.as_ref(),
        }
    }

    /// Whether the handshake completed (messages flow).
    pub(crate) fn is_handshake_complete(&self) -> bool {
        self.handshake.is_none()
    }

    /// The chunk size the peer sends with.
    pub fn peer_chunk_size(&self) -> u32 {
        self.decoder.chunk_size()
    }

    /// The chunk size this side sends with.
    pub fn chunk_size(&self) -> u32 {
        self.encoder.chunk_size()
    }

    /// Chunk-stream bytes received and decoded so far (handshake excluded).
    pub fn bytes_received(&self) -> u64 {
        self.decoder.bytes_consumed()
    }

    fn collect_handshake_output(&mut self) {
        if let Some(handshake) = &mut self.handshake {
            while let Some(bytes) = handshake.poll_transmit() {
                self.out.push(bytes);
            }
        }
    }

    fn is_dead(&self) -> bool {
        self.closed_locally || self.ended || !self.poison.is_healthy()
    }

    /// Runs the handshake over the buffered input until it completes.
    fn advance_handshake(&mut self) {
        if self.is_dead() {
            return;
        }
        let Some(handshake) = &mut self.handshake else {
            return;
        };
        let result = handshake.advance(&mut self.input, &mut *self.rng.0);
        self.collect_handshake_output();
        match result {
            Ok(true) => {
                self.timers.stop(ConnectionTimer::Handshake);
                self.handshake_info = self.handshake.take().and_then(|h| h.info().cloned());
                let mut held = std::mem::take(&mut self.held);
                while let Some(piece) = held.pop() {
                    self.out.push(piece);
                }
                self.events.push_back(RtmpEvent::HandshakeComplete);
            }
            Ok(false) => {}
            Err(e) => self.poison.fail(e.into()),
        }
    }

    /// Applies protocol control and turns a raw message into events.
    fn on_message(&mut self, raw: RawMessage) -> RtmpEvent {
        if raw.type_id == type_id::AGGREGATE {
            return match split_aggregate(&raw) {
                Ok(parts) => {
                    let mut parts = parts.into_iter();
                    let Some(first) = parts.next() else {
                        return self.message_event(raw);
                    };
                    for part in parts {
                        let event = self.message_event(part);
                        self.events.push_back(event);
                    }
                    self.message_event(first)
                }
                Err(error) => RtmpEvent::InvalidMessage { raw, error },
            };
        }
        self.message_event(raw)
    }

    fn message_event(&mut self, raw: RawMessage) -> RtmpEvent {
        let message = match Message::decode(raw.type_id, raw.payload.clone(), &self.amf0) {
            Ok(message) => message,
            Err(error) => return RtmpEvent::InvalidMessage { raw, error },
        };
        match &message {
            Message::WindowAckSize(window) => self.set_ack_window(*window),
            Message::SetPeerBandwidth { size, .. } if self.announced_window != Some(*size) => {
                self.send_control(Message::WindowAckSize(*size));
            }
            Message::UserControl(UserControl::PingRequest(timestamp)) => {
                self.send_control(Message::UserControl(UserControl::PingResponse(*timestamp)));
            }
            _ => {}
        }
        RtmpEvent::Message(MessageEvent {
            csid: raw.csid,
            stream_id: raw.stream_id,
            timestamp: raw.timestamp,
            len: raw.payload.len(),
            message,
        })
    }

    /// What to report once the input is exhausted after EOF.
    fn end_of_input(&mut self) -> Option<Result<RtmpEvent, RtmpError>> {
        if self.handshake.is_some() {
            return Some(Err(RtmpError::EofInHandshake));
        }
        if !self.input.is_empty() || !self.decoder.is_idle() {
            return Some(Err(RtmpError::EofInMessage {
                buffered: self.input.len() + self.decoder.buffered(),
            }));
        }
        self.ended = true;
        None
    }

    /// Decodes the next message after the handshake. Acknowledgements are
    /// due for every byte the decoder consumed, whatever the outcome, so
    /// that they do not depend on how the input was cut.
    fn decode_next(&mut self) -> Option<Result<RtmpEvent, RtmpError>> {
        let decoded = self.decoder.decode(&mut self.input);
        self.acknowledge();
        match decoded {
            Ok(Some(raw)) => Some(Ok(self.on_message(raw))),
            Ok(None) => {
                self.starved = true;
                if self.input.is_empty() {
                    // Nothing buffered: give the memory back, so an idle
                    // connection holds no input buffer (a driver reserves a
                    // fresh one before its next read).
                    self.input = BytesMut::new();
                }
                if self.eof {
                    self.end_of_input()
                } else {
                    None
                }
            }
            Err(error) => Some(Err(error.into())),
        }
    }

    /// Bytes of received input not handed out yet: undecoded input plus
    /// unfinished messages being reassembled.
    pub fn buffered(&self) -> usize {
        self.input.len() + self.decoder.buffered()
    }

    /// The input high-water mark ([`RtmpConfig::input_high_water`]).
    pub fn input_high_water(&self) -> usize {
        self.input_high_water
    }

    /// Changes the input high-water mark.
    pub fn set_input_high_water(&mut self, bytes: usize) {
        self.input_high_water = bytes;
    }
}

impl Machine for RtmpConnection {
    type Event = RtmpEvent;
    type Command = RtmpCommand;
    type Error = RtmpError;

    fn input_buffer(&mut self) -> &mut BytesMut {
        &mut self.input
    }

    fn handle_buffered_input(&mut self, now: Instant) {
        self.start_clock(now);
        if self.is_dead() || self.eof {
            self.input.clear();
            return;
        }
        self.starved = false;
        self.advance_handshake();
    }

    fn handle_eof(&mut self, _now: Instant) {
        self.eof = true;
    }

    /// Starts the handshake deadline ([`RtmpConfig::handshake_timeout`]).
    fn handle_connected(&mut self, now: Instant) {
        self.start_clock(now);
    }

    /// Runs the send-stall timer ([`RtmpConfig::send_timeout`]).
    fn handle_written(&mut self, written: usize, unsent: usize, now: Instant) {
        self.track_send(written, unsent, now);
    }

    /// The handshake deadline or the send stall: poll the error next.
    fn handle_timeout(&mut self, now: Instant) {
        while let Some(timer) = self.timers.expire(now) {
            self.on_deadline(timer);
        }
    }

    /// A bare connection has no goodbye to say: it closes (what is queued
    /// can still be drained) and returns `false`.
    fn handle_shutdown(&mut self, _now: Instant) -> bool {
        self.close();
        false
    }

    fn handle_command(&mut self, cmd: RtmpCommand, _now: Instant) -> Result<(), RtmpError> {
        match cmd {
            RtmpCommand::Send(outgoing) => Ok(self.send_outgoing(outgoing)?),
            RtmpCommand::Close => {
                self.close();
                Ok(())
            }
        }
    }

    /// Decodes and returns the next event. Its answer changes after the
    /// `handle_*` calls, and after [`close`](RtmpConnection::close) (no
    /// more events from then on, but for [`RtmpError::SendStalled`] if the
    /// send-stall timer fires); [`send`](RtmpConnection::send) never
    /// changes it. Acknowledgements and ping answers are queued while
    /// polling: drain [`poll_transmit`](Machine::poll_transmit) after it.
    fn poll_event(&mut self) -> Option<Result<RtmpEvent, RtmpError>> {
        if let Some(event) = self.events.pop_front() {
            return Some(Ok(event));
        }
        // Events are large and rarely queued (the handshake's end,
        // aggregates): an idle connection keeps no capacity for them.
        if self.events.capacity() > 0 {
            self.events = VecDeque::new();
        }
        if self.ended || self.closed_locally {
            // Only a send stall is reported after the end or a close.
            return if self.stalled {
                self.poison.take_error().map(Err)
            } else {
                None
            };
        }
        if !self.poison.is_healthy() {
            return self.poison.take_error().map(Err);
        }
        if self.handshake.is_some() {
            self.starved = true;
            return if self.eof {
                let end = self.end_of_input();
                self.poison.check(end)
            } else {
                None
            };
        }
        let next = self.decode_next();
        self.poison.check(next)
    }

    /// The next piece to send, in order: handshake bytes, then chunks.
    ///
    /// Bytes are queued by [`new`](RtmpConnection::new) (a client's C0+C1),
    /// `handle_input` (the handshake's answers; chunks sent before the
    /// handshake completed are released when it does),
    /// [`send`](RtmpConnection::send) and
    /// [`send_outgoing`](RtmpConnection::send_outgoing) (or
    /// [`RtmpCommand::Send`]), and `poll_event` (acknowledgements and ping
    /// answers). [`close`](RtmpConnection::close) queues nothing; what was
    /// queued before can still be drained.
    fn poll_transmit(&mut self) -> Option<Bytes> {
        let piece = self.out.pop();
        if piece.is_none() {
            // Drained: an idle connection keeps no queue capacity (the
            // next send allocates once).
            self.out.release_if_empty();
        }
        piece
    }

    /// The handshake deadline while it runs, and the send-stall deadline
    /// while the driver reports bytes waiting (also after the end, to bound
    /// the last flush). Its answer changes after `handle_connected`, the
    /// first input, `handle_written`, `handle_timeout` and the handshake's
    /// completion.
    fn poll_timeout(&self) -> Option<Instant> {
        self.next_deadline()
    }

    fn wants_read(&self) -> bool {
        !self.is_dead() && !self.eof && (self.starved || self.input.len() < self.input_high_water)
    }

    /// Unfinished messages being reassembled from their chunks.
    fn held_bytes(&self) -> usize {
        self.decoder.buffered()
    }

    /// True once closed, ended or failed (the error reported), and no
    /// bytes wait for the peer under the send-stall timer.
    fn is_closed(&self) -> bool {
        let failed = !self.poison.is_healthy() && !self.poison.has_pending_error();
        let done = self.closed_locally || self.ended || failed;
        let pending = self.poison.has_pending_error() && self.stalled;
        // A failure is the end even while bytes wait (the driver flushes
        // them under its drain deadline): otherwise whether it found the
        // send-stall timer running, that is whether the acknowledgements
        // before the bad chunk were queued in an earlier call, would depend
        // on how the input was cut.
        done && !pending && (failed || !self.timers.is_armed(ConnectionTimer::SendStall))
    }
}
