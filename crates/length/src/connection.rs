//! [`LengthConnection`]: length-prefix framing as a [`Machine`].

use std::ops::ControlFlow;
use std::time::Instant;

use bytes::{Buf, Bytes, BytesMut};
use wirestate_core::{Goodbye, Machine, Poison, TransmitQueue};

use crate::decode::FrameDecoder;
use crate::{LengthCommand, LengthConfig, LengthError, LengthEvent, LocalError};

/// The default input high-water mark: 64 KiB.
pub const DEFAULT_INPUT_HIGH_WATER: usize = 64 * 1024;

/// Length-prefix framing as a Sans-IO [`Machine`]: bytes in, frames out;
/// payloads in, header and payload out.
///
/// ```
/// use std::time::Instant;
/// use bytes::Bytes;
/// use wirestate_core::Machine;
/// use wirestate_length::{LengthConfig, LengthConnection, LengthEvent};
///
/// let now = Instant::now();
/// let mut machine = LengthConnection::new(LengthConfig::erlang(4));
/// machine.handle_input(b"\0\0\0\x02hi\0\0", now);
/// assert_eq!(machine.poll_event(), Some(Ok(LengthEvent::Frame(Bytes::from_static(b"hi")))));
/// assert_eq!(machine.poll_event(), None); // half a header: wait for more
///
/// machine.send(Bytes::from_static(b"yo")).unwrap();
/// assert_eq!(machine.poll_transmit().unwrap(), &b"\0\0\0\x02"[..]);
/// assert_eq!(machine.poll_transmit().unwrap(), &b"yo"[..]);
/// assert_eq!(machine.poll_transmit(), None);
/// ```
///
/// # Decoding, events and errors
///
/// Frames are decoded lazily, in [`poll_event`](Machine::poll_event), straight
/// off the input buffer. A frame over the limit is a fatal
/// [`LengthError::Oversize`] or an [`LengthEvent::Oversize`] event, as the
/// [`OversizePolicy`](crate::OversizePolicy) says. Every peer error is fatal:
/// returned once, then `poll_event` returns `None` and the machine is closed.
///
/// # End of stream
///
/// After [`handle_eof`](Machine::handle_eof), the buffered frames still come
/// out. If the stream ended between frames the machine then reports
/// [`is_closed`](Machine::is_closed); if it ended inside a frame (header,
/// payload or a skipped oversize frame), the last event is
/// [`LengthError::Truncated`]: a partial frame is never handed out.
/// Input after EOF is ignored.
///
/// # Memory
///
/// Nothing is reserved from an announced length: the buffer only holds bytes
/// that arrived. [`wants_read`](Machine::wants_read) turns `false` once the
/// buffer holds the [high-water mark](LengthConnection::set_input_high_water)
/// (default [`DEFAULT_INPUT_HIGH_WATER`]), unless the frame at its front needs
/// more: then it stays `true` until that frame is complete. The bytes of a
/// skipped frame are dropped as they arrive. So with a driver that reads only
/// while `wants_read()` and drains events after each read, the buffer holds at
/// most `max(high-water mark, header + frame_length_limit)` plus one read.
///
/// The same holds for the [Erlang packet types](LengthConfig::erlang_packet),
/// whose limit counts every byte after the header (fcgi padding included).
/// An asn1 tag has no length bound in Erlang, and none here: a peer sending
/// an endless tag fills the buffer to the high-water mark, then `wants_read`
/// turns `false` and the connection stalls (an idle timeout ends it); the
/// tag is scanned once, however it is cut. `raw` hands out whatever is
/// buffered, so it never holds more than the high-water mark plus one read.
#[derive(Debug)]
pub struct LengthConnection {
    decoder: FrameDecoder,
    input: BytesMut,
    /// Stream offset where the input ended (set by EOF), so bytes appended
    /// later can be told apart and dropped.
    eof_at: u64,
    transmits: TransmitQueue,
    /// Headers are written here and split off, so sending does not allocate
    /// per frame.
    header_scratch: BytesMut,
    input_high_water: usize,
    /// The event `poll_event_slow` produced, handed out right away.
    slow_event: Option<Result<LengthEvent, LengthError>>,
    eof: bool,
    poison: Poison<LengthError>,
}

impl LengthConnection {
    /// A connection that decodes and encodes with `config`.
    ///
    /// ```
    /// use wirestate_core::Machine;
    /// use wirestate_length::{LengthConfig, LengthConnection, DEFAULT_INPUT_HIGH_WATER};
    ///
    /// let conn = LengthConnection::new(LengthConfig::erlang(4).max_frame_length(1024));
    /// assert_eq!(conn.config().frame_length_limit(), 1024);
    /// assert_eq!(conn.input_high_water(), DEFAULT_INPUT_HIGH_WATER);
    /// assert_eq!(conn.buffered(), 0);
    /// assert!(conn.wants_read());
    /// ```
    pub fn new(config: LengthConfig) -> Self {
        LengthConnection {
            decoder: FrameDecoder::new(config),
            input: BytesMut::new(),
            eof_at: 0,
            transmits: TransmitQueue::default(),
            header_scratch: BytesMut::new(),
            input_high_water: DEFAULT_INPUT_HIGH_WATER,
            slow_event: None,
            eof: false,
            poison: Poison::default(),
        }
    }

    /// The configuration in use (with the current maximum frame length).
    pub fn config(&self) -> &LengthConfig {
        self.decoder.config()
    }

    /// Queues one frame: its header and then `payload` itself come out of
    /// [`poll_transmit`](Machine::poll_transmit) as two pieces (one, the
    /// header, for an empty payload). The payload is not copied.
    ///
    /// ```
    /// use bytes::Bytes;
    /// use wirestate_core::Machine;
    /// use wirestate_length::{LengthConfig, LengthConnection, LocalError};
    ///
    /// let mut machine = LengthConnection::new(LengthConfig::erlang(1));
    /// let payload = Bytes::from(vec![7; 300]);
    /// assert_eq!(
    ///     machine.send(payload),
    ///     Err(LocalError::PayloadTooLarge { len: 300, max: 255 })
    /// );
    /// assert_eq!(machine.poll_transmit(), None);
    /// ```
    ///
    /// # Errors
    ///
    /// Local errors, nothing queued: [`LocalError::PayloadTooLarge`] and
    /// [`LocalError::PayloadTooShort`] (see
    /// [`LengthConfig::encode_header`]), [`LocalError::Closed`] after a fatal
    /// error. After a clean EOF sending still works: the peer closed only its
    /// own side.
    pub fn send(&mut self, payload: Bytes) -> Result<(), LocalError> {
        if !self.poison.is_healthy() {
            return Err(LocalError::Closed);
        }
        if self.header_scratch.capacity() < 64 {
            self.header_scratch.reserve(1024);
        }
        self.decoder
            .config()
            .encode_header_into(payload.len(), &mut self.header_scratch)?;
        self.transmits.push(self.header_scratch.split().freeze());
        self.transmits.push(payload);
        Ok(())
    }

    /// Changes the maximum frame length mid-stream (clamped as
    /// [`LengthConfig::frame_length_limit`] says). It applies to every frame not
    /// handed out yet by [`poll_event`](Machine::poll_event), even one whose
    /// header already arrived; an oversize frame already reported and being
    /// skipped is skipped to its end.
    pub fn set_max_frame_length(&mut self, max: usize) {
        self.decoder.set_max_frame_length(max);
    }

    /// The input high-water mark, see [`set_input_high_water`](LengthConnection::set_input_high_water).
    pub fn input_high_water(&self) -> usize {
        self.input_high_water
    }

    /// Sets the number of buffered bytes at which
    /// [`wants_read`](Machine::wants_read) turns `false` (the application is
    /// behind on events), unless the frame being received needs more.
    pub fn set_input_high_water(&mut self, bytes: usize) {
        self.input_high_water = bytes;
    }

    /// Bytes received and not yet handed out or discarded.
    pub fn buffered(&self) -> usize {
        self.input.len()
    }

    /// The borrowed fast path, for an application that parses each frame in
    /// place and keeps none: hands every complete frame already buffered to
    /// `f` as a `&[u8]` (the payload, or header and payload if the header is
    /// kept), in order, and drops them from the buffer once, at the end.
    /// Returns how many frames `f` saw. Same frames, same limits, same
    /// errors as [`poll_event`](Machine::poll_event), without a `Bytes` per
    /// frame.
    ///
    /// The batch stops when `f` returns [`ControlFlow::Break`] (after the
    /// frame it was given), when the next frame is incomplete, and before
    /// anything that is not a plain frame: an oversize frame under
    /// [`OversizePolicy::Skip`](crate::OversizePolicy::Skip) (and its
    /// skipping), an Erlang `raw` packet, a truncated frame at EOF, a peer
    /// error (fatal: the machine fails, and drops its input). So afterwards
    /// call [`poll_event`](Machine::poll_event) as usual: it hands out
    /// whatever stopped the batch, the error included (or `None`, waiting
    /// for input). The two paths can be mixed freely.
    ///
    /// ```
    /// use std::ops::ControlFlow;
    /// use std::time::Instant;
    /// use wirestate_core::Machine;
    /// use wirestate_length::{LengthConfig, LengthConnection};
    ///
    /// let mut machine = LengthConnection::new(LengthConfig::erlang(1));
    /// machine.handle_input(b"\x02hi\x03you\x05ha", Instant::now());
    /// let mut total = 0;
    /// let frames = machine.for_each_frame(|frame| {
    ///     total += frame.len();
    ///     ControlFlow::Continue(())
    /// });
    /// assert_eq!((frames, total), (2, 5));
    /// assert_eq!(machine.buffered(), 3); // the incomplete third frame
    /// assert_eq!(machine.poll_event(), None);
    /// ```
    pub fn for_each_frame(&mut self, mut f: impl FnMut(&[u8]) -> ControlFlow<()>) -> usize {
        if !self.poison.is_healthy() {
            return 0;
        }
        let mut seen = 0;
        let counted = |frame: &[u8]| {
            seen += 1;
            f(frame)
        };
        match self.decoder.for_each_frame(&self.input, counted) {
            Ok(batch) => {
                self.input.advance(batch.bytes);
                batch.frames
            }
            Err(error) => {
                // Fatal, as in `poll_event_slow`: nothing more is decoded,
                // and `poll_event` reports it next.
                self.input = BytesMut::new();
                self.poison.fail(error);
                seen
            }
        }
    }

    /// Everything but a complete frame at the front of the buffer: a header
    /// to parse, an oversize frame, EOF, an error. Leaves the outcome in
    /// `slow_event` and says whether there is one.
    ///
    /// Why not return it: merging an event returned in memory from here with
    /// the fast path's frame makes the compiler route every frame through a
    /// stack slot, which doubles the per-frame cost on small frames.
    #[cold]
    #[inline(never)]
    fn poll_event_slow(&mut self) -> bool {
        let next = match self.decoder.decode(&mut self.input) {
            Ok(Some(event)) => Some(Ok(event)),
            Ok(None) if self.eof => self.decoder.eof_error(&self.input).map(Err),
            Ok(None) => None,
            Err(error) => Some(Err(error)),
        };
        if matches!(next, Some(Err(_))) {
            // Fatal: nothing more is decoded, so the input can go.
            self.input = BytesMut::new();
        }
        self.slow_event = self.poison.check(next);
        self.slow_event.is_some()
    }
}

impl Machine for LengthConnection {
    type Event = LengthEvent;
    type Command = LengthCommand;
    type Error = LengthError;

    fn input_buffer(&mut self) -> &mut BytesMut {
        &mut self.input
    }

    fn handle_buffered_input(&mut self, _now: Instant) {
        if !self.poison.is_healthy() {
            self.input.clear();
            return;
        }
        if self.eof {
            // Nothing after EOF is decoded: drop what was appended since.
            let valid = self.eof_at.saturating_sub(self.decoder.stream_offset());
            self.input.truncate(valid as usize);
            return;
        }
        self.decoder.discard_skipped(&mut self.input);
    }

    fn handle_eof(&mut self, _now: Instant) {
        if !self.eof {
            self.eof = true;
            self.eof_at = self.decoder.stream_offset() + self.input.len() as u64;
        }
    }

    fn handle_command(&mut self, cmd: LengthCommand, _now: Instant) -> Result<(), LengthError> {
        match cmd {
            LengthCommand::Send(payload) => Ok(self.send(payload)?),
        }
    }

    /// The next frame or oversize notice; `None` until more input arrives.
    /// See the [type docs](LengthConnection) for errors and EOF.
    ///
    /// Its answer changes after [`handle_input`](Machine::handle_input) (or
    /// [`handle_buffered_input`](Machine::handle_buffered_input)),
    /// [`handle_eof`](Machine::handle_eof) (a cut frame becomes
    /// [`LengthError::Truncated`]) and
    /// [`set_max_frame_length`](LengthConnection::set_max_frame_length)
    /// (a pending frame may become oversize). Sending does not change it.
    // Always: with `#[inline]` alone a second call site in the caller
    // (say, after a borrowed batch) kept it out of line, +28% per 16 B frame.
    #[inline(always)]
    fn poll_event(&mut self) -> Option<Result<LengthEvent, LengthError>> {
        if !self.poison.is_healthy() {
            // An error a borrowed batch met, once; then nothing.
            return self.poison.take_error().map(Err);
        }
        if let Some(frame) = self.decoder.decode_complete(&mut self.input) {
            return Some(Ok(LengthEvent::Frame(frame)));
        }
        if self.poll_event_slow() {
            self.slow_event.take()
        } else {
            None
        }
    }

    /// The next piece to send, in order: each frame is two pieces (header,
    /// payload). Only [`send`](LengthConnection::send) (or
    /// [`LengthCommand::Send`]) queues bytes; input, EOF and polling events
    /// never do.
    fn poll_transmit(&mut self) -> Option<Bytes> {
        self.transmits.pop()
    }

    /// `false` after EOF or a fatal error, and while the buffer holds at least
    /// the high-water mark and no incomplete frame at its front needs more.
    fn wants_read(&self) -> bool {
        if !self.poison.is_healthy() || self.eof {
            return false;
        }
        self.input.len() < self.input_high_water.max(self.decoder.frame_bytes_needed())
    }

    /// `true` after a fatal error has been returned, or after EOF once every
    /// buffered frame was handed out.
    fn is_closed(&self) -> bool {
        !self.poison.is_healthy()
            || (self.eof && self.input.is_empty() && self.decoder.is_between_frames())
    }
}

/// The limit wrappers' goodbye ([`wirestate_core::RateLimit`],
/// [`wirestate_core::MaxAge`]): the protocol has none, so nothing is
/// queued and the wrapper stops reading and closes once what is queued is
/// flushed.
impl Goodbye for LengthConnection {}
