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
//! Between two [`Counter::feed`] calls the counter remembers the stream's
//! *undecided end*: its last bytes that could still begin an occurrence,
//! fewer than the needle. A feed is handled in one of two ways:
//!
//! * a feed of at least a quarter of the needle is searched with
//!   [`memchr::memmem`]: first a small window (the undecided end plus at most
//!   `needle.len() - 1` fresh bytes, copied into a buffer allocated once) for
//!   occurrences that start before the feed, then the feed in place. Its last
//!   bytes become the undecided end;
//! * a shorter feed is followed on from the previous one through the
//!   needle's Knuth–Morris–Pratt border table, with no copying; the
//!   undecided end is then the longest suffix of the stream that is a prefix
//!   of the needle, kept as a length.
//!
//! Either way each byte is handled a bounded number of times, however long
//! the needle and however small the feeds.
//!
//! Two counting modes exist:
//!
//! * non-overlapping, leftmost-first (the default): after an occurrence the
//!   search resumes at its end, so `"aaaa"` holds two `"aa"`. This is the count
//!   of C# `Regex.Matches(text, Regex.Escape(needle)).Count`, Rust
//!   [`str::matches`] and Python `bytes.count`;
//! * overlapping: every start position counts, so `"aaaa"` holds three `"aa"`.
//!
//! Neither restarts the search one byte after each occurrence: the
//! occurrences that follow one at multiples of the needle's period (as in
//! `"aaaa…"` or `"abab…"`) are counted by comparing each byte once with the
//! byte one period earlier, so adversarial input costs linear time too.
//!
//! With [`CounterOptions::ignore_case`] ASCII letters match either case; other
//! bytes (including UTF-8 sequences) must match exactly. The input is folded
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

mod needle;
#[cfg(test)]
mod tests;

use std::fmt;

use needle::Needle;

/// The smallest block of input folded to lower case at a time when
/// [`CounterOptions::ignore_case`] is set.
const FOLD_BLOCK: usize = 16 * 1024;

/// The fold buffer also holds this many needles: each searched block costs
/// a few needle lengths of copying, which must stay small next to it.
const FOLD_NEEDLES: usize = 8;

/// A feed shorter than `needle.len() / SMALL_FEED` is followed through the
/// border table; a longer one is searched, at a cost of a few needle lengths
/// of copying per feed, which is then at most a constant factor of the feed.
const SMALL_FEED: usize = 4;

/// Why a [`Counter`] could not be built.
///
/// # Example
///
/// ```
/// use netcount::{Counter, CounterError};
///
/// let error = Counter::new("").unwrap_err();
/// assert_eq!(error, CounterError::EmptyNeedle);
/// assert_eq!(error.to_string(), "the needle is empty");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CounterError {
    /// The needle was empty; there is nothing to count.
    EmptyNeedle,
}

impl fmt::Display for CounterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CounterError::EmptyNeedle => f.write_str("the needle is empty"),
        }
    }
}

impl std::error::Error for CounterError {}

/// Options for a [`Counter`]: the counting mode and case folding.
///
/// Start from [`CounterOptions::default()`] (case-sensitive,
/// non-overlapping) and change what you need with the setters; the struct may
/// grow, so it cannot be built with a struct literal outside this crate.
///
/// # Example
///
/// ```
/// use netcount::{Counter, CounterOptions};
///
/// let options = CounterOptions::default().ignore_case(true).overlapping(true);
/// assert!(options.ignore_case && options.overlapping);
/// let mut counter = Counter::with_options("aA", options)?;
/// counter.feed(b"aaa");
/// assert_eq!(counter.count(), 2);
/// # Ok::<(), netcount::Error>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct CounterOptions {
    /// Match ASCII letters regardless of case (`a` matches `A`). Non-ASCII
    /// bytes always match exactly.
    pub ignore_case: bool,
    /// Count every start position, so occurrences may overlap
    /// (`"aaaa"` holds three `"aa"` instead of two).
    pub overlapping: bool,
}

impl CounterOptions {
    /// Sets [`ignore_case`](CounterOptions#structfield.ignore_case).
    ///
    /// # Example
    ///
    /// ```
    /// let options = netcount::CounterOptions::default().ignore_case(true);
    /// assert!(options.ignore_case);
    /// assert!(!options.overlapping);
    /// ```
    #[must_use]
    pub fn ignore_case(mut self, yes: bool) -> CounterOptions {
        self.ignore_case = yes;
        self
    }

    /// Sets [`overlapping`](CounterOptions#structfield.overlapping).
    ///
    /// # Example
    ///
    /// ```
    /// let options = netcount::CounterOptions::default().overlapping(true);
    /// assert!(options.overlapping);
    /// assert!(!options.ignore_case);
    /// ```
    #[must_use]
    pub fn overlapping(mut self, yes: bool) -> CounterOptions {
        self.overlapping = yes;
        self
    }
}

/// Counts occurrences of a needle in a stream fed in arbitrary pieces.
///
/// Memory use is fixed at construction: a few buffers the size of the needle
/// and a table of one `usize` per needle byte (and, with `ignore_case`, a
/// fold buffer of 16 KiB or eight needles, whichever is larger);
/// [`feed`](Counter::feed) never allocates.
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
    /// The needle (lower-cased when `options.ignore_case`) with its period
    /// and border table. Built once.
    needle: Needle,
    /// Mode flags; never change after construction.
    options: CounterOptions,
    /// Occurrences found so far.
    count: u64,
    /// Total bytes fed since construction or the last reset.
    bytes: u64,
    /// Where the stream's undecided end is kept: every occurrence not yet
    /// counted starts in it, it is shorter than the needle, and (in
    /// non-overlapping mode) none of its bytes belongs to a counted
    /// occurrence.
    tail: Tail,
    /// The undecided end when `tail` is [`Tail::Carried`]; empty otherwise.
    /// Capacity `needle.len() - 1`, reserved once.
    carry: Vec<u8>,
    /// Scratch space for the window `undecided end + first bytes of the
    /// feed`. Empty between calls; capacity `2 * (needle.len() - 1)`,
    /// reserved once.
    window: Vec<u8>,
    /// Scratch space for lower-cased input; empty unless `ignore_case`, and
    /// then of a fixed length (at least [`FOLD_BLOCK`]) for the counter's
    /// whole life.
    folded: Vec<u8>,
}

/// How [`Counter`] holds the undecided end of the stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tail {
    /// Its bytes are in `Counter::carry` (after a searched feed).
    Carried,
    /// It is the needle's first `len` bytes, the longest suffix of the stream
    /// that is a proper prefix of the needle (after a feed followed byte by
    /// byte; the Knuth–Morris–Pratt state).
    Prefix(usize),
}

impl Counter {
    /// Creates a case-sensitive, non-overlapping counter for `needle`.
    ///
    /// The needle is any non-empty byte string; `&str`, `&[u8]`, `String`
    /// and `Vec<u8>` all work. An empty needle is
    /// [`CounterError::EmptyNeedle`].
    ///
    /// # Example
    ///
    /// ```
    /// use netcount::{Counter, CounterError};
    ///
    /// assert!(Counter::new(".NET").is_ok());
    /// assert_eq!(Counter::new("").unwrap_err(), CounterError::EmptyNeedle);
    /// ```
    pub fn new(needle: impl AsRef<[u8]>) -> Result<Counter, CounterError> {
        Counter::with_options(needle, CounterOptions::default())
    }

    /// Creates a counter for `needle` with the given options.
    ///
    /// # Example
    ///
    /// ```
    /// use netcount::{Counter, CounterOptions};
    ///
    /// let options = CounterOptions::default().ignore_case(true);
    /// let mut counter = Counter::with_options(".net", options)?;
    /// counter.feed(b".NET .Net .net");
    /// assert_eq!(counter.count(), 3);
    /// # Ok::<(), netcount::Error>(())
    /// ```
    pub fn with_options(
        needle: impl AsRef<[u8]>,
        options: CounterOptions,
    ) -> Result<Counter, CounterError> {
        let needle = needle.as_ref();
        if needle.is_empty() {
            return Err(CounterError::EmptyNeedle);
        }
        let needle = if options.ignore_case {
            Needle::new(&needle.to_ascii_lowercase(), options.overlapping)
        } else {
            Needle::new(needle, options.overlapping)
        };
        let keep = needle.len() - 1;
        Ok(Counter {
            options,
            count: 0,
            bytes: 0,
            tail: Tail::Prefix(0),
            carry: Vec::with_capacity(keep),
            window: Vec::with_capacity(2 * keep),
            folded: if options.ignore_case {
                vec![0; FOLD_BLOCK.max(FOLD_NEEDLES * needle.len())]
            } else {
                Vec::new()
            },
            needle,
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
        self.needle.bytes()
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
        self.tail = Tail::Prefix(0);
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
        if chunk.is_empty() {
            return;
        }
        if !self.options.ignore_case {
            self.count_in(chunk);
            return;
        }
        // Fold in blocks of nearly equal length, into the buffer reserved at
        // construction: a chunk that fits is one block, a longer one gives
        // blocks of at least half the buffer, never short next to the
        // needle. The buffer is taken out of `self` while `count_in` borrows
        // `self`, then put back: moving a `Vec` does not allocate.
        let mut folded = std::mem::take(&mut self.folded);
        let blocks = chunk.len().div_ceil(folded.len());
        let (base, longer) = (chunk.len() / blocks, chunk.len() % blocks);
        let mut rest = chunk;
        for block in 0..blocks {
            let (block, after) = rest.split_at(base + usize::from(block < longer));
            rest = after;
            let out = &mut folded[..block.len()];
            for (o, b) in out.iter_mut().zip(block) {
                *o = b.to_ascii_lowercase();
            }
            self.count_in(out);
        }
        self.folded = folded;
    }

    /// Counts in `chunk`, which is already in the needle's case: searched if
    /// it is at least a quarter of the needle, else followed.
    fn count_in(&mut self, chunk: &[u8]) {
        if chunk.len() < self.needle.len() / SMALL_FEED {
            self.follow(chunk);
        } else {
            self.search(chunk);
        }
    }

    /// Follows a short `chunk` from the longest needle prefix at the end of
    /// the stream.
    fn follow(&mut self, chunk: &[u8]) {
        let state = match self.tail {
            Tail::Prefix(state) => state,
            Tail::Carried => {
                // The carry is shorter than the needle, so following it
                // completes no occurrence; it only finds the prefix.
                let (_, state) = self.needle.advance(0, &self.carry);
                self.carry.clear();
                state
            }
        };
        let (found, state) = self.needle.advance(state, chunk);
        self.count += found;
        self.tail = Tail::Prefix(state);
    }

    /// Counts in `chunk`, which is already in the needle's case and at least
    /// a quarter of the needle long, then keeps its undecided end.
    fn search(&mut self, chunk: &[u8]) {
        let keep = self.needle.len() - 1;
        // Where the in-place scan of `chunk` starts: past the end of an
        // occurrence that began before it (non-overlapping mode).
        let mut start = 0;

        // Step 1: occurrences that start in the undecided end, searched in a
        // window that holds it and the chunk's first bytes.
        let undecided = match self.tail {
            Tail::Prefix(len) => &self.needle.bytes()[..len],
            Tail::Carried => &self.carry[..],
        };
        if !undecided.is_empty() {
            let carried = undecided.len();
            let fresh = chunk.len().min(keep);
            self.window.clear();
            self.window.extend_from_slice(undecided);
            self.window.extend_from_slice(&chunk[..fresh]);
            // An occurrence wholly in the window starts in its first
            // `carried` bytes: the window is shorter than `carried + n`.
            let (found, resume) = self.needle.count_in(&self.window, 0);
            self.count += found;
            if fresh < keep {
                // The chunk is shorter than a needle: nothing can start and
                // end inside it, so the whole window is still undecided.
                // Keep its last bytes (those not inside an occurrence).
                let keep_from = resume.max(self.window.len().saturating_sub(keep));
                self.carry.clear();
                self.carry.extend_from_slice(&self.window[keep_from..]);
                self.window.clear();
                self.tail = Tail::Carried;
                return;
            }
            self.window.clear();
            start = resume.saturating_sub(carried);
        }

        // Step 2: occurrences inside the chunk, found in place.
        let (found, resume) = self.needle.count_in(chunk, start);
        self.count += found;

        // Step 3: carry the chunk's last bytes, except those that belong to
        // an occurrence already counted.
        let keep_from = resume.max(chunk.len().saturating_sub(keep));
        self.carry.clear();
        self.carry.extend_from_slice(&chunk[keep_from..]);
        self.tail = Tail::Carried;
    }
}
