//! The data the connection hands to the application: messages, fragments
//! and text that is known to be UTF-8.

use std::fmt;

use bytes::Bytes;

/// Bytes that are known to be valid UTF-8, sharing memory with the input
/// buffer (no copy for received text).
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct Utf8Bytes(Bytes);

impl Utf8Bytes {
    /// Only for bytes the crate validated.
    pub(crate) fn from_validated(bytes: Bytes) -> Self {
        Utf8Bytes(bytes)
    }

    /// Validates `bytes` as UTF-8 without copying them.
    ///
    /// ```
    /// use bytes::Bytes;
    /// use wirestate_websocket::Utf8Bytes;
    /// assert!(Utf8Bytes::try_from_bytes(Bytes::from_static(b"ok")).is_some());
    /// assert!(Utf8Bytes::try_from_bytes(Bytes::from_static(b"\xff")).is_none());
    /// ```
    pub fn try_from_bytes(bytes: Bytes) -> Option<Self> {
        simdutf8::basic::from_utf8(&bytes).ok()?;
        Some(Utf8Bytes(bytes))
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        // Validated on construction, so this never falls back to "".
        std::str::from_utf8(&self.0).unwrap_or_default()
    }

    /// The UTF-8 bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The underlying `Bytes` (cheap).
    pub fn into_bytes(self) -> Bytes {
        self.0
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the text is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Utf8Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for Utf8Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<String> for Utf8Bytes {
    fn from(s: String) -> Self {
        Utf8Bytes(Bytes::from(s))
    }
}

impl From<&'static str> for Utf8Bytes {
    fn from(s: &'static str) -> Self {
        Utf8Bytes(Bytes::from_static(s.as_bytes()))
    }
}

impl PartialEq<str> for Utf8Bytes {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Utf8Bytes {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

/// A complete data message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// A text message (validated UTF-8).
    Text(Utf8Bytes),
    /// A binary message.
    Binary(Bytes),
}

impl Message {
    /// The payload bytes, whatever the type.
    pub fn payload(&self) -> &[u8] {
        match self {
            Message::Text(t) => t.as_bytes(),
            Message::Binary(b) => b,
        }
    }

    /// A borrowed view, as
    /// [`WsConnection::for_each_message`](crate::WsConnection::for_each_message)
    /// hands out.
    pub fn as_message_ref(&self) -> MessageRef<'_> {
        match self {
            Message::Text(t) => MessageRef::Text(t.as_str()),
            Message::Binary(b) => MessageRef::Binary(b),
        }
    }
}

/// A complete data message borrowed from the connection's input buffer, as
/// [`WsConnection::for_each_message`](crate::WsConnection::for_each_message)
/// hands it out: valid for the call of the closure only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageRef<'a> {
    /// A text message (validated UTF-8).
    Text(&'a str),
    /// A binary message.
    Binary(&'a [u8]),
}

impl<'a> MessageRef<'a> {
    /// The payload bytes, whatever the type.
    pub fn payload(&self) -> &'a [u8] {
        match self {
            MessageRef::Text(text) => text.as_bytes(),
            MessageRef::Binary(bytes) => bytes,
        }
    }

    /// An owned copy, for keeping past the closure.
    pub fn to_message(&self) -> Message {
        match self {
            MessageRef::Text(text) => {
                Message::Text(Utf8Bytes(Bytes::copy_from_slice(text.as_bytes())))
            }
            MessageRef::Binary(bytes) => Message::Binary(Bytes::copy_from_slice(bytes)),
        }
    }
}

/// Text or binary: the type of a (possibly fragmented) data message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataKind {
    /// UTF-8 text.
    Text,
    /// Arbitrary bytes.
    Binary,
}

/// One data frame, delivered as it arrives in streaming mode
/// ([`Delivery::Streaming`](crate::Delivery::Streaming)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fragment {
    /// The message type (from the message's first frame).
    pub kind: DataKind,
    /// The frame payload. For text, the bytes so far are valid UTF-8 except
    /// that a code point may continue in the next fragment.
    pub payload: Bytes,
    /// Whether this is the last fragment of the message.
    pub fin: bool,
}
