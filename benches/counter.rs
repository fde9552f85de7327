//! Counter throughput against the whole-buffer baseline.
//!
//! Run with: `cargo bench --bench counter`
//!
//! The baseline is the fastest possible count of a buffer that is already
//! in memory: one `memchr::memmem::Finder`, `find_iter(..).count()` over the
//! whole corpus. The Counter sees the same bytes in chunks (as a socket
//! would deliver them) and must carry partial matches across chunk
//! boundaries; the table shows what that costs, as a ratio measured in the
//! same run. Figures are the best of several runs, to shed noise from a
//! shared machine.

use std::hint::black_box;
use std::time::{Duration, Instant};

use netcount::{Counter, CounterOptions};

/// Corpus size: large enough to leave the caches, small enough to be quick.
const CORPUS: usize = 64 << 20;
/// Runs per measurement; the best is kept.
const RUNS: usize = 5;

/// A page of HTML-ish text with `.NET` every `every` bytes on average.
fn corpus(every: usize) -> Vec<u8> {
    let filler = b"<div class=\"content\"><p>Lorem ipsum dolor sit amet, consectetur \
                   adipiscing elit, sed do eiusmod tempor incididunt ut labore. NET .net \
                   <a href=\"/docs/\">docs</a></p></div>\n";
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

/// Best time of `RUNS` calls of `f`, and its result.
fn best<T: PartialEq + std::fmt::Debug>(mut f: impl FnMut() -> T) -> (Duration, T) {
    let mut best = Duration::MAX;
    let mut result = None;
    for _ in 0..RUNS {
        let started = Instant::now();
        let value = black_box(f());
        best = best.min(started.elapsed());
        if let Some(previous) = &result {
            assert_eq!(previous, &value);
        }
        result = Some(value);
    }
    (best, result.unwrap())
}

fn gib_per_s(bytes: usize, time: Duration) -> f64 {
    bytes as f64 / time.as_secs_f64() / (1u64 << 30) as f64
}

fn main() {
    let modes = [
        ("default", CounterOptions::default()),
        (
            "overlapping",
            CounterOptions {
                overlapping: true,
                ..Default::default()
            },
        ),
        (
            "ignore-case",
            CounterOptions {
                ignore_case: true,
                ..Default::default()
            },
        ),
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
        let (base_time, base_count) = best(|| finder.find_iter(black_box(&data)).count() as u64);
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
                let (time, count) = best(|| {
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
