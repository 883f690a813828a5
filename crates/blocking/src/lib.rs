//! wirestate-blocking: work in progress.
#![forbid(unsafe_code)]
