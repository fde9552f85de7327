//! The counter against naive oracles, across every split of the input.

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
    assert!(matches!(Counter::new(""), Err(CounterError::EmptyNeedle)));
    assert!(matches!(
        Counter::new(Vec::new()),
        Err(CounterError::EmptyNeedle)
    ));
    // Where the network error is expected, `?` turns it into that one.
    let error = crate::Error::from(CounterError::EmptyNeedle);
    assert!(matches!(error, crate::Error::EmptyNeedle));
    assert_eq!(error.to_string(), CounterError::EmptyNeedle.to_string());
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

/// Feeds `hay` in random pieces: 1-byte feeds, feeds just under and over a
/// quarter of the needle (followed byte by byte, or searched), feeds around
/// the needle's length (searched through the window) and long ones, mixed,
/// so that every change between the two kinds of feed happens.
fn count_in_random_pieces(
    needle: &[u8],
    options: CounterOptions,
    hay: &[u8],
    rng: &mut Rng,
) -> u64 {
    let n = needle.len();
    let sizes = [
        1,
        2,
        (n / SMALL_FEED).saturating_sub(1).max(1),
        (n / SMALL_FEED).max(1),
        n.saturating_sub(2).max(1),
        n.saturating_sub(1).max(1),
        n,
        n + 1,
        2 * n,
        5000,
    ];
    let mut counter = Counter::with_options(needle, options).unwrap();
    let mut rest = hay;
    while !rest.is_empty() {
        let take = sizes[rng.below(sizes.len())].min(rest.len());
        counter.feed(&rest[..take]);
        rest = &rest[take..];
    }
    assert_eq!(counter.bytes(), hay.len() as u64);
    counter.count()
}

/// `unit` repeated to `len` bytes.
fn periodic(unit: &[u8], len: usize) -> Vec<u8> {
    unit.iter().copied().cycle().take(len).collect()
}

/// The Fibonacci word (`abaababaabaab…`): aperiodic, with many borders.
fn fibonacci(len: usize) -> Vec<u8> {
    let (mut a, mut b) = (b"a".to_vec(), b"ab".to_vec());
    while b.len() < len {
        let next = [&b[..], &a[..]].concat();
        a = std::mem::replace(&mut b, next);
    }
    b.truncate(len);
    b
}

/// Flips the case of about half the ASCII letters.
fn scramble_case(bytes: &[u8], rng: &mut Rng) -> Vec<u8> {
    bytes
        .iter()
        .map(|&b| {
            if rng.below(2) == 0 {
                b.to_ascii_uppercase()
            } else {
                b
            }
        })
        .collect()
}

/// The adversarial shapes: needles and haystacks made of a repeated unit
/// (periods 1, 2, 3, 6), with defects, and the Fibonacci word, where
/// occurrences overlap at distances that are not multiples of the period.
/// This is where a search restarted after every occurrence is slowest, and
/// where a shortcut along the period would miscount if it were wrong.
#[test]
fn periodic_shapes_match_the_oracle_in_every_chunking() {
    let a = |k| b"a".repeat(k);
    let needles: Vec<Vec<u8>> = vec![
        a(1),
        a(2),
        a(3),
        a(7),
        a(64),
        a(300),
        [a(3), b"b".to_vec()].concat(),
        [a(300), b"b".to_vec()].concat(),
        [b"b".to_vec(), a(5)].concat(),
        [a(5), b"b".to_vec(), a(5)].concat(),
        // Long enough for the rare-fragment search, whose candidates in the
        // last haystack below all fail.
        [a(300), b"b".to_vec(), a(300)].concat(),
        periodic(b"ab", 4),
        periodic(b"ab", 16),
        periodic(b"ab", 300),
        periodic(b"ab", 7),
        periodic(b"abc", 3),
        periodic(b"abc", 11),
        periodic(b"abc", 200),
        b"abaab".to_vec(),
        b"aabaa".to_vec(),
        fibonacci(13),
        fibonacci(100),
    ];
    let hays: Vec<Vec<u8>> = vec![
        a(2000),
        periodic(b"ab", 2000),
        periodic(b"abc", 2100),
        periodic(b"aaba", 1001),
        fibonacci(3000),
        [a(999), b"b".to_vec(), a(1000)].concat(),
        [periodic(b"ab", 1001), periodic(b"ab", 1000)].concat(),
        // A unit repeated with a defect every 97 bytes.
        periodic(b"aab", 3000)
            .iter()
            .enumerate()
            .map(|(i, &b)| if i % 97 == 96 { b'c' } else { b })
            .collect(),
        periodic(&[a(40), b"b".to_vec()].concat(), 3000),
    ];
    let mut rng = Rng(0xA5A5_5A5A_0F0F_F0F0);
    for options in ALL_MODES {
        for needle in &needles {
            for hay in &hays {
                let (needle, hay) = if options.ignore_case {
                    (
                        scramble_case(needle, &mut rng),
                        scramble_case(hay, &mut rng),
                    )
                } else {
                    (needle.clone(), hay.clone())
                };
                let expected = naive(&hay, &needle, options);
                for _ in 0..3 {
                    assert_eq!(
                        count_in_random_pieces(&needle, options, &hay, &mut rng),
                        expected,
                        "{options:?} needle {:?} hay {:?}",
                        String::from_utf8_lossy(&needle),
                        String::from_utf8_lossy(&hay[..hay.len().min(40)]),
                    );
                }
            }
        }
    }
}

/// Exact counts worked out by hand for runs with periods 1, 2 and 3: in a
/// run of `len` bytes, an overlapping needle of length `n` and period `p`
/// occurs `(len - n) / p + 1` times; a non-overlapping one every
/// `p * ceil(n / p)` bytes. Fed whole, in 1-byte pieces and in pieces of
/// every size up to twice the needle.
#[test]
fn runs_with_periods_one_two_and_three() {
    let cases: [(&[u8], usize, usize, u64, u64); 6] = [
        // (unit, needle length, haystack length, overlapping, non-overlapping)
        (b"a", 3, 10, 8, 3),
        (b"a", 300, 1000, 701, 3),
        (b"ab", 4, 10, 4, 2),
        (b"ab", 300, 1000, 351, 3),
        (b"abc", 5, 900, 299, 150),
        (b"abc", 6, 12, 3, 2),
    ];
    for (unit, n, len, overlapping, non_overlapping) in cases {
        let needle = periodic(unit, n);
        let hay = periodic(unit, len);
        for options in ALL_MODES {
            let expected = if options.overlapping {
                overlapping
            } else {
                non_overlapping
            };
            assert_eq!(naive(&hay, &needle, options), expected);
            for piece in (1..=2 * n).chain([len]) {
                let pieces: Vec<&[u8]> = hay.chunks(piece).collect();
                assert_eq!(
                    count_in_pieces(&needle, options, &pieces),
                    expected,
                    "{options:?} unit {unit:?} n {n} pieces of {piece}"
                );
            }
        }
    }
}

/// A long needle fed through every kind of feed, one after the other: the
/// undecided end changes between its two forms (bytes and prefix length) in
/// both directions, with a partial occurrence in it each time.
#[test]
fn a_long_needle_across_small_and_large_feeds() {
    let needle = [b"a".repeat(40), b"b".to_vec(), b"a".repeat(40)].concat();
    let hay = [b"a".repeat(40), b"b".to_vec()].concat().repeat(60);
    let mut rng = Rng(99);
    for options in ALL_MODES {
        let expected = naive(&hay, &needle, options);
        assert_eq!(expected, if options.overlapping { 59 } else { 30 });
        for _ in 0..200 {
            assert_eq!(
                count_in_random_pieces(&needle, options, &hay, &mut rng),
                expected,
                "{options:?}"
            );
        }
    }
}

/// A long needle whose rarest byte sits in a run (`x…xa…a`): the piece of
/// it searched first matches at many neighbouring places, most of which are
/// not occurrences, next to ones that are.
#[test]
fn a_long_needle_whose_rare_piece_repeats() {
    let needle = [b"x".repeat(300), b"a".repeat(40)].concat();
    let mut rng = Rng(5);
    for options in ALL_MODES {
        for (xs, as_) in [(300, 40), (301, 40), (305, 45), (299, 80), (900, 41)] {
            let hay = [b"x".repeat(xs), b"a".repeat(as_)].concat().repeat(3);
            let expected = naive(&hay, &needle, options);
            assert_eq!(expected, if xs >= 300 && as_ >= 40 { 3 } else { 0 });
            for _ in 0..20 {
                assert_eq!(
                    count_in_random_pieces(&needle, options, &hay, &mut rng),
                    expected,
                    "{options:?} x×{xs} a×{as_}"
                );
            }
        }
    }
}

/// The same with a long needle, fed in every kind of piece: the window
/// never holds more than two needles and the carry less than one.
#[test]
fn feed_never_grows_the_buffers_with_a_long_needle() {
    let needle = [b"ab".repeat(300), b"c".to_vec()].concat();
    let mut rng = Rng(8);
    for options in ALL_MODES {
        let mut counter = Counter::with_options(&needle, options).unwrap();
        let capacities = |c: &Counter| (c.carry.capacity(), c.window.capacity(), c.folded.len());
        let before = capacities(&counter);
        for _ in 0..300 {
            let len = [1, 100, 150, 600, 601, 1300, 70_000][rng.below(7)];
            let chunk: Vec<u8> = (0..len)
                .map(|i| b"abAB"[(i + rng.below(2) * 2) % 4])
                .collect();
            counter.feed(&chunk);
        }
        assert_eq!(capacities(&counter), before, "{options:?}");
    }
}

mod proptests {
    use super::super::*;
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

        /// A needle and a body cut from the same periodic word (periods 1 to
        /// 4, plus a few defects), in any mode and any split: the shapes
        /// where occurrences come in long runs.
        #[test]
        fn periodic_shapes_agree_with_the_oracle(
            unit in proptest::collection::vec(prop_oneof![Just(b'a'), Just(b'b'), Just(b'A')], 1..5),
            needle_len in 1usize..60,
            needle_defect in proptest::option::of((0usize..60, Just(b'b'))),
            hay_len in 0usize..600,
            defects in proptest::collection::vec((0usize..600, prop_oneof![Just(b'a'), Just(b'b'), Just(b'c')]), 0..4),
            cuts in proptest::collection::vec(0usize..600, 0..30),
            ignore_case in any::<bool>(),
            overlapping in any::<bool>(),
        ) {
            let word = |len| -> Vec<u8> { unit.iter().copied().cycle().take(len).collect() };
            let mut needle = word(needle_len);
            if let Some((at, byte)) = needle_defect {
                needle[at % needle_len] = byte;
            }
            let mut hay = word(hay_len);
            for (at, byte) in defects {
                if at < hay.len() {
                    hay[at] = byte;
                }
            }
            let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c.min(hay.len())).collect();
            cuts.sort_unstable();
            let options = CounterOptions::default().ignore_case(ignore_case).overlapping(overlapping);
            let mut counter = Counter::with_options(&needle, options).unwrap();
            let mut last = 0;
            for cut in cuts.into_iter().chain([hay.len()]) {
                counter.feed(&hay[last..cut]);
                last = cut;
            }
            prop_assert_eq!(counter.count(), super::naive(&hay, &needle, options));
        }
    }
}
