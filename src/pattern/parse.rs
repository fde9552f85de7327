//! Parsing a pattern the way `regex::bytes::Regex` does, the checks that
//! refuse what a stream cannot count, and the plain-literal test.

use regex_syntax::hir::{Class, Hir, HirKind};
use regex_syntax::ParserBuilder;

use super::PatternError;

/// Parses `pattern` with the syntax settings of `regex::bytes::RegexBuilder`
/// (Unicode on, UTF-8 not required, case folding as asked), then refuses
/// patterns that can match the empty string or use a Unicode word boundary.
pub(crate) fn parse(pattern: &str, case_insensitive: bool) -> Result<Hir, PatternError> {
    let hir = ParserBuilder::new()
        .utf8(false)
        .case_insensitive(case_insensitive)
        .build()
        .parse(pattern)
        .map_err(|err| PatternError::Syntax(err.to_string()))?;
    let properties = hir.properties();
    // `None` means the pattern matches nothing at all, which is fine.
    if properties.minimum_len() == Some(0) {
        return Err(PatternError::MatchesEmpty);
    }
    if properties.look_set().contains_word_unicode() {
        return Err(PatternError::UnicodeWordBoundary);
    }
    Ok(hir)
}

/// A pattern that is a plain string: what the memmem
/// [`Counter`](crate::Counter) can count instead of the regex engine, with
/// the same result.
///
/// # Example
///
/// ```
/// use netcount::pattern::{literal, Literal};
///
/// let found = literal(r"\.NET", false);
/// assert_eq!(found, Some(Literal { needle: b".NET".to_vec(), ignore_case: false }));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Literal {
    /// The bytes to look for (lower case when `ignore_case`).
    pub needle: Vec<u8>,
    /// ASCII letters match in either case (and only they fold).
    pub ignore_case: bool,
}

/// Returns the plain string that `pattern` stands for, if it is one: a
/// sequence of exact bytes, or (case-insensitively) a sequence where every
/// ASCII letter matches both its cases and nothing else folds.
///
/// `(?i)k` is not a literal: Unicode case folding also matches the Kelvin
/// sign `K`, which the ASCII-folding counter would miss. Patterns that do
/// not parse, or that the streaming regex refuses, are not literals either.
///
/// # Example
///
/// ```
/// use netcount::pattern::{literal, Literal};
///
/// assert_eq!(
///     literal(r"\.net", true),
///     Some(Literal { needle: b".net".to_vec(), ignore_case: true }),
/// );
/// assert_eq!(literal("(?i)Kit", false), None); // K also matches U+212A
/// assert_eq!(literal("(?i:a)B", false), None); // folds only in part
/// assert_eq!(literal("a+", false), None);
/// ```
pub fn literal(pattern: &str, case_insensitive: bool) -> Option<Literal> {
    literal_of(&parse(pattern, case_insensitive).ok()?)
}

/// [`literal`] on an already parsed pattern.
pub(crate) fn literal_of(hir: &Hir) -> Option<Literal> {
    let items = match hir.kind() {
        HirKind::Concat(items) => items.as_slice(),
        HirKind::Literal(_) | HirKind::Class(_) => std::slice::from_ref(hir),
        _ => return None,
    };
    let mut needle = Vec::new();
    // Whether an ASCII letter must match exactly / in either case: the
    // counter folds all letters or none, so both at once is no literal.
    let (mut exact_letter, mut folded_letter) = (false, false);
    for item in items {
        match item.kind() {
            HirKind::Literal(lit) => {
                exact_letter |= lit.0.iter().any(u8::is_ascii_alphabetic);
                needle.extend_from_slice(&lit.0);
            }
            HirKind::Class(class) => {
                needle.push(ascii_case_pair(class)?);
                folded_letter = true;
            }
            _ => return None,
        }
    }
    if exact_letter && folded_letter || needle.is_empty() {
        return None;
    }
    Some(Literal {
        needle,
        ignore_case: folded_letter,
    })
}

/// The lower-case letter if `class` is exactly one ASCII letter in both
/// cases (`[Nn]`).
fn ascii_case_pair(class: &Class) -> Option<u8> {
    let (a, b) = match class {
        Class::Unicode(class) => match class.ranges() {
            [x, y] if x.start() == x.end() && y.start() == y.end() => {
                (u8::try_from(x.start()).ok()?, u8::try_from(y.start()).ok()?)
            }
            _ => return None,
        },
        Class::Bytes(class) => match class.ranges() {
            [x, y] if x.start() == x.end() && y.start() == y.end() => (x.start(), y.start()),
            _ => return None,
        },
    };
    (a.is_ascii_uppercase() && b == a.to_ascii_lowercase()).then_some(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lit(needle: &str, ignore_case: bool) -> Option<Literal> {
        Some(Literal {
            needle: needle.as_bytes().to_vec(),
            ignore_case,
        })
    }

    #[test]
    fn refusals_name_the_reason() {
        for empty in ["a*", "a|", "", "^", "(?m)$", "(?-u:\\b)", "a?b?", "(?:)"] {
            assert_eq!(
                parse(empty, false),
                Err(PatternError::MatchesEmpty),
                "{empty}"
            );
        }
        for unicode in [r"\bfoo", r"foo\B", r"\<foo\>", r"\b{start}x", r"(?i)\bk"] {
            assert_eq!(
                parse(unicode, false),
                Err(PatternError::UnicodeWordBoundary),
                "{unicode}"
            );
        }
        assert!(parse(r"(?-u:\b)foo(?-u:\b)", false).is_ok());
        // A pattern that matches nothing is allowed: it counts zero.
        assert!(parse(r"[^\s\S]", false).is_ok());
        match parse("a(", false) {
            Err(PatternError::Syntax(message)) => {
                assert!(message.contains("unclosed group"), "{message}")
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn literals_are_recognised_only_when_the_counter_agrees() {
        assert_eq!(literal(r"\.NET", false), lit(".NET", false));
        assert_eq!(literal("abc", false), lit("abc", false));
        assert_eq!(literal("é", false), lit("é", false));
        assert_eq!(literal("a", false), lit("a", false));
        assert_eq!(literal(r"\.net", true), lit(".net", true));
        assert_eq!(literal(r"(?i)\.NeT 4", false), lit(".net 4", true));
        assert_eq!(literal("[Nn][Ee][Tt]", false), lit("net", true));
        assert_eq!(literal("(?i-u)net", false), lit("net", true));
        assert_eq!(literal("123", true), lit("123", false));
        // Unicode folding beyond ASCII: K, S and non-ASCII letters.
        assert_eq!(literal("net", true).map(|l| l.ignore_case), Some(true));
        assert_eq!(literal("kit", true), None);
        assert_eq!(literal("is", true), None);
        assert_eq!(literal("é", true), None);
        // Partly folded, or not a string at all.
        assert_eq!(literal("(?i:n)ET", false), None);
        assert_eq!(literal("ne+t", false), None);
        assert_eq!(literal("a|b", false), None);
        assert_eq!(literal("[ab]", false), None);
        assert_eq!(literal("^a", false), None);
        assert_eq!(literal("a*", false), None);
        assert_eq!(literal("(", false), None);
    }
}
