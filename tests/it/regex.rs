//! The streaming regex against `regex::bytes` on the whole buffer: many
//! patterns × random haystacks over small alphabets (so matches are dense
//! and cross chunk boundaries) × random chunkings, with the default and a
//! deliberately tiny DFA cache.

use netcount::pattern::{PatternError, StreamRegex};
use netcount::{Matcher, MatcherKind};
use proptest::prelude::*;

/// Patterns that cover the engine's corners. None can match the empty
/// string and none uses a Unicode word boundary (both refused).
const PATTERNS: &[&str] = &[
    // Literals, short and long (across boundaries with small chunks).
    "a",
    "ab",
    "aba",
    "abab",
    "aaaa",
    r"\.NET",
    "abcabcabd",
    "abababababababab",
    "aaaaaaaaaaaaaaaaaaab",
    "a{20}",
    // Alternations with shared prefixes, in both preference orders.
    "ab|abc",
    "abc|ab",
    "a|ab|abc",
    "abc|ab|a",
    "ba|bab|b",
    "(?:ab)+",
    "a(?:b|bc)c?",
    r"\.NET|\.NE|NET",
    "(?:a|b)(?:a|ab)",
    // Classes and repetitions, greedy and lazy.
    "[ab]+",
    "a+",
    "a+?",
    "a+b",
    "b[ab]{2,5}",
    "b[ab]{2,5}?",
    "[^a]+",
    "a[^b]*b",
    "a.*b",
    "(?s)a.*b",
    "a.{0,3}b",
    "(?:a|b)*c",
    "[a-c]{3}",
    "c+|a+b+",
    "(?:ab|ba)+c?",
    // Led by a class of more than ten bytes: no prefilter, the start
    // state skipped through by the accelerator (until it stops paying).
    "[A-Z]+[ak]",
    "[A-Mk]+a",
    "(?i)[a-m]b",
    "[A-Z][a-z]+Script",
    // Case folding (Unicode: K also matches the Kelvin sign).
    "(?i)ab",
    "(?i)a+B",
    "(?i)k",
    "(?i)net",
    "(?i)é+",
    // Line anchors, text anchors, CRLF mode.
    "(?m)^a",
    "(?m)a$",
    "(?m)^ab*$",
    "(?m)^[ab]+",
    "(?m)$\n",
    "(?Rm)^a+$",
    "^a",
    "a$",
    r"\Aa+",
    r"b\z",
    r"\Aab|b\z",
    r"(?m)^\.NET",
    // ASCII word boundaries.
    r"(?-u:\b)a",
    r"a(?-u:\b)",
    r"(?-u:\b)ab+(?-u:\b)",
    r"(?-u:\B)b",
    r"(?-u:\b)\w+",
    r"(?-u:\b)[A-Z][a-z]+Script(?-u:\b)",
    r"(?-u:\b{start})a",
    r"b(?-u:\b{end})",
    // Non-ASCII and invalid UTF-8.
    "é",
    "é+",
    "[é-ü]",
    ".",
    "(?s).",
    "(?-u:.)",
    r"\w+",
    r"\d",
    r"\s+",
    r"[^\x00-\x7F]+",
    r"(?-u:\xFF)",
    r"(?-u:[\x80-\xFF])+",
    "é|e",
    "ΩK|K",
    // Never matches: counts zero.
    r"[^\s\S]",
];

/// Pieces of haystack, mixed at random: letters the patterns use, both
/// line endings, non-ASCII (é, the Kelvin sign, Ω), an invalid byte.
const ATOMS: &[&[u8]] = &[
    b"a",
    b"b",
    b"c",
    b"A",
    b"B",
    b"k",
    b"K",
    b"\n",
    b"\r\n",
    b" ",
    b".NET",
    b".net",
    b"Script",
    b"Java",
    b"1",
    b"_",
    "é".as_bytes(),
    "\u{212A}".as_bytes(),
    "Ω".as_bytes(),
    b"\xFF",
    b"\xC3",
];

/// A tiny xorshift generator: seeded, so a failure repeats.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// A haystack of up to `max` atoms drawn from a random small alphabet.
fn haystack(rng: &mut Rng, max: usize) -> Vec<u8> {
    let alphabet: Vec<&[u8]> = (0..1 + rng.below(5))
        .map(|_| ATOMS[rng.below(ATOMS.len())])
        .collect();
    let mut out = Vec::new();
    for _ in 0..rng.below(max + 1) {
        out.extend_from_slice(alphabet[rng.below(alphabet.len())]);
    }
    out
}

/// The oracle: the whole buffer, counted by `regex::bytes`.
fn oracle(pattern: &str, case_insensitive: bool, hay: &[u8]) -> u64 {
    regex::bytes::RegexBuilder::new(pattern)
        .case_insensitive(case_insensitive)
        .build()
        .unwrap()
        .find_iter(hay)
        .count() as u64
}

/// Counts `hay` fed in pieces of the given sizes (cycled; 0 stands for 1).
fn streamed(regex: &mut StreamRegex, hay: &[u8], sizes: &[usize]) -> Result<u64, PatternError> {
    regex.reset();
    let mut rest = hay;
    let mut i = 0;
    while !rest.is_empty() {
        let n = sizes[i % sizes.len()].clamp(1, rest.len());
        regex.feed(&rest[..n])?;
        rest = &rest[n..];
        i += 1;
    }
    let count = regex.finish()?;
    assert_eq!(regex.bytes(), hay.len() as u64);
    Ok(count)
}

/// A random way of cutting a stream: one byte at a time, whole, fixed
/// sizes, or random sizes.
fn chunking(rng: &mut Rng) -> Vec<usize> {
    match rng.below(4) {
        0 => vec![1],
        1 => vec![usize::MAX],
        2 => vec![1 + rng.below(7)],
        _ => (0..1 + rng.below(6)).map(|_| 1 + rng.below(20)).collect(),
    }
}

/// Every pattern, both case modes, default and tiny cache, `haystacks`
/// haystacks each cut `cuts` ways: each count must be the oracle's.
/// Returns how many streamed counts were checked.
fn differential(seed: u64, haystacks: usize, cuts: usize, max_atoms: usize) -> u64 {
    let mut rng = Rng(seed);
    let mut checked = 0;
    for pattern in PATTERNS {
        for case_insensitive in [false, true] {
            for cache in [None, Some(0)] {
                let mut builder = StreamRegex::builder()
                    .case_insensitive(case_insensitive)
                    .max_match_bytes(usize::MAX);
                if let Some(capacity) = cache {
                    builder = builder.cache_capacity(capacity);
                }
                let mut regex = builder.build(pattern).unwrap();
                for _ in 0..haystacks {
                    let hay = haystack(&mut rng, max_atoms);
                    let expected = oracle(pattern, case_insensitive, &hay);
                    for _ in 0..cuts {
                        let sizes = chunking(&mut rng);
                        let got = streamed(&mut regex, &hay, &sizes);
                        assert_eq!(
                            got,
                            Ok(expected),
                            "pattern {pattern:?} (i: {case_insensitive}, cache: {cache:?}) \
                             haystack {:?} pieces {sizes:?}",
                            String::from_utf8_lossy(&hay)
                        );
                        checked += 1;
                    }
                }
            }
        }
    }
    checked
}

#[test]
fn agrees_with_regex_on_the_whole_buffer() {
    let checked = differential(0x9e37_79b9_7f4a_7c15, 12, 4, 60);
    assert!(checked > 10_000, "{checked}");
}

#[test]
#[ignore = "millions of streamed counts: minutes in a debug build; CI runs it with --release"]
fn agrees_with_regex_on_the_whole_buffer_millions() {
    let mut checked = 0;
    for seed in 1..=4u64 {
        checked += differential(seed.wrapping_mul(0x2545_f491_4f6c_dd1d), 800, 5, 120);
    }
    // Long haystacks: matches and literals across many small pieces.
    checked += differential(0x1234_5678_9abc_def1, 40, 10, 3000);
    println!("{checked} streamed counts agree with regex::bytes");
    assert!(checked > 2_000_000, "{checked}");
}

/// The start-state accelerator skips while the text makes it pay, and gives
/// way to the plain DFA, mid-stream, when it stops paying: the count is the
/// same throughout, for every cutting.
#[test]
fn the_accelerator_gives_way_mid_stream_without_losing_a_match() {
    let pattern = "[A-Z][a-z]+Script";
    let mut rng = Rng(5);
    // Capitals rare (long skips), then every other byte (short skips, for
    // more than a window of them), then rare again.
    let mut hay = Vec::new();
    for (words, capitals_every) in [(3000, 40), (20_000, 1), (3000, 40)] {
        for _ in 0..words {
            if rng.below(capitals_every) == 0 {
                hay.extend_from_slice(if rng.below(2) == 0 {
                    b"JavaScript"
                } else {
                    b"Java"
                });
            } else {
                hay.extend_from_slice(b"lorem ");
            }
            hay.push(b' ');
        }
    }
    let expected = oracle(pattern, false, &hay);
    assert!(expected > 1000, "{expected}");
    // The patterns above that the accelerator takes (a white-box check,
    // through `Debug`, that they test what they are there for).
    for pattern in ["[A-Z]+[ak]", "[A-Mk]+a", "(?i)[a-m]b", pattern] {
        let regex = StreamRegex::new(pattern).unwrap();
        assert!(format!("{regex:?}").contains("accel: Some"), "{pattern}");
    }
    for sizes in [vec![usize::MAX], vec![1], vec![7, 3, 4096], vec![65_536]] {
        let mut regex = StreamRegex::new(pattern).unwrap();
        assert!(
            format!("{regex:?}").contains("accel: Some"),
            "accelerated at first"
        );
        assert_eq!(
            streamed(&mut regex, &hay, &sizes),
            Ok(expected),
            "{sizes:?}"
        );
        assert!(
            format!("{regex:?}").contains("accel: None"),
            "and no longer at the end"
        );
    }
}

/// With a small look-ahead limit the answer is the same for every way of
/// cutting the stream: the exact count, or `MatchTooLong` for all.
#[test]
fn the_look_ahead_limit_does_not_depend_on_the_pieces() {
    let mut rng = Rng(77);
    let mut refused = 0;
    for pattern in ["a.*b", "(?s)a.*b", "a[^c]*b", "(?:ab)+", "a+", "b[ab]{2,5}"] {
        for limit in [1, 2, 5, 16] {
            let mut regex = StreamRegex::builder()
                .max_match_bytes(limit)
                .build(pattern)
                .unwrap();
            for _ in 0..200 {
                let hay = haystack(&mut rng, 40);
                let whole = streamed(&mut regex, &hay, &[usize::MAX]);
                if let Ok(count) = whole {
                    assert_eq!(count, oracle(pattern, false, &hay));
                } else {
                    assert_eq!(whole, Err(PatternError::MatchTooLong { limit }));
                    refused += 1;
                }
                for _ in 0..4 {
                    let sizes = chunking(&mut rng);
                    assert_eq!(
                        streamed(&mut regex, &hay, &sizes),
                        whole,
                        "{pattern:?} limit {limit} {:?} {sizes:?}",
                        String::from_utf8_lossy(&hay)
                    );
                }
            }
        }
    }
    assert!(refused > 50, "{refused}");
}

/// A match needing a long look-ahead: `a.*b` on one long line holds the
/// bytes after the last `b` until the line ends.
#[test]
fn a_long_look_ahead_is_an_error_not_a_guess() {
    let mut line = b"ab".to_vec();
    line.resize(100_000, b'x');
    line.push(b'\n');
    let mut regex = StreamRegex::new("a.*b").unwrap();
    let fed = line.chunks(4096).try_for_each(|piece| regex.feed(piece));
    assert_eq!(
        fed.and_then(|()| regex.finish()),
        Err(PatternError::MatchTooLong { limit: 65_536 })
    );
    // The error stays until a reset.
    assert_eq!(
        regex.feed(b"ab\n"),
        Err(PatternError::MatchTooLong { limit: 65_536 })
    );
    // A larger limit counts it.
    let mut regex = StreamRegex::builder()
        .max_match_bytes(200_000)
        .build("a.*b")
        .unwrap();
    for piece in line.chunks(4096) {
        regex.feed(piece).unwrap();
    }
    assert_eq!(regex.finish(), Ok(1));
    // A long match with no look-ahead past its end needs no buffer.
    let mut regex = StreamRegex::builder()
        .max_match_bytes(1)
        .build("a[^b]*b")
        .unwrap();
    let mut long = b"a".to_vec();
    long.resize(1 << 20, b'x');
    long.push(b'b');
    for piece in long.chunks(1000) {
        regex.feed(piece).unwrap();
    }
    assert_eq!(regex.finish(), Ok(1));
}

#[test]
fn refusals_say_what_to_write_instead() {
    let empty = StreamRegex::new("a*").unwrap_err();
    assert_eq!(empty, PatternError::MatchesEmpty);
    assert!(
        empty.to_string().contains("`a+` instead of `a*`"),
        "{empty}"
    );
    let boundary = StreamRegex::new(r"\bnet\b").unwrap_err();
    assert_eq!(boundary, PatternError::UnicodeWordBoundary);
    assert!(boundary.to_string().contains(r"(?-u:\b)"), "{boundary}");
    // A bad pattern gets the parser's message, as `regex` prints it.
    // (Through a variable: clippy checks literal patterns given to regex.)
    let bad = "a(b";
    let syntax = StreamRegex::new(bad).unwrap_err();
    let expected = regex::bytes::Regex::new(bad).unwrap_err().to_string();
    assert_eq!(syntax, PatternError::Syntax(expected));
    assert!(matches!(
        StreamRegex::new(r"\w{1000}{1000}"),
        Err(PatternError::TooBig(_))
    ));
}

#[test]
fn finish_ends_the_stream() {
    let mut regex = StreamRegex::new(r"b+\z").unwrap();
    regex.feed(b"abb").unwrap();
    assert_eq!(regex.count(), 0);
    assert_eq!(regex.finish(), Ok(1));
    assert_eq!(regex.finish(), Ok(1));
    assert_eq!(regex.feed(b"b"), Err(PatternError::Finished));
    regex.reset();
    regex.feed(b"bab").unwrap();
    assert_eq!(regex.finish(), Ok(1));
}

#[test]
fn a_plain_pattern_is_counted_by_the_literal_counter() {
    let settings = StreamRegex::builder();
    let mut matcher = Matcher::from_pattern(r"\.NET", &settings).unwrap();
    assert_eq!(matcher.describe().kind, MatcherKind::Literal);
    for piece in [&b"x.N"[..], b"ET.NET", b"."] {
        matcher.feed(piece).unwrap();
    }
    assert_eq!(matcher.finish(), Ok(2));
    let regex = Matcher::from_pattern(r"\.NET\b", &settings);
    assert_eq!(regex.unwrap_err(), PatternError::UnicodeWordBoundary);
    let regex = Matcher::from_pattern(r"\.NET(?-u:\b)", &settings).unwrap();
    assert_eq!(regex.describe().kind, MatcherKind::Regex);
    assert_eq!(regex.describe().pattern, r"\.NET(?-u:\b)");
}

proptest! {
    /// Any listed pattern, any haystack over a small alphabet, any cuts.
    #[test]
    fn any_split_agrees_with_regex(
        pattern in prop::sample::select(PATTERNS),
        case_insensitive in any::<bool>(),
        tiny_cache in any::<bool>(),
        atoms in prop::collection::vec(prop::sample::select(ATOMS), 0..80),
        sizes in prop::collection::vec(1usize..24, 1..8),
    ) {
        let hay = atoms.concat();
        let mut builder = StreamRegex::builder()
            .case_insensitive(case_insensitive)
            .max_match_bytes(usize::MAX);
        if tiny_cache {
            builder = builder.cache_capacity(0);
        }
        let mut regex = builder.build(pattern).unwrap();
        prop_assert_eq!(
            streamed(&mut regex, &hay, &sizes),
            Ok(oracle(pattern, case_insensitive, &hay))
        );
    }
}
