//! A tiny machine for testing drivers: frames with a one-byte length prefix,
//! a settable deadline, backpressure and a goodbye, so a driver's loop can be
//! checked without any real protocol.

use std::time::Instant;

use crate::testing::transport::Step;
use crate::{Machine, Poison, TransmitQueue};
use bytes::{Buf, Bytes, BytesMut};

/// `[len][len bytes]` frames, a deadline that turns into an event, a
/// high-water mark for backpressure, and a goodbye (an empty frame) on close
/// and on the fatal error (EOF inside a frame).
#[derive(Debug, Default)]
pub struct Tiny {
    buf: BytesMut,
    out: TransmitQueue,
    /// `wants_read` is false while this many bytes or more are buffered.
    pub high_water: usize,
    /// When set, `handle_timeout` at or after it yields `TinyEvent::TimedOut`.
    pub deadline: Option<Instant>,
    timed_out: bool,
    eof: bool,
    closed: bool,
    poison: Poison<TinyError>,
    /// How many times bytes were handed over with `handle_buffered_input`.
    pub inputs: usize,
    /// When set, an empty frame is a ping: `poll_event` answers it with
    /// [`PONG`] and yields no event for it, the way a WebSocket machine
    /// answers pings (bytes queued by a `poll_event` that returns `None`).
    pub answer_pings: bool,
    /// When set, a frame that is not complete gets its room reserved in the
    /// input buffer, and [`Machine::input_needed`] reports what is missing,
    /// the way a WebSocket machine handles large frames.
    pub reserve_frames: bool,
    /// The buffer's capacity when room for the frame in progress was
    /// reserved ([`Tiny::reserve_frames`]).
    reserved_capacity: Option<usize>,
    /// How many reads changed the capacity of a buffer whose frame had room
    /// reserved (a driver that grew it instead of reading into the room).
    pub reserved_buffer_grown: usize,
}

/// What [`Tiny`] decodes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TinyEvent {
    /// One frame's payload.
    Frame(Bytes),
    /// The deadline passed.
    TimedOut,
}

/// What a test can ask [`Tiny`] to do.
#[derive(Debug, Clone)]
pub enum TinyCommand {
    /// Send a frame: header and payload as two transmits.
    Send(Bytes),
    /// Queue the goodbye (an empty frame) and close.
    Close,
    /// Lift the high-water mark: want input again.
    Resume,
}

/// How [`Tiny`] fails.
#[derive(Debug, thiserror::Error)]
pub enum TinyError {
    /// EOF arrived inside a frame (fatal; the goodbye is queued).
    #[error("eof inside a frame: {0} bytes buffered")]
    Truncated(usize),
    /// A command after [`TinyCommand::Close`] (local).
    #[error("the machine is closed")]
    Closed,
    /// A payload over 255 bytes (local).
    #[error("frame longer than 255 bytes")]
    TooLong,
}

/// What [`Tiny`] transmits for a ping when [`Tiny::answer_pings`] is set.
pub const PONG: &[u8] = b"P";

/// The goodbye [`Tiny`] transmits on close and on its fatal error.
pub const GOODBYE: &[u8] = &[0];

impl Tiny {
    /// A machine with no deadline and no high-water mark.
    pub fn new() -> Self {
        Tiny {
            high_water: usize::MAX,
            ..Tiny::default()
        }
    }

    /// A machine that answers pings (see [`Tiny::answer_pings`]).
    pub fn answering_pings() -> Self {
        Tiny {
            answer_pings: true,
            ..Tiny::new()
        }
    }

    /// A machine that reserves room for incomplete frames (see
    /// [`Tiny::reserve_frames`]).
    pub fn reserving_frames() -> Self {
        Tiny {
            reserve_frames: true,
            ..Tiny::new()
        }
    }

    /// A machine that stops wanting input once `bytes` are buffered.
    pub fn with_high_water(bytes: usize) -> Self {
        Tiny {
            high_water: bytes,
            ..Tiny::new()
        }
    }

    /// A machine whose deadline is `deadline`.
    pub fn with_deadline(deadline: Instant) -> Self {
        Tiny {
            deadline: Some(deadline),
            ..Tiny::new()
        }
    }

    /// Bytes received and not yet decoded.
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }
}

/// Reads for a [`Tiny::with_high_water(2)`](Tiny::with_high_water): the
/// first brings 3 bytes of a 9-byte frame, past the mark, so the second (the
/// rest of the frame) must stay unread until the application acts.
pub fn stalling_reads() -> Vec<Step> {
    vec![
        Step::Data(vec![9, 1, 2]),
        Step::Data(vec![3, 4, 5, 6, 7, 8, 9]),
    ]
}

/// The wire form of a frame.
pub fn frame(payload: &[u8]) -> Vec<u8> {
    let mut wire = vec![u8::try_from(payload.len()).unwrap()];
    wire.extend_from_slice(payload);
    wire
}

impl Machine for Tiny {
    type Event = TinyEvent;
    type Command = TinyCommand;
    type Error = TinyError;

    fn input_buffer(&mut self) -> &mut BytesMut {
        &mut self.buf
    }

    fn handle_buffered_input(&mut self, _now: Instant) {
        self.inputs += 1;
        if self
            .reserved_capacity
            .is_some_and(|c| c != self.buf.capacity())
        {
            self.reserved_buffer_grown += 1;
        }
    }

    fn handle_eof(&mut self, _now: Instant) {
        self.eof = true;
    }

    fn handle_timeout(&mut self, now: Instant) {
        if self.deadline.is_some_and(|deadline| now >= deadline) {
            self.deadline = None;
            self.timed_out = true;
        }
    }

    fn handle_command(&mut self, cmd: TinyCommand, _now: Instant) -> Result<(), TinyError> {
        if self.closed {
            return Err(TinyError::Closed);
        }
        match cmd {
            TinyCommand::Send(payload) => {
                let len = u8::try_from(payload.len()).map_err(|_| TinyError::TooLong)?;
                self.out.push(Bytes::copy_from_slice(&[len]));
                self.out.push(payload);
            }
            TinyCommand::Close => {
                self.out.push(Bytes::from_static(GOODBYE));
                self.closed = true;
            }
            TinyCommand::Resume => self.high_water = usize::MAX,
        }
        Ok(())
    }

    fn poll_event(&mut self) -> Option<Result<TinyEvent, TinyError>> {
        if !self.poison.is_healthy() {
            return self.poison.take_error().map(Err);
        }
        let next = self.next_event();
        self.poison.check(next)
    }

    fn poll_transmit(&mut self) -> Option<Bytes> {
        self.out.pop()
    }

    fn poll_timeout(&self) -> Option<Instant> {
        self.deadline
    }

    fn wants_read(&self) -> bool {
        !self.eof && !self.closed && self.poison.is_healthy() && self.buf.len() < self.high_water
    }

    fn input_needed(&self) -> Option<usize> {
        self.reserved_capacity?;
        let frame = usize::from(*self.buf.first()?) + 1;
        frame.checked_sub(self.buf.len()).filter(|&n| n > 0)
    }

    fn is_closed(&self) -> bool {
        self.closed
    }
}

impl Tiny {
    /// The next event, or the fatal error (which `poll_event` poisons on).
    fn next_event(&mut self) -> Option<Result<TinyEvent, TinyError>> {
        if std::mem::take(&mut self.timed_out) {
            return Some(Ok(TinyEvent::TimedOut));
        }
        while self.answer_pings && self.buf.first() == Some(&0) {
            self.buf.advance(1);
            self.out.push(Bytes::from_static(PONG));
        }
        if let Some(&len) = self.buf.first() {
            let len = usize::from(len);
            if self.buf.len() > len {
                self.reserved_capacity = None;
                let mut unit = self.buf.split_to(len + 1);
                return Some(Ok(TinyEvent::Frame(unit.split_off(1).freeze())));
            }
            if self.reserve_frames && self.reserved_capacity.is_none() {
                self.buf.reserve(len + 1 - self.buf.len());
                self.reserved_capacity = Some(self.buf.capacity());
            }
            if self.eof {
                // Fatal: say goodbye, as WebSocket does with a close frame.
                self.out.push(Bytes::from_static(GOODBYE));
                return Some(Err(TinyError::Truncated(self.buf.len())));
            }
        }
        None
    }
}
