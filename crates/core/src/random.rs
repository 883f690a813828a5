/// A source of random bytes, injected into machines that need randomness
/// (WebSocket masks and keys, RTMP handshake filler).
///
/// Machines never draw randomness of their own: give them [`SeededRandom`] for
/// reproducible runs, or [`OsRandom`] (feature `os-random`) in production.
pub trait RandomSource {
    /// Fills `dest` entirely with random bytes.
    fn fill_bytes(&mut self, dest: &mut [u8]);

    /// Returns four random bytes as a `u32`.
    fn next_u32(&mut self) -> u32 {
        let mut word = [0; 4];
        self.fill_bytes(&mut word);
        u32::from_le_bytes(word)
    }
}

impl<R: RandomSource + ?Sized> RandomSource for &mut R {
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        (**self).fill_bytes(dest)
    }
}

impl<R: RandomSource + ?Sized> RandomSource for Box<R> {
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        (**self).fill_bytes(dest)
    }
}

/// A deterministic generator (xoshiro256**, seeded through SplitMix64): the
/// same seed gives the same bytes on every platform.
///
/// Fast and well distributed, but predictable: not for secrets. WebSocket
/// clients talking to untrusted servers should use [`OsRandom`].
#[derive(Debug, Clone)]
pub struct SeededRandom {
    state: [u64; 4],
}

impl SeededRandom {
    /// A generator whose whole output is fixed by `seed`.
    ///
    /// ```
    /// use wirestate_core::{RandomSource, SeededRandom};
    /// let (mut a, mut b) = (SeededRandom::new(7), SeededRandom::new(7));
    /// assert_eq!(a.next_u32(), b.next_u32());
    /// ```
    pub fn new(seed: u64) -> Self {
        let mut sm = seed;
        let mut next = || {
            sm = sm.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = sm;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        };
        SeededRandom {
            state: [next(), next(), next(), next()],
        }
    }

    fn next_u64(&mut self) -> u64 {
        let s = &mut self.state;
        let result = s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        result
    }
}

impl RandomSource for SeededRandom {
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        for chunk in dest.chunks_mut(8) {
            let word = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&word[..chunk.len()]);
        }
    }
}

/// Randomness from the operating system (`getrandom`), for production use.
#[cfg(feature = "os-random")]
#[derive(Debug, Clone, Copy, Default)]
pub struct OsRandom;

#[cfg(feature = "os-random")]
impl RandomSource for OsRandom {
    /// # Panics
    ///
    /// If the operating system cannot provide randomness at all, which on
    /// supported platforms does not happen after boot.
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        getrandom::fill(dest).expect("the operating system random source failed");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeded_output_depends_only_on_the_seed() {
        let mut a = SeededRandom::new(42);
        let mut b = SeededRandom::new(42);
        let mut c = SeededRandom::new(43);
        let (mut x, mut y, mut z) = ([0u8; 37], [0u8; 37], [0u8; 37]);
        a.fill_bytes(&mut x);
        b.fill_bytes(&mut y);
        c.fill_bytes(&mut z);
        assert_eq!(x, y);
        assert_ne!(x, z);
        assert!(x.iter().any(|&v| v != 0));
    }
}
