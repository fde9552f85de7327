//! The streaming regex against `regex::bytes` on the whole buffer: any
//! pattern, any haystack, any split, with and without case folding, a tiny
//! DFA cache and a small look-ahead limit.
#![no_main]

use libfuzzer_sys::fuzz_target;
use netcount::pattern::{PatternError, StreamRegex};
use netcount::Matcher;
use netcount_fuzz::Input;

/// Maps most bytes to a small alphabet so that matches are dense; keeps
/// the rest as they are (non-ASCII, line ends, invalid UTF-8).
fn small(b: u8) -> u8 {
    match b % 8 {
        0 => b'a',
        1 => b'A',
        2 => b'b',
        3 => b'\n',
        4 => b' ',
        _ => b,
    }
}

/// Feeds `hay` in pieces cut by `splits` (cycled), then finishes.
fn streamed(
    feed: &mut dyn FnMut(&[u8]) -> Result<(), PatternError>,
    hay: &[u8],
    splits: &[usize],
) -> Result<(), PatternError> {
    let mut rest = hay;
    let mut i = 0;
    while !rest.is_empty() {
        let n = splits[i % splits.len()].min(rest.len());
        feed(&rest[..n])?;
        rest = &rest[n..];
        i += 1;
    }
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    let mut input = Input::new(data);
    let mode = input.byte();
    let case_insensitive = mode & 1 != 0;
    let pattern_len = usize::from(input.byte() % 32);
    let Ok(pattern) = std::str::from_utf8(input.bytes(pattern_len)) else {
        return;
    };
    let splits = input.splits();
    let mut hay = input.rest.to_vec();
    if mode & 2 != 0 {
        hay.iter_mut().for_each(|b| *b = small(*b));
    }
    if mode & 4 != 0 {
        hay = hay.repeat(30);
    }

    let mut builder = StreamRegex::builder().case_insensitive(case_insensitive);
    if mode & 8 != 0 {
        builder = builder.cache_capacity(0);
    }
    let limit = if mode & 16 != 0 { 8 } else { usize::MAX };
    builder = builder.max_match_bytes(limit);

    let ours = builder.build(pattern);
    let theirs = regex::bytes::RegexBuilder::new(pattern)
        .case_insensitive(case_insensitive)
        .build();
    let (mut regex, oracle) = match (ours, theirs) {
        (Ok(ours), Ok(theirs)) => (ours, theirs),
        // Without capture groups our NFA is smaller: it may fit where
        // regex's does not.
        (Ok(_), Err(regex::Error::CompiledTooBig(_))) => return,
        (Ok(_), Err(err)) => panic!("regex refuses what we accept: {err}"),
        (Err(PatternError::Syntax(ours)), Err(regex::Error::Syntax(theirs))) => {
            assert_eq!(ours, theirs);
            return;
        }
        (Err(PatternError::Syntax(ours)), theirs) => {
            panic!("we refuse what regex parses: {ours} / {theirs:?}")
        }
        // Refused on purpose (empty matches, Unicode word boundaries) or
        // too big: nothing to compare.
        (Err(_), _) => return,
    };
    let expected = oracle.find_iter(&hay).count() as u64;

    // Whole, then split: the same answer, the oracle's unless the
    // look-ahead limit refused it.
    regex.feed(&hay).unwrap_or(());
    let whole = regex.finish();
    regex.reset();
    let split = streamed(&mut |piece| regex.feed(piece), &hay, &splits).and_then(|()| regex.finish());
    assert_eq!(whole, split, "whole and split differ");
    match split {
        Ok(count) => {
            assert_eq!(count, expected, "streamed count != regex count");
            assert_eq!(regex.bytes(), hay.len() as u64);
        }
        Err(err) => assert_eq!(err, PatternError::MatchTooLong { limit }),
    }

    // The matcher (which may route a plain string to the counter) agrees.
    if limit == usize::MAX {
        let mut matcher = Matcher::from_pattern(pattern, &builder).unwrap();
        streamed(&mut |piece| matcher.feed(piece), &hay, &splits).unwrap();
        assert_eq!(matcher.finish(), Ok(expected), "matcher count != regex count");
    }
});
