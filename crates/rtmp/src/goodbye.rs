//! The goodbye hook of the limit wrappers ([`wirestate_core::RateLimit`],
//! [`wirestate_core::MaxAge`]) for RTMP: whatever the reason, the
//! shutdown goodbye of [`Machine::handle_shutdown`](wirestate_core::Machine::handle_shutdown),
//! then close (RTMP has no close code to carry a reason).

use wirestate_core::Goodbye;

use crate::session::{Session, SessionRole};
use crate::RtmpConnection;

/// A server session tells its players and publishers that their streams
/// end, a client stops its stream; then the session closes. Returns
/// `false`: RTMP's goodbye awaits no answer.
impl<R: SessionRole> Goodbye for Session<R> {}

/// A bare connection closes (what is queued can still be drained).
impl Goodbye for RtmpConnection {}
