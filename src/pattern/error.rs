//! [`PatternError`]: why a pattern was refused, or why a stream could not be
//! counted with it.

use std::fmt;

/// Why a pattern was refused, or why counting it in a stream stopped.
///
/// The first kinds are refusals when a pattern is compiled; the others
/// happen while a stream is counted (`feed`, `finish`). Each message says
/// what to write instead. The type exists without the `regex` feature too,
/// so that [`Matcher`](crate::Matcher) has one signature.
///
/// # Example
///
/// ```
/// # #[cfg(feature = "regex")] {
/// use netcount::pattern::{PatternError, StreamRegex};
///
/// let err = StreamRegex::new("a*").unwrap_err();
/// assert_eq!(err, PatternError::MatchesEmpty);
/// assert!(err.to_string().contains("empty string"));
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PatternError {
    /// The pattern does not parse; the message is the parser's, with a
    /// caret under the offending part.
    Syntax(String),
    /// The pattern can match the empty string (`a*`, `x|`, `^`, `\b`), and
    /// an empty match has no bytes to count. Counting needs every match to
    /// be at least one byte long.
    MatchesEmpty,
    /// The pattern uses a Unicode word boundary (`\b`, `\B`, `\<`, `\>`,
    /// `\b{start}`, ...), which the streaming engine cannot run. The ASCII
    /// word boundary `(?-u:\b)` works.
    UnicodeWordBoundary,
    /// The compiled pattern is larger than the size limit; the message says
    /// by how much.
    TooBig(String),
    /// A match could not be confirmed within the look-ahead limit: the
    /// engine had to read more than `limit` bytes past the end of a match
    /// to learn that the match would not grow, and those bytes must be read
    /// again from the match end. `a.*b` on a long line after its last `b`
    /// does that.
    MatchTooLong {
        /// The limit in force, in bytes.
        limit: usize,
    },
    /// The lazy DFA gave up: with
    /// [`fail_when_thrashing`](crate::pattern::StreamRegexBuilder::fail_when_thrashing)
    /// set, it had to build a new state for almost every byte, which makes
    /// counting very slow. Without that setting it never gives up (a full
    /// cache is cleared and the search goes on); should it happen all the
    /// same, it is this error, never a wrong count.
    GaveUp,
    /// The stream was already finished; call `reset` before feeding
    /// another one.
    Finished,
}

impl fmt::Display for PatternError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PatternError::Syntax(message) => f.write_str(message),
            PatternError::MatchesEmpty => f.write_str(
                "the pattern can match the empty string, and an empty match has nothing to \
                 count: make every match at least one byte long (`a+` instead of `a*`, no empty \
                 alternative, no pattern made only of anchors or word boundaries)",
            ),
            PatternError::UnicodeWordBoundary => f.write_str(
                "the pattern uses a Unicode word boundary (`\\b`, `\\B`, `\\<`, `\\>`, \
                 `\\b{start}`, ...), which cannot be matched in a stream: write the ASCII \
                 form, `(?-u:\\b)` or `(?-u:\\B)`",
            ),
            PatternError::TooBig(message) => write!(f, "the pattern is too big: {message}"),
            PatternError::MatchTooLong { limit } => write!(
                f,
                "a match could not be confirmed within {limit} bytes past its end: raise the \
                 limit (--max-match-bytes), or bound the pattern (`[^<]{{0,100}}` instead of \
                 `.*`)"
            ),
            PatternError::GaveUp => f.write_str(
                "the pattern is too costly on this input: the regex engine had to build a new \
                 state for almost every byte (bound the counted repetitions, `[01]{20}` rather \
                 than `[01]{2000}`, or make the pattern's start more specific)",
            ),
            PatternError::Finished => {
                f.write_str("the stream was already finished: reset the matcher to count another")
            }
        }
    }
}

impl std::error::Error for PatternError {}
