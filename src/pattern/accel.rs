//! [`Accel`]: skipping, without the DFA, the bytes that leave it in its
//! start state.
//!
//! A pattern led by a class (`[A-Z][a-z]+Script`) has no literal prefix for
//! a prefilter, and the lazy DFA spends most of its time in the unanchored
//! start state, stepping over bytes that lead straight back to it. When the
//! start state is the same whatever byte came before (no look-behind at the
//! start of the pattern), the bytes that leave it are a fixed set, computed
//! once; every other byte is a transition from the start state to itself,
//! so skipping to the next byte of the set gives the state the DFA would
//! have reached, exactly. A set of up to three bytes is found with `memchr`;
//! a larger one with a table of 256 flags.
//!
//! Whether skipping pays depends on the text: `[a-z]+ing` leaves its start
//! state at almost every letter, and each skip of a byte or two costs more
//! than stepping the DFA through it (its hot loop has to stop at every
//! start state for the skip to happen). So the skips are measured, and the
//! accelerator reports when they have been too short.

use memchr::{memchr, memchr2, memchr3};
use regex_automata::hybrid::dfa::DFA;
use regex_automata::util::start;
use regex_automata::Anchored;

/// Leaving sets larger than this are not worth a table: the DFA would leave
/// its start state too often for the skips to pay for the exits from its
/// hot loop.
const MAX_TABLE_BYTES: usize = 32;

/// Skips at least this many bytes on average, or stop skipping: shorter
/// skips cost more than they save (measured on HTML-like text, where
/// `[a-z]`-led patterns skip about one byte and `[A-Z]`-led ones about 20).
const MIN_AVERAGE_SKIP: u64 = 8;

/// The skips are judged over windows of this many.
const WINDOW: u32 = 4096;

/// Skips through the start state, and keeps count of how far.
#[derive(Debug, Clone)]
pub(super) struct Accel {
    /// Finds the bytes that leave the start state.
    leaving: Leaving,
    /// Skips in the current window; `< WINDOW`.
    skips: u32,
    /// Bytes skipped in the current window.
    skipped: u64,
    /// A whole window averaged less than `MIN_AVERAGE_SKIP`: skipping does
    /// not pay on this text. Never unset.
    failing: bool,
}

/// The bytes that leave the start state, and how to find them.
#[derive(Debug, Clone)]
enum Leaving {
    /// One byte leaves it.
    One(u8),
    /// Two bytes do.
    Two(u8, u8),
    /// Three bytes do.
    Three(u8, u8, u8),
    /// More do: `leaves[b]` for each byte `b` that does.
    Table(Box<[bool; 256]>),
}

impl Accel {
    /// The accelerator for `dfa`'s unanchored start state, which must not
    /// depend on look-behind; `None` when too many bytes leave it (or the
    /// DFA cannot say).
    pub(super) fn for_start_state(dfa: &DFA) -> Option<Accel> {
        Some(Accel {
            leaving: Leaving::of_start_state(dfa)?,
            skips: 0,
            skipped: 0,
            failing: false,
        })
    }

    /// The index of the first byte of `hay[at..]` that leaves the start
    /// state, or `hay.len()` if none does.
    pub(super) fn skip(&mut self, hay: &[u8], at: usize) -> usize {
        let to = self.leaving.find(hay, at).unwrap_or(hay.len());
        self.skips += 1;
        self.skipped += (to - at) as u64;
        if self.skips == WINDOW {
            self.failing |= self.skipped < MIN_AVERAGE_SKIP * u64::from(WINDOW);
            (self.skips, self.skipped) = (0, 0);
        }
        to
    }

    /// Whether the skips have been long enough to be worth the DFA's stops
    /// at its start state.
    pub(super) fn pays(&self) -> bool {
        !self.failing
    }
}

impl Leaving {
    /// The bytes that leave `dfa`'s unanchored start state, which must not
    /// depend on look-behind; `None` when too many do (or the DFA cannot
    /// say).
    fn of_start_state(dfa: &DFA) -> Option<Leaving> {
        // A cache of its own: building states here must not count against
        // the search's cache (or its give-up rule).
        let mut cache = dfa.create_cache();
        let config = start::Config::new().anchored(Anchored::No);
        let start = dfa.start_state(&mut cache, &config).ok()?;
        let mut leaving = Vec::new();
        for byte in 0..=255u8 {
            let next = dfa.next_state(&mut cache, start, byte).ok()?;
            if next != start {
                leaving.push(byte);
            }
        }
        // A cleared cache renumbers states: the comparisons above would be
        // meaningless.
        if cache.clear_count() > 0 {
            return None;
        }
        Some(match *leaving.as_slice() {
            [a] => Leaving::One(a),
            [a, b] => Leaving::Two(a, b),
            [a, b, c] => Leaving::Three(a, b, c),
            _ if leaving.len() <= MAX_TABLE_BYTES => {
                let mut leaves = Box::new([false; 256]);
                for byte in leaving {
                    leaves[usize::from(byte)] = true;
                }
                Leaving::Table(leaves)
            }
            _ => return None,
        })
    }

    /// The index of the first byte of `hay[at..]` that leaves the start
    /// state, if any.
    fn find(&self, hay: &[u8], at: usize) -> Option<usize> {
        let rest = &hay[at..];
        let found = match self {
            Leaving::One(a) => memchr(*a, rest),
            Leaving::Two(a, b) => memchr2(*a, *b, rest),
            Leaving::Three(a, b, c) => memchr3(*a, *b, *c, rest),
            Leaving::Table(leaves) => rest.iter().position(|&b| leaves[usize::from(b)]),
        };
        found.map(|i| at + i)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaving(pattern: &str) -> Option<Leaving> {
        Leaving::of_start_state(&DFA::new(pattern).unwrap())
    }

    #[test]
    fn the_leaving_bytes_are_those_a_match_can_start_with() {
        assert!(matches!(leaving("x[0-9]+"), Some(Leaving::One(b'x'))));
        assert!(matches!(
            leaving("[ab]c|d"),
            Some(Leaving::Three(b'a', b'b', b'd'))
        ));
        let Some(Leaving::Table(leaves)) = leaving("[A-Z][a-z]+Script") else {
            panic!("a table for 26 bytes");
        };
        let bytes: Vec<u8> = (0..=255u8).filter(|&b| leaves[usize::from(b)]).collect();
        assert_eq!(bytes, (b'A'..=b'Z').collect::<Vec<u8>>());
        // Any letter may start a match: too many to skip over.
        assert!(leaving(r"[a-zA-Z]+ing").is_none());
    }

    #[test]
    fn skip_gives_the_first_leaving_byte_from_where_it_starts() {
        let mut table = Accel::for_start_state(&DFA::new("[A-Z][a-z]+").unwrap()).unwrap();
        assert_eq!(table.skip(b"abc Def Ghi", 0), 4);
        assert_eq!(table.skip(b"abc Def Ghi", 5), 8);
        assert_eq!(table.skip(b"abc def", 0), 7);
        let mut one = Accel::for_start_state(&DFA::new("x[0-9]").unwrap()).unwrap();
        assert_eq!(one.skip(b"axbx", 2), 3);
    }

    #[test]
    fn short_skips_stop_paying_after_a_window() {
        let mut accel = Accel::for_start_state(&DFA::new("[a-z]+ing").unwrap()).unwrap();
        let hay = b" a a a a";
        for _ in 0..WINDOW - 1 {
            accel.skip(hay, 0);
        }
        assert!(accel.pays(), "judged only once a window is full");
        accel.skip(hay, 0);
        assert!(!accel.pays());
        // Long skips do not bring it back.
        let long = [b' '; 100];
        for _ in 0..WINDOW {
            accel.skip(&long, 0);
        }
        assert!(!accel.pays());
    }
}
