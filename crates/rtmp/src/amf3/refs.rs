//! The three reference tables of AMF3 (strings, objects, traits), for the
//! decoder and for the encoder.
//!
//! The decoder keeps no copies of complex values: an object table entry is
//! where the value starts in the input and how long the tables were there,
//! so a reference is decoded again from those bytes ("replayed") with the
//! tables seen as they were. Memory then stays proportional to the input,
//! and a reference costs what the copy it produces costs, which the limits
//! charge like any other value.

use std::collections::HashMap;

/// The traits of an object: its class, sealed member names and flags.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Traits {
    /// The class alias ("" for anonymous).
    pub class_name: String,
    /// The sealed member names, in order.
    pub sealed: Vec<String>,
    /// Whether dynamic members follow the sealed ones.
    pub dynamic: bool,
}

/// How long each table was at some point of the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Marks {
    pub strings: usize,
    pub objects: usize,
    pub traits: usize,
}

/// An object table entry.
#[derive(Debug, Clone, Copy)]
pub struct Slot {
    /// Where the value's marker is.
    pub offset: usize,
    /// The table lengths at the marker.
    pub marks: Marks,
    /// Whether the value is complete (a reference to it is not a cycle).
    pub done: bool,
}

/// The decoder's tables. While replaying, entries are not added again: the
/// `replay` marks count them instead.
#[derive(Debug, Default)]
pub struct DecodeTables {
    pub strings: Vec<String>,
    pub objects: Vec<Slot>,
    pub traits: Vec<Traits>,
    pub replay: Option<Marks>,
}

impl DecodeTables {
    /// The table lengths as the value being read sees them.
    pub fn marks(&self) -> Marks {
        self.replay.unwrap_or(Marks {
            strings: self.strings.len(),
            objects: self.objects.len(),
            traits: self.traits.len(),
        })
    }

    /// Records an inline non-empty string.
    pub fn add_string(&mut self, text: &str) {
        match &mut self.replay {
            Some(marks) => marks.strings += 1,
            None => self.strings.push(text.to_owned()),
        }
    }

    /// Records inline traits.
    pub fn add_traits(&mut self, traits: &Traits) {
        match &mut self.replay {
            Some(marks) => marks.traits += 1,
            None => self.traits.push(traits.clone()),
        }
    }

    /// Reserves the object entry of a value whose marker is at `offset` and
    /// returns its index (mark it done with [`finish`](Self::finish)).
    pub fn add_object(&mut self, offset: usize, marks: Marks) -> usize {
        match &mut self.replay {
            Some(replay) => {
                replay.objects += 1;
                replay.objects - 1
            }
            None => {
                self.objects.push(Slot {
                    offset,
                    marks,
                    done: false,
                });
                self.objects.len() - 1
            }
        }
    }

    /// Marks object entry `index` complete.
    pub fn finish(&mut self, index: usize) {
        if self.replay.is_none() {
            if let Some(slot) = self.objects.get_mut(index) {
                slot.done = true;
            }
        }
    }
}

/// The encoder's tables: strings and traits already written, by content.
/// Complex values are always written inline, so objects are only counted.
#[derive(Debug, Default)]
pub struct EncodeTables {
    pub strings: HashMap<String, u32>,
    pub traits: HashMap<Traits, u32>,
}

/// How many strings a reference can address: a string reference carries 28
/// bits of index. Past that the encoder stops recording (the decoder goes on,
/// but nothing refers to those entries, so both tables agree below it).
const MAX_STRINGS: usize = 1 << 28;
/// How many traits a reference can address (27 bits of index).
const MAX_TRAITS: usize = 1 << 27;

impl EncodeTables {
    /// The index of `text` if it was written before; otherwise records it
    /// (unless the table is full) and returns `None`.
    pub fn string(&mut self, text: &str) -> Option<u32> {
        if let Some(&index) = self.strings.get(text) {
            return Some(index);
        }
        if self.strings.len() < MAX_STRINGS {
            let index = self.strings.len() as u32;
            self.strings.insert(text.to_owned(), index);
        }
        None
    }

    /// The index of `traits` if written before; otherwise records them and
    /// returns `None`.
    pub fn traits(&mut self, traits: &Traits) -> Option<u32> {
        if let Some(&index) = self.traits.get(traits) {
            return Some(index);
        }
        if self.traits.len() < MAX_TRAITS {
            let index = self.traits.len() as u32;
            self.traits.insert(traits.clone(), index);
        }
        None
    }
}
