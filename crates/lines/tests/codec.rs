//! `LineCodec` as a drop-in `tokio_util::codec` codec: FramedRead / FramedWrite
//! over an in-memory pipe, with a raw block requested through `decoder_mut`.
#![cfg(feature = "tokio-util")]

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use tokio_util::codec::{FramedRead, FramedWrite};
use wirestate_lines::{LineCodec, LineCodecError, LineConfig, LineError, LineEvent, LocalError};

#[tokio::test]
async fn framed_lines_and_a_raw_block() {
    let (client, server) = tokio::io::duplex(64);
    let mut writer = FramedWrite::new(client, LineCodec::new(LineConfig::default()));
    let mut reader = FramedRead::new(server, LineCodec::new(LineConfig::default()));
    let sending = tokio::spawn(async move {
        // The 6-byte block is written as lines here; the reader takes the
        // bytes, delimiters included, as data.
        writer.send(Bytes::from_static(b"VALUE 6")).await?;
        writer.send(Bytes::from_static(b"a\rb")).await?; // 3 bytes + "\n" = 4
        writer.send(Bytes::from_static(b"")).await?; // "\n"
        writer.send(Bytes::from_static(b"x")).await?; // "x\n"
        writer.send(Bytes::from_static(b"END")).await?;
        Ok::<_, LineCodecError>(())
    });
    assert_eq!(
        reader.next().await.unwrap().unwrap(),
        LineEvent::line("VALUE 6")
    );
    reader.decoder_mut().expect_raw(6).unwrap();
    assert_eq!(
        reader.next().await.unwrap().unwrap(),
        LineEvent::Raw("a\rb\n\nx".into())
    );
    assert_eq!(reader.next().await.unwrap().unwrap(), LineEvent::line(""));
    assert_eq!(
        reader.next().await.unwrap().unwrap(),
        LineEvent::line("END")
    );
    sending.await.unwrap().unwrap();
    assert!(
        reader.next().await.is_none(),
        "the writer closed: end of stream"
    );
}

#[tokio::test]
async fn a_line_with_the_delimiter_is_refused_by_the_encoder() {
    let (client, _server) = tokio::io::duplex(64);
    let mut writer = FramedWrite::new(client, LineCodec::new(LineConfig::default()));
    let error = writer
        .send(Bytes::from_static(b"two\nlines"))
        .await
        .unwrap_err();
    assert!(matches!(
        error,
        LineCodecError::Line(LineError::Local(LocalError::DelimiterInLine { at: 3 }))
    ));
}
