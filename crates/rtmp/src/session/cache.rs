//! What a player joining a live stream late needs first: the metadata and
//! the codec configuration (AVC/HEVC decoder configuration, AAC
//! AudioSpecificConfig, Enhanced RTMP SequenceStart and MultichannelConfig)
//! the publisher sent once at the start.

use bytes::Bytes;

use crate::amf0::Value;
use crate::media::{AacPacketType, AudioPacketType, AudioTagHeader, VideoTagHeader};
use crate::message::{Audio, DataMessage, Message, Video};

/// At most this many payload bytes of configuration messages are kept per
/// stream (256 KiB): real configurations are tens to a few thousand bytes
/// per track.
pub const MAX_CONFIG_BYTES: usize = 256 * 1024;

/// At most this many configuration messages are kept per stream (32: for
/// example 8 tracks with a video configuration, an audio configuration and
/// a channel layout each, with room to spare).
pub const MAX_CONFIG_MESSAGES: usize = 32;

/// The last metadata and configuration messages of one published stream.
///
/// Feed it every message the publisher sends ([`observe`](Self::observe));
/// when a player joins, send it [`messages`](Self::messages) before any
/// live media, then live media from the next keyframe on.
///
/// It keeps, per set of tracks, the latest message of each kind: video
/// configuration (AVC/HEVC sequence header, Enhanced RTMP SequenceStart),
/// audio configuration (AAC sequence header, Enhanced RTMP SequenceStart)
/// and the Enhanced RTMP audio channel layout (MultichannelConfig). A
/// message of a kind for the same tracks replaces the earlier one; a
/// legacy message counts as track 0.
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
/// Memory: the metadata as decoded (within the connection's AMF0 limits),
/// plus at most [`MAX_CONFIG_MESSAGES`] configuration messages of
/// [`MAX_CONFIG_BYTES`] payload bytes in all, each a `Bytes` handle sharing
/// the received buffer. A configuration that would go past either bound is
/// not kept ([`observe`](Self::observe) returns `false`); the ones kept
/// stay.
#[derive(Debug, Clone, Default)]
pub struct SequenceHeaders {
    metadata: Option<DataMessage>,
    /// In the order first seen.
    configs: Vec<Config>,
    /// The payload bytes of `configs`.
    bytes: usize,
}

/// What a configuration message configures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Video,
    Audio,
    AudioChannels,
}

/// One cached configuration message.
#[derive(Debug, Clone)]
struct Config {
    kind: Kind,
    /// The track ids the message carries, in its order.
    tracks: Vec<u8>,
    timestamp: u32,
    payload: Bytes,
}

impl SequenceHeaders {
    /// Remembers `message` if it is metadata or a configuration message
    /// (see the type's docs); returns whether it did.
    pub fn observe(&mut self, timestamp: u32, message: &Message) -> bool {
        let (kind, tracks, payload) = match message {
            Message::Video(video) => match video_config(video) {
                Some(tracks) => (Kind::Video, tracks, &video.payload),
                None => return false,
            },
            Message::Audio(audio) => match audio_config(audio) {
                Some((kind, tracks)) => (kind, tracks, &audio.payload),
                None => return false,
            },
            Message::Data(data) => match player_metadata(data) {
                Some(metadata) => {
                    self.metadata = Some(metadata);
                    return true;
                }
                None => return false,
            },
            _ => return false,
        };
        let config = Config {
            kind,
            tracks,
            timestamp,
            payload: payload.clone(),
        };
        self.keep(config)
    }

    /// Stores `config`, replacing the one of its kind and tracks, within
    /// the bounds.
    fn keep(&mut self, config: Config) -> bool {
        let same = |c: &Config| c.kind == config.kind && c.tracks == config.tracks;
        let len = config.payload.len();
        match self.configs.iter().position(same) {
            Some(at) => {
                let bytes = self.bytes - self.configs[at].payload.len() + len;
                if bytes > MAX_CONFIG_BYTES {
                    return false;
                }
                self.bytes = bytes;
                self.configs[at] = config;
            }
            None => {
                let full = self.configs.len() >= MAX_CONFIG_MESSAGES;
                if full || self.bytes + len > MAX_CONFIG_BYTES {
                    return false;
                }
                self.bytes += len;
                self.configs.push(config);
            }
        }
        true
    }

    /// The cached messages in the order a player needs them: metadata,
    /// video configurations, then audio configurations and channel layouts
    /// (each group in the order first seen), each with its timestamp.
    pub fn messages(&self) -> impl Iterator<Item = (u32, Message)> + '_ {
        let metadata = self
            .metadata
            .iter()
            .map(|data| (0, Message::Data(data.clone())));
        let video = self.configs.iter().filter(|c| c.kind == Kind::Video);
        let audio = self.configs.iter().filter(|c| c.kind != Kind::Video);
        let media = video.chain(audio).map(|c| {
            let message = match c.kind {
                Kind::Video => Message::Video(Video::new(c.payload.clone())),
                _ => Message::Audio(Audio::new(c.payload.clone())),
            };
            (c.timestamp, message)
        });
        metadata.chain(media)
    }

    /// The payload bytes of the cached configuration messages (at most
    /// [`MAX_CONFIG_BYTES`]).
    pub fn config_bytes(&self) -> usize {
        self.bytes
    }

    /// Forgets everything (the publisher stopped).
    pub fn clear(&mut self) {
        *self = SequenceHeaders::default();
    }
}

/// The tracks of a video configuration message; `None` for other video.
fn video_config(video: &Video) -> Option<Vec<u8>> {
    match video.header.as_ref().ok()? {
        header if !header.is_sequence_header() => None,
        VideoTagHeader::Legacy(_) => Some(vec![0]),
        VideoTagHeader::Enhanced(h) => Some(h.tracks.iter().map(|t| t.track_id).collect()),
    }
}

/// The kind and tracks of an audio configuration message; `None` for
/// other audio.
fn audio_config(audio: &Audio) -> Option<(Kind, Vec<u8>)> {
    match audio.header.as_ref().ok()? {
        AudioTagHeader::Legacy(h) if h.aac_packet_type == Some(AacPacketType::SequenceHeader) => {
            Some((Kind::Audio, vec![0]))
        }
        AudioTagHeader::Enhanced(h) => {
            let kind = match h.packet_type {
                AudioPacketType::SequenceStart => Kind::Audio,
                AudioPacketType::MultichannelConfig => Kind::AudioChannels,
                _ => return None,
            };
            Some((kind, h.tracks.iter().map(|t| t.track_id).collect()))
        }
        _ => None,
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

/// Whether an audio message is a codec configuration a decoder needs (AAC
/// sequence header, Enhanced RTMP SequenceStart or MultichannelConfig).
pub fn is_audio_config(audio: &Audio) -> bool {
    audio_config(audio).is_some()
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
