//! The operation scripts the machine targets interpret: a compact byte
//! format the fuzzer mutates freely and the corpus builder writes from
//! captures.
//!
//! Layout: one options byte (each target reads its own configuration from
//! it), then operations until the input ends. Each operation starts with a
//! tag byte, taken modulo 10:
//!
//! | tag | operation | operands |
//! |---|---|---|
//! | 0-3, 9 | feed bytes | u16 LE length, then that many bytes (fewer at the end) |
//! | 4 | advance time | u16 LE, in units of 10 ms (up to 655 s) |
//! | 5 | command | code byte, u8 length, then that many argument bytes |
//! | 6 | end of input | |
//! | 7 | peer stops / resumes reading | |
//! | 8 | graceful shutdown | |
//!
//! Feeds get most tags because bytes are what a peer controls most.

/// One step of a script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    /// Input from the peer.
    Feed(Vec<u8>),
    /// Time passes by this many milliseconds.
    Advance(u64),
    /// The application sends a command; the target maps `code` and `arg`
    /// to one of the machine's commands.
    Command {
        /// Which command.
        code: u8,
        /// Its argument bytes (a payload, a name).
        arg: Vec<u8>,
    },
    /// The peer closed its sending side.
    Eof,
    /// The peer stops taking bytes (or resumes): transmits wait in the
    /// runner, which reports them unsent.
    ToggleStall,
    /// The application asks for a graceful shutdown.
    Shutdown,
}

/// A parsed script: the options byte and the operations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Script {
    /// The target's configuration switches.
    pub options: u8,
    /// What happens, in order.
    pub ops: Vec<Op>,
}

impl Script {
    /// Reads a script; every input is a script (missing operands read as
    /// what remains).
    pub fn parse(data: &[u8]) -> Script {
        let Some((&options, mut rest)) = data.split_first() else {
            return Script {
                options: 0,
                ops: Vec::new(),
            };
        };
        let mut ops = Vec::new();
        while let Some((&tag, tail)) = rest.split_first() {
            rest = tail;
            let op = match tag % 10 {
                4 => Op::Advance(u64::from(take_u16(&mut rest)) * 10),
                5 => {
                    let code = take(&mut rest, 1).first().copied().unwrap_or(0);
                    let len = take(&mut rest, 1).first().copied().unwrap_or(0);
                    Op::Command {
                        code,
                        arg: take(&mut rest, usize::from(len)).to_vec(),
                    }
                }
                6 => Op::Eof,
                7 => Op::ToggleStall,
                8 => Op::Shutdown,
                _ => {
                    let len = usize::from(take_u16(&mut rest));
                    Op::Feed(take(&mut rest, len).to_vec())
                }
            };
            ops.push(op);
        }
        Script { options, ops }
    }

    /// Writes the script in the format [`parse`](Self::parse) reads; feeds
    /// longer than 65,535 bytes become several feeds.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = vec![self.options];
        for op in &self.ops {
            match op {
                Op::Feed(bytes) => {
                    for piece in bytes.chunks(usize::from(u16::MAX)) {
                        out.push(0);
                        out.extend_from_slice(&(piece.len() as u16).to_le_bytes());
                        out.extend_from_slice(piece);
                    }
                }
                Op::Advance(millis) => {
                    out.push(4);
                    let units = (millis / 10).min(u64::from(u16::MAX)) as u16;
                    out.extend_from_slice(&units.to_le_bytes());
                }
                Op::Command { code, arg } => {
                    let arg = &arg[..arg.len().min(255)];
                    out.extend_from_slice(&[5, *code, arg.len() as u8]);
                    out.extend_from_slice(arg);
                }
                Op::Eof => out.push(6),
                Op::ToggleStall => out.push(7),
                Op::Shutdown => out.push(8),
            }
        }
        out
    }

    /// The same script with adjacent feeds joined: what a peer sends
    /// between two other operations arriving in one piece.
    pub fn merged(&self) -> Script {
        let mut ops: Vec<Op> = Vec::new();
        for op in &self.ops {
            match (ops.last_mut(), op) {
                (Some(Op::Feed(joined)), Op::Feed(bytes)) => joined.extend_from_slice(bytes),
                _ => ops.push(op.clone()),
            }
        }
        Script {
            options: self.options,
            ops,
        }
    }
}

/// Up to `n` bytes off the front of `rest`.
fn take<'a>(rest: &mut &'a [u8], n: usize) -> &'a [u8] {
    let (head, tail) = rest.split_at(n.min(rest.len()));
    *rest = tail;
    head
}

/// A little-endian u16 off the front (missing bytes read as 0).
fn take_u16(rest: &mut &[u8]) -> u16 {
    let bytes = take(rest, 2);
    u16::from_le_bytes([
        bytes.first().copied().unwrap_or(0),
        bytes.get(1).copied().unwrap_or(0),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_round_trip_and_merge() {
        let script = Script {
            options: 9,
            ops: vec![
                Op::Feed(vec![1, 2]),
                Op::Feed(vec![3]),
                Op::Advance(1230),
                Op::Command {
                    code: 2,
                    arg: b"hi".to_vec(),
                },
                Op::ToggleStall,
                Op::Feed(vec![0; 70_000]),
                Op::Shutdown,
                Op::Eof,
            ],
        };
        let parsed = Script::parse(&script.encode());
        assert_eq!(parsed.merged(), script.merged());
        assert_eq!(script.merged().ops[0], Op::Feed(vec![1, 2, 3]));
        assert_eq!(Script::parse(&[1, 0, 5, 0, 7]).ops, [Op::Feed(vec![7])]);
    }
}
