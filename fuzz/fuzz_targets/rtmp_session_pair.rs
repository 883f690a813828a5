//! A client session publishing to a server session (automatic answers)
//! through a fuzzer-chosen cutting of the bytes between them: both reach
//! the same states as with every transfer whole, and the server receives
//! every metadata, audio and video message the client sent, in order.
//!
//! Input: a length byte n, n cut sizes, then messages: kind byte
//! (0 metadata, 1 audio, 2 video, 3 a new chunk size is not sendable by a
//! session: skipped), timestamp byte, length byte, payload.
#![no_main]

use std::time::Instant;

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use wirestate_core::SeededRandom;
use wirestate_fuzz::{rtmp, Pair};
use wirestate_rtmp::amf0::Value;
use wirestate_rtmp::session::{
    ClientConfig, ClientSession, MediaEvent, ServerConfig, ServerEvent, ServerSession,
};

/// What the client sent: (kind, timestamp, payload).
type Sent = Vec<(u8, u32, Bytes)>;

fn session(cuts: &[u8], messages: &[u8]) -> (Pair<ClientSession, ServerSession>, Sent) {
    let now = Instant::now();
    let client = ClientSession::new(
        ClientConfig {
            connection: rtmp::connection(0),
            ..ClientConfig::new("live", "rtmp://127.0.0.1/live")
        },
        SeededRandom::new(1),
        now,
    );
    let server = ServerSession::new(
        ServerConfig {
            connection: rtmp::connection(0),
            auto_accept: true,
            ..ServerConfig::default()
        },
        SeededRandom::new(2),
        now,
    );
    let mut pair = Pair::new(client, server, cuts);
    pair.exchange(now);
    pair.a.publish("key", "live");
    pair.exchange(now);
    let mut sent = Vec::new();
    let mut rest = messages;
    while let [kind, timestamp, len, tail @ ..] = rest {
        let (payload, tail) = tail.split_at(usize::from(*len).min(tail.len()));
        rest = tail;
        let (kind, timestamp) = (kind % 3, u32::from(*timestamp));
        let body = Bytes::copy_from_slice(payload);
        let result = match kind {
            0 => {
                let text = String::from_utf8_lossy(payload).into_owned();
                pair.a.send_metadata(timestamp, Value::String(text))
            }
            1 => pair.a.send_audio(timestamp, body.clone()),
            _ => pair.a.send_video(timestamp, body.clone()),
        };
        if result.is_ok() {
            sent.push((kind, timestamp, body));
        }
        pair.exchange(now);
    }
    (pair, sent)
}

fuzz_target!(|data: &[u8]| {
    let Some((&n, rest)) = data.split_first() else {
        return;
    };
    let (cuts, messages) = rest.split_at(usize::from(n).min(rest.len()));
    let (whole, sent) = session(&[], messages);
    let (cut, _) = session(cuts, messages);
    assert_eq!(
        whole.a_said, cut.a_said,
        "the client's events depend on the cuts"
    );
    assert_eq!(
        whole.b_said, cut.b_said,
        "the server's events depend on the cuts"
    );

    let received: Vec<(u8, u32, Bytes)> = whole
        .b_events
        .iter()
        .filter_map(|event| match event {
            ServerEvent::Media(MediaEvent::Audio {
                timestamp, audio, ..
            }) => Some((1, *timestamp, audio.payload.clone())),
            ServerEvent::Media(MediaEvent::Video {
                timestamp, video, ..
            }) => Some((2, *timestamp, video.payload.clone())),
            _ => None,
        })
        .collect();
    let media: Vec<_> = sent.into_iter().filter(|(kind, ..)| *kind != 0).collect();
    assert_eq!(received, media, "media lost or changed on the way");
});
