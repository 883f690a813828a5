//! `inspect --protocol websocket` (`serve websocket` is in `serve::websocket`).
//!
//! Inspect decodes one direction of a recorded connection: the client's bytes
//! through our server role (request, then masked frames) or the server's bytes
//! through our client role (response, then unmasked frames), and prints the
//! handshake, every message and the close.

use std::io;

use bytes::BytesMut;
use wirestate_core::{Machine, SeededRandom};
use wirestate_websocket::frame::{rsv, FrameDecoder, FrameRules, Step};
use wirestate_websocket::{
    CloseFrame, DeflateConfig, DeflateParams, Message, ProtocolViolation, Request, Role, WsConfig,
    WsConnection, WsError, WsEvent,
};

use crate::feed::feed;
use crate::output::{preview, sha256_hex, Printer};
use crate::sample::{sample, Sample};

/// Texts up to this many bytes are printed in full.
const SHORT_TEXT: usize = 120;

/// Decodes `input`, one direction of a WebSocket connection from its first
/// byte: `Role::Server` reads what a client sent, `Role::Client` what a server
/// sent. Prints the handshake, each message (type, length, sha256, text when
/// short), pings and pongs, the close code and reason, and the error that
/// ended the stream, if any (EOF without a close is one: 1006). Offsets: 0
/// for the HTTP head, else the first byte of the unit's first frame (a
/// message's first fragment); payloads: a message's data (inflated), a
/// fragment's, a ping's or pong's.
///
/// permessage-deflate is decoded when the handshake in the capture uses it:
/// the client's offer (server role) or the server's answer (client role).
/// Messages are inflated with a 15-bit window, keeping context between
/// messages: that decodes every stream the agreed parameters allow (a
/// smaller window or a reset context only ever asks less of the reader). If
/// compressed frames arrive without a usable agreement, they are listed
/// frame by frame instead.
pub(crate) fn inspect(input: &[u8], role: Role, out: &mut Printer) -> io::Result<()> {
    let Some(head_len) = head_len(input) else {
        return out.error("no complete HTTP head");
    };
    let head = String::from_utf8_lossy(&input[..head_len]);
    let deflate = head.to_ascii_lowercase().contains("permessage-deflate");
    let error = match role {
        Role::Server => decode_as_server(input, deflate, out)?,
        Role::Client => decode_as_client(&head, input, head_len, deflate, out)?,
    };
    let Some((offset, error)) = error else {
        return Ok(());
    };
    let reserved = matches!(error, WsError::Protocol(ProtocolViolation::ReservedBits(_)));
    if reserved && deflate {
        out.at(offset).emit(
            serde_json::json!({ "event": "note", "note": "permessage-deflate: listing frames" }),
            "note: compressed frames without a usable permessage-deflate agreement; listing frames instead",
        )?;
        return list_frames(input, head_len, role, out);
    }
    out.at(offset).error_with(
        serde_json::json!({
            "event": "error",
            "error": error.to_string(),
            "close_code": error.close_code(),
        }),
        format_args!("error: {error}"),
    )
}

/// The stream offset and the error that ended a stream.
type Ended = Option<(usize, WsError)>;

/// Decodes a client's bytes (request, then masked frames) as a server does;
/// returns the error that ended the stream, if any.
fn decode_as_server(input: &[u8], deflate: bool, out: &mut Printer) -> io::Result<Ended> {
    // Accepts any offer with the least demanding reading side.
    let reader = DeflateConfig {
        server_no_context_takeover: false,
        client_no_context_takeover: false,
        server_max_window_bits: 15,
        client_max_window_bits: 15,
        ..DeflateConfig::server()
    };
    let config = WsConfig {
        deflate: deflate.then_some(reader),
        ..WsConfig::default()
    };
    let mut server = WsConnection::server_auto_accept(config);
    drain(&mut server, input, 0, out)
}

/// Prints a server's response `head`, then decodes the frames after it (from
/// `head_len` on, unmasked) as a client does; returns the error that ended
/// the stream, if any.
fn decode_as_client(
    head: &str,
    input: &[u8],
    head_len: usize,
    deflate: bool,
    out: &mut Printer,
) -> io::Result<Ended> {
    out.at(0);
    print_response_head(head, out)?;
    // The client's key is unknown here, so the accept hash is shown,
    // not checked; frames go through a client-role connection.
    let agreed = if deflate {
        print_deflate_answer(head, out)?;
        Some(DeflateParams::default())
    } else {
        None
    };
    let mut client =
        WsConnection::accepted_client(WsConfig::default(), agreed, SeededRandom::new(0));
    drain(&mut client, &input[head_len..], head_len, out)
}

/// Prints the extensions a server's response `head` agreed to.
fn print_deflate_answer(head: &str, out: &mut Printer) -> io::Result<()> {
    let answer = head
        .split("\r\n")
        .filter_map(|l| l.split_once(':'))
        .filter(|(n, _)| n.trim().eq_ignore_ascii_case("sec-websocket-extensions"))
        .map(|(_, v)| v.trim())
        .collect::<Vec<_>>()
        .join(", ");
    out.emit(
        serde_json::json!({ "event": "deflate", "agreed": answer }),
        format_args!("permessage-deflate agreed: {answer}"),
    )
}

/// Decodes `input`, which starts at stream offset `base`, and prints every
/// event at the offset of its first frame; returns the error that ended the
/// stream, if any, at the offset of the frame it was found in.
fn drain<M>(machine: &mut M, input: &[u8], base: usize, out: &mut Printer) -> io::Result<Ended>
where
    M: Machine<Event = WsEvent, Error = WsError>,
{
    // The HTTP head (server role) ends where the frames begin.
    let head = match input.starts_with(b"GET ") {
        true => head_len(input).unwrap_or(input.len()),
        false => 0,
    };
    let frames = FrameTable::scan(input, head);
    let mut ended = None;
    feed(machine, input, |_, span, event| match event {
        Ok(event) => {
            let offset = frames.start_of(&event, span.end);
            print_event(&event, out.at(base + offset))
        }
        Err(error) => {
            ended = Some((base + frames.containing(span.end), error));
            Ok(())
        }
    })?;
    Ok(ended)
}

/// The frames of a stream, from their headers alone: where each starts and
/// ends and its opcode.
struct FrameTable {
    /// `(start, end, opcode)` of each complete frame, in stream order.
    frames: Vec<(usize, usize, u8)>,
}

impl FrameTable {
    /// Reads the frame headers of `input` from `start` on, up to the first
    /// incomplete frame.
    fn scan(input: &[u8], mut start: usize) -> Self {
        let mut frames = vec![(0, start, 0xff)];
        while let Some(end) = frame_end(input, start) {
            frames.push((start, end, input[start] & 0x0f));
            start = end;
        }
        FrameTable { frames }
    }

    /// Where the unit of `event`, which appeared after byte `end`, begins:
    /// 0 for the handshake, the first frame of a message (the last
    /// non-continuation data frame up to there), else the frame ending at
    /// `end`.
    fn start_of(&self, event: &WsEvent, end: usize) -> usize {
        let last = self.frames.partition_point(|f| f.1 < end);
        match event {
            WsEvent::Request(_) | WsEvent::Connected(_) => 0,
            WsEvent::Message(_) => self.frames[..=last.min(self.frames.len() - 1)]
                .iter()
                .rev()
                .find(|f| f.2 == 1 || f.2 == 2)
                .map_or(0, |f| f.0),
            _ => self.containing(end),
        }
    }

    /// The start of the frame the byte before `end` is in; past the last
    /// complete frame, its end.
    fn containing(&self, end: usize) -> usize {
        let last = self.frames.partition_point(|f| f.1 < end);
        self.frames
            .get(last)
            .map_or_else(|| self.frames.last().map_or(0, |f| f.1), |f| f.0)
    }
}

/// The end of the frame whose header starts at `input[start]`, if all of it
/// is in `input`.
fn frame_end(input: &[u8], start: usize) -> Option<usize> {
    let header = input.get(start..)?;
    let (masked, short) = (header.get(1)? & 0x80 != 0, header[1] & 0x7f);
    let (extended, len) = match short {
        126 => (
            2,
            u64::from(u16::from_be_bytes(header.get(2..4)?.try_into().ok()?)),
        ),
        127 => (8, u64::from_be_bytes(header.get(2..10)?.try_into().ok()?)),
        n => (0, u64::from(n)),
    };
    let end = (start + 2 + extended + if masked { 4 } else { 0 }) as u64 + len;
    (end <= input.len() as u64).then_some(end as usize)
}

/// The length of the HTTP head that starts `input`, `\r\n\r\n` included.
fn head_len(input: &[u8]) -> Option<usize> {
    input
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|p| p + 4)
}

/// Prints one event, by kind: handshake, data, control.
fn print_event(event: &WsEvent, out: &mut Printer) -> io::Result<()> {
    match event {
        WsEvent::Request(request) => print_request(request, out),
        WsEvent::Connected(r) => out.emit(
            serde_json::json!({ "event": "connected", "status": r.status, "protocol": r.protocol }),
            format_args!("connected status={} protocol={:?}", r.status, r.protocol),
        ),
        WsEvent::Message(message) => print_message(message, out),
        WsEvent::Fragment(f) => out.bytes(&f.payload).emit(
            serde_json::json!({ "event": "fragment", "len": f.payload.len(), "fin": f.fin }),
            format_args!("fragment len={} fin={}", f.payload.len(), f.fin),
        ),
        WsEvent::Ping(p) => print_ping_pong("ping", p, out),
        WsEvent::Pong(p) => print_ping_pong("pong", p, out),
        WsEvent::Close(close) => print_close(close.as_ref(), out),
    }
}

/// A client's opening request, as a server received it.
fn print_request(r: &Request, out: &mut Printer) -> io::Result<()> {
    let headers: Vec<_> = r
        .headers
        .iter()
        .map(|(n, v)| serde_json::json!([n, String::from_utf8_lossy(v)]))
        .collect();
    let extensions: Vec<_> = r.extensions.iter().map(|e| e.name.clone()).collect();
    out.emit(
        serde_json::json!({
            "event": "request",
            "method": r.method,
            "path": r.path,
            "query": r.query,
            "headers": headers,
            "protocols": r.protocols,
            "extensions": extensions,
        }),
        format_args!(
            "request {} {}{} protocols={:?} extensions={:?}",
            r.method,
            r.path,
            r.query
                .as_ref()
                .map(|q| format!("?{q}"))
                .unwrap_or_default(),
            r.protocols,
            extensions
        ),
    )
}

/// A text or binary message: type, length, SHA-256, and the text when short.
fn print_message(m: &Message, out: &mut Printer) -> io::Result<()> {
    let (kind, text) = match m {
        Message::Text(t) => ("text", (t.len() <= SHORT_TEXT).then(|| t.as_str())),
        Message::Binary(_) => ("binary", None),
    };
    let payload = m.payload();
    let shown = match m {
        Message::Text(t) => format!("{:?}", cut_at_char(t.as_str(), 48)),
        Message::Binary(b) => preview(b, 48),
    };
    out.bytes(payload).emit(
        serde_json::json!({
            "event": "message",
            "type": kind,
            "len": payload.len(),
            "sha256": sha256_hex(payload),
            "text": text,
        }),
        format_args!(
            "{kind} len={} sha256={} {shown}",
            payload.len(),
            sha256_hex(payload),
        ),
    )
}

/// A ping or a pong (`kind`) with its payload.
fn print_ping_pong(kind: &str, payload: &[u8], out: &mut Printer) -> io::Result<()> {
    out.bytes(payload).emit(
        serde_json::json!({ "event": kind, "len": payload.len(), "preview": preview(payload, 125) }),
        format_args!("{kind} {}", preview(payload, 125)),
    )
}

/// A close frame: its code and reason, if it has them.
fn print_close(close: Option<&CloseFrame>, out: &mut Printer) -> io::Result<()> {
    let (code, reason) = match close {
        Some(c) => (Some(c.code), c.reason.as_str()),
        None => (None, ""),
    };
    out.emit(
        serde_json::json!({ "event": "close", "code": code, "reason": reason }),
        format_args!("close code={code:?} reason={reason:?}"),
    )
}

/// At most `max` bytes of `text`, cut at a character boundary.
fn cut_at_char(text: &str, max: usize) -> &str {
    let mut end = text.len().min(max);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

fn print_response_head(head: &str, out: &mut Printer) -> io::Result<()> {
    let mut lines = head.split("\r\n").filter(|l| !l.is_empty());
    let status = lines.next().unwrap_or_default();
    let headers: Vec<_> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| serde_json::json!([n.trim(), v.trim()]))
        .collect();
    out.emit(
        serde_json::json!({ "event": "response", "status_line": status, "headers": headers }),
        format_args!("response {status}"),
    )
}

/// Frame-level listing of `input[head_len..]`, for streams whose messages
/// cannot be decoded yet: offset, header fields and the (still compressed)
/// payload of each frame.
fn list_frames(input: &[u8], head_len: usize, role: Role, out: &mut Printer) -> io::Result<()> {
    let mut decoder = FrameDecoder::new(FrameRules {
        require_mask: Some(role == Role::Server),
        allowed_rsv: rsv::RSV1,
        max_frame_size: WsConfig::default().max_frame_size as u64,
        accept_non_minimal_lengths: false,
    });
    let mut rest = BytesMut::from(&input[head_len..]);
    let mut frame_start = head_len;
    loop {
        let step = decoder.decode(&mut rest);
        out.at(frame_start);
        match step {
            Ok(Step::Frame(frame)) => {
                frame_start = input.len() - rest.len();
                let h = frame.header;
                out.bytes(&frame.payload).emit(
                    serde_json::json!({
                        "event": "frame",
                        "opcode": h.opcode.as_u8(),
                        "fin": h.fin,
                        "rsv1": h.rsv & rsv::RSV1 != 0,
                        "len": h.payload_len,
                    }),
                    format_args!(
                        "frame {:?} fin={} rsv1={} len={}",
                        h.opcode,
                        h.fin,
                        h.rsv & rsv::RSV1 != 0,
                        h.payload_len
                    ),
                )?;
            }
            Ok(Step::Partial { .. }) => {}
            Ok(Step::NeedMore) => {
                if !rest.is_empty() {
                    out.error_with(
                        serde_json::json!({ "event": "truncated", "len": rest.len() }),
                        format_args!("error: truncated frame: {} bytes", rest.len()),
                    )?;
                }
                return Ok(());
            }
            Err(error) => return out.error(error),
        }
    }
}

/// Both sides of a recorded connection in which the Python `websockets`
/// server closes with 1009 (message too big), each with the role that reads it.
pub(crate) const SAMPLES: &[Sample<Role>] = &[
    sample!("websocket/ws_py_server_close_1009.c2s.bin", Role::Server),
    sample!("websocket/ws_py_server_close_1009.s2c.bin", Role::Client),
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::testing::json_events;

    fn run(name: &str, role: Role) -> Vec<serde_json::Value> {
        let path = format!(
            "{}/../../tests/captures/websocket/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        let input = std::fs::read(path).unwrap();
        json_events(|out| inspect(&input, role, out))
    }

    /// Deflate captures decode to the manifest's messages, both directions.
    #[test]
    fn deflate_captures_decode_fully() {
        for (name, role, key) in [
            ("ws_py_deflate.c2s.bin", Role::Server, "c2s_messages"),
            ("ws_py_deflate.s2c.bin", Role::Client, "s2c_messages"),
            (
                "ws_chromium_py_deflate.c2s.bin",
                Role::Server,
                "c2s_messages",
            ),
            (
                "ws_node_client_py_server.s2c.bin",
                Role::Client,
                "s2c_messages",
            ),
        ] {
            let events = run(name, role);
            let manifest_name = name.split('.').next().unwrap();
            let manifest: serde_json::Value = serde_json::from_slice(
                &std::fs::read(format!(
                    "{}/../../tests/captures/websocket/{manifest_name}.manifest.json",
                    env!("CARGO_MANIFEST_DIR")
                ))
                .unwrap(),
            )
            .unwrap();
            let ours: Vec<(String, String)> = events
                .iter()
                .filter(|e| e["event"] == "message")
                .map(|e| (e["type"].to_string(), e["sha256"].to_string()))
                .collect();
            let theirs: Vec<(String, String)> = manifest[key]
                .as_array()
                .unwrap()
                .iter()
                .filter(|m| m["type"] == "text" || m["type"] == "binary")
                .map(|m| (m["type"].to_string(), m["sha256"].to_string()))
                .collect();
            assert_eq!(ours, theirs, "{name}");
            assert!(
                events
                    .iter()
                    .all(|e| e["event"] != "frame" && e["event"] != "error"),
                "{name}"
            );
            assert_eq!(events.last().unwrap()["event"], "close", "{name}");
        }
    }
}
