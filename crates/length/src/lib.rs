//! wirestate-length: work in progress.
#![forbid(unsafe_code)]
