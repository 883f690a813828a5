//! Meta lines to send: commands for a client, answers for a server. Each
//! `to_line` gives the line without its `\r\n`, ready for
//! [`LineConnection::send_line`](crate::LineConnection::send_line) (with an
//! `\r\n` encode delimiter); a data block goes after it with
//! [`send_raw`](crate::LineConnection::send_raw), then `\r\n`.

use bytes::{BufMut, Bytes, BytesMut};

use super::flags::is_token_byte;
use super::meta::check_key;
use super::{MetaCommand, MetaError, MetaFlags, MetaReply, MAX_DATA_LEN};

/// `code key [len] flags*`, checked.
fn keyed(
    code: &[u8],
    key: &[u8],
    len: Option<usize>,
    flags: &MetaFlags,
) -> Result<Bytes, MetaError> {
    check_key(key, flags)?;
    flags.check(true)?;
    let mut out = BytesMut::new();
    out.put_slice(code);
    out.put_u8(b' ');
    out.put_slice(key);
    if let Some(len) = len {
        out.put_slice(format!(" {len}").as_bytes());
    }
    flags.write(&mut out);
    Ok(out.freeze())
}

/// `code flags*`, checked.
fn coded(code: &[u8], flags: &MetaFlags) -> Result<Bytes, MetaError> {
    flags.check(false)?;
    let mut out = BytesMut::new();
    out.put_slice(code);
    flags.write(&mut out);
    Ok(out.freeze())
}

fn check_len(len: usize) -> Result<usize, MetaError> {
    (len <= MAX_DATA_LEN)
        .then_some(len)
        .ok_or(MetaError::BadDataLength)
}

impl MetaCommand {
    /// The command line, without `\r\n`. After `ms`, send the
    /// `data_len` bytes of the value and `\r\n`.
    ///
    /// ```
    /// use std::time::Instant;
    /// use wirestate_core::Machine;
    /// use wirestate_lines::memcached::{MetaCommand, MetaFlag};
    /// use wirestate_lines::{LineConfig, LineConnection};
    ///
    /// let mut lines = LineConnection::new(LineConfig::default().encode_delimiter("\r\n")?);
    /// let value = bytes::Bytes::from_static(b"hi\r\n");
    /// let set = MetaCommand::Set {
    ///     key: "foo".into(),
    ///     data_len: value.len(),
    ///     flags: [MetaFlag::with_token(b'T', "90"), MetaFlag::new(b'q')].into_iter().collect(),
    /// };
    /// lines.send_line(set.to_line()?)?;
    /// lines.send_raw(value);
    /// lines.send_raw("\r\n");
    /// lines.send_line(MetaCommand::Noop.to_line()?)?;
    /// let wire: Vec<u8> = std::iter::from_fn(|| lines.poll_transmit()).flatten().collect();
    /// assert_eq!(wire, b"ms foo 4 T90 q\r\nhi\r\n\r\nmn\r\n");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`MetaError`] if the key, the length or a flag breaks a rule or a
    /// limit (the same checks as [`parse`](MetaCommand::parse)).
    pub fn to_line(&self) -> Result<Bytes, MetaError> {
        match self {
            MetaCommand::Get { key, flags } => keyed(b"mg", key, None, flags),
            MetaCommand::Set {
                key,
                data_len,
                flags,
            } => keyed(b"ms", key, Some(check_len(*data_len)?), flags),
            MetaCommand::Delete { key, flags } => keyed(b"md", key, None, flags),
            MetaCommand::Arithmetic { key, flags } => keyed(b"ma", key, None, flags),
            MetaCommand::Debug { key, flags } => keyed(b"me", key, None, flags),
            MetaCommand::Noop => Ok(Bytes::from_static(b"mn")),
        }
    }
}

impl MetaReply {
    /// The answer line, without `\r\n`. After `VA`, send the `size` bytes
    /// of the value and `\r\n`.
    ///
    /// ```
    /// use wirestate_lines::memcached::{MetaFlag, MetaReply};
    ///
    /// let flags = [MetaFlag::with_token(b'f', "30"), MetaFlag::with_token(b'O', "7")].into_iter().collect();
    /// assert_eq!(MetaReply::Value { size: 2, flags }.to_line()?, "VA 2 f30 O7");
    /// assert_eq!(MetaReply::Miss(Default::default()).to_line()?, "EN");
    /// assert_eq!(MetaReply::ServerError("out of memory".into()).to_line()?, "SERVER_ERROR out of memory");
    /// # Ok::<(), wirestate_lines::memcached::MetaError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`MetaError`] if the size or a flag breaks a rule or a limit, or an
    /// error message or debug line holds a line break.
    pub fn to_line(&self) -> Result<Bytes, MetaError> {
        match self {
            MetaReply::Value { size, flags } => {
                coded(format!("VA {}", check_len(*size)?).as_bytes(), flags)
            }
            MetaReply::Header(flags) => coded(b"HD", flags),
            MetaReply::Miss(flags) => coded(b"EN", flags),
            MetaReply::NotFound(flags) => coded(b"NF", flags),
            MetaReply::NotStored(flags) => coded(b"NS", flags),
            MetaReply::Exists(flags) => coded(b"EX", flags),
            MetaReply::Debug { key, info } => {
                if key.is_empty() || !key.iter().all(|&b| is_token_byte(b)) {
                    return Err(MetaError::BadKey);
                }
                match info.is_empty() {
                    true => text_line(&[b"ME ", key]),
                    false => text_line(&[b"ME ", key, b" ", info]),
                }
            }
            MetaReply::Noop => Ok(Bytes::from_static(b"MN")),
            MetaReply::Error => Ok(Bytes::from_static(b"ERROR")),
            MetaReply::ClientError(message) => text_line(&[b"CLIENT_ERROR ", message]),
            MetaReply::ServerError(message) => text_line(&[b"SERVER_ERROR ", message]),
        }
    }
}

/// The parts joined, refused if they hold a line break.
fn text_line(parts: &[&[u8]]) -> Result<Bytes, MetaError> {
    if parts
        .iter()
        .any(|p| p.contains(&b'\r') || p.contains(&b'\n'))
    {
        return Err(MetaError::BadMessage);
    }
    Ok(parts.concat().into())
}
