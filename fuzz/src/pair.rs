//! Two machines talking to each other through a fuzzer-chosen cutting of
//! the bytes between them: for round trips (what one encodes, the other
//! decodes) and session pairs.

use std::fmt::Debug;
use std::time::Instant;

use wirestate_core::Machine;

/// Rounds of exchange before the pair is taken to be looping.
const MAX_ROUNDS: usize = 10_000;

/// Two machines, `a` and `b`, and what each reported.
pub struct Pair<A: Machine, B: Machine> {
    /// The first machine (a client, a sender).
    pub a: A,
    /// The second machine.
    pub b: B,
    /// `a`'s events and errors, as `Debug` text.
    pub a_said: Vec<String>,
    /// `b`'s events and errors, as `Debug` text.
    pub b_said: Vec<String>,
    /// `a`'s events, kept for checks.
    pub a_events: Vec<A::Event>,
    /// `b`'s events, kept for checks.
    pub b_events: Vec<B::Event>,
    cuts: Vec<usize>,
    next_cut: usize,
}

impl<A: Machine, B: Machine> Pair<A, B>
where
    A::Event: Debug,
    A::Error: Debug,
    B::Event: Debug,
    B::Error: Debug,
{
    /// A pair whose transfers are cut into pieces of the sizes `cuts` gives
    /// in turn (1 to 256 bytes each; none: every transfer whole).
    pub fn new(a: A, b: B, cuts: &[u8]) -> Self {
        Pair {
            a,
            b,
            a_said: Vec::new(),
            b_said: Vec::new(),
            a_events: Vec::new(),
            b_events: Vec::new(),
            cuts: cuts.iter().map(|&c| usize::from(c) + 1).collect(),
            next_cut: 0,
        }
    }

    /// Moves bytes both ways until neither machine has any to send.
    ///
    /// # Panics
    ///
    /// When the machines never stop talking.
    pub fn exchange(&mut self, now: Instant) {
        for _ in 0..MAX_ROUNDS {
            let to_b = take_all(&mut self.a);
            let to_a = take_all(&mut self.b);
            if to_b.is_empty() && to_a.is_empty() {
                self.collect();
                if self.a.poll_transmit().is_none() && self.b.poll_transmit().is_none() {
                    return;
                }
            }
            for piece in cut(&to_b, &self.cuts, &mut self.next_cut) {
                self.b.handle_input(piece, now);
                self.collect();
            }
            for piece in cut(&to_a, &self.cuts, &mut self.next_cut) {
                self.a.handle_input(piece, now);
                self.collect();
            }
            self.collect();
        }
        panic!("the pair kept talking for {MAX_ROUNDS} rounds");
    }

    /// Polls every event of both machines.
    fn collect(&mut self) {
        while let Some(event) = self.a.poll_event() {
            self.a_said.push(format!("{event:?}"));
            if let Ok(event) = event {
                self.a_events.push(event);
            }
        }
        while let Some(event) = self.b.poll_event() {
            self.b_said.push(format!("{event:?}"));
            if let Ok(event) = event {
                self.b_events.push(event);
            }
        }
    }
}

/// Every transmit of `machine`, joined.
fn take_all<M: Machine>(machine: &mut M) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(bytes) = machine.poll_transmit() {
        out.extend_from_slice(&bytes);
    }
    out
}

/// `data` in pieces of the next sizes of `cuts` (whole without cuts).
fn cut<'a>(data: &'a [u8], cuts: &[usize], next: &mut usize) -> Vec<&'a [u8]> {
    if cuts.is_empty() {
        return if data.is_empty() {
            Vec::new()
        } else {
            vec![data]
        };
    }
    let mut pieces = Vec::new();
    let mut rest = data;
    while !rest.is_empty() {
        let size = cuts[*next % cuts.len()].min(rest.len());
        *next += 1;
        let (piece, tail) = rest.split_at(size);
        pieces.push(piece);
        rest = tail;
    }
    pieces
}
