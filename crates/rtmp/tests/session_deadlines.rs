//! The deadlines of the sessions (handshake plus `connect`, send stall,
//! idle timeout and keepalive pings), the `_error` answer to a malformed
//! `connect`, and the goodbye of a graceful shutdown, all with injected
//! time.

use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use wirestate_core::testing::{assert_chunk_independent, exchange};
use wirestate_core::{Machine, SeededRandom};
use wirestate_rtmp::amf0::{decode_all, encode_all, Amf0Limits, Value};
use wirestate_rtmp::chunk::{ChunkDecoder, DecoderConfig};
use wirestate_rtmp::message::{Message, UserControl};
use wirestate_rtmp::session::{
    ClientConfig, ClientEvent, ClientSession, ServerConfig, ServerEvent, ServerSession,
    SessionError,
};

const SECOND: Duration = Duration::from_secs(1);

fn auto(config: ServerConfig, now: Instant) -> ServerSession {
    let config = ServerConfig {
        auto_accept: true,
        ..config
    };
    ServerSession::new(config, SeededRandom::new(1), now)
}

fn client(now: Instant) -> ClientSession {
    let config = ClientConfig::new("live", "rtmp://127.0.0.1/live");
    ClientSession::new(config, SeededRandom::new(2), now)
}

/// A simple client handshake: C0, zero C1, zero C2.
fn raw_handshake() -> Vec<u8> {
    let mut input = vec![3u8];
    input.resize(1 + 2 * 1536, 0);
    input
}

/// One AMF0 command message on chunk stream 3, message stream 0.
fn command_chunk(payload: &[u8]) -> Vec<u8> {
    assert!(payload.len() <= 128, "one chunk");
    let len = (payload.len() as u32).to_be_bytes();
    let mut chunk = vec![0x03, 0, 0, 0, len[1], len[2], len[3], 20, 0, 0, 0, 0];
    chunk.extend_from_slice(payload);
    chunk
}

/// Every server event; errors as `Err`.
fn server_events(server: &mut ServerSession) -> Vec<Result<ServerEvent, SessionError>> {
    std::iter::from_fn(|| server.poll_event()).collect()
}

/// The AMF0 commands in what a server sent after its handshake answer.
fn sent_commands(server: &mut ServerSession) -> Vec<Vec<Value>> {
    let mut sent = BytesMut::new();
    while let Some(bytes) = server.poll_transmit() {
        sent.extend_from_slice(&bytes);
    }
    let mut chunks = sent.split_off(1 + 2 * 1536);
    let mut decoder = ChunkDecoder::new(DecoderConfig::default());
    let mut commands = Vec::new();
    while let Some(raw) = decoder.decode(&mut chunks).unwrap() {
        if raw.type_id == 20 {
            commands.push(decode_all(&raw.payload, &Amf0Limits::default()).unwrap());
        }
    }
    commands
}

fn assert_connect_rejected(commands: &[Vec<Value>]) {
    let [command] = commands else {
        panic!("{commands:?}")
    };
    assert_eq!(command[0], Value::String("_error".into()));
    assert_eq!(command[1], Value::Number(1.0));
    let info = &command[3];
    let field = |key| info.get(key).and_then(Value::as_str).unwrap().to_owned();
    assert_eq!(field("level"), "error");
    assert_eq!(field("code"), "NetConnection.Connect.Rejected");
    assert!(!field("description").is_empty());
}

#[test]
fn a_trickled_handshake_fails_at_exactly_the_deadline() {
    let t0 = Instant::now();
    let mut server = ServerSession::new(ServerConfig::default(), SeededRandom::new(1), t0);
    server.handle_connected(t0);
    let deadline = t0 + 10 * SECOND;
    assert_eq!(server.poll_timeout(), Some(deadline));
    for (i, byte) in raw_handshake()[..10].iter().enumerate() {
        server.handle_input(&[*byte], t0 + (i as u32) * SECOND);
        assert!(server_events(&mut server).is_empty());
        assert_eq!(
            server.poll_timeout(),
            Some(deadline),
            "bytes do not extend it"
        );
    }
    server.handle_timeout(deadline - Duration::from_nanos(1));
    assert!(server_events(&mut server).is_empty());
    server.handle_timeout(deadline);
    assert!(matches!(
        server_events(&mut server).as_slice(),
        [Err(SessionError::HandshakeTimeout(d))] if *d == 10 * SECOND
    ));
    assert!(server.is_closed());
    assert_eq!(server.poll_timeout(), None);
}

#[test]
fn a_handshake_without_connect_fails_at_the_deadline() {
    let t0 = Instant::now();
    let mut server = ServerSession::new(ServerConfig::default(), SeededRandom::new(1), t0);
    // Never told it is connected: the first input starts the clock.
    server.handle_input(&raw_handshake(), t0 + SECOND);
    assert!(server_events(&mut server).is_empty());
    let deadline = t0 + 11 * SECOND;
    assert_eq!(server.poll_timeout(), Some(deadline));
    // An Acknowledgement is input, but does not move the deadline.
    let ack = b"\x02\x00\x00\x00\x00\x00\x04\x03\x00\x00\x00\x00\x00\x00\x00\x01";
    server.handle_input(ack, t0 + 5 * SECOND);
    assert_eq!(server.poll_timeout(), Some(deadline));
    server.handle_timeout(deadline);
    let events = server_events(&mut server);
    assert!(
        matches!(events.last(), Some(Err(SessionError::HandshakeTimeout(d))) if *d == 10 * SECOND),
        "{events:?}"
    );
    assert!(server.is_closed());

    // A client whose connect is never answered fails the same way.
    let mut client = client(t0);
    client.handle_connected(t0);
    client.handle_input(&[3], t0 + SECOND);
    client.handle_timeout(t0 + 10 * SECOND);
    assert!(matches!(
        client.poll_event(),
        Some(Err(SessionError::HandshakeTimeout(_)))
    ));
    assert!(client.is_closed());
}

#[test]
fn connect_in_time_stops_the_handshake_deadline() {
    let t0 = Instant::now();
    let mut server = auto(ServerConfig::default(), t0);
    let mut client = client(t0);
    server.handle_connected(t0);
    client.handle_connected(t0);
    let connected = t0 + 9 * SECOND;
    let (client_events, _) = exchange(&mut client, &mut server, connected, |_, _| {});
    assert!(client_events
        .iter()
        .any(|e| matches!(e, ClientEvent::Connected { .. })));
    // The server's next deadline is its keepalive ping; the client has none.
    assert_eq!(server.poll_timeout(), Some(connected + 20 * SECOND));
    assert_eq!(client.poll_timeout(), None);
    server.handle_timeout(t0 + 10 * SECOND);
    client.handle_timeout(t0 + 10 * SECOND);
    assert!(server.poll_event().is_none());
    assert!(client.poll_event().is_none());
    assert!(!server.is_closed() && !client.is_closed());
}

/// A server playing stream 1 to a client, connected at `t0`, without
/// keepalive pings.
fn playing_pair(t0: Instant, config: ServerConfig) -> (ServerSession, ClientSession) {
    let mut server = auto(config, t0);
    let mut client = client(t0);
    client.play("key");
    let (client_events, _) = exchange(&mut client, &mut server, t0, |_, _| {});
    assert!(client_events.contains(&ClientEvent::PlayStarted { stream_id: 1 }));
    (server, client)
}

#[test]
fn the_send_stall_fires_re_arms_stops_and_holds_after_eof() {
    let t0 = Instant::now();
    let config = ServerConfig {
        ping_interval: None,
        ..ServerConfig::default()
    };
    let (mut server, _client) = playing_pair(t0, config);
    assert_eq!(server.poll_timeout(), None);
    server.handle_written(0, 500, t0);
    assert_eq!(server.poll_timeout(), Some(t0 + 30 * SECOND));
    server.handle_written(0, 500, t0 + 10 * SECOND);
    assert_eq!(server.poll_timeout(), Some(t0 + 30 * SECOND));
    server.handle_written(100, 400, t0 + 10 * SECOND);
    assert_eq!(server.poll_timeout(), Some(t0 + 40 * SECOND));
    server.handle_written(400, 0, t0 + 11 * SECOND);
    assert_eq!(server.poll_timeout(), None);

    // Media waits for a player that half-closes and never reads.
    let audio = Bytes::from(vec![0xaf; 6000]);
    server.send_audio(1, 0, audio).unwrap();
    server.handle_written(0, 6000, t0 + 12 * SECOND);
    server.handle_eof(t0 + 13 * SECOND);
    let events = server_events(&mut server);
    assert!(matches!(
        events.as_slice(),
        [Ok(ServerEvent::PlayFinished { stream_id: 1, .. })]
    ));
    assert!(!server.is_closed(), "bytes still wait");
    let deadline = t0 + 42 * SECOND;
    assert_eq!(server.poll_timeout(), Some(deadline));
    server.handle_timeout(deadline - SECOND);
    assert!(server.poll_event().is_none());
    server.handle_timeout(deadline);
    assert!(matches!(
        server_events(&mut server).as_slice(),
        [Err(SessionError::SendStalled(d))] if *d == 30 * SECOND
    ));
    assert!(server.poll_transmit().is_none(), "nothing more is sent");
    assert!(server.is_closed());
    assert_eq!(server.poll_timeout(), None);
}

#[test]
fn a_send_stall_while_running_ends_the_streams_then_fails() {
    let t0 = Instant::now();
    let (mut server, _client) = playing_pair(t0, ServerConfig::default());
    let config = ServerConfig {
        send_timeout: None,
        ..ServerConfig::default()
    };
    let (mut patient, _other) = playing_pair(t0, config);
    server.handle_written(0, 10, t0);
    patient.handle_written(0, 10, t0);
    assert_eq!(
        patient.poll_timeout(),
        Some(t0 + 20 * SECOND),
        "only the ping"
    );
    server.handle_timeout(t0 + 30 * SECOND);
    let events = server_events(&mut server);
    assert!(
        matches!(
            events.as_slice(),
            [
                Ok(ServerEvent::PlayFinished { .. }),
                Err(SessionError::SendStalled(_))
            ]
        ),
        "{events:?}"
    );
    assert!(server.is_closed());
}

/// Runs a passive player of a 48 kbit/s stream for `duration`: the server
/// sends 6000 bytes of audio a second, the player sends nothing but what
/// its connection answers by itself (ping answers; acknowledgements only
/// every 2.5 MB). Returns the pings the player saw and the server's error;
/// checks that each ping was answered with its timestamp.
fn passive_player(config: ServerConfig, duration: Duration) -> (Vec<u32>, Option<SessionError>) {
    let t0 = Instant::now();
    let (mut server, mut client) = playing_pair(t0, config);
    let (mut pings, mut answers, mut next_audio) = (Vec::new(), Vec::new(), t0 + SECOND);
    loop {
        let now = server
            .poll_timeout()
            .map_or(next_audio, |t| t.min(next_audio));
        if now > t0 + duration {
            assert_eq!(answers, pings, "every ping answered with its timestamp");
            return (pings, None);
        }
        if now == next_audio {
            let millis = (now - t0).as_millis() as u32;
            let mut audio = vec![0u8; 6000];
            audio[..2].copy_from_slice(b"\xaf\x01");
            server.send_audio(1, millis, Bytes::from(audio)).unwrap();
            next_audio += SECOND;
        }
        server.handle_timeout(now);
        while let Some(bytes) = server.poll_transmit() {
            client.handle_input(&bytes, now);
        }
        while let Some(event) = client.poll_event() {
            if let ClientEvent::Other(message) = event.unwrap() {
                if let Message::UserControl(UserControl::PingRequest(ts)) = message.message {
                    pings.push(ts);
                }
            }
        }
        while let Some(bytes) = client.poll_transmit() {
            server.handle_input(&bytes, now);
        }
        for event in server_events(&mut server) {
            match event {
                Err(error) => return (pings, Some(error)),
                Ok(ServerEvent::Other(message)) => {
                    if let Message::UserControl(UserControl::PingResponse(ts)) = message.message {
                        answers.push(ts);
                    }
                }
                Ok(_) => {}
            }
        }
    }
}

#[test]
fn a_passive_player_that_answers_pings_is_never_cut() {
    let config = ServerConfig {
        idle_timeout: Some(120 * SECOND),
        ..ServerConfig::default()
    };
    let (pings, error) = passive_player(config, 300 * SECOND);
    assert!(error.is_none(), "{error:?}");
    // A ping every 20 s of quiet, stamped with the session's milliseconds.
    assert_eq!(pings.len(), 15, "{pings:?}");
    assert_eq!(pings[0], 20_000);
    assert_eq!(pings[1], 40_000);

    // Without pings the same player is cut by the idle timeout.
    let config = ServerConfig {
        idle_timeout: Some(120 * SECOND),
        ping_interval: None,
        ..ServerConfig::default()
    };
    let (pings, error) = passive_player(config, 300 * SECOND);
    assert!(pings.is_empty());
    assert!(matches!(error, Some(SessionError::IdleTimeout(d)) if d == 120 * SECOND));
}

#[test]
fn the_ping_interval_is_at_most_half_the_idle_timeout() {
    let config = ServerConfig {
        idle_timeout: Some(5 * SECOND),
        ..ServerConfig::default()
    };
    let (pings, error) = passive_player(config, 60 * SECOND);
    assert!(error.is_none(), "{error:?}");
    assert_eq!(pings.first(), Some(&2_500));
}

#[test]
fn a_connect_without_a_command_object_gets_an_error_then_closes() {
    let t0 = Instant::now();
    let mut server = ServerSession::new(ServerConfig::default(), SeededRandom::new(1), t0);
    let mut body = BytesMut::new();
    encode_all(&["connect".into(), 1.0.into(), Value::Null], &mut body);
    let mut input = raw_handshake();
    input.extend_from_slice(&command_chunk(&body));
    server.handle_input(&input, t0);
    let events = server_events(&mut server);
    assert!(
        matches!(events.as_slice(), [Err(SessionError::MalformedConnect(d))] if d.contains("command object")),
        "{events:?}"
    );
    assert!(server.is_closed());
    assert_connect_rejected(&sent_commands(&mut server));
}

#[test]
fn a_connect_that_does_not_decode_gets_an_error_then_closes() {
    let t0 = Instant::now();
    let mut server = ServerSession::new(ServerConfig::default(), SeededRandom::new(1), t0);
    let mut body = BytesMut::new();
    encode_all(&["connect".into(), 1.0.into()], &mut body);
    // An object cut short: "app" and no value, no end marker.
    body.extend_from_slice(b"\x03\x00\x03app");
    let mut input = raw_handshake();
    input.extend_from_slice(&command_chunk(&body));
    server.handle_input(&input, t0);
    let events = server_events(&mut server);
    assert!(
        matches!(events.as_slice(), [Err(SessionError::MalformedConnect(d))] if d.contains("did not decode")),
        "{events:?}"
    );
    assert!(server.is_closed());
    assert_connect_rejected(&sent_commands(&mut server));
}

/// The status codes a client saw.
fn status_codes(events: &[ClientEvent]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match e {
            ClientEvent::Status { status, .. } => Some(status.code.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn shutdown_tells_a_player_its_stream_ended() {
    let t0 = Instant::now();
    let (mut server, mut client) = playing_pair(t0, ServerConfig::default());
    assert!(!server.handle_shutdown(t0));
    let (client_events, server_events) = exchange(&mut client, &mut server, t0, |_, _| {});
    assert_eq!(
        status_codes(&client_events),
        [
            "NetStream.Play.UnpublishNotify",
            "NetStream.Play.Stop",
            "NetConnection.Connect.Closed"
        ]
    );
    assert!(client_events.contains(&ClientEvent::StreamEof { stream_id: 1 }));
    assert!(matches!(
        server_events.as_slice(),
        [ServerEvent::PlayFinished { stream_id: 1, .. }]
    ));
    assert!(server.is_closed());
    assert!(server
        .send_audio(1, 0, Bytes::from_static(b"\xaf\x01"))
        .is_err());
}

#[test]
fn shutdown_tells_a_publisher_and_a_client_stops_its_stream() {
    let t0 = Instant::now();
    let mut server = auto(ServerConfig::default(), t0);
    let mut publisher = client(t0);
    publisher.publish("key", "live");
    let (client_events, _) = exchange(&mut publisher, &mut server, t0, |_, _| {});
    assert!(client_events.contains(&ClientEvent::PublishStarted { stream_id: 1 }));
    // The client shuts down first: FCUnpublish and deleteStream.
    assert!(!publisher.handle_shutdown(t0));
    let (_, server_events) = exchange(&mut publisher, &mut server, t0, |_, _| {});
    assert!(server_events
        .iter()
        .any(|e| matches!(e, ServerEvent::PublishFinished { stream_id: 1, .. })));
    assert!(publisher.is_closed());

    let mut server = auto(ServerConfig::default(), t0);
    let mut publisher = client(t0);
    publisher.publish("key", "live");
    exchange(&mut publisher, &mut server, t0, |_, _| {});
    assert!(!server.handle_shutdown(t0));
    let (client_events, server_events) = exchange(&mut publisher, &mut server, t0, |_, _| {});
    assert_eq!(
        status_codes(&client_events),
        [
            "NetStream.Unpublish.Success",
            "NetConnection.Connect.Closed"
        ]
    );
    assert!(matches!(
        server_events.as_slice(),
        [ServerEvent::PublishFinished { stream_id: 1, .. }]
    ));
    assert!(server.is_closed());
}

#[test]
fn the_malformed_connect_answer_does_not_depend_on_how_input_is_cut() {
    let now = Instant::now();
    let mut body = BytesMut::new();
    encode_all(&["connect".into(), 1.0.into(), Value::Null], &mut body);
    let mut input = raw_handshake();
    input.extend_from_slice(&command_chunk(&body));
    let make = || ServerSession::new(ServerConfig::default(), SeededRandom::new(1), now);
    let transcript = assert_chunk_independent(make, &input, false, now);
    assert!(transcript.error.unwrap().contains("malformed connect"));
}

/// The fuzzer's finding (`rtmp_client_session`): acknowledgements queued
/// before a fatal chunk, while the peer takes no bytes. Input cut before
/// the bad chunk queued them in an earlier call, whose unsent report armed
/// the send-stall timer, and the session stayed open after the error; input
/// arriving whole queued them with the error, and the session closed. A
/// failure now ends the session (and a bare connection) at once, with no
/// deadline left, however the input was cut.
#[test]
fn a_failure_closes_at_once_however_the_input_before_it_was_cut() {
    let t0 = Instant::now();
    // Window Acknowledgement Size 1 (raised to the minimum, 1024 bytes),
    // a 3000-byte message of an unknown type in 128-byte chunks, then a
    // header announcing a message over the 8 MiB limit.
    let mut acked = vec![2, 0, 0, 0, 0, 0, 4, 5, 0, 0, 0, 0, 0, 0, 0, 1];
    acked.extend_from_slice(&[4, 0, 0, 0, 0, 0x0b, 0xb8, 0x30, 1, 0, 0, 0]);
    for (i, chunk) in [0u8; 3000].chunks(128).enumerate() {
        if i > 0 {
            acked.push(0xc4);
        }
        acked.extend_from_slice(chunk);
    }
    let bad = [5, 0, 0, 0, 0xff, 0xff, 0xff, 9, 1, 0, 0, 0];
    let whole: Vec<u8> = acked.iter().chain(&bad).copied().collect();

    // The handshake is written; then the peer stops reading.
    let run = |pieces: &[&[u8]]| {
        let mut server = auto(ServerConfig::default(), t0);
        server.handle_connected(t0);
        server.handle_input(&raw_handshake(), t0);
        let _ = server_events(&mut server);
        while let Some(bytes) = server.poll_transmit() {
            server.handle_written(bytes.len(), 0, t0);
        }
        let mut unsent = 0;
        let mut error = None;
        for piece in pieces {
            server.handle_input(piece, t0);
            loop {
                let event = server.poll_event();
                while let Some(bytes) = server.poll_transmit() {
                    unsent += bytes.len();
                    server.handle_written(0, unsent, t0);
                }
                match event {
                    Some(Err(e)) => error = Some(format!("{e:?}")),
                    Some(Ok(_)) => {}
                    None => break,
                }
            }
        }
        (error, unsent, server.is_closed(), server.poll_timeout())
    };
    let at_once = run(&[&whole]);
    let cut = run(&[&acked, &bad]);
    let error = at_once.0.as_deref().unwrap_or_default();
    assert!(error.contains("MessageTooLong"), "{error}");
    assert!(at_once.1 > 0, "acknowledgements were queued");
    assert_eq!(at_once, cut);
    assert!(at_once.2, "closed");
    assert_eq!(at_once.3, None, "no deadline once closed");
}
