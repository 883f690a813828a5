//! The limit wrappers of core around a WebSocket server, with injected
//! time: a rate limit closes with 1008, the maximum age with 1001, and the
//! close frames are checked byte for byte on the wire.

use std::time::{Duration, Instant};

use wirestate_core::{Machine, MaxAge, RateLimit, SeededRandom};
use wirestate_websocket::{
    Message, WsConfig, WsConnection, WsEvent, MAX_AGE_REASON, RATE_LIMITED_REASON,
};

/// A client and an accepted server, the server wrapped by `wrap`.
fn pair<W: Machine>(wrap: impl FnOnce(WsConnection) -> W) -> (WsConnection, W) {
    let client = WsConnection::accepted_client(WsConfig::default(), None, SeededRandom::new(7));
    let server = WsConnection::accepted_server(WsConfig::default(), None);
    (client, wrap(server))
}

/// Everything `machine` has to send, as one buffer.
fn drain(machine: &mut impl Machine) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(piece) = machine.poll_transmit() {
        out.extend_from_slice(&piece);
    }
    out
}

/// The server's close frame with `code` and `reason`, unmasked.
fn close_frame(code: u16, reason: &str) -> Vec<u8> {
    let mut frame = vec![0x88, 2 + reason.len() as u8];
    frame.extend_from_slice(&code.to_be_bytes());
    frame.extend_from_slice(reason.as_bytes());
    frame
}

/// Sends text `n` from the client at `at` and returns the server's events.
fn say<W: Machine<Event = WsEvent>>(
    client: &mut WsConnection,
    server: &mut W,
    n: usize,
    at: Instant,
) -> Vec<WsEvent>
where
    W::Error: std::fmt::Debug,
{
    client.send_text(format!("m{n}")).unwrap();
    server.handle_input(&drain(client), at);
    let mut events = Vec::new();
    while let Some(event) = server.poll_event() {
        events.push(event.unwrap());
    }
    events
}

#[test]
fn rate_limit_table() {
    let ms = Duration::from_millis;
    // (case, message times in ms, messages the application gets, limited)
    let cases: &[(&str, &[u64], usize, bool)] = &[
        ("within capacity", &[0, 500], 2, false),
        ("one too many in a window", &[0, 100, 200], 2, true),
        ("the third starts a new window", &[0, 500, 1000], 3, false),
        (
            "limited in the second window",
            &[0, 900, 1000, 1100, 1200],
            4,
            true,
        ),
        (
            "everything after the limit is dropped",
            &[0, 1, 2, 3, 4, 5],
            2,
            true,
        ),
    ];
    for &(case, times, delivered, limited) in cases {
        let t0 = Instant::now();
        let (mut client, mut server) = pair(|ws| RateLimit::new(ws, 2, Duration::from_secs(1)));
        let mut got = 0;
        for (n, &t) in times.iter().enumerate() {
            for event in say(&mut client, &mut server, n, t0 + ms(t)) {
                assert!(
                    matches!(event, WsEvent::Message(Message::Text(_))),
                    "{case}"
                );
                got += 1;
            }
        }
        assert_eq!(got, delivered, "{case}");
        assert_eq!(server.limited(), limited, "{case}");
        let wire = drain(&mut server);
        if limited {
            assert_eq!(wire, close_frame(1008, RATE_LIMITED_REASON), "{case}");
            // The client answers; the server's close handshake completes.
            client.handle_input(&wire, t0 + ms(2000));
            while let Some(event) = client.poll_event() {
                event.unwrap();
            }
            server.handle_input(&drain(&mut client), t0 + ms(2000));
            assert!(
                server.poll_event().is_none(),
                "{case}: the close is dropped"
            );
            assert!(server.is_closed(), "{case}");
        } else {
            assert!(wire.is_empty(), "{case}");
            assert!(!server.is_closed(), "{case}");
        }
    }
}

#[test]
fn max_age_table() {
    let secs = Duration::from_secs;
    // (case, when the timer is driven, closed with 1001 by then)
    let cases: &[(&str, Duration, bool)] = &[
        ("early calls do nothing", secs(59), false),
        ("at the deadline", secs(60), true),
        ("late", secs(3600), true),
    ];
    for &(case, at, expired) in cases {
        let t0 = Instant::now();
        let (mut client, mut server) = pair(|ws| MaxAge::new(ws, secs(60)));
        server.handle_connected(t0);
        assert_eq!(server.poll_timeout(), Some(t0 + secs(60)), "{case}");
        assert_eq!(say(&mut client, &mut server, 0, t0 + secs(1)).len(), 1);
        server.handle_timeout(t0 + at);
        assert_eq!(server.expired(), expired, "{case}");
        let wire = drain(&mut server);
        if expired {
            assert_eq!(wire, close_frame(1001, MAX_AGE_REASON), "{case}");
            assert_eq!(server.poll_timeout(), None, "{case}: the age timer stopped");
            // A message in flight is dropped; sending is refused.
            assert!(
                say(&mut client, &mut server, 1, t0 + at).is_empty(),
                "{case}"
            );
            assert!(server.inner_mut().send_text("late").is_err(), "{case}");
            assert!(!server.is_closed(), "{case}: awaiting the client's close");
        } else {
            assert!(wire.is_empty(), "{case}");
            assert_eq!(server.poll_timeout(), Some(t0 + secs(60)), "{case}");
        }
    }
}

#[test]
fn the_wrappers_compose_and_shutdown_still_says_1001() {
    let t0 = Instant::now();
    let (mut client, mut server) = pair(|ws| {
        MaxAge::new(
            RateLimit::new(ws, 10, Duration::from_secs(1)),
            Duration::from_secs(60),
        )
    });
    server.handle_connected(t0);
    assert_eq!(say(&mut client, &mut server, 0, t0).len(), 1);
    assert!(server.handle_shutdown(t0));
    assert_eq!(drain(&mut server), close_frame(1001, ""));
    assert!(!server.expired() && !server.inner().limited());
}

#[test]
fn deflate_totals_count_the_compressed_messages() {
    let params = wirestate_websocket::DeflateParams::default();
    let mut server = WsConnection::accepted_server(WsConfig::default(), Some(params));
    let message = "abc".repeat(100);
    server.send_text(message.clone()).unwrap();
    let totals = server.deflate_totals().unwrap();
    assert_eq!(totals.uncompressed, message.len() as u64);
    assert!(totals.compressed > 0 && totals.compressed < totals.uncompressed);
    let wire = drain(&mut server);
    // Header of 2 bytes, then the compressed payload.
    assert_eq!(wire.len() as u64, 2 + totals.compressed);
    let plain = WsConnection::accepted_server(WsConfig::default(), None);
    assert_eq!(plain.deflate_totals(), None);
}

#[test]
fn a_rate_limit_counting_messages_lets_pings_through() {
    let t0 = Instant::now();
    let (mut client, mut server) = pair(|ws| {
        RateLimit::new(ws, 1, Duration::from_secs(1))
            .counting(|event| matches!(event, WsEvent::Message(_)))
    });
    for n in 0..3 {
        client.ping(format!("p{n}")).unwrap();
        server.handle_input(&drain(&mut client), t0);
        assert!(matches!(server.poll_event(), Some(Ok(WsEvent::Ping(_)))));
    }
    assert_eq!(say(&mut client, &mut server, 0, t0).len(), 1);
    assert!(!server.limited());
    drain(&mut server);
    assert!(say(&mut client, &mut server, 1, t0).is_empty());
    assert!(server.limited());
    assert_eq!(drain(&mut server), close_frame(1008, RATE_LIMITED_REASON));
}
