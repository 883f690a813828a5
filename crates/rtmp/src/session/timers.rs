//! The deadlines of a session: the handshake plus `connect`, the send
//! stall, the idle timeout and the server's keepalive ping.
//!
//! The session keeps every deadline itself: it builds its
//! [`RtmpConnection`](crate::RtmpConnection) with
//! [`handshake_timeout`](crate::RtmpConfig::handshake_timeout) and
//! [`send_timeout`](crate::RtmpConfig::send_timeout) off, since its own
//! handshake deadline also covers `connect`, and it alone hears the
//! driver's write reports. Each rule thus runs once.

use std::time::{Duration, Instant};

use wirestate_core::Timer;

use super::core::{Session, SessionRole};
use super::SessionError;

/// The deadlines of a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SessionTimer {
    /// The handshake and `connect` did not complete in time.
    Handshake,
    /// Queued bytes waited too long for the peer to take any.
    SendStall,
    /// No input for the configured idle timeout.
    Idle,
    /// A server pings a peer that has been quiet this long.
    Ping,
}

impl Timer for SessionTimer {
    const ALL: &'static [Self] = &[
        SessionTimer::Handshake,
        SessionTimer::SendStall,
        SessionTimer::Idle,
        SessionTimer::Ping,
    ];
}

/// The limits a role configures (`None`: never).
#[derive(Debug, Clone, Copy, Default)]
pub struct Timing {
    pub(crate) handshake: Option<Duration>,
    pub(crate) send: Option<Duration>,
    pub(crate) idle: Option<Duration>,
    /// The effective ping interval (see [`ping_interval`]).
    pub(crate) ping: Option<Duration>,
}

/// The interval at which a quiet peer is pinged: the configured interval,
/// but at most half the idle timeout, so a peer that answers pings is never
/// cut by it; at least a millisecond.
pub(crate) fn ping_interval(ping: Option<Duration>, idle: Option<Duration>) -> Option<Duration> {
    let ping = match (ping, idle) {
        (Some(ping), Some(idle)) => Some(ping.min(idle / 2)),
        (ping, _) => ping,
    };
    ping.map(|p| p.max(Duration::from_millis(1)))
}

impl<R: SessionRole> Session<R> {
    /// Starts the handshake deadline once: from `handle_connected`, or the
    /// first input of a session never told it was connected.
    pub(super) fn start_clock(&mut self, now: Instant) {
        if std::mem::replace(&mut self.clock_started, true) || self.connect_done {
            return;
        }
        if let Some(limit) = self.timing.handshake {
            self.timers.set(SessionTimer::Handshake, now + limit);
        }
    }

    /// `connect` was answered (server) or its answer arrived (client): the
    /// handshake deadline stops for good.
    pub(crate) fn connect_answered(&mut self) {
        self.connect_done = true;
        self.timers.stop(SessionTimer::Handshake);
    }

    /// Input arrived: the idle timer and the ping timer start over.
    pub(super) fn touch(&mut self, now: Instant) {
        if let Some(idle) = self.timing.idle {
            self.timers.set(SessionTimer::Idle, now + idle);
        }
        if let Some(ping) = self.timing.ping {
            self.timers.set(SessionTimer::Ping, now + ping);
        }
    }

    /// A write report: the send-stall timer runs while bytes wait and
    /// restarts whenever some are written. Ignored once closed, so a closed
    /// session stays closed.
    pub(super) fn track_send(&mut self, written: usize, unsent: usize, now: Instant) {
        if !wirestate_core::Machine::is_closed(self) {
            let limit = self.timing.send;
            self.timers
                .track_send(SessionTimer::SendStall, limit, written, unsent, now);
        }
    }

    /// The next deadline: every timer while the session runs; after its
    /// end, only the send-stall timer, which bounds the driver's last flush;
    /// none once it is closed (after a failure, say).
    pub(super) fn next_deadline(&self) -> Option<Instant> {
        if self.is_running() {
            self.timers.next()
        } else if wirestate_core::Machine::is_closed(self) {
            None
        } else {
            self.timers.get(SessionTimer::SendStall)
        }
    }

    /// Whether a send stall is to be reported after the session's end.
    pub(super) fn stalled_after_end(&self) -> bool {
        self.stalled && self.poison.has_pending_error()
    }

    /// What an expired timer does.
    pub(super) fn on_timer(&mut self, timer: SessionTimer, now: Instant) {
        if timer == SessionTimer::SendStall {
            return self.on_send_stall();
        }
        if !self.is_running() {
            return;
        }
        let error = match timer {
            SessionTimer::Handshake if !self.connect_done => {
                SessionError::HandshakeTimeout(self.timing.handshake.unwrap_or_default())
            }
            SessionTimer::Idle => SessionError::IdleTimeout(self.timing.idle.unwrap_or_default()),
            SessionTimer::Ping => return self.send_keepalive(now),
            _ => return,
        };
        R::on_end(self);
        self.fail(error);
        self.connection.close();
    }

    /// The peer took no bytes for the send timeout: nothing more is sent,
    /// and the error is reported, even after the session's end.
    fn on_send_stall(&mut self) {
        let error = SessionError::SendStalled(self.timing.send.unwrap_or_default());
        if self.is_running() {
            R::on_end(self);
            self.fail(error);
        } else if self.poison.is_healthy() {
            self.stalled = true;
            self.poison.fail(error);
        }
        self.connection.close();
        self.connection.discard_output();
    }

    /// Pings a quiet peer (once the handshake is done) with the
    /// milliseconds since the session started, and re-arms the ping timer.
    fn send_keepalive(&mut self, now: Instant) {
        let Some(interval) = self.timing.ping else {
            return;
        };
        self.timers.set(SessionTimer::Ping, now + interval);
        if self.connection.is_handshake_complete() {
            let millis = now.saturating_duration_since(self.started).as_millis();
            // Wraps after 49.7 days, as RTMP timestamps do.
            let _ = self.ping(millis as u32);
        }
    }
}
