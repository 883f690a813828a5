use std::time::Instant;

use wirestate_core::testing::exchange;
use wirestate_core::{Machine, SeededRandom};

use crate::session::*;

/// Moves bytes both ways until nothing moves; returns each side's events.
fn pump(
    server: &mut ServerSession,
    client: &mut ClientSession,
    now: Instant,
) -> (Vec<ServerEvent>, Vec<ClientEvent>) {
    let (client_events, server_events) = exchange(client, server, now, |_, _| {});
    (server_events, client_events)
}

fn auto_server(now: Instant) -> ServerSession {
    let config = ServerConfig {
        auto_accept: true,
        ..ServerConfig::default()
    };
    ServerSession::new(config, SeededRandom::new(1), now)
}

fn client(now: Instant) -> ClientSession {
    let config = ClientConfig::new("live", "rtmp://127.0.0.1/live");
    ClientSession::new(config, SeededRandom::new(2), now)
}

#[test]
fn auto_accept_accepts_connect_and_publish_and_still_reports_them() {
    let now = Instant::now();
    let (mut server, mut client) = (auto_server(now), client(now));
    client.publish("key", "live");
    let (server_events, client_events) = pump(&mut server, &mut client, now);
    let connect = server_events.iter().find_map(|e| match e {
        ServerEvent::ConnectRequested(c) => Some(c.request),
        _ => None,
    });
    let publish = server_events.iter().find_map(|e| match e {
        ServerEvent::PublishRequested { request, name, .. } if name == "key" => Some(*request),
        _ => None,
    });
    assert!(client_events
        .iter()
        .any(|e| matches!(e, ClientEvent::PublishStarted { stream_id: 1 })));
    assert_eq!(server.app(), "live");
    // Already answered: a second answer is local misuse.
    assert!(matches!(
        server.accept_connect(connect.unwrap()),
        Err(crate::LocalError::UnknownRequest(_))
    ));
    assert!(matches!(
        server.accept_publish(publish.unwrap()),
        Err(crate::LocalError::UnknownRequest(_))
    ));

    // The publisher's media comes out at once.
    client
        .send_video(40, bytes::Bytes::from_static(b"\x17\x01\x00\x00\x00\xaa"))
        .unwrap();
    let (server_events, _) = pump(&mut server, &mut client, now);
    assert!(matches!(
        server_events.as_slice(),
        [ServerEvent::Media(MediaEvent::Video {
            stream_id: 1,
            timestamp: 40,
            ..
        })]
    ));
}

#[test]
fn auto_accept_plays_and_sends_the_same_bytes_as_accepting_by_hand() {
    let now = Instant::now();
    let mut auto = auto_server(now);
    let mut by_hand = ServerSession::new(ServerConfig::default(), SeededRandom::new(1), now);
    let (mut auto_client, mut hand_client) = (client(now), client(now));
    auto_client.play("key");
    hand_client.play("key");
    let mut wires = (Vec::new(), Vec::new());
    for _ in 0..10 {
        while let Some(bytes) = auto_client.poll_transmit() {
            auto.handle_input(&bytes, now);
        }
        while let Some(bytes) = hand_client.poll_transmit() {
            by_hand.handle_input(&bytes, now);
        }
        while let Some(event) = auto.poll_event() {
            event.unwrap();
        }
        while let Some(event) = by_hand.poll_event() {
            match event.unwrap() {
                ServerEvent::ConnectRequested(c) => by_hand.accept_connect(c.request).unwrap(),
                ServerEvent::PlayRequested { request, .. } => by_hand.accept_play(request).unwrap(),
                _ => {}
            }
        }
        while let Some(bytes) = auto.poll_transmit() {
            wires.0.extend_from_slice(&bytes);
            auto_client.handle_input(&bytes, now);
        }
        while let Some(bytes) = by_hand.poll_transmit() {
            wires.1.extend_from_slice(&bytes);
            hand_client.handle_input(&bytes, now);
        }
        while let Some(event) = auto_client.poll_event() {
            event.unwrap();
        }
        while hand_client.poll_event().is_some() {}
    }
    assert!(
        wires.0.len() > 3073,
        "the server answered beyond its handshake"
    );
    assert_eq!(wires.0, wires.1);
    auto.send_audio(1, 0, bytes::Bytes::from_static(b"\xaf\x01\x00"))
        .unwrap();
}

#[test]
fn client_close_then_publish_reports_closed_and_no_pending_error() {
    let now = Instant::now();
    let (mut server, mut client) = (auto_server(now), client(now));
    let (_, client_events) = pump(&mut server, &mut client, now);
    assert!(client_events
        .iter()
        .any(|e| matches!(e, ClientEvent::Connected { .. })));
    client.close();
    while client.poll_transmit().is_some() {}
    while let Some(event) = client.poll_event() {
        event.unwrap();
    }
    assert!(client.is_closed());
    client.publish("key", "live");
    assert!(client.poll_event().is_none());
    assert!(client.poll_transmit().is_none());
    assert!(client.is_closed());
}

#[test]
fn session_input_high_water_forwards_to_the_connection() {
    let now = Instant::now();
    let mut server = auto_server(now);
    assert_eq!(server.input_high_water(), crate::DEFAULT_INPUT_HIGH_WATER);
    server.set_input_high_water(10);
    assert_eq!(server.input_high_water(), 10);
    assert_eq!(server.connection().input_high_water(), 10);
}
