//! The deadlines of issue 12 at the Sans-IO level, with injected time: the
//! handshake deadline, the send-stall deadline, keepalive against a quiet
//! peer, and the graceful shutdown.

use std::time::{Duration, Instant};

use bytes::Bytes;
use wirestate_core::{Machine, SeededRandom, DEFAULT_HANDSHAKE_TIMEOUT, DEFAULT_SEND_TIMEOUT};
use wirestate_websocket::{
    Accept, ClientRequest, CloseFrame, Keepalive, LocalError, Message, WsConfig, WsConnection,
    WsError, WsEvent, WsTimer,
};

const REQUEST: &[u8] = b"GET /chat HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n\
    Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
    Sec-WebSocket-Version: 13\r\n\r\n";
const RESPONSE: &[u8] = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\
    Connection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n";
const TIMEOUT_408: &[u8] =
    b"HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n";
const UNAVAILABLE_503: &[u8] =
    b"HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n";

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

fn drain(m: &mut WsConnection) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(piece) = m.poll_transmit() {
        out.extend_from_slice(&piece);
    }
    out
}

fn client(config: WsConfig) -> WsConnection {
    let request = ClientRequest::new("a", "/chat").with_key("dGhlIHNhbXBsZSBub25jZQ==");
    WsConnection::client(request, config, SeededRandom::new(3)).unwrap()
}

/// A masked frame from a client (mask key 01 02 03 04).
fn from_client(first: u8, payload: &[u8]) -> Vec<u8> {
    let key = [1, 2, 3, 4];
    let mut out = vec![first, 0x80 | payload.len() as u8];
    out.extend_from_slice(&key);
    out.extend(payload.iter().enumerate().map(|(i, b)| b ^ key[i % 4]));
    out
}

/// Calls `handle_timeout` the way a driver does: only once the announced
/// deadline is reached.
fn tick(m: &mut WsConnection, now: Instant) {
    if m.poll_timeout().is_some_and(|at| at <= now) {
        m.handle_timeout(now);
    }
}

/// A machine that failed on a timer: the error once, then nothing, closed,
/// no timers, no more reading.
fn assert_failed_with(m: &mut WsConnection, error: WsError) {
    assert_eq!(m.poll_event(), Some(Err(error)));
    assert_eq!(m.poll_event(), None);
    assert!(m.is_closed() && !m.wants_read());
    assert_eq!(m.poll_timeout(), None);
}

mod handshake {
    use super::*;

    #[test]
    fn defaults_come_from_core() {
        let config = WsConfig::default();
        assert_eq!(config.handshake_timeout, Some(DEFAULT_HANDSHAKE_TIMEOUT));
        assert_eq!(config.send_timeout, Some(DEFAULT_SEND_TIMEOUT));
        assert_eq!(DEFAULT_HANDSHAKE_TIMEOUT, secs(10));
    }

    #[test]
    fn a_request_trickled_one_byte_per_second_fails_at_exactly_10_s_with_408() {
        for connected in [false, true] {
            let t0 = Instant::now();
            let mut server = WsConnection::server(WsConfig::default());
            if connected {
                server.handle_connected(t0);
            }
            let mut wire = Vec::new();
            let mut second = 0;
            for &byte in REQUEST {
                let now = t0 + secs(second);
                tick(&mut server, now);
                if server.is_closed() {
                    break;
                }
                server.handle_input(&[byte], now);
                assert_eq!(server.poll_event(), None);
                wire.extend(drain(&mut server));
                // Each byte leaves the deadline where it was.
                assert_eq!(server.poll_timeout(), Some(t0 + secs(10)));
                second += 1;
            }
            assert_eq!(second, 10, "bytes taken before the deadline");
            wire.extend(drain(&mut server));
            assert_eq!(wire, TIMEOUT_408);
            assert_failed_with(&mut server, WsError::HandshakeTimeout(secs(10)));
            // What the peer still sends is dropped.
            server.handle_input(&REQUEST[10..], t0 + secs(11));
            assert_eq!(server.poll_event(), None);
            assert!(server.poll_transmit().is_none());
        }
    }

    #[test]
    fn the_deadline_is_not_reached_a_nanosecond_early() {
        let t0 = Instant::now();
        let mut server = WsConnection::server(WsConfig::default());
        server.handle_connected(t0);
        server.handle_timeout(t0 + secs(10) - Duration::from_nanos(1));
        assert!(!server.is_closed() && server.poll_transmit().is_none());
        server.handle_timeout(t0 + secs(10));
        assert_eq!(drain(&mut server), TIMEOUT_408);
        assert!(server.is_closed());
    }

    #[test]
    fn a_silent_peer_after_handle_connected_fails_at_10_s() {
        let t0 = Instant::now();
        // Server: nothing arrives at all.
        let mut server = WsConnection::server(WsConfig::default());
        server.handle_connected(t0);
        assert_eq!(server.poll_timeout(), Some(t0 + secs(10)));
        server.handle_timeout(t0 + secs(10));
        assert_eq!(drain(&mut server), TIMEOUT_408);
        assert_failed_with(&mut server, WsError::HandshakeTimeout(secs(10)));

        // Client: its request went out, no answer comes; it just fails.
        let mut client = client(WsConfig::default());
        client.handle_connected(t0);
        let request = drain(&mut client);
        client.handle_written(request.len(), 0, t0);
        // A later connected call does not move the deadline.
        client.handle_connected(t0 + secs(5));
        assert_eq!(client.poll_timeout(), Some(t0 + secs(10)));
        client.handle_timeout(t0 + secs(10));
        assert!(client.poll_transmit().is_none());
        assert_failed_with(&mut client, WsError::HandshakeTimeout(secs(10)));
    }

    #[test]
    fn a_client_never_told_starts_the_clock_at_its_first_write_report() {
        let t0 = Instant::now();
        let mut client = client(WsConfig::default());
        let request = drain(&mut client);
        assert_eq!(client.poll_timeout(), None, "not started yet");
        client.handle_written(request.len(), 0, t0 + secs(2));
        assert_eq!(client.poll_timeout(), Some(t0 + secs(12)));
    }

    #[test]
    fn an_application_that_never_accepts_gets_a_408_answer() {
        let t0 = Instant::now();
        let mut server = WsConnection::server(WsConfig::default());
        server.handle_connected(t0);
        server.handle_input(REQUEST, t0 + secs(1));
        assert!(matches!(server.poll_event(), Some(Ok(WsEvent::Request(_)))));
        assert!(!server.wants_read(), "deciding");
        server.handle_timeout(t0 + secs(10));
        assert_eq!(drain(&mut server), TIMEOUT_408);
        assert_failed_with(&mut server, WsError::HandshakeTimeout(secs(10)));
        assert_eq!(
            server.accept(Accept::default()),
            Err(LocalError::NoPendingRequest)
        );
    }

    #[test]
    fn a_handshake_completed_in_time_stops_the_deadline() {
        let t0 = Instant::now();
        let mut server = WsConnection::server(WsConfig::default());
        server.handle_connected(t0);
        server.handle_input(REQUEST, t0 + secs(9));
        assert!(matches!(server.poll_event(), Some(Ok(WsEvent::Request(_)))));
        server.accept(Accept::default()).unwrap();
        drain(&mut server);
        assert_eq!(server.deadline(WsTimer::Handshake), None);
        assert_eq!(server.poll_timeout(), None);
        server.handle_timeout(t0 + secs(60));
        assert!(server.is_open() && !server.is_closed());

        let mut auto = WsConnection::server_auto_accept(WsConfig::default());
        auto.handle_input(REQUEST, t0);
        assert!(matches!(auto.poll_event(), Some(Ok(WsEvent::Request(_)))));
        assert_eq!(auto.poll_timeout(), None);

        let mut client = client(WsConfig::default());
        client.handle_connected(t0);
        drain(&mut client);
        client.handle_input(RESPONSE, t0 + secs(9));
        assert!(matches!(
            client.poll_event(),
            Some(Ok(WsEvent::Connected(_)))
        ));
        assert_eq!(client.poll_timeout(), None);
        client.handle_timeout(t0 + secs(60));
        assert!(client.is_open() && client.send_text("still here").is_ok());
    }

    #[test]
    fn connections_opened_elsewhere_and_a_disabled_deadline_have_no_handshake_timer() {
        let t0 = Instant::now();
        let mut server = WsConnection::accepted_server(WsConfig::default(), None);
        server.handle_connected(t0);
        server.handle_input(&from_client(0x81, b"hi"), t0);
        assert_eq!(server.poll_timeout(), None);
        let mut client =
            WsConnection::accepted_client(WsConfig::default(), None, SeededRandom::new(1));
        client.handle_connected(t0);
        assert_eq!(client.poll_timeout(), None);

        let config = WsConfig {
            handshake_timeout: None,
            ..WsConfig::default()
        };
        let mut server = WsConnection::server(config);
        server.handle_connected(t0);
        server.handle_input(&REQUEST[..5], t0);
        assert_eq!(server.poll_timeout(), None);
        server.handle_timeout(t0 + secs(3600));
        assert!(!server.is_closed());
    }
}

mod send_stall {
    use super::*;

    fn open_server() -> WsConnection {
        WsConnection::accepted_server(WsConfig::default(), None)
    }

    #[test]
    fn fires_after_30_s_without_progress_and_progress_rearms_it() {
        let t0 = Instant::now();
        let mut server = open_server();
        server.send_binary(vec![7u8; 100_000]).unwrap();
        let taken = drain(&mut server).len();
        server.handle_written(1000, taken - 1000, t0);
        assert_eq!(server.poll_timeout(), Some(t0 + secs(30)));
        // No progress: the deadline stays.
        server.handle_written(0, taken - 1000, t0 + secs(20));
        assert_eq!(server.poll_timeout(), Some(t0 + secs(30)));
        // Progress: 30 s from now.
        server.handle_written(500, taken - 1500, t0 + secs(25));
        assert_eq!(server.deadline(WsTimer::SendStall), Some(t0 + secs(55)));
        server.handle_timeout(t0 + secs(54));
        assert!(!server.is_closed());
        // More queued, never taken by the driver: dropped with the failure.
        server.send_text("more").unwrap();
        server.handle_timeout(t0 + secs(55));
        assert!(
            server.poll_transmit().is_none(),
            "no close frame, no more bytes"
        );
        assert_failed_with(&mut server, WsError::SendStalled(secs(30)));
        // A finished machine takes no more write reports.
        server.handle_written(0, 10, t0 + secs(56));
        assert_eq!(server.poll_timeout(), None);
        assert_eq!(server.send_text("x"), Err(LocalError::Closing));
    }

    #[test]
    fn everything_written_stops_it() {
        let t0 = Instant::now();
        let mut server = open_server();
        server.send_text("hello").unwrap();
        let taken = drain(&mut server).len();
        server.handle_written(0, taken, t0);
        assert_eq!(server.poll_timeout(), Some(t0 + secs(30)));
        server.handle_written(taken, 0, t0 + secs(29));
        assert_eq!(server.poll_timeout(), None);
        server.handle_timeout(t0 + secs(300));
        assert!(!server.is_closed() && server.poll_event().is_none());
    }

    #[test]
    fn fires_after_the_peers_eof() {
        let t0 = Instant::now();
        let mut server = open_server();
        server.send_binary(vec![1u8; 4096]).unwrap();
        let taken = drain(&mut server).len();
        server.handle_written(0, taken, t0);
        // The peer sends a message and half-closes; the application is
        // still behind on events.
        server.handle_input(&from_client(0x81, b"bye"), t0 + secs(1));
        server.handle_eof(t0 + secs(1));
        assert_eq!(server.poll_timeout(), Some(t0 + secs(30)));
        server.handle_timeout(t0 + secs(30));
        assert!(server.poll_transmit().is_none());
        assert_failed_with(&mut server, WsError::SendStalled(secs(30)));
    }

    #[test]
    fn fires_while_our_close_waits_also_after_eof() {
        for eof in [false, true] {
            let t0 = Instant::now();
            let mut server = open_server();
            server.close(1000, "done").unwrap();
            let taken = drain(&mut server).len();
            server.handle_written(0, taken, t0);
            if eof {
                server.handle_eof(t0 + secs(1));
            }
            assert_eq!(server.poll_timeout(), Some(t0 + secs(30)));
            server.handle_timeout(t0 + secs(30));
            assert_failed_with(&mut server, WsError::SendStalled(secs(30)));
        }
    }

    #[test]
    fn fires_during_the_handshake() {
        let t0 = Instant::now();
        let config = WsConfig {
            handshake_timeout: None,
            ..WsConfig::default()
        };
        let mut client = client(config);
        let request = drain(&mut client);
        client.handle_written(0, request.len(), t0);
        client.handle_timeout(t0 + secs(30));
        assert!(client.poll_transmit().is_none());
        assert_failed_with(&mut client, WsError::SendStalled(secs(30)));
    }

    #[test]
    fn a_stall_wins_over_the_handshake_deadline_due_at_the_same_instant() {
        let t0 = Instant::now();
        let config = WsConfig {
            send_timeout: Some(secs(10)),
            ..WsConfig::default()
        };
        let mut client = client(config);
        client.handle_connected(t0);
        let request = drain(&mut client);
        client.handle_written(0, request.len(), t0);
        client.handle_timeout(t0 + secs(10));
        assert_failed_with(&mut client, WsError::SendStalled(secs(10)));
    }

    #[test]
    fn none_waits_forever() {
        let t0 = Instant::now();
        let config = WsConfig {
            send_timeout: None,
            ..WsConfig::default()
        };
        let mut server = WsConnection::accepted_server(config, None);
        server.send_text("hello").unwrap();
        let taken = drain(&mut server).len();
        server.handle_written(0, taken, t0);
        assert_eq!(server.poll_timeout(), None);
    }
}

mod keepalive {
    use super::*;

    fn config() -> WsConfig {
        WsConfig {
            keepalive: Some(Keepalive {
                interval: secs(10),
                timeout: secs(5),
            }),
            idle_timeout: Some(secs(30)),
            ..WsConfig::default()
        }
    }

    #[test]
    fn a_quiet_peer_that_reads_and_answers_pings_is_never_cut() {
        let t0 = Instant::now();
        let mut server = WsConnection::accepted_server(config(), None);
        server.handle_connected(t0);
        server.handle_input(&from_client(0x81, b"hi"), t0);
        assert!(matches!(server.poll_event(), Some(Ok(WsEvent::Message(_)))));
        let mut pings = 0;
        let end = t0 + secs(600);
        while let Some(at) = server.poll_timeout().filter(|&at| at < end) {
            server.handle_timeout(at);
            // The server also streams to the peer, which reads everything.
            server.send_text("tick").unwrap();
            let wire = drain(&mut server);
            assert!(wire.starts_with(&[0x89, 0x00]), "a ping: {wire:?}");
            pings += 1;
            server.handle_written(wire.len(), 0, at);
            // The peer answers a second later, and says nothing else.
            let answer = at + secs(1);
            server.handle_input(&from_client(0x8A, b""), answer);
            assert_eq!(server.poll_event(), Some(Ok(WsEvent::Pong(Bytes::new()))));
            assert_eq!(server.poll_timeout(), Some(answer + secs(10)));
        }
        assert!(!server.is_closed() && server.is_open());
        assert!(pings >= 50, "{pings} pings in 10 minutes");
    }

    #[test]
    fn a_peer_that_stops_answering_is_cut_at_the_pong_deadline() {
        let t0 = Instant::now();
        let mut server = WsConnection::accepted_server(config(), None);
        server.handle_input(&from_client(0x8A, b""), t0);
        while server.poll_event().is_some() {}
        server.handle_timeout(t0 + secs(10));
        assert_eq!(drain(&mut server), [0x89, 0x00]);
        server.handle_timeout(t0 + secs(15));
        assert_failed_with(&mut server, WsError::KeepaliveTimeout(secs(5)));
    }
}

mod shutdown {
    use super::*;

    /// An open server and client, handshake done at `now`.
    fn pair(now: Instant) -> (WsConnection, WsConnection) {
        let mut server = WsConnection::server_auto_accept(WsConfig::default());
        let mut client = client(WsConfig::default());
        server.handle_connected(now);
        client.handle_connected(now);
        server.handle_input(&drain(&mut client), now);
        assert!(matches!(server.poll_event(), Some(Ok(WsEvent::Request(_)))));
        client.handle_input(&drain(&mut server), now);
        assert!(matches!(
            client.poll_event(),
            Some(Ok(WsEvent::Connected(_)))
        ));
        (server, client)
    }

    #[test]
    fn open_queues_1001_and_closes_after_the_peers_reply() {
        let t0 = Instant::now();
        let (mut server, mut client) = pair(t0);
        server.send_text("last words").unwrap();
        assert!(server.handle_shutdown(t0 + secs(1)), "awaits the reply");
        assert_eq!(server.send_text("too late"), Err(LocalError::Closing));
        let wire = drain(&mut server);
        // Once more: nothing new, still waiting.
        assert!(server.handle_shutdown(t0 + secs(1)));
        assert!(server.poll_transmit().is_none() && !server.is_closed());

        client.handle_input(&wire, t0 + secs(1));
        let Some(Ok(WsEvent::Message(Message::Text(text)))) = client.poll_event() else {
            panic!("the message queued before the shutdown comes first")
        };
        assert_eq!(text, "last words");
        assert_eq!(
            client.poll_event(),
            Some(Ok(WsEvent::Close(Some(CloseFrame {
                code: 1001,
                reason: "".into(),
            }))))
        );
        server.handle_input(&drain(&mut client), t0 + secs(2));
        assert!(matches!(server.poll_event(), Some(Ok(WsEvent::Close(_)))));
        assert!(server.is_closed());
        assert!(!server.handle_shutdown(t0 + secs(2)));
        assert_eq!(server.poll_timeout(), None);
    }

    #[test]
    fn after_the_peers_eof_nothing_can_answer() {
        let t0 = Instant::now();
        let (mut server, _client) = pair(t0);
        server.handle_eof(t0);
        assert!(!server.handle_shutdown(t0), "flush and close");
        assert_eq!(drain(&mut server)[..4], [0x88, 0x02, 0x03, 0xE9]);
    }

    #[test]
    fn during_the_server_handshake_answers_503() {
        let t0 = Instant::now();
        // Mid-request, and with a request waiting for the application.
        for input in [&REQUEST[..12], REQUEST] {
            let mut server = WsConnection::server(WsConfig::default());
            server.handle_connected(t0);
            server.handle_input(input, t0);
            let _ = server.poll_event();
            assert!(!server.handle_shutdown(t0 + secs(1)));
            assert_eq!(drain(&mut server), UNAVAILABLE_503);
            assert!(server.is_closed() && server.poll_event().is_none());
            assert_eq!(server.poll_timeout(), None);
            assert_eq!(server.send_text("x"), Err(LocalError::Closing));
        }
    }

    #[test]
    fn during_the_client_handshake_just_closes() {
        let t0 = Instant::now();
        let mut client = client(WsConfig::default());
        client.handle_connected(t0);
        drain(&mut client);
        assert!(!client.handle_shutdown(t0));
        assert!(client.poll_transmit().is_none());
        assert!(client.is_closed() && client.poll_event().is_none());
        assert_eq!(client.poll_timeout(), None);
    }
}

/// What a driver charges to a server's memory budget besides the input
/// buffer: the earlier fragments of a message, until it is complete.
#[test]
fn held_bytes_count_the_fragments_of_a_message_until_it_completes() {
    let now = Instant::now();
    let mut server = WsConnection::accepted_server(WsConfig::default(), None);
    assert_eq!(server.held_bytes(), 0);
    let first = vec![b'a'; 100];
    // Text, not final; then a continuation, not final.
    server.handle_input(&from_client(0x01, &first), now);
    server.handle_input(&from_client(0x00, &first), now);
    while let Some(event) = server.poll_event() {
        event.unwrap();
    }
    assert!(server.held_bytes() >= 200, "{}", server.held_bytes());
    // The final fragment completes the message: nothing is held any more.
    server.handle_input(&from_client(0x80, b"end"), now);
    let message = server.poll_event().unwrap().unwrap();
    assert!(matches!(message, WsEvent::Message(_)), "{message:?}");
    assert_eq!(server.held_bytes(), 0);
}
