use super::*;

fn small() -> WsConfig {
    WsConfig {
        max_frame_size: 100,
        max_message_size: 150,
        ..WsConfig::default()
    }
}

#[test]
fn oversize_frame_fails_from_its_header_alone() {
    for role in ROLES {
        let whole = frame(role, true, 2, &[0; 101]);
        // Only the header (plus mask): no payload needs to arrive.
        let header_len = if role == Role::Server { 6 } else { 2 };
        let t = run_with(role, small(), &whole[..header_len], false);
        assert_fails(role, &t, 1009, "exceeds the limit of 100");
    }
}

#[test]
fn oversize_message_fails_when_the_fragment_is_announced() {
    for role in ROLES {
        let mut input = frame(role, false, 2, &[0; 100]);
        let next = frame(role, true, 0, &[0; 51]);
        input.extend_from_slice(&next[..next.len() - 51]);
        let t = run_with(role, small(), &input, false);
        assert_fails(role, &t, 1009, "exceeds the limit of 150");
    }
}

#[test]
fn streaming_mode_is_bounded_by_the_frame_limit_only() {
    for role in ROLES {
        let config = WsConfig {
            delivery: Delivery::Streaming,
            ..small()
        };
        let mut input = Vec::new();
        for _ in 0..3 {
            input.extend(frame(
                role,
                false,
                if input.is_empty() { 2 } else { 0 },
                &[7; 100],
            ));
        }
        input.extend(frame(role, true, 0, &[]));
        let t = run_with(role, config, &input, false);
        assert_eq!(t.events.len(), 4);
        assert!(t.error.is_none());
    }
}

#[test]
fn wants_read_stops_when_complete_frames_pile_up() {
    for role in ROLES {
        let mut m = machine(role, WsConfig::default());
        let one = frame(role, true, 2, &[0; 1000]);
        while m.wants_read() {
            m.handle_input(&one, now());
        }
        assert!(m.buffered() >= 64 << 10);
        while let Some(Ok(_)) = m.poll_event() {}
        assert!(m.wants_read(), "pulling the events resumes reading");
        assert_eq!(m.buffered(), 0);
    }
}

#[test]
fn an_announced_length_reserves_nothing_beyond_what_arrived() {
    for role in ROLES {
        let mut m = machine(role, WsConfig::default());
        // A 10 MiB frame announced, 100 payload bytes sent.
        let big = frame(role, true, 2, &vec![3; 10 << 20]);
        let header = if role == Role::Server { 14 } else { 10 };
        m.handle_input(&big[..header + 100], now());
        assert!(m.poll_event().is_none());
        let capacity = m.input_buffer().capacity();
        assert!(capacity <= 128 << 10, "{role:?}: {capacity} bytes reserved");
    }
}

#[test]
fn a_frame_within_eager_reserve_is_reserved_whole_once_checked() {
    for role in ROLES {
        let mut m = machine(role, WsConfig::default());
        let big = frame(role, true, 2, &vec![3; 1 << 20]);
        let header = big.len() - (1 << 20);
        m.handle_input(&big[..header + 100], now());
        assert!(m.poll_event().is_none());
        // The header was consumed: room for the whole payload remains,
        // and drivers are told to read into it.
        let reserved = m.input_buffer().capacity();
        assert!(reserved >= 1 << 20, "{role:?}: {reserved}");
        assert_eq!(m.input_needed(), Some((1 << 20) - 100));
        // The rest arrives without the buffer moving or growing.
        let at = m.input_buffer().as_ptr();
        for piece in big[header + 100..].chunks(64 << 10) {
            m.handle_input(piece, now());
            assert_eq!(m.input_buffer().as_ptr(), at, "{role:?}: no regrowth");
        }
        assert_eq!(m.input_needed(), None, "complete");
        assert!(
            matches!(m.poll_event(), Some(Ok(WsEvent::Message(msg))) if msg.payload().len() == 1 << 20)
        );
        // Past eager_reserve the old bound holds: 128 KiB to start.
        let small = WsConfig {
            eager_reserve: 64 << 10,
            ..WsConfig::default()
        };
        let mut m = machine(role, small);
        m.handle_input(&big[..header + 100], now());
        assert!(m.poll_event().is_none());
        assert!(m.input_buffer().capacity() <= 128 << 10);
    }
}

#[test]
fn large_frames_back_to_back_survive_any_read_sizes() {
    // Large frames arrive in a buffer of their own, and bytes past a
    // frame's end are kept apart: the order must hold whatever the reads.
    for role in ROLES {
        let mut input = Vec::new();
        let mut expected = Vec::new();
        for (i, len) in [70_000usize, 5_000, 9, 130_000, 4_096]
            .into_iter()
            .enumerate()
        {
            let payload: Vec<u8> = (0..len).map(|j| (j * 3 + i) as u8).collect();
            input.extend(frame(role, true, 2, &payload));
            expected.push(payload);
        }
        for read in [1000, 4096, 65_536, 100_000] {
            let sizes = vec![read; input.len() / read + 1];
            let t = feed_sizes(
                &mut machine(role, WsConfig::default()),
                &input,
                &sizes,
                false,
                now(),
            );
            assert_eq!(binary(&t), expected, "{role:?} reads of {read}");
        }
    }
}

#[test]
fn a_dropped_large_frame_leaves_its_buffer_to_the_next_one() {
    // Two 1 MiB frames in 64 KiB pieces: the first piece past the first
    // frame spills. Once the first payload is dropped, the second frame
    // is written into the first one's buffer, not a fresh one.
    for role in ROLES {
        let mut input = frame(role, true, 2, &vec![1; 1 << 20]);
        input.extend(frame(role, true, 2, &vec![2; 1 << 20]));
        let mut m = machine(role, WsConfig::default());
        let mut payloads = Vec::new();
        for piece in input.chunks(64 << 10) {
            m.handle_input(piece, now());
            while let Some(event) = m.poll_event() {
                let Ok(WsEvent::Message(Message::Binary(payload))) = event else {
                    panic!("{role:?}: {event:?}");
                };
                payloads.push((payload.as_ptr() as usize, payload[0], payload.len()));
            }
        }
        let [(first, 1, len1), (second, 2, len2)] = payloads[..] else {
            panic!("{role:?}: {payloads:?}");
        };
        assert_eq!((len1, len2), (1 << 20, 1 << 20));
        assert_eq!(first, second, "{role:?}: the same buffer");
    }
}

#[test]
fn a_large_frame_in_progress_keeps_reading() {
    for role in ROLES {
        let mut m = machine(role, WsConfig::default());
        let big = frame(role, true, 2, &vec![1; 200_000]);
        m.handle_input(&big[..150_000], now());
        assert!(m.poll_event().is_none());
        assert!(m.wants_read(), "the frame cannot complete otherwise");
        m.handle_input(&big[150_000..], now());
        assert!(
            matches!(m.poll_event(), Some(Ok(WsEvent::Message(Message::Binary(b)))) if b.len() == 200_000)
        );
    }
}
