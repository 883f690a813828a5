//! The meta protocol's lines, typed: what a client sends (`mg`, `ms`, `md`,
//! `ma`, `me`, `mn`) and what a server answers (`VA`, `HD`, `EN`, `NF`,
//! `NS`, `EX`, `ME`, `MN`, and the error lines shared with the classic
//! protocol).

use bytes::Bytes;

use super::flags::{is_token_byte, MetaFlags};
use super::{MetaError, MAX_BASE64_KEY_LEN, MAX_DATA_LEN, MAX_KEY_LEN};

/// A meta command, as a client sends it.
///
/// `Set` is followed on the wire by a data block of `data_len` bytes and
/// `\r\n` (see [`data_len`](super::data_len)); every other command is one
/// line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MetaCommand {
    /// `mg <key> <flags>*`: read an item (and, by flags, touch it, vivify
    /// it on a miss, ...).
    Get {
        /// The key (base64 if the flags hold `b`).
        key: Bytes,
        /// The flags in wire order.
        flags: MetaFlags,
    },
    /// `ms <key> <datalen> <flags>*`, then the data block.
    Set {
        /// The key (base64 if the flags hold `b`).
        key: Bytes,
        /// The length of the data block, without its `\r\n`.
        data_len: usize,
        /// The flags in wire order (`M` picks add/replace/append/prepend).
        flags: MetaFlags,
    },
    /// `md <key> <flags>*`: delete (or, with `I`, invalidate) an item.
    Delete {
        /// The key (base64 if the flags hold `b`).
        key: Bytes,
        /// The flags in wire order.
        flags: MetaFlags,
    },
    /// `ma <key> <flags>*`: increment or decrement a number.
    Arithmetic {
        /// The key (base64 if the flags hold `b`).
        key: Bytes,
        /// The flags in wire order.
        flags: MetaFlags,
    },
    /// `me <key> <flags>*`: a human-readable dump of an item's metadata.
    Debug {
        /// The key (base64 if the flags hold `b`).
        key: Bytes,
        /// The flags in wire order.
        flags: MetaFlags,
    },
    /// `mn`: answered with `MN`, marks the end of a pipelined batch.
    Noop,
}

/// A server's answer to a meta command.
///
/// `Value` is followed on the wire by a data block of `size` bytes and
/// `\r\n` (see [`data_len`](super::data_len)); every other answer is one
/// line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MetaReply {
    /// `VA <size> <flags>*`, then the data block.
    Value {
        /// The length of the data block, without its `\r\n`.
        size: usize,
        /// The returned flags (`f`, `s`, `c`, `k`, `t`, `O`, `W`, ...).
        flags: MetaFlags,
    },
    /// `HD <flags>*`: success without a value (stored, deleted, found).
    Header(MetaFlags),
    /// `EN <flags>*`: a miss (`mg`, `me`).
    Miss(MetaFlags),
    /// `NF <flags>*`: not found.
    NotFound(MetaFlags),
    /// `NS <flags>*`: not stored.
    NotStored(MetaFlags),
    /// `EX <flags>*`: exists (the CAS did not match).
    Exists(MetaFlags),
    /// `ME <key> <k>=<v>*`: the answer to `me`.
    Debug {
        /// The key as the server printed it.
        key: Bytes,
        /// The rest of the line, `k=v` pairs separated by spaces.
        info: Bytes,
    },
    /// `MN`: the answer to `mn`.
    Noop,
    /// `ERROR`: an unknown command.
    Error,
    /// `CLIENT_ERROR <message>`: the command broke the protocol.
    ClientError(Bytes),
    /// `SERVER_ERROR <message>`: the server could not carry it out.
    ServerError(Bytes),
}

/// The space-separated words of a line (runs of spaces count as one).
fn words(line: &[u8]) -> impl Iterator<Item = &[u8]> {
    line.split(|&b| b == b' ').filter(|w| !w.is_empty())
}

/// A decimal `<datalen>` or `<size>` no larger than [`MAX_DATA_LEN`].
pub(crate) fn parse_len(word: Option<&[u8]>) -> Result<usize, MetaError> {
    let word = word.ok_or(MetaError::BadDataLength)?;
    if word.is_empty() || word.len() > 10 || !word.iter().all(u8::is_ascii_digit) {
        return Err(MetaError::BadDataLength);
    }
    let len = word.iter().fold(0u64, |n, &d| n * 10 + u64::from(d - b'0'));
    usize::try_from(len)
        .ok()
        .filter(|&len| len <= MAX_DATA_LEN)
        .ok_or(MetaError::BadDataLength)
}

/// Checks a key: present, no control bytes or spaces, within the limit
/// (a base64 key may be longer on the wire).
pub(crate) fn check_key(key: &[u8], flags: &MetaFlags) -> Result<(), MetaError> {
    let max = if flags.base64() {
        MAX_BASE64_KEY_LEN
    } else {
        MAX_KEY_LEN
    };
    if key.len() > max {
        return Err(MetaError::KeyTooLong { len: key.len() });
    }
    if key.is_empty() || !key.iter().all(|&b| is_token_byte(b)) {
        return Err(MetaError::BadKey);
    }
    Ok(())
}

impl MetaCommand {
    /// Reads a command line (without its line end). `Ok(None)` if the line
    /// is not a meta command (a classic one such as `get`, or anything
    /// else); the key and tokens are slices of `line`, not copies.
    ///
    /// ```
    /// use wirestate_lines::memcached::{MetaCommand, MetaError};
    ///
    /// let Some(MetaCommand::Set { key, data_len, flags }) = MetaCommand::parse(&"ms foo 5 T90 F1".into())? else {
    ///     panic!()
    /// };
    /// assert_eq!((&key[..], data_len, flags.number(b'T')), (&b"foo"[..], 5, Some(90)));
    /// assert_eq!(MetaCommand::parse(&"get foo".into())?, None);
    /// assert_eq!(MetaCommand::parse(&"mg foo v v".into()), Err(MetaError::DuplicateFlag { flag: 'v' }));
    /// # Ok::<(), MetaError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// A [`MetaError`] for a meta command that breaks a rule or a limit;
    /// answer it with [`MetaError::client_error`].
    pub fn parse(line: &Bytes) -> Result<Option<MetaCommand>, MetaError> {
        let mut words = words(line);
        let Some(code) = words.next() else {
            return Ok(None);
        };
        if code == b"mn" {
            return Ok(Some(MetaCommand::Noop));
        }
        if !matches!(code, b"mg" | b"ms" | b"md" | b"ma" | b"me") {
            return Ok(None);
        }
        let key = words.next().ok_or(MetaError::MissingKey)?;
        let data_len = match code {
            b"ms" => parse_len(words.next())?,
            _ => 0,
        };
        let flags = MetaFlags::parse(line, words, true)?;
        check_key(key, &flags)?;
        let key = line.slice_ref(key);
        Ok(Some(match code {
            b"mg" => MetaCommand::Get { key, flags },
            b"ms" => MetaCommand::Set {
                key,
                data_len,
                flags,
            },
            b"md" => MetaCommand::Delete { key, flags },
            b"ma" => MetaCommand::Arithmetic { key, flags },
            _ => MetaCommand::Debug { key, flags },
        }))
    }

    /// The flags (empty for `mn`).
    pub fn flags(&self) -> Option<&MetaFlags> {
        match self {
            MetaCommand::Get { flags, .. }
            | MetaCommand::Set { flags, .. }
            | MetaCommand::Delete { flags, .. }
            | MetaCommand::Arithmetic { flags, .. }
            | MetaCommand::Debug { flags, .. } => Some(flags),
            MetaCommand::Noop => None,
        }
    }
}

impl MetaReply {
    /// Reads an answer line (without its line end). `Ok(None)` if the line
    /// is not a meta answer or an error line (a classic answer such as
    /// `VALUE`, `STORED` or `END`); flags and messages are slices of
    /// `line`, not copies.
    ///
    /// ```
    /// use wirestate_lines::memcached::{MetaError, MetaReply};
    ///
    /// let Some(MetaReply::Value { size, flags }) = MetaReply::parse(&"VA 5 f1 t-1 kZm9v b".into())? else {
    ///     panic!()
    /// };
    /// assert_eq!((size, flags.number(b'f'), flags.number(b't')), (5, Some(1), Some(-1)));
    /// assert!(flags.base64());
    /// assert_eq!(MetaReply::parse(&"END".into())?, None);
    /// # Ok::<(), MetaError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// A [`MetaError`] for a meta answer that breaks a rule or a limit (a
    /// `VA` without a readable size, too many flags, ...).
    pub fn parse(line: &Bytes) -> Result<Option<MetaReply>, MetaError> {
        if let Some(reply) = Self::parse_error_line(line) {
            // A message with a line break cannot be sent back as one line
            // (the fuzzer found the encoder refusing what parsed).
            if let MetaReply::ClientError(text) | MetaReply::ServerError(text) = &reply {
                if text.contains(&b'\r') || text.contains(&b'\n') {
                    return Err(MetaError::BadMessage);
                }
            }
            return Ok(Some(reply));
        }
        let mut words = words(line);
        let Some(code) = words.next() else {
            return Ok(None);
        };
        let kind: fn(MetaFlags) -> MetaReply = match code {
            b"VA" => {
                let size = parse_len(words.next())?;
                let flags = MetaFlags::parse(line, words, false)?;
                return Ok(Some(MetaReply::Value { size, flags }));
            }
            b"ME" => {
                let rest = line.trim_ascii_start()[2..].trim_ascii_start();
                let key_len = rest.iter().position(|&b| b == b' ').unwrap_or(rest.len());
                if key_len == 0 {
                    return Err(MetaError::MissingKey);
                }
                // What the encoder refuses, the parser refuses too (found
                // by fuzzing the round trip).
                if !rest[..key_len].iter().all(|&b| is_token_byte(b)) {
                    return Err(MetaError::BadKey);
                }
                if rest.contains(&b'\r') || rest.contains(&b'\n') {
                    return Err(MetaError::BadMessage);
                }
                return Ok(Some(MetaReply::Debug {
                    key: line.slice_ref(&rest[..key_len]),
                    info: line.slice_ref(rest[key_len..].trim_ascii_start()),
                }));
            }
            b"MN" => return Ok(Some(MetaReply::Noop)),
            b"HD" => MetaReply::Header,
            b"EN" => MetaReply::Miss,
            b"NF" => MetaReply::NotFound,
            b"NS" => MetaReply::NotStored,
            b"EX" => MetaReply::Exists,
            _ => return Ok(None),
        };
        Ok(Some(kind(MetaFlags::parse(line, words, false)?)))
    }

    /// `ERROR`, `CLIENT_ERROR <message>`, `SERVER_ERROR <message>`.
    fn parse_error_line(line: &Bytes) -> Option<MetaReply> {
        if &line[..] == b"ERROR" {
            return Some(MetaReply::Error);
        }
        let message = |prefix: &[u8]| {
            let rest = line.strip_prefix(prefix)?;
            (rest.is_empty() || rest[0] == b' ').then(|| line.slice_ref(rest.trim_ascii_start()))
        };
        if let Some(message) = message(b"CLIENT_ERROR") {
            return Some(MetaReply::ClientError(message));
        }
        message(b"SERVER_ERROR").map(MetaReply::ServerError)
    }

    /// The flags, for the answers that carry them.
    pub fn flags(&self) -> Option<&MetaFlags> {
        match self {
            MetaReply::Value { flags, .. }
            | MetaReply::Header(flags)
            | MetaReply::Miss(flags)
            | MetaReply::NotFound(flags)
            | MetaReply::NotStored(flags)
            | MetaReply::Exists(flags) => Some(flags),
            _ => None,
        }
    }
}
