//! The relay's status port (`wirestate serve rtmp --http ADDR`):
//! `GET /health`, `GET /metrics` (Prometheus text) and `GET /streams` (a
//! JSON list of the live streams, like nginx-rtmp's stat page).

use std::fmt::Write;
use std::io;
use std::time::Instant;

use tokio::net::TcpListener;

use super::{RelayStats, StreamInfo};
use crate::plain_http::{serve_http, Head, Response};
use crate::prometheus::{Exposition, Kind, CONTENT_TYPE};
use crate::{ServerLimits, Shutdown};

/// Serves the status endpoints of the relay counting into `stats` on
/// `listener` until `shutdown` fires:
///
/// - `GET /health`: `200 ok`;
/// - `GET /metrics`: [`metrics`] in the Prometheus text format;
/// - `GET /streams`: [`streams_json`], `application/json`;
/// - anything else: 404 (405 for another method than GET).
///
/// # Errors
///
/// Only when the listener's address cannot be read; errors of single
/// requests end only that request.
pub async fn serve_stats(
    listener: TcpListener,
    limits: ServerLimits,
    shutdown: Shutdown,
    stats: RelayStats,
) -> io::Result<()> {
    serve_http(listener, &limits, shutdown, move |head: &Head| {
        answer(&stats, head)
    })
    .await
}

/// The answer to one request of the status port.
fn answer(stats: &RelayStats, head: &Head) -> Response {
    if head.method != "GET" {
        return Response::text(405, "method not allowed\n");
    }
    let now = Instant::now();
    match head.path.as_str() {
        "/health" => Response::text(200, "ok\n"),
        "/metrics" => Response::new(200, CONTENT_TYPE, metrics(stats, now)),
        "/streams" => Response::new(200, "application/json", streams_json(stats, now)),
        _ => Response::text(404, "not found\n"),
    }
}

/// A per-stream metric: name, help, type and its value for one stream.
type PerStream = (&'static str, &'static str, Kind, fn(&StreamInfo) -> f64);

/// The relay's counters in the Prometheus text format: totals
/// (`rtmp_publishers`, `rtmp_players`, `rtmp_queued_bytes`,
/// `rtmp_dropped_messages_total`, `rtmp_dropped_bytes_total`,
/// `rtmp_stalled_players_total`) and, per stream with labels `app` and
/// `key`, `rtmp_stream_bytes_in_total`, `rtmp_stream_bytes_out_total`,
/// `rtmp_stream_players`, `rtmp_stream_publishers`,
/// `rtmp_stream_dropped_messages_total` and
/// `rtmp_stream_bitrate_bits_per_second`.
///
/// ```
/// use wirestate_server::rtmp_relay::{metrics, RelayStats};
///
/// let text = metrics(&RelayStats::default(), std::time::Instant::now());
/// assert!(text.contains("\nrtmp_players 0\n"));
/// ```
pub fn metrics(stats: &RelayStats, now: Instant) -> String {
    let streams = stats.streams(now);
    let publishing = streams.iter().filter(|s| s.publishing).count();
    let mut out = Exposition::new();
    out.gauge(
        "rtmp_publishers",
        "Streams published now.",
        publishing as f64,
    )
    .gauge(
        "rtmp_players",
        "Players playing now.",
        stats.players() as f64,
    )
    .gauge(
        "rtmp_queued_bytes",
        "Bytes of media queued for all players.",
        stats.queued_bytes() as f64,
    )
    .counter(
        "rtmp_dropped_messages_total",
        "Media messages dropped for slow players.",
        stats.dropped_messages(),
    )
    .counter(
        "rtmp_dropped_bytes_total",
        "Bytes of media dropped for slow players.",
        stats.dropped_bytes(),
    )
    .counter(
        "rtmp_stalled_players_total",
        "Players disconnected because they stopped taking media.",
        stats.stalled_players(),
    );
    let per_stream: [PerStream; 6] = [
        (
            "rtmp_stream_bytes_in_total",
            "Payload bytes received from the publisher.",
            Kind::Counter,
            |s| s.bytes_in as f64,
        ),
        (
            "rtmp_stream_bytes_out_total",
            "Payload bytes sent to players.",
            Kind::Counter,
            |s| s.bytes_out as f64,
        ),
        (
            "rtmp_stream_players",
            "Players of the stream.",
            Kind::Gauge,
            |s| s.players as f64,
        ),
        (
            "rtmp_stream_publishers",
            "Publishers of the stream (0 or 1).",
            Kind::Gauge,
            |s| f64::from(u8::from(s.publishing)),
        ),
        (
            "rtmp_stream_dropped_messages_total",
            "Media messages dropped for slow players of the stream.",
            Kind::Counter,
            |s| s.dropped_messages as f64,
        ),
        (
            "rtmp_stream_bitrate_bits_per_second",
            "Bits per second received over the last complete window.",
            Kind::Gauge,
            |s| s.bitrate as f64,
        ),
    ];
    for (name, help, kind, value) in per_stream {
        let mut family = out.family(name, help, kind);
        for stream in &streams {
            family.sample(&[("app", &stream.app), ("key", &stream.key)], value(stream));
        }
    }
    out.finish()
}

/// The live streams as a JSON array, one object per stream, ordered by
/// application and key:
///
/// ```text
/// [{"app":"live","key":"cam","publishing":true,"video_codec":"H264",
///   "audio_codec":"AAC","bitrate":2500000,"players":2,"bytes_in":1234,
///   "bytes_out":2468,"dropped_messages":0,"uptime_seconds":12.5}]
/// ```
///
/// A codec not known yet is `null`; `bitrate` is in bits per second
/// (see [`StreamInfo::bitrate`]).
pub fn streams_json(stats: &RelayStats, now: Instant) -> String {
    let mut out = String::from("[");
    for (i, s) in stats.streams(now).iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let _ = write!(
            out,
            "{{\"app\":{},\"key\":{},\"publishing\":{},\"video_codec\":{},\"audio_codec\":{},\
             \"bitrate\":{},\"players\":{},\"bytes_in\":{},\"bytes_out\":{},\
             \"dropped_messages\":{},\"uptime_seconds\":{:.3}}}",
            json_string(&s.app),
            json_string(&s.key),
            s.publishing,
            s.video_codec.as_deref().map_or("null".into(), json_string),
            s.audio_codec.as_deref().map_or("null".into(), json_string),
            s.bitrate,
            s.players,
            s.bytes_in,
            s.bytes_out,
            s.dropped_messages,
            s.uptime.as_secs_f64(),
        );
    }
    out.push_str("]\n");
    out
}

/// `text` as a JSON string literal.
fn json_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_strings_are_escaped() {
        assert_eq!(json_string("a\"b\\c\n\u{1}é"), "\"a\\\"b\\\\c\\n\\u0001é\"");
    }

    #[test]
    fn an_idle_relay_has_no_streams() {
        let stats = RelayStats::default();
        assert_eq!(streams_json(&stats, Instant::now()), "[]\n");
        let text = metrics(&stats, Instant::now());
        assert!(
            text.contains("# TYPE rtmp_stream_players gauge\n"),
            "{text}"
        );
        assert!(text.contains("\nrtmp_publishers 0\n"), "{text}");
    }
}
