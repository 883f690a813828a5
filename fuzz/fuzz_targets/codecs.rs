//! The tokio-util codecs of the line and length machines: the same events
//! whole or cut, at EOF too, and the same events and outcome as the
//! machines they wrap (a differential between the two APIs).
//!
//! Input: options byte (bit 0 lines, else length; bits 1-3 the framing or
//! delimiter), a cut byte, then the stream.
#![no_main]

use std::fmt::Debug;
use std::time::Instant;

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use tokio_util::codec::Decoder;
use wirestate_core::Machine;
use wirestate_length::{LengthCodec, LengthConfig, LengthConnection, LengthField};
use wirestate_lines::{Delimiter, LineCodec, LineConfig, LineConnection, Overflow};

/// Decode calls per input before the codec is taken to be looping.
const MAX_CALLS: usize = 1 << 16;

/// Events (as text) and whether an error ended the stream.
type Outcome = (Vec<String>, bool);

fn through_codec<D: Decoder>(mut codec: D, pieces: &[&[u8]]) -> Outcome
where
    D::Item: Debug,
{
    let mut buf = BytesMut::new();
    let mut events = Vec::new();
    for piece in pieces {
        buf.extend_from_slice(piece);
        for _ in 0..MAX_CALLS {
            match codec.decode(&mut buf) {
                Ok(Some(event)) => events.push(format!("{event:?}")),
                Ok(None) => break,
                Err(_) => return (events, true),
            }
        }
    }
    for _ in 0..MAX_CALLS {
        match codec.decode_eof(&mut buf) {
            Ok(Some(event)) => events.push(format!("{event:?}")),
            Ok(None) => return (events, false),
            Err(_) => return (events, true),
        }
    }
    panic!("decode_eof never ends");
}

fn through_machine<M: Machine>(mut machine: M, data: &[u8]) -> Outcome
where
    M::Event: Debug,
{
    let now = Instant::now();
    machine.handle_input(data, now);
    machine.handle_eof(now);
    let mut events = Vec::new();
    while let Some(event) = machine.poll_event() {
        match event {
            Ok(event) => events.push(format!("{event:?}")),
            Err(_) => return (events, true),
        }
    }
    (events, false)
}

fn compare<D: Decoder, M: Machine>(codec: impl Fn() -> D, machine: M, data: &[u8], cut: usize)
where
    D::Item: Debug,
    M::Event: Debug,
{
    let whole = through_codec(codec(), &[data]);
    let (a, b) = data.split_at(cut.min(data.len()));
    assert_eq!(whole, through_codec(codec(), &[a, b]), "cut at {cut}");
    assert_eq!(
        whole,
        through_machine(machine, data),
        "codec and machine differ"
    );
}

fuzz_target!(|input: &[u8]| {
    let [options, cut, data @ ..] = input else {
        return;
    };
    let cut = usize::from(*cut) * data.len() / 255;
    let variant = options >> 1 & 7;
    if options & 1 == 1 {
        let delimiter = match variant % 3 {
            0 => Delimiter::lf(),
            1 => Delimiter::crlf(),
            _ => Delimiter::sequence(b"\r\n\r\n").expect("a valid delimiter"),
        };
        let overflow =
            [Overflow::Fail, Overflow::Discard, Overflow::Split][usize::from(variant % 3)];
        let config = LineConfig::new(delimiter)
            .max_line(64)
            .expect("a valid limit")
            .overflow(overflow);
        let machine = LineConnection::new(config.clone());
        compare(|| LineCodec::new(config.clone()), machine, data, cut);
    } else {
        let field = [
            LengthField::U8,
            LengthField::U16,
            LengthField::U32,
            LengthField::Varint,
        ][usize::from(variant % 4)];
        let config = LengthConfig::new(field).max_frame_length(512);
        let machine = LengthConnection::new(config.clone());
        compare(|| LengthCodec::new(config.clone()), machine, data, cut);
    }
});
