//! Audio message (type 8) tag headers: legacy FLV and Enhanced RTMP.

use std::ops::Range;

use super::common::{self, AvMultitrackType, Cursor, ModEx};
use super::{FourCc, MediaError};

/// The parsed header of an audio message.
///
/// The top four bits of the first byte are the sound format; format 9
/// ("ExHeader") switches to the Enhanced RTMP layout, where the low four bits
/// are a packet type and the codec is named by a FourCC.
///
/// ```text
/// legacy:    sound_format:4 rate:2 size:1 stereo:1 [aac_packet_type:8]   (AAC)
/// enhanced:  9:4 packet_type:4 [ModEx...] [multitrack:8] fourcc:32
///            [channel order, count, mapping or flags]        (MultichannelConfig)
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AudioTagHeader {
    /// An empty audio message: the "silence" signal (play out what is
    /// buffered, then run video on the wall clock until audio returns).
    Silence,
    /// The FLV `AudioTagHeader`.
    Legacy(LegacyAudioHeader),
    /// The Enhanced RTMP `ExAudioTagHeader`.
    Enhanced(EnhancedAudioHeader),
}

/// A legacy FLV audio tag header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LegacyAudioHeader {
    /// The codec.
    pub sound_format: SoundFormat,
    /// The sampling rate field: 0 = 5.5 kHz, 1 = 11 kHz, 2 = 22 kHz,
    /// 3 = 44 kHz (AAC always says 3, whatever the real rate).
    pub sound_rate: u8,
    /// Whether samples are 16-bit (else 8-bit).
    pub sixteen_bit: bool,
    /// Whether the sound is stereo (else mono).
    pub stereo: bool,
    /// For AAC: what the body holds.
    pub aac_packet_type: Option<AacPacketType>,
}

/// An Enhanced RTMP audio tag header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnhancedAudioHeader {
    /// What the tracks hold; never `Multitrack` or `ModEx` (those are resolved
    /// into [`multitrack`](Self::multitrack) and [`mod_ex`](Self::mod_ex)).
    pub packet_type: AudioPacketType,
    /// The ModEx packets in front of the header, in order.
    pub mod_ex: Vec<ModEx>,
    /// The nanosecond timestamp offset of a TimestampOffsetNano ModEx.
    pub timestamp_offset_nanos: Option<u32>,
    /// The multitrack layout, `None` for a plain single-track message.
    pub multitrack: Option<AvMultitrackType>,
    /// The tracks: exactly one (id 0) for a plain message.
    pub tracks: Vec<AudioTrack>,
}

/// One track of an enhanced audio message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AudioTrack {
    /// The codec.
    pub fourcc: FourCc,
    /// The track id (0 without multitrack).
    pub track_id: u8,
    /// For [`AudioPacketType::MultichannelConfig`]: the channel layout.
    pub channel_config: Option<MultichannelConfig>,
    /// Where this track's codec data lies in the payload (empty for a
    /// channel configuration or a sequence end).
    pub data: Range<usize>,
}

/// The body of a MultichannelConfig packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MultichannelConfig {
    /// How channels are assigned to speakers.
    pub order: AudioChannelOrder,
    /// The number of channels.
    pub channel_count: u8,
    /// For [`AudioChannelOrder::Custom`]: the speaker of each channel, in
    /// bitstream order (`AudioChannel` values of the specification).
    pub mapping: Vec<u8>,
    /// For [`AudioChannelOrder::Native`]: the bit mask of speakers present.
    pub channel_flags: Option<u32>,
}

/// How a multichannel configuration assigns channels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AudioChannelOrder {
    /// Only the channel count is known.
    Unspecified,
    /// Speakers given by a bit mask, in native order.
    Native,
    /// Speakers listed one per channel.
    Custom,
    /// A reserved value; no further fields are read.
    Other(u8),
}

/// A legacy sound format (codec).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SoundFormat {
    /// Linear PCM, platform endian (0).
    LinearPcmPlatformEndian,
    /// ADPCM (1).
    AdPcm,
    /// MP3 (2).
    Mp3,
    /// Linear PCM, little endian (3).
    LinearPcmLittleEndian,
    /// Nellymoser 16 kHz mono (4).
    Nellymoser16kMono,
    /// Nellymoser 8 kHz mono (5).
    Nellymoser8kMono,
    /// Nellymoser (6).
    Nellymoser,
    /// G.711 A-law (7).
    G711ALaw,
    /// G.711 mu-law (8).
    G711MuLaw,
    /// AAC (10).
    Aac,
    /// Speex (11).
    Speex,
    /// MP3 8 kHz (14).
    Mp3At8k,
    /// Device-specific sound (15).
    DeviceSpecific,
    /// A reserved value (12 or 13).
    Reserved(u8),
}

/// What a legacy AAC body holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AacPacketType {
    /// The AudioSpecificConfig.
    SequenceHeader,
    /// Raw AAC frames.
    Raw,
    /// An undefined value, kept.
    Other(u8),
}

/// An Enhanced RTMP audio packet type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AudioPacketType {
    /// A codec configuration (0).
    SequenceStart,
    /// Coded frames (1).
    CodedFrames,
    /// End of sequence (2): at least the meaning of silence.
    SequenceEnd,
    /// A channel layout (4).
    MultichannelConfig,
    /// Multitrack follows (5): resolved by the parser, never stored.
    Multitrack,
    /// A ModEx packet follows (7): resolved by the parser, never stored.
    ModEx,
}

const EX_HEADER: u8 = 9;
const MULTITRACK: u8 = 5;

impl AudioTagHeader {
    /// Parses the tag header at the start of an audio message payload and
    /// returns it with the header length: the offset of the first byte of
    /// codec data (for a multitrack message, of the first track's data; see
    /// [`AudioTrack::data`] for each track). An empty payload is
    /// [`Silence`](AudioTagHeader::Silence) with length 0.
    ///
    /// ```
    /// use wirestate_rtmp::media::{AacPacketType, AudioTagHeader, SoundFormat};
    ///
    /// // AAC, 44 kHz, 16-bit, stereo, raw frame.
    /// let (header, len) = AudioTagHeader::parse(b"\xaf\x01\x21\x10")?;
    /// assert_eq!(len, 2);
    /// let AudioTagHeader::Legacy(legacy) = header else { panic!("legacy") };
    /// assert_eq!(legacy.sound_format, SoundFormat::Aac);
    /// assert_eq!(legacy.aac_packet_type, Some(AacPacketType::Raw));
    /// assert!(legacy.stereo);
    /// # Ok::<(), wirestate_rtmp::media::MediaError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// A [`MediaError`] for a payload too short for its header, or an
    /// Enhanced RTMP header with an unknown packet type or malformed tracks.
    pub fn parse(payload: &[u8]) -> Result<(AudioTagHeader, usize), MediaError> {
        let Some(&first) = payload.first() else {
            return Ok((AudioTagHeader::Silence, 0));
        };
        let mut cur = Cursor::new(payload);
        cur.pos = 1;
        if first >> 4 != EX_HEADER {
            let sound_format = SoundFormat::from_bits(first >> 4);
            let aac_packet_type = if sound_format == SoundFormat::Aac {
                Some(AacPacketType::from_byte(cur.u8()?))
            } else {
                None
            };
            let header = LegacyAudioHeader {
                sound_format,
                sound_rate: (first >> 2) & 0x03,
                sixteen_bit: first & 0x02 != 0,
                stereo: first & 0x01 != 0,
                aac_packet_type,
            };
            return Ok((AudioTagHeader::Legacy(header), cur.pos));
        }
        let header = parse_enhanced(&mut cur, first & 0x0f)?;
        let len = header.tracks.first().map_or(cur.pos, |t| t.data.start);
        Ok((AudioTagHeader::Enhanced(header), len))
    }

    /// Whether this message carries a codec configuration (AAC sequence
    /// header or enhanced SequenceStart) that a late joiner needs.
    pub fn is_sequence_header(&self) -> bool {
        match self {
            AudioTagHeader::Silence => false,
            AudioTagHeader::Legacy(h) => h.aac_packet_type == Some(AacPacketType::SequenceHeader),
            AudioTagHeader::Enhanced(h) => h.packet_type == AudioPacketType::SequenceStart,
        }
    }
}

fn parse_enhanced(
    cur: &mut Cursor<'_>,
    packet_bits: u8,
) -> Result<EnhancedAudioHeader, MediaError> {
    let chain = common::read_mod_ex(cur, packet_bits)?;
    let mut packet_type = chain.packet_type;
    let mut packet_type_at = cur.pos - 1;
    let mut multitrack = None;
    let mut fourcc = None;
    if packet_type == MULTITRACK {
        packet_type_at = cur.pos;
        let (layout, inner) = common::read_multitrack(cur, "audio", MULTITRACK)?;
        multitrack = Some(layout);
        packet_type = inner;
        if layout != AvMultitrackType::ManyTracksManyCodecs {
            fourcc = Some(cur.fourcc()?);
        }
    } else {
        fourcc = Some(cur.fourcc()?);
    }
    let kind = AudioPacketType::known(packet_type, packet_type_at)?;
    // ManyTracksManyCodecs reads each FourCC per track; the placeholder is never used.
    let fourcc = fourcc.unwrap_or(FourCc([0; 4]));
    let tracks = common::read_tracks(cur, multitrack, fourcc, |cur, span| {
        let channel_config = if kind == AudioPacketType::MultichannelConfig {
            Some(read_channel_config(cur)?)
        } else {
            None
        };
        Ok(AudioTrack {
            fourcc: span.fourcc,
            track_id: span.track_id,
            channel_config,
            data: cur.pos..span.end,
        })
    })?;
    Ok(EnhancedAudioHeader {
        packet_type: kind,
        mod_ex: chain.packets,
        timestamp_offset_nanos: chain.timestamp_offset_nanos,
        multitrack,
        tracks,
    })
}

fn read_channel_config(cur: &mut Cursor<'_>) -> Result<MultichannelConfig, MediaError> {
    let order = AudioChannelOrder::from_byte(cur.u8()?);
    let channel_count = cur.u8()?;
    let mut config = MultichannelConfig {
        order,
        channel_count,
        mapping: Vec::new(),
        channel_flags: None,
    };
    match order {
        // At most 255 bytes, and only once they are known to be present.
        AudioChannelOrder::Custom => {
            config.mapping = cur.bytes(usize::from(channel_count))?.to_vec()
        }
        AudioChannelOrder::Native => config.channel_flags = Some(cur.u32()?),
        AudioChannelOrder::Unspecified | AudioChannelOrder::Other(_) => {}
    }
    Ok(config)
}

impl SoundFormat {
    fn from_bits(bits: u8) -> Self {
        match bits {
            0 => SoundFormat::LinearPcmPlatformEndian,
            1 => SoundFormat::AdPcm,
            2 => SoundFormat::Mp3,
            3 => SoundFormat::LinearPcmLittleEndian,
            4 => SoundFormat::Nellymoser16kMono,
            5 => SoundFormat::Nellymoser8kMono,
            6 => SoundFormat::Nellymoser,
            7 => SoundFormat::G711ALaw,
            8 => SoundFormat::G711MuLaw,
            10 => SoundFormat::Aac,
            11 => SoundFormat::Speex,
            14 => SoundFormat::Mp3At8k,
            15 => SoundFormat::DeviceSpecific,
            other => SoundFormat::Reserved(other),
        }
    }
}

impl AacPacketType {
    fn from_byte(byte: u8) -> Self {
        match byte {
            0 => AacPacketType::SequenceHeader,
            1 => AacPacketType::Raw,
            other => AacPacketType::Other(other),
        }
    }
}

impl AudioChannelOrder {
    fn from_byte(byte: u8) -> Self {
        match byte {
            0 => AudioChannelOrder::Unspecified,
            1 => AudioChannelOrder::Native,
            2 => AudioChannelOrder::Custom,
            other => AudioChannelOrder::Other(other),
        }
    }
}

impl AudioPacketType {
    /// The packet types a parsed header can end with (not Multitrack/ModEx).
    fn known(bits: u8, offset: usize) -> Result<Self, MediaError> {
        Ok(match bits {
            0 => AudioPacketType::SequenceStart,
            1 => AudioPacketType::CodedFrames,
            2 => AudioPacketType::SequenceEnd,
            4 => AudioPacketType::MultichannelConfig,
            packet_type => {
                return Err(MediaError::UnknownPacketType {
                    media: "audio",
                    packet_type,
                    offset,
                })
            }
        })
    }
}
