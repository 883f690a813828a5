//! The deadlines of a bare [`RtmpConnection`]: the handshake must complete
//! in time, and the peer must keep taking the bytes queued for it.
//!
//! A session turns both off on the connection it wraps and keeps its own
//! (its handshake deadline also covers `connect`), so each rule is kept in
//! one place per machine.

use std::time::{Duration, Instant};

use wirestate_core::{Timer, TransmitQueue};

use super::RtmpConnection;
use crate::RtmpError;

/// The timers of a bare connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ConnectionTimer {
    /// The handshake did not complete in time.
    Handshake,
    /// Queued bytes waited too long for the peer to take any.
    SendStall,
}

impl Timer for ConnectionTimer {
    const ALL: &'static [Self] = &[ConnectionTimer::Handshake, ConnectionTimer::SendStall];
}

/// The configured limits, kept next to the timers.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    pub(crate) handshake: Option<Duration>,
    pub(crate) send: Option<Duration>,
}

impl RtmpConnection {
    /// Starts the connection's clock once: from
    /// [`handle_connected`](wirestate_core::Machine::handle_connected), or
    /// the first input of a connection never told it was connected.
    pub(super) fn start_clock(&mut self, now: Instant) {
        if std::mem::replace(&mut self.clock_started, true) {
            return;
        }
        if let (Some(limit), true) = (self.limits.handshake, self.handshake.is_some()) {
            self.timers.set(ConnectionTimer::Handshake, now + limit);
        }
    }

    /// Applies a write report: the send-stall timer runs while bytes wait,
    /// and restarts whenever some are written. Ignored once closed (a
    /// closed machine stays closed).
    pub(super) fn track_send(&mut self, written: usize, unsent: usize, now: Instant) {
        if !wirestate_core::Machine::is_closed(self) {
            let limit = self.limits.send;
            self.timers
                .track_send(ConnectionTimer::SendStall, limit, written, unsent, now);
        }
    }

    /// What an expired timer does.
    pub(super) fn on_deadline(&mut self, timer: ConnectionTimer) {
        match timer {
            ConnectionTimer::Handshake => {
                let limit = self.limits.handshake.unwrap_or_default();
                if self.handshake.is_some() && !self.is_dead() {
                    self.poison.fail(RtmpError::HandshakeTimeout(limit));
                }
            }
            ConnectionTimer::SendStall => {
                let limit = self.limits.send.unwrap_or_default();
                // Reported even after a clean end or a close: the peer
                // stopped reading what was still queued for it.
                self.stalled = self.poison.is_healthy();
                self.poison.fail(RtmpError::SendStalled(limit));
                self.discard_output();
            }
        }
    }

    /// Drops every queued transmit: the peer takes none of them.
    pub(crate) fn discard_output(&mut self) {
        self.out = TransmitQueue::default();
        self.held = TransmitQueue::default();
    }

    /// The next deadline: every timer while the connection runs; once it
    /// ended or was closed, only the send-stall timer, which bounds the
    /// driver's last flush; none once it is closed (after a failure, say).
    pub(super) fn next_deadline(&self) -> Option<Instant> {
        if !self.is_dead() {
            self.timers.next()
        } else if wirestate_core::Machine::is_closed(self) {
            None
        } else {
            self.timers.get(ConnectionTimer::SendStall)
        }
    }
}
