//! The incremental matcher: counts a needle in a byte stream fed in pieces.
//!
//! A body arrives as a sequence of reads whose boundaries are chosen by the
//! network, not by us. An occurrence of the needle may straddle two (or, for a
//! long needle and tiny reads, many) reads. [`Counter`] makes the split
//! invisible: feeding the stream in any split gives exactly the count of the
//! whole stream.
//!
//! # How it works
//!
//! The search itself is [`memchr::memmem::Finder`], built once per counter.
//! Between two [`Counter::feed`] calls the counter keeps a *carry*: the last
//! bytes of the stream that could still be the start of an occurrence, which
//! is at most `needle.len() - 1` bytes. On the next feed it first looks for
//! occurrences that *start* in the carry (a small window of the carry plus at
//! most `needle.len() - 1` fresh bytes, copied into a buffer allocated once),
//! then scans the new chunk in place.
//!
//! Two counting modes exist:
//!
//! * non-overlapping, leftmost-first (the default): after an occurrence the
//!   search resumes at its end, so `"aaaa"` holds two `"aa"`. This is the count
//!   of C# `Regex.Matches(text, Regex.Escape(needle)).Count`, Rust
//!   [`str::matches`] and Python `bytes.count`;
//! * overlapping: every start position counts, so `"aaaa"` holds three `"aa"`.
//!
//! With [`CounterOptions::ignore_case`] ASCII letters match either case; other
//! bytes (including UTF-8 sequences) must match exactly. The chunk is folded
//! to lower case block by block into a buffer allocated once.
//!
//! # Example
//!
//! ```
//! use netcount::Counter;
//!
//! let mut counter = Counter::new(".NET")?;
//! counter.feed(b"Learn .N");
//! counter.feed(b"ET and .NET Core");
//! assert_eq!(counter.count(), 2);
//! # Ok::<(), netcount::Error>(())
//! ```

use memchr::memmem::Finder;

use crate::error::Error;

/// How many bytes of the input are folded to lower case at a time when
/// [`CounterOptions::ignore_case`] is set.
const FOLD_BLOCK: usize = 16 * 1024;

/// Options for a [`Counter`]: the counting mode and case folding.
///
/// # Example
///
/// ```
/// use netcount::{Counter, CounterOptions};
///
/// let options = CounterOptions { ignore_case: true, overlapping: true };
/// let mut counter = Counter::with_options("aA", options)?;
/// counter.feed(b"aaa");
/// assert_eq!(counter.count(), 2);
/// # Ok::<(), netcount::Error>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct CounterOptions {
    /// Match ASCII letters regardless of case (`a` matches `A`). Non-ASCII
    /// bytes always match exactly.
    pub ignore_case: bool,
    /// Count every start position, so occurrences may overlap
    /// (`"aaaa"` holds three `"aa"` instead of two).
    pub overlapping: bool,
}

/// Counts occurrences of a needle in a stream fed in arbitrary pieces.
///
/// Memory use is fixed at construction: a few buffers the size of the needle
/// (and one 16 KiB fold buffer with `ignore_case`); [`feed`](Counter::feed)
/// never allocates.
///
/// # Example
///
/// ```
/// use netcount::Counter;
///
/// let mut counter = Counter::new("abab")?;
/// for byte in b"xxababab" {
///     counter.feed(std::slice::from_ref(byte));
/// }
/// // Leftmost-first and non-overlapping, like `str::matches`.
/// assert_eq!(counter.count(), "xxababab".matches("abab").count() as u64);
/// # Ok::<(), netcount::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Counter {
    /// The searcher for the needle (lower-cased when `options.ignore_case`).
    /// Built once; owns its copy of the needle.
    finder: Finder<'static>,
    /// Mode flags; never change after construction.
    options: CounterOptions,
    /// Occurrences found so far.
    count: u64,
    /// Total bytes fed since construction or the last reset.
    bytes: u64,
    /// The stream's last bytes that may still begin an occurrence: a suffix
    /// of everything fed so far, `carry.len() < needle.len()`, and (in
    /// non-overlapping mode) none of its bytes belongs to a counted
    /// occurrence. Capacity `needle.len() - 1`, reserved once.
    carry: Vec<u8>,
    /// Scratch space for the window `carry + first bytes of the next chunk`.
    /// Empty between calls; capacity `2 * (needle.len() - 1)`, reserved once.
    window: Vec<u8>,
    /// Scratch space for lower-cased input; empty unless `ignore_case`, and
    /// then of length [`FOLD_BLOCK`] for the counter's whole life.
    folded: Vec<u8>,
}

impl Counter {
    /// Creates a case-sensitive, non-overlapping counter for `needle`.
    ///
    /// The needle is any non-empty byte string; `&str`, `&[u8]`, `String`
    /// and `Vec<u8>` all work. An empty needle is [`Error::EmptyNeedle`].
    ///
    /// # Example
    ///
    /// ```
    /// use netcount::{Counter, Error};
    ///
    /// assert!(Counter::new(".NET").is_ok());
    /// assert!(matches!(Counter::new(""), Err(Error::EmptyNeedle)));
    /// ```
    pub fn new(needle: impl AsRef<[u8]>) -> Result<Counter, Error> {
        Counter::with_options(needle, CounterOptions::default())
    }

    /// Creates a counter for `needle` with the given options.
    ///
    /// # Example
    ///
    /// ```
    /// use netcount::{Counter, CounterOptions};
    ///
    /// let options = CounterOptions { ignore_case: true, ..Default::default() };
    /// let mut counter = Counter::with_options(".net", options)?;
    /// counter.feed(b".NET .Net .net");
    /// assert_eq!(counter.count(), 3);
    /// # Ok::<(), netcount::Error>(())
    /// ```
    pub fn with_options(
        needle: impl AsRef<[u8]>,
        options: CounterOptions,
    ) -> Result<Counter, Error> {
        let needle = needle.as_ref();
        if needle.is_empty() {
            return Err(Error::EmptyNeedle);
        }
        let finder = if options.ignore_case {
            Finder::new(&needle.to_ascii_lowercase()).into_owned()
        } else {
            Finder::new(needle).into_owned()
        };
        let keep = needle.len() - 1;
        Ok(Counter {
            finder,
            options,
            count: 0,
            bytes: 0,
            carry: Vec::with_capacity(keep),
            window: Vec::with_capacity(2 * keep),
            folded: if options.ignore_case {
                vec![0; FOLD_BLOCK]
            } else {
                Vec::new()
            },
        })
    }

    /// The needle being searched for (lower-cased if the counter ignores
    /// case).
    ///
    /// # Example
    ///
    /// ```
    /// let counter = netcount::Counter::new("abc")?;
    /// assert_eq!(counter.needle(), b"abc");
    /// # Ok::<(), netcount::Error>(())
    /// ```
    pub fn needle(&self) -> &[u8] {
        self.finder.needle()
    }

    /// The options the counter was built with.
    ///
    /// # Example
    ///
    /// ```
    /// let counter = netcount::Counter::new("abc")?;
    /// assert!(!counter.options().overlapping);
    /// # Ok::<(), netcount::Error>(())
    /// ```
    pub fn options(&self) -> CounterOptions {
        self.options
    }

    /// Occurrences counted so far.
    ///
    /// An occurrence is counted as soon as its last byte has been fed.
    ///
    /// # Example
    ///
    /// ```
    /// let mut counter = netcount::Counter::new("ab")?;
    /// counter.feed(b"a");
    /// assert_eq!(counter.count(), 0);
    /// counter.feed(b"b");
    /// assert_eq!(counter.count(), 1);
    /// # Ok::<(), netcount::Error>(())
    /// ```
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Bytes fed so far.
    ///
    /// # Example
    ///
    /// ```
    /// let mut counter = netcount::Counter::new("ab")?;
    /// counter.feed(b"abc");
    /// assert_eq!(counter.bytes(), 3);
    /// # Ok::<(), netcount::Error>(())
    /// ```
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// Forgets everything fed so far, keeping the needle and options, so the
    /// counter can be reused for another stream without allocating.
    ///
    /// # Example
    ///
    /// ```
    /// let mut counter = netcount::Counter::new("ab")?;
    /// counter.feed(b"aba");
    /// counter.reset();
    /// counter.feed(b"b"); // not joined with the "a" before the reset
    /// assert_eq!(counter.count(), 0);
    /// assert_eq!(counter.bytes(), 1);
    /// # Ok::<(), netcount::Error>(())
    /// ```
    pub fn reset(&mut self) {
        self.count = 0;
        self.bytes = 0;
        self.carry.clear();
    }

    /// Feeds the next piece of the stream.
    ///
    /// # Example
    ///
    /// ```
    /// let mut counter = netcount::Counter::new("needle")?;
    /// counter.feed(b"hay nee");
    /// counter.feed(b"dle hay");
    /// assert_eq!(counter.count(), 1);
    /// # Ok::<(), netcount::Error>(())
    /// ```
    pub fn feed(&mut self, chunk: &[u8]) {
        self.bytes += chunk.len() as u64;
        if !self.options.ignore_case {
            self.feed_folded(chunk);
            return;
        }
        // Fold block by block into the buffer reserved at construction. The
        // buffer is taken out of `self` while `feed_folded` borrows `self`,
        // then put back: moving a `Vec` does not allocate.
        let mut folded = std::mem::take(&mut self.folded);
        for block in chunk.chunks(FOLD_BLOCK) {
            let out = &mut folded[..block.len()];
            for (o, b) in out.iter_mut().zip(block) {
                *o = b.to_ascii_lowercase();
            }
            self.feed_folded(out);
        }
        self.folded = folded;
    }

    /// Counts in `chunk`, which is already in the needle's case.
    fn feed_folded(&mut self, chunk: &[u8]) {
        let n = self.finder.needle().len();
        // Where the in-place scan of `chunk` starts: past the end of an
        // occurrence that began in the carry (non-overlapping mode).
        let mut start = 0;

        // Step 1: occurrences that start in the carry.
        if !self.carry.is_empty() {
            let carried = self.carry.len();
            let fresh = chunk.len().min(n - 1);
            self.window.clear();
            self.window.extend_from_slice(&self.carry);
            self.window.extend_from_slice(&chunk[..fresh]);
            // `resume`: the window position before which no new occurrence
            // may start.
            let mut resume = 0;
            let mut from = 0;
            while from < carried {
                match self.finder.find(&self.window[from..]) {
                    Some(i) if from + i < carried => {
                        self.count += 1;
                        from += i + if self.options.overlapping { 1 } else { n };
                        if !self.options.overlapping {
                            resume = from;
                        }
                    }
                    _ => break,
                }
            }
            if fresh < n - 1 {
                // The chunk is shorter than a needle: nothing can start and
                // end inside it, so the whole window is still undecided.
                // Keep its last bytes (those not inside an occurrence).
                let keep_from = resume.max(self.window.len().saturating_sub(n - 1));
                self.carry.clear();
                self.carry.extend_from_slice(&self.window[keep_from..]);
                self.window.clear();
                return;
            }
            self.window.clear();
            start = resume.saturating_sub(carried);
        }

        // Step 2: occurrences inside the chunk, found in place.
        let mut from = start;
        let mut resume = start;
        while let Some(i) = self.finder.find(&chunk[from..]) {
            self.count += 1;
            from += i + if self.options.overlapping { 1 } else { n };
            if !self.options.overlapping {
                resume = from;
            }
        }

        // Step 3: carry the chunk's last bytes, except those that belong to
        // an occurrence already counted.
        let keep_from = resume.max(chunk.len().saturating_sub(n - 1));
        self.carry.clear();
        self.carry.extend_from_slice(&chunk[keep_from..]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The oracle: a byte-by-byte scan so simple it cannot be wrong.
    fn naive(hay: &[u8], needle: &[u8], options: CounterOptions) -> u64 {
        let eq = |a: &[u8], b: &[u8]| {
            if options.ignore_case {
                a.eq_ignore_ascii_case(b)
            } else {
                a == b
            }
        };
        let (mut i, mut count) = (0, 0);
        while i + needle.len() <= hay.len() {
            if eq(&hay[i..i + needle.len()], needle) {
                count += 1;
                i += if options.overlapping { 1 } else { needle.len() };
            } else {
                i += 1;
            }
        }
        count
    }

    const ALL_MODES: [CounterOptions; 4] = [
        CounterOptions {
            ignore_case: false,
            overlapping: false,
        },
        CounterOptions {
            ignore_case: false,
            overlapping: true,
        },
        CounterOptions {
            ignore_case: true,
            overlapping: false,
        },
        CounterOptions {
            ignore_case: true,
            overlapping: true,
        },
    ];

    fn count_in_pieces(needle: &[u8], options: CounterOptions, pieces: &[&[u8]]) -> u64 {
        let mut counter = Counter::with_options(needle, options).unwrap();
        for piece in pieces {
            counter.feed(piece);
        }
        counter.count()
    }

    use crate::testing::XorShift as Rng;

    #[test]
    fn empty_needle_is_an_error() {
        assert!(matches!(Counter::new(""), Err(Error::EmptyNeedle)));
        assert!(matches!(Counter::new(Vec::new()), Err(Error::EmptyNeedle)));
    }

    #[test]
    fn agrees_with_std_and_the_csharp_semantics() {
        // `str::matches` is the non-overlapping, leftmost-first reference.
        let cases = [
            ("aaaa", "aa"),
            ("abababa", "aba"),
            ("ababab", "abab"),
            (".NET .NET.NET", ".NET"),
            ("", "x"),
            ("xyz", "xyzz"),
        ];
        for (hay, needle) in cases {
            let whole = count_in_pieces(needle.as_bytes(), ALL_MODES[0], &[hay.as_bytes()]);
            assert_eq!(
                whole,
                hay.matches(needle).count() as u64,
                "{hay:?} {needle:?}"
            );
        }
        // Overlapping counts every start position.
        assert_eq!(count_in_pieces(b"aa", ALL_MODES[1], &[b"aaaa"]), 3);
        assert_eq!(count_in_pieces(b"aba", ALL_MODES[1], &[b"abababa"]), 3);
        // Ignore-case folds ASCII only: the UTF-8 of 'É' is not 'é'.
        assert_eq!(count_in_pieces(b"net", ALL_MODES[2], &[b".NET .Net"]), 2);
        assert_eq!(
            count_in_pieces("é".as_bytes(), ALL_MODES[2], &["É é".as_bytes()]),
            1
        );
    }

    /// Every way of cutting the input in two and in three pieces gives the
    /// count of the whole input, for every mode and many needles.
    #[test]
    fn every_split_point_gives_the_whole_count() {
        let needles: [&[u8]; 9] = [
            b"a",
            b"aa",
            b"aba",
            b"abab",
            b"aab",
            b".NET",
            "ü€".as_bytes(),
            &[0, 255, 0],
            b"abcabcab",
        ];
        let hays: [&[u8]; 7] = [
            b"aaaaaaaaa",
            b"abababababa",
            b"aabaabaab",
            b"x.NET.NETy.N.NET",
            "aü€ü€€".as_bytes(),
            &[0, 255, 0, 255, 0, 0, 255, 0],
            b"abcabcabcabcab",
        ];
        for options in ALL_MODES {
            for needle in needles {
                for hay in hays {
                    let expected = naive(hay, needle, options);
                    for i in 0..=hay.len() {
                        let (a, rest) = hay.split_at(i);
                        assert_eq!(
                            count_in_pieces(needle, options, &[a, rest]),
                            expected,
                            "{options:?} {needle:?} {hay:?} split at {i}"
                        );
                        for j in 0..=rest.len() {
                            let (b, c) = rest.split_at(j);
                            assert_eq!(
                                count_in_pieces(needle, options, &[a, b, c]),
                                expected,
                                "{options:?} {needle:?} {hay:?} split at {i},{}",
                                i + j
                            );
                        }
                    }
                }
            }
        }
    }

    /// Random inputs over a tiny alphabet (so occurrences are dense and
    /// overlap often), random needles, random chunkings including 1-byte
    /// feeds and needles longer than every chunk.
    #[test]
    fn random_chunkings_match_the_oracle() {
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        let alphabet = b"aAbB.\xff";
        for round in 0..3000 {
            let options = ALL_MODES[round % 4];
            let needle: Vec<u8> = (0..1 + rng.below(7))
                .map(|_| alphabet[rng.below(alphabet.len())])
                .collect();
            let hay: Vec<u8> = (0..rng.below(300))
                .map(|_| alphabet[rng.below(alphabet.len())])
                .collect();
            let max_piece = [1, 2, 3, 8, 64, 400][rng.below(6)];
            let mut counter = Counter::with_options(&needle, options).unwrap();
            let mut rest = &hay[..];
            while !rest.is_empty() {
                let take = (1 + rng.below(max_piece)).min(rest.len());
                counter.feed(&rest[..take]);
                rest = &rest[take..];
                if rng.below(5) == 0 {
                    counter.feed(b""); // empty feeds change nothing
                }
            }
            assert_eq!(
                counter.count(),
                naive(&hay, &needle, options),
                "{options:?} needle {needle:?} hay {hay:?}"
            );
            assert_eq!(counter.bytes(), hay.len() as u64);
        }
    }

    /// Large inputs cross the 16 KiB fold blocks of the ignore-case path.
    #[test]
    fn large_inputs_across_fold_blocks() {
        let mut rng = Rng(42);
        let hay: Vec<u8> = (0..100_000).map(|_| b"abcNnEeTt."[rng.below(10)]).collect();
        for options in ALL_MODES {
            for needle in [&b".NET"[..], b"a", b"et.n", b"abcabc"] {
                let expected = naive(&hay, needle, options);
                for piece in [1000, 4096, FOLD_BLOCK - 1, FOLD_BLOCK + 3, 70_000] {
                    let pieces: Vec<&[u8]> = hay.chunks(piece).collect();
                    assert_eq!(
                        count_in_pieces(needle, options, &pieces),
                        expected,
                        "{options:?} {needle:?} pieces of {piece}"
                    );
                }
            }
        }
    }

    #[test]
    fn a_needle_longer_than_every_chunk() {
        let needle = b"0123456789abcdef";
        let mut hay = b"0123456789abcde".repeat(3);
        hay.extend_from_slice(needle);
        hay.extend_from_slice(b"01234");
        hay.extend_from_slice(needle);
        for options in ALL_MODES {
            let expected = naive(&hay, needle, options);
            assert_eq!(expected, 2);
            for piece in 1..needle.len() {
                let pieces: Vec<&[u8]> = hay.chunks(piece).collect();
                assert_eq!(count_in_pieces(needle, options, &pieces), expected);
            }
        }
    }

    #[test]
    fn reset_forgets_the_carry_and_counts() {
        let mut counter = Counter::new("ab").unwrap();
        counter.feed(b"aba");
        assert_eq!(counter.count(), 1);
        counter.reset();
        counter.feed(b"b");
        assert_eq!((counter.count(), counter.bytes()), (0, 1));
    }

    #[test]
    fn feed_never_grows_the_buffers() {
        let mut counter = Counter::with_options("abcdef", ALL_MODES[3]).unwrap();
        let capacities = |c: &Counter| (c.carry.capacity(), c.window.capacity(), c.folded.len());
        let before = capacities(&counter);
        let mut rng = Rng(7);
        for _ in 0..2000 {
            let len = rng.below(40_000);
            let chunk: Vec<u8> = (0..len).map(|_| b"abcdefABCDEF"[rng.below(12)]).collect();
            counter.feed(&chunk);
        }
        assert_eq!(capacities(&counter), before);
    }
}

#[cfg(test)]
mod proptests {
    use super::*;
    use proptest::prelude::*;

    fn naive(hay: &[u8], needle: &[u8], overlapping: bool) -> u64 {
        let mut count = 0;
        let mut i = 0;
        while i + needle.len() <= hay.len() {
            if &hay[i..i + needle.len()] == needle {
                count += 1;
                i += if overlapping { 1 } else { needle.len() };
            } else {
                i += 1;
            }
        }
        count
    }

    proptest! {
        /// Any needle, any body, any split into pieces: the counter agrees
        /// with the oracle over the whole body.
        #[test]
        fn any_split_agrees_with_the_oracle(
            needle in proptest::collection::vec(prop_oneof![Just(b'a'), Just(b'b'), any::<u8>()], 1..6),
            hay in proptest::collection::vec(prop_oneof![Just(b'a'), Just(b'b'), any::<u8>()], 0..200),
            cuts in proptest::collection::vec(0usize..200, 0..10),
            overlapping in any::<bool>(),
        ) {
            let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c.min(hay.len())).collect();
            cuts.sort_unstable();
            let options = CounterOptions { ignore_case: false, overlapping };
            let mut counter = Counter::with_options(&needle, options).unwrap();
            let mut last = 0;
            for cut in cuts.into_iter().chain([hay.len()]) {
                counter.feed(&hay[last..cut]);
                last = cut;
            }
            prop_assert_eq!(counter.count(), naive(&hay, &needle, overlapping));
        }
    }
}
