//! The needle, prepared once: what [`Counter`](super::Counter) needs to find
//! it in a slice and to follow it byte by byte, in time linear in the input.
//!
//! Three things about a needle `x` of length `n` keep every mode linear and
//! fast on adversarial input:
//!
//! * its smallest *period* `p` (`x[i] == x[i + p]` for every `i + p < n`).
//!   Where an occurrence starts at `i`, none starts between `i` and `i + p`,
//!   and one starts at `i + p` exactly when the `p` bytes after the first
//!   repeat the `p` bytes before them. So after an occurrence the counter
//!   compares bytes with the bytes `p` earlier (a run of plain comparisons)
//!   instead of searching again from `i + 1`, which for `x = a…a` in `a…a`
//!   would verify `n` bytes per occurrence;
//! * its *borders* (the prefixes that are also suffixes): the
//!   Knuth–Morris–Pratt failure table, which lets a feed much shorter than
//!   the needle be followed from the previous one with no copying, each byte
//!   looked at a bounded number of times in total;
//! * for a long needle, a short *fragment* around its rarest byte: memchr's
//!   prefilter only looks at a needle's first 256 bytes, so `a…ab` in `a…a`
//!   would otherwise run at the pace of its byte-by-byte verifier.

use memchr::memmem::Finder;

/// Needles longer than this also get a [`Fragment`] searcher: memchr's
/// prefilter picks its rare bytes among the needle's first 256 only, so a
/// needle such as `a…ab` would be searched at the pace of its verifier.
const LONG_NEEDLE: usize = 256;

/// Length of a [`Fragment`]: memchr searches needles up to 32 bytes with
/// vector instructions alone.
const FRAGMENT: usize = 32;

/// A short piece of a long needle around its rarest byte, searched to find
/// candidates that are then compared with the whole needle.
#[derive(Debug, Clone)]
struct Fragment {
    /// Searches for the piece.
    finder: Finder<'static>,
    /// Where the piece starts in the needle.
    offset: usize,
}

impl Fragment {
    /// The piece of `needle` that ends at the last occurrence of the byte
    /// that occurs least often in it.
    fn new(needle: &[u8]) -> Fragment {
        let mut seen = [0usize; 256];
        for &b in needle {
            seen[usize::from(b)] += 1;
        }
        let rarest = (0..needle.len())
            .rev()
            .min_by_key(|&i| seen[usize::from(needle[i])])
            .unwrap_or(0);
        let offset = (rarest + 1).saturating_sub(FRAGMENT);
        Fragment {
            finder: Finder::new(&needle[offset..offset + FRAGMENT]).into_owned(),
            offset,
        }
    }
}

/// A needle with its period and border table, built once per counter.
#[derive(Debug, Clone)]
pub(super) struct Needle {
    /// The substring searcher; owns the needle's bytes.
    finder: Finder<'static>,
    /// For a needle longer than [`LONG_NEEDLE`], a searcher for a piece of
    /// it around its rarest byte; `None` for shorter needles.
    fragment: Option<Fragment>,
    /// `borders[q]` is the length of the longest proper border of the first
    /// `q` bytes of the needle (`q` in `1..=n`); `borders[0]` is unused. The
    /// table is `n + 1` entries long and never changes.
    borders: Box<[usize]>,
    /// The smallest period: `n - borders[n]`, in `1..=n`.
    period: usize,
    /// How far apart two consecutive counted occurrences lie inside a
    /// periodic run: the period when overlapping, otherwise the smallest
    /// multiple of the period that is at least `n`.
    stride: usize,
    /// Whether every start position counts, or only leftmost-first,
    /// non-overlapping occurrences.
    overlapping: bool,
}

impl Needle {
    /// Prepares `needle`, which must not be empty.
    pub(super) fn new(needle: &[u8], overlapping: bool) -> Needle {
        debug_assert!(!needle.is_empty());
        let n = needle.len();
        let mut borders = vec![0; n + 1].into_boxed_slice();
        let mut border = 0;
        for q in 1..n {
            while border > 0 && needle[q] != needle[border] {
                border = borders[border];
            }
            if needle[q] == needle[border] {
                border += 1;
            }
            borders[q + 1] = border;
        }
        let period = n - borders[n];
        let stride = if overlapping {
            period
        } else {
            n.div_ceil(period) * period
        };
        Needle {
            finder: Finder::new(needle).into_owned(),
            fragment: (n > LONG_NEEDLE).then(|| Fragment::new(needle)),
            borders,
            period,
            stride,
            overlapping,
        }
    }

    /// The needle's bytes.
    pub(super) fn bytes(&self) -> &[u8] {
        self.finder.needle()
    }

    /// The needle's length, at least 1.
    pub(super) fn len(&self) -> usize {
        self.finder.needle().len()
    }

    /// Counts the occurrences that lie wholly in `hay` and start at or after
    /// `from`, and returns that count with the *resume* position: no
    /// occurrence that starts before it is left to count (past the last
    /// counted start when overlapping, past its end otherwise; `from` when
    /// none was found).
    ///
    /// Each byte of `hay` is examined a bounded number of times, whatever the
    /// needle: a periodic run of occurrences is counted by comparing bytes,
    /// and the search resumes only past what the run has decided.
    pub(super) fn count_in(&self, hay: &[u8], mut from: usize) -> (u64, usize) {
        let n = self.len();
        let mut found = 0;
        let mut resume = from;
        // Where a feed starts inside a run, the first occurrence starts right
        // at `from`: one comparison finds it, where a search would verify
        // the needle byte by byte. (The last byte is checked first: it is
        // where near misses differ.)
        let starts_here = hay.get(from + n - 1) == self.bytes().last()
            && hay.get(from..from + n) == Some(self.bytes());
        let mut next = if starts_here {
            Some(from)
        } else {
            self.find(hay, from)
        };
        while let Some(first) = next {
            // `hay[first..first + n + run]` has the needle's period, so its
            // occurrences are exactly those `stride` apart from `first`.
            let end = first + n;
            let run = match hay.get(end) {
                // (Checked here first: in ordinary text the run is empty.)
                Some(&next) if next == hay[end - self.period] => {
                    periodic_extent(hay, end, self.period)
                }
                _ => 0,
            };
            // (Most runs are empty: skip the division then.)
            let more = if run < self.stride {
                0
            } else {
                run / self.stride
            };
            let last = first + more * self.stride;
            found += 1 + more as u64;
            resume = if self.overlapping { last + 1 } else { last + n };
            // Up to `first + run` nothing else starts an occurrence: it would
            // lie inside the run, at a multiple of the stride.
            from = resume.max(first + run + 1);
            next = self.find(hay, from);
        }
        (found, resume)
    }

    /// The leftmost occurrence in `hay` that starts at or after `from`.
    ///
    /// Linear in the bytes examined: the comparisons made for the fragment's
    /// candidates cost at most three needle lengths plus twice the distance
    /// searched.
    fn find(&self, hay: &[u8], from: usize) -> Option<usize> {
        match &self.fragment {
            None => self.finder.find(&hay[from..]).map(|i| from + i),
            Some(fragment) => self.find_by_fragment(fragment, hay, from),
        }
    }

    /// [`Needle::find`] for a long needle: candidates are where its
    /// fragment occurs, each compared with the whole needle. Once candidates
    /// fail more often than once per half needle searched, the rest is left
    /// to the searcher of the whole needle.
    #[inline(never)]
    fn find_by_fragment(&self, fragment: &Fragment, hay: &[u8], from: usize) -> Option<usize> {
        let needle = self.bytes();
        let n = needle.len();
        let mut at = from;
        let mut failed = 0;
        while at + n <= hay.len() && failed <= 2 + 2 * (at - from) / n {
            let start = at + fragment.finder.find(&hay[at + fragment.offset..])?;
            if start + n > hay.len() {
                return None;
            }
            if hay[start..start + n] == *needle {
                return Some(start);
            }
            failed += 1;
            at = start + 1;
        }
        self.finder.find(hay.get(at..)?).map(|i| at + i)
    }

    /// Follows the needle through `bytes` from `state`: the length of the
    /// longest suffix of the stream so far that is a proper prefix of the
    /// needle and may still begin an occurrence (the Knuth–Morris–Pratt
    /// state). Returns the occurrences completed and the state after the
    /// last byte.
    ///
    /// Matching stretches are compared in blocks and a periodic run of
    /// occurrences is counted as in [`Needle::count_in`]; each step either
    /// moves through `bytes` or shortens the state, so the work is linear in
    /// `bytes.len() + state`.
    pub(super) fn advance(&self, mut state: usize, bytes: &[u8]) -> (u64, usize) {
        let needle = self.bytes();
        let n = needle.len();
        let mut found = 0;
        let mut at = 0;
        while at < bytes.len() {
            // Extend the partial occurrence as far as the bytes agree.
            let same = common_prefix(&bytes[at..], &needle[state..]);
            at += same;
            state += same;
            if state == n {
                // An occurrence ends at `at`; its last `period` bytes and
                // then the bytes themselves give the run that follows.
                let p = self.period;
                let mut run = common_prefix(&bytes[at..], &needle[n - p..]);
                if run == p {
                    run += common_prefix(&bytes[at + p..], &bytes[at..]);
                }
                let more = run / self.stride;
                found += 1 + more as u64;
                at += more * self.stride;
                // Overlapping: the longest border may begin the next
                // occurrence. Otherwise the next one starts after this one.
                state = if self.overlapping { n - p } else { 0 };
            } else if at < bytes.len() {
                // The partial occurrence `needle[..state]` has period `q`.
                let q = state.saturating_sub(self.borders[state]);
                if state > 0 && at >= q && bytes[at] == bytes[at - q] {
                    // The bytes go on repeating that period where the needle
                    // breaks it (as `a…a` does against `a…ab`): while they
                    // do, the state cycles through the `q` values below it
                    // and no occurrence ends, so skip them all at once.
                    let run = common_prefix(&bytes[at..], &bytes[at - q..]);
                    at += run;
                    state = state - q + (run - 1) % q + 1;
                } else if state > 0 {
                    // Fall back to the longest border the byte may extend.
                    state = self.borders[state];
                } else {
                    // Nothing started: skip to the needle's first byte.
                    at += memchr::memchr(needle[0], &bytes[at..]).unwrap_or(bytes.len() - at);
                }
            }
        }
        (found, state)
    }
}

/// How many bytes from `hay[at..]` on repeat the byte `period` positions
/// earlier (`hay[j] == hay[j - period]`), stopping at the first that does not.
/// Needs `at >= period`.
#[cold]
#[inline(never)]
fn periodic_extent(hay: &[u8], at: usize, period: usize) -> usize {
    common_prefix(&hay[at..], &hay[at - period..])
}

/// The length of the longest common prefix of `a` and `b`.
#[inline]
fn common_prefix(a: &[u8], b: &[u8]) -> usize {
    // Most calls (after an occurrence in ordinary text) stop at once.
    match (a.first(), b.first()) {
        (Some(x), Some(y)) if x == y => 1 + common_prefix_long(&a[1..], &b[1..]),
        _ => 0,
    }
}

/// [`common_prefix`] past the first byte: 32 bytes at a time (a fixed-size
/// comparison compiles to a few vector instructions), then 8, then one.
fn common_prefix_long(a: &[u8], b: &[u8]) -> usize {
    let mut done = 0;
    for width in [32, 8] {
        done += width
            * a[done..]
                .chunks_exact(width)
                .zip(b[done..].chunks_exact(width))
                .take_while(|(a, b)| a == b)
                .count();
    }
    done + a[done..]
        .iter()
        .zip(&b[done..])
        .take_while(|(a, b)| a == b)
        .count()
}
