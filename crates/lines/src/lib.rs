//! wirestate-lines: work in progress.
#![forbid(unsafe_code)]
