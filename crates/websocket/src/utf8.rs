//! Incremental UTF-8 validation across frames and partial reads.
//!
//! A text message may be cut anywhere: between frames, and between reads of
//! one frame. The validator keeps the (at most 3) bytes of a code point that
//! is not complete yet and fails at the first byte that can never be part of
//! valid UTF-8, without waiting for the end of the message.

/// Validates a stream of bytes as UTF-8, piece by piece.
#[derive(Debug, Clone, Default)]
pub(crate) struct Utf8Validator {
    /// Bytes of an incomplete code point carried over from the last piece.
    pending: [u8; 4],
    pending_len: u8,
    /// Bytes validated so far (for error offsets).
    seen: u64,
}

/// Where invalid UTF-8 was found: the offset in the whole message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Utf8Error {
    pub offset: u64,
}

impl Utf8Validator {
    /// Validates the next piece. An incomplete code point at its end is kept
    /// for the next piece.
    ///
    /// # Errors
    ///
    /// The offset of the first invalid byte within the message.
    pub fn feed(&mut self, mut data: &[u8]) -> Result<(), Utf8Error> {
        if self.pending_len > 0 {
            // Complete the carried code point first, one byte at a time.
            while self.pending_len > 0 && !data.is_empty() {
                self.pending[self.pending_len as usize] = data[0];
                self.pending_len += 1;
                data = &data[1..];
                let candidate = &self.pending[..self.pending_len as usize];
                match simdutf8::compat::from_utf8(candidate) {
                    Ok(_) => {
                        self.seen += u64::from(self.pending_len);
                        self.pending_len = 0;
                    }
                    Err(e) if e.error_len().is_some() => {
                        return Err(Utf8Error {
                            offset: self.seen + e.valid_up_to() as u64,
                        })
                    }
                    Err(_) => {} // still incomplete (at most 4 bytes)
                }
            }
            if self.pending_len > 0 {
                return Ok(());
            }
        }
        match simdutf8::compat::from_utf8(data) {
            Ok(_) => {
                self.seen += data.len() as u64;
                Ok(())
            }
            Err(e) => {
                let valid = e.valid_up_to();
                match e.error_len() {
                    Some(_) => Err(Utf8Error {
                        offset: self.seen + valid as u64,
                    }),
                    None => {
                        // A code point that is incomplete but valid so far.
                        let tail = &data[valid..];
                        self.pending[..tail.len()].copy_from_slice(tail);
                        self.pending_len = tail.len() as u8;
                        self.seen += valid as u64;
                        Ok(())
                    }
                }
            }
        }
    }

    /// Ends the message.
    ///
    /// # Errors
    ///
    /// A code point left incomplete at the end of the message.
    pub fn finish(&mut self) -> Result<(), Utf8Error> {
        let result = if self.pending_len > 0 {
            Err(Utf8Error { offset: self.seen })
        } else {
            Ok(())
        };
        *self = Utf8Validator::default();
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split_everywhere(input: &[u8]) -> Vec<Result<(), Utf8Error>> {
        (0..=input.len())
            .map(|cut| {
                let mut v = Utf8Validator::default();
                v.feed(&input[..cut])?;
                v.feed(&input[cut..])?;
                v.finish()
            })
            .collect()
    }

    #[test]
    fn valid_text_split_at_every_byte_is_valid() {
        let text = "héllo wörld — 你好, мир 🌍🚀".as_bytes();
        for (cut, r) in split_everywhere(text).into_iter().enumerate() {
            assert_eq!(r, Ok(()), "cut {cut}");
        }
    }

    #[test]
    fn invalid_sequences_fail_at_every_split() {
        // (input, offset of the first bad byte's code point)
        let cases: &[(&[u8], u64)] = &[
            (b"ab\xffcd", 2),
            (
                b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80edited",
                11,
            ), // surrogate
            (b"\xf4\x90\x80\x80", 0), // > U+10FFFF
            (b"\xc0\xaf", 0),         // overlong
            (b"x\xe0\x80\xaf", 1),    // overlong 3-byte
        ];
        for (input, offset) in cases {
            for (cut, r) in split_everywhere(input).into_iter().enumerate() {
                assert_eq!(
                    r,
                    Err(Utf8Error { offset: *offset }),
                    "{input:x?} cut {cut}"
                );
            }
        }
    }

    #[test]
    fn fails_fast_before_the_message_ends() {
        let mut v = Utf8Validator::default();
        assert!(v.feed(b"\xce\xba\xe1").is_ok()); // incomplete, not wrong yet
        assert_eq!(v.feed(b"\x28"), Err(Utf8Error { offset: 2 }));
    }

    #[test]
    fn incomplete_code_point_at_the_end_fails_only_at_finish() {
        let mut v = Utf8Validator::default();
        assert!(v.feed(b"ok\xf0\x9f\x8c").is_ok());
        assert_eq!(v.finish(), Err(Utf8Error { offset: 2 }));
        // finish resets: the validator is ready for the next message.
        assert!(v.feed(b"fine").is_ok());
        assert!(v.finish().is_ok());
    }
}
