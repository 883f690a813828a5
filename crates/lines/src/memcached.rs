//! The memcached text protocols on the line machine: the classic one
//! (`get`/`set`/`VALUE`...) and the meta one (`mg`/`ms`/`VA`...), which
//! memcached 1.6 recommends. Both follow the "header line, then a data
//! block" rule, the classic use of raw blocks.
//!
//! - [`data_len`]: which lines announce a data block, in either direction,
//!   and how long it is. Enough to cut a stream into lines and blocks.
//! - [`MetaCommand`] / [`MetaReply`]: meta lines parsed into their typed
//!   form (zero copy) and encoded back, with the [`MetaFlags`] in wire
//!   order; [`MetaError`] for a line that breaks a rule or a limit.
//!
//! ```
//! use std::time::Instant;
//! use wirestate_core::Machine;
//! use wirestate_lines::memcached::{self, MetaReply};
//! use wirestate_lines::{LineConfig, LineConnection, LineEvent};
//!
//! let now = Instant::now();
//! let mut client = LineConnection::new(LineConfig::default());
//! // mg foo v f k: the value holds "\r\n" itself.
//! client.handle_input(b"VA 4 f5 kfoo\r\nhi\r\n\r\nEN\r\n", now);
//! let Some(Ok(LineEvent::Line { bytes: line, .. })) = client.poll_event() else { panic!() };
//! let Some(MetaReply::Value { size, flags }) = MetaReply::parse(&line)? else { panic!() };
//! assert_eq!((size, flags.number(b'f'), flags.token(b'k').unwrap()), (4, Some(5), &"foo".into()));
//! client.expect_raw(memcached::data_len(&line).unwrap())?;
//! assert_eq!(client.poll_event(), Some(Ok(LineEvent::Raw("hi\r\n\r\n".into()))));
//! let Some(Ok(LineEvent::Line { bytes: line, .. })) = client.poll_event() else { panic!() };
//! assert_eq!(MetaReply::parse(&line)?, Some(MetaReply::Miss(Default::default())));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod encode;
mod error;
mod flags;
mod meta;

pub use error::MetaError;
pub use flags::{MetaFlag, MetaFlags};
pub use meta::{MetaCommand, MetaReply};

/// The longest key memcached accepts, in bytes.
pub const MAX_KEY_LEN: usize = 250;

/// The longest key on the wire with the `b` (base64) flag: the base64 form
/// of a [`MAX_KEY_LEN`]-byte key.
pub const MAX_BASE64_KEY_LEN: usize = MAX_KEY_LEN.div_ceil(3) * 4;

/// The longest opaque (`O`) token memcached echoes, in bytes.
pub const MAX_OPAQUE_LEN: usize = 32;

/// The most flags a meta line may carry here (memcached refuses long flag
/// lists; an answer adds a few of its own, such as `W`).
pub const MAX_FLAGS: usize = 32;

/// The largest `<datalen>` or `<size>` a meta line may announce: memcached's
/// bound (`INT_MAX - 2`); the caller's own raw-block limit is usually far
/// lower ([`LineConnection::expect_raw`](crate::LineConnection::expect_raw)
/// checks it).
pub const MAX_DATA_LEN: usize = i32::MAX as usize - 2;

/// The length of the data block that follows `line`, including the block's own
/// trailing `\r\n`, if `line` is a memcached header that announces one:
///
/// ```text
/// VALUE <key> <flags> <bytes> [<cas unique>]                      (server)
/// VA <size> <flags>*                                              (server, meta)
/// set|add|replace|append|prepend <key> <flags> <exptime> <bytes> [noreply]
/// cas <key> <flags> <exptime> <bytes> <cas unique> [noreply]     (client)
/// ms <key> <datalen> <flags>*                                     (client, meta)
/// ```
///
/// Pass the result to [`LineConnection::expect_raw`](crate::LineConnection::expect_raw), which
/// checks it against the raw-block limit (an absurd `<bytes>` comes back as
/// `usize::MAX`, so it is refused there, not read as a line). A length
/// that is not a decimal number announces nothing: memcached answers a
/// `CLIENT_ERROR` and reads what follows as the next command.
///
/// ```
/// use wirestate_lines::memcached::data_len;
/// assert_eq!(data_len(b"VALUE k1 0 5"), Some(7));
/// assert_eq!(data_len(b"VALUE k1 0 5 42"), Some(7));
/// assert_eq!(data_len(b"set k 0 0 3 noreply"), Some(5));
/// assert_eq!(data_len(b"cas k 0 0 3 99"), Some(5));
/// assert_eq!(data_len(b"VA 5 f0 t-1"), Some(7));
/// assert_eq!(data_len(b"ms k 3 T90 q"), Some(5));
/// assert_eq!(data_len(b"ms k abc"), None);
/// assert_eq!(data_len(b"get k1"), None);
/// assert_eq!(data_len(b"mg k1 v"), None);
/// assert_eq!(data_len(b"END"), None);
/// ```
pub fn data_len(line: &[u8]) -> Option<usize> {
    let mut words = line.split(|&b| b == b' ').filter(|w| !w.is_empty());
    let command = words.next()?;
    let index = match command {
        b"VA" => 0,
        b"ms" => 1,
        b"VALUE" => 2,
        b"set" | b"add" | b"replace" | b"append" | b"prepend" | b"cas" => 3,
        _ => return None,
    };
    let bytes = words.nth(index)?;
    if bytes.is_empty() || !bytes.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let len = bytes.iter().try_fold(0usize, |n, &d| {
        n.checked_mul(10)?.checked_add(usize::from(d - b'0'))
    });
    Some(len.and_then(|n| n.checked_add(2)).unwrap_or(usize::MAX))
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod data_len_tests {
    use super::data_len;

    #[test]
    fn headers_and_other_lines() {
        let cases: &[(&[u8], Option<usize>)] = &[
            (b"VALUE bin 0 256", Some(258)),
            (b"VALUE k1 7 3 11", Some(5)),
            (b"set empty 0 0 0", Some(2)),
            (b"append k1 0 0 2", Some(4)),
            (b"prepend k1 0 0 1", Some(3)),
            (b"set nr 0 0 2 noreply", Some(4)),
            (b"set  spaced  0 0  9", Some(11)),
            (b"set huge 0 0 99999999999999999999999999", Some(usize::MAX)),
            (b"set k 0 0 -1", None),
            (b"set k 0 0", None),
            (b"VALUE", None),
            (b"STORED", None),
            (b"gets k1 crlf", None),
            (b"incr n 5", None),
            (b"", None),
            (b"VA 5 f0 s5", Some(7)),
            (b"VA 0", Some(2)),
            (b"VA", None),
            (b"VA x", None),
            (b"ms k 5 T0", Some(7)),
            (b"ms k 0", Some(2)),
            (b"ms k", None),
            (b"ms k -1", None),
            (b"ms k 99999999999999999999999999", Some(usize::MAX)),
            (b"mg k v", None),
            (b"HD", None),
            (b"EN", None),
            (b"MN", None),
            (b"mn", None),
        ];
        for (line, expected) in cases {
            assert_eq!(
                data_len(line),
                *expected,
                "{:?}",
                String::from_utf8_lossy(line)
            );
        }
    }
}
