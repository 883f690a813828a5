use super::*;

#[test]
fn each_reserved_bit_fails_without_an_extension() {
    for role in ROLES {
        for bit in [0x40, 0x20, 0x10] {
            let t = run(role, &raw(role, 0x80 | bit | 1, b"x"));
            assert_fails(role, &t, 1002, "reserved bits");
        }
    }
}

#[test]
fn reserved_bits_on_control_frames_fail() {
    for role in ROLES {
        let t = run(role, &raw(role, 0x80 | 0x40 | 9, b""));
        assert_fails(role, &t, 1002, "reserved bits");
    }
}
