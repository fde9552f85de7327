//! The Counter against the naive oracle, all four modes, random splits.
#![no_main]

use libfuzzer_sys::fuzz_target;
use netcount::{Counter, CounterOptions};
use netcount_fuzz::{naive_count, Input};

/// Maps most bytes to a small alphabet so that occurrences are frequent;
/// keeps the rest as they are (non-ASCII, other punctuation).
fn small(b: u8) -> u8 {
    match b % 8 {
        0 => b'a',
        1 => b'A',
        2 => b'b',
        3 => b'B',
        4 => b'.',
        _ => b,
    }
}

fuzz_target!(|data: &[u8]| {
    let mut input = Input::new(data);
    let mode = input.byte();
    let options = CounterOptions::default()
        .ignore_case(mode & 1 != 0)
        .overlapping(mode & 2 != 0);
    let alphabet = mode & 4 != 0;
    let needle_len = usize::from(input.byte() % 12) + 1;
    let mut needle: Vec<u8> = input.bytes(needle_len).to_vec();
    if needle.is_empty() {
        return;
    }
    let splits = input.splits();
    let mut haystack = input.rest.to_vec();
    if alphabet {
        needle.iter_mut().for_each(|b| *b = small(*b));
        haystack.iter_mut().for_each(|b| *b = small(*b));
    }
    // Large inputs stress the fold blocks: repeat the haystack.
    if mode & 8 != 0 {
        haystack = haystack.repeat(40);
    }
    // Long periodic needles take the paths for long needles (the rare
    // fragment, feeds followed through the border table); the last byte
    // may break the period.
    if mode & 16 != 0 {
        let last = needle[needle.len() - 1];
        needle = needle.repeat(300 / needle.len() + 1);
        if mode & 32 != 0 {
            needle.push(last ^ 1);
        }
    }

    let expected = naive_count(&haystack, &needle, options);
    let mut counter = Counter::with_options(&needle, options).unwrap();
    let mut rest = &haystack[..];
    let mut i = 0;
    while !rest.is_empty() {
        let n = splits[i % splits.len()].min(rest.len());
        counter.feed(&rest[..n]);
        rest = &rest[n..];
        i += 1;
    }
    assert_eq!(counter.count(), expected, "split count != naive count");
    assert_eq!(counter.bytes(), haystack.len() as u64);

    // After a reset, one piece gives the same.
    counter.reset();
    counter.feed(&haystack);
    assert_eq!(counter.count(), expected, "whole count != naive count");
});
