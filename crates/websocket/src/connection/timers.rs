//! The deadlines of a [`WsConnection`]: which [`WsTimer`]s run in which
//! phase, what each does when it expires, the handshake clock and the
//! send-stall clock fed by the driver's write reports.

use std::time::{Duration, Instant};

use bytes::Bytes;
use wirestate_core::{Timer, TimerTable, TransmitQueue};

use super::handshake_phase::Phase;
use super::{State, WsConnection};
use crate::error::WsError;
use crate::frame::OpCode;

/// The named deadlines of a [`WsConnection`], kept in a
/// [`TimerTable`]. During the opening handshake only
/// [`Handshake`](WsTimer::Handshake) and [`SendStall`](WsTimer::SendStall)
/// run; the idle and keepalive deadlines armed by the handshake's input
/// start to count once the connection is open. A finished connection has
/// none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WsTimer {
    /// No input for [`WsConfig::idle_timeout`](crate::WsConfig::idle_timeout):
    /// the connection fails with [`WsError::IdleTimeout`] (close code 1001).
    Idle,
    /// No input for the keepalive interval: a ping goes out.
    Keepalive,
    /// No input within the keepalive timeout after that ping: the
    /// connection fails with [`WsError::KeepaliveTimeout`].
    PongTimeout,
    /// The opening handshake did not complete within
    /// [`WsConfig::handshake_timeout`](crate::WsConfig::handshake_timeout)
    /// of the connection's start: the connection fails with
    /// [`WsError::HandshakeTimeout`] (a server that has not answered yet
    /// answers `408 Request Timeout`).
    Handshake,
    /// Bytes waited to be sent and the peer took none for
    /// [`WsConfig::send_timeout`](crate::WsConfig::send_timeout): the
    /// connection fails with [`WsError::SendStalled`].
    SendStall,
}

impl Timer for WsTimer {
    const ALL: &'static [Self] = &[
        WsTimer::Idle,
        WsTimer::Keepalive,
        WsTimer::PongTimeout,
        WsTimer::Handshake,
        WsTimer::SendStall,
    ];
}

/// The timers that run during the opening handshake.
const HANDSHAKE_TIMERS: [WsTimer; 2] = [WsTimer::Handshake, WsTimer::SendStall];

/// Which timers expired in one `handle_timeout` call.
#[derive(Default)]
struct Expired {
    idle: bool,
    ping: bool,
    pong: bool,
    handshake: bool,
    send_stall: bool,
}

impl WsConnection {
    /// The deadlines that run now, as their own table: every armed timer
    /// once open, only the handshake and send-stall deadlines during the
    /// handshake, nothing once finished.
    fn running_timers(&self) -> TimerTable<WsTimer> {
        match self.phase {
            _ if self.is_finished() => TimerTable::default(),
            Phase::Open => self.timers.clone(),
            Phase::Request { .. } | Phase::Deciding { .. } | Phase::Response { .. } => {
                let mut running = TimerTable::default();
                for timer in HANDSHAKE_TIMERS {
                    if let Some(at) = self.timers.get(timer) {
                        running.set(timer, at);
                    }
                }
                running
            }
            Phase::Done => TimerTable::default(),
        }
    }

    /// `poll_timeout`: the earliest running deadline.
    pub(super) fn next_deadline(&self) -> Option<Instant> {
        self.running_timers().next()
    }

    /// Whether the connection is over (closed, failed, rejected): it has
    /// no timers and takes no more input.
    pub(super) fn is_finished(&self) -> bool {
        matches!(self.state, State::Closed | State::Failed)
    }

    /// Starts the handshake deadline at `now`, unless it runs already, the
    /// connection has no handshake phase (or is past it), or there is no
    /// deadline. Called by `handle_connected` and at the first input.
    pub(super) fn start_handshake_clock(&mut self, now: Instant) {
        let handshaking = matches!(
            self.phase,
            Phase::Request { .. } | Phase::Deciding { .. } | Phase::Response { .. }
        );
        if let (true, Some(limit)) = (handshaking, self.config.handshake_timeout) {
            if !self.timers.is_armed(WsTimer::Handshake) && !self.is_finished() {
                self.timers.set(WsTimer::Handshake, now + limit);
            }
        }
    }

    /// `handle_written`: re-arms or stops the send-stall deadline; the
    /// first report also starts the handshake clock if nothing did.
    pub(super) fn note_written(&mut self, written: usize, unsent: usize, now: Instant) {
        if self.is_finished() {
            return;
        }
        self.start_handshake_clock(now);
        self.timers.track_send(
            WsTimer::SendStall,
            self.config.send_timeout,
            written,
            unsent,
            now,
        );
    }

    /// `handle_timeout`: expires the running deadlines that are due and
    /// acts on them. A stalled send wins over everything (nothing can reach
    /// the peer), then the handshake deadline, then the idle timeout, then
    /// an unanswered ping; a keepalive ping goes out only if nothing failed.
    pub(super) fn expire_timers(&mut self, now: Instant) {
        let mut running = self.running_timers();
        let mut expired = Expired::default();
        while let Some(timer) = running.expire(now) {
            self.timers.stop(timer);
            match timer {
                WsTimer::Idle => expired.idle = true,
                WsTimer::Keepalive => expired.ping = true,
                WsTimer::PongTimeout => expired.pong = true,
                WsTimer::Handshake => expired.handshake = true,
                WsTimer::SendStall => expired.send_stall = true,
            }
        }
        let config = &self.config;
        let error = match (config.send_timeout, config.handshake_timeout) {
            (Some(limit), _) if expired.send_stall => return self.send_stalled(limit),
            (_, Some(limit)) if expired.handshake => {
                // A server that has not answered yet says why it gives up.
                self.abandon_handshake(408);
                WsError::HandshakeTimeout(limit)
            }
            _ => match (config.idle_timeout, config.keepalive) {
                (Some(limit), _) if expired.idle => self.fail(WsError::IdleTimeout(limit)),
                (_, Some(keepalive)) if expired.pong => {
                    self.fail(WsError::KeepaliveTimeout(keepalive.timeout))
                }
                (_, Some(keepalive)) if expired.ping => {
                    self.write_frame(OpCode::Ping, true, 0, Bytes::new());
                    self.timers
                        .set(WsTimer::PongTimeout, now + keepalive.timeout);
                    return;
                }
                _ => return,
            },
        };
        self.poison.fail(error);
    }

    /// The peer took no byte for `limit`: no close frame could reach it, so
    /// the connection fails at once and the transmits still queued are
    /// dropped.
    fn send_stalled(&mut self, limit: Duration) {
        let error = WsError::SendStalled(limit);
        if matches!(self.phase, Phase::Open) {
            // SendStalled has no close code: `fail` queues nothing.
            self.fail(error.clone());
        } else {
            self.phase = Phase::Done;
            self.finish_silently();
        }
        self.out = TransmitQueue::default();
        self.poison.fail(error);
    }
}
