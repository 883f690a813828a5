//! A server session's answers to requests (`accept_*`, `reject_*`) and the
//! media it sends to players.

use bytes::Bytes;

use crate::amf0::Value;
use crate::chunk::SharedChunks;
use crate::message::{type_id, BandwidthLimit, DataMessage, Message, UserControl};
use crate::session::cache::player_metadata;
use crate::session::status::{self, on_status};
use crate::session::{RequestId, ServerSession};
use crate::LocalError;

use super::enhanced::connect_properties;
use super::streams::{Kind, StreamState};
use super::Phase;

impl ServerSession {
    /// Accepts a `connect`: sends WindowAckSize, SetPeerBandwidth,
    /// SetChunkSize and `_result` (with Enhanced RTMP capabilities when the
    /// client offered them). Drain [`poll_transmit`](wirestate_core::Machine::poll_transmit)
    /// next.
    ///
    /// ```
    /// use std::time::Instant;
    /// use wirestate_core::{Machine, SeededRandom};
    /// use wirestate_rtmp::session::*;
    ///
    /// let now = Instant::now();
    /// let mut server = ServerSession::new(ServerConfig::default(), SeededRandom::new(1), now);
    /// let config = ClientConfig::new("live", "rtmp://127.0.0.1/live");
    /// let mut client = ClientSession::new(config, SeededRandom::new(2), now);
    /// let mut connected = false;
    /// while !connected {
    ///     while let Some(bytes) = client.poll_transmit() { server.handle_input(&bytes, now); }
    ///     while let Some(event) = server.poll_event() {
    ///         if let ServerEvent::ConnectRequested(connect) = event? {
    ///             assert_eq!(connect.app, "live");
    ///             server.accept_connect(connect.request)?;
    ///         }
    ///     }
    ///     while let Some(bytes) = server.poll_transmit() { client.handle_input(&bytes, now); }
    ///     while let Some(event) = client.poll_event() {
    ///         connected |= matches!(event?, ClientEvent::Connected { .. });
    ///     }
    /// }
    /// assert_eq!(server.app(), "live");
    /// # Ok::<(), SessionError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`LocalError::UnknownRequest`] if `request` is not a pending
    /// `connect`; [`LocalError::Closed`] if the session is closed.
    pub fn accept_connect(&mut self, request: RequestId) -> Result<(), LocalError> {
        let pending = self.role.take_pending(request, Kind::Connect)?;
        let connect = pending.connect.ok_or(LocalError::UnknownRequest(request))?;
        self.role.phase = Phase::Connected;
        self.connect_answered();
        self.role.app = connect.app().unwrap_or_default().to_owned();
        let config = &self.role.config;
        let (window, bandwidth, chunk_size) = (
            config.window_ack_size,
            config.peer_bandwidth,
            config.chunk_size,
        );
        let (properties, caps_ex) = connect_properties(config, &connect);
        self.role.caps_ex = caps_ex;
        self.send_control(Message::WindowAckSize(window))?;
        self.send_control(Message::SetPeerBandwidth {
            size: bandwidth,
            limit: BandwidthLimit::Dynamic,
        })?;
        self.send_control(Message::SetChunkSize(chunk_size))?;
        let encoding = connect.object_encoding().unwrap_or(0.0);
        let info = status::info(
            "status",
            "NetConnection.Connect.Success",
            "Connection succeeded.",
            vec![("objectEncoding".to_owned(), Value::Number(encoding))],
        );
        let result = status::result(pending.transaction_id, properties, vec![info]);
        self.send_on(0, result)
    }

    /// Rejects a `connect` with `_error` `NetConnection.Connect.Rejected`
    /// and `description`. Later commands are ignored; close the session
    /// once the transmits are drained.
    ///
    /// # Errors
    ///
    /// As [`accept_connect`](Self::accept_connect).
    pub fn reject_connect(
        &mut self,
        request: RequestId,
        description: &str,
    ) -> Result<(), LocalError> {
        let pending = self.role.take_pending(request, Kind::Connect)?;
        self.role.phase = Phase::Rejected;
        self.connect_answered();
        let code = "NetConnection.Connect.Rejected";
        self.send_on(0, status::error(pending.transaction_id, code, description))
    }

    /// Accepts a `publish`: sends onStatus `NetStream.Publish.Start`. Media
    /// events for the stream follow.
    ///
    /// # Errors
    ///
    /// [`LocalError::UnknownRequest`] if `request` is not a pending
    /// `publish`; [`LocalError::Closed`] if the session is closed.
    pub fn accept_publish(&mut self, request: RequestId) -> Result<(), LocalError> {
        let (stream_id, name) = self.take_stream_request(request, Kind::Publish)?;
        let description = format!("{name} is now published.");
        self.role
            .set_stream(stream_id, StreamState::Publishing(name.clone()));
        let details = vec![("details".to_owned(), Value::String(name))];
        let start = on_status("status", "NetStream.Publish.Start", &description, details);
        self.send_on(stream_id, start)
    }

    /// Rejects a `publish` with an error onStatus `code` (for example
    /// `NetStream.Publish.BadName`) and `description`.
    ///
    /// # Errors
    ///
    /// As [`accept_publish`](Self::accept_publish).
    pub fn reject_publish(
        &mut self,
        request: RequestId,
        code: &str,
        description: &str,
    ) -> Result<(), LocalError> {
        self.reject_stream_request(request, Kind::Publish, code, description)
    }

    /// Accepts a `play`: sends StreamBegin, onStatus `NetStream.Play.Reset`
    /// and `NetStream.Play.Start`, and `|RtmpSampleAccess`. Push media with
    /// [`send_metadata`](Self::send_metadata),
    /// [`send_audio`](Self::send_audio) and [`send_video`](Self::send_video)
    /// next, sequence headers first ([`SequenceHeaders`](crate::session::SequenceHeaders)).
    ///
    /// # Errors
    ///
    /// [`LocalError::UnknownRequest`] if `request` is not a pending `play`;
    /// [`LocalError::Closed`] if the session is closed.
    pub fn accept_play(&mut self, request: RequestId) -> Result<(), LocalError> {
        let (stream_id, name) = self.take_stream_request(request, Kind::Play)?;
        self.role
            .set_stream(stream_id, StreamState::Playing(name.clone()));
        self.send_control(Message::UserControl(UserControl::StreamBegin(stream_id)))?;
        let reset = format!("Playing and resetting {name}.");
        let start = format!("Started playing {name}.");
        for (code, description) in [
            ("NetStream.Play.Reset", reset),
            ("NetStream.Play.Start", start),
        ] {
            let details = vec![("details".to_owned(), Value::String(name.clone()))];
            self.send_on(stream_id, on_status("status", code, &description, details))?;
        }
        let access = DataMessage {
            amf3: false,
            values: vec![
                Value::String("|RtmpSampleAccess".into()),
                Value::Boolean(true),
                Value::Boolean(true),
            ],
        };
        self.send_on(stream_id, Message::Data(access))
    }

    /// Rejects a `play` with an error onStatus `code` (for example
    /// `NetStream.Play.StreamNotFound`) and `description`.
    ///
    /// # Errors
    ///
    /// As [`accept_play`](Self::accept_play).
    pub fn reject_play(
        &mut self,
        request: RequestId,
        code: &str,
        description: &str,
    ) -> Result<(), LocalError> {
        self.reject_stream_request(request, Kind::Play, code, description)
    }

    /// Sends metadata to a player (`onMetaData` and properties; a
    /// publisher's `@setDataFrame` wrapper is removed).
    ///
    /// # Errors
    ///
    /// [`LocalError::NotPlaying`] if `stream_id` is not playing;
    /// [`LocalError::Closed`] if the session is closed.
    pub fn send_metadata(
        &mut self,
        stream_id: u32,
        timestamp: u32,
        data: &DataMessage,
    ) -> Result<(), LocalError> {
        let stream_id = self.playing(stream_id)?;
        let data = player_metadata(data).unwrap_or_else(|| data.clone());
        self.send_data(stream_id, timestamp, data)
    }

    /// Sends an audio message body (tag header included) to the player on
    /// message stream `stream`, with timestamp `ts` (milliseconds). The
    /// payload is not copied: it goes out as its own transmit pieces.
    ///
    /// # Errors
    ///
    /// As [`send_metadata`](Self::send_metadata).
    pub fn send_audio(&mut self, stream: u32, ts: u32, payload: Bytes) -> Result<(), LocalError> {
        let stream_id = self.playing(stream)?;
        self.send_media(stream_id, ts, type_id::AUDIO, payload)
    }

    /// Sends a video message body (tag header included) to a player, like
    /// [`send_audio`](Self::send_audio).
    ///
    /// # Errors
    ///
    /// As [`send_metadata`](Self::send_metadata).
    pub fn send_video(&mut self, stream: u32, ts: u32, payload: Bytes) -> Result<(), LocalError> {
        let stream_id = self.playing(stream)?;
        self.send_media(stream_id, ts, type_id::VIDEO, payload)
    }

    /// Sends a video message like [`send_video`](Self::send_video), with
    /// its chunks shared between the players it is relayed to: encoded by
    /// the first of them, reused by every player whose chunk settings
    /// (chunk size, message stream id, last header on the video chunk
    /// stream) match, encoded again by the others. Each player gets the
    /// bytes `send_video` would have sent it.
    ///
    /// # Errors
    ///
    /// As [`send_metadata`](Self::send_metadata).
    pub fn send_video_shared(
        &mut self,
        stream: u32,
        ts: u32,
        payload: Bytes,
        shared: &SharedChunks,
    ) -> Result<(), LocalError> {
        let stream_id = self.playing(stream)?;
        self.send_media_shared(stream_id, ts, type_id::VIDEO, payload, shared)
    }

    /// Sends an audio message like [`send_audio`](Self::send_audio), with
    /// its chunks shared as in [`send_video_shared`](Self::send_video_shared).
    ///
    /// # Errors
    ///
    /// As [`send_metadata`](Self::send_metadata).
    pub fn send_audio_shared(
        &mut self,
        stream: u32,
        ts: u32,
        payload: Bytes,
        shared: &SharedChunks,
    ) -> Result<(), LocalError> {
        let stream_id = self.playing(stream)?;
        self.send_media_shared(stream_id, ts, type_id::AUDIO, payload, shared)
    }

    /// Tells a player the stream ended: onStatus
    /// `NetStream.Play.UnpublishNotify` and `NetStream.Play.Stop`, then
    /// StreamEOF. The stream stops playing.
    ///
    /// # Errors
    ///
    /// As [`send_metadata`](Self::send_metadata).
    pub fn end_play(&mut self, stream_id: u32) -> Result<(), LocalError> {
        let StreamState::Playing(name) = self.role.stream(stream_id).clone() else {
            return Err(LocalError::NotPlaying(stream_id));
        };
        self.role.set_stream(stream_id, StreamState::Idle);
        self.send_play_end(stream_id, &name)
    }

    /// onStatus `NetStream.Play.UnpublishNotify` and `NetStream.Play.Stop`,
    /// then StreamEOF, for the player of `name` on `stream_id`.
    pub(super) fn send_play_end(&mut self, stream_id: u32, name: &str) -> Result<(), LocalError> {
        let unpublished = format!("{name} is now unpublished.");
        let stopped = format!("Stopped playing {name}.");
        for (code, description) in [
            ("NetStream.Play.UnpublishNotify", unpublished),
            ("NetStream.Play.Stop", stopped),
        ] {
            self.send_on(
                stream_id,
                on_status("status", code, &description, Vec::new()),
            )?;
        }
        self.send_control(Message::UserControl(UserControl::StreamEof(stream_id)))
    }

    /// `stream_id`, if it is playing.
    fn playing(&self, stream_id: u32) -> Result<u32, LocalError> {
        match self.role.stream(stream_id) {
            StreamState::Playing(_) => Ok(stream_id),
            _ => Err(LocalError::NotPlaying(stream_id)),
        }
    }

    /// Takes a pending `publish` or `play`: its stream and stream name.
    fn take_stream_request(
        &mut self,
        request: RequestId,
        kind: Kind,
    ) -> Result<(u32, String), LocalError> {
        let pending = self.role.take_pending(request, kind)?;
        match self.role.stream(pending.stream_id) {
            StreamState::PublishPending(name) | StreamState::PlayPending(name) => {
                Ok((pending.stream_id, name.clone()))
            }
            _ => Err(LocalError::UnknownRequest(request)),
        }
    }

    /// Answers a pending `publish` or `play` with an error onStatus.
    fn reject_stream_request(
        &mut self,
        request: RequestId,
        kind: Kind,
        code: &str,
        description: &str,
    ) -> Result<(), LocalError> {
        let pending = self.role.take_pending(request, kind)?;
        self.role.set_stream(pending.stream_id, StreamState::Idle);
        self.send_on(
            pending.stream_id,
            on_status("error", code, description, Vec::new()),
        )
    }
}
