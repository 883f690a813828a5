//! Why a media tag header could not be parsed.

/// A malformed audio or video tag header. Offsets count bytes from the start
/// of the message payload.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MediaError {
    /// A video message with no bytes at all (an empty audio message is the
    /// "silence" signal, not an error).
    #[error("empty video message")]
    EmptyVideo,
    /// The payload ends inside the header.
    #[error(
        "media payload ends inside the tag header at byte {offset}: {needed} more byte(s) needed"
    )]
    Truncated {
        /// Where the incomplete field starts.
        offset: usize,
        /// How many bytes were missing.
        needed: usize,
    },
    /// An Enhanced RTMP packet type the specification does not define. The
    /// layout of what follows is unknown, so the message cannot be parsed.
    #[error("unknown enhanced {media} packet type {packet_type} at byte {offset}")]
    UnknownPacketType {
        /// `"audio"` or `"video"`.
        media: &'static str,
        /// The 4-bit value.
        packet_type: u8,
        /// The byte that holds it.
        offset: usize,
    },
    /// A multitrack header whose per-track packet type is `Multitrack` or
    /// `ModEx` again, which the specification forbids.
    #[error("multitrack {media} packet type {packet_type} at byte {offset} is not allowed inside a multitrack")]
    NestedMultitrack {
        /// `"audio"` or `"video"`.
        media: &'static str,
        /// The 4-bit value.
        packet_type: u8,
        /// The byte that holds it.
        offset: usize,
    },
    /// A multitrack type other than OneTrack, ManyTracks or ManyTracksManyCodecs.
    #[error("unknown multitrack type {multitrack_type} at byte {offset}")]
    UnknownMultitrackType {
        /// The 4-bit value.
        multitrack_type: u8,
        /// The byte that holds it.
        offset: usize,
    },
    /// A track announces more bytes than the payload holds.
    #[error(
        "track {track_id} at byte {offset} announces {size} bytes but only {available} remain"
    )]
    TrackTooLong {
        /// The track's id.
        track_id: u8,
        /// Where its size field is.
        offset: usize,
        /// The announced size.
        size: usize,
        /// The bytes left in the payload after the size field.
        available: usize,
    },
    /// A track of a ManyTracks multitrack whose size is too small for the
    /// fields its packet type requires (the composition time offset).
    #[error("track {track_id} at byte {offset} is {size} bytes, too short for its header")]
    TrackTooShort {
        /// The track's id.
        track_id: u8,
        /// Where the track's data starts.
        offset: usize,
        /// The announced size.
        size: usize,
    },
    /// A TimestampOffsetNano ModEx with fewer than the 3 bytes the
    /// specification requires.
    #[error("TimestampOffsetNano ModEx at byte {offset} has {len} byte(s), needs 3")]
    ShortTimestampOffset {
        /// Where the ModEx data starts.
        offset: usize,
        /// Its length.
        len: usize,
    },
}
