//! The line protocol as a [`Machine`]: decoder, encoder and buffers together.

use std::ops::ControlFlow;
use std::time::Instant;

use bytes::{Buf, Bytes, BytesMut};
use wirestate_core::{Goodbye, Machine, Poison, TransmitQueue};

use crate::command::LineCommand;
use crate::config::LineConfig;
use crate::decode::LineDecoder;
use crate::encode::LineEncoder;
use crate::error::{LineError, LocalError};
use crate::event::LineEvent;

/// A Sans-IO line protocol endpoint (either side: lines are symmetric).
///
/// Input is decoded lazily, one event per [`poll_event`](Machine::poll_event),
/// so a raw block requested with [`expect_raw`](LineConnection::expect_raw) right after
/// the line that announced it starts exactly after that line, whatever else
/// already arrived.
///
/// # Memory
///
/// An unterminated line is never held beyond `max_line` plus the delimiter
/// length (then it fails, is discarded or is split). [`wants_read`](Machine::wants_read)
/// turns false once [`input_high_water`](LineConnection::input_high_water)
/// bytes are buffered (see [`LineConfig::input_high_water_limit`]), except
/// while a raw block is incomplete, which is buffered whole. So the worst-case
/// input buffer is `max(input_high_water, max_raw)` plus one read of the
/// driver.
/// Transmits are queued until polled: they are the application's own data.
///
/// ```
/// use std::time::Instant;
/// use wirestate_core::Machine;
/// use wirestate_lines::{LineConfig, LineConnection, LineEvent};
///
/// let now = Instant::now();
/// let mut lines = LineConnection::new(LineConfig::default());
/// lines.handle_input(b"PING\r\npartial", now);
/// assert_eq!(lines.poll_event(), Some(Ok(LineEvent::line("PING"))));
/// assert_eq!(lines.poll_event(), None); // "partial" waits for its LF
///
/// lines.send_line("PONG")?;
/// assert_eq!(lines.poll_transmit().unwrap(), "PONG");
/// assert_eq!(lines.poll_transmit().unwrap(), "\n");
///
/// lines.handle_eof(now); // default policy: emit the unterminated line
/// assert_eq!(lines.poll_event(), Some(Ok(LineEvent::line("partial"))));
/// assert_eq!(lines.poll_event(), None);
/// assert!(lines.is_closed());
/// # Ok::<(), wirestate_lines::LineError>(())
/// ```
#[derive(Debug)]
pub struct LineConnection {
    decoder: LineDecoder,
    encoder: LineEncoder,
    input: BytesMut,
    transmits: TransmitQueue,
    input_high_water: usize,
    eof: bool,
    poison: Poison<LineError>,
}

impl LineConnection {
    /// A connection in line mode with an empty buffer.
    ///
    /// ```
    /// use wirestate_core::Machine;
    /// use wirestate_lines::{Delimiter, LineConfig, LineConnection};
    ///
    /// let config = LineConfig::new(Delimiter::crlf()).max_line(512)?;
    /// let conn = LineConnection::new(config);
    /// assert_eq!(conn.decoder().config().line_limit(), 512);
    /// assert_eq!(conn.buffered(), 0);
    /// assert!(conn.wants_read());
    /// # Ok::<(), wirestate_lines::ConfigError>(())
    /// ```
    pub fn new(config: LineConfig) -> Self {
        LineConnection {
            encoder: LineEncoder::new(config.delimiter.clone()),
            input_high_water: config.input_high_water_limit(),
            decoder: LineDecoder::new(config),
            input: BytesMut::new(),
            transmits: TransmitQueue::default(),
            eof: false,
            poison: Poison::default(),
        }
    }

    /// Queues `line` and the delimiter as two transmits (the line is not copied).
    ///
    /// ```
    /// use wirestate_core::Machine;
    /// use wirestate_lines::{Delimiter, LineConfig, LineConnection, LocalError};
    ///
    /// let mut conn = LineConnection::new(LineConfig::new(Delimiter::crlf()));
    /// conn.send_line("QUIT")?;
    /// assert_eq!(conn.poll_transmit().unwrap(), "QUIT");
    /// assert_eq!(conn.poll_transmit().unwrap(), "\r\n");
    /// assert_eq!(conn.send_line("a\r\nb"), Err(LocalError::DelimiterInLine { at: 1 }));
    /// # Ok::<(), LocalError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`LocalError::DelimiterInLine`] if the peer would read it as something
    /// else; nothing is queued.
    pub fn send_line(&mut self, line: impl Into<Bytes>) -> Result<(), LocalError> {
        let (line, delimiter) = self.encoder.encode(line.into())?;
        self.transmits.push(line);
        self.transmits.push(delimiter);
        Ok(())
    }

    /// Queues bytes to send as they are (a raw block, or pre-framed lines).
    pub fn send_raw(&mut self, bytes: impl Into<Bytes>) {
        self.transmits.push(bytes.into());
    }

    /// The next `len` bytes after the last event form one
    /// [`LineEvent::Raw`]; then line mode resumes. Call it right after the
    /// event that announced the block. See [`LineDecoder::expect_raw`].
    ///
    /// ```
    /// use std::time::Instant;
    /// use wirestate_core::Machine;
    /// use wirestate_lines::{LineConfig, LineConnection, LineEvent};
    ///
    /// let now = Instant::now();
    /// let mut lines = LineConnection::new(LineConfig::default());
    /// lines.handle_input(b"$5\r\nhe\nlo\r\n+OK\r\n", now);
    /// assert_eq!(lines.poll_event(), Some(Ok(LineEvent::line("$5"))));
    /// lines.expect_raw(5)?;
    /// assert_eq!(lines.poll_event(), Some(Ok(LineEvent::Raw("he\nlo".into()))));
    /// assert_eq!(lines.poll_event(), Some(Ok(LineEvent::line(""))));
    /// assert_eq!(lines.poll_event(), Some(Ok(LineEvent::line("+OK"))));
    /// # Ok::<(), wirestate_lines::LineError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// Local errors, nothing changes: over the raw limit, already expecting a
    /// block, discarding a line, or closed.
    pub fn expect_raw(&mut self, len: usize) -> Result<(), LocalError> {
        self.decoder.expect_raw(len)
    }

    /// The decoder state (configuration, stream offset).
    pub fn decoder(&self) -> &LineDecoder {
        &self.decoder
    }

    /// Bytes received and not yet decoded.
    pub fn buffered(&self) -> usize {
        self.input.len()
    }

    /// The borrowed fast path, for an application that parses each line in
    /// place and keeps none: hands every complete line already buffered to
    /// `f` as a `&[u8]` (what [`LineEvent::Line`] would hold), in order, and
    /// drops them from the buffer once, at the end. Returns how many lines
    /// `f` saw. Same lines, limits and errors as
    /// [`poll_event`](Machine::poll_event), without a `Bytes` per line.
    ///
    /// The batch stops when `f` returns [`ControlFlow::Break`] (after the
    /// line it was given), when the next line is incomplete, and before
    /// anything that is not a plain line: a raw block (after
    /// [`expect_raw`](LineConnection::expect_raw), so a `f` that sees a
    /// header announcing one must break, call `expect_raw`, then poll), a
    /// line over the limit under [`Overflow::Split`](crate::Overflow::Split)
    /// or [`Overflow::Discard`](crate::Overflow::Discard), the unterminated
    /// rest at EOF, a line over the limit under
    /// [`Overflow::Fail`](crate::Overflow::Fail) (fatal: the machine fails,
    /// and drops its input). So afterwards call
    /// [`poll_event`](Machine::poll_event) as usual: it hands out whatever
    /// stopped the batch, the error included, or `None`. The two paths can
    /// be mixed freely.
    ///
    /// ```
    /// use std::ops::ControlFlow;
    /// use std::time::Instant;
    /// use wirestate_core::Machine;
    /// use wirestate_lines::{LineConfig, LineConnection};
    ///
    /// let mut lines = LineConnection::new(LineConfig::default());
    /// lines.handle_input(b"GET a\r\nGET b\nGET", Instant::now());
    /// let mut keys = Vec::new();
    /// let n = lines.for_each_line(|line| {
    ///     keys.push(line[4..].to_vec());
    ///     ControlFlow::Continue(())
    /// });
    /// assert_eq!((n, keys), (2, vec![b"a".to_vec(), b"b".to_vec()]));
    /// assert_eq!(lines.buffered(), 3);
    /// assert_eq!(lines.poll_event(), None);
    /// ```
    pub fn for_each_line(&mut self, mut f: impl FnMut(&[u8]) -> ControlFlow<()>) -> usize {
        if !self.poison.is_healthy() {
            return 0;
        }
        let mut seen = 0;
        let counted = |line: &[u8]| {
            seen += 1;
            f(line)
        };
        match self.decoder.for_each_line(&self.input, counted) {
            Ok(batch) => {
                self.input.advance(batch.bytes);
                batch.lines
            }
            Err(error) => {
                // Fatal, as in `poll_event`: nothing more is decoded, and
                // `poll_event` reports it next.
                self.input = BytesMut::new();
                self.poison.fail(error);
                seen
            }
        }
    }

    /// The input high-water mark in force (see
    /// [`LineConfig::input_high_water_limit`]).
    pub fn input_high_water(&self) -> usize {
        self.input_high_water
    }

    /// Changes the input high-water mark, raised (as
    /// [`LineConfig::input_high_water`] is) to the maximum line length plus
    /// the delimiter, so a line at the limit always fits.
    ///
    /// ```
    /// use wirestate_lines::{LineConfig, LineConnection};
    ///
    /// let mut lines = LineConnection::new(LineConfig::default().max_line(100)?);
    /// lines.set_input_high_water(1 << 20);
    /// assert_eq!(lines.input_high_water(), 1 << 20);
    /// lines.set_input_high_water(10);
    /// assert_eq!(lines.input_high_water(), 101);
    /// # Ok::<(), wirestate_lines::ConfigError>(())
    /// ```
    pub fn set_input_high_water(&mut self, bytes: usize) {
        self.input_high_water = self.decoder.config().raise_input_high_water(bytes);
    }
}

impl Machine for LineConnection {
    type Event = LineEvent;
    type Command = LineCommand;
    type Error = LineError;

    fn input_buffer(&mut self) -> &mut BytesMut {
        &mut self.input
    }

    /// Nothing is decoded here: decoding happens in `poll_event`.
    fn handle_buffered_input(&mut self, _now: Instant) {
        if self.finished() {
            // Input after a failure or EOF is ignored, not buffered.
            self.input.clear();
        }
    }

    fn handle_eof(&mut self, _now: Instant) {
        self.eof = true;
    }

    fn handle_command(&mut self, cmd: LineCommand, _now: Instant) -> Result<(), LineError> {
        match cmd {
            LineCommand::Send(line) => Ok(self.send_line(line)?),
            LineCommand::SendRaw(bytes) => {
                self.send_raw(bytes);
                Ok(())
            }
            LineCommand::ExpectRaw(len) => Ok(self.expect_raw(len)?),
        }
    }

    /// The next line, raw block or oversize notice; `None` until more input
    /// arrives. A fatal [`LineError`] comes out once, then `None` forever.
    ///
    /// Its answer changes after [`handle_input`](Machine::handle_input) (or
    /// [`handle_buffered_input`](Machine::handle_buffered_input)),
    /// [`handle_eof`](Machine::handle_eof) (the unterminated line is handled
    /// as the [`EofPolicy`](crate::EofPolicy) says), and
    /// [`expect_raw`](LineConnection::expect_raw) (or
    /// [`LineCommand::ExpectRaw`]): the next bytes become one
    /// [`LineEvent::Raw`] instead of lines. Sending does not change it.
    fn poll_event(&mut self) -> Option<Result<LineEvent, LineError>> {
        if !self.poison.is_healthy() {
            return self.poison.take_error().map(Err);
        }
        // The common case, the event built in place (see `next_lf_line`).
        // Before or after EOF alike: `decode_eof` takes complete lines first.
        if let Some(bytes) = self.decoder.next_lf_line(&mut self.input) {
            return Some(Ok(LineEvent::Line {
                bytes,
                partial: false,
            }));
        }
        let event = if self.eof {
            self.decoder.decode_eof(&mut self.input).transpose()
        } else {
            self.decoder.next_event(&mut self.input)
        };
        // The decoder decodes nothing more (it failed or reached the end):
        // the input can go. Its done flag is a one-byte compare on the hot
        // path; the poison rule itself is `self.poison`'s (`check` below).
        if self.decoder.is_done() {
            self.input = BytesMut::new();
        }
        self.poison.check(event)
    }

    /// The next piece to send, in order: a line is two pieces (line,
    /// delimiter), a raw send one. Only [`send_line`](LineConnection::send_line)
    /// and [`send_raw`](LineConnection::send_raw) (or their
    /// [`LineCommand`]s) queue bytes; input, EOF and polling events never do.
    fn poll_transmit(&mut self) -> Option<Bytes> {
        self.transmits.pop()
    }

    fn wants_read(&self) -> bool {
        !self.eof
            && self.poison.is_healthy()
            && (self.input.len() < self.input_high_water
                || self.input.len() < self.decoder.raw_needed())
    }

    fn is_closed(&self) -> bool {
        self.finished()
    }
}

impl LineConnection {
    /// Nothing more will be decoded: the connection failed (the poison rule,
    /// kept by `self.poison`: the decoder reports an error, `poll_event`
    /// poisons) or the input was decoded to its end after EOF.
    fn finished(&self) -> bool {
        !self.poison.is_healthy() || (self.eof && self.decoder.is_done())
    }
}

/// The limit wrappers' goodbye ([`wirestate_core::RateLimit`],
/// [`wirestate_core::MaxAge`]): the protocol has none, so nothing is
/// queued and the wrapper stops reading and closes once what is queued is
/// flushed.
impl Goodbye for LineConnection {}

#[cfg(test)]
mod tests;
