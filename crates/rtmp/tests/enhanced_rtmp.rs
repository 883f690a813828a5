//! Enhanced RTMP v2 between ServerSession and ClientSession in memory, with
//! injected time: the reconnect request (sent, raised, followed), the FourCC
//! info maps (offered, parsed, answered) and `capsEx` (negotiated both
//! ways), and legacy peers unchanged.

use std::time::{Duration, Instant};

use bytes::Bytes;
use wirestate_core::testing::{assert_chunk_independent, exchange};
use wirestate_core::{Machine, SeededRandom};
use wirestate_rtmp::amf0::Value;
use wirestate_rtmp::media::FourCc;
use wirestate_rtmp::message::{Command, Connect, Message, Response};
use wirestate_rtmp::session::{
    CapsEx, ClientConfig, ClientEvent, ClientSession, ConnectCaps, ConnectRequest, FourCcInfo,
    FourCcInfoMap, FourCcKey, MediaEvent, ServerCommand, ServerConfig, ServerEvent, ServerSession,
};
use wirestate_rtmp::{MessageEvent, RtmpConnection, RtmpEvent};

const URL: &str = "rtmp://a.example/live";

fn client_config() -> ClientConfig {
    ClientConfig::new("live", URL)
}

/// Runs a server and a client until nothing moves, the application
/// accepting every request; returns the events of each side.
fn pump(
    server: &mut ServerSession,
    client: &mut ClientSession,
    now: Instant,
) -> (Vec<ServerEvent>, Vec<ClientEvent>) {
    let (client_events, server_events) = exchange(client, server, now, |server, event| {
        let _ = match event {
            ServerEvent::ConnectRequested(c) => server.accept_connect(c.request),
            ServerEvent::PublishRequested { request, .. } => server.accept_publish(*request),
            ServerEvent::PlayRequested { request, .. } => server.accept_play(*request),
            _ => Ok(()),
        };
    });
    (server_events, client_events)
}

/// Connects a client with `client` to a server with `server`; returns both
/// sessions, the server's ConnectRequest and the `_result` properties.
fn connect(
    server: ServerConfig,
    client: ClientConfig,
    now: Instant,
) -> (ServerSession, ClientSession, ConnectRequest, Value) {
    let mut server = ServerSession::new(server, SeededRandom::new(1), now);
    let mut client = ClientSession::new(client, SeededRandom::new(2), now);
    let (server_events, client_events) = pump(&mut server, &mut client, now);
    let request = server_events.into_iter().find_map(|e| match e {
        ServerEvent::ConnectRequested(request) => Some(request),
        _ => None,
    });
    let properties = client_events.into_iter().find_map(|e| match e {
        ClientEvent::Connected { properties, .. } => Some(properties),
        _ => None,
    });
    (server, client, request.unwrap(), properties.unwrap())
}

fn video_map() -> FourCcInfoMap {
    FourCcInfoMap::new()
        .with(FourCcKey::Any, FourCcInfo::CAN_FORWARD)
        .with(
            FourCcKey::Codec(FourCc::HEVC),
            FourCcInfo::CAN_DECODE | FourCcInfo::CAN_ENCODE,
        )
}

fn audio_map() -> FourCcInfoMap {
    FourCcInfoMap::new().with(FourCcKey::Codec(FourCc::OPUS), FourCcInfo::CAN_ENCODE)
}

fn has(properties: &Value, key: &str) -> bool {
    properties.get(key).is_some()
}

#[test]
fn the_server_asks_to_reconnect_and_the_client_reports_it() {
    let t0 = Instant::now();
    let mut config = client_config();
    config.caps_ex = Some(CapsEx::RECONNECT);
    let server_config = ServerConfig {
        caps_ex: CapsEx::RECONNECT,
        ..ServerConfig::default()
    };
    let (mut server, mut client, _, _) = connect(server_config, config, t0);
    assert_eq!(server.caps_ex(), CapsEx::RECONNECT);
    assert_eq!(client.caps_ex(), CapsEx::RECONNECT);
    client.publish("key", "live");
    let (_, events) = pump(&mut server, &mut client, t0);
    assert!(events
        .iter()
        .any(|e| matches!(e, ClientEvent::PublishStarted { .. })));

    let t1 = t0 + Duration::from_secs(5);
    server
        .request_reconnect(Some("rtmp://b.example:1936/live"), Some("maintenance"))
        .unwrap();
    let (_, events) = pump(&mut server, &mut client, t1);
    assert_eq!(
        events,
        [ClientEvent::ReconnectRequested {
            tc_url: Some("rtmp://b.example:1936/live".into()),
            description: Some("maintenance".into()),
        }]
    );
    // The old connection keeps working until the client leaves.
    let t2 = t1 + Duration::from_millis(40);
    client
        .send_video(40, Bytes::from_static(b"\x17\x01\x00\x00\x00\x01"))
        .unwrap();
    let (server_events, _) = pump(&mut server, &mut client, t2);
    assert!(matches!(
        server_events.as_slice(),
        [ServerEvent::Media(MediaEvent::Video { timestamp: 40, .. })]
    ));

    // Without a URL or reason, both are absent; through a ServerCommand too.
    let command = ServerCommand::RequestReconnect {
        tc_url: None,
        description: None,
    };
    server.handle_command(command, t2).unwrap();
    let (_, events) = pump(&mut server, &mut client, t2);
    assert_eq!(
        events,
        [ClientEvent::ReconnectRequested {
            tc_url: None,
            description: None
        }]
    );
}

/// What a generic peer receives: a raw connection as the client.
#[test]
fn the_reconnect_request_is_an_on_status_on_stream_0() {
    let now = Instant::now();
    let mut server = ServerSession::new(ServerConfig::default(), SeededRandom::new(1), now);
    let mut raw = RtmpConnection::client(SeededRandom::new(2));
    let connect = Connect::new(1.0, "live", URL).with("capsEx", Value::Number(1.0));
    raw.send(0, 0, command(Command::Connect(connect))).unwrap();
    exchange(&mut raw, &mut server, now, |server, event| {
        if let ServerEvent::ConnectRequested(c) = event {
            server.accept_connect(c.request).unwrap();
        }
    });
    server
        .request_reconnect(Some("/edge"), Some("moving"))
        .unwrap();
    let (events, _) = exchange(&mut raw, &mut server, now, |_, _| {});
    let statuses: Vec<(u32, f64, Value)> = events
        .into_iter()
        .filter_map(|event| match event {
            RtmpEvent::Message(MessageEvent {
                stream_id,
                message:
                    Message::Command {
                        command:
                            Command::OnStatus {
                                transaction_id,
                                info,
                            },
                        ..
                    },
                ..
            }) => Some((stream_id, transaction_id, info)),
            _ => None,
        })
        .collect();
    let info = Value::Object(vec![
        ("level".into(), "status".into()),
        (
            "code".into(),
            "NetConnection.Connect.ReconnectRequest".into(),
        ),
        ("description".into(), "moving".into()),
        ("tcUrl".into(), "/edge".into()),
    ]);
    assert_eq!(statuses, [(0, 0.0, info)]);
}

/// A server that answers `connect` with `properties`, as a raw connection.
fn answer_connect(client: &mut ClientSession, properties: Value, now: Instant) {
    let mut raw = RtmpConnection::server(SeededRandom::new(1));
    let (_, events) = exchange(client, &mut raw, now, |_, _| {});
    assert!(events.iter().any(|e| matches!(
        e,
        RtmpEvent::Message(MessageEvent {
            message: Message::Command {
                command: Command::Connect(_),
                ..
            },
            ..
        })
    )));
    let info = Value::Object(vec![
        ("level".into(), "status".into()),
        ("code".into(), "NetConnection.Connect.Success".into()),
    ]);
    let result = Response {
        transaction_id: 1.0,
        command_object: properties,
        arguments: vec![info],
    };
    raw.send(0, 0, command(Command::Result(result))).unwrap();
    exchange(client, &mut raw, now, |_, _| {});
}

fn command(command: Command) -> Message {
    Message::Command {
        amf3: false,
        command,
    }
}

#[test]
fn a_client_keeps_only_bits_it_offered() {
    let now = Instant::now();
    let mut config = client_config();
    config.caps_ex = Some(CapsEx::MOD_EX | CapsEx::RECONNECT);
    let mut client = ClientSession::new(config, SeededRandom::new(2), now);
    assert_eq!(client.caps_ex(), CapsEx::NONE);
    assert!(client.server_caps().is_none());
    // A server that answers more than was offered, and a malformed map.
    let properties = Value::Object(vec![
        ("capsEx".into(), Value::Number(12.0)),
        ("videoFourCcInfoMap".into(), Value::Number(1.0)),
        (
            "audioFourCcInfoMap".into(),
            Value::Object(vec![("*".into(), 1.0.into())]),
        ),
    ]);
    answer_connect(&mut client, properties, now);
    assert_eq!(client.caps_ex(), CapsEx::MOD_EX);
    let caps = client.server_caps().unwrap();
    assert_eq!(caps.caps_ex, Some(CapsEx(12)));
    assert_eq!(caps.video_four_cc_info_map, None);
    let any = FourCcInfoMap::new().with(FourCcKey::Any, FourCcInfo::CAN_DECODE);
    assert_eq!(caps.audio_four_cc_info_map, Some(any));

    // A legacy server: nothing negotiated.
    let mut config = client_config();
    config.caps_ex = Some(CapsEx(0x0f));
    let mut client = ClientSession::new(config, SeededRandom::new(2), now);
    answer_connect(&mut client, Value::Null, now);
    assert_eq!(client.caps_ex(), CapsEx::NONE);
    assert_eq!(client.server_caps(), Some(&ConnectCaps::default()));
}

/// The server's whole output for a client that connects and then is asked
/// to reconnect, replayed into fresh clients in any cut.
#[test]
fn the_reconnect_event_does_not_depend_on_how_input_is_cut() {
    let now = Instant::now();
    let mut server = ServerSession::new(ServerConfig::default(), SeededRandom::new(1), now);
    let mut client = ClientSession::new(client_config(), SeededRandom::new(2), now);
    let mut from_server = Vec::new();
    let mut asked = false;
    loop {
        let mut moved = false;
        while let Some(bytes) = client.poll_transmit() {
            server.handle_input(&bytes, now);
            moved = true;
        }
        while let Some(event) = server.poll_event() {
            if let ServerEvent::ConnectRequested(c) = event.unwrap() {
                server.accept_connect(c.request).unwrap();
            }
        }
        if !asked && server.app() == "live" {
            server
                .request_reconnect(Some("rtmp://b/live"), None)
                .unwrap();
            asked = true;
        }
        while let Some(bytes) = server.poll_transmit() {
            from_server.extend_from_slice(&bytes);
            client.handle_input(&bytes, now);
            moved = true;
        }
        while client.poll_event().is_some() {}
        if !moved {
            break;
        }
    }
    assert!(asked);
    let make = || ClientSession::new(client_config(), SeededRandom::new(2), now);
    let transcript = assert_chunk_independent(make, &from_server, false, now);
    assert!(transcript.error.is_none());
    let reconnect = ClientEvent::ReconnectRequested {
        tc_url: Some("rtmp://b/live".into()),
        description: None,
    };
    assert_eq!(transcript.events.last(), Some(&reconnect));
}

#[test]
fn a_client_follows_the_request_to_the_new_url() {
    let t0 = Instant::now();
    let mut config = client_config();
    config.caps_ex = Some(CapsEx::RECONNECT | CapsEx::MULTITRACK);
    config.video_four_cc_info_map = Some(video_map());
    let (mut server, mut client, _, _) = connect(ServerConfig::default(), config.clone(), t0);
    server
        .request_reconnect(Some("//b.example:1936/edge"), None)
        .unwrap();
    let (_, events) = pump(&mut server, &mut client, t0);
    let [ClientEvent::ReconnectRequested { tc_url, .. }] = events.as_slice() else {
        panic!("{events:?}")
    };
    let next = config.reconnect_to(tc_url.as_deref());
    assert_eq!(next.tc_url, "rtmp://b.example:1936/edge");
    assert_eq!(next.server_addr(), Some(("b.example".into(), 1936)));

    // The new session to the new server offers the same capabilities.
    let t1 = t0 + Duration::from_secs(1);
    let (_, _, request, _) = connect(ServerConfig::default(), next, t1);
    assert_eq!(request.app, "edge");
    assert_eq!(
        request.tc_url.as_deref(),
        Some("rtmp://b.example:1936/edge")
    );
    assert_eq!(
        request.caps_ex,
        Some(CapsEx::RECONNECT | CapsEx::MULTITRACK)
    );
    assert_eq!(request.video_four_cc_info_map, Some(video_map()));
}

#[test]
fn info_maps_are_parsed_and_answered() {
    let now = Instant::now();
    let mut config = client_config();
    config.video_four_cc_info_map = Some(video_map());
    config.audio_four_cc_info_map = Some(audio_map());
    let server_video =
        FourCcInfoMap::new().with(FourCcKey::Codec(FourCc::AV1), FourCcInfo::CAN_FORWARD);
    let server_config = ServerConfig {
        video_four_cc_info_map: server_video.clone(),
        audio_four_cc_info_map: FourCcInfoMap::new(),
        ..ServerConfig::default()
    };
    let (_, client, request, properties) = connect(server_config, config, now);
    // Typed on the server side.
    let video = request.video_four_cc_info_map.unwrap();
    assert_eq!(video.capabilities(FourCc::HEVC).bits(), 7);
    assert_eq!(video.capabilities(FourCc::VP9), FourCcInfo::CAN_FORWARD);
    assert_eq!(request.audio_four_cc_info_map, Some(audio_map()));
    assert_eq!(request.caps_ex, None);
    assert_eq!(request.four_cc_list, None);
    // The server states its own maps (an empty one is left out), no capsEx.
    assert_eq!(
        properties.get("videoFourCcInfoMap"),
        Some(&Value::Object(vec![("av01".into(), Value::Number(4.0))]))
    );
    assert!(!has(&properties, "audioFourCcInfoMap"));
    assert!(!has(&properties, "capsEx"));
    assert!(!has(&properties, "fourCcList"));
    // And the client reads them back.
    let server_caps = client.server_caps().unwrap();
    assert_eq!(server_caps.video_four_cc_info_map, Some(server_video));
    assert_eq!(server_caps.audio_four_cc_info_map, None);
    assert_eq!(client.caps_ex(), CapsEx::NONE);
}

#[test]
fn the_default_server_forwards_any_codec() {
    let now = Instant::now();
    let mut config = client_config();
    config.caps_ex = Some(CapsEx::NONE);
    let (_, client, request, _) = connect(ServerConfig::default(), config, now);
    assert_eq!(request.caps_ex, Some(CapsEx::NONE));
    let caps = client.server_caps().unwrap();
    for map in [&caps.video_four_cc_info_map, &caps.audio_four_cc_info_map] {
        assert_eq!(map.as_ref(), Some(&FourCcInfoMap::forward_all()));
    }
    assert_eq!(caps.caps_ex, Some(CapsEx::NONE));
}

#[test]
fn caps_ex_is_the_intersection_in_both_roles() {
    let now = Instant::now();
    let all = CapsEx::RECONNECT | CapsEx::MULTITRACK | CapsEx::MOD_EX;
    let cases = [
        // (offered, supported, negotiated)
        (
            all,
            CapsEx::RECONNECT | CapsEx::TIMESTAMP_NANO_OFFSET,
            CapsEx::RECONNECT,
        ),
        (CapsEx::TIMESTAMP_NANO_OFFSET, all, CapsEx::NONE),
        (all, all | CapsEx::TIMESTAMP_NANO_OFFSET, all),
        (CapsEx(0xff), CapsEx(0x0f), CapsEx(0x0f)),
    ];
    for (offered, supported, negotiated) in cases {
        let mut config = client_config();
        config.caps_ex = Some(offered);
        let server_config = ServerConfig {
            caps_ex: supported,
            ..ServerConfig::default()
        };
        let (server, client, request, properties) = connect(server_config, config, now);
        assert_eq!(request.caps_ex, Some(offered));
        let answered = f64::from(negotiated.bits());
        assert_eq!(properties.get("capsEx"), Some(&Value::Number(answered)));
        assert_eq!(server.caps_ex(), negotiated, "{offered:?} {supported:?}");
        assert_eq!(client.caps_ex(), negotiated, "{offered:?} {supported:?}");
    }
}

#[test]
fn legacy_and_v1_clients_are_answered_as_before() {
    let now = Instant::now();
    let supported = ServerConfig {
        caps_ex: CapsEx(0x0f),
        ..ServerConfig::default()
    };
    // Legacy: none of the Enhanced RTMP properties.
    let (server, client, request, properties) = connect(supported.clone(), client_config(), now);
    assert_eq!(
        (
            &request.four_cc_list,
            &request.video_four_cc_info_map,
            &request.audio_four_cc_info_map,
            request.caps_ex
        ),
        (&None, &None, &None, None)
    );
    let keys: Vec<&str> = properties
        .properties()
        .unwrap()
        .iter()
        .map(|(k, _)| k.as_str())
        .collect();
    assert_eq!(keys, ["fmsVer", "capabilities"]);
    assert_eq!(
        (server.caps_ex(), client.caps_ex()),
        (CapsEx::NONE, CapsEx::NONE)
    );
    assert_eq!(client.server_caps(), Some(&ConnectCaps::default()));

    // Enhanced RTMP v1 (what FFmpeg sends): fourCcList only, answered with
    // fourCcList only.
    let mut config = client_config();
    config.four_cc_list = Some(vec!["hvc1".into(), "av01".into()]);
    let (_, _, request, properties) = connect(supported, config, now);
    assert_eq!(
        request.four_cc_list,
        Some(vec!["hvc1".into(), "av01".into()])
    );
    let keys: Vec<&str> = properties
        .properties()
        .unwrap()
        .iter()
        .map(|(k, _)| k.as_str())
        .collect();
    assert_eq!(keys, ["fmsVer", "capabilities", "fourCcList"]);
}
