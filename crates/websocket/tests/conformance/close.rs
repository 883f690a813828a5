use super::*;

#[test]
fn close_is_echoed_with_its_code_and_ends_the_connection() {
    for role in ROLES {
        let mut input = frame(role, true, 8, b"\x0f\xa1custom \xe2\x9c\x93");
        input.extend(frame(role, true, 1, b"ignored after close"));
        let t = run(role, &input);
        match t.events.as_slice() {
            [WsEvent::Close(Some(c))] => {
                assert_eq!((c.code, c.reason.as_str()), (4001, "custom ✓"))
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(close_sent(role, &t), Some(4001));
        assert!(t.closed && t.error.is_none());
    }
}

#[test]
fn empty_close_is_answered_with_an_empty_close() {
    for role in ROLES {
        let t = run(role, &frame(role, true, 8, b""));
        assert_eq!(t.events, [WsEvent::Close(None)]);
        assert_eq!(
            sent(role, &t.transmitted),
            [(OpCode::Close, true, Bytes::new())]
        );
    }
}

#[test]
fn one_byte_close_payload_fails() {
    for role in ROLES {
        let t = run(role, &frame(role, true, 8, b"\x03"));
        assert_fails(role, &t, 1002, "1-byte");
    }
}

#[test]
fn valid_codes_pass_and_invalid_codes_fail() {
    for role in ROLES {
        for code in [
            1000u16, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 4999,
        ] {
            let t = run(role, &frame(role, true, 8, &code.to_be_bytes()));
            assert_eq!(close_sent(role, &t), Some(code), "{role:?} {code}");
            assert!(t.error.is_none());
        }
        for code in [0u16, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65535] {
            let t = run(role, &frame(role, true, 8, &code.to_be_bytes()));
            assert_fails(role, &t, 1002, "invalid close code");
        }
    }
}

#[test]
fn close_reason_must_be_utf8() {
    for role in ROLES {
        let t = run(role, &frame(role, true, 8, b"\x03\xe8\xce\xba\xed\xa0\x80"));
        assert_fails(role, &t, 1007, "invalid UTF-8");
    }
}

#[test]
fn after_our_close_data_is_a_local_error_and_the_reply_completes_it() {
    for role in ROLES {
        let mut m = machine(role, WsConfig::default());
        m.close(1000, "bye").unwrap();
        assert_eq!(m.send_text("late"), Err(LocalError::Closing));
        assert_eq!(m.ping(Bytes::new()), Err(LocalError::Closing));
        assert_eq!(m.close(1000, ""), Err(LocalError::Closing));
        // Data in flight from the peer is still delivered, then its close.
        let mut input = frame(role, true, 1, b"in flight");
        input.extend(frame(role, true, 8, b"\x03\xe8"));
        let t = feed_cut(&mut m, &input, &[], false, now());
        assert_eq!(t.events.len(), 2);
        assert!(matches!(&t.events[1], WsEvent::Close(Some(c)) if c.code == 1000));
        // Only our own close went out: a reply is not echoed again.
        let frames = sent(role, &t.transmitted);
        assert_eq!(frames.len(), 1);
        assert!(t.closed);
    }
}

#[test]
fn local_close_arguments_are_checked() {
    for role in ROLES {
        let mut m = machine(role, WsConfig::default());
        assert_eq!(m.close(1005, ""), Err(LocalError::InvalidCloseCode(1005)));
        assert_eq!(
            m.close(1000, &"x".repeat(124)),
            Err(LocalError::CloseReasonTooLong(124))
        );
        assert!(m.poll_transmit().is_none(), "a refused close sends nothing");
        assert!(m.send_text("still open").is_ok());
    }
}

#[test]
fn eof_without_close_is_1006_and_drops_a_partial_frame() {
    for role in ROLES {
        let mut input = frame(role, true, 1, b"complete");
        input.extend(&frame(role, true, 2, b"partial")[..4]);
        let t = run_with(role, WsConfig::default(), &input, true);
        assert_eq!(binary(&t), [b"complete".to_vec()]);
        let error = t.error.expect("1006 reported");
        assert!(
            error.contains("1006") && error.contains("4 bytes"),
            "{error}"
        );
        assert_eq!(
            close_sent(
                role,
                &Transcript {
                    transmitted: t.transmitted,
                    ..Transcript {
                        events: vec![],
                        error: None,
                        transmitted: vec![],
                        closed: true
                    }
                }
            ),
            None
        );
    }
}

#[test]
fn eof_after_the_close_handshake_is_the_normal_end() {
    for role in ROLES {
        let t = run_with(
            role,
            WsConfig::default(),
            &frame(role, true, 8, b"\x03\xe8"),
            true,
        );
        assert!(t.error.is_none() && t.closed);
    }
}
