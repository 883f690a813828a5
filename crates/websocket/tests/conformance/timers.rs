use super::*;

#[test]
fn keepalive_pings_then_fails_without_an_answer() {
    for role in ROLES {
        let keepalive = Keepalive {
            interval: Duration::from_secs(10),
            timeout: Duration::from_secs(5),
        };
        let config = WsConfig {
            keepalive: Some(keepalive),
            ..WsConfig::default()
        };
        let mut m = machine(role, config);
        let t0 = now();
        assert_eq!(m.poll_timeout(), None, "armed by the first input");
        m.handle_input(&frame(role, true, 0xA, b""), t0);
        while m.poll_event().is_some() {}
        assert_eq!(m.poll_timeout(), Some(t0 + Duration::from_secs(10)));
        m.handle_timeout(t0 + Duration::from_secs(9));
        assert!(m.poll_transmit().is_none(), "early calls are no-ops");
        m.handle_timeout(t0 + Duration::from_secs(10));
        let ping = m.poll_transmit().unwrap();
        assert_eq!(sent(role, &ping), [(OpCode::Ping, true, Bytes::new())]);
        assert_eq!(m.poll_timeout(), Some(t0 + Duration::from_secs(15)));
        m.handle_timeout(t0 + Duration::from_secs(15));
        assert!(matches!(
            m.poll_event(),
            Some(Err(WsError::KeepaliveTimeout(_)))
        ));
        assert!(m.poll_event().is_none());
        assert!(m.is_closed());
    }
}

#[test]
fn any_input_answers_the_keepalive() {
    let config = WsConfig {
        keepalive: Some(Keepalive {
            interval: Duration::from_secs(10),
            timeout: Duration::from_secs(5),
        }),
        ..WsConfig::default()
    };
    let mut m = machine(Role::Server, config);
    let t0 = now();
    m.handle_input(&frame(Role::Server, true, 0xA, b""), t0);
    m.handle_timeout(t0 + Duration::from_secs(10));
    m.handle_input(
        &frame(Role::Server, true, 0xA, b""),
        t0 + Duration::from_secs(12),
    );
    assert_eq!(m.poll_timeout(), Some(t0 + Duration::from_secs(22)));
    m.handle_timeout(t0 + Duration::from_secs(15));
    assert!(!m.is_closed());
}

#[test]
fn idle_timeout_sends_going_away_and_fails() {
    for role in ROLES {
        let config = WsConfig {
            idle_timeout: Some(Duration::from_secs(30)),
            ..WsConfig::default()
        };
        let mut m = machine(role, config);
        let t0 = now();
        m.handle_input(&frame(role, true, 1, b"x"), t0);
        assert!(m.poll_event().is_some());
        assert_eq!(m.poll_timeout(), Some(t0 + Duration::from_secs(30)));
        m.handle_timeout(t0 + Duration::from_secs(30));
        assert!(matches!(m.poll_event(), Some(Err(WsError::IdleTimeout(_)))));
        let mut wire = Vec::new();
        while let Some(b) = m.poll_transmit() {
            wire.extend_from_slice(&b);
        }
        let frames = sent(role, &wire);
        assert_eq!(frames.len(), 1);
        assert_eq!(&frames[0].2[..2], 1001u16.to_be_bytes());
        assert!(m.is_closed() && m.poll_timeout().is_none());
    }
}
