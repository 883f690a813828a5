//! Close codes and close frame payloads (RFC 6455 §5.5.1, §7.4).

use bytes::{BufMut, Bytes, BytesMut};

use crate::error::{LocalError, ProtocolViolation, WsError};
use crate::utf8::Utf8Validator;
use crate::Utf8Bytes;

/// A close code and reason, from a received close frame or for one to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloseFrame {
    /// The status code (1000 normal closure, 1001 going away, ...).
    pub code: u16,
    /// The reason text, at most 123 bytes of UTF-8.
    pub reason: Utf8Bytes,
}

/// Whether `code` may appear in a close frame on the wire: 1000-1003,
/// 1007-1014 and 3000-4999.
///
/// ```
/// use wirestate_websocket::is_valid_close_code;
/// assert!(is_valid_close_code(1000));
/// assert!(!is_valid_close_code(1005)); // "no status" is never sent
/// assert!(is_valid_close_code(4001));
/// ```
pub fn is_valid_close_code(code: u16) -> bool {
    matches!(code, 1000..=1003 | 1007..=1014 | 3000..=4999)
}

/// Parses a received close payload: empty, or a valid code plus a UTF-8
/// reason.
pub(crate) fn parse_close_payload(payload: &Bytes) -> Result<Option<CloseFrame>, WsError> {
    match payload.len() {
        0 => Ok(None),
        1 => Err(ProtocolViolation::CloseOneByte.into()),
        _ => {
            let code = u16::from_be_bytes([payload[0], payload[1]]);
            if !is_valid_close_code(code) {
                return Err(ProtocolViolation::InvalidCloseCode(code).into());
            }
            let reason = payload.slice(2..);
            let mut validator = Utf8Validator::default();
            validator
                .feed(&reason)
                .and_then(|()| validator.finish())
                .map_err(|e| WsError::InvalidUtf8 { offset: e.offset })?;
            Ok(Some(CloseFrame {
                code,
                reason: Utf8Bytes::from_validated(reason),
            }))
        }
    }
}

/// Checks a close frame the application wants to send and encodes its
/// payload.
pub(crate) fn encode_close_payload(close: Option<&CloseFrame>) -> Result<Bytes, LocalError> {
    let Some(close) = close else {
        return Ok(Bytes::new());
    };
    if !is_valid_close_code(close.code) {
        return Err(LocalError::InvalidCloseCode(close.code));
    }
    if close.reason.len() > 123 {
        return Err(LocalError::CloseReasonTooLong(close.reason.len()));
    }
    let mut out = BytesMut::with_capacity(2 + close.reason.len());
    out.put_u16(close.code);
    out.put_slice(close.reason.as_bytes());
    Ok(out.freeze())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn close_code_table() {
        let valid = [
            1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999,
            4000, 4999,
        ];
        let invalid = [
            0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535,
        ];
        for code in valid {
            assert!(is_valid_close_code(code), "{code}");
            let payload = Bytes::from(code.to_be_bytes().to_vec());
            assert_eq!(parse_close_payload(&payload).unwrap().unwrap().code, code);
        }
        for code in invalid {
            assert!(!is_valid_close_code(code), "{code}");
            let payload = Bytes::from(code.to_be_bytes().to_vec());
            assert_eq!(
                parse_close_payload(&payload),
                Err(ProtocolViolation::InvalidCloseCode(code).into())
            );
        }
    }

    #[test]
    fn close_payload_shapes() {
        assert_eq!(parse_close_payload(&Bytes::new()), Ok(None));
        assert_eq!(
            parse_close_payload(&Bytes::from_static(b"\x03")),
            Err(ProtocolViolation::CloseOneByte.into())
        );
        let ok = parse_close_payload(&Bytes::from_static(b"\x03\xe8bye \xe2\x9c\x93"))
            .unwrap()
            .unwrap();
        assert_eq!((ok.code, ok.reason.as_str()), (1000, "bye ✓"));
        assert_eq!(
            parse_close_payload(&Bytes::from_static(b"\x03\xe8ok\xff")),
            Err(WsError::InvalidUtf8 { offset: 2 })
        );
        // A reason ending inside a code point is invalid too.
        assert_eq!(
            parse_close_payload(&Bytes::from_static(b"\x03\xe8\xe2\x9c")),
            Err(WsError::InvalidUtf8 { offset: 0 })
        );
    }

    #[test]
    fn local_close_checks() {
        let frame = |code, reason: &str| CloseFrame {
            code,
            reason: Utf8Bytes::from(reason.to_string()),
        };
        assert_eq!(encode_close_payload(None).unwrap(), Bytes::new());
        assert_eq!(
            &encode_close_payload(Some(&frame(1000, "ok"))).unwrap()[..],
            b"\x03\xe8ok"
        );
        assert_eq!(
            encode_close_payload(Some(&frame(1005, ""))),
            Err(LocalError::InvalidCloseCode(1005))
        );
        let long = "x".repeat(124);
        assert_eq!(
            encode_close_payload(Some(&frame(1000, &long))),
            Err(LocalError::CloseReasonTooLong(124))
        );
    }
}
