//! Acknowledgements: the received chunk-stream bytes are acknowledged at
//! every multiple of the peer's WindowAckSize.

use super::{RtmpConnection, MIN_ACK_WINDOW};
use crate::message::Message;

impl RtmpConnection {
    /// Acknowledges every window boundary the decoder has passed.
    pub(super) fn acknowledge(&mut self) {
        if self.ack_window == 0 {
            return;
        }
        let consumed = self.decoder.bytes_consumed();
        while consumed >= self.next_ack {
            let sequence = self.next_ack;
            self.send_control(Message::Acknowledgement(sequence as u32));
            self.last_ack = sequence;
            self.next_ack = sequence + u64::from(self.ack_window);
        }
    }

    pub(super) fn set_ack_window(&mut self, window: u32) {
        self.ack_window = window.max(MIN_ACK_WINDOW);
        let consumed = self.decoder.bytes_consumed();
        if consumed - self.last_ack >= u64::from(self.ack_window) {
            // Already past the new window: acknowledge what arrived, once.
            self.send_control(Message::Acknowledgement(consumed as u32));
            self.last_ack = consumed;
        }
        self.next_ack = self.last_ack + u64::from(self.ack_window);
    }
}
