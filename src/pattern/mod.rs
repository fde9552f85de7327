//! Counting a regular expression over a stream (feature `regex`).
//!
//! [`StreamRegex`] counts what `regex::bytes::Regex::find_iter` would find
//! in the whole body, fed in pieces of any size, in bounded memory: no line
//! or body is ever held whole. [`literal`] tells when a pattern is a plain
//! string, which the faster [`Counter`](crate::Counter) counts the same;
//! [`Matcher`](crate::Matcher) makes that choice for you.
//!
//! | file | owns |
//! | --- | --- |
//! | `parse.rs` | the parser settings, the refusals, the plain-literal test |
//! | `stream.rs` | the lazy DFA stepped across pieces, the re-scan buffer |
//! | `accel.rs` | skipping the bytes that keep the DFA in its start state |
//! | `error.rs` | [`PatternError`] |
//!
//! # What is refused, and why
//!
//! * A pattern that can match the empty string (`a*`, `x|`, `^`): an empty
//!   match counts no bytes, and `find_iter`'s rules for it would have to be
//!   replayed at every chunk boundary. Write `a+`, drop the empty branch.
//! * A Unicode word boundary (`\b` with Unicode on, the default): the lazy
//!   DFA cannot decide it on non-ASCII text. Write `(?-u:\b)`.
//! * A match that needs to look more than
//!   [`max_match_bytes`](StreamRegexBuilder::max_match_bytes) past its end
//!   (`a.*b` on a long line): an error when it happens, never a guess.
//!
//! # Example
//!
//! ```
//! # #[cfg(feature = "regex")] {
//! use netcount::pattern::StreamRegex;
//!
//! let mut regex = StreamRegex::new(r"(?-u:\b)[A-Z][a-z]+Script(?-u:\b)")?;
//! for piece in [&b"JavaScript, Type"[..], b"Script, ", b"ActionScript3"] {
//!     regex.feed(piece)?;
//! }
//! assert_eq!(regex.finish()?, 2);
//! # }
//! # Ok::<(), netcount::pattern::PatternError>(())
//! ```

#[cfg(feature = "regex")]
mod accel;
mod error;
#[cfg(feature = "regex")]
mod parse;
#[cfg(feature = "regex")]
mod stream;

pub use error::PatternError;

/// The default look-ahead limit past a match,
/// `StreamRegexBuilder::max_match_bytes` (feature `regex`): 64 KiB. Defined
/// without the feature too, so that a command line can name it.
///
/// # Example
///
/// ```
/// assert_eq!(netcount::pattern::DEFAULT_MAX_MATCH_BYTES, 65_536);
/// ```
pub const DEFAULT_MAX_MATCH_BYTES: usize = 64 * 1024;
#[cfg(feature = "regex")]
pub use parse::{literal, Literal};
#[cfg(feature = "regex")]
pub(crate) use parse::{literal_of, parse};
#[cfg(feature = "regex")]
pub use stream::{StreamRegex, StreamRegexBuilder, DEFAULT_CACHE_CAPACITY, DEFAULT_SIZE_LIMIT};
