//! What the RTMP script targets share: small limits, so that the memory
//! bound is tight, and commands from script commands.

use std::time::Duration;

use bytes::Bytes;
use wirestate_rtmp::amf0::Value;
use wirestate_rtmp::chunk::{ChunkLimits, DecoderConfig, Type3ExtendedTimestamp};
use wirestate_rtmp::message::{DataMessage, Message};
use wirestate_rtmp::session::{ClientCommand, RequestId, ServerCommand};
use wirestate_rtmp::{Outgoing, RtmpCommand, RtmpConfig};

use crate::{bit, number, text};

/// The chunk limits of every RTMP target.
pub const LIMITS: ChunkLimits = ChunkLimits {
    max_message_len: 64 << 10,
    max_partial_messages: 8,
    max_buffered: 256 << 10,
    max_chunk_streams: 64,
};

/// The memory bound of a connection under [`LIMITS`]: the messages being
/// reassembled, plus input not decoded yet once every event was polled
/// (at most the high-water mark while events wait, plus one read).
pub const MAX_HELD: usize = LIMITS.max_buffered + HIGH_WATER + crate::run::READ_SIZE;

/// Input buffered while events wait, before reading pauses.
const HIGH_WATER: usize = 16 << 10;

/// A connection configuration from the options byte: bit 0 the lenient
/// type-3 extended timestamp rule.
pub fn connection(options: u8) -> RtmpConfig {
    RtmpConfig {
        decoder: DecoderConfig {
            limits: LIMITS,
            type3_extended_timestamp: if bit(options, 0) {
                Type3ExtendedTimestamp::PeekAndCompare
            } else {
                Type3ExtendedTimestamp::Required
            },
        },
        input_high_water: HIGH_WATER,
        ..RtmpConfig::default()
    }
}

/// An idle timeout when bit 1 of the options is set.
pub fn idle(options: u8) -> Option<Duration> {
    bit(options, 1).then_some(Duration::from_secs(60))
}

/// The first argument byte as a request or stream number.
fn id(arg: &[u8]) -> u32 {
    u32::from(arg.first().copied().unwrap_or(0))
}

/// The argument after its first byte, as a payload.
fn payload(arg: &[u8]) -> Bytes {
    Bytes::copy_from_slice(arg.get(1..).unwrap_or_default())
}

/// A server session command: 0-5 accept or reject connect, publish, play
/// (arg: request number, then a description), 6 metadata, 7 audio,
/// 8 video (arg: stream id, then the body), 9 end play, 10 ping,
/// 11 reconnect request, 12 close.
pub fn server_command(code: u8, arg: &[u8]) -> ServerCommand {
    let request = RequestId(u64::from(id(arg)));
    let description = text(arg.get(1..).unwrap_or_default());
    let (stream_id, timestamp) = (id(arg), u32::from(number(arg)));
    match code % 13 {
        0 => ServerCommand::AcceptConnect(request),
        1 => ServerCommand::RejectConnect {
            request,
            description,
        },
        2 => ServerCommand::AcceptPublish(request),
        3 => ServerCommand::RejectPublish {
            request,
            code: "NetStream.Publish.BadName".into(),
            description,
        },
        4 => ServerCommand::AcceptPlay(request),
        5 => ServerCommand::RejectPlay {
            request,
            code: "NetStream.Play.StreamNotFound".into(),
            description,
        },
        6 => ServerCommand::SendMetadata {
            stream_id,
            timestamp,
            data: DataMessage {
                amf3: false,
                values: vec![
                    Value::String("onMetaData".into()),
                    Value::String(description),
                ],
            },
        },
        7 => ServerCommand::SendAudio {
            stream_id,
            timestamp,
            payload: payload(arg),
        },
        8 => ServerCommand::SendVideo {
            stream_id,
            timestamp,
            payload: payload(arg),
        },
        9 => ServerCommand::EndPlay(stream_id),
        10 => ServerCommand::Ping(timestamp),
        11 => ServerCommand::RequestReconnect {
            tc_url: (!arg.is_empty()).then(|| text(arg)),
            description: None,
        },
        _ => ServerCommand::Close,
    }
}

/// A client session command: 0 publish, 1 play (arg: the name), 2
/// metadata, 3 audio, 4 video (arg: timestamp byte, then the body), 5 stop,
/// 6 ping, 7 close.
pub fn client_command(code: u8, arg: &[u8]) -> ClientCommand {
    let timestamp = id(arg);
    match code % 8 {
        0 => ClientCommand::Publish {
            name: text(arg),
            kind: "live".into(),
        },
        1 => ClientCommand::Play { name: text(arg) },
        2 => ClientCommand::SendMetadata {
            timestamp,
            properties: Value::String(text(arg)),
        },
        3 => ClientCommand::SendAudio {
            timestamp,
            payload: payload(arg),
        },
        4 => ClientCommand::SendVideo {
            timestamp,
            payload: payload(arg),
        },
        5 => ClientCommand::Stop,
        6 => ClientCommand::Ping(timestamp),
        _ => ClientCommand::Close,
    }
}

/// A connection command: send a message of the type the first argument
/// byte names (the rest is its body, decoded as that type; undecodable
/// bodies are sent as they are), or close.
pub fn connection_command(code: u8, arg: &[u8]) -> RtmpCommand {
    if code % 4 == 3 {
        return RtmpCommand::Close;
    }
    let type_id = arg.first().copied().unwrap_or(8);
    let body = payload(arg);
    let message =
        Message::decode(type_id, body.clone(), &Default::default()).unwrap_or(Message::Unknown {
            type_id,
            payload: body,
        });
    RtmpCommand::Send(Outgoing {
        csid: 3 + u32::from(code % 4),
        stream_id: u32::from(code >> 2),
        timestamp: u32::from(number(arg)),
        message,
    })
}
