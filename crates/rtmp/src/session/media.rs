//! [`MediaEvent`]: audio, video and metadata received by either session.

use crate::message::{Audio, DataMessage, Message, Video};
use crate::session::cache::player_metadata;

/// Media a session received: from a publisher ([`ServerEvent::Media`](super::ServerEvent::Media))
/// or from the server a client plays ([`ClientEvent::Media`](super::ClientEvent::Media)).
#[derive(Debug, Clone, PartialEq)]
pub enum MediaEvent {
    /// Metadata, as a player should get it (`onMetaData` and the
    /// properties, without a publisher's `@setDataFrame`).
    Metadata {
        /// The message stream it came on.
        stream_id: u32,
        /// Absolute timestamp in milliseconds.
        timestamp: u32,
        /// The metadata.
        data: DataMessage,
    },
    /// Audio.
    Audio {
        /// The message stream it came on.
        stream_id: u32,
        /// Absolute timestamp in milliseconds.
        timestamp: u32,
        /// The payload and its parsed tag header.
        audio: Audio,
    },
    /// Video.
    Video {
        /// The message stream it came on.
        stream_id: u32,
        /// Absolute timestamp in milliseconds.
        timestamp: u32,
        /// The payload and its parsed tag header.
        video: Video,
    },
}

impl MediaEvent {
    /// Types a received message as media; gives the message back when it is
    /// not audio, video or metadata.
    pub(crate) fn from_message(
        stream_id: u32,
        timestamp: u32,
        message: Message,
    ) -> Result<MediaEvent, Message> {
        match message {
            Message::Audio(audio) => Ok(MediaEvent::Audio {
                stream_id,
                timestamp,
                audio,
            }),
            Message::Video(video) => Ok(MediaEvent::Video {
                stream_id,
                timestamp,
                video,
            }),
            Message::Data(data) => match player_metadata(&data) {
                Some(data) => Ok(MediaEvent::Metadata {
                    stream_id,
                    timestamp,
                    data,
                }),
                None => Err(Message::Data(data)),
            },
            message => Err(message),
        }
    }

    /// The message stream it came on.
    pub fn stream_id(&self) -> u32 {
        match self {
            MediaEvent::Metadata { stream_id, .. }
            | MediaEvent::Audio { stream_id, .. }
            | MediaEvent::Video { stream_id, .. } => *stream_id,
        }
    }

    /// Its absolute timestamp in milliseconds.
    pub fn timestamp(&self) -> u32 {
        match self {
            MediaEvent::Metadata { timestamp, .. }
            | MediaEvent::Audio { timestamp, .. }
            | MediaEvent::Video { timestamp, .. } => *timestamp,
        }
    }
}
