//! Finds every LF of a 64-byte block at once, for short lines.
//!
//! Calling `memchr` once per line costs about as much as the search itself
//! when lines are a few dozen bytes long. A bitmask of the LF positions of a
//! whole block (one bit per byte, lowest bit first) serves the next lines of
//! the block with a `trailing_zeros` each. It is computed eight bytes at a
//! time with word arithmetic (SWAR), so it needs no `unsafe` intrinsics.

/// Bytes covered by one mask.
pub(crate) const BLOCK: usize = 64;

const ONES: u64 = 0x0101_0101_0101_0101;
const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
const LF: u64 = ONES * b'\n' as u64;
/// Moves bit `8k` of a word to bit `56 + k`: gathers eight byte flags.
const GATHER: u64 = 0x0102_0408_1020_4080;

/// Bit `i` is set exactly when `block[i] == b'\n'`.
#[inline]
pub(crate) fn lf_mask(block: &[u8; BLOCK]) -> u64 {
    let mut mask = 0;
    for (i, word) in block.chunks_exact(8).enumerate() {
        let word = u64::from_le_bytes(word.try_into().expect("chunks of eight"));
        mask |= u64::from(lf_flags(word)) << (8 * i);
    }
    mask
}

/// Bit `k` is set exactly when byte `k` (little endian) of `word` is an LF.
#[inline]
fn lf_flags(word: u64) -> u8 {
    let x = word ^ LF; // LF bytes become zero
                       // The high bit of each byte is set iff the byte is non-zero: the low
                       // seven bits carry into it unless they are all zero, and a byte with its
                       // high bit already set is non-zero. No carry crosses bytes, so it is exact
                       // (unlike the classic `(x - ONES) & !x` test, which can flag a 0x01 byte
                       // above a zero byte).
    let nonzero = ((x & LOW7) + LOW7) | x;
    let zero_high = !nonzero & !LOW7;
    ((zero_high >> 7).wrapping_mul(GATHER) >> 56) as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(block: &[u8; BLOCK]) -> u64 {
        block
            .iter()
            .enumerate()
            .filter(|(_, &b)| b == b'\n')
            .fold(0, |mask, (i, _)| mask | 1 << i)
    }

    #[test]
    fn every_single_position() {
        for at in 0..BLOCK {
            let mut block = [b'a'; BLOCK];
            block[at] = b'\n';
            assert_eq!(lf_mask(&block), 1 << at, "LF at {at}");
        }
    }

    #[test]
    fn only_lf_bytes_count_whatever_their_neighbours() {
        // Every byte value next to an LF, both sides: values one off ('\t',
        // '\x0b'), 0x8a (LF with the high bit) and 0x00 must not be flagged.
        for value in 0..=255u8 {
            let mut block = [value; BLOCK];
            for at in (0..BLOCK).step_by(3) {
                block[at] = b'\n';
            }
            assert_eq!(lf_mask(&block), naive(&block), "filler {value:#04x}");
        }
    }

    #[test]
    fn pseudo_random_blocks() {
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..2000 {
            let mut block = [0u8; BLOCK];
            for byte in &mut block {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                // Mostly bytes near LF, so the edge values come up often.
                *byte = match state % 4 {
                    0 => b'\n',
                    1 => (state >> 8) as u8,
                    _ => b'\n' ^ ((state >> 8) as u8 & 0x83),
                };
            }
            assert_eq!(lf_mask(&block), naive(&block));
        }
    }
}
