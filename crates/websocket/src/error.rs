//! Errors: what the peer did wrong, what the application did wrong, and how
//! the connection ended.

use std::time::Duration;

use crate::handshake::HandshakeError;

/// A fatal error of a WebSocket machine.
///
/// Every variant except [`WsError::Local`] poisons the machine: it is returned
/// once from `poll_event`, after which the machine reports `is_closed`. For
/// peer violations `poll_transmit` still yields the close frame carrying
/// [`close_code`](WsError::close_code); send it before closing the socket.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WsError {
    /// The peer broke a framing rule (close code 1002).
    #[error("protocol violation by the peer: {0}")]
    Protocol(#[from] ProtocolViolation),
    /// A text message or close reason is not UTF-8 (close code 1007).
    #[error("invalid UTF-8 at byte {offset} of a text message or close reason")]
    InvalidUtf8 {
        /// Offset of the first invalid code point within the message.
        offset: u64,
    },
    /// A frame announced more payload than `max_frame_size` (close code 1009).
    #[error("frame of {len} bytes exceeds the limit of {limit} bytes")]
    FrameTooBig {
        /// The announced length.
        len: u64,
        /// The configured limit.
        limit: u64,
    },
    /// A message would grow past `max_message_size` (close code 1009).
    #[error("message of at least {len} bytes exceeds the limit of {limit} bytes")]
    MessageTooBig {
        /// Bytes the message would have with the announced frame.
        len: u64,
        /// The configured limit.
        limit: u64,
    },
    /// The opening handshake failed (see [`HandshakeError`]).
    #[error(transparent)]
    Handshake(#[from] HandshakeError),
    /// The peer closed the TCP connection without a close handshake: close
    /// code 1006 (abnormal closure), which is never sent on the wire.
    #[error("connection closed without a close frame (1006 abnormal closure){}", partial_note(*.buffered))]
    AbnormalClosure {
        /// Bytes of an incomplete frame that were buffered at EOF (dropped).
        buffered: usize,
    },
    /// A keepalive ping went unanswered: no input at all arrived before the
    /// pong deadline.
    #[error("no pong within {0:?} of a keepalive ping")]
    KeepaliveTimeout(Duration),
    /// No input arrived for the configured idle timeout; a close frame with
    /// code 1001 (going away) was queued.
    #[error("no input for {0:?}: idle timeout")]
    IdleTimeout(Duration),
    /// The opening handshake did not complete within
    /// [`WsConfig::handshake_timeout`](crate::WsConfig::handshake_timeout)
    /// (the duration). A server that had not answered yet queued
    /// `HTTP/1.1 408 Request Timeout`; send it before closing the socket.
    #[error("the opening handshake did not complete within {0:?}")]
    HandshakeTimeout(Duration),
    /// Bytes waited to be sent and the peer took none of them for
    /// [`WsConfig::send_timeout`](crate::WsConfig::send_timeout) (the
    /// duration): it stopped reading. No close frame is queued (it could
    /// not arrive) and queued transmits were dropped: close the socket.
    #[error("the peer took no bytes for {0:?}: send timeout")]
    SendStalled(Duration),
    /// The application misused the machine; returned by the sending methods,
    /// never by `poll_event`, and the machine is unchanged.
    #[error(transparent)]
    Local(#[from] LocalError),
}

fn partial_note(buffered: usize) -> String {
    if buffered == 0 {
        String::new()
    } else {
        format!(", {buffered} bytes of an incomplete frame dropped")
    }
}

impl WsError {
    /// The close code this error sends to the peer (or, for 1006, reports
    /// locally), if any.
    pub fn close_code(&self) -> Option<u16> {
        match self {
            WsError::Protocol(_) => Some(1002),
            WsError::InvalidUtf8 { .. } => Some(1007),
            WsError::FrameTooBig { .. } | WsError::MessageTooBig { .. } => Some(1009),
            WsError::AbnormalClosure { .. } => Some(1006),
            WsError::IdleTimeout(_) => Some(1001),
            WsError::Handshake(_)
            | WsError::KeepaliveTimeout(_)
            | WsError::HandshakeTimeout(_)
            | WsError::SendStalled(_)
            | WsError::Local(_) => None,
        }
    }
}

/// The framing rule the peer broke.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ProtocolViolation {
    /// A client sent an unmasked frame (§5.1).
    #[error("unmasked frame from a client")]
    UnmaskedFrame,
    /// A server sent a masked frame (§5.1).
    #[error("masked frame from a server")]
    MaskedFrame,
    /// Reserved bits set that no negotiated extension owns (§5.2); the value
    /// is RSV1..RSV3 as bits 2..0.
    #[error("reserved bits {0:#05b} set without an extension owning them")]
    ReservedBits(u8),
    /// A reserved opcode (§5.2).
    #[error("unknown opcode {0:#x}")]
    UnknownOpcode(u8),
    /// A control frame without FIN (§5.5).
    #[error("fragmented control frame")]
    FragmentedControl,
    /// A control frame with more than 125 payload bytes (§5.5).
    #[error("control frame payload longer than 125 bytes")]
    ControlTooLong,
    /// A 64-bit length with its most significant bit set (§5.2).
    #[error("64-bit payload length with the most significant bit set")]
    LengthHighBitSet,
    /// A payload length in more bytes than it needs (§5.2: "the minimal
    /// number of bytes MUST be used"); see
    /// [`WsConfig::accept_non_minimal_lengths`](crate::WsConfig::accept_non_minimal_lengths).
    #[error("payload length {0} not in its minimal encoding")]
    NonMinimalLength(u64),
    /// A continuation frame with no fragmented message in progress (§5.4).
    #[error("continuation frame without a message to continue")]
    UnexpectedContinuation,
    /// A new text or binary frame while a fragmented message is in progress
    /// (§5.4).
    #[error("new data frame inside a fragmented message")]
    ExpectedContinuation,
    /// A close payload of exactly one byte (§5.5.1).
    #[error("close frame with a 1-byte payload")]
    CloseOneByte,
    /// A close code that must not appear on the wire (§7.4).
    #[error("invalid close code {0}")]
    InvalidCloseCode(u16),
    /// RSV1 (compressed) on a continuation frame (RFC 7692 §6.1).
    #[error("RSV1 set on a continuation frame")]
    CompressedContinuation,
    /// RSV1 (compressed) on a control frame (RFC 7692 §6.1).
    #[error("RSV1 set on a control frame")]
    CompressedControl,
    /// A compressed message that is not a valid deflate stream (RFC 7692).
    #[error("compressed payload is not valid deflate data")]
    BadDeflate,
}

/// A request the machine cannot carry out in its current state. The machine
/// is unchanged; fix the call.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LocalError {
    /// Sending before the handshake completed.
    #[error("the WebSocket is not open yet")]
    NotOpen,
    /// Sending data or a ping after our close frame went out, or after the
    /// connection ended.
    #[error("the WebSocket is closing or closed: nothing more can be sent")]
    Closing,
    /// A ping or pong payload over 125 bytes.
    #[error("control frame payload of {0} bytes, at most 125 allowed")]
    ControlTooLong(usize),
    /// A close code that may not be sent (1004-1006, 1015, and codes outside
    /// 1000-4999).
    #[error("close code {0} may not be sent")]
    InvalidCloseCode(u16),
    /// A close reason over 123 bytes.
    #[error("close reason of {0} bytes, at most 123 allowed")]
    CloseReasonTooLong(usize),
    /// `accept` or `reject` when no request is waiting for a decision.
    #[error("no upgrade request is waiting for accept or reject")]
    NoPendingRequest,
    /// Accepting with a subprotocol the client did not offer.
    #[error("subprotocol {0:?} was not offered by the client")]
    ProtocolNotOffered(String),
    /// A header name or value that would break the HTTP message (CR, LF,
    /// or a non-token name).
    #[error("invalid response header {0:?}")]
    InvalidHeader(String),
    /// A rejection status that is not a final non-101 HTTP status.
    #[error("status {0} cannot reject an upgrade")]
    InvalidStatus(u16),
    /// zlib refused to compress an outgoing message (nothing was sent).
    #[error("compressing the message failed")]
    Deflate,
    /// The command does not apply to this role (accept on a client).
    #[error("this command does not apply to a {0}")]
    WrongRole(&'static str),
}
