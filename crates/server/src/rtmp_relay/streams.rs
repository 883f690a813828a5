//! Counters of one stream (app, key): bytes in and out, publishers,
//! players, drops, codecs and bitrate, for `/streams` and `/metrics`.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use wirestate_rtmp::media::{AudioTagHeader, FourCc, SoundFormat, VideoCodecId, VideoTagHeader};
use wirestate_rtmp::message::Message;

/// The bitrate is measured over windows of this length.
pub const BITRATE_WINDOW: Duration = Duration::from_secs(5);

/// What one live stream looks like now: an entry of
/// [`RelayStats::streams`](super::RelayStats::streams).
#[derive(Debug, Clone, PartialEq)]
pub struct StreamInfo {
    /// The application (`rtmp://host/APP/key`).
    pub app: String,
    /// The stream key, without a query.
    pub key: String,
    /// Whether someone publishes it (a stream may have players waiting
    /// for a publisher).
    pub publishing: bool,
    /// The video codec, from the stream's video headers (`H264`, `HEVC`,
    /// `AV1`, an Enhanced RTMP FourCC ...); `None` before any video.
    pub video_codec: Option<String>,
    /// The audio codec (`AAC`, `MP3`, `Opus` ...); `None` before any audio.
    pub audio_codec: Option<String>,
    /// Bits per second the publisher sent over the last complete
    /// [`BITRATE_WINDOW`] (0 when none completed, or the last one is
    /// older than two windows).
    pub bitrate: u64,
    /// Players playing it now.
    pub players: usize,
    /// Payload bytes received from its publishers.
    pub bytes_in: u64,
    /// Payload bytes handed to its players.
    pub bytes_out: u64,
    /// Media messages dropped for its slow players.
    pub dropped_messages: u64,
    /// Since the stream was first published or played.
    pub uptime: Duration,
}

/// The live counters of one stream, shared by its publisher and players.
#[derive(Debug)]
pub(super) struct StreamCounters {
    app: String,
    key: String,
    started: Instant,
    publishers: AtomicUsize,
    players: AtomicUsize,
    bytes_in: AtomicU64,
    bytes_out: AtomicU64,
    dropped_messages: AtomicU64,
    /// Codecs and bitrate, updated by the publisher only.
    media: Mutex<Media>,
}

#[derive(Debug, Default)]
struct Media {
    video_codec: Option<String>,
    audio_codec: Option<String>,
    bitrate: Bitrate,
}

impl StreamCounters {
    /// Counters of `app`/`key`, started at `now`.
    pub(super) fn new(app: &str, key: &str, now: Instant) -> Self {
        StreamCounters {
            app: app.to_owned(),
            key: key.to_owned(),
            started: now,
            publishers: AtomicUsize::new(0),
            players: AtomicUsize::new(0),
            bytes_in: AtomicU64::new(0),
            bytes_out: AtomicU64::new(0),
            dropped_messages: AtomicU64::new(0),
            media: Mutex::default(),
        }
    }

    fn media(&self) -> std::sync::MutexGuard<'_, Media> {
        self.media.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The publisher sent `message` of `bytes` payload bytes at `now`.
    pub(super) fn received(&self, message: &Message, bytes: usize, now: Instant) {
        self.bytes_in.fetch_add(bytes as u64, Ordering::Relaxed);
        let mut media = self.media();
        media.bitrate.add(bytes, now);
        match message {
            Message::Video(video) if media.video_codec.is_none() => {
                media.video_codec = video.header.as_ref().ok().and_then(video_codec);
            }
            Message::Audio(audio) if media.audio_codec.is_none() => {
                media.audio_codec = audio.header.as_ref().ok().and_then(audio_codec);
            }
            _ => {}
        }
    }

    /// `bytes` payload bytes went to a player.
    pub(super) fn sent(&self, bytes: usize) {
        self.bytes_out.fetch_add(bytes as u64, Ordering::Relaxed);
    }

    /// A message was dropped for a slow player.
    pub(super) fn dropped(&self) {
        self.dropped_messages.fetch_add(1, Ordering::Relaxed);
    }

    /// Someone publishes it now (or stopped).
    pub(super) fn set_publishing(&self, publishing: bool) {
        self.publishers
            .store(usize::from(publishing), Ordering::Relaxed);
    }

    /// A player joined (+1) or left (-1).
    pub(super) fn player(&self, joined: bool) {
        if joined {
            self.players.fetch_add(1, Ordering::Relaxed);
        } else {
            self.players.fetch_sub(1, Ordering::Relaxed);
        }
    }

    /// What the stream looks like at `now`.
    pub(super) fn info(&self, now: Instant) -> StreamInfo {
        let media = self.media();
        StreamInfo {
            app: self.app.clone(),
            key: self.key.clone(),
            publishing: self.publishers.load(Ordering::Relaxed) > 0,
            video_codec: media.video_codec.clone(),
            audio_codec: media.audio_codec.clone(),
            bitrate: media.bitrate.rate(now),
            players: self.players.load(Ordering::Relaxed),
            bytes_in: self.bytes_in.load(Ordering::Relaxed),
            bytes_out: self.bytes_out.load(Ordering::Relaxed),
            dropped_messages: self.dropped_messages.load(Ordering::Relaxed),
            uptime: now.saturating_duration_since(self.started),
        }
    }
}

/// Bytes per [`BITRATE_WINDOW`]: the current window and the last complete
/// one.
#[derive(Debug, Default)]
struct Bitrate {
    /// The start of the current window and its bytes.
    current: Option<(Instant, u64)>,
    /// The end of the last complete window and its bits per second.
    last: Option<(Instant, u64)>,
}

impl Bitrate {
    fn add(&mut self, bytes: usize, now: Instant) {
        let (start, sum) = self.current.get_or_insert((now, 0));
        let elapsed = now.saturating_duration_since(*start);
        if elapsed >= BITRATE_WINDOW {
            let bits = *sum * 8 * 1000 / elapsed.as_millis().max(1) as u64;
            self.last = Some((now, bits));
            self.current = Some((now, bytes as u64));
        } else {
            *sum += bytes as u64;
        }
    }

    fn rate(&self, now: Instant) -> u64 {
        match self.last {
            Some((end, bits)) if now.saturating_duration_since(end) < 2 * BITRATE_WINDOW => bits,
            _ => 0,
        }
    }
}

/// The name of a video codec.
fn video_codec(header: &VideoTagHeader) -> Option<String> {
    match header {
        VideoTagHeader::Legacy(h) => Some(match h.codec_id {
            VideoCodecId::Avc => "H264".into(),
            VideoCodecId::Hevc => "HEVC".into(),
            VideoCodecId::SorensonH263 => "H263".into(),
            VideoCodecId::On2Vp6 | VideoCodecId::On2Vp6Alpha => "VP6".into(),
            VideoCodecId::Screen | VideoCodecId::ScreenV2 => "Screen".into(),
            VideoCodecId::Other(id) => format!("video codec {id}"),
        }),
        VideoTagHeader::Enhanced(h) => h.tracks.first().map(|t| fourcc_name(t.fourcc)),
    }
}

/// The name of an audio codec.
fn audio_codec(header: &AudioTagHeader) -> Option<String> {
    match header {
        AudioTagHeader::Legacy(h) => Some(match h.sound_format {
            SoundFormat::Aac => "AAC".into(),
            SoundFormat::Mp3 | SoundFormat::Mp3At8k => "MP3".into(),
            SoundFormat::Speex => "Speex".into(),
            SoundFormat::G711ALaw => "G711A".into(),
            SoundFormat::G711MuLaw => "G711U".into(),
            SoundFormat::Nellymoser
            | SoundFormat::Nellymoser8kMono
            | SoundFormat::Nellymoser16kMono => "Nellymoser".into(),
            SoundFormat::AdPcm => "ADPCM".into(),
            SoundFormat::LinearPcmPlatformEndian | SoundFormat::LinearPcmLittleEndian => {
                "PCM".into()
            }
            other => format!("{other:?}"),
        }),
        AudioTagHeader::Enhanced(h) => h.tracks.first().map(|t| fourcc_name(t.fourcc)),
        _ => None,
    }
}

/// The usual name of an Enhanced RTMP codec; the FourCC itself otherwise.
fn fourcc_name(fourcc: FourCc) -> String {
    let name = match fourcc {
        FourCc::AVC => "H264",
        FourCc::HEVC => "HEVC",
        FourCc::VVC => "VVC",
        FourCc::AV1 => "AV1",
        FourCc::VP9 => "VP9",
        FourCc::VP8 => "VP8",
        FourCc::AAC => "AAC",
        FourCc::OPUS => "Opus",
        FourCc::FLAC => "FLAC",
        FourCc::AC3 => "AC3",
        FourCc::EAC3 => "EAC3",
        FourCc::MP3 => "MP3",
        other => return other.to_string(),
    };
    name.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use wirestate_rtmp::message::{Audio, Video};

    fn video(payload: &'static [u8]) -> Message {
        Message::Video(Video::new(Bytes::from_static(payload)))
    }

    #[test]
    fn codecs_come_from_the_first_media_headers() {
        let start = Instant::now();
        let stream = StreamCounters::new("live", "cam", start);
        assert_eq!(stream.info(start).video_codec, None);
        stream.received(&video(b"\x17\x00\x00\x00\x00"), 5, start);
        let aac = Message::Audio(Audio::new(Bytes::from_static(b"\xaf\x00\x12\x10")));
        stream.received(&aac, 4, start);
        let info = stream.info(start);
        assert_eq!(info.video_codec.as_deref(), Some("H264"));
        assert_eq!(info.audio_codec.as_deref(), Some("AAC"));
        assert_eq!(info.bytes_in, 9);
        // Enhanced RTMP: the FourCC (HEVC SequenceStart).
        let hevc = StreamCounters::new("live", "hevc", start);
        hevc.received(&video(b"\x90hvc1\x01"), 6, start);
        assert_eq!(hevc.info(start).video_codec.as_deref(), Some("HEVC"));
    }

    #[test]
    fn the_bitrate_is_that_of_the_last_complete_window() {
        let start = Instant::now();
        let stream = StreamCounters::new("live", "cam", start);
        let message = video(b"\x27\x01\x00\x00\x00");
        let second = Duration::from_secs(1);
        // 10,000 bytes a second for five seconds: 80,000 bit/s.
        for s in 0..5 {
            stream.received(&message, 10_000, start + s * second);
        }
        assert_eq!(stream.info(start + 4 * second).bitrate, 0);
        stream.received(&message, 10_000, start + 5 * second);
        assert_eq!(stream.info(start + 5 * second).bitrate, 80_000);
        // Stale after two windows without a new one.
        assert_eq!(stream.info(start + 15 * second).bitrate, 0);
    }

    #[test]
    fn players_publishers_and_bytes_out_are_counted() {
        let start = Instant::now();
        let stream = StreamCounters::new("live", "cam", start);
        stream.set_publishing(true);
        stream.player(true);
        stream.player(true);
        stream.player(false);
        stream.sent(100);
        stream.dropped();
        let info = stream.info(start + Duration::from_secs(3));
        assert!(info.publishing);
        assert_eq!(
            (info.players, info.bytes_out, info.dropped_messages),
            (1, 100, 1)
        );
        assert_eq!(info.uptime, Duration::from_secs(3));
    }
}
