use super::*;

#[test]
fn ping_is_answered_with_a_pong_echoing_the_payload() {
    for role in ROLES {
        let t = run(role, &frame(role, true, 9, b"are you there?"));
        assert_eq!(
            t.events,
            [WsEvent::Ping(Bytes::from_static(b"are you there?"))]
        );
        assert_eq!(
            sent(role, &t.transmitted),
            [(OpCode::Pong, true, Bytes::from_static(b"are you there?"))]
        );
    }
}

#[test]
fn auto_pong_can_be_turned_off() {
    for role in ROLES {
        let config = WsConfig {
            auto_pong: false,
            ..WsConfig::default()
        };
        let t = run_with(role, config, &frame(role, true, 9, b"x"), false);
        assert_eq!(t.events, [WsEvent::Ping(Bytes::from_static(b"x"))]);
        assert!(t.transmitted.is_empty());
    }
}

#[test]
fn unsolicited_pong_is_an_event_and_needs_no_answer() {
    for role in ROLES {
        let t = run(role, &frame(role, true, 0xA, b"hb"));
        assert_eq!(t.events, [WsEvent::Pong(Bytes::from_static(b"hb"))]);
        assert!(t.transmitted.is_empty());
    }
}
