//! Unit tests of the url module, one file per concern, with the helpers they share.

mod display;
mod generated;
mod join;
mod parse;

use super::*;

/// The base URI of RFC 3986 §5.4.
const RFC_BASE: &str = "http://a/b/c/d;p?q";

/// Parses a URL that the test expects to be valid.
fn url(input: &str) -> Url {
    match Url::parse(input) {
        Ok(url) => url,
        Err(error) => panic!("{input:?} should parse, got {error:?}"),
    }
}

/// Returns the reason for a URL that the test expects to be refused.
fn reason(input: &str) -> String {
    reason_of(Url::parse(input), input)
}

/// Returns the reason of an error, panicking on success.
fn reason_of(result: Result<Url, Error>, input: &str) -> String {
    match result {
        Ok(url) => panic!("{input:?} should be refused, got {url}"),
        Err(Error::InvalidUrl { reason, .. }) => reason,
        // The crate's error type has other variants; this module never
        // builds them, but the match must still cover them.
        #[allow(unreachable_patterns)]
        Err(other) => panic!("{input:?} gave an unexpected error: {other:?}"),
    }
}

/// Asserts that `input` is refused with a reason containing `expected`.
fn assert_refused(input: &str, expected: &str) {
    let reason = reason(input);
    assert!(
        reason.contains(expected),
        "{input:?}: reason {reason:?} should contain {expected:?}"
    );
}
