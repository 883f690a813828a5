//! Messages read in place: the borrowed fast path next to `poll_event`.

use std::ops::ControlFlow;

use bytes::Buf;

use super::receive::is_whole_message;
use super::{State, WsConnection};
use crate::config::Delivery;
use crate::event::WsEvent;
use crate::frame::{parse_header, OpCode};
use crate::mask::apply_mask;
use crate::message::{Message, MessageRef};

impl WsConnection {
    /// Hands every complete single-frame data message already buffered to
    /// `f`, in order, unmasked in place and borrowed from the input buffer,
    /// then drops them from the buffer at once. Returns how many messages
    /// `f` saw. The same messages, limits and UTF-8 checks as
    /// [`poll_event`](wirestate_core::Machine::poll_event), without a
    /// `Bytes` (and its reference count) per message: for small messages
    /// this is the fastest way to read.
    ///
    /// The batch stops when `f` returns [`ControlFlow::Break`] (after the
    /// message it was given), at an incomplete frame, and before anything
    /// that needs the connection's general path: a control frame, a
    /// fragment, a compressed frame, a header or text that breaks a rule, a
    /// frame whose header `poll_event` already took, and every event before
    /// the connection is open or with [`Delivery::Streaming`]. So afterwards
    /// call `poll_event` as usual: it hands out (or fails on) whatever
    /// stopped the batch, answers pings, and returns `None` when the buffer
    /// is empty. The two paths can be mixed freely.
    ///
    /// ```
    /// use std::ops::ControlFlow;
    /// use std::time::Instant;
    /// use wirestate_core::Machine;
    /// use wirestate_websocket::{MessageRef, WsConfig, WsConnection, WsEvent};
    ///
    /// let mut server = WsConnection::accepted_server(WsConfig::default(), None);
    /// // Two masked text frames ("Hi", "yo"), then a ping.
    /// server.handle_input(
    ///     b"\x81\x82\0\0\0\0Hi\x81\x82\x01\x01\x01\x01xn\x89\x80\0\0\0\0",
    ///     Instant::now(),
    /// );
    /// let mut seen = Vec::new();
    /// let count = server.for_each_message(|message| {
    ///     if let MessageRef::Text(text) = message {
    ///         seen.push(text.to_owned());
    ///     }
    ///     ControlFlow::Continue(())
    /// });
    /// assert_eq!((count, seen), (2, vec!["Hi".to_owned(), "yo".to_owned()]));
    /// // The ping stopped the batch: poll_event answers it.
    /// assert!(matches!(server.poll_event(), Some(Ok(WsEvent::Ping(_)))));
    /// assert_eq!(&server.poll_transmit().unwrap()[..], b"\x8a\x00");
    /// ```
    pub fn for_each_message(
        &mut self,
        mut f: impl FnMut(MessageRef<'_>) -> ControlFlow<()>,
    ) -> usize {
        let general_path = !matches!(self.state, State::Open | State::CloseSent)
            || !self.poison.is_healthy()
            || self.config.delivery != Delivery::Whole
            || !self.spill.is_empty();
        if general_path {
            return 0;
        }
        let mut count = 0;
        if self.decoder.current().is_some() {
            let Some(message) = self.finish_started_message() else {
                return 0;
            };
            count = 1;
            if f(message.as_message_ref()).is_break() {
                return count;
            }
        }
        if self.message.is_some() || self.frame_started || !self.decoder.between_frames() {
            return count;
        }
        let max_message = self.config.max_message_size as u64;
        let rules = *self.decoder.rules();
        let input = &mut self.input[..];
        let mut at = 0;
        while let Ok(Some(header)) = parse_header(&input[at..], &rules) {
            // The length was checked against max_frame_size, a usize.
            let start = at + header.header_len;
            let end = start + header.payload_len as usize;
            if !is_whole_message(&header, max_message) || end > input.len() {
                break;
            }
            let payload = &mut input[start..end];
            if let Some(key) = header.mask {
                apply_mask(payload, key, 0);
            }
            let message = match header.opcode {
                OpCode::Text => match simdutf8::basic::from_utf8(payload) {
                    Ok(text) => MessageRef::Text(text),
                    Err(_) => {
                        // Masked again, so `poll_event` finds the frame as
                        // it came and reports the error with its offset.
                        if let Some(key) = header.mask {
                            apply_mask(payload, key, 0);
                        }
                        break;
                    }
                },
                _ => MessageRef::Binary(payload),
            };
            at = end;
            count += 1;
            if f(message).is_break() {
                break;
            }
        }
        self.input.advance(at);
        count
    }

    /// The message of the frame whose header `poll_event` took while its
    /// payload was still arriving, once the frame is complete and a whole
    /// message by itself, finished through the general path (which started
    /// it). `None` otherwise, or when it breaks a rule: the error is then
    /// left for `poll_event`, the connection failed as there.
    fn finish_started_message(&mut self) -> Option<Message> {
        let header = *self.decoder.current()?;
        let complete = self.decoder.payload_missing(self.input.len()) == 0;
        if !complete || !is_whole_message(&header, self.config.max_message_size as u64) {
            return None;
        }
        // A final data frame that arrived whole can only finish its message
        // (an earlier fragment would have failed `start_frame`, which ran
        // when `poll_event` took the header), so no other event is dropped.
        match self.poll_frames()? {
            Ok(WsEvent::Message(message)) => Some(message),
            Ok(_) => None,
            Err(error) => {
                self.poison.fail(error);
                None
            }
        }
    }
}
