//! The goodbye hook of the limit wrappers ([`wirestate_core::RateLimit`],
//! [`wirestate_core::MaxAge`]) for a WebSocket connection.

use std::time::Instant;

use wirestate_core::{Goodbye, GoodbyeReason, Machine};

use crate::WsConnection;

/// The close reason sent with code 1008 when the peer went past a rate limit.
pub const RATE_LIMITED_REASON: &str = "rate limit exceeded";
/// The close reason sent with code 1001 when the connection reached its
/// maximum age.
pub const MAX_AGE_REASON: &str = "maximum connection age";

/// The close code for `reason`: 1008 (policy violation) for a rate limit,
/// since RFC 6455 §7.4.1 makes 1008 the code for a peer that broke the
/// endpoint's policy when no more specific code fits; 1001 (going away) for
/// the maximum age and a shutdown, since the server ends a connection that
/// did nothing wrong and the client may reconnect at once.
pub fn goodbye_close_code(reason: GoodbyeReason) -> u16 {
    match reason {
        GoodbyeReason::RateLimited => 1008,
        GoodbyeReason::MaxAge | GoodbyeReason::Shutdown => 1001,
    }
}

impl Goodbye for WsConnection {
    /// Open: queues a close frame with [`goodbye_close_code`] (and
    /// [`RATE_LIMITED_REASON`] or [`MAX_AGE_REASON`] as its reason; a
    /// shutdown sends 1001 without one, as
    /// [`handle_shutdown`](Machine::handle_shutdown)), and returns `true`
    /// until the peer's close arrives. During the opening handshake and
    /// while closing already, the same as `handle_shutdown`.
    fn say_goodbye(&mut self, reason: GoodbyeReason, now: Instant) -> bool {
        let text = match reason {
            GoodbyeReason::Shutdown => return self.handle_shutdown(now),
            GoodbyeReason::RateLimited => RATE_LIMITED_REASON,
            GoodbyeReason::MaxAge => MAX_AGE_REASON,
        };
        if self.is_open() {
            // Fails only while closing already: then the close is out.
            let _ = self.close(goodbye_close_code(reason), text);
        }
        // Gives a handshake up (503); once our close is out, whether it
        // awaits the peer's.
        self.handle_shutdown(now)
    }
}
