//! Recorded FFmpeg publishes replayed through a ServerSession in any cut,
//! and the FLV writer read back.

use super::*;

/// A server in auto-accept mode: a whole server application as a machine,
/// so the recorded publishes can be fed in any cut.
fn auto_accept(now: Instant) -> ServerSession {
    let config = ServerConfig {
        auto_accept: true,
        ..ServerConfig::default()
    };
    ServerSession::new(config, SeededRandom::new(1), now)
}

fn count_connects(events: &[ServerEvent]) -> usize {
    events
        .iter()
        .filter(|e| matches!(e, ServerEvent::ConnectRequested(_)))
        .count()
}

fn capture(name: &str) -> Vec<u8> {
    wirestate_core::testing::capture::read(&format!("rtmp/{name}.c2s.bin"))
}

#[test]
fn recorded_ffmpeg_publishes_become_media_events_in_any_cut() {
    // (capture, stream key, video messages, audio messages), counted in the
    // captures' dissections.
    for (name, key, videos, audios) in [
        ("rtmp_ffmpeg_publish_nginx", None, None, None),
        (
            "rtmp_ffmpeg9_publish_nginx_ertmp_hevc",
            Some("hevc"),
            Some(152),
            Some(237),
        ),
        ("rtmp_ffmpeg_publish_nginx_extts_chunk128", None, None, None),
    ] {
        let input = capture(name);
        let now = Instant::now();
        let transcript = assert_chunk_independent(|| auto_accept(now), &input, true, now);
        let events = &transcript.events;
        assert!(transcript.error.is_none(), "{name}: {:?}", transcript.error);
        assert_eq!(count_connects(events), 1, "{name}");
        let published = events.iter().find_map(|e| match e {
            ServerEvent::PublishRequested { name, .. } => Some(name.clone()),
            _ => None,
        });
        let published = published.unwrap_or_else(|| panic!("{name}: no publish"));
        if let Some(key) = key {
            assert_eq!(published, key);
        }
        let count = |f: fn(&ServerEvent) -> bool| events.iter().filter(|e| f(e)).count();
        let video = count(|e| matches!(e, ServerEvent::Media(MediaEvent::Video { .. })));
        let audio = count(|e| matches!(e, ServerEvent::Media(MediaEvent::Audio { .. })));
        assert!(
            video > 10 && audio > 10,
            "{name}: {video} video, {audio} audio"
        );
        if let (Some(v), Some(a)) = (videos, audios) {
            assert_eq!((video, audio), (v, a), "{name}");
        }
        assert_eq!(
            count(|e| matches!(e, ServerEvent::Media(MediaEvent::Metadata { .. }))),
            1,
            "{name}"
        );
        assert_eq!(
            count(|e| matches!(e, ServerEvent::PublishFinished { .. })),
            1,
            "{name}"
        );
        // Timestamps never go backwards per kind (absolute, not deltas).
        let mut last = 0;
        for e in events {
            if let ServerEvent::Media(MediaEvent::Video { timestamp, .. }) = e {
                assert!(*timestamp >= last, "{name}");
                last = *timestamp;
            }
        }
        assert!(last > 1000, "{name}: last video at {last} ms");
    }
}

#[test]
fn flv_writer_output_reads_back() {
    let mut writer = FlvWriter::new(Vec::new(), true, true).unwrap();
    let tags: Vec<(TagType, u32, Vec<u8>)> = vec![
        (TagType::Script, 0, b"\x02\x00\x0aonMetaData\x05".to_vec()),
        (TagType::Video, 0, AVC_CONFIG.to_vec()),
        (TagType::Audio, 0, AAC_CONFIG.to_vec()),
        (TagType::Video, 40, keyframe(1).to_vec()),
        // Past 2^24 ms the extended timestamp byte is used.
        (TagType::Audio, 0x0123_4567, aac(2).to_vec()),
        (TagType::Video, 50, Vec::new()),
    ];
    for (tag_type, ts, data) in &tags {
        writer.write_tag(*tag_type, *ts, data).unwrap();
    }
    assert_eq!(writer.tags_written(), 6);
    let file = writer.into_inner();
    assert_eq!(&file[..13], b"FLV\x01\x05\x00\x00\x00\x09\x00\x00\x00\x00");
    let expected_len = 13 + tags.iter().map(|t| 11 + t.2.len() + 4).sum::<usize>();
    assert_eq!(file.len(), expected_len);
    // The fifth tag's header: type, size, timestamp low 24 bits, then high 8.
    let at = 13 + tags[..4].iter().map(|t| 15 + t.2.len()).sum::<usize>();
    assert_eq!(
        &file[at..at + 11],
        b"\x08\x00\x00\x04\x23\x45\x67\x01\x00\x00\x00"
    );

    let mut reader = FlvReader::new(&file).unwrap();
    assert!(reader.header().has_audio && reader.header().has_video);
    for (tag_type, ts, data) in &tags {
        let tag = reader.next_tag().unwrap().unwrap();
        assert_eq!(
            (tag.tag_type, tag.timestamp, tag.data),
            (*tag_type, *ts, &data[..])
        );
    }
    assert_eq!(reader.next_tag().unwrap(), None);

    // A wrong back pointer and a truncated tag are caught.
    let mut bad = file.clone();
    let last = bad.len() - 1;
    bad[last] ^= 1;
    let mut reader = FlvReader::new(&bad).unwrap();
    let err = loop {
        match reader.next_tag() {
            Ok(Some(_)) => {}
            Ok(None) => panic!("accepted a bad back pointer"),
            Err(e) => break e,
        }
    };
    assert!(matches!(err, FlvError::BadBackPointer { .. }), "{err:?}");
    let mut reader = FlvReader::new(&file[..file.len() - 2]).unwrap();
    let err = loop {
        match reader.next_tag() {
            Ok(Some(_)) => {}
            Ok(None) => panic!("accepted a truncated file"),
            Err(e) => break e,
        }
    };
    assert!(matches!(err, FlvError::Truncated(_)));
    assert_eq!(
        FlvReader::new(b"FLX\x01\x05\x00\x00\x00\x09").unwrap_err(),
        FlvError::BadSignature
    );
}

#[test]
fn recorded_nginx_stream_plays_in_any_cut() {
    // nginx-rtmp's side of FFmpeg playing `test`: its connect and
    // createStream answers carry transaction ids 1 and 2, as ours.
    let input = wirestate_core::testing::capture::read("rtmp/rtmp_ffmpeg_play_nginx.s2c.bin");
    let now = Instant::now();
    let transcript = assert_chunk_independent(
        || {
            let config = ClientConfig::new("live", "rtmp://127.0.0.1:19350/live");
            let mut client = ClientSession::new(config, SeededRandom::new(5), now);
            client.play("test");
            client
        },
        &input,
        true,
        now,
    );
    assert!(transcript.error.is_none(), "{:?}", transcript.error);
    let events = &transcript.events;
    assert!(events
        .iter()
        .any(|e| matches!(e, ClientEvent::Connected { status, .. }
            if status.code == "NetConnection.Connect.Success")));
    assert!(events.contains(&ClientEvent::PlayStarted { stream_id: 1 }));
    let count = |f: fn(&ClientEvent) -> bool| events.iter().filter(|e| f(e)).count();
    // The counts of the capture's dissection.
    assert_eq!(
        count(|e| matches!(
            e,
            ClientEvent::Media(MediaEvent::Video { stream_id: 1, .. })
        )),
        124
    );
    assert_eq!(
        count(|e| matches!(
            e,
            ClientEvent::Media(MediaEvent::Audio { stream_id: 1, .. })
        )),
        175
    );
    assert_eq!(
        count(|e| matches!(e, ClientEvent::Media(MediaEvent::Metadata { .. }))),
        1
    );
}

#[test]
fn recorded_hevc_publish_in_proptest_cuts() {
    use proptest::prelude::*;
    use wirestate_core::testing::{arb_cuts, assert_transcripts_equal, feed_cut};

    let input = capture("rtmp_ffmpeg9_publish_nginx_ertmp_hevc");
    let now = Instant::now();
    let make = || auto_accept(now);
    let whole = feed_cut(&mut make(), &input, &[], true, now);
    assert!(whole.events.len() > 389);
    let config = ProptestConfig {
        cases: 24,
        ..ProptestConfig::default()
    };
    proptest!(config, |(cuts in arb_cuts(input.len()))| {
        let cut = feed_cut(&mut make(), &input, &cuts, true, now);
        assert_transcripts_equal(&whole, &cut, "at proptest cuts");
    });
}

#[test]
fn a_poll_that_queues_transmits_returns_an_event() {
    // Drivers write after each event; a poll that queued bytes and then
    // returned None would leave them unsent until the next wake-up (FFmpeg
    // then waits forever for its createStream answer).
    let input = capture("rtmp_ffmpeg_publish_nginx");
    let now = Instant::now();
    let mut server = auto_accept(now);
    let mut events = 0;
    for piece in input.chunks(100) {
        server.handle_input(piece, now);
        while server.poll_transmit().is_some() {}
        loop {
            match server.poll_event() {
                Some(event) => {
                    event.unwrap();
                    events += 1;
                    while server.poll_transmit().is_some() {}
                }
                None => {
                    assert!(server.poll_transmit().is_none(), "after {events} events");
                    break;
                }
            }
        }
    }
    assert!(events > 100);
}
