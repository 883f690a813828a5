//! How the sessions are configured: [`ServerConfig`] and [`ClientConfig`].

use std::borrow::Cow;
use std::time::Duration;

use wirestate_core::{DEFAULT_HANDSHAKE_TIMEOUT, DEFAULT_SEND_TIMEOUT};

use crate::media::FourCc;
use crate::session::{CapsEx, FourCcInfoMap};
use crate::RtmpConfig;

/// The default [`ServerConfig::ping_interval`]: 20 s, as a quiet peer
/// costs one 18-byte ping per interval; below the 120 s idle timeouts
/// servers usually run with (an idle timeout also caps the interval at half
/// its length).
pub const DEFAULT_PING_INTERVAL: Duration = Duration::from_secs(20);

/// How a [`ServerSession`](super::ServerSession) answers; [`Default`] matches what FFmpeg and
/// nginx-rtmp expect.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// The connection underneath (handshake, chunk limits, AMF0 limits).
    pub connection: RtmpConfig,
    /// The chunk size this side sends with, announced on accepting
    /// `connect` (4096).
    pub chunk_size: u32,
    /// The WindowAckSize announced on accepting `connect` (2 500 000).
    pub window_ack_size: u32,
    /// The SetPeerBandwidth announced on accepting `connect` (2 500 000,
    /// dynamic).
    pub peer_bandwidth: u32,
    /// At most this many message streams per connection (`createStream`
    /// beyond it is answered with `_error`) (8).
    pub max_streams: usize,
    /// The Enhanced RTMP codecs this server accepts; the `_result` of
    /// `connect` lists those the client also offered.
    pub four_cc_list: Cow<'static, [FourCc]>,
    /// The Enhanced RTMP `capsEx` bits this server supports
    /// ([`CapsEx::NONE`]); a client that offers `capsEx` gets those both
    /// support in the `_result`, and they are the negotiated set
    /// ([`ServerSession::caps_ex`](super::ServerSession::caps_ex)).
    pub caps_ex: CapsEx,
    /// The Enhanced RTMP v2 `videoFourCcInfoMap` this server states in the
    /// `_result` to a client that sent an info map or `capsEx` (left out
    /// when empty). Default: `*` with `CanForward` (the session passes any
    /// codec through).
    pub video_four_cc_info_map: FourCcInfoMap,
    /// The `audioFourCcInfoMap`, like the video one.
    pub audio_four_cc_info_map: FourCcInfoMap,
    /// Without input for this long the session fails with
    /// [`SessionError::IdleTimeout`](crate::session::SessionError::IdleTimeout) (`None`: never).
    /// Any input counts, including the answers to the keepalive pings.
    pub idle_timeout: Option<Duration>,
    /// The handshake and `connect` must complete this long after
    /// [`handle_connected`](wirestate_core::Machine::handle_connected) (or
    /// the first input): until this server answered `connect`
    /// (`accept_connect`, `reject_connect` or auto-accept). Otherwise the
    /// session fails with
    /// [`SessionError::HandshakeTimeout`](crate::session::SessionError::HandshakeTimeout)
    /// (`None`: never). Default [`DEFAULT_HANDSHAKE_TIMEOUT`] (10 s). This
    /// replaces `connection.handshake_timeout`, which sessions ignore.
    pub handshake_timeout: Option<Duration>,
    /// Queued bytes may wait this long for the peer to take any of them;
    /// then the session fails with
    /// [`SessionError::SendStalled`](crate::session::SessionError::SendStalled)
    /// (`None`: never). Default [`DEFAULT_SEND_TIMEOUT`] (30 s). This
    /// replaces `connection.send_timeout`, which sessions ignore.
    pub send_timeout: Option<Duration>,
    /// A peer that sent nothing for this long gets a User Control
    /// PingRequest (timestamp: milliseconds since the session started),
    /// and another every interval while it stays quiet; its PingResponse,
    /// like any input, restarts the idle timeout. The interval used is at
    /// most half of [`idle_timeout`](Self::idle_timeout). `None`: never
    /// ping. Default [`DEFAULT_PING_INTERVAL`] (20 s).
    pub ping_interval: Option<Duration>,
    /// Auto-accept mode (`false`): the session accepts every `connect`,
    /// `publish` and `play` itself, as [`accept_connect`](super::ServerSession::accept_connect),
    /// [`accept_publish`](super::ServerSession::accept_publish) and
    /// [`accept_play`](super::ServerSession::accept_play) would. The request events
    /// are still reported (so the application learns the app, stream names
    /// and stream ids), already answered: do not answer them again.
    pub auto_accept: bool,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            connection: RtmpConfig::default(),
            chunk_size: 4096,
            window_ack_size: 2_500_000,
            peer_bandwidth: 2_500_000,
            max_streams: 8,
            four_cc_list: Cow::Borrowed(&[
                FourCc::AV1,
                FourCc::VP9,
                FourCc::VP8,
                FourCc::HEVC,
                FourCc::AVC,
                FourCc::OPUS,
                FourCc::AAC,
                FourCc::FLAC,
                FourCc::MP3,
                FourCc::AC3,
                FourCc::EAC3,
            ]),
            caps_ex: CapsEx::NONE,
            video_four_cc_info_map: FourCcInfoMap::forward_all(),
            audio_four_cc_info_map: FourCcInfoMap::forward_all(),
            idle_timeout: None,
            handshake_timeout: Some(DEFAULT_HANDSHAKE_TIMEOUT),
            send_timeout: Some(DEFAULT_SEND_TIMEOUT),
            ping_interval: Some(DEFAULT_PING_INTERVAL),
            auto_accept: false,
        }
    }
}

/// What a [`ClientSession`](super::ClientSession) announces in `connect` and how it sends.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// The connection underneath (set `handshake.digest` for a digest C1).
    pub connection: RtmpConfig,
    /// `app`: the application (the URL path before the stream name).
    pub app: String,
    /// `tcUrl`: the URL up to the application.
    pub tc_url: String,
    /// `flashVer` (`FMLE/3.0 (compatible; wirestate)`).
    pub flash_ver: String,
    /// Enhanced RTMP `fourCcList` to offer (`None`: a legacy client).
    pub four_cc_list: Option<Vec<String>>,
    /// Enhanced RTMP v2 `videoFourCcInfoMap` to offer (`None`: not sent).
    /// The server's own map comes back in
    /// [`ClientSession::server_caps`](super::ClientSession::server_caps).
    pub video_four_cc_info_map: Option<FourCcInfoMap>,
    /// Enhanced RTMP v2 `audioFourCcInfoMap` to offer (`None`: not sent).
    pub audio_four_cc_info_map: Option<FourCcInfoMap>,
    /// Enhanced RTMP v2 `capsEx` bits to offer (`None`: not sent). Offer
    /// [`CapsEx::RECONNECT`] to tell the server this client follows
    /// [`ClientEvent::ReconnectRequested`](super::ClientEvent::ReconnectRequested).
    /// The negotiated set is
    /// [`ClientSession::caps_ex`](super::ClientSession::caps_ex).
    pub caps_ex: Option<CapsEx>,
    /// The chunk size this side sends with, announced at once (4096).
    pub chunk_size: u32,
    /// The buffer length announced when playing, in milliseconds (3000).
    pub buffer_length: u32,
    /// Without input for this long the session fails with
    /// [`SessionError::IdleTimeout`](crate::session::SessionError::IdleTimeout) (`None`: never).
    pub idle_timeout: Option<Duration>,
    /// The handshake and `connect` must complete this long after
    /// [`handle_connected`](wirestate_core::Machine::handle_connected) (or
    /// the first input): until the server's answer to `connect` arrived.
    /// Otherwise the session fails with
    /// [`SessionError::HandshakeTimeout`](crate::session::SessionError::HandshakeTimeout)
    /// (`None`: never). Default [`DEFAULT_HANDSHAKE_TIMEOUT`] (10 s).
    pub handshake_timeout: Option<Duration>,
    /// Queued bytes may wait this long for the server to take any of them;
    /// then the session fails with
    /// [`SessionError::SendStalled`](crate::session::SessionError::SendStalled)
    /// (`None`: never). Default [`DEFAULT_SEND_TIMEOUT`] (30 s).
    pub send_timeout: Option<Duration>,
}

impl ClientConfig {
    /// A configuration for `app` at `tc_url` with the defaults above.
    pub fn new(app: &str, tc_url: &str) -> ClientConfig {
        ClientConfig {
            connection: RtmpConfig::default(),
            app: app.into(),
            tc_url: tc_url.into(),
            flash_ver: "FMLE/3.0 (compatible; wirestate)".into(),
            four_cc_list: None,
            video_four_cc_info_map: None,
            audio_four_cc_info_map: None,
            caps_ex: None,
            chunk_size: 4096,
            buffer_length: 3000,
            idle_timeout: None,
            handshake_timeout: Some(DEFAULT_HANDSHAKE_TIMEOUT),
            send_timeout: Some(DEFAULT_SEND_TIMEOUT),
        }
    }
}
