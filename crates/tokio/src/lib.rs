//! wirestate-tokio: work in progress.
#![forbid(unsafe_code)]
