//! ServerSession and ClientSession against each other in memory, the
//! recorded FFmpeg publishes replayed through a ServerSession, and the FLV
//! writer read back.

use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use wirestate_core::testing::{assert_chunk_independent, exchange};
use wirestate_core::{Machine, SeededRandom};
use wirestate_rtmp::amf0::Value;
use wirestate_rtmp::flv::{FlvError, FlvReader, FlvWriter, TagType};
use wirestate_rtmp::message::{Message, UserControl};
use wirestate_rtmp::session::{
    ClientCommand, ClientConfig, ClientEvent, ClientSession, MediaEvent, SequenceHeaders,
    ServerCommand, ServerConfig, ServerEvent, ServerSession, SessionError,
};
use wirestate_rtmp::LocalError;

/// What the in-memory application answers.
#[derive(Clone, Copy, PartialEq)]
enum Policy {
    AcceptAll,
    RejectConnect,
    RejectPublish,
    RejectPlay,
}

fn server(now: Instant) -> ServerSession {
    ServerSession::new(ServerConfig::default(), SeededRandom::new(7), now)
}

fn client(now: Instant) -> ClientSession {
    let config = ClientConfig::new("live", "rtmp://127.0.0.1/live");
    ClientSession::new(config, SeededRandom::new(9), now)
}

/// Lets the application react to a server event as `policy` says.
fn react(server: &mut ServerSession, event: &ServerEvent, policy: Policy) {
    match event {
        ServerEvent::ConnectRequested(c) if policy == Policy::RejectConnect => {
            server.reject_connect(c.request, "go away").unwrap()
        }
        ServerEvent::ConnectRequested(c) => server.accept_connect(c.request).unwrap(),
        ServerEvent::PublishRequested { request, .. } if policy == Policy::RejectPublish => server
            .reject_publish(*request, "NetStream.Publish.BadName", "taken")
            .unwrap(),
        ServerEvent::PublishRequested { request, .. } => server.accept_publish(*request).unwrap(),
        ServerEvent::PlayRequested { request, .. } if policy == Policy::RejectPlay => server
            .reject_play(*request, "NetStream.Play.StreamNotFound", "no such stream")
            .unwrap(),
        ServerEvent::PlayRequested { request, .. } => server.accept_play(*request).unwrap(),
        _ => {}
    }
}

/// Moves bytes both ways until nothing moves; returns the events of each side.
fn pump(
    server: &mut ServerSession,
    client: &mut ClientSession,
    policy: Policy,
    now: Instant,
) -> (Vec<ServerEvent>, Vec<ClientEvent>) {
    let (client_events, server_events) = exchange(client, server, now, |server, event| {
        react(server, event, policy)
    });
    (server_events, client_events)
}

const META: &str = "onMetaData";
const AVC_CONFIG: &[u8] = b"\x17\x00\x00\x00\x00\x01\x64\x00\x1f\xff\xe1";
const AAC_CONFIG: &[u8] = b"\xaf\x00\x12\x10";

fn keyframe(n: u8) -> Bytes {
    Bytes::from(vec![0x17, 0x01, 0, 0, 0, n, n, n])
}
fn interframe(n: u8) -> Bytes {
    Bytes::from(vec![0x27, 0x01, 0, 0, 0, n])
}
fn aac(n: u8) -> Bytes {
    Bytes::from(vec![0xaf, 0x01, n, n])
}

fn media_of(events: &[ClientEvent]) -> Vec<(char, u32, Bytes)> {
    events
        .iter()
        .filter_map(|e| match e {
            ClientEvent::Media(MediaEvent::Video {
                timestamp, video, ..
            }) => Some(('v', *timestamp, video.payload.clone())),
            ClientEvent::Media(MediaEvent::Audio {
                timestamp, audio, ..
            }) => Some(('a', *timestamp, audio.payload.clone())),
            ClientEvent::Media(MediaEvent::Metadata { timestamp, .. }) => {
                Some(('m', *timestamp, Bytes::new()))
            }
            _ => None,
        })
        .collect()
}

mod pair;
mod recorded;
