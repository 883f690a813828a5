//! What a player joining a live stream late needs first: the metadata and
//! the codec configuration (AVC/HEVC decoder configuration, AAC
//! AudioSpecificConfig) the publisher sent once at the start.

use bytes::Bytes;

use crate::amf0::Value;
use crate::message::{Audio, DataMessage, Message, Video};

/// The last metadata and sequence headers of one published stream.
///
/// Feed it every message the publisher sends ([`observe`](Self::observe));
/// when a player joins, send it [`messages`](Self::messages) before any
/// live media, then live media from the next keyframe on.
///
/// ```
/// use bytes::Bytes;
/// use wirestate_rtmp::message::{Message, Video};
/// use wirestate_rtmp::session::SequenceHeaders;
///
/// let mut cache = SequenceHeaders::default();
/// // AVC sequence header (keyframe, AVC, packet type 0), then a keyframe.
/// cache.observe(0, &Message::Video(Video::new(Bytes::from_static(b"\x17\x00\x00\x00\x00\x01\x64"))));
/// cache.observe(40, &Message::Video(Video::new(Bytes::from_static(b"\x17\x01\x00\x00\x00\xaa"))));
/// let replay: Vec<_> = cache.messages().collect();
/// assert_eq!(replay.len(), 1);
/// assert_eq!(replay[0].0, 0);
/// ```
///
/// Memory: one `Bytes` handle per cached message, sharing the received
/// buffers; the metadata's AMF0 values are kept as decoded.
#[derive(Debug, Clone, Default)]
pub struct SequenceHeaders {
    metadata: Option<DataMessage>,
    video: Option<(u32, Bytes)>,
    audio: Option<(u32, Bytes)>,
}

impl SequenceHeaders {
    /// Remembers `message` if it is metadata or a sequence header; returns
    /// whether it did.
    pub fn observe(&mut self, timestamp: u32, message: &Message) -> bool {
        match message {
            Message::Video(video) if is_video_config(video) => {
                self.video = Some((timestamp, video.payload.clone()));
            }
            Message::Audio(audio) if is_audio_config(audio) => {
                self.audio = Some((timestamp, audio.payload.clone()));
            }
            Message::Data(data) => match player_metadata(data) {
                Some(metadata) => self.metadata = Some(metadata),
                None => return false,
            },
            _ => return false,
        }
        true
    }

    /// The cached messages in the order a player needs them: metadata,
    /// video configuration, audio configuration, each with its timestamp.
    pub fn messages(&self) -> impl Iterator<Item = (u32, Message)> + '_ {
        let metadata = self
            .metadata
            .iter()
            .map(|data| (0, Message::Data(data.clone())));
        let video = self
            .video
            .iter()
            .map(|(ts, payload)| (*ts, Message::Video(Video::new(payload.clone()))));
        let audio = self
            .audio
            .iter()
            .map(|(ts, payload)| (*ts, Message::Audio(Audio::new(payload.clone()))));
        metadata.chain(video).chain(audio)
    }

    /// Forgets everything (the publisher stopped).
    pub fn clear(&mut self) {
        *self = SequenceHeaders::default();
    }
}

/// Whether a video message is a decoder configuration (AVC/HEVC sequence
/// header, Enhanced RTMP SequenceStart).
pub fn is_video_config(video: &Video) -> bool {
    video
        .header
        .as_ref()
        .is_ok_and(|header| header.is_sequence_header())
}

/// Whether an audio message is a codec configuration (AAC sequence header,
/// Enhanced RTMP SequenceStart).
pub fn is_audio_config(audio: &Audio) -> bool {
    audio
        .header
        .as_ref()
        .is_ok_and(|header| header.is_sequence_header())
}

/// Whether a video message starts a group of pictures (a keyframe that is
/// not a configuration record).
pub fn is_keyframe(video: &Video) -> bool {
    video
        .header
        .as_ref()
        .is_ok_and(|header| header.is_keyframe() && !header.is_sequence_header())
}

/// The metadata as a player receives it: `onMetaData` and the properties,
/// without the publisher's `@setDataFrame` wrapper. `None` if `data` is not
/// metadata.
pub fn player_metadata(data: &DataMessage) -> Option<DataMessage> {
    let metadata = data.metadata()?.clone();
    Some(DataMessage {
        amf3: false,
        values: vec![Value::String("onMetaData".into()), metadata],
    })
}
