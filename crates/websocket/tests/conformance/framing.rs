use super::*;

#[test]
fn all_three_length_encodings() {
    for role in ROLES {
        for len in [0, 1, 125, 126, 300, 65535, 65536, 70000] {
            let payload: Vec<u8> = (0..len).map(|i| (i * 7) as u8).collect();
            let t = run(role, &frame(role, true, 2, &payload));
            assert_eq!(t.error, None, "{role:?} len {len}");
            assert_eq!(binary(&t), [payload], "{role:?} len {len}");
        }
    }
}

#[test]
fn server_fails_on_unmasked_frames() {
    let t = run(Role::Server, &frame(Role::Client, true, 1, b"hi"));
    assert_fails(Role::Server, &t, 1002, "unmasked");
}

#[test]
fn client_fails_on_masked_frames() {
    let t = run(Role::Client, &frame(Role::Server, true, 1, b"hi"));
    assert_fails(Role::Client, &t, 1002, "masked frame");
}

#[test]
fn several_frames_in_one_read_and_nothing_before_completion() {
    for role in ROLES {
        let mut input = frame(role, true, 1, b"one");
        input.extend(frame(role, true, 2, b"two"));
        input.extend(&frame(role, true, 1, b"three")[..4]);
        let t = run(role, &input);
        assert_eq!(binary(&t), [b"one".to_vec(), b"two".to_vec()], "{role:?}");
        assert!(!t.closed);
    }
}

#[test]
fn payload_length_with_the_high_bit_set_fails() {
    for role in ROLES {
        let mut input = vec![0x82, if role == Role::Server { 0xFF } else { 0x7F }];
        input.extend_from_slice(&(1u64 << 63).to_be_bytes());
        input.extend_from_slice(&[1, 2, 3, 4]);
        let t = run(role, &input);
        assert_fails(role, &t, 1002, "most significant bit");
    }
}

#[test]
fn payload_lengths_not_in_their_minimal_encoding_fail() {
    for role in ROLES {
        let mask_bit = if role == Role::Server { 0x80 } else { 0 };
        // 5 bytes announced in 16 bits, 300 bytes in 64 bits.
        let mut short = vec![0x82, mask_bit | 126, 0, 5];
        let mut long = vec![0x82, mask_bit | 127];
        long.extend_from_slice(&300u64.to_be_bytes());
        for input in [&mut short, &mut long] {
            input.extend_from_slice(&[1, 2, 3, 4]);
            let t = run(role, input);
            assert_fails(role, &t, 1002, "minimal encoding");
        }
    }
}
