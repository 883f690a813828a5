//! The FLV reader: any file reads without panic, tag by tag, until its end
//! or a typed error; the tags it read, written again by the FLV writer,
//! read back the same.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wirestate_rtmp::flv::{FlvReader, FlvWriter};

fuzz_target!(|data: &[u8]| {
    let Ok(mut reader) = FlvReader::new(data) else {
        return;
    };
    let header = reader.header();
    let mut tags = Vec::new();
    // Each tag takes at least 15 bytes, so this ends.
    while let Ok(Some(tag)) = reader.next_tag() {
        tags.push(tag);
    }
    let mut writer =
        FlvWriter::new(Vec::new(), header.has_audio, header.has_video).expect("writing to memory");
    for tag in &tags {
        writer
            .write_tag(tag.tag_type, tag.timestamp, tag.data)
            .expect("a tag that was read can be written");
    }
    let file = writer.into_inner();
    let mut again = FlvReader::new(&file).expect("our header reads");
    assert_eq!(again.header(), header);
    for tag in &tags {
        assert_eq!(again.next_tag().expect("our tag reads").as_ref(), Some(tag));
    }
    assert_eq!(again.next_tag().expect("the end reads"), None);
});
