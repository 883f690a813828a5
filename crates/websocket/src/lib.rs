//! wirestate-websocket: work in progress.
#![forbid(unsafe_code)]
