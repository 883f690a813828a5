use super::*;

#[test]
fn continuation_without_a_start_fails() {
    for role in ROLES {
        let t = run(role, &frame(role, true, 0, b"orphan"));
        assert_fails(role, &t, 1002, "continuation frame without");
    }
}

#[test]
fn new_data_frame_inside_a_fragmented_message_fails() {
    for role in ROLES {
        for op in [1, 2] {
            let mut input = frame(role, false, 1, b"start");
            input.extend(frame(role, true, op, b"again"));
            let t = run(role, &input);
            assert_fails(role, &t, 1002, "inside a fragmented message");
        }
    }
}

#[test]
fn fragments_are_reassembled_including_empty_ones() {
    for role in ROLES {
        let mut input = frame(role, false, 2, b"");
        input.extend(frame(role, false, 0, b"ab"));
        input.extend(frame(role, false, 0, b""));
        input.extend(frame(role, true, 0, b""));
        let t = run(role, &input);
        assert_eq!(
            t.events,
            [WsEvent::Message(Message::Binary(Bytes::from_static(b"ab")))]
        );
    }
}

#[test]
fn streaming_mode_delivers_each_frame_with_fin() {
    for role in ROLES {
        let config = WsConfig {
            delivery: Delivery::Streaming,
            ..WsConfig::default()
        };
        let mut input = frame(role, false, 1, b"a\xc3");
        input.extend(frame(role, true, 0, b"\xa9"));
        let t = run_with(role, config, &input, false);
        let fragment = |payload: &'static [u8], fin| {
            WsEvent::Fragment(Fragment {
                kind: DataKind::Text,
                payload: Bytes::from_static(payload),
                fin,
            })
        };
        assert_eq!(
            t.events,
            [fragment(b"a\xc3", false), fragment(b"\xa9", true)]
        );
    }
}
