//! The memcached helpers: any line parses as a meta command and as a meta
//! reply without panic; whatever parses encodes back to a line that parses
//! to the same value; `data_len` never panics.
#![no_main]

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use wirestate_lines::memcached::{data_len, MetaCommand, MetaReply};

fuzz_target!(|data: &[u8]| {
    let line = Bytes::copy_from_slice(data);
    let _ = data_len(data);
    if let Ok(Some(command)) = MetaCommand::parse(&line) {
        let encoded = command.to_line().expect("a parsed command encodes");
        let again = MetaCommand::parse(&encoded).expect("our line parses");
        assert_eq!(again, Some(command), "{encoded:?}");
    }
    if let Ok(Some(reply)) = MetaReply::parse(&line) {
        let encoded = reply.to_line().expect("a parsed reply encodes");
        let again = MetaReply::parse(&encoded).expect("our line parses");
        assert_eq!(again, Some(reply), "{encoded:?}");
    }
});
