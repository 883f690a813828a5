use super::*;

#[test]
fn unknown_opcodes_fail() {
    for role in ROLES {
        for op in [3u8, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF] {
            let t = run(role, &frame(role, true, op, b""));
            assert_fails(role, &t, 1002, "unknown opcode");
        }
    }
}

#[test]
fn events_before_a_violation_are_still_delivered() {
    for role in ROLES {
        let mut input = frame(role, true, 1, b"ok");
        input.extend(frame(role, true, 0xB, b""));
        let t = run(role, &input);
        assert_eq!(binary(&t), [b"ok".to_vec()]);
        assert_fails(role, &t, 1002, "unknown opcode");
    }
}
