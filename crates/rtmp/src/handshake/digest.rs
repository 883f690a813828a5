//! The digest ("complex", Flash Player 9+) handshake: HMAC-SHA256 signatures
//! hidden in C1/S1, and the signed C2/S2 that answer them.
//!
//! ```text
//! C1/S1 (1536 bytes)                      digest at `offset`, 32 bytes
//! +--------+---------+--------------- ... ---+--------+--- ... ---+
//! | time:4 | version:4 | random ...          | digest | random    |
//! +--------+---------+--------------- ... ---+--------+--- ... ---+
//! base 8:   offset = (sum of bytes 8..12)    % 728 + 12
//! base 772: offset = (sum of bytes 772..776) % 728 + 776
//! digest = HMAC-SHA256(partial key, packet without the 32 digest bytes)
//!
//! C2/S2: random[1504] | HMAC-SHA256(HMAC-SHA256(full key, peer's digest), random[1504])
//! ```
//!
//! The client signs C1 with the first 30 bytes of [`FLASH_PLAYER_KEY`] and
//! answers S1 with the full key; the server signs S1 with the first 36 bytes
//! of [`FLASH_MEDIA_SERVER_KEY`] and answers C1 with the full key.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::PACKET_LEN;

type HmacSha256 = Hmac<Sha256>;

/// The length of a digest.
pub const DIGEST_LEN: usize = 32;

/// The 32 bytes both well-known keys end with.
const KEY_TAIL: [u8; 32] = [
    0xf0, 0xee, 0xc2, 0x4a, 0x80, 0x68, 0xbe, 0xe8, 0x2e, 0x00, 0xd0, 0xd1, 0x02, 0x9e, 0x7e, 0x57,
    0x6e, 0xec, 0x5d, 0x2d, 0x29, 0x80, 0x6f, 0xab, 0x93, 0xb8, 0xe6, 0x36, 0xcf, 0xeb, 0x31, 0xae,
];

/// The Flash Player key: "Genuine Adobe Flash Player 001" and 32 fixed bytes.
/// Its first 30 bytes sign C1; all 62 key the answer to S1.
pub const FLASH_PLAYER_KEY: [u8; 62] = concat_key(b"Genuine Adobe Flash Player 001");

/// The Flash Media Server key: "Genuine Adobe Flash Media Server 001" and 32
/// fixed bytes. Its first 36 bytes sign S1; all 68 key the answer to C1.
pub const FLASH_MEDIA_SERVER_KEY: [u8; 68] = concat_key(b"Genuine Adobe Flash Media Server 001");

/// The part of [`FLASH_PLAYER_KEY`] that signs a client's C1.
pub const CLIENT_SIGNING_KEY: &[u8] = FLASH_PLAYER_KEY.split_at(30).0;

/// The part of [`FLASH_MEDIA_SERVER_KEY`] that signs a server's S1.
pub const SERVER_SIGNING_KEY: &[u8] = FLASH_MEDIA_SERVER_KEY.split_at(36).0;

const fn concat_key<const T: usize, const N: usize>(text: &[u8; T]) -> [u8; N] {
    let mut key = [0; N];
    let mut i = 0;
    while i < T {
        key[i] = text[i];
        i += 1;
    }
    while i < N {
        key[i] = KEY_TAIL[i - T];
        i += 1;
    }
    key
}

/// Where a C1/S1 keeps its digest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DigestScheme {
    /// Offset derived from bytes 8..12 (FFmpeg, nginx-rtmp, Flash Player 9).
    Base8,
    /// Offset derived from bytes 772..776 (Flash Player 10 and later).
    Base772,
}

impl DigestScheme {
    /// The digest offset this scheme gives for `packet`.
    ///
    /// ```
    /// use wirestate_rtmp::handshake::digest::DigestScheme;
    /// let packet = [1u8; 1536];
    /// assert_eq!(DigestScheme::Base8.offset(&packet), 4 % 728 + 12);
    /// assert_eq!(DigestScheme::Base772.offset(&packet), 4 % 728 + 776);
    /// ```
    pub fn offset(self, packet: &[u8; PACKET_LEN]) -> usize {
        let (base, add) = match self {
            DigestScheme::Base8 => (8, 12),
            DigestScheme::Base772 => (772, 776),
        };
        let sum: usize = packet[base..base + 4].iter().map(|&b| usize::from(b)).sum();
        sum % 728 + add
    }
}

/// The HMAC-SHA256 of the packet without its digest bytes.
fn packet_digest(packet: &[u8; PACKET_LEN], offset: usize, key: &[u8]) -> HmacSha256 {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(&packet[..offset]);
    mac.update(&packet[offset + DIGEST_LEN..]);
    mac
}

/// Looks for a valid digest signed with `key` ([`CLIENT_SIGNING_KEY`] for a
/// C1, [`SERVER_SIGNING_KEY`] for an S1), trying base 772 first, then base 8.
/// Returns the scheme and the digest offset; `None` means a simple handshake.
///
/// ```
/// use wirestate_rtmp::handshake::digest::{find_digest, sign, DigestScheme, CLIENT_SIGNING_KEY};
/// let mut c1 = [7u8; 1536];
/// let offset = sign(&mut c1, DigestScheme::Base772, CLIENT_SIGNING_KEY);
/// assert_eq!(find_digest(&c1, CLIENT_SIGNING_KEY), Some((DigestScheme::Base772, offset)));
/// assert_eq!(find_digest(&[7u8; 1536], CLIENT_SIGNING_KEY), None);
/// ```
pub fn find_digest(packet: &[u8; PACKET_LEN], key: &[u8]) -> Option<(DigestScheme, usize)> {
    [DigestScheme::Base772, DigestScheme::Base8]
        .into_iter()
        .find_map(|scheme| {
            let offset = scheme.offset(packet);
            packet_digest(packet, offset, key)
                .verify_slice(&packet[offset..offset + DIGEST_LEN])
                .ok()
                .map(|()| (scheme, offset))
        })
}

/// Writes the digest of `packet` (signed with `key`) at the offset `scheme`
/// gives, and returns that offset. The rest of the packet must already be
/// filled in.
pub fn sign(packet: &mut [u8; PACKET_LEN], scheme: DigestScheme, key: &[u8]) -> usize {
    let offset = scheme.offset(packet);
    let digest = packet_digest(packet, offset, key).finalize().into_bytes();
    packet[offset..offset + DIGEST_LEN].copy_from_slice(&digest);
    offset
}

/// The HMAC that signs a C2/S2 answering `peer_digest`, before it is fed the
/// first 1504 bytes.
fn response_mac(peer_digest: &[u8], full_key: &[u8]) -> HmacSha256 {
    let mut keyer = HmacSha256::new_from_slice(full_key).expect("HMAC takes keys of any length");
    keyer.update(peer_digest);
    let key = keyer.finalize().into_bytes();
    HmacSha256::new_from_slice(&key).expect("HMAC takes keys of any length")
}

/// Signs a C2/S2 whose first 1504 bytes are already filled in: the last 32
/// bytes become the answer to the peer's C1/S1 digest. `full_key` is
/// [`FLASH_PLAYER_KEY`] for a client's C2, [`FLASH_MEDIA_SERVER_KEY`] for a
/// server's S2.
pub fn sign_response(response: &mut [u8; PACKET_LEN], peer_digest: &[u8], full_key: &[u8]) {
    let split = PACKET_LEN - DIGEST_LEN;
    let mut mac = response_mac(peer_digest, full_key);
    mac.update(&response[..split]);
    response[split..].copy_from_slice(&mac.finalize().into_bytes());
}

/// Whether `response` (a C2/S2) is the signed answer to `our_digest`, the
/// digest we put in our C1/S1. `full_key` is the key the peer signs with:
/// [`FLASH_PLAYER_KEY`] for a client's C2, [`FLASH_MEDIA_SERVER_KEY`] for a
/// server's S2.
///
/// ```
/// use wirestate_rtmp::handshake::digest::{sign_response, verify_response, FLASH_MEDIA_SERVER_KEY};
/// let c1_digest = [9u8; 32];
/// let mut s2 = [3u8; 1536];
/// sign_response(&mut s2, &c1_digest, &FLASH_MEDIA_SERVER_KEY);
/// assert!(verify_response(&s2, &c1_digest, &FLASH_MEDIA_SERVER_KEY));
/// assert!(!verify_response(&s2, &[0u8; 32], &FLASH_MEDIA_SERVER_KEY));
/// ```
pub fn verify_response(response: &[u8; PACKET_LEN], our_digest: &[u8], full_key: &[u8]) -> bool {
    let split = PACKET_LEN - DIGEST_LEN;
    let mut mac = response_mac(our_digest, full_key);
    mac.update(&response[..split]);
    mac.verify_slice(&response[split..]).is_ok()
}
