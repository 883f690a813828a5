//! The memcached text protocol's "header line, then a data block" rule, the
//! classic use of raw blocks.

/// The length of the data block that follows `line`, including the block's own
/// trailing `\r\n`, if `line` is a memcached header that announces one:
///
/// ```text
/// VALUE <key> <flags> <bytes> [<cas unique>]                      (server)
/// set|add|replace|append|prepend <key> <flags> <exptime> <bytes> [noreply]
/// cas <key> <flags> <exptime> <bytes> <cas unique> [noreply]     (client)
/// ```
///
/// Pass the result to [`LineConnection::expect_raw`](crate::LineConnection::expect_raw), which
/// checks it against the raw-block limit (an absurd `<bytes>` comes back as
/// `usize::MAX`, so it is refused there, not read as a line).
///
/// ```
/// use wirestate_lines::memcached::data_len;
/// assert_eq!(data_len(b"VALUE k1 0 5"), Some(7));
/// assert_eq!(data_len(b"VALUE k1 0 5 42"), Some(7));
/// assert_eq!(data_len(b"set k 0 0 3 noreply"), Some(5));
/// assert_eq!(data_len(b"cas k 0 0 3 99"), Some(5));
/// assert_eq!(data_len(b"get k1"), None);
/// assert_eq!(data_len(b"END"), None);
/// ```
pub fn data_len(line: &[u8]) -> Option<usize> {
    let mut words = line.split(|&b| b == b' ').filter(|w| !w.is_empty());
    let command = words.next()?;
    let index = match command {
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
mod tests {
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
