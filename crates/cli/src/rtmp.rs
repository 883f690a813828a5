//! `inspect --protocol rtmp`: one direction of an RTMP connection, decoded.

use std::io;

use serde_json::json;
use wirestate_core::SeededRandom;
use wirestate_rtmp::amf0::Value;
use wirestate_rtmp::handshake::{HandshakeInfo, HandshakeKind};
use wirestate_rtmp::media::{AudioTagHeader, VideoTagHeader};
use wirestate_rtmp::message::{Audio, Command, DataMessage, Message, UserControl, Video};
use wirestate_rtmp::{MessageEvent, Role, RtmpConnection, RtmpError, RtmpEvent};

use crate::feed::feed;
use crate::output::{preview, Printer};
use crate::sample::{sample, Sample};

/// What one decoding pass produced.
struct Pass {
    role: Role,
    /// Each event with its stream offset.
    events: Vec<(usize, RtmpEvent)>,
    error: Option<(usize, RtmpError)>,
    info: Option<HandshakeInfo>,
}

/// Decodes `input` as what a peer in `role` receives.
fn decode(input: &[u8], role: Role) -> Pass {
    // The machine's own answers are discarded, so any seed does.
    let mut machine = RtmpConnection::new(role, Default::default(), SeededRandom::new(0));
    let mut events = Vec::new();
    let mut error = None;
    let collected = feed(&mut machine, input, |_, span, event| {
        match event {
            Ok(event) => events.push((span.start, event)),
            Err(e) => error = Some((span.start, e)),
        }
        Ok(())
    });
    debug_assert!(collected.is_ok(), "collecting cannot fail");
    Pass {
        role,
        events,
        error,
        info: machine.handshake_info().cloned(),
    }
}

/// Decodes `input`, one direction of an RTMP connection starting with its
/// handshake (C0+C1+C2 or S0+S1+S2), and prints the handshake, then a line
/// per message, then the error that ended the stream, if any.
///
/// The direction is guessed: the stream is read as a server reads a client
/// (looking for a client digest in C1); if that finds no digest, as a client
/// reads a server. Simple handshakes look the same both ways, and then the
/// direction does not matter for decoding.
///
/// Offsets: 0 for the handshake; for a message, the first byte after the
/// message before it completed: its first chunk's header unless chunk
/// streams interleave. Payloads: the message payload as the codec encodes
/// it again (an invalid message's: as received).
pub(crate) fn inspect(input: &[u8], out: &mut Printer) -> io::Result<()> {
    let as_server = decode(input, Role::Server);
    let pass = match as_server.info.as_ref().map(|i| i.kind) {
        Some(HandshakeKind::Digest { .. }) => as_server,
        _ => {
            let as_client = decode(input, Role::Client);
            match as_client.info.as_ref().map(|i| i.kind) {
                Some(HandshakeKind::Digest { .. }) => as_client,
                _ => as_server,
            }
        }
    };
    print_handshake(&pass, out)?;
    for (offset, event) in &pass.events {
        out.at(*offset);
        match event {
            RtmpEvent::HandshakeComplete => {}
            RtmpEvent::Message(m) => print_message(m, out)?,
            RtmpEvent::InvalidMessage { raw, error } => out.bytes(&raw.payload).emit(
                serde_json::json!({
                    "event": "invalid_message",
                    "type_id": raw.type_id,
                    "stream_id": raw.stream_id,
                    "timestamp": raw.timestamp,
                    "len": raw.payload.len(),
                    "error": error.to_string(),
                    "head": preview(&raw.payload, 32),
                }),
                format_args!(
                    "{:>9} msid={} type={} len={} INVALID: {error}",
                    raw.timestamp,
                    raw.stream_id,
                    raw.type_id,
                    raw.payload.len()
                ),
            )?,
        }
    }
    if let Some((offset, error)) = &pass.error {
        out.at(*offset).error(error)?;
    }
    Ok(())
}

fn print_handshake(pass: &Pass, out: &mut Printer) -> io::Result<()> {
    let Some(info) = &pass.info else {
        return Ok(());
    };
    out.at(0);
    let direction = match (info.kind, pass.role) {
        (HandshakeKind::Simple, _) => "unknown",
        (_, Role::Server) => "client-to-server",
        (_, Role::Client) => "server-to-client",
    };
    let version = info.peer_version.map(|b| b.to_string()).join(".");
    let (kind, scheme, offset) = match info.kind {
        HandshakeKind::Simple => ("simple", None, None),
        HandshakeKind::Digest { scheme, offset } => {
            ("digest", Some(format!("{scheme:?}")), Some(offset))
        }
    };
    out.emit(
        serde_json::json!({
            "event": "handshake",
            "direction": direction,
            "kind": kind,
            "scheme": scheme,
            "digest_offset": offset,
            "peer_version": version,
            "peer_epoch": info.peer_epoch,
        }),
        format_args!(
            "handshake {}, peer version {version}, epoch {} ({direction})",
            match (&scheme, offset) {
                (Some(scheme), Some(offset)) => format!("digest {scheme} at offset {offset}"),
                _ => "simple".into(),
            },
            info.peer_epoch
        ),
    )
}

/// An AMF0 value as JSON (objects and ECMA arrays become JSON objects).
fn value_json(value: &Value) -> serde_json::Value {
    use serde_json::Value as J;
    match value {
        Value::Number(n) => {
            serde_json::Number::from_f64(*n).map_or(J::String(n.to_string()), J::Number)
        }
        Value::Boolean(b) => J::Bool(*b),
        Value::String(s) | Value::LongString(s) | Value::XmlDocument(s) => J::String(s.clone()),
        Value::Null => J::Null,
        Value::Undefined => J::String("undefined".into()),
        Value::StrictArray(items) => J::Array(items.iter().map(value_json).collect()),
        Value::Date { millis, .. } => serde_json::json!({ "date": millis }),
        other => match other.properties() {
            Some(properties) => J::Object(
                properties
                    .iter()
                    .map(|(k, v)| (k.clone(), value_json(v)))
                    .collect(),
            ),
            None => J::String(format!("{other:?}")),
        },
    }
}

/// The JSON fields and a text summary of one message.
type Described = (serde_json::Value, String);

/// The JSON fields and a text summary for one message, by message family.
fn describe(message: &Message) -> Described {
    match message {
        Message::SetChunkSize(_)
        | Message::Abort(_)
        | Message::Acknowledgement(_)
        | Message::WindowAckSize(_)
        | Message::SetPeerBandwidth { .. } => describe_control(message),
        Message::UserControl(event) => describe_user_control(event),
        Message::Audio(audio) => describe_audio(audio),
        Message::Video(video) => describe_video(video),
        Message::Data(data) => describe_data(data),
        Message::Command { amf3, command } => describe_command(*amf3, command),
        Message::SharedObject { .. } | Message::Aggregate(_) | Message::Unknown { .. } => {
            describe_other(message)
        }
    }
}

/// A protocol control message (types 1, 2, 3, 5, 6).
fn describe_control(message: &Message) -> Described {
    match message {
        Message::SetChunkSize(v) => (
            json!({"kind": "set_chunk_size", "size": v}),
            format!("SetChunkSize {v}"),
        ),
        Message::Abort(v) => (
            json!({"kind": "abort", "csid": v}),
            format!("Abort csid {v}"),
        ),
        Message::Acknowledgement(v) => (
            json!({"kind": "ack", "sequence": v}),
            format!("Acknowledgement {v}"),
        ),
        Message::WindowAckSize(v) => (
            json!({"kind": "window_ack_size", "size": v}),
            format!("WindowAckSize {v}"),
        ),
        Message::SetPeerBandwidth { size, limit } => (
            json!({"kind": "set_peer_bandwidth", "size": size, "limit": limit.to_byte()}),
            format!("SetPeerBandwidth {size} {limit:?}"),
        ),
        _ => unreachable!("describe passes only protocol control messages"),
    }
}

/// A user control message (type 4).
fn describe_user_control(event: &UserControl) -> Described {
    let (name, value) = match event {
        UserControl::StreamBegin(v) => ("StreamBegin", json!(v)),
        UserControl::StreamEof(v) => ("StreamEOF", json!(v)),
        UserControl::StreamDry(v) => ("StreamDry", json!(v)),
        UserControl::SetBufferLength { stream_id, millis } => (
            "SetBufferLength",
            json!({"stream_id": stream_id, "millis": millis}),
        ),
        UserControl::StreamIsRecorded(v) => ("StreamIsRecorded", json!(v)),
        UserControl::PingRequest(v) => ("PingRequest", json!(v)),
        UserControl::PingResponse(v) => ("PingResponse", json!(v)),
        UserControl::Unknown { event_type, data } => {
            ("Unknown", json!({"type": event_type, "len": data.len()}))
        }
    };
    (
        json!({"kind": "user_control", "user_event": name, "value": value}),
        format!("UserControl {name} {value}"),
    )
}

/// An audio message (type 8): its codec.
fn describe_audio(audio: &Audio) -> Described {
    let codec = match &audio.header {
        Ok(AudioTagHeader::Legacy(h)) => format!("{:?}", h.sound_format),
        Ok(AudioTagHeader::Enhanced(h)) => h
            .tracks
            .first()
            .map(|t| t.fourcc.to_string())
            .unwrap_or_default(),
        Ok(AudioTagHeader::Silence) => "silence".into(),
        Err(e) => format!("bad header: {e}"),
    };
    (
        json!({"kind": "audio", "codec": codec}),
        format!("Audio {codec}"),
    )
}

/// A video message (type 9): its codec and whether it is a keyframe.
fn describe_video(video: &Video) -> Described {
    let (codec, keyframe) = match &video.header {
        Ok(h @ VideoTagHeader::Legacy(l)) => (format!("{:?}", l.codec_id), h.is_keyframe()),
        Ok(h @ VideoTagHeader::Enhanced(e)) => (
            e.tracks
                .first()
                .map(|t| t.fourcc.to_string())
                .unwrap_or_default(),
            h.is_keyframe(),
        ),
        Err(e) => (format!("bad header: {e}"), false),
    };
    (
        json!({"kind": "video", "codec": codec, "keyframe": keyframe}),
        format!("Video {codec}{}", if keyframe { " keyframe" } else { "" }),
    )
}

/// A data message (types 15, 18): its AMF values.
fn describe_data(data: &DataMessage) -> Described {
    let values: Vec<serde_json::Value> = data.values.iter().map(value_json).collect();
    let text = format!("Data {}", serde_json::Value::Array(values.clone()));
    (
        json!({"kind": "data", "amf3": data.amf3, "values": values}),
        text,
    )
}

/// A command message (types 17, 20): name, transaction, object, arguments.
fn describe_command(amf3: bool, command: &Command) -> Described {
    let generic = command.to_generic();
    let object = generic.command_object.as_ref().map(value_json);
    let arguments: Vec<serde_json::Value> = generic.arguments.iter().map(value_json).collect();
    let text = format!(
        "{}(tx={}) {} {}",
        generic.name,
        generic
            .transaction_id
            .map(|t| t.to_string())
            .unwrap_or_else(|| "none".into()),
        object.clone().unwrap_or(serde_json::Value::Null),
        serde_json::Value::Array(arguments.clone())
    );
    let typed = !matches!(command, Command::Other(_));
    (
        json!({
            "kind": "command",
            "amf3": amf3,
            "command": generic.name,
            "typed": typed,
            "transaction_id": generic.transaction_id,
            "command_object": object,
            "arguments": arguments,
        }),
        text,
    )
}

/// Shared object, aggregate and unknown messages: only their kind.
fn describe_other(message: &Message) -> Described {
    match message {
        Message::SharedObject { amf3, payload } => (
            json!({"kind": "shared_object", "amf3": amf3}),
            format!("SharedObject {}", preview(payload, 32)),
        ),
        Message::Aggregate(_) => (json!({"kind": "aggregate"}), "Aggregate".into()),
        Message::Unknown { payload, .. } => (
            json!({"kind": "unknown"}),
            format!("Unknown {}", preview(payload, 32)),
        ),
        _ => unreachable!("describe passes only the remaining message kinds"),
    }
}

fn print_message(m: &MessageEvent, out: &mut Printer) -> io::Result<()> {
    let (fields, text) = describe(&m.message);
    let mut json = serde_json::json!({
        "event": "message",
        "type_id": m.message.type_id(),
        "stream_id": m.stream_id,
        "timestamp": m.timestamp,
        "len": m.len,
        "csid": m.csid,
    });
    if let (Some(json), serde_json::Value::Object(fields)) = (json.as_object_mut(), fields) {
        json.extend(fields);
    }
    out.bytes(&m.message.encode_payload()).emit(
        json,
        format_args!(
            "{:>9} msid={} type={} len={} {text}",
            m.timestamp,
            m.stream_id,
            m.message.type_id(),
            m.len
        ),
    )
}

/// What FFmpeg sent while playing a stream from nginx-rtmp: the digest
/// handshake, connect, createStream, play and acknowledgements.
pub(crate) const SAMPLES: &[Sample<()>] = &[sample!("rtmp/rtmp_ffmpeg_play_nginx.c2s.bin", ())];
