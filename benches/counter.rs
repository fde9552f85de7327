//! Counter throughput: against the whole-buffer baseline, and on
//! adversarial input against the sparse best case.
//!
//! Run with: `cargo bench --bench counter` (both tables), or
//! `cargo bench --bench counter -- chunks` / `-- adversarial` for one.
//!
//! `chunks`: the baseline is the fastest possible count of a buffer that is
//! already in memory: one `memchr::memmem::Finder`, `find_iter(..).count()`
//! over the whole corpus. The Counter sees the same bytes in chunks (as a
//! socket would deliver them) and must carry partial matches across chunk
//! boundaries; the table shows what that costs, as a ratio measured in the
//! same run.
//!
//! `adversarial`: in each mode, the inputs that make a naive matcher slow
//! (every byte the start of an occurrence, long periodic needles, needles
//! that almost match everywhere), each timed against sparse text in the same
//! mode and the same run. The target is at least 0.5x the sparse throughput
//! everywhere. A second part feeds the longest needle in small pieces, to
//! show the cost per byte does not grow with the needle.
//!
//! Figures are the best of several runs, to shed noise from a shared
//! machine.

use std::hint::black_box;
use std::time::{Duration, Instant};

use netcount::{Counter, CounterOptions};

mod common;
use common::best;

/// Corpus size: large enough to leave the caches, small enough to be quick.
const CORPUS: usize = 64 << 20;
/// Runs per measurement; the best is kept.
const RUNS: usize = 7;

/// HTML-ish filler with near misses of `.NET` (and, ignoring case, one hit).
const FILLER: &[u8] = b"<div class=\"content\"><p>Lorem ipsum dolor sit amet, consectetur \
                   adipiscing elit, sed do eiusmod tempor incididunt ut labore. NET .net \
                   <a href=\"/docs/\">docs</a></p></div>\n";

/// A page of HTML-ish text with `.NET` every `every` bytes on average.
fn corpus(every: usize) -> Vec<u8> {
    corpus_with(every, FILLER)
}

/// `filler` repeated, with `.NET` every `every` bytes on average.
fn corpus_with(every: usize, filler: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(CORPUS + every);
    let mut state = 0x2545_f491_4f6c_dd1du64;
    while out.len() < CORPUS {
        // Vary the gap a little so occurrences do not align with chunks.
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let gap = every / 2 + (state as usize % every);
        let start = out.len();
        while out.len() - start < gap {
            out.extend_from_slice(filler);
        }
        out.truncate(start + gap);
        out.extend_from_slice(b".NET");
    }
    out.truncate(CORPUS);
    out
}

/// Best times of `RUNS` calls each of `base` and `f`, taken in turn so that
/// a busy spell on a shared machine weighs on both, and their results.
fn best_of_both<T: PartialEq + std::fmt::Debug>(
    mut base: impl FnMut() -> T,
    mut f: impl FnMut() -> T,
) -> ((Duration, T), (Duration, T)) {
    let mut base_best = (Duration::MAX, None);
    let mut best = (Duration::MAX, None);
    for _ in 0..RUNS {
        for (f, best) in [
            (&mut base as &mut dyn FnMut() -> T, &mut base_best),
            (&mut f, &mut best),
        ] {
            let started = Instant::now();
            let value = black_box(f());
            best.0 = best.0.min(started.elapsed());
            if let Some(previous) = &best.1 {
                assert_eq!(previous, &value);
            }
            best.1 = Some(value);
        }
    }
    (
        (base_best.0, base_best.1.unwrap()),
        (best.0, best.1.unwrap()),
    )
}

fn gib_per_s(bytes: usize, time: Duration) -> f64 {
    bytes as f64 / time.as_secs_f64() / (1u64 << 30) as f64
}

fn main() {
    let only: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let wanted = |name: &str| only.is_empty() || only.iter().any(|o| o == name);
    if wanted("chunks") {
        chunks();
    }
    if wanted("adversarial") {
        adversarial();
    }
}

/// The Counter in chunks against memmem over the whole buffer.
fn chunks() {
    let modes = [
        ("default", CounterOptions::default()),
        ("overlapping", CounterOptions::default().overlapping(true)),
        ("ignore-case", CounterOptions::default().ignore_case(true)),
    ];
    let chunks = [1 << 10, 4 << 10, 16 << 10, 64 << 10, 256 << 10, 1 << 20];
    println!("corpus {} MiB, best of {RUNS} runs", CORPUS >> 20);
    println!(
        "{:<7} {:<12} {:>8} {:>10} {:>9} {:>10}",
        "corpus", "mode", "chunk", "GiB/s", "ratio", "count"
    );
    for (name, every) in [("sparse", 20 * 1024), ("dense", 50)] {
        let data = corpus(every);
        let finder = memchr::memmem::Finder::new(".NET");
        let (base_time, base_count) =
            best(RUNS, || finder.find_iter(black_box(&data)).count() as u64);
        println!(
            "{name:<7} {:<12} {:>8} {:>10.2} {:>9} {:>10}",
            "baseline",
            "whole",
            gib_per_s(data.len(), base_time),
            "1.00",
            base_count
        );
        let mut case_sensitive = Duration::ZERO;
        for (mode, options) in modes {
            for chunk in chunks {
                let (time, count) = best(RUNS, || {
                    let mut counter = Counter::with_options(".NET", options).unwrap();
                    for piece in black_box(&data).chunks(chunk) {
                        counter.feed(piece);
                    }
                    counter.count()
                });
                if mode == "default" {
                    assert_eq!(count, base_count, "the counter disagrees with memmem");
                    if chunk == 64 << 10 {
                        case_sensitive = time;
                    }
                }
                let ratio = base_time.as_secs_f64() / time.as_secs_f64();
                println!(
                    "{name:<7} {mode:<12} {:>8} {:>10.2} {:>9.2} {:>10}",
                    format!("{}K", chunk >> 10),
                    gib_per_s(data.len(), time),
                    ratio,
                    count
                );
                if mode == "ignore-case" && chunk == 64 << 10 {
                    println!(
                        "{name:<7} ignore-case / case-sensitive time at 64K chunks: {:.2}x",
                        time.as_secs_f64() / case_sensitive.as_secs_f64()
                    );
                }
            }
        }
    }
}

/// Feed size of the adversarial table: one typical read.
const FEED: usize = 64 << 10;

/// Counts `needle` in `data` fed in pieces of `feed` bytes.
fn count_fed(needle: &[u8], options: CounterOptions, data: &[u8], feed: usize) -> u64 {
    let mut counter = Counter::with_options(needle, options).unwrap();
    for piece in black_box(data).chunks(feed) {
        counter.feed(piece);
    }
    counter.count()
}

fn mib_per_s(bytes: usize, time: Duration) -> f64 {
    bytes as f64 / time.as_secs_f64() / (1u64 << 20) as f64
}

/// One input of the adversarial table.
struct Shape<'a> {
    hay_name: &'static str,
    hay: &'a [u8],
    needle_name: &'static str,
    needle: Vec<u8>,
    /// The exact count: (non-overlapping, overlapping).
    counts: (u64, u64),
}

/// Every mode on the inputs that defeat a naive matcher, against sparse
/// text in the same mode.
fn adversarial() {
    let modes = [
        ("default", CounterOptions::default()),
        ("overlapping", CounterOptions::default().overlapping(true)),
        ("ignore-case", CounterOptions::default().ignore_case(true)),
        (
            "both",
            CounterOptions::default()
                .ignore_case(true)
                .overlapping(true),
        ),
    ];
    // The filler without the near misses, so `.NET` is sparse in every mode.
    let sparse = corpus_with(
        20 * 1024,
        b"<div class=\"content\"><p>Lorem ipsum dolor sit amet, consectetur \
          adipiscing elit, sed do eiusmod tempor incididunt ut labore.</p></div>\n",
    );
    let a = b"a".repeat(CORPUS);
    let ab = b"ab".repeat(CORPUS / 2);
    let with_b = |k: usize| [b"a".repeat(k), b"b".to_vec()].concat();
    let sparse_count = memchr::memmem::find_iter(&sparse, ".NET").count() as u64;
    let n = CORPUS as u64;
    let shape = |hay_name, hay, needle_name, needle, counts| Shape {
        hay_name,
        hay,
        needle_name,
        needle,
        counts,
    };
    let shapes = [
        shape(
            "text",
            &sparse[..],
            ".NET",
            b".NET".to_vec(),
            (sparse_count, sparse_count),
        ),
        shape("a…a", &a, "a×4", b"a".repeat(4), (n / 4, n - 3)),
        shape("a…a", &a, "a×8000", b"a".repeat(8000), (n / 8000, n - 7999)),
        shape("a…a", &a, "a×3 b", with_b(3), (0, 0)),
        shape("a…a", &a, "a×7999 b", with_b(7999), (0, 0)),
        shape(
            "abab…",
            &ab,
            "ab×2",
            b"ab".repeat(2),
            (n / 4, (n - 4) / 2 + 1),
        ),
        shape(
            "abab…",
            &ab,
            "ab×4000",
            b"ab".repeat(4000),
            (n / 8000, (n - 8000) / 2 + 1),
        ),
    ];

    println!();
    println!(
        "adversarial input, {} MiB in feeds of {} KiB, best of {RUNS} runs; \
         ratio = throughput / sparse text's in the same mode, timed in turn",
        CORPUS >> 20,
        FEED >> 10
    );
    println!(
        "{:<12} {:<6} {:<9} {:>9} {:>6} {:>10}",
        "mode", "hay", "needle", "MiB/s", "ratio", "count"
    );
    let mut worst = f64::INFINITY;
    for (mode, options) in modes {
        for Shape {
            hay_name,
            hay,
            needle_name,
            needle,
            counts: (plain, overlapping),
        } in &shapes
        {
            let ((sparse_time, _), (time, count)) = best_of_both(
                || count_fed(b".NET", options, &sparse, FEED),
                || count_fed(needle, options, hay, FEED),
            );
            let expected = if options.overlapping {
                overlapping
            } else {
                plain
            };
            assert_eq!(count, *expected, "{mode} {hay_name} {needle_name}");
            let ratio = sparse_time.as_secs_f64() / time.as_secs_f64();
            worst = worst.min(ratio);
            println!(
                "{mode:<12} {hay_name:<6} {needle_name:<9} {:>9.0} {:>6.2} {:>10}",
                mib_per_s(hay.len(), time),
                ratio,
                count
            );
        }
    }
    println!("worst ratio: {worst:.2} (target 0.50)");

    // The long needles in small feeds: below a quarter of the needle (2000
    // bytes) a feed is followed byte by byte, above it searched.
    println!();
    println!("long needles in a…a by feed size, against sparse text in the same feeds");
    println!(
        "{:<12} {:<9} {:>7} {:>12} {:>12} {:>6}",
        "mode", "needle", "feed", "text MiB/s", "a…a MiB/s", "ratio"
    );
    for (mode, options) in [modes[0], modes[1]] {
        for (needle_name, needle, plain, overlapping) in [
            ("a×8000", b"a".repeat(8000), n / 8000, n - 7999),
            ("a×7999 b", with_b(7999), 0, 0),
        ] {
            for feed in [64, 1024, 4096, 16 << 10] {
                let ((text_time, _), (time, count)) = best_of_both(
                    || count_fed(b".NET", options, &sparse, feed),
                    || count_fed(&needle, options, &a, feed),
                );
                let expected = if options.overlapping {
                    overlapping
                } else {
                    plain
                };
                assert_eq!(count, expected, "{mode} {needle_name} feed {feed}");
                println!(
                    "{mode:<12} {needle_name:<9} {feed:>7} {:>12.0} {:>12.0} {:>6.2}",
                    mib_per_s(sparse.len(), text_time),
                    mib_per_s(a.len(), time),
                    text_time.as_secs_f64() / time.as_secs_f64()
                );
            }
        }
    }
}
