//! A ServerSession and a ClientSession talking to each other in memory.

use super::*;

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
