//! [`StreamRegex`]: a regular expression counted over a stream fed in
//! pieces, with the count `regex::bytes::Regex::find_iter` gives on the
//! whole stream.
//!
//! # How it works
//!
//! The engine is regex-automata's lazy DFA, built unanchored and
//! leftmost-first (as `regex` builds it) and stepped one byte at a time with
//! its low-level API, so that a search can stop at the end of one chunk and
//! go on at the start of the next.
//!
//! A DFA learns of a match one byte late: it enters a *match state* on the
//! byte after the match ends. Leftmost-first semantics (the match a
//! backtracking engine would report) may prefer a longer match than the
//! first one seen, so the search keeps going while the match may grow; the
//! last match state seen marks where it ends. The match is confirmed when
//! the DFA dies (nothing it prefers can follow) or the stream ends. Counting needs only the ends, never the starts, so no reverse DFA
//! is needed.
//!
//! `find_iter` starts the next search where the last match ended. The DFA
//! has by then read past that point, so those bytes are read again, from a
//! start state chosen by the byte before the match end (for `^`, `$` and
//! `(?-u:\b)`). They may belong to earlier chunks, so the bytes after a
//! pending match end are kept in a *re-scan buffer*, up to
//! [`max_match_bytes`](StreamRegexBuilder::max_match_bytes); a match that
//! would need more is [`PatternError::MatchTooLong`], never a guess.
//!
//! While the DFA sits in its start state (nothing under way), a prefilter
//! built from the pattern's literal prefixes (`memchr`/`memmem`) may jump
//! ahead to the next place a match could begin, but never into the last
//! `longest literal − 1` bytes of a chunk, where a literal could begin and
//! continue in the next chunk.
//!
//! Empty matches would need `find_iter`'s special rules at every chunk
//! boundary and count nothing a reader would call an occurrence, so patterns
//! that can match the empty string are refused when built.

use regex_automata::hybrid::dfa::{Cache, DFA};
use regex_automata::hybrid::LazyStateID;
use regex_automata::nfa::thompson::{self, WhichCaptures};
use regex_automata::util::prefilter::Prefilter;
use regex_automata::util::start;
use regex_automata::{Anchored, MatchKind, Span};

use super::accel::Accel;
use super::parse::parse;
use super::{PatternError, DEFAULT_MAX_MATCH_BYTES};

/// The default of [`StreamRegexBuilder::cache_capacity`]: 2 MiB, what
/// `regex` gives its lazy DFA.
pub const DEFAULT_CACHE_CAPACITY: usize = 2 * 1024 * 1024;

/// The default of [`StreamRegexBuilder::size_limit`]: `regex`'s default
/// size limit, 10 MiB.
pub const DEFAULT_SIZE_LIMIT: usize = 10 * 1024 * 1024;

/// With [`StreamRegexBuilder::fail_when_thrashing`]: the cache clears
/// allowed before the search may give up, and the bytes it must search per
/// state built to go on (what `regex` itself uses before it falls back to a
/// slower engine).
const THRASH_CLEARS: usize = 3;
/// See [`THRASH_CLEARS`].
const THRASH_BYTES_PER_STATE: usize = 10;

/// Settings for a [`StreamRegex`]: case folding, the look-ahead limit and
/// the DFA's cache.
///
/// # Example
///
/// ```
/// use netcount::pattern::StreamRegex;
///
/// let mut regex = StreamRegex::builder()
///     .case_insensitive(true)
///     .build(r"\.net(?-u:\b)")?;
/// regex.feed(b".NET and .Net")?;
/// assert_eq!(regex.finish()?, 2);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamRegexBuilder {
    /// Whether letters match in every case (Unicode simple case folding, as
    /// `(?i)` does).
    case_insensitive: bool,
    /// See [`StreamRegexBuilder::max_match_bytes`].
    max_match_bytes: usize,
    /// See [`StreamRegexBuilder::cache_capacity`].
    cache_capacity: usize,
    /// See [`StreamRegexBuilder::size_limit`].
    size_limit: usize,
    /// See [`StreamRegexBuilder::fail_when_thrashing`].
    fail_when_thrashing: bool,
}

impl Default for StreamRegexBuilder {
    fn default() -> StreamRegexBuilder {
        StreamRegexBuilder {
            case_insensitive: false,
            max_match_bytes: DEFAULT_MAX_MATCH_BYTES,
            cache_capacity: DEFAULT_CACHE_CAPACITY,
            size_limit: DEFAULT_SIZE_LIMIT,
            fail_when_thrashing: false,
        }
    }
}

impl StreamRegexBuilder {
    /// The default settings: case-sensitive, 64 KiB look-ahead, 2 MiB
    /// cache.
    ///
    /// # Example
    ///
    /// ```
    /// use netcount::pattern::{StreamRegexBuilder, DEFAULT_MAX_MATCH_BYTES};
    ///
    /// let builder = StreamRegexBuilder::new();
    /// assert_eq!(builder.get_max_match_bytes(), DEFAULT_MAX_MATCH_BYTES);
    /// ```
    pub fn new() -> StreamRegexBuilder {
        StreamRegexBuilder::default()
    }

    /// Makes letters match in every case, as `(?i)` does (Unicode simple
    /// case folding: `k` also matches the Kelvin sign).
    ///
    /// # Example
    ///
    /// ```
    /// let mut regex = netcount::pattern::StreamRegex::builder()
    ///     .case_insensitive(true)
    ///     .build("ab+")?;
    /// regex.feed(b"AbB")?;
    /// assert_eq!(regex.finish()?, 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn case_insensitive(mut self, yes: bool) -> StreamRegexBuilder {
        self.case_insensitive = yes;
        self
    }

    /// How many bytes past the end of a match the search may read before it
    /// learns whether the match grows. Those bytes are kept, because the
    /// next search starts again at the match end; a match that needs more
    /// is [`PatternError::MatchTooLong`].
    ///
    /// A match itself may be longer: only the look-ahead past its end
    /// counts. `a[^b]*b` never looks ahead more than a byte; `a.*b` looks
    /// to the end of the line after each `b`. Every match needs a byte or
    /// two. The buffer grows to this size only when a pattern needs it
    /// (briefly twice this, while a re-scan copies it). Default: 64 KiB.
    ///
    /// # Example
    ///
    /// ```
    /// use netcount::pattern::{PatternError, StreamRegex};
    ///
    /// let mut regex = StreamRegex::builder().max_match_bytes(4).build("a.*b")?;
    /// regex.feed(b"ab and more")?;
    /// assert_eq!(regex.finish(), Err(PatternError::MatchTooLong { limit: 4 }));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn max_match_bytes(mut self, bytes: usize) -> StreamRegexBuilder {
        self.max_match_bytes = bytes;
        self
    }

    /// The look-ahead limit set by
    /// [`max_match_bytes`](StreamRegexBuilder::max_match_bytes).
    ///
    /// # Example
    ///
    /// ```
    /// let builder = netcount::pattern::StreamRegex::builder().max_match_bytes(10);
    /// assert_eq!(builder.get_max_match_bytes(), 10);
    /// ```
    pub fn get_max_match_bytes(&self) -> usize {
        self.max_match_bytes
    }

    /// The most memory, in bytes, the lazy DFA may use for the states it
    /// builds. When full, it is cleared and the search goes on from where it
    /// was (slower, never a different count). Values below the engine's
    /// minimum for the pattern use that minimum. Default: 2 MiB.
    ///
    /// # Example
    ///
    /// ```
    /// // The smallest cache still counts right, only more slowly.
    /// let mut regex = netcount::pattern::StreamRegex::builder()
    ///     .cache_capacity(0)
    ///     .build("[a-z]{3}[0-9]")?;
    /// regex.feed(b"abc1 xyz2 ab3")?;
    /// assert_eq!(regex.finish()?, 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn cache_capacity(mut self, bytes: usize) -> StreamRegexBuilder {
        self.cache_capacity = bytes;
        self
    }

    /// The largest compiled pattern (its NFA), in bytes; a larger one is
    /// [`PatternError::TooBig`]. The time to compile a pattern grows with
    /// its size (tens of milliseconds near the default, 10 MiB): a server
    /// compiling its clients' patterns sets less.
    ///
    /// # Example
    ///
    /// ```
    /// use netcount::pattern::{PatternError, StreamRegex};
    ///
    /// let small = StreamRegex::builder().size_limit(10_000);
    /// assert!(small.build("[a-z]{3}").is_ok());
    /// assert!(matches!(small.build(r"\w{100}"), Err(PatternError::TooBig(_))));
    /// ```
    pub fn size_limit(mut self, bytes: usize) -> StreamRegexBuilder {
        self.size_limit = bytes;
        self
    }

    /// Stops with [`PatternError::GaveUp`] when the lazy DFA thrashes: its
    /// cache was cleared three times and it searched fewer than 10 bytes
    /// per state it built since. Some patterns need a new state for almost
    /// every byte of some inputs (`[01]*1[01]{20}` on random digits), and
    /// each state costs time in proportion to the pattern's size: counting
    /// goes on, correctly, at kilobytes per second. Off by default (the
    /// count comes, slowly); a server, where one client's pattern must not
    /// hold a thread, turns it on.
    ///
    /// # Example
    ///
    /// ```
    /// use netcount::pattern::{PatternError, StreamRegex};
    ///
    /// let mut regex = StreamRegex::builder()
    ///     .fail_when_thrashing(true)
    ///     .cache_capacity(0)
    ///     .build("[01]*1[01]{12}")?;
    /// // Pseudo-random digits: almost every byte leads to a new state.
    /// let digits: Vec<u8> = (0u32..200_000).map(|i| b'0' + (i.wrapping_mul(2_654_435_761) >> 31) as u8).collect();
    /// assert_eq!(regex.feed(&digits), Err(PatternError::GaveUp));
    /// # Ok::<(), PatternError>(())
    /// ```
    pub fn fail_when_thrashing(mut self, yes: bool) -> StreamRegexBuilder {
        self.fail_when_thrashing = yes;
        self
    }

    /// Whether [`case_insensitive`](StreamRegexBuilder::case_insensitive)
    /// is set.
    ///
    /// # Example
    ///
    /// ```
    /// assert!(!netcount::pattern::StreamRegex::builder().get_case_insensitive());
    /// ```
    pub fn get_case_insensitive(&self) -> bool {
        self.case_insensitive
    }

    /// Compiles `pattern` into a [`StreamRegex`].
    ///
    /// The syntax is the `regex` crate's. Refused: patterns that do not
    /// parse ([`PatternError::Syntax`], with the parser's message), that can
    /// match the empty string ([`PatternError::MatchesEmpty`]), that use a
    /// Unicode word boundary ([`PatternError::UnicodeWordBoundary`]), or
    /// that compile to more than 10 MiB ([`PatternError::TooBig`]).
    ///
    /// # Example
    ///
    /// ```
    /// use netcount::pattern::{PatternError, StreamRegex};
    ///
    /// let builder = StreamRegex::builder();
    /// assert!(builder.build(r"(?-u:\b)\w+Script").is_ok());
    /// assert_eq!(builder.build(r"\bScript").unwrap_err(), PatternError::UnicodeWordBoundary);
    /// assert!(matches!(builder.build("a{"), Err(PatternError::Syntax(_))));
    /// ```
    pub fn build(&self, pattern: &str) -> Result<StreamRegex, PatternError> {
        let hir = parse(pattern, self.case_insensitive)?;
        StreamRegex::from_hir(pattern, &hir, self)
    }
}

/// Steps the DFA from the untagged state `sid` over `hay[at..]` for as long
/// as transitions lead to untagged states: the hot loop. Returns the state
/// stepped from, the state reached (tagged: special or not yet built) and
/// the index of the byte between them; at the end of `hay`, the state
/// reached and `hay.len()`.
///
/// Only shared borrows here, so the compiler keeps the transition table in
/// registers instead of reloading it for every byte.
#[inline(always)]
fn untagged_run(
    dfa: &DFA,
    cache: &Cache,
    mut sid: LazyStateID,
    hay: &[u8],
    at: usize,
) -> (LazyStateID, LazyStateID, usize) {
    let mut bytes = hay[at..].iter();
    let mut index = at;
    // Two steps per round: fewer loop-control branches per byte.
    while let [a, b, ..] = bytes.as_slice() {
        let next = dfa.next_state_untagged(cache, sid, *a);
        if next.is_tagged() {
            return (sid, next, index);
        }
        let after = dfa.next_state_untagged(cache, next, *b);
        if after.is_tagged() {
            return (next, after, index + 1);
        }
        sid = after;
        index += 2;
        bytes.nth(1);
    }
    if let Some(&a) = bytes.next() {
        let next = dfa.next_state_untagged(cache, sid, a);
        if next.is_tagged() {
            return (sid, next, index);
        }
        sid = next;
        index += 1;
    }
    (sid, sid, index)
}

/// Where the search stands.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Phase {
    /// Searching: more matches may follow.
    Searching,
    /// The DFA died with no match pending: no match can start anywhere in
    /// the rest of the stream, which is only counted in `bytes`.
    Exhausted,
    /// [`StreamRegex::finish`] ran: `count` is final.
    Finished,
    /// Counting stopped with this error, returned again by every call.
    Failed(PatternError),
}

/// How a pass over one piece of input ended.
enum Step {
    /// The piece was read to its end (or the search is over).
    End,
    /// The DFA died at this index while the pending match ended before the
    /// piece: the bytes from that end up to here must be searched again.
    Rewind(usize),
}

/// A regular expression counted over a stream fed in pieces.
///
/// The count is exactly `regex::bytes::Regex::new(pattern)?
/// .find_iter(whole_stream).count()` for every way of cutting the stream,
/// in memory bounded by the DFA cache and the look-ahead limit (see
/// [`StreamRegexBuilder`]).
///
/// # Example
///
/// ```
/// use netcount::pattern::StreamRegex;
///
/// let mut regex = StreamRegex::new("[A-Z][a-z]+Script")?;
/// regex.feed(b"JavaScr")?;
/// regex.feed(b"ipt, TypeScript and ")?;
/// regex.feed(b"Script")?;
/// assert_eq!(regex.finish()?, 2);
/// # Ok::<(), netcount::pattern::PatternError>(())
/// ```
#[derive(Debug, Clone)]
pub struct StreamRegex {
    /// The pattern as given.
    pattern: Box<str>,
    /// The unanchored, leftmost-first lazy DFA.
    dfa: DFA,
    /// The DFA's states and transitions built so far. It may be cleared by
    /// any DFA call that builds a state; the DFA keeps the state it steps
    /// from valid, so `sid` is the only state id held across calls.
    cache: Cache,
    /// Finds where a match could begin, from the pattern's literal prefixes.
    prefilter: Option<Prefilter>,
    /// The prefilter's longest literal minus one: how many bytes at the end
    /// of a piece it must not jump into.
    prefilter_keep: usize,
    /// Without a prefilter, with `universal_start`: skips the bytes that
    /// keep the DFA in its start state.
    accel: Option<Accel>,
    /// The start state does not depend on the byte before it (no look-around
    /// at the start of the pattern), so a jump can keep the current state.
    universal_start: bool,
    /// With `universal_start`: the start state, and the cache's clear count
    /// when it was built (a clear invalidates it).
    universal_start_state: Option<(usize, LazyStateID)>,
    /// Look-ahead limit, see [`StreamRegexBuilder::max_match_bytes`].
    max_match_bytes: usize,
    /// The DFA state after every byte fed since the current search began.
    /// Meaningless while `begin` is set.
    sid: LazyStateID,
    /// The search has not started: the next byte begins at the start state
    /// chosen by `last`.
    begin: bool,
    /// `Some(look_behind)` while a match has been seen but not confirmed: the
    /// byte before that match's end (the start state of the next search
    /// depends on it). The match ends where `rescan` starts.
    pending: Option<Option<u8>>,
    /// The bytes fed after the pending match's end, from pieces already
    /// returned. Empty when nothing is pending or when `overflow`;
    /// `len() <= max_match_bytes`.
    rescan: Vec<u8>,
    /// More than `max_match_bytes` bytes followed the pending match's end:
    /// `rescan` was dropped, and the match is an error unless a longer one
    /// replaces it.
    overflow: bool,
    /// Spare buffer for a re-scan across pieces; empty between calls.
    scratch: Vec<u8>,
    /// The last byte fed, the look-behind of the next piece.
    last: Option<u8>,
    /// Where the search stands.
    phase: Phase,
    /// Matches confirmed so far.
    count: u64,
    /// Bytes fed since construction or the last reset.
    bytes: u64,
}

impl StreamRegex {
    /// Compiles `pattern` with the default settings (case-sensitive, 64 KiB
    /// look-ahead, 2 MiB cache). See [`StreamRegexBuilder::build`] for what
    /// is refused.
    ///
    /// # Example
    ///
    /// ```
    /// use netcount::pattern::{PatternError, StreamRegex};
    ///
    /// assert!(StreamRegex::new(r"\.NET").is_ok());
    /// assert_eq!(StreamRegex::new("x|").unwrap_err(), PatternError::MatchesEmpty);
    /// ```
    pub fn new(pattern: &str) -> Result<StreamRegex, PatternError> {
        StreamRegexBuilder::new().build(pattern)
    }

    /// Settings for a pattern: case folding, look-ahead limit, cache size.
    ///
    /// # Example
    ///
    /// ```
    /// let regex = netcount::pattern::StreamRegex::builder()
    ///     .max_match_bytes(1 << 20)
    ///     .build("a.*b")?;
    /// assert_eq!(regex.pattern(), "a.*b");
    /// # Ok::<(), netcount::pattern::PatternError>(())
    /// ```
    pub fn builder() -> StreamRegexBuilder {
        StreamRegexBuilder::new()
    }

    /// Builds the engine for a parsed and checked pattern.
    pub(crate) fn from_hir(
        pattern: &str,
        hir: &regex_syntax::hir::Hir,
        settings: &StreamRegexBuilder,
    ) -> Result<StreamRegex, PatternError> {
        let nfa = thompson::Compiler::new()
            .configure(
                thompson::Config::new()
                    .which_captures(WhichCaptures::None)
                    .nfa_size_limit(Some(settings.size_limit)),
            )
            .build_from_hir(hir)
            .map_err(|err| PatternError::TooBig(err.to_string()))?;
        let prefilter = Prefilter::from_hir_prefix(MatchKind::LeftmostFirst, hir);
        let (clears, bytes_per_state) = if settings.fail_when_thrashing {
            (Some(THRASH_CLEARS), Some(THRASH_BYTES_PER_STATE))
        } else {
            (None, None)
        };
        let universal_start = nfa.look_set_prefix_any().is_empty();
        let build = |specialize_start_states: bool| {
            DFA::builder()
                .configure(
                    DFA::config()
                        .match_kind(MatchKind::LeftmostFirst)
                        .minimum_cache_clear_count(clears)
                        .minimum_bytes_per_state(bytes_per_state)
                        .cache_capacity(settings.cache_capacity)
                        .skip_cache_capacity_check(true)
                        // Start states are tagged (the hot loop stops on
                        // them) only when something can jump from them.
                        .specialize_start_states(specialize_start_states),
                )
                .build_from_nfa(nfa.clone())
                .map_err(|err| PatternError::TooBig(err.to_string()))
        };
        // Without a literal prefix, a start state that does not depend on
        // look-behind may still be skipped through with an accelerator.
        let mut dfa = build(prefilter.is_some() || universal_start)?;
        let accel = match prefilter {
            None if universal_start => Accel::for_start_state(&dfa),
            _ => None,
        };
        if prefilter.is_none() && accel.is_none() && universal_start {
            dfa = build(false)?;
        }
        let cache = dfa.create_cache();
        Ok(StreamRegex {
            pattern: pattern.into(),
            prefilter_keep: prefilter
                .as_ref()
                .map_or(0, |pre| pre.max_needle_len().saturating_sub(1)),
            prefilter,
            accel,
            universal_start,
            universal_start_state: None,
            dfa,
            cache,
            max_match_bytes: settings.max_match_bytes,
            sid: LazyStateID::default(),
            begin: true,
            pending: None,
            rescan: Vec::new(),
            overflow: false,
            scratch: Vec::new(),
            last: None,
            phase: Phase::Searching,
            count: 0,
            bytes: 0,
        })
    }

    /// The pattern as given.
    ///
    /// # Example
    ///
    /// ```
    /// let regex = netcount::pattern::StreamRegex::new("a+")?;
    /// assert_eq!(regex.pattern(), "a+");
    /// # Ok::<(), netcount::pattern::PatternError>(())
    /// ```
    pub fn pattern(&self) -> &str {
        &self.pattern
    }

    /// Matches confirmed so far. A match is confirmed once the bytes after
    /// it show it cannot grow (the DFA sees a match one byte late, and
    /// gives up on a longer one a byte or more after that), so the last
    /// one may only be counted by [`finish`](StreamRegex::finish).
    ///
    /// # Example
    ///
    /// ```
    /// let mut regex = netcount::pattern::StreamRegex::new("ab+")?;
    /// regex.feed(b"abb")?;
    /// assert_eq!(regex.count(), 0); // another b could follow
    /// regex.feed(b"!")?;
    /// assert_eq!(regex.count(), 0); // the match state, one byte late
    /// regex.feed(b"!")?;
    /// assert_eq!(regex.count(), 1); // the DFA died: "abb" is confirmed
    /// # Ok::<(), netcount::pattern::PatternError>(())
    /// ```
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Bytes fed since construction or the last reset.
    ///
    /// # Example
    ///
    /// ```
    /// let mut regex = netcount::pattern::StreamRegex::new("ab+")?;
    /// regex.feed(b"xyz")?;
    /// assert_eq!(regex.bytes(), 3);
    /// # Ok::<(), netcount::pattern::PatternError>(())
    /// ```
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// Forgets the stream, keeping the compiled pattern (and the states its
    /// cache has built), to count another stream.
    ///
    /// # Example
    ///
    /// ```
    /// let mut regex = netcount::pattern::StreamRegex::new("ab")?;
    /// regex.feed(b"a")?;
    /// regex.reset();
    /// regex.feed(b"b")?; // not joined with the "a" before the reset
    /// assert_eq!(regex.finish()?, 0);
    /// # Ok::<(), netcount::pattern::PatternError>(())
    /// ```
    pub fn reset(&mut self) {
        self.begin = true;
        self.pending = None;
        self.rescan.clear();
        self.overflow = false;
        self.last = None;
        self.phase = Phase::Searching;
        self.count = 0;
        self.bytes = 0;
    }

    /// Feeds the next piece of the stream.
    ///
    /// Fails with [`PatternError::MatchTooLong`] when a match needs more
    /// look-ahead than the limit; after an error, every call returns it
    /// again until [`reset`](StreamRegex::reset).
    ///
    /// # Example
    ///
    /// ```
    /// let mut regex = netcount::pattern::StreamRegex::new("[0-9]+")?;
    /// for piece in [&b"a1"[..], b"23b4", b"5"] {
    ///     regex.feed(piece)?;
    /// }
    /// assert_eq!(regex.finish()?, 2); // "123" and "45"
    /// # Ok::<(), netcount::pattern::PatternError>(())
    /// ```
    pub fn feed(&mut self, chunk: &[u8]) -> Result<(), PatternError> {
        match &self.phase {
            Phase::Searching => {}
            Phase::Exhausted => {
                self.bytes += chunk.len() as u64;
                return Ok(());
            }
            Phase::Finished => return Err(PatternError::Finished),
            Phase::Failed(err) => return Err(err.clone()),
        }
        self.bytes += chunk.len() as u64;
        let before = self.last;
        if let Some(&byte) = chunk.last() {
            self.last = Some(byte);
        }
        self.search(chunk, before).inspect_err(|err| {
            self.phase = Phase::Failed(err.clone());
        })
    }

    /// Ends the stream: confirms a pending match (the end of the stream is
    /// where `$` and `\z` match) and returns the final count.
    ///
    /// Calling it again returns the same count; feeding after it is
    /// [`PatternError::Finished`].
    ///
    /// # Example
    ///
    /// ```
    /// let mut regex = netcount::pattern::StreamRegex::new(r"[a-z]+\z")?;
    /// regex.feed(b"one two")?;
    /// assert_eq!(regex.count(), 0);
    /// assert_eq!(regex.finish()?, 1);
    /// assert_eq!(regex.count(), 1);
    /// # Ok::<(), netcount::pattern::PatternError>(())
    /// ```
    pub fn finish(&mut self) -> Result<u64, PatternError> {
        match &self.phase {
            Phase::Searching => {}
            Phase::Exhausted | Phase::Finished => {
                self.phase = Phase::Finished;
                return Ok(self.count);
            }
            Phase::Failed(err) => return Err(err.clone()),
        }
        match self.finish_search() {
            Ok(()) => {
                self.phase = Phase::Finished;
                Ok(self.count)
            }
            Err(err) => {
                self.phase = Phase::Failed(err.clone());
                Err(err)
            }
        }
    }

    /// Steps the end-of-input transition, re-scanning after each pending
    /// match until none is left.
    fn finish_search(&mut self) -> Result<(), PatternError> {
        if self.begin {
            self.sid = self.start(self.last)?;
            self.begin = false;
        }
        while self.phase == Phase::Searching {
            let eoi = self
                .dfa
                .next_eoi_state(&mut self.cache, self.sid)
                .map_err(|_| PatternError::GaveUp)?;
            if eoi.is_match() {
                // A match ending at the end: nothing can follow it.
                self.count += 1;
                break;
            }
            let Some(look_behind) = self.pending.take() else {
                break;
            };
            if self.overflow {
                return Err(self.too_long());
            }
            self.count += 1;
            let again = std::mem::take(&mut self.rescan);
            self.sid = self.start(look_behind)?;
            self.search(&again, look_behind)?;
            // A pending match in `again` left its tail in `rescan`; the
            // loop steps the end-of-input transition again.
        }
        self.pending = None;
        self.rescan.clear();
        Ok(())
    }

    /// Searches `hay`, the stream's next bytes; `before` is the byte that
    /// precedes it in the stream. Re-scans across pieces as needed.
    fn search(&mut self, hay: &[u8], before: Option<u8>) -> Result<(), PatternError> {
        if self.begin {
            self.sid = self.start(before)?;
            self.begin = false;
        }
        let mut from = 0;
        while self.phase == Phase::Searching {
            let Step::Rewind(died) = self.run(hay, from, before)? else {
                break;
            };
            // The pending match ended in an earlier piece: confirm it, then
            // search again from its end, over the kept bytes and this
            // piece up to where the DFA died.
            let Some(look_behind) = self.pending.take() else {
                break;
            };
            if self.overflow || self.rescan.len() + (died + 1 - from) > self.max_match_bytes {
                return Err(self.too_long());
            }
            self.count += 1;
            let mut again = std::mem::take(&mut self.scratch);
            again.clear();
            again.extend_from_slice(&self.rescan);
            again.extend_from_slice(&hay[from..=died]);
            self.rescan.clear();
            self.sid = self.start(look_behind)?;
            // `again` starts at the match end, so no match can be pending
            // before it: this pass never rewinds.
            let result = self.search(&again, look_behind);
            again.clear();
            self.scratch = again;
            result?;
            from = died + 1;
        }
        Ok(())
    }

    /// Steps the DFA over `hay[from..]`, counting the matches it confirms
    /// and re-scanning inside `hay`. `before` is the byte before `hay[0]`.
    fn run(&mut self, hay: &[u8], from: usize, before: Option<u8>) -> Result<Step, PatternError> {
        let mut sid = self.sid;
        let mut at = from;
        // Where the pending match ends, when that is inside `hay`.
        let mut end_here: Option<usize> = None;
        while at < hay.len() {
            if sid.is_tagged() {
                // A start state: let the prefilter jump to where a match
                // could begin, and step that byte at once (asking again
                // there would find the same place).
                if sid.is_start() && self.pending.is_none() {
                    if self.accel.as_ref().is_some_and(|accel| !accel.pays()) {
                        self.stop_accelerating()?;
                        sid = self.start(None)?;
                    }
                    if let Some(to) = self.jump(hay, at) {
                        at = to;
                        if !self.universal_start {
                            sid = self.start(Some(hay[at - 1]))?;
                        }
                        if at == hay.len() {
                            break;
                        }
                    }
                }
                sid = self
                    .dfa
                    .next_state(&mut self.cache, sid, hay[at])
                    .map_err(|_| PatternError::GaveUp)?;
            } else {
                let (from_sid, next, stop) = untagged_run(&self.dfa, &self.cache, sid, hay, at);
                at = stop;
                if at == hay.len() {
                    sid = from_sid;
                    break;
                }
                sid = if next.is_unknown() {
                    self.dfa
                        .next_state(&mut self.cache, from_sid, hay[at])
                        .map_err(|_| PatternError::GaveUp)?
                } else {
                    next
                };
            }
            if sid.is_tagged() {
                if sid.is_match() {
                    // A match ends before `hay[at]`; a longer one replaces
                    // any pending one.
                    end_here = Some(at);
                    self.pending = Some(if at > 0 { Some(hay[at - 1]) } else { before });
                    self.rescan.clear();
                    self.overflow = false;
                } else if sid.is_dead() {
                    let Some(look_behind) = self.pending else {
                        // No match pending and none can start: done.
                        self.phase = Phase::Exhausted;
                        return Ok(Step::End);
                    };
                    let Some(end) = end_here else {
                        self.sid = sid;
                        return Ok(Step::Rewind(at));
                    };
                    // Confirm the match and search again from its end.
                    if at + 1 - end > self.max_match_bytes {
                        return Err(self.too_long());
                    }
                    self.count += 1;
                    self.pending = None;
                    end_here = None;
                    sid = self.start(look_behind)?;
                    at = end;
                    continue;
                } else if sid.is_quit() {
                    // No quit bytes are configured and Unicode word
                    // boundaries are refused, so this cannot happen.
                    return Err(PatternError::GaveUp);
                }
            }
            at += 1;
        }
        self.sid = sid;
        if self.pending.is_some() {
            // Keep the bytes after the pending match's end, for a re-scan.
            let tail = &hay[end_here.unwrap_or(from)..];
            if self.overflow || self.rescan.len() + tail.len() > self.max_match_bytes {
                self.overflow = true;
                self.rescan.clear();
            } else {
                self.rescan.extend_from_slice(tail);
            }
        }
        Ok(Step::End)
    }

    /// Where the prefilter lets a search in the start state at `hay[at]`
    /// jump to, if further than `at`: the next candidate, but never into the
    /// last `prefilter_keep` bytes, where a literal may begin and continue
    /// in the next piece.
    fn jump(&mut self, hay: &[u8], at: usize) -> Option<usize> {
        let Some(prefilter) = self.prefilter.as_ref() else {
            // Every byte skipped keeps the DFA where it is: nothing is cut
            // at the end of the piece, so the skip may reach it.
            let to = self.accel.as_mut()?.skip(hay, at);
            return (to > at).then_some(to);
        };
        let stop = hay.len().saturating_sub(self.prefilter_keep);
        if at >= stop {
            return None;
        }
        let to = prefilter
            .find(hay, Span::from(at..hay.len()))
            .map_or(stop, |found| found.start.min(stop));
        (to > at).then_some(to)
    }

    /// Drops the accelerator, which did not pay on this text, and the start
    /// states' tags with it: a DFA that does not stop at its start state,
    /// with a new cache. Called in a start state, with no match pending, so
    /// nothing of the old cache is needed.
    fn stop_accelerating(&mut self) -> Result<(), PatternError> {
        self.accel = None;
        let config = self.dfa.get_config().clone().specialize_start_states(false);
        self.dfa = DFA::builder()
            .configure(config)
            .build_from_nfa(self.dfa.get_nfa().clone())
            .map_err(|err| PatternError::TooBig(err.to_string()))?;
        self.cache = self.dfa.create_cache();
        self.universal_start_state = None;
        Ok(())
    }

    /// The unanchored start state after `look_behind` (`None`: the start of
    /// the stream).
    fn start(&mut self, look_behind: Option<u8>) -> Result<LazyStateID, PatternError> {
        // The same for every look-behind: reuse it while the cache that
        // built it has not been cleared.
        if let Some((clears, sid)) = self.universal_start_state {
            if clears == self.cache.clear_count() {
                return Ok(sid);
            }
        }
        let config = start::Config::new()
            .anchored(Anchored::No)
            .look_behind(look_behind);
        let sid = self
            .dfa
            .start_state(&mut self.cache, &config)
            .map_err(|_| PatternError::GaveUp)?;
        if self.universal_start {
            self.universal_start_state = Some((self.cache.clear_count(), sid));
        }
        Ok(sid)
    }

    fn too_long(&self) -> PatternError {
        PatternError::MatchTooLong {
            limit: self.max_match_bytes,
        }
    }
}
