use super::*;

#[test]
fn control_frames_must_have_fin() {
    for role in ROLES {
        for op in [8, 9, 0xA] {
            let t = run(role, &frame(role, false, op, b""));
            assert_fails(role, &t, 1002, "fragmented control");
        }
    }
}

#[test]
fn control_payload_over_125_fails_and_125_passes() {
    for role in ROLES {
        for op in [8, 9, 0xA] {
            let t = run(role, &frame(role, true, op, &[b'a'; 126]));
            assert_fails(role, &t, 1002, "125");
        }
        let t = run(role, &frame(role, true, 9, &[b'a'; 125]));
        assert_eq!(t.events, [WsEvent::Ping(Bytes::from(vec![b'a'; 125]))]);
    }
}

#[test]
fn control_frames_are_allowed_between_fragments() {
    for role in ROLES {
        let mut input = frame(role, false, 1, b"frag");
        input.extend(frame(role, true, 9, b"p"));
        input.extend(frame(role, true, 0xA, b"q"));
        input.extend(frame(role, true, 0, b"mented"));
        let t = run(role, &input);
        assert_eq!(
            t.events,
            [
                WsEvent::Ping(Bytes::from_static(b"p")),
                WsEvent::Pong(Bytes::from_static(b"q")),
                WsEvent::Message(Message::Text("fragmented".into())),
            ],
            "{role:?}"
        );
    }
}
