//! The driver test transport: one scripted in-memory byte stream that the
//! tokio and the blocking driver tests both run machines on.
//!
//! Reads are answered from a script ([`Step`]s: data in the given pieces,
//! EOF, errors); writes are recorded, with the number of slices each vectored
//! write was offered, and can be made partial ([`max_write`]) or made to stall
//! first ([`stutter`]). Each driver's tests wrap it in a newtype that forwards
//! its own IO traits to [`read_step`](ScriptedTransport::read_step) and
//! [`write_step`](ScriptedTransport::write_step); the standard
//! [`Read`] and [`Write`] are implemented here.
//!
//! ```
//! use std::io::{IoSlice, Read, Write};
//! use wirestate_core::testing::transport::{ScriptedTransport, Step};
//!
//! let mut transport = ScriptedTransport::new(Step::cut(b"hello", &[2]));
//! transport.max_write = 3;
//! let mut buf = [0; 16];
//! assert_eq!(transport.read(&mut buf).unwrap(), 2); // "he"
//! assert_eq!(transport.read(&mut buf).unwrap(), 2); // "ll"
//! assert_eq!(transport.read(&mut buf).unwrap(), 1); // "o"
//! assert_eq!(transport.read(&mut buf).unwrap(), 0); // EOF
//! assert_eq!(transport.reads_done, 4);
//!
//! let written = transport.write_vectored(&[IoSlice::new(b"ab"), IoSlice::new(b"cd")]).unwrap();
//! assert_eq!(written, 3);
//! assert_eq!(transport.written, b"abc");
//! assert_eq!(transport.slices_offered, [2]);
//! ```
//!
//! [`max_write`]: ScriptedTransport::max_write
//! [`stutter`]: ScriptedTransport::stutter

use std::collections::VecDeque;
use std::io::{self, IoSlice, Read, Write};
use std::time::Duration;

use proptest::collection::vec;
use proptest::prelude::{any, Strategy};

/// One scripted answer to a read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// These bytes (over several reads if the reader's buffer is smaller).
    Data(Vec<u8>),
    /// End of stream: the read returns 0.
    Eof,
    /// The read fails with this kind of error.
    Fail(io::ErrorKind),
}

impl Step {
    /// `wire` cut into reads of the given sizes (cycled; sizes of 0 count as
    /// 1), then [`Step::Eof`].
    ///
    /// ```
    /// use wirestate_core::testing::transport::Step;
    /// assert_eq!(
    ///     Step::cut(b"abcde", &[2]),
    ///     [Step::Data(b"ab".to_vec()), Step::Data(b"cd".to_vec()), Step::Data(b"e".to_vec()), Step::Eof]
    /// );
    /// ```
    pub fn cut(wire: &[u8], sizes: &[usize]) -> Vec<Step> {
        let mut reads = Vec::new();
        let mut at = 0;
        for &size in sizes.iter().cycle() {
            if at == wire.len() {
                break;
            }
            let end = (at + size.max(1)).min(wire.len());
            reads.push(Step::Data(wire[at..end].to_vec()));
            at = end;
        }
        reads.push(Step::Eof);
        reads
    }
}

/// A scripted in-memory transport for driver tests. Its fields are the
/// knobs and the record: set `max_write` or `stutter` before running, read
/// `written`, `reads_done` ... afterwards.
#[derive(Debug, Default)]
pub struct ScriptedTransport {
    reads: VecDeque<Step>,
    /// Reads answered from the script so far.
    pub reads_done: usize,
    /// Every byte written, in order.
    pub written: Vec<u8>,
    /// The most bytes one write call takes (partial writes below that).
    pub max_write: usize,
    /// When set, every odd write call stalls first (`None` from
    /// [`write_step`](ScriptedTransport::write_step): `Pending` for an async
    /// transport) and the next one goes through.
    pub stutter: bool,
    /// Write calls so far, stalled ones included.
    pub write_calls: usize,
    /// How many slices each write call that went through was offered.
    pub slices_offered: Vec<usize>,
    /// Every read timeout the driver set, in order (blocking driver).
    pub timeouts_set: Vec<Option<Duration>>,
    /// Whether the driver shut the write side down. Writing afterwards
    /// panics.
    pub shut_down: bool,
}

impl ScriptedTransport {
    /// A transport that answers reads with `reads`, in order, and takes
    /// whole writes.
    ///
    /// ```
    /// use std::io::Read;
    /// use wirestate_core::testing::transport::{ScriptedTransport, Step};
    /// let mut transport = ScriptedTransport::new(vec![Step::Data(b"hi".to_vec()), Step::Eof]);
    /// let mut buf = [0; 8];
    /// assert_eq!(transport.read(&mut buf).unwrap(), 2);
    /// assert_eq!(transport.read(&mut buf).unwrap(), 0);
    /// ```
    pub fn new(reads: Vec<Step>) -> Self {
        ScriptedTransport {
            reads: reads.into(),
            max_write: usize::MAX,
            ..ScriptedTransport::default()
        }
    }

    /// Answers one read into `buf` from the script: `Some(Ok(n))` for `n`
    /// bytes (0 at EOF), `Some(Err(_))` for a scripted failure, `None` once
    /// the script is used up (pending forever, for an async transport).
    ///
    /// # Errors
    ///
    /// A scripted [`Step::Fail`], inside the `Some`.
    pub fn read_step(&mut self, buf: &mut [u8]) -> Option<io::Result<usize>> {
        let step = self.reads.pop_front()?;
        self.reads_done += 1;
        Some(match step {
            Step::Data(mut data) => {
                let n = data.len().min(buf.len());
                buf[..n].copy_from_slice(&data[..n]);
                if n < data.len() {
                    self.reads.push_front(Step::Data(data.split_off(n)));
                }
                Ok(n)
            }
            Step::Eof => Ok(0),
            Step::Fail(kind) => Err(kind.into()),
        })
    }

    /// Takes up to [`max_write`](ScriptedTransport::max_write) bytes of
    /// `bufs` and returns how many; `None` when the call stalls
    /// ([`stutter`](ScriptedTransport::stutter)).
    ///
    /// # Panics
    ///
    /// After [`shut_down`](ScriptedTransport::shut_down): a driver must not
    /// write then.
    pub fn write_step(&mut self, bufs: &[IoSlice<'_>]) -> Option<usize> {
        assert!(!self.shut_down, "write after shutdown");
        self.write_calls += 1;
        if self.stutter && self.write_calls % 2 == 1 {
            return None;
        }
        self.slices_offered.push(bufs.len());
        let mut room = self.max_write;
        let mut n = 0;
        for buf in bufs {
            let take = buf.len().min(room);
            self.written.extend_from_slice(&buf[..take]);
            room -= take;
            n += take;
        }
        Some(n)
    }
}

/// One run of the drivers' echo property: the frames a peer sends and how
/// the transport cuts and limits the traffic. [`arb_echo`] picks them.
///
/// ```
/// use wirestate_core::testing::transport::Echo;
///
/// let echo = Echo { payloads: vec![b"hi".to_vec()], read_sizes: vec![3], max_write: 2, read_size: 8 };
/// assert_eq!(echo.wire(), b"\x00\x02hi");
/// let transport = echo.transport();
/// assert_eq!(transport.max_write, 2);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Echo {
    /// The payloads the peer sends, each a `{packet,2}` frame.
    pub payloads: Vec<Vec<u8>>,
    /// The sizes of the reads that deliver them (cycled, see [`Step::cut`]).
    pub read_sizes: Vec<usize>,
    /// The most one write takes ([`ScriptedTransport::max_write`]).
    pub max_write: usize,
    /// The driver's read buffer size.
    pub read_size: usize,
}

impl Echo {
    /// The peer's bytes: each payload after its 2-byte big-endian length
    /// (Erlang's `{packet,2}`).
    ///
    /// # Panics
    ///
    /// When a payload does not fit a 2-byte length.
    pub fn wire(&self) -> Vec<u8> {
        let mut wire = Vec::new();
        for payload in &self.payloads {
            let len = u16::try_from(payload.len()).expect("payload over 65535 bytes");
            wire.extend_from_slice(&len.to_be_bytes());
            wire.extend_from_slice(payload);
        }
        wire
    }

    /// A transport that reads [`wire`](Echo::wire) in
    /// [`read_sizes`](Echo::read_sizes), then EOF, and takes at most
    /// [`max_write`](Echo::max_write) bytes a write.
    pub fn transport(&self) -> ScriptedTransport {
        let mut transport = ScriptedTransport::new(Step::cut(&self.wire(), &self.read_sizes));
        transport.max_write = self.max_write;
        transport
    }
}

/// A proptest strategy for [`Echo`] runs: up to 7 payloads of up to 299
/// bytes, read in 1 to 15 sizes below 64, writes of 1 to 63 bytes, a read
/// buffer of 1 to 99 bytes.
pub fn arb_echo() -> impl Strategy<Value = Echo> {
    (
        vec(vec(any::<u8>(), 0..300), 0..8),
        vec(1usize..64, 1..16),
        1usize..64,
        1usize..100,
    )
        .prop_map(|(payloads, read_sizes, max_write, read_size)| Echo {
            payloads,
            read_sizes,
            max_write,
            read_size,
        })
}

impl Read for ScriptedTransport {
    /// [`read_step`](ScriptedTransport::read_step); a read beyond the script
    /// is an error (a blocking read would never return).
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.read_step(buf)
            .unwrap_or_else(|| Err(io::Error::other("read beyond the script")))
    }
}

impl Write for ScriptedTransport {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.write_vectored(&[IoSlice::new(buf)])
    }

    /// [`write_step`](ScriptedTransport::write_step); a stalled call is a
    /// [`WouldBlock`](io::ErrorKind::WouldBlock) error.
    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        self.write_step(bufs)
            .ok_or_else(|| io::ErrorKind::WouldBlock.into())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_and_the_end_of_the_script() {
        let mut transport =
            ScriptedTransport::new(vec![Step::Fail(io::ErrorKind::Interrupted), Step::Eof]);
        let mut buf = [0; 4];
        let error = transport.read(&mut buf).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::Interrupted);
        assert_eq!(transport.read(&mut buf).unwrap(), 0);
        assert_eq!(transport.read_step(&mut buf).map(|r| r.is_ok()), None);
        assert!(transport.read(&mut buf).is_err());
        assert_eq!(transport.reads_done, 2);
    }

    #[test]
    fn stutter_stalls_every_other_write() {
        let mut transport = ScriptedTransport::new(Vec::new());
        transport.stutter = true;
        assert_eq!(transport.write_step(&[IoSlice::new(b"ab")]), None);
        assert_eq!(transport.write_step(&[IoSlice::new(b"ab")]), Some(2));
        assert_eq!(
            transport.write(b"c").unwrap_err().kind(),
            io::ErrorKind::WouldBlock
        );
        assert_eq!(transport.write_calls, 3);
        assert_eq!(transport.slices_offered, [1]);
        assert_eq!(transport.written, b"ab");
    }
}
