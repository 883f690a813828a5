//! What ends a line, and how to find it quickly.

use bytes::Bytes;
use memchr::memmem;

use crate::error::ConfigError;

/// What ends a line.
///
/// | constructor | matches | search |
/// |---|---|---|
/// | [`Delimiter::lf`] | `\n`, and `\r\n` (the CR belongs to the delimiter) | 64-byte blocks at once, then `memchr` |
/// | [`Delimiter::crlf`] | `\r\n` only; a bare `\n` is ordinary data | `memchr` + look-behind |
/// | [`Delimiter::byte`] | one chosen byte (Erlang's `line_delimiter`) | `memchr` |
/// | [`Delimiter::any_of`] | any one of up to three bytes | `memchr2` / `memchr3` |
/// | [`Delimiter::sequence`] | a byte sequence such as `b"\0\0"` or `b"--end--"` | `memchr::memmem` |
///
/// ```
/// use wirestate_lines::Delimiter;
/// let lf = Delimiter::lf();
/// assert_eq!(lf.encoded(), "\n");
/// let nul_nul = Delimiter::sequence(b"\0\0").unwrap();
/// assert_eq!(nul_nul.encoded(), &b"\0\0"[..]);
/// assert!(Delimiter::any_of(b"").is_err());
/// ```
#[derive(Clone, Debug)]
pub struct Delimiter {
    finder: Finder,
    encoded: Bytes,
}

#[derive(Clone, Debug)]
enum Finder {
    Lf,
    CrLf,
    One(u8),
    Two(u8, u8),
    Three(u8, u8, u8),
    Sequence(Box<memmem::Finder<'static>>),
}

/// Where a delimiter was found, as offsets from the start of the line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Match {
    /// Length of the line without its delimiter.
    pub content: usize,
    /// Bytes before the delimiter as counted against the length limit. The
    /// same as `content`, except for [`Delimiter::lf`], where a CR before the
    /// LF counts (it is only known to be part of the delimiter once the LF is
    /// there, and tokio-util's `LinesCodec` counts it too).
    pub counted: usize,
    /// Length of the line including its delimiter.
    pub end: usize,
}

impl Delimiter {
    /// `\n`, with an optional `\r` before it treated as part of the delimiter:
    /// accepts both `\n` and `\r\n`. Encodes as `\n` (see
    /// [`LineConfig::encode_delimiter`](crate::LineConfig::encode_delimiter)
    /// to send `\r\n`).
    pub fn lf() -> Self {
        Delimiter {
            finder: Finder::Lf,
            encoded: Bytes::from_static(b"\n"),
        }
    }

    /// Strictly `\r\n`: a lone `\n` or `\r` is part of the line.
    pub fn crlf() -> Self {
        Delimiter {
            finder: Finder::CrLf,
            encoded: Bytes::from_static(b"\r\n"),
        }
    }

    /// A single byte, any value (Erlang's `{line_delimiter, Char}`).
    pub fn byte(byte: u8) -> Self {
        if byte == b'\n' {
            // Same search, but without the CR look-behind of `lf()`.
            return Delimiter {
                finder: Finder::One(b'\n'),
                encoded: Bytes::from_static(b"\n"),
            };
        }
        Delimiter {
            finder: Finder::One(byte),
            encoded: Bytes::copy_from_slice(&[byte]),
        }
    }

    /// Any one of one to three bytes ends a line; encodes with the first.
    ///
    /// # Errors
    ///
    /// [`ConfigError::BadDelimiter`] for an empty set or more than three bytes.
    pub fn any_of(bytes: &[u8]) -> Result<Self, ConfigError> {
        let finder = match *bytes {
            [a] => Finder::One(a),
            [a, b] => Finder::Two(a, b),
            [a, b, c] => Finder::Three(a, b, c),
            _ => return Err(ConfigError::BadDelimiter("any_of takes one to three bytes")),
        };
        Ok(Delimiter {
            finder,
            encoded: Bytes::copy_from_slice(&bytes[..1]),
        })
    }

    /// A byte sequence ends a line. `b"\r\n"` is the same as [`Delimiter::crlf`]
    /// and a one-byte sequence the same as [`Delimiter::byte`].
    ///
    /// # Errors
    ///
    /// [`ConfigError::BadDelimiter`] for an empty sequence.
    pub fn sequence(bytes: &[u8]) -> Result<Self, ConfigError> {
        match bytes {
            [] => Err(ConfigError::BadDelimiter("empty delimiter sequence")),
            [b] => Ok(Delimiter::byte(*b)),
            b"\r\n" => Ok(Delimiter::crlf()),
            _ => Ok(Delimiter {
                finder: Finder::Sequence(Box::new(memmem::Finder::new(bytes).into_owned())),
                encoded: Bytes::copy_from_slice(bytes),
            }),
        }
    }

    /// The bytes written after each line by the encoder.
    pub fn encoded(&self) -> &Bytes {
        &self.encoded
    }

    pub(crate) fn set_encoded(&mut self, encoded: Bytes) -> Result<(), ConfigError> {
        if self.find(&encoded, 0)
            != Some(Match {
                content: 0,
                counted: self.counted_len_of(&encoded),
                end: encoded.len(),
            })
        {
            return Err(ConfigError::BadDelimiter(
                "the encode delimiter is not exactly one delimiter match",
            ));
        }
        self.encoded = encoded;
        Ok(())
    }

    fn counted_len_of(&self, encoded: &[u8]) -> usize {
        match self.finder {
            Finder::Lf => encoded.len() - 1,
            _ => 0,
        }
    }

    /// The longest delimiter, in bytes counted by the length limit: a line is
    /// known to be too long once `max + counted_len` bytes hold no delimiter.
    #[inline]
    pub(crate) fn counted_len(&self) -> usize {
        match &self.finder {
            Finder::Lf | Finder::One(_) | Finder::Two(..) | Finder::Three(..) => 1,
            Finder::CrLf => 2,
            Finder::Sequence(f) => f.needle().len(),
        }
    }

    /// How many bytes at the end of a searched region may be the start of a
    /// delimiter completed by later bytes, so must be searched again (or kept
    /// while discarding).
    #[inline]
    pub(crate) fn overlap(&self) -> usize {
        match &self.finder {
            // The search looks for the LF and looks back for the CR.
            Finder::Lf | Finder::One(_) | Finder::Two(..) | Finder::Three(..) => 0,
            Finder::CrLf => 1,
            Finder::Sequence(f) => f.needle().len() - 1,
        }
    }

    /// Whether this is [`Delimiter::lf`].
    pub(crate) fn is_lf(&self) -> bool {
        matches!(self.finder, Finder::Lf)
    }

    /// Whether a trailing CR at EOF is stripped like the CR of a `\r\n`.
    pub(crate) fn strips_cr(&self) -> bool {
        matches!(self.finder, Finder::Lf)
    }

    /// The first delimiter in `hay` that ends at or after `from` (no delimiter
    /// ends before `from`: the caller searched there already).
    #[inline]
    pub(crate) fn find(&self, hay: &[u8], from: usize) -> Option<Match> {
        let simple = |i: Option<usize>| {
            let at = from + i?;
            Some(Match {
                content: at,
                counted: at,
                end: at + 1,
            })
        };
        let rest = hay.get(from..)?;
        match &self.finder {
            Finder::Lf => {
                let at = from + find_lf(rest)?;
                let content = if at > 0 && hay[at - 1] == b'\r' {
                    at - 1
                } else {
                    at
                };
                Some(Match {
                    content,
                    counted: at,
                    end: at + 1,
                })
            }
            Finder::CrLf => {
                // Every LF is looked at once; a bare LF is data.
                let mut start = from.max(1);
                loop {
                    let at = start + find_lf(hay.get(start..)?)?;
                    if hay[at - 1] == b'\r' {
                        return Some(Match {
                            content: at - 1,
                            counted: at - 1,
                            end: at + 1,
                        });
                    }
                    start = at + 1;
                }
            }
            Finder::One(a) => simple(memchr::memchr(*a, rest)),
            Finder::Two(a, b) => simple(memchr::memchr2(*a, *b, rest)),
            Finder::Three(a, b, c) => simple(memchr::memchr3(*a, *b, *c, rest)),
            Finder::Sequence(f) => {
                let at = from + f.find(rest)?;
                Some(Match {
                    content: at,
                    counted: at,
                    end: at + f.needle().len(),
                })
            }
        }
    }
}

/// `memchr(b'\n', hay)` without the per-call CPU feature dispatch on x86_64
/// (it matters for short lines, where the call is most of the search).
#[inline]
fn find_lf(hay: &[u8]) -> Option<usize> {
    #[cfg(target_arch = "x86_64")]
    {
        static AVX2: std::sync::OnceLock<Option<memchr::arch::x86_64::avx2::memchr::One>> =
            std::sync::OnceLock::new();
        if let Some(one) = AVX2.get_or_init(|| memchr::arch::x86_64::avx2::memchr::One::new(b'\n'))
        {
            return one.find(hay);
        }
    }
    memchr::memchr(b'\n', hay)
}

impl Default for Delimiter {
    /// [`Delimiter::lf`].
    fn default() -> Self {
        Delimiter::lf()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(content: usize, counted: usize, end: usize) -> Option<Match> {
        Some(Match {
            content,
            counted,
            end,
        })
    }

    #[test]
    fn finds_the_first_delimiter_of_each_kind() {
        let seq = Delimiter::sequence(b"<>").unwrap();
        let cases: &[(Delimiter, &[u8], usize, Option<Match>)] = &[
            (Delimiter::lf(), b"ab\ncd\n", 0, m(2, 2, 3)),
            (Delimiter::lf(), b"ab\r\n", 0, m(2, 3, 4)),
            (Delimiter::lf(), b"\n", 0, m(0, 0, 1)),
            (Delimiter::lf(), b"\r\n", 0, m(0, 1, 2)),
            (Delimiter::lf(), b"ab\r", 0, None),
            // Resuming after the CR still sees it.
            (Delimiter::lf(), b"ab\r\n", 3, m(2, 3, 4)),
            (Delimiter::crlf(), b"a\nb\r\n", 0, m(3, 3, 5)),
            (Delimiter::crlf(), b"\n\r\n", 0, m(1, 1, 3)),
            (Delimiter::crlf(), b"ab\r", 0, None),
            (Delimiter::crlf(), b"ab\r\n", 3, m(2, 2, 4)),
            (Delimiter::byte(0), b"ab\0", 0, m(2, 2, 3)),
            (Delimiter::byte(b'\n'), b"a\r\n", 0, m(2, 2, 3)),
            (Delimiter::any_of(b",;").unwrap(), b"ab;c,", 0, m(2, 2, 3)),
            (Delimiter::any_of(b",;|").unwrap(), b"ab|", 0, m(2, 2, 3)),
            (seq.clone(), b"a<b<>", 0, m(3, 3, 5)),
            (seq.clone(), b"a<b<>", 3, m(3, 3, 5)),
            (seq, b"a<", 0, None),
        ];
        for (i, (delimiter, hay, from, expected)) in cases.iter().enumerate() {
            assert_eq!(delimiter.find(hay, *from), *expected, "case {i}");
        }
    }

    #[test]
    fn rejects_bad_configurations() {
        assert!(Delimiter::any_of(b"").is_err());
        assert!(Delimiter::any_of(b"abcd").is_err());
        assert!(Delimiter::sequence(b"").is_err());
        let mut lf = Delimiter::lf();
        assert!(lf.set_encoded(Bytes::from_static(b"\r\n")).is_ok());
        assert!(lf.set_encoded(Bytes::from_static(b"\r")).is_err());
        assert!(lf.set_encoded(Bytes::from_static(b"\n\n")).is_err());
        let mut set = Delimiter::any_of(b",;").unwrap();
        assert!(set.set_encoded(Bytes::from_static(b";")).is_ok());
        assert!(set.set_encoded(Bytes::from_static(b".")).is_err());
    }
}
