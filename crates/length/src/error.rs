//! What can go wrong while framing, and whose fault it was.

/// Why a [`LengthConnection`](crate::LengthConnection), a [`LengthConfig`](crate::LengthConfig)
/// encoder or the codec refused to go on.
///
/// Peer violations (every variant but `Local`) are fatal: the connection returns the error
/// once from `poll_event` and is closed afterwards. `offset` is the stream
/// offset (bytes since the start of the input) where the offending header
/// begins.
///
/// Local misuse is a [`LocalError`]; it comes back from the call that caused
/// it, wrapped in [`LengthError::Local`] where the call returns a
/// `LengthError` ([`handle_command`](wirestate_core::Machine::handle_command)),
/// and leaves the connection unchanged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LengthError {
    /// The peer announced a frame longer than the maximum frame length, and
    /// the policy is [`OversizePolicy::Fail`](crate::OversizePolicy::Fail)
    /// (Erlang's `emsgsize`).
    #[error("frame at offset {offset} announces {len} bytes, over the limit of {max}")]
    Oversize {
        /// The announced length, after the length adjustment.
        len: u64,
        /// The maximum frame length in force.
        max: usize,
        /// Stream offset of the frame's header.
        offset: u64,
    },
    /// The length field plus the (negative) length adjustment is below zero,
    /// so the frame's end is unknowable.
    #[error(
        "frame at offset {offset}: length field {field} plus adjustment {adjustment} is negative"
    )]
    LengthUnderflow {
        /// The raw value of the length field.
        field: u64,
        /// The configured length adjustment.
        adjustment: i64,
        /// Stream offset of the frame's header.
        offset: u64,
    },
    /// A varint length used more bytes than needed (a trailing `0x00` group),
    /// and non-minimal encodings are not allowed.
    #[error("frame at offset {offset}: non-minimal varint length")]
    NonMinimalVarint {
        /// Stream offset of the frame's header.
        offset: u64,
    },
    /// A varint length does not fit in 64 bits (more than 10 bytes, or a
    /// tenth byte above 1).
    #[error("frame at offset {offset}: varint length overflows 64 bits")]
    VarintOverflow {
        /// Stream offset of the frame's header.
        offset: u64,
    },
    /// A header that Erlang's `decode_packet` refuses (`{error, invalid}`),
    /// for a framing made with [`LengthConfig::erlang_packet`](crate::LengthConfig::erlang_packet).
    #[error("{packet} packet at offset {offset}: {problem}")]
    InvalidPacket {
        /// The packet type.
        packet: crate::ErlangPacket,
        /// What is wrong with the header.
        problem: crate::PacketProblem,
        /// Stream offset of the packet's header.
        offset: u64,
    },
    /// The peer closed the stream in the middle of a frame (or of a skipped
    /// oversize frame).
    #[error("stream ended inside a frame: at least {missing} more bytes were expected")]
    Truncated {
        /// How many more bytes the frame needed; for a cut header, how many
        /// more header bytes were needed at least.
        missing: u64,
    },
    /// Local misuse, from [`handle_command`](wirestate_core::Machine::handle_command):
    /// nothing was queued and the connection is unchanged.
    #[error(transparent)]
    Local(#[from] LocalError),
}

/// Misuse by the local application: a payload this framing cannot carry, or
/// sending on a failed connection. Returned by the call that caused it
/// ([`LengthConnection::send`](crate::LengthConnection::send),
/// [`LengthConfig::encode_header`](crate::LengthConfig::encode_header) ...);
/// nothing was queued or written and the connection is unchanged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LocalError {
    /// The payload is longer than the maximum frame length, or than
    /// the length field can express. Nothing was queued or written.
    #[error("payload of {len} bytes is over the limit of {max}")]
    PayloadTooLarge {
        /// The payload length.
        len: usize,
        /// The largest payload this framing accepts.
        max: usize,
    },
    /// With a positive length adjustment the length field holds
    /// `payload length - adjustment`, which would be negative for this
    /// payload. Nothing was queued or written.
    #[error("payload of {len} bytes is shorter than the minimum of {min}")]
    PayloadTooShort {
        /// The payload length.
        len: usize,
        /// The smallest payload this framing can encode.
        min: u64,
    },
    /// The connection failed with a fatal error, so it sends nothing more.
    #[error("the machine is closed")]
    Closed,
}
