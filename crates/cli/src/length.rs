//! `inspect --protocol length` and `serve length`.

use std::io;
use std::net::SocketAddr;
use std::ops::Range;
use wirestate_core::IdleTimeout;
use wirestate_length::{
    ErlangPacket, LengthCommand, LengthConfig, LengthConnection, LengthEvent, LengthField,
    LocalError,
};

use crate::feed::{feed, feed_whole};
use crate::output::{preview, sha256_hex, Printer};
use crate::sample::{sample, Sample};
use crate::serve::{with_idle_timeout, Refusal, Serving};

/// The framings `--framing` accepts, by name.
const FRAMING_NAMES: &[&str] = &[
    "erlang1", "erlang2", "erlang4", "u8", "u16", "u16le", "u24", "u24le", "u32", "u32le", "u64",
    "u64le", "varint", "asn1", "cdr", "sunrm", "fcgi", "tpkt", "raw",
];

/// Parses a `--framing` name: `erlangN` is Erlang's `{packet,N}`; `uN` is an
/// N-bit big-endian length field (`le` suffix: little endian); `varint` is
/// unsigned LEB128; for these the header is stripped. `asn1`, `cdr`,
/// `sunrm`, `fcgi`, `tpkt` and `raw` are Erlang's other packet types, each
/// packet printed as `erlang:decode_packet/3` returns it (header included).
pub(crate) fn framing_from_name(name: &str) -> Result<LengthConfig, String> {
    if let Ok(packet) = name.parse::<ErlangPacket>() {
        return Ok(packet.into());
    }
    let little = name.ends_with("le");
    let field = match name.trim_end_matches("le") {
        "erlang1" => return Ok(LengthConfig::erlang(1)),
        "erlang2" => return Ok(LengthConfig::erlang(2)),
        "erlang4" => return Ok(LengthConfig::erlang(4)),
        "u8" => LengthField::U8,
        "u16" => LengthField::U16,
        "u24" => LengthField::U24,
        "u32" => LengthField::U32,
        "u64" => LengthField::U64,
        "varint" if !little => LengthField::Varint,
        _ => {
            return Err(format!(
                "unknown framing {name:?}; expected one of {}",
                FRAMING_NAMES.join(", ")
            ))
        }
    };
    let framing = LengthConfig::new(field);
    Ok(if little {
        framing.little_endian()
    } else {
        framing
    })
}

/// Decodes `input` as one byte stream of length-prefixed frames and prints a
/// line per frame (offset: its header's first byte; payload: the frame as
/// decoded, header stripped unless the packet type keeps it), per skipped
/// oversize frame, and for the error that ends the stream, if any (EOF
/// inside a frame is one).
pub(crate) fn inspect(input: &[u8], framing: LengthConfig, out: &mut Printer) -> io::Result<()> {
    // `raw` packets are whatever one read returned: the input as one push.
    let raw = framing.packet() == Some(ErlangPacket::Raw);
    let mut machine = LengthConnection::new(framing);
    let each = |_: &mut LengthConnection, span: Range<usize>, event| {
        out.at(span.start);
        match event {
            Ok(LengthEvent::Frame(frame)) => out.bytes(&frame).emit(
                serde_json::json!({
                    "event": "frame",
                    "len": frame.len(),
                    "sha256": sha256_hex(&frame),
                }),
                format_args!("frame len={} {}", frame.len(), preview(&frame, 48)),
            ),
            Ok(LengthEvent::Oversize { len }) => out.emit(
                serde_json::json!({ "event": "oversize", "len": len }),
                format_args!("oversize len={len} (skipped)"),
            ),
            Err(error) => out.error(error),
        }
    };
    if raw {
        feed_whole(&mut machine, input, each)
    } else {
        feed(&mut machine, input, each)
    }
}

/// The recorded Erlang `gen_tcp` captures, with the framing each was made with.
pub(crate) const SAMPLES: &[Sample<fn() -> LengthConfig>] = &[
    sample!("length/erl_packet2_basic.c2s.bin", || LengthConfig::erlang(
        2
    )),
    sample!("length/erl_packet4_basic.c2s.bin", || LengthConfig::erlang(
        4
    )),
    // Recorded with {packet_size, 1024}: the 2000-byte frame is fatal.
    sample!("length/erl_packet2_oversize.c2s.bin", || {
        LengthConfig::erlang(2).max_frame_length(1024)
    }),
];

/// The `{packet,N}` echo server of the classic OTP tutorial: every frame comes
/// back with the same framing; a connection with no input for the idle
/// timeout, or whose peer stops taking its echoes for the send timeout, is
/// closed. Connections past the limits are closed at once.
pub(crate) async fn serve(serving: Serving, framing: LengthConfig) -> io::Result<()> {
    let limits = serving.limits.clone();
    let machine = || with_idle_timeout(LengthConnection::new(framing.clone()), &limits);
    crate::serve::run(serving, false, Refusal::Close, machine, echo).await
}

/// Sends every frame back.
fn echo(
    machine: &mut IdleTimeout<LengthConnection>,
    peer: SocketAddr,
    event: LengthEvent,
) -> Result<Option<LengthCommand>, LocalError> {
    match event {
        LengthEvent::Frame(frame) => machine.inner_mut().send(frame)?,
        LengthEvent::Oversize { len } => tracing::warn!(%peer, len, "skipped an oversize frame"),
    }
    Ok(None)
}
