//! wirestate-rtmp: Sans-IO RTMP.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod amf0;
pub mod media;
pub mod handshake;
pub mod chunk;
pub mod message;
mod connection;

pub use connection::{
    ConnectionConfig, Event, MessageEvent, Outgoing, Request, Role, RtmpConnection, RtmpError, MIN_ACK_WINDOW,
};
