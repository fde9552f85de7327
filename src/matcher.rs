//! [`Matcher`]: what a body is counted with, a literal string or a
//! regular expression, behind one interface.
//!
//! A plain string goes to the memmem [`Counter`]; a pattern (feature
//! `regex`) to the streaming [`StreamRegex`],
//! unless it is a plain string in disguise (`\.NET`), which the counter
//! counts the same, faster.
//!
//! # Example
//!
//! ```
//! use netcount::{Counter, Matcher, MatcherKind};
//!
//! let mut matcher = Matcher::from(Counter::new(".NET")?);
//! matcher.feed(b"<p>.NET is free. .N")?;
//! matcher.feed(b"ET runs everywhere.</p>")?;
//! assert_eq!(matcher.finish()?, 2);
//! assert_eq!(matcher.describe().kind, MatcherKind::Literal);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;

use crate::counter::Counter;
#[cfg(feature = "regex")]
use crate::counter::CounterOptions;
use crate::pattern::PatternError;
#[cfg(feature = "regex")]
use crate::pattern::{StreamRegex, StreamRegexBuilder};

/// Counts occurrences of a literal string or matches of a pattern in a
/// stream fed in pieces.
///
/// Build it from a [`Counter`] or a [`StreamRegex`]
/// with `From`, or from a pattern with [`Matcher::from_pattern`], which
/// picks the counter when the pattern is a plain string.
///
/// # Example
///
/// ```
/// use netcount::{Counter, Matcher};
///
/// let mut matcher: Matcher = Counter::new("ab")?.into();
/// matcher.feed(b"xaba")?;
/// matcher.feed(b"b")?;
/// assert_eq!(matcher.finish()?, 2);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct Matcher {
    /// What the matcher was built from, for reports: the pattern as given,
    /// or the counter's needle.
    pattern: Box<str>,
    /// The engine that counts.
    engine: Engine,
}

/// The engine behind a [`Matcher`].
// One matcher per stream, built once and kept in place: the variants'
// sizes do not matter, a box would only add an indirection per chunk.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
enum Engine {
    /// memmem over a literal needle.
    Literal(Counter),
    /// The lazy DFA stepped across pieces.
    #[cfg(feature = "regex")]
    Regex(StreamRegex),
}

/// Which engine a [`Matcher`] counts with, as named in JSON reports.
///
/// # Example
///
/// ```
/// use netcount::MatcherKind;
///
/// assert_eq!(MatcherKind::Literal.as_str(), "literal");
/// assert_eq!(MatcherKind::Regex.to_string(), "regex");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MatcherKind {
    /// A plain string, counted with memmem.
    Literal,
    /// A regular expression, counted with the streaming lazy DFA.
    Regex,
}

impl MatcherKind {
    /// The name used in reports: `"literal"` or `"regex"`.
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(netcount::MatcherKind::Regex.as_str(), "regex");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            MatcherKind::Literal => "literal",
            MatcherKind::Regex => "regex",
        }
    }
}

impl fmt::Display for MatcherKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a [`Matcher`] counts, for reports: the pattern and the engine.
///
/// # Example
///
/// ```
/// use netcount::{Counter, Matcher, MatcherKind};
///
/// let matcher = Matcher::from(Counter::new(".NET")?);
/// let description = matcher.describe();
/// assert_eq!((description.pattern.as_str(), description.kind), (".NET", MatcherKind::Literal));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Description {
    /// The pattern as given (for a matcher built from a [`Counter`], its
    /// needle, lower-cased if it ignores case; bytes that are not UTF-8
    /// shown as U+FFFD).
    pub pattern: String,
    /// The engine that counts it.
    pub kind: MatcherKind,
}

impl From<Counter> for Matcher {
    fn from(counter: Counter) -> Matcher {
        Matcher {
            pattern: String::from_utf8_lossy(counter.needle()).into(),
            engine: Engine::Literal(counter),
        }
    }
}

#[cfg(feature = "regex")]
impl From<StreamRegex> for Matcher {
    fn from(regex: StreamRegex) -> Matcher {
        Matcher {
            pattern: regex.pattern().into(),
            engine: Engine::Regex(regex),
        }
    }
}

impl Matcher {
    /// Compiles `pattern` with `settings` (case folding, look-ahead limit,
    /// cache size); a pattern that is a plain string, with no case folding
    /// beyond ASCII, goes to the memmem [`Counter`] instead, with the same
    /// count. The refusals are [`StreamRegexBuilder::build`]'s.
    ///
    /// # Example
    ///
    /// ```
    /// use netcount::pattern::StreamRegex;
    /// use netcount::{Matcher, MatcherKind};
    ///
    /// let settings = StreamRegex::builder().case_insensitive(true);
    /// let literal = Matcher::from_pattern(r"\.net", &settings)?;
    /// assert_eq!(literal.describe().kind, MatcherKind::Literal);
    /// let regex = Matcher::from_pattern(r"\.net\d", &settings)?;
    /// assert_eq!(regex.describe().kind, MatcherKind::Regex);
    /// assert_eq!(regex.describe().pattern, r"\.net\d");
    /// # Ok::<(), netcount::pattern::PatternError>(())
    /// ```
    #[cfg(feature = "regex")]
    pub fn from_pattern(
        pattern: &str,
        settings: &StreamRegexBuilder,
    ) -> Result<Matcher, PatternError> {
        let hir = crate::pattern::parse(pattern, settings.get_case_insensitive())?;
        if let Some(literal) = crate::pattern::literal_of(&hir) {
            let options = CounterOptions {
                ignore_case: literal.ignore_case,
                ..CounterOptions::default()
            };
            // The needle is never empty; should the counter refuse it all
            // the same, the regex below counts it.
            if let Ok(counter) = Counter::with_options(&literal.needle, options) {
                return Ok(Matcher {
                    pattern: pattern.into(),
                    engine: Engine::Literal(counter),
                });
            }
        }
        Ok(Matcher {
            pattern: pattern.into(),
            engine: Engine::Regex(StreamRegex::from_hir(pattern, &hir, settings)?),
        })
    }

    /// Feeds the next piece of the stream. Only a regex can fail (see
    /// [`StreamRegex::feed`](crate::pattern::StreamRegex::feed)).
    ///
    /// # Example
    ///
    /// ```
    /// let mut matcher = netcount::Matcher::from(netcount::Counter::new("ab")?);
    /// matcher.feed(b"a")?;
    /// matcher.feed(b"b")?;
    /// assert_eq!(matcher.count(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn feed(&mut self, chunk: &[u8]) -> Result<(), PatternError> {
        match &mut self.engine {
            Engine::Literal(counter) => {
                counter.feed(chunk);
                Ok(())
            }
            #[cfg(feature = "regex")]
            Engine::Regex(regex) => regex.feed(chunk),
        }
    }

    /// Ends the stream and returns the final count. A regex may confirm a
    /// last match here (one ending at the end of the stream).
    ///
    /// # Example
    ///
    /// ```
    /// let mut matcher = netcount::Matcher::from(netcount::Counter::new("ab")?);
    /// matcher.feed(b"abab")?;
    /// assert_eq!(matcher.finish()?, 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn finish(&mut self) -> Result<u64, PatternError> {
        match &mut self.engine {
            Engine::Literal(counter) => Ok(counter.count()),
            #[cfg(feature = "regex")]
            Engine::Regex(regex) => regex.finish(),
        }
    }

    /// Occurrences counted so far; final after [`finish`](Matcher::finish).
    ///
    /// # Example
    ///
    /// ```
    /// let mut matcher = netcount::Matcher::from(netcount::Counter::new("a")?);
    /// matcher.feed(b"banana")?;
    /// assert_eq!(matcher.count(), 3);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn count(&self) -> u64 {
        match &self.engine {
            Engine::Literal(counter) => counter.count(),
            #[cfg(feature = "regex")]
            Engine::Regex(regex) => regex.count(),
        }
    }

    /// Bytes fed since construction or the last reset.
    ///
    /// # Example
    ///
    /// ```
    /// let mut matcher = netcount::Matcher::from(netcount::Counter::new("a")?);
    /// matcher.feed(b"banana")?;
    /// assert_eq!(matcher.bytes(), 6);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn bytes(&self) -> u64 {
        match &self.engine {
            Engine::Literal(counter) => counter.bytes(),
            #[cfg(feature = "regex")]
            Engine::Regex(regex) => regex.bytes(),
        }
    }

    /// Forgets the stream, keeping what to look for, to count another one.
    ///
    /// # Example
    ///
    /// ```
    /// let mut matcher = netcount::Matcher::from(netcount::Counter::new("a")?);
    /// matcher.feed(b"aaa")?;
    /// matcher.reset();
    /// assert_eq!((matcher.count(), matcher.bytes()), (0, 0));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn reset(&mut self) {
        match &mut self.engine {
            Engine::Literal(counter) => counter.reset(),
            #[cfg(feature = "regex")]
            Engine::Regex(regex) => regex.reset(),
        }
    }

    /// What is counted, and with which engine, for reports.
    ///
    /// # Example
    ///
    /// ```
    /// use netcount::{Counter, Matcher, MatcherKind};
    ///
    /// let description = Matcher::from(Counter::new("needle")?).describe();
    /// assert_eq!(description.pattern, "needle");
    /// assert_eq!(description.kind, MatcherKind::Literal);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn describe(&self) -> Description {
        Description {
            pattern: self.pattern.to_string(),
            kind: match self.engine {
                Engine::Literal(_) => MatcherKind::Literal,
                #[cfg(feature = "regex")]
                Engine::Regex(_) => MatcherKind::Regex,
            },
        }
    }
}

/// Anything a body can be counted with: a [`Counter`], a
/// [`StreamRegex`] (feature `regex`) or a
/// [`Matcher`] holding either. [`Client::count`](crate::Client::count) and
/// the `http` module's counting methods take any of them.
///
/// The contract the HTTP layer relies on: [`reset`](Tally::reset) starts a
/// new stream, [`feed`](Tally::feed) takes its pieces in order,
/// [`finish`](Tally::finish) is called once at the end of the body and
/// gives the final count (a regex may confirm its last match only then).
/// The trait is sealed: the crate's guarantee that a count is exact
/// extends only to the engines it tests.
///
/// # Example
///
/// ```
/// use netcount::{Counter, Tally};
///
/// fn count_all<T: Tally + ?Sized>(tally: &mut T, pieces: &[&[u8]]) -> u64 {
///     tally.reset();
///     for piece in pieces {
///         tally.feed(piece).expect("a literal never fails");
///     }
///     tally.finish().expect("a literal never fails")
/// }
///
/// let mut counter = Counter::new(".NET")?;
/// assert_eq!(count_all(&mut counter, &[b"ASP.N", b"ET on .NET"]), 2);
/// assert_eq!(Tally::describe(&counter).pattern, ".NET");
/// # Ok::<(), netcount::CounterError>(())
/// ```
pub trait Tally: sealed::Sealed {
    /// Feeds the next piece of the stream. Only a regex can fail, with
    /// [`PatternError::MatchTooLong`].
    fn feed(&mut self, chunk: &[u8]) -> Result<(), PatternError>;
    /// Ends the stream and returns the final count.
    fn finish(&mut self) -> Result<u64, PatternError>;
    /// Occurrences counted so far; final after [`finish`](Tally::finish).
    fn count(&self) -> u64;
    /// Forgets the stream, keeping what to look for.
    fn reset(&mut self);
    /// What is counted, and with which engine, for reports.
    fn describe(&self) -> Description;
}

/// Keeps [`Tally`] implemented only by this crate's engines.
mod sealed {
    /// The seal: public in a private module, so no one else can name it.
    pub trait Sealed {}
    impl Sealed for crate::Counter {}
    #[cfg(feature = "regex")]
    impl Sealed for crate::pattern::StreamRegex {}
    impl Sealed for super::Matcher {}
}

impl Tally for Counter {
    fn feed(&mut self, chunk: &[u8]) -> Result<(), PatternError> {
        Counter::feed(self, chunk);
        Ok(())
    }
    fn finish(&mut self) -> Result<u64, PatternError> {
        Ok(Counter::count(self))
    }
    fn count(&self) -> u64 {
        Counter::count(self)
    }
    fn reset(&mut self) {
        Counter::reset(self)
    }
    fn describe(&self) -> Description {
        Description {
            pattern: String::from_utf8_lossy(self.needle()).into_owned(),
            kind: MatcherKind::Literal,
        }
    }
}

#[cfg(feature = "regex")]
impl Tally for StreamRegex {
    fn feed(&mut self, chunk: &[u8]) -> Result<(), PatternError> {
        StreamRegex::feed(self, chunk)
    }
    fn finish(&mut self) -> Result<u64, PatternError> {
        StreamRegex::finish(self)
    }
    fn count(&self) -> u64 {
        StreamRegex::count(self)
    }
    fn reset(&mut self) {
        StreamRegex::reset(self)
    }
    fn describe(&self) -> Description {
        Description {
            pattern: self.pattern().to_string(),
            kind: MatcherKind::Regex,
        }
    }
}

impl Tally for Matcher {
    fn feed(&mut self, chunk: &[u8]) -> Result<(), PatternError> {
        Matcher::feed(self, chunk)
    }
    fn finish(&mut self) -> Result<u64, PatternError> {
        Matcher::finish(self)
    }
    fn count(&self) -> u64 {
        Matcher::count(self)
    }
    fn reset(&mut self) {
        Matcher::reset(self)
    }
    fn describe(&self) -> Description {
        Matcher::describe(self)
    }
}

#[cfg(all(test, feature = "regex"))]
mod tests {
    use super::*;

    fn settings(case_insensitive: bool) -> StreamRegexBuilder {
        StreamRegexBuilder::new().case_insensitive(case_insensitive)
    }

    /// A pattern routed to the counter counts what the regex counts, case
    /// folding included.
    #[test]
    fn literal_route_agrees_with_the_regex() {
        let hay = "x.NET .net .Net.NET..NET KIT kit \u{212A}it .NETNET .N".as_bytes();
        for (pattern, ci) in [
            (r"\.NET", false),
            (r"\.net", true),
            ("(?i)net", false),
            ("[Nn][Ee][Tt]", false),
            ("kit", true),
            ("NET", false),
        ] {
            let mut matcher = Matcher::from_pattern(pattern, &settings(ci)).unwrap();
            let mut regex = settings(ci).build(pattern).unwrap();
            for piece in hay.chunks(3) {
                matcher.feed(piece).unwrap();
                regex.feed(piece).unwrap();
            }
            let expected = regex::bytes::RegexBuilder::new(pattern)
                .case_insensitive(ci)
                .build()
                .unwrap()
                .find_iter(hay)
                .count() as u64;
            assert_eq!(matcher.finish(), Ok(expected), "{pattern}");
            assert_eq!(regex.finish(), Ok(expected), "{pattern}");
        }
    }

    #[test]
    fn kinds_and_descriptions() {
        let kind = |p: &str, ci| Matcher::from_pattern(p, &settings(ci)).unwrap().describe();
        assert_eq!(kind(r"\.NET", false).kind, MatcherKind::Literal);
        assert_eq!(kind(r"\.NET", false).pattern, r"\.NET");
        assert_eq!(kind("kit", true).kind, MatcherKind::Regex);
        assert_eq!(kind("a+", false).kind, MatcherKind::Regex);
        assert_eq!(
            Matcher::from_pattern("a*", &settings(false)).unwrap_err(),
            PatternError::MatchesEmpty
        );
    }
}
