//! Meta flags: a single-letter code, optionally followed by a token
//! (`v`, `T30`, `Oreq-7`), in the order they were sent.

use std::fmt;

use bytes::{BufMut, Bytes, BytesMut};

use super::{MetaError, MAX_FLAGS, MAX_OPAQUE_LEN};

/// One meta flag: its letter and the token glued to it, if any
/// (`T30` is `T` with token `30`; `v` has none). `Debug` prints it as on
/// the wire.
#[derive(Clone, PartialEq, Eq)]
pub struct MetaFlag {
    /// The flag letter (`b'v'`, `b'T'`, ...).
    pub flag: u8,
    /// The token after the letter; `None` when nothing follows it.
    pub token: Option<Bytes>,
}

impl MetaFlag {
    /// A flag without a token, such as `v` or `q`.
    pub fn new(flag: u8) -> Self {
        MetaFlag { flag, token: None }
    }

    /// A flag with a token, such as `T30` (`with_token(b'T', "30")`).
    pub fn with_token(flag: u8, token: impl Into<Bytes>) -> Self {
        let token: Bytes = token.into();
        MetaFlag {
            flag,
            token: (!token.is_empty()).then_some(token),
        }
    }

    /// Checks the flag against the rules an encoder must follow: an ASCII
    /// letter, a token without spaces or control characters, an opaque no
    /// longer than [`MAX_OPAQUE_LEN`].
    fn check(&self) -> Result<(), MetaError> {
        let token = self.token.as_deref().unwrap_or_default();
        if !self.flag.is_ascii_alphabetic() || !token.iter().all(|&b| is_token_byte(b)) {
            return Err(MetaError::InvalidFlag {
                flag: char::from(self.flag),
            });
        }
        if self.flag == b'O' && token.len() > MAX_OPAQUE_LEN {
            return Err(MetaError::OpaqueTooLong { len: token.len() });
        }
        Ok(())
    }
}

impl fmt::Debug for MetaFlag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.flag.escape_ascii())?;
        if let Some(token) = &self.token {
            write!(f, "{}", token.escape_ascii())?;
        }
        Ok(())
    }
}

/// The flags of a meta command or answer, in wire order. Built by the
/// parsers, or by the caller (`collect` or [`push`](MetaFlags::push)) to
/// encode.
///
/// ```
/// use wirestate_lines::memcached::{MetaFlag, MetaFlags};
///
/// let flags: MetaFlags = [MetaFlag::new(b'v'), MetaFlag::with_token(b'T', "30")].into_iter().collect();
/// assert!(flags.has(b'v'));
/// assert_eq!(flags.number(b'T'), Some(30));
/// assert_eq!(flags.token(b'O'), None);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MetaFlags(Vec<MetaFlag>);

impl MetaFlags {
    /// No flags.
    pub fn new() -> Self {
        MetaFlags::default()
    }

    /// Appends a flag (checked when the line is encoded).
    pub fn push(&mut self, flag: MetaFlag) -> &mut Self {
        self.0.push(flag);
        self
    }

    /// The flags in wire order.
    pub fn iter(&self) -> std::slice::Iter<'_, MetaFlag> {
        self.0.iter()
    }

    /// How many flags there are.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The first flag with letter `flag`.
    pub fn get(&self, flag: u8) -> Option<&MetaFlag> {
        self.0.iter().find(|f| f.flag == flag)
    }

    /// Whether `flag` is present (with or without a token).
    pub fn has(&self, flag: u8) -> bool {
        self.get(flag).is_some()
    }

    /// The token of `flag`, if it is present and has one.
    pub fn token(&self, flag: u8) -> Option<&Bytes> {
        self.get(flag)?.token.as_ref()
    }

    /// The token of `flag` read as a decimal number, possibly negative
    /// (`t-1` is an item without expiry); `None` if absent or not a number.
    pub fn number(&self, flag: u8) -> Option<i64> {
        std::str::from_utf8(self.token(flag)?).ok()?.parse().ok()
    }

    /// `q`: quiet mode, memcached's noreply semantics (the common answer,
    /// `HD` or `EN` for `mg`, is left out; `mn` marks the end of a batch).
    pub fn quiet(&self) -> bool {
        self.has(b'q')
    }

    /// `b`: the key (and a key returned with `k`) is base64.
    pub fn base64(&self) -> bool {
        self.has(b'b')
    }

    /// `O`: the opaque token, echoed in the answer.
    pub fn opaque(&self) -> Option<&Bytes> {
        self.token(b'O')
    }

    /// Reads the flag words of a line (`words` are the space-separated
    /// tokens after the key or size), refusing more than [`MAX_FLAGS`]
    /// before storing any, and, for a command, a repeated flag.
    pub(crate) fn parse<'a>(
        line: &Bytes,
        words: impl Iterator<Item = &'a [u8]>,
        command: bool,
    ) -> Result<Self, MetaError> {
        let mut flags = Vec::new();
        for word in words {
            if flags.len() == MAX_FLAGS {
                return Err(MetaError::TooManyFlags);
            }
            let flag = MetaFlag {
                flag: word[0],
                token: (word.len() > 1).then(|| line.slice_ref(&word[1..])),
            };
            flag.check()?;
            if command && flags.iter().any(|f: &MetaFlag| f.flag == flag.flag) {
                return Err(MetaError::DuplicateFlag {
                    flag: char::from(flag.flag),
                });
            }
            flags.push(flag);
        }
        Ok(MetaFlags(flags))
    }

    /// Checks the flags as an encoder must ([`MetaFlag`] rules, the count,
    /// no repeats in a command).
    pub(crate) fn check(&self, command: bool) -> Result<(), MetaError> {
        if self.0.len() > MAX_FLAGS {
            return Err(MetaError::TooManyFlags);
        }
        for (i, flag) in self.0.iter().enumerate() {
            flag.check()?;
            if command && self.0[..i].iter().any(|f| f.flag == flag.flag) {
                return Err(MetaError::DuplicateFlag {
                    flag: char::from(flag.flag),
                });
            }
        }
        Ok(())
    }

    /// Appends ` <flag><token>` for every flag.
    pub(crate) fn write(&self, out: &mut BytesMut) {
        for flag in &self.0 {
            out.put_u8(b' ');
            out.put_u8(flag.flag);
            if let Some(token) = &flag.token {
                out.put_slice(token);
            }
        }
    }
}

impl FromIterator<MetaFlag> for MetaFlags {
    fn from_iter<I: IntoIterator<Item = MetaFlag>>(iter: I) -> Self {
        MetaFlags(iter.into_iter().collect())
    }
}

impl<'a> IntoIterator for &'a MetaFlags {
    type Item = &'a MetaFlag;
    type IntoIter = std::slice::Iter<'a, MetaFlag>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

/// A byte allowed in a key or token: printable ASCII or above, not a space.
pub(crate) fn is_token_byte(b: u8) -> bool {
    b > b' ' && b != 0x7f
}
