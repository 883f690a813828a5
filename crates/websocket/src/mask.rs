//! XOR masking of payloads (RFC 6455 §5.3), a machine word at a time, in
//! place or while copying.
//!
//! Masking and unmasking are the same operation: byte `i` of the payload is
//! XORed with byte `i % 4` of the 4-byte key. The hot loop works on 8-byte
//! words: the key is first rotated to the payload position the slice starts
//! at, then repeated twice into a `u64`, so every aligned-to-phase word takes
//! one XOR.

/// XORs `data` with `key`, where `data` starts at byte `offset` of the payload
/// (so a payload can be unmasked in pieces as it arrives).
///
/// ```
/// use wirestate_websocket::apply_mask;
/// let key = [1, 2, 3, 4];
/// let mut whole = *b"hello, websocket";
/// apply_mask(&mut whole, key, 0);
/// // Unmasking in two pieces gives the same bytes as unmasking at once.
/// let (a, b) = whole.split_at_mut(5);
/// apply_mask(a, key, 0);
/// apply_mask(b, key, 5);
/// assert_eq!(&whole, b"hello, websocket");
/// ```
pub fn apply_mask(data: &mut [u8], key: [u8; 4], offset: usize) {
    let (rotated, word) = key_at(key, offset);
    let mut blocks = data.chunks_exact_mut(32);
    for block in &mut blocks {
        // Four independent words per iteration: the compiler turns this into
        // vector XORs.
        for lane in block.chunks_exact_mut(8) {
            let masked = xor_word(lane, word);
            lane.copy_from_slice(&masked);
        }
    }
    let mut words = blocks.into_remainder().chunks_exact_mut(8);
    for lane in &mut words {
        let masked = xor_word(lane, word);
        lane.copy_from_slice(&masked);
    }
    // Every full word advanced the phase by 8 bytes (a multiple of 4), so the
    // tail starts at the same phase.
    for (i, byte) in words.into_remainder().iter_mut().enumerate() {
        *byte ^= rotated[i % 4];
    }
}

/// Writes `src` XORed with `key` into `dst` (of the same length), where `src`
/// starts at byte `offset` of the payload: a copy and [`apply_mask`] in one
/// pass, which reads and writes every byte once instead of twice.
///
/// ```
/// use wirestate_websocket::{apply_mask, copy_masked};
/// let key = [1, 2, 3, 4];
/// let mut masked = *b"hello";
/// apply_mask(&mut masked, key, 0);
/// let mut out = [0; 4];
/// copy_masked(&mut out, &masked[1..], key, 1);
/// assert_eq!(&out, b"ello");
/// ```
///
/// # Panics
///
/// If `dst` and `src` differ in length.
pub fn copy_masked(dst: &mut [u8], src: &[u8], key: [u8; 4], offset: usize) {
    assert_eq!(dst.len(), src.len(), "copy_masked needs equal lengths");
    let (rotated, word) = key_at(key, offset);
    let mut out = dst.chunks_exact_mut(32);
    let mut from = src.chunks_exact(32);
    for (block, source) in (&mut out).zip(&mut from) {
        for (lane, word_in) in block.chunks_exact_mut(8).zip(source.chunks_exact(8)) {
            lane.copy_from_slice(&xor_word(word_in, word));
        }
    }
    let mut out = out.into_remainder().chunks_exact_mut(8);
    let mut from = from.remainder().chunks_exact(8);
    for (lane, word_in) in (&mut out).zip(&mut from) {
        lane.copy_from_slice(&xor_word(word_in, word));
    }
    let tail = out.into_remainder().iter_mut().zip(from.remainder());
    for (i, (byte, source)) in tail.enumerate() {
        *byte = source ^ rotated[i % 4];
    }
}

/// Eight bytes XORed with `word` (the caller passes exactly eight).
#[inline(always)]
fn xor_word(bytes: &[u8], word: u64) -> [u8; 8] {
    (u64::from_ne_bytes(bytes.try_into().unwrap_or([0; 8])) ^ word).to_ne_bytes()
}

/// The key as seen from payload byte `offset`, and repeated into a word.
fn key_at(key: [u8; 4], offset: usize) -> ([u8; 4], u64) {
    let phase = (offset % 4) as u32;
    let rotated = u32::from_le_bytes(key)
        .rotate_right(phase * 8)
        .to_le_bytes();
    // The rotated key twice in a row, built with a shift: assembling the
    // eight bytes one by one cost about 40 instructions per frame
    // (callgrind), a third of unmasking a 16-byte payload.
    let half = u64::from(u32::from_ne_bytes(rotated));
    (rotated, half | half << 32)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(data: &mut [u8], key: [u8; 4], offset: usize) {
        for (i, b) in data.iter_mut().enumerate() {
            *b ^= key[(offset + i) % 4];
        }
    }

    #[test]
    fn matches_the_bytewise_definition_at_every_length_and_offset() {
        let key = [0x37, 0xfa, 0x21, 0x3d];
        for len in 0..80 {
            for offset in 0..8 {
                let original: Vec<u8> = (0..len as u8).map(|i| i.wrapping_mul(31)).collect();
                let mut fast = original.clone();
                let mut slow = original.clone();
                let mut copied = vec![0; len];
                copy_masked(&mut copied, &original, key, offset);
                apply_mask(&mut fast, key, offset);
                naive(&mut slow, key, offset);
                assert_eq!(fast, slow, "len {len} offset {offset}");
                assert_eq!(copied, slow, "copy_masked: len {len} offset {offset}");
            }
        }
    }

    #[test]
    fn rfc_6455_example() {
        // §5.7: a masked "Hello" with key 37 fa 21 3d.
        let mut payload = [0x7f, 0x9f, 0x4d, 0x51, 0x58];
        apply_mask(&mut payload, [0x37, 0xfa, 0x21, 0x3d], 0);
        assert_eq!(&payload, b"Hello");
    }
}
