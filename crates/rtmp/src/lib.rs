//! wirestate-rtmp: work in progress.
#![forbid(unsafe_code)]

pub mod amf0;
