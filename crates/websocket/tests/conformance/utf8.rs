use super::*;

const VALID: &str = "ünïcödé 日本語 🎉 κόσμε";
const INVALID: &[&[u8]] = &[
    b"\xff",
    b"ab\xc0\xafcd",                                             // overlong '/'
    b"\xed\xa0\x80",                                             // surrogate U+D800
    b"\xf4\x90\x80\x80",                                         // above U+10FFFF
    b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80", // Autobahn 6.3.1
    b"\x80",                                                     // lone continuation
    b"ok\xe2\x82",                                               // truncated at the end
];

#[test]
fn valid_text_split_across_fragments_at_every_byte() {
    let bytes = VALID.as_bytes();
    for role in ROLES {
        for cut in 0..=bytes.len() {
            let mut input = frame(role, false, 1, &bytes[..cut]);
            input.extend(frame(role, true, 0, &bytes[cut..]));
            let t = run(role, &input);
            assert_eq!(
                t.events,
                [WsEvent::Message(Message::Text(VALID.to_string().into()))],
                "cut {cut}"
            );
        }
    }
}

#[test]
fn invalid_text_fails_with_1007_in_one_frame() {
    for role in ROLES {
        for bad in INVALID {
            let t = run(role, &frame(role, true, 1, bad));
            assert_fails(role, &t, 1007, "invalid UTF-8");
        }
    }
}

#[test]
fn invalid_text_split_across_fragments_at_every_byte_fails() {
    for role in ROLES {
        for bad in INVALID {
            for cut in 0..=bad.len() {
                let mut input = frame(role, false, 1, &bad[..cut]);
                input.extend(frame(role, true, 0, &bad[cut..]));
                let t = run(role, &input);
                assert_fails(role, &t, 1007, "invalid UTF-8");
            }
        }
    }
}

#[test]
fn fails_fast_without_waiting_for_the_end_of_the_message() {
    for role in ROLES {
        // First fragment only, no FIN ever arrives: the error is already there.
        let t = run(role, &frame(role, false, 1, b"fine so far \xff and more"));
        assert_fails(role, &t, 1007, "invalid UTF-8");
        // Even inside one frame whose payload has not fully arrived.
        let whole = frame(
            role,
            true,
            1,
            &[b"\xc3\x28".as_slice(), &[b'a'; 1000]].concat(),
        );
        let t = run(role, &whole[..whole.len() - 900]);
        assert_fails(role, &t, 1007, "invalid UTF-8");
    }
}

#[test]
fn large_text_frames_back_to_back_are_checked_whatever_the_reads() {
    // Large frames are unmasked while they are copied in, including the
    // start of the next frame that shares their last read: every byte
    // must still be checked once, and an invalid one found.
    let text = VALID.repeat(400); // about 12 KiB per frame
    let mut bad = text.clone().into_bytes();
    bad[5_000] = 0xff;
    for role in ROLES {
        let mut input = frame(role, true, 1, text.as_bytes());
        input.extend(frame(role, true, 1, text.as_bytes()));
        let valid_len = input.len();
        input.extend(frame(role, true, 1, &bad));
        for read in [1, 7, 1000, 4096, 13_000, 30_000, input.len()] {
            let sizes = vec![read; input.len() / read + 1];
            let mut m = machine(role, WsConfig::default());
            let t = feed_sizes(&mut m, &input, &sizes, false, now());
            let texts: Vec<_> = t
                .events
                .iter()
                .filter(|e| matches!(e, WsEvent::Message(Message::Text(s)) if *s == text.as_str()))
                .collect();
            assert_eq!(texts.len(), 2, "{role:?} reads of {read}");
            assert_fails(role, &t, 1007, "invalid UTF-8");
            // Without the bad frame, nothing fails.
            let t = feed_sizes(
                &mut machine(role, WsConfig::default()),
                &input[..valid_len],
                &sizes,
                false,
                now(),
            );
            assert_eq!(t.error, None, "{role:?} reads of {read}");
        }
    }
}

#[test]
fn incomplete_code_point_at_a_fragment_end_is_fine_until_the_end() {
    for role in ROLES {
        let t = run(role, &frame(role, false, 1, b"\xf0\x9f"));
        assert_eq!((t.error.as_deref(), t.events.len()), (None, 0));
    }
}

#[test]
fn binary_messages_are_not_validated() {
    for role in ROLES {
        let t = run(role, &frame(role, true, 2, b"\xff\xfe"));
        assert_eq!(binary(&t), [b"\xff\xfe".to_vec()]);
    }
}
