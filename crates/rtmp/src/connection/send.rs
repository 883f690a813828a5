//! Sending: messages encoded into chunks (shared between connections or
//! not), held until the handshake completes, and the local close.

use super::RtmpConnection;
use crate::chunk::{EncodeError, RawMessage, SharedChunks};
use crate::message::Message;
use crate::{LocalError, Outgoing};

impl RtmpConnection {
    /// Sends `message` on message stream `stream_id` with `timestamp`, on
    /// the conventional chunk stream ([`Outgoing::new`]). Drain
    /// [`poll_transmit`](wirestate_core::Machine::poll_transmit) next.
    ///
    /// Sending SetChunkSize also switches this side's chunk size, right after
    /// that message; sending WindowAckSize records the announced window.
    /// Messages sent before the handshake completes go out after it.
    ///
    /// ```
    /// use wirestate_core::{Machine, SeededRandom};
    /// use wirestate_rtmp::message::Message;
    /// use wirestate_rtmp::RtmpConnection;
    ///
    /// let mut client = RtmpConnection::client(SeededRandom::new(1));
    /// let c0c1 = client.poll_transmit().unwrap();
    /// assert_eq!(c0c1.len(), 1 + 1536);
    /// // Held until the handshake completes, then sent in order.
    /// client.send(0, 0, Message::SetChunkSize(4096))?;
    /// assert!(client.poll_transmit().is_none());
    /// assert_eq!(client.chunk_size(), 4096);
    /// # Ok::<(), wirestate_rtmp::LocalError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`LocalError::Closed`] after [`close`](Self::close) or a fatal error;
    /// [`LocalError::Encode`] for a message the encoder cannot send (a chunk
    /// size of 0 or above 2^31 - 1, a payload longer than 2^24 - 1 bytes).
    /// Nothing is sent then.
    pub fn send(
        &mut self,
        stream_id: u32,
        timestamp: u32,
        message: Message,
    ) -> Result<(), LocalError> {
        self.send_outgoing(Outgoing::new(stream_id, timestamp, message))
    }

    /// Sends a message on the chunk stream it names, like
    /// [`send`](Self::send).
    ///
    /// # Errors
    ///
    /// As [`send`](Self::send); also [`LocalError::Encode`] for a chunk
    /// stream id outside 2 to 65599.
    pub fn send_outgoing(&mut self, outgoing: Outgoing) -> Result<(), LocalError> {
        self.send_chunks(outgoing, None)
    }

    /// Sends a message like [`send_outgoing`](Self::send_outgoing), with
    /// its chunks shared with the other connections that send it (see
    /// [`SharedChunks`]): the bytes sent are the same either way.
    ///
    /// # Errors
    ///
    /// As [`send_outgoing`](Self::send_outgoing).
    pub fn send_shared(
        &mut self,
        outgoing: Outgoing,
        shared: &SharedChunks,
    ) -> Result<(), LocalError> {
        self.send_chunks(outgoing, Some(shared))
    }

    /// Encodes a message into the transmit queue (or, before the handshake
    /// completes, into the queue held for after it).
    fn send_chunks(
        &mut self,
        outgoing: Outgoing,
        shared: Option<&SharedChunks>,
    ) -> Result<(), LocalError> {
        if self.is_dead() {
            return Err(LocalError::Closed);
        }
        let new_chunk_size = match outgoing.message {
            Message::SetChunkSize(size) => {
                if size == 0 || size > crate::chunk::MAX_CHUNK_SIZE {
                    return Err(EncodeError::InvalidChunkSize(size).into());
                }
                Some(size)
            }
            _ => None,
        };
        let raw = RawMessage {
            csid: outgoing.csid,
            timestamp: outgoing.timestamp,
            type_id: outgoing.message.type_id(),
            stream_id: outgoing.stream_id,
            payload: outgoing.message.encode_payload(),
        };
        let out = if self.handshake.is_none() {
            &mut self.out
        } else {
            &mut self.held
        };
        match shared {
            Some(shared) => self.encoder.encode_shared(&raw, shared, out)?,
            None => self.encoder.encode(&raw, out)?,
        }
        if let Some(size) = new_chunk_size {
            self.encoder.set_chunk_size(size)?;
        }
        if let Message::WindowAckSize(size) = outgoing.message {
            self.announced_window = Some(size);
        }
        Ok(())
    }

    /// Stops the connection: input is ignored, sends fail, and
    /// [`is_closed`](wirestate_core::Machine::is_closed) turns true (once no bytes wait
    /// under the send-stall timer). Transmits already queued can still be
    /// drained.
    pub fn close(&mut self) {
        self.closed_locally = true;
    }

    /// Queues one protocol control message on chunk stream 2.
    pub(super) fn send_control(&mut self, message: Message) {
        // Control messages are small and valid by construction.
        let _ = self.send_outgoing(Outgoing::new(0, 0, message));
    }
}
