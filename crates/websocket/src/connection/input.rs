//! Input buffering: appending (unmasking on the way), the spill buffer past
//! a large frame, reserving room for a large frame, and the flow control
//! that follows from it (`wants_read`, `input_needed`).

use std::time::Instant;

use bytes::BytesMut;

use super::{State, WsConnection, WsTimer};

/// Frames of this size or more get an unshared input buffer while they arrive.
pub(super) const LARGE_FRAME: usize = 4 << 10;

/// A frame too large to reserve whole starts with a buffer of this size (or
/// twice the bytes already here): one ordinary read buffer.
const LARGE_FRAME_FLOOR: usize = 128 << 10;

impl WsConnection {
    /// Input arrived at `now`: starts the handshake clock if nothing did,
    /// re-arms the idle and keepalive timers (they only run once the
    /// connection is open), or drops the input of a finished connection.
    pub(super) fn note_input(&mut self, now: Instant) {
        self.start_handshake_clock(now);
        match self.state {
            State::Open | State::CloseSent => {
                if let Some(idle) = self.config.idle_timeout {
                    self.timers.set(WsTimer::Idle, now + idle);
                }
                self.timers.stop(WsTimer::PongTimeout);
                if let (Some(keepalive), State::Open) = (self.config.keepalive, self.state) {
                    self.timers
                        .set(WsTimer::Keepalive, now + keepalive.interval);
                }
            }
            State::Closed | State::Failed => {
                // Finished: whatever the peer still sends is ignored.
                self.input = BytesMut::new();
                self.spill = BytesMut::new();
            }
        }
    }

    /// The buffer to append received bytes to (spilled bytes first merged
    /// back, so appending keeps the wire order).
    pub(super) fn input_mut(&mut self) -> &mut BytesMut {
        if !self.spill.is_empty() {
            let spill = std::mem::take(&mut self.spill);
            self.input.extend_from_slice(&spill);
        }
        &mut self.input
    }

    /// Appends received bytes, unmasking payload bytes of the frame in
    /// progress on the way. While a large frame arrives, bytes past its end
    /// go to `spill`, so every large frame starts at the front of a buffer
    /// of its own: its buffer never grows past it (which would copy the
    /// whole frame so far), and the next frame's bytes are never moved to
    /// make room.
    pub(super) fn append_input(&mut self, data: &[u8]) {
        if !self.spill.is_empty() {
            self.spill.extend_from_slice(data);
            return;
        }
        let large = self
            .decoder
            .current()
            .is_some_and(|h| h.payload_len >= LARGE_FRAME as u64);
        if !large {
            self.decoder.append_payload(&mut self.input, data);
            return;
        }
        let missing = self.decoder.payload_missing(self.input.len());
        let (payload, rest) = data.split_at(missing.min(data.len()));
        self.decoder.append_payload(&mut self.input, payload);
        if rest.is_empty() {
            return;
        }
        // The rest starts with the next frame's header: size the spill for
        // that frame right away, so it can become the input buffer without
        // another copy (within the same bound as `reserve_frame`).
        let limits = (
            self.config.max_frame_size as u64,
            self.config.max_message_size as u64,
        );
        let next = match crate::frame::parse_header(rest, self.decoder.rules()) {
            Ok(Some(h))
                if h.payload_len >= LARGE_FRAME as u64
                    && h.payload_len <= limits.0.min(limits.1) =>
            {
                frame_reservation(
                    h.header_len,
                    h.payload_len,
                    rest.len(),
                    self.config.eager_reserve,
                )
            }
            _ => 0,
        };
        self.spill = BytesMut::with_capacity(next.max(rest.len()));
        self.decoder.append_next(&mut self.spill, rest);
    }

    /// The frame before the spilled bytes is done (`input` is empty): the
    /// spilled bytes become the input, at the front of a buffer sized for
    /// their frame (see `append_input`).
    ///
    /// When the application already dropped the finished frame's payload,
    /// that frame's buffer is free again and, having just been written, in
    /// cache: if the spill is small next to the room it needs, it is copied
    /// there, and the spill's own buffer (untouched but for those bytes) is
    /// dropped. Writing 1 MiB frames into a warm buffer instead of a fresh
    /// one made `ws_server_decode/wirestate/1MiB` 20% faster. Otherwise the
    /// spill's buffer becomes the input as it is, without a copy.
    pub(super) fn take_spill(&mut self) {
        let spill = std::mem::take(&mut self.spill);
        let small = spill.len() <= spill.capacity() / 8;
        if small && self.input.try_reclaim(spill.capacity()) {
            self.input.extend_from_slice(&spill);
        } else {
            self.input = spill;
        }
    }

    /// A large frame is arriving: reserve room for it, sized by
    /// [`frame_reservation`] (the frame's length was already checked against
    /// the limits), so a frame up to `eager_reserve` never grows again.
    ///
    /// `BytesMut::reserve` reuses the allocation when no split-off payload
    /// still shares it (the application dropped them), moving the frame's
    /// first bytes to its front; otherwise it copies them to a new one.
    pub(super) fn reserve_frame(&mut self, payload_len: u64) {
        // The header was already consumed: only payload bytes are buffered.
        let want = frame_reservation(0, payload_len, self.input.len(), self.config.eager_reserve);
        self.input.reserve(want.saturating_sub(self.input.len()));
    }

    /// `wants_read` once open: under the input high-water mark (or the
    /// frame in progress, if larger), before EOF and the end.
    pub(super) fn frames_want_read(&self) -> bool {
        let needed = self.decoder.current().map_or(0, |h| h.payload_len as usize);
        matches!(self.state, State::Open | State::CloseSent)
            && !self.peer_eof
            && self.input.len() + self.spill.len() < self.config.input_high_water.max(needed)
    }

    /// `input_needed` once open: the rest of a large frame in progress.
    pub(super) fn frame_input_needed(&self) -> Option<usize> {
        let header = self.decoder.current()?;
        if header.payload_len < LARGE_FRAME as u64 || !self.spill.is_empty() {
            return None;
        }
        Some(self.decoder.payload_missing(self.input.len())).filter(|&n| n > 0)
    }

    /// Marks the whole connection finished without an error of its own (a
    /// rejected or failed handshake): input is dropped from now on.
    pub(super) fn finish_silently(&mut self) {
        self.state = State::Failed;
        self.timers.stop_all();
        self.input = BytesMut::new();
    }
}

/// The buffer size reserved for a frame whose length passed the limits, with
/// `buffered` of its bytes (header included) already here: the whole frame
/// if its payload is at most `eager_reserve`, so it never grows (no copy);
/// otherwise [`LARGE_FRAME_FLOOR`] or twice what arrived, whichever is
/// larger, after which the buffer grows with the bytes that arrive
/// (amortized doubling). A peer that announces a frame and goes quiet thus
/// pins at most `max(eager_reserve, 128 KiB)` plus the header.
fn frame_reservation(header_len: usize, payload_len: u64, buffered: usize, eager: usize) -> usize {
    let frame = (header_len as u64).saturating_add(payload_len);
    if payload_len <= eager as u64 {
        return frame as usize;
    }
    let step = (LARGE_FRAME_FLOOR as u64).max(2 * buffered as u64);
    frame.min(step) as usize
}
