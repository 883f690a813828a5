//! What the sessions report: [`ServerEvent`] (with its [`ConnectRequest`]),
//! [`ClientEvent`], and the [`MediaEvent`] both carry.

use crate::amf0::Value;
use crate::message::{Audio, Connect, DataMessage, Message, Video};
use crate::session::cache::player_metadata;
use crate::session::{CapsEx, FourCcInfoMap, RequestId, Status};
use crate::MessageEvent;

/// A `connect` the application must accept or reject.
#[derive(Debug, Clone, PartialEq)]
pub struct ConnectRequest {
    /// Pass to [`ServerSession::accept_connect`](super::ServerSession::accept_connect) or
    /// [`ServerSession::reject_connect`](super::ServerSession::reject_connect).
    pub request: RequestId,
    /// `app`, the application name (empty if absent).
    pub app: String,
    /// `tcUrl`.
    pub tc_url: Option<String>,
    /// `flashVer`.
    pub flash_ver: Option<String>,
    /// `objectEncoding` (0 AMF0, 3 AMF3).
    pub object_encoding: Option<f64>,
    /// Enhanced RTMP `fourCcList`, when the client offered it.
    pub four_cc_list: Option<Vec<String>>,
    /// Enhanced RTMP v2 `videoFourCcInfoMap`, when the client offered it.
    pub video_four_cc_info_map: Option<FourCcInfoMap>,
    /// Enhanced RTMP v2 `audioFourCcInfoMap`, when the client offered it.
    pub audio_four_cc_info_map: Option<FourCcInfoMap>,
    /// Enhanced RTMP v2 `capsEx`, when the client offered it (a whole
    /// number below 2^32). Accepting answers with the bits
    /// [`ServerConfig::caps_ex`](super::ServerConfig::caps_ex) also has.
    pub caps_ex: Option<CapsEx>,
    /// The whole `connect` command.
    pub command: Connect,
}

/// What a [`ServerSession`](super::ServerSession) reports.
#[derive(Debug, Clone, PartialEq)]
pub enum ServerEvent {
    /// The client sent `connect`: call [`ServerSession::accept_connect`](super::ServerSession::accept_connect) or
    /// [`ServerSession::reject_connect`](super::ServerSession::reject_connect).
    ConnectRequested(ConnectRequest),
    /// The client wants to publish `name` on `stream_id`: call
    /// [`ServerSession::accept_publish`](super::ServerSession::accept_publish) or [`ServerSession::reject_publish`](super::ServerSession::reject_publish).
    PublishRequested {
        /// The request to answer.
        request: RequestId,
        /// The message stream it publishes on.
        stream_id: u32,
        /// The application of the connection.
        app: String,
        /// The stream name (the stream key).
        name: String,
        /// `live`, `record` or `append`, if given.
        kind: Option<String>,
    },
    /// The client wants to play `name` on `stream_id`: call
    /// [`ServerSession::accept_play`](super::ServerSession::accept_play) or [`ServerSession::reject_play`](super::ServerSession::reject_play).
    PlayRequested {
        /// The request to answer.
        request: RequestId,
        /// The message stream to play on.
        stream_id: u32,
        /// The application of the connection.
        app: String,
        /// The stream name.
        name: String,
        /// `play`'s start (-2 live or recorded, -1 live, >= 0 seconds).
        start: Option<f64>,
    },
    /// Metadata, audio or video from a publisher, on a stream whose
    /// `publish` was accepted.
    Media(MediaEvent),
    /// A publisher stopped (FCUnpublish, closeStream, deleteStream or the
    /// connection ended). No more media comes for `stream_id`.
    PublishFinished {
        /// The stream that was published.
        stream_id: u32,
        /// The stream name.
        name: String,
    },
    /// A player stopped (closeStream, deleteStream or the connection ended):
    /// stop pushing media for `stream_id`.
    PlayFinished {
        /// The stream that was played.
        stream_id: u32,
        /// The stream name.
        name: String,
    },
    /// Any other message (acknowledgements, ping responses, unknown
    /// commands, media on a stream that does not publish ...), after the
    /// session and the connection did what they do with it.
    Other(MessageEvent),
}

impl From<MediaEvent> for ServerEvent {
    fn from(media: MediaEvent) -> ServerEvent {
        ServerEvent::Media(media)
    }
}

/// What a [`ClientSession`](super::ClientSession) reports.
#[derive(Debug, Clone, PartialEq)]
pub enum ClientEvent {
    /// The server accepted `connect`. A `publish` or `play` asked for goes
    /// out now.
    Connected {
        /// The `_result`'s properties (`fmsVer`, `capabilities`, Enhanced
        /// RTMP `fourCcList` ...).
        properties: Value,
        /// Its information object.
        status: Status,
    },
    /// The server refused `connect` (`_error`).
    ConnectRejected(Status),
    /// `NetStream.Publish.Start`: send media now.
    PublishStarted {
        /// The message stream published on.
        stream_id: u32,
    },
    /// `NetStream.Play.Start`: media events follow.
    PlayStarted {
        /// The message stream played on.
        stream_id: u32,
    },
    /// Any other `onStatus` (errors such as `NetStream.Publish.BadName`
    /// included; see [`Status::is_error`]).
    Status {
        /// The message stream it came on.
        stream_id: u32,
        /// The status.
        status: Status,
    },
    /// `_error` for a command other than `connect`.
    CommandError {
        /// The transaction id of the failed command.
        transaction_id: f64,
        /// The error's information object.
        status: Status,
    },
    /// The server asks this client to reconnect (Enhanced RTMP v2
    /// `onStatus` `NetConnection.Connect.ReconnectRequest`). The current
    /// connection keeps working: finish up to a media boundary, then
    /// connect anew with
    /// [`ClientConfig::reconnect_to`](super::ClientConfig::reconnect_to)`(tc_url)`
    /// (see [`resolve_tc_url`](super::resolve_tc_url)) and close this
    /// session.
    ReconnectRequested {
        /// The `tcUrl` to reconnect to, as sent (absolute or relative);
        /// `None`: the current one.
        tc_url: Option<String>,
        /// The human-readable reason, if given.
        description: Option<String>,
    },
    /// Metadata (`onMetaData`), audio or video from the server, on any
    /// message stream (0 from `ffmpeg -listen`).
    Media(MediaEvent),
    /// The server says a stream ended (user control StreamEOF): a player
    /// gets no more media on it.
    StreamEof {
        /// The message stream that ended.
        stream_id: u32,
    },
    /// Any other message, after the connection handled what it handles.
    Other(MessageEvent),
}

impl From<MediaEvent> for ClientEvent {
    fn from(media: MediaEvent) -> ClientEvent {
        ClientEvent::Media(media)
    }
}

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
