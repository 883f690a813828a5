//! Aggregate messages (type 22): several audio, video or data messages in
//! one, as FLV tags.
//!
//! ```text
//! type:u8 size:u24 timestamp:u24 timestamp_ext:u8 stream_id:u24 body[size] back_pointer:u32
//! ```
//!
//! The sub-messages' timestamps are rebased: the first one takes the
//! aggregate's timestamp, the others keep their offset from the first.

use bytes::{BufMut, Bytes, BytesMut};

use super::MessageError;
use crate::chunk::RawMessage;

/// The FLV tag header plus back pointer around each sub-message.
const TAG_OVERHEAD: usize = 11 + 4;

/// Splits an aggregate message into its sub-messages, which share its chunk
/// stream id and message stream id. Payloads are slices of the aggregate's,
/// not copies.
///
/// ```
/// use bytes::Bytes;
/// use wirestate_rtmp::chunk::RawMessage;
/// use wirestate_rtmp::message::{encode_aggregate, split_aggregate};
///
/// let parts = [(8u8, 100u32, Bytes::from_static(b"\xaf\x01a")), (9, 140, Bytes::from_static(b"\x27\x01v"))];
/// let payload = encode_aggregate(&parts).unwrap();
/// let aggregate = RawMessage { csid: 4, timestamp: 5000, type_id: 22, stream_id: 1, payload };
/// let subs = split_aggregate(&aggregate).unwrap();
/// assert_eq!((subs[0].type_id, subs[0].timestamp), (8, 5000));
/// assert_eq!((subs[1].type_id, subs[1].timestamp, &subs[1].payload[..]), (9, 5040, &b"\x27\x01v"[..]));
/// ```
///
/// # Errors
///
/// [`MessageError::BadAggregate`] if a sub-message is truncated.
pub fn split_aggregate(aggregate: &RawMessage) -> Result<Vec<RawMessage>, MessageError> {
    let payload = &aggregate.payload;
    let mut at = 0;
    let mut first_timestamp = None;
    let mut out = Vec::new();
    while at < payload.len() {
        let Some(tag) = payload.get(at..at + 11) else {
            return Err(MessageError::BadAggregate { offset: at });
        };
        let size = u32::from_be_bytes([0, tag[1], tag[2], tag[3]]) as usize;
        let timestamp = u32::from_be_bytes([tag[7], tag[4], tag[5], tag[6]]);
        let body = at + 11;
        if payload.len() - body < size + 4 {
            return Err(MessageError::BadAggregate { offset: at });
        }
        let base = *first_timestamp.get_or_insert(timestamp);
        out.push(RawMessage {
            csid: aggregate.csid,
            timestamp: aggregate
                .timestamp
                .wrapping_add(timestamp.wrapping_sub(base)),
            type_id: tag[0],
            stream_id: aggregate.stream_id,
            payload: payload.slice(body..body + size),
        });
        at = body + size + 4;
    }
    Ok(out)
}

/// Builds an aggregate payload from `(type_id, timestamp, payload)`
/// sub-messages; `None` if a payload is longer than 16 MiB - 1.
pub fn encode_aggregate(parts: &[(u8, u32, Bytes)]) -> Option<Bytes> {
    let mut out = BytesMut::with_capacity(parts.iter().map(|p| p.2.len() + TAG_OVERHEAD).sum());
    for (type_id, timestamp, payload) in parts {
        let size = u32::try_from(payload.len()).ok().filter(|&s| s < 1 << 24)?;
        out.put_u8(*type_id);
        out.put_slice(&size.to_be_bytes()[1..]);
        out.put_slice(&timestamp.to_be_bytes()[1..]);
        out.put_u8((timestamp >> 24) as u8);
        out.put_slice(&[0, 0, 0]);
        out.put_slice(payload);
        out.put_u32(size + 11);
    }
    Some(out.freeze())
}
