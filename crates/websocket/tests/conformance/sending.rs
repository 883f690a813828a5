use super::*;

#[test]
fn server_payloads_go_out_zero_copy_next_to_their_header() {
    let mut m = machine(Role::Server, WsConfig::default());
    let payload = Bytes::from(vec![5u8; 2000]);
    m.send_binary(payload.clone()).unwrap();
    let header = m.poll_transmit().unwrap();
    assert_eq!(&header[..], [0x82, 126, 0x07, 0xD0]);
    let body = m.poll_transmit().unwrap();
    assert_eq!(
        body.as_ptr(),
        payload.as_ptr(),
        "the same memory, not a copy"
    );
    assert!(m.poll_transmit().is_none());
}

#[test]
fn small_server_payloads_go_out_in_one_piece_with_their_header() {
    let mut m = machine(Role::Server, WsConfig::default());
    for size in [0, 125, 126, 1024] {
        let payload = vec![5u8; size];
        m.send_binary(payload.clone()).unwrap();
        let frame = m.poll_transmit().unwrap();
        let header = if size < 126 { 2 } else { 4 };
        assert_eq!(frame.len(), header + size, "{size} B");
        assert_eq!(&frame[header..], &payload[..]);
        assert!(m.poll_transmit().is_none());
    }
}

#[test]
fn messages_are_fragmented_at_the_configured_size() {
    for role in ROLES {
        let config = WsConfig {
            fragment_size: 4,
            ..WsConfig::default()
        };
        let mut m = machine(role, config);
        m.send_text("0123456789").unwrap();
        let mut wire = Vec::new();
        while let Some(b) = m.poll_transmit() {
            wire.extend_from_slice(&b);
        }
        let frames = sent(role, &wire);
        let shape: Vec<_> = frames
            .iter()
            .map(|(op, fin, p)| (*op, *fin, p.len()))
            .collect();
        assert_eq!(
            shape,
            [
                (OpCode::Text, false, 4),
                (OpCode::Continuation, false, 4),
                (OpCode::Continuation, true, 2)
            ]
        );
        let joined: Vec<u8> = frames.iter().flat_map(|(_, _, p)| p.to_vec()).collect();
        assert_eq!(joined, b"0123456789");
    }
}

#[test]
fn client_masks_with_keys_from_the_random_source() {
    let wire = |seed| {
        let mut m =
            WsConnection::accepted_client(WsConfig::default(), None, SeededRandom::new(seed));
        m.send_binary(Bytes::from_static(b"same payload")).unwrap();
        m.poll_transmit().unwrap()
    };
    let (a, b, c) = (wire(1), wire(1), wire(2));
    assert_eq!(a, b, "deterministic for a seed");
    assert_ne!(a[2..6], c[2..6], "the key comes from the source");
    assert_eq!(a[1] & 0x80, 0x80);
    assert_eq!(
        sent(Role::Client, &a),
        [(OpCode::Binary, true, Bytes::from_static(b"same payload"))]
    );
}

#[test]
fn control_payload_limits_are_local_errors() {
    for role in ROLES {
        let mut m = machine(role, WsConfig::default());
        assert_eq!(m.ping(vec![0; 126]), Err(LocalError::ControlTooLong(126)));
        assert_eq!(m.pong(vec![0; 126]), Err(LocalError::ControlTooLong(126)));
        assert!(m.ping(vec![0; 125]).is_ok());
        // Local errors through the Machine API are their own variant.
        let err = m.handle_command(
            wirestate_websocket::WsCommand::Ping(Bytes::from(vec![0; 200])),
            now(),
        );
        assert!(matches!(
            err,
            Err(WsError::Local(LocalError::ControlTooLong(200)))
        ));
    }
}
