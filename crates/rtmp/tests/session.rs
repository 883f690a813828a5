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

#[test]
fn publish_then_late_player_gets_sequence_headers_first() {
    let now = Instant::now();
    let (mut publisher_server, mut publisher) = (server(now), client(now));
    publisher.publish("key", "live");
    let (events, client_events) = pump(
        &mut publisher_server,
        &mut publisher,
        Policy::AcceptAll,
        now,
    );
    let Some(ServerEvent::ConnectRequested(connect)) = events
        .iter()
        .find(|e| matches!(e, ServerEvent::ConnectRequested(_)))
    else {
        panic!("{events:?}")
    };
    assert_eq!(connect.app, "live");
    assert_eq!(connect.tc_url.as_deref(), Some("rtmp://127.0.0.1/live"));
    assert!(events.iter().any(|e| matches!(e,
        ServerEvent::PublishRequested { name, kind, app, stream_id: 1, .. }
            if name == "key" && kind.as_deref() == Some("live") && app == "live")));
    assert!(client_events
        .iter()
        .any(|e| matches!(e, ClientEvent::Connected { .. })));
    assert!(client_events.contains(&ClientEvent::PublishStarted { stream_id: 1 }));

    // The publisher sends metadata, configuration, then two GOPs' worth.
    let width = Value::Object(vec![("width".into(), Value::Number(640.0))]);
    publisher.send_metadata(0, width.clone()).unwrap();
    publisher
        .send_video(0, Bytes::from_static(AVC_CONFIG))
        .unwrap();
    publisher
        .send_audio(0, Bytes::from_static(AAC_CONFIG))
        .unwrap();
    let mut sent = Vec::new();
    for i in 0..10u8 {
        let ts = u32::from(i) * 40;
        let video = if i % 5 == 0 {
            keyframe(i)
        } else {
            interframe(i)
        };
        publisher.send_video(ts, video.clone()).unwrap();
        publisher.send_audio(ts + 3, aac(i)).unwrap();
        sent.push((ts, video));
    }
    let (events, _) = pump(
        &mut publisher_server,
        &mut publisher,
        Policy::AcceptAll,
        now,
    );

    // The server reports media with absolute timestamps and parsed headers.
    let mut cache = SequenceHeaders::default();
    let mut relayed = Vec::new();
    for event in &events {
        match event {
            ServerEvent::Media(MediaEvent::Metadata { data, .. }) => {
                assert_eq!(data.values, vec![Value::String(META.into()), width.clone()]);
                cache.observe(0, &Message::Data(data.clone()));
            }
            ServerEvent::Media(MediaEvent::Video {
                timestamp, video, ..
            }) => {
                assert!(video.header.is_ok());
                cache.observe(*timestamp, &Message::Video(video.clone()));
                relayed.push(('v', *timestamp, video.payload.clone()));
            }
            ServerEvent::Media(MediaEvent::Audio {
                timestamp, audio, ..
            }) => {
                cache.observe(*timestamp, &Message::Audio(audio.clone()));
                relayed.push(('a', *timestamp, audio.payload.clone()));
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(relayed.len(), 22);
    assert_eq!(relayed[2], ('v', 0, keyframe(0)));
    assert_eq!(relayed[3], ('a', 3, aac(0)));

    // A player joins after the first GOP: cached headers, then the stream
    // from the next keyframe (frame 5) on.
    let (mut player_server, mut player) = (server(now), client(now));
    player.play("key");
    let (events, client_events) = pump(&mut player_server, &mut player, Policy::AcceptAll, now);
    let Some(ServerEvent::PlayRequested {
        stream_id, name, ..
    }) = events
        .iter()
        .find(|e| matches!(e, ServerEvent::PlayRequested { .. }))
    else {
        panic!("{events:?}")
    };
    assert_eq!(name, "key");
    let stream_id = *stream_id;
    assert!(client_events.contains(&ClientEvent::PlayStarted { stream_id }));
    for (ts, message) in cache.messages() {
        match message {
            Message::Data(data) => player_server.send_metadata(stream_id, ts, &data).unwrap(),
            Message::Video(v) => player_server.send_video(stream_id, ts, v.payload).unwrap(),
            Message::Audio(a) => player_server.send_audio(stream_id, ts, a.payload).unwrap(),
            other => panic!("{other:?}"),
        }
    }
    let from = relayed
        .iter()
        .position(|(kind, ts, _)| *kind == 'v' && *ts == 200)
        .unwrap();
    for (kind, ts, payload) in &relayed[from..] {
        match kind {
            'v' => player_server
                .send_video(stream_id, *ts, payload.clone())
                .unwrap(),
            _ => player_server
                .send_audio(stream_id, *ts, payload.clone())
                .unwrap(),
        }
    }
    let (_, client_events) = pump(&mut player_server, &mut player, Policy::AcceptAll, now);
    let got = media_of(&client_events);
    assert_eq!(got[0].0, 'm');
    assert_eq!(got[1], ('v', 0, Bytes::from_static(AVC_CONFIG)));
    assert_eq!(got[2], ('a', 0, Bytes::from_static(AAC_CONFIG)));
    assert_eq!(got[3], ('v', 200, keyframe(5)));
    assert_eq!(&got[3..], &relayed[from..]);
    let ClientEvent::Media(MediaEvent::Metadata { data, .. }) = &client_events
        .iter()
        .find(|e| matches!(e, ClientEvent::Media(MediaEvent::Metadata { .. })))
        .unwrap()
    else {
        unreachable!()
    };
    assert_eq!(data.metadata(), Some(&width));

    // The publisher stops: the server says so once.
    publisher.stop().unwrap();
    let (events, _) = pump(
        &mut publisher_server,
        &mut publisher,
        Policy::AcceptAll,
        now,
    );
    let finished: Vec<_> = events
        .iter()
        .filter(|e| matches!(e, ServerEvent::PublishFinished { .. }))
        .collect();
    assert_eq!(
        finished,
        [&ServerEvent::PublishFinished {
            stream_id: 1,
            name: "key".into()
        }]
    );

    // The player is told the stream ended.
    player_server.end_play(stream_id).unwrap();
    let (_, client_events) = pump(&mut player_server, &mut player, Policy::AcceptAll, now);
    assert!(client_events.iter().any(|e| matches!(e,
        ClientEvent::Status { status, .. } if status.code == "NetStream.Play.UnpublishNotify")));
    assert!(matches!(
        player_server.send_video(stream_id, 1000, keyframe(1)),
        Err(LocalError::NotPlaying(_))
    ));
}

#[test]
fn media_is_sent_with_compressed_headers() {
    let now = Instant::now();
    let (mut server, mut player) = (server(now), client(now));
    player.play("s");
    pump(&mut server, &mut player, Policy::AcceptAll, now);
    while server.poll_transmit().is_some() {}
    // Same length, type and stream, regular timestamps: after the first,
    // every message has a 1-byte (format 3) or 4-byte (format 2) header.
    let mut sizes = Vec::new();
    for i in 0..5u32 {
        server.send_video(1, i * 40, interframe(1)).unwrap();
        let mut header = BytesMut::new();
        let mut pieces = 0;
        while let Some(piece) = server.poll_transmit() {
            if pieces == 0 {
                header.extend_from_slice(&piece);
            }
            pieces += 1;
        }
        sizes.push(header.len());
    }
    assert_eq!(sizes[0], 12);
    assert!(sizes[1..].iter().all(|&len| len <= 4), "{sizes:?}");
}

#[test]
fn rejected_connect_is_an_event_for_the_client() {
    let now = Instant::now();
    let (mut server, mut client) = (server(now), client(now));
    client.publish("key", "live");
    let (_, events) = pump(&mut server, &mut client, Policy::RejectConnect, now);
    let [ClientEvent::ConnectRejected(status)] = events.as_slice() else {
        panic!("{events:?}")
    };
    assert_eq!(status.code, "NetConnection.Connect.Rejected");
    assert_eq!(status.description, "go away");
    assert!(status.is_error());
}

#[test]
fn rejected_publish_and_play_are_error_statuses() {
    for (policy, code) in [
        (Policy::RejectPublish, "NetStream.Publish.BadName"),
        (Policy::RejectPlay, "NetStream.Play.StreamNotFound"),
    ] {
        let now = Instant::now();
        let (mut server, mut client) = (server(now), client(now));
        if policy == Policy::RejectPublish {
            client.publish("key", "live");
        } else {
            client.play("key");
        }
        let (_, events) = pump(&mut server, &mut client, policy, now);
        let status = events
            .iter()
            .find_map(|e| match e {
                ClientEvent::Status { status, .. } => Some(status),
                _ => None,
            })
            .unwrap_or_else(|| panic!("{events:?}"));
        assert_eq!(status.code, code);
        assert!(status.is_error());
        assert!(!events.iter().any(|e| matches!(
            e,
            ClientEvent::PublishStarted { .. } | ClientEvent::PlayStarted { .. }
        )));
        assert!(matches!(
            client.send_video(0, keyframe(0)),
            Err(LocalError::NotPublishing)
        ));
    }
}

#[test]
fn pings_are_answered() {
    let now = Instant::now();
    let (mut server, mut client) = (server(now), client(now));
    pump(&mut server, &mut client, Policy::AcceptAll, now);
    server.ping(4242).unwrap();
    let (events, _) = pump(&mut server, &mut client, Policy::AcceptAll, now);
    assert!(events.iter().any(|e| matches!(e, ServerEvent::Other(m)
        if m.message == Message::UserControl(UserControl::PingResponse(4242)))));
    client.ping(17).unwrap();
    let (_, events) = pump(&mut server, &mut client, Policy::AcceptAll, now);
    assert!(events.iter().any(|e| matches!(e, ClientEvent::Other(m)
        if m.message == Message::UserControl(UserControl::PingResponse(17)))));
}

#[test]
fn idle_timeout_finishes_the_publish_then_fails_once() {
    let start = Instant::now();
    let config = ServerConfig {
        idle_timeout: Some(Duration::from_secs(10)),
        // This test is about the idle timer alone: no keepalive pings.
        ping_interval: None,
        ..ServerConfig::default()
    };
    let mut server = ServerSession::new(config, SeededRandom::new(1), start);
    let mut client = client(start);
    client.publish("key", "live");
    let later = start + Duration::from_secs(3);
    pump(&mut server, &mut client, Policy::AcceptAll, later);
    assert_eq!(server.poll_timeout(), Some(later + Duration::from_secs(10)));

    // Early timer calls change nothing.
    server.handle_timeout(later + Duration::from_secs(9));
    assert!(server.poll_event().is_none());
    server.handle_timeout(later + Duration::from_secs(10));
    assert_eq!(
        server.poll_event().unwrap().unwrap(),
        ServerEvent::PublishFinished {
            stream_id: 1,
            name: "key".into()
        }
    );
    assert!(matches!(
        server.poll_event(),
        Some(Err(SessionError::IdleTimeout(d))) if d == Duration::from_secs(10)
    ));
    assert!(server.poll_event().is_none());
    assert!(server.poll_timeout().is_none());
    assert!(server.is_closed());
}

#[test]
fn eof_finishes_the_publish() {
    let now = Instant::now();
    let (mut server, mut client) = (server(now), client(now));
    client.publish("key", "live");
    pump(&mut server, &mut client, Policy::AcceptAll, now);
    server.handle_eof(now);
    assert_eq!(
        server.poll_event().unwrap().unwrap(),
        ServerEvent::PublishFinished {
            stream_id: 1,
            name: "key".into()
        }
    );
    assert!(server.poll_event().is_none());
    assert!(server.is_closed());
}

#[test]
fn enhanced_capabilities_are_answered_when_offered() {
    let now = Instant::now();
    let mut config = ClientConfig::new("live", "rtmp://127.0.0.1/live");
    config.four_cc_list = Some(vec!["hvc1".into(), "xxxx".into()]);
    let mut client = ClientSession::new(config, SeededRandom::new(3), now);
    let mut server = server(now);
    let (server_events, events) = pump(&mut server, &mut client, Policy::AcceptAll, now);
    let Some(ServerEvent::ConnectRequested(request)) = server_events
        .iter()
        .find(|e| matches!(e, ServerEvent::ConnectRequested(_)))
    else {
        panic!("{server_events:?}")
    };
    assert_eq!(
        request.four_cc_list,
        Some(vec!["hvc1".into(), "xxxx".into()])
    );
    let Some(ClientEvent::Connected { properties, status }) = events
        .iter()
        .find(|e| matches!(e, ClientEvent::Connected { .. }))
    else {
        panic!("{events:?}")
    };
    assert_eq!(status.code, "NetConnection.Connect.Success");
    assert_eq!(
        properties.get("fourCcList"),
        Some(&Value::StrictArray(vec!["hvc1".into()]))
    );

    // A legacy client gets no Enhanced RTMP properties.
    let (mut server, mut client) = (self::server(now), self::client(now));
    let (_, events) = pump(&mut server, &mut client, Policy::AcceptAll, now);
    let Some(ClientEvent::Connected { properties, .. }) = events
        .iter()
        .find(|e| matches!(e, ClientEvent::Connected { .. }))
    else {
        panic!("{events:?}")
    };
    assert!(properties.get("fourCcList").is_none());
}

/// A server in auto-accept mode: a whole server application as a machine,
/// so the recorded publishes can be fed in any cut.
fn auto_accept(now: Instant) -> ServerSession {
    let config = ServerConfig {
        auto_accept: true,
        ..ServerConfig::default()
    };
    ServerSession::new(config, SeededRandom::new(1), now)
}

fn count_connects(events: &[ServerEvent]) -> usize {
    events
        .iter()
        .filter(|e| matches!(e, ServerEvent::ConnectRequested(_)))
        .count()
}

fn capture(name: &str) -> Vec<u8> {
    wirestate_core::testing::capture::read(&format!("rtmp/{name}.c2s.bin"))
}

#[test]
fn recorded_ffmpeg_publishes_become_media_events_in_any_cut() {
    // (capture, stream key, video messages, audio messages), counted in the
    // captures' dissections.
    for (name, key, videos, audios) in [
        ("rtmp_ffmpeg_publish_nginx", None, None, None),
        (
            "rtmp_ffmpeg9_publish_nginx_ertmp_hevc",
            Some("hevc"),
            Some(152),
            Some(237),
        ),
        ("rtmp_ffmpeg_publish_nginx_extts_chunk128", None, None, None),
    ] {
        let input = capture(name);
        let now = Instant::now();
        let transcript = assert_chunk_independent(|| auto_accept(now), &input, true, now);
        let events = &transcript.events;
        assert!(transcript.error.is_none(), "{name}: {:?}", transcript.error);
        assert_eq!(count_connects(events), 1, "{name}");
        let published = events.iter().find_map(|e| match e {
            ServerEvent::PublishRequested { name, .. } => Some(name.clone()),
            _ => None,
        });
        let published = published.unwrap_or_else(|| panic!("{name}: no publish"));
        if let Some(key) = key {
            assert_eq!(published, key);
        }
        let count = |f: fn(&ServerEvent) -> bool| events.iter().filter(|e| f(e)).count();
        let video = count(|e| matches!(e, ServerEvent::Media(MediaEvent::Video { .. })));
        let audio = count(|e| matches!(e, ServerEvent::Media(MediaEvent::Audio { .. })));
        assert!(
            video > 10 && audio > 10,
            "{name}: {video} video, {audio} audio"
        );
        if let (Some(v), Some(a)) = (videos, audios) {
            assert_eq!((video, audio), (v, a), "{name}");
        }
        assert_eq!(
            count(|e| matches!(e, ServerEvent::Media(MediaEvent::Metadata { .. }))),
            1,
            "{name}"
        );
        assert_eq!(
            count(|e| matches!(e, ServerEvent::PublishFinished { .. })),
            1,
            "{name}"
        );
        // Timestamps never go backwards per kind (absolute, not deltas).
        let mut last = 0;
        for e in events {
            if let ServerEvent::Media(MediaEvent::Video { timestamp, .. }) = e {
                assert!(*timestamp >= last, "{name}");
                last = *timestamp;
            }
        }
        assert!(last > 1000, "{name}: last video at {last} ms");
    }
}

#[test]
fn flv_writer_output_reads_back() {
    let mut writer = FlvWriter::new(Vec::new(), true, true).unwrap();
    let tags: Vec<(TagType, u32, Vec<u8>)> = vec![
        (TagType::Script, 0, b"\x02\x00\x0aonMetaData\x05".to_vec()),
        (TagType::Video, 0, AVC_CONFIG.to_vec()),
        (TagType::Audio, 0, AAC_CONFIG.to_vec()),
        (TagType::Video, 40, keyframe(1).to_vec()),
        // Past 2^24 ms the extended timestamp byte is used.
        (TagType::Audio, 0x0123_4567, aac(2).to_vec()),
        (TagType::Video, 50, Vec::new()),
    ];
    for (tag_type, ts, data) in &tags {
        writer.write_tag(*tag_type, *ts, data).unwrap();
    }
    assert_eq!(writer.tags_written(), 6);
    let file = writer.into_inner();
    assert_eq!(&file[..13], b"FLV\x01\x05\x00\x00\x00\x09\x00\x00\x00\x00");
    let expected_len = 13 + tags.iter().map(|t| 11 + t.2.len() + 4).sum::<usize>();
    assert_eq!(file.len(), expected_len);
    // The fifth tag's header: type, size, timestamp low 24 bits, then high 8.
    let at = 13 + tags[..4].iter().map(|t| 15 + t.2.len()).sum::<usize>();
    assert_eq!(
        &file[at..at + 11],
        b"\x08\x00\x00\x04\x23\x45\x67\x01\x00\x00\x00"
    );

    let mut reader = FlvReader::new(&file).unwrap();
    assert!(reader.header().has_audio && reader.header().has_video);
    for (tag_type, ts, data) in &tags {
        let tag = reader.next_tag().unwrap().unwrap();
        assert_eq!(
            (tag.tag_type, tag.timestamp, tag.data),
            (*tag_type, *ts, &data[..])
        );
    }
    assert_eq!(reader.next_tag().unwrap(), None);

    // A wrong back pointer and a truncated tag are caught.
    let mut bad = file.clone();
    let last = bad.len() - 1;
    bad[last] ^= 1;
    let mut reader = FlvReader::new(&bad).unwrap();
    let err = loop {
        match reader.next_tag() {
            Ok(Some(_)) => {}
            Ok(None) => panic!("accepted a bad back pointer"),
            Err(e) => break e,
        }
    };
    assert!(matches!(err, FlvError::BadBackPointer { .. }), "{err:?}");
    let mut reader = FlvReader::new(&file[..file.len() - 2]).unwrap();
    let err = loop {
        match reader.next_tag() {
            Ok(Some(_)) => {}
            Ok(None) => panic!("accepted a truncated file"),
            Err(e) => break e,
        }
    };
    assert!(matches!(err, FlvError::Truncated(_)));
    assert_eq!(
        FlvReader::new(b"FLX\x01\x05\x00\x00\x00\x09").unwrap_err(),
        FlvError::BadSignature
    );
}

#[test]
fn recorded_nginx_stream_plays_in_any_cut() {
    // nginx-rtmp's side of FFmpeg playing `test`: its connect and
    // createStream answers carry transaction ids 1 and 2, as ours.
    let input = wirestate_core::testing::capture::read("rtmp/rtmp_ffmpeg_play_nginx.s2c.bin");
    let now = Instant::now();
    let transcript = assert_chunk_independent(
        || {
            let config = ClientConfig::new("live", "rtmp://127.0.0.1:19350/live");
            let mut client = ClientSession::new(config, SeededRandom::new(5), now);
            client.play("test");
            client
        },
        &input,
        true,
        now,
    );
    assert!(transcript.error.is_none(), "{:?}", transcript.error);
    let events = &transcript.events;
    assert!(events
        .iter()
        .any(|e| matches!(e, ClientEvent::Connected { status, .. }
            if status.code == "NetConnection.Connect.Success")));
    assert!(events.contains(&ClientEvent::PlayStarted { stream_id: 1 }));
    let count = |f: fn(&ClientEvent) -> bool| events.iter().filter(|e| f(e)).count();
    // The counts of the capture's dissection.
    assert_eq!(
        count(|e| matches!(
            e,
            ClientEvent::Media(MediaEvent::Video { stream_id: 1, .. })
        )),
        124
    );
    assert_eq!(
        count(|e| matches!(
            e,
            ClientEvent::Media(MediaEvent::Audio { stream_id: 1, .. })
        )),
        175
    );
    assert_eq!(
        count(|e| matches!(e, ClientEvent::Media(MediaEvent::Metadata { .. }))),
        1
    );
}

#[test]
fn commands_do_what_the_methods_do() {
    let now = Instant::now();
    let (mut server, mut client) = (server(now), client(now));
    client
        .handle_command(
            ClientCommand::Publish {
                name: "cmd".into(),
                kind: "live".into(),
            },
            now,
        )
        .unwrap();
    let mut started = false;
    for _ in 0..10 {
        while let Some(bytes) = client.poll_transmit() {
            server.handle_input(&bytes, now);
        }
        while let Some(event) = server.poll_event() {
            let command = match event.unwrap() {
                ServerEvent::ConnectRequested(c) => ServerCommand::AcceptConnect(c.request),
                ServerEvent::PublishRequested { request, .. } => {
                    ServerCommand::AcceptPublish(request)
                }
                _ => continue,
            };
            server.handle_command(command, now).unwrap();
        }
        while let Some(bytes) = server.poll_transmit() {
            client.handle_input(&bytes, now);
        }
        while let Some(event) = client.poll_event() {
            started |= matches!(event.unwrap(), ClientEvent::PublishStarted { .. });
        }
    }
    assert!(started);
    client
        .handle_command(
            ClientCommand::SendVideo {
                timestamp: 40,
                payload: keyframe(1),
            },
            now,
        )
        .unwrap();
    while let Some(bytes) = client.poll_transmit() {
        server.handle_input(&bytes, now);
    }
    let event = server.poll_event().unwrap().unwrap();
    assert!(
        matches!(&event, ServerEvent::Media(MediaEvent::Video { timestamp: 40, video, .. }) if video.payload == keyframe(1)),
        "{event:?}"
    );
    // Local misuse is an error of its own, and changes nothing: answering
    // a publish request as a connect leaves it pending.
    let (mut server, mut client) = (self::server(now), self::client(now));
    client.publish("again", "live");
    let mut publish_request = None;
    for _ in 0..10 {
        while let Some(bytes) = client.poll_transmit() {
            server.handle_input(&bytes, now);
        }
        while let Some(event) = server.poll_event() {
            match event.unwrap() {
                ServerEvent::ConnectRequested(c) => server.accept_connect(c.request).unwrap(),
                ServerEvent::PublishRequested { request, .. } => publish_request = Some(request),
                _ => {}
            }
        }
        while let Some(bytes) = server.poll_transmit() {
            client.handle_input(&bytes, now);
        }
        while client.poll_event().is_some() {}
    }
    let request = publish_request.unwrap();
    assert!(matches!(
        server.handle_command(ServerCommand::AcceptConnect(request), now),
        Err(SessionError::Local(LocalError::UnknownRequest(_)))
    ));
    assert!(matches!(
        server.handle_command(ServerCommand::AcceptPlay(request), now),
        Err(SessionError::Local(LocalError::UnknownRequest(_)))
    ));
    server.accept_publish(request).unwrap();
    assert!(matches!(
        server.handle_command(
            ServerCommand::AcceptPlay(wirestate_rtmp::session::RequestId(99)),
            now
        ),
        Err(SessionError::Local(LocalError::UnknownRequest(_)))
    ));
    assert!(matches!(
        server.handle_command(
            ServerCommand::SendVideo {
                stream_id: 1,
                timestamp: 0,
                payload: keyframe(2)
            },
            now
        ),
        Err(SessionError::Local(LocalError::NotPlaying(1)))
    ));
}

#[test]
fn recorded_hevc_publish_in_proptest_cuts() {
    use proptest::prelude::*;
    use wirestate_core::testing::{arb_cuts, assert_transcripts_equal, feed_cut};

    let input = capture("rtmp_ffmpeg9_publish_nginx_ertmp_hevc");
    let now = Instant::now();
    let make = || auto_accept(now);
    let whole = feed_cut(&mut make(), &input, &[], true, now);
    assert!(whole.events.len() > 389);
    let config = ProptestConfig {
        cases: 24,
        ..ProptestConfig::default()
    };
    proptest!(config, |(cuts in arb_cuts(input.len()))| {
        let cut = feed_cut(&mut make(), &input, &cuts, true, now);
        assert_transcripts_equal(&whole, &cut, "at proptest cuts");
    });
}

#[test]
fn a_poll_that_queues_transmits_returns_an_event() {
    // Drivers write after each event; a poll that queued bytes and then
    // returned None would leave them unsent until the next wake-up (FFmpeg
    // then waits forever for its createStream answer).
    let input = capture("rtmp_ffmpeg_publish_nginx");
    let now = Instant::now();
    let mut server = auto_accept(now);
    let mut events = 0;
    for piece in input.chunks(100) {
        server.handle_input(piece, now);
        while server.poll_transmit().is_some() {}
        loop {
            match server.poll_event() {
                Some(event) => {
                    event.unwrap();
                    events += 1;
                    while server.poll_transmit().is_some() {}
                }
                None => {
                    assert!(server.poll_transmit().is_none(), "after {events} events");
                    break;
                }
            }
        }
    }
    assert!(events > 100);
}
