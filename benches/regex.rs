//! Streaming regex throughput against the whole-buffer baseline.
//!
//! Run with: `cargo bench --bench regex` (add `-- dense` or another word to
//! run only the rows whose pattern or corpus contains it).
//!
//! The baseline is `regex::bytes::Regex::find_iter(..).count()` over the
//! whole corpus, already in memory: what counting costs when nothing has to
//! be carried across chunks. The streaming regex sees the same bytes in
//! 64 KiB chunks, as a socket delivers them, and must carry pending matches
//! and re-scan across chunk boundaries. The ratio is baseline time over
//! streaming time, measured in the same run (1.00 = as fast; above 1 =
//! faster). Figures are the best of several runs, to shed noise from a
//! shared machine.

use std::hint::black_box;
use std::time::Duration;

use netcount::pattern::StreamRegex;

mod common;
use common::best;

/// Corpus size.
const CORPUS: usize = 256 << 20;
/// Chunk size, as reads from a socket.
const CHUNK: usize = 64 << 10;
/// Runs per measurement; the best is kept.
const RUNS: usize = 3;

/// HTML-ish text with `.NET` every `every` bytes on average, and a
/// `TypeScript` or `JavaScript` every `script` bytes on average.
fn corpus(every: usize, script: usize) -> Vec<u8> {
    let filler = b"<div class=\"content\"><p>Lorem ipsum dolor sit amet, consectetur \
                   adipiscing elit, sed do Eiusmod tempor incididunt ut labore. NET .net \
                   <a href=\"/docs/\">Docs</a> Scripting in Rust</p></div>\n";
    let mut out = Vec::with_capacity(CORPUS + every + script);
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = |n: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        n / 2 + (state as usize % n)
    };
    let (mut net_at, mut script_at) = (next(every), next(script));
    let mut filler_at = 0;
    while out.len() < CORPUS {
        if out.len() >= net_at {
            out.extend_from_slice(b".NET");
            net_at = out.len() + next(every);
        } else if out.len() >= script_at {
            out.extend_from_slice(if script_at % 2 == 0 {
                b" TypeScript"
            } else {
                b" JavaScript"
            });
            script_at = out.len() + next(script);
        } else {
            out.push(filler[filler_at]);
            filler_at = (filler_at + 1) % filler.len();
        }
    }
    out.truncate(CORPUS);
    out
}

fn gib_per_s(time: Duration) -> f64 {
    CORPUS as f64 / time.as_secs_f64() / (1u64 << 30) as f64
}

fn main() {
    let cases = [
        (r"\.NET", "sparse", 20 << 10, 0.95),
        (r"\.NET", "dense", 50, 0.7),
        ("[A-Z][a-z]+Script", "sparse", 20 << 10, 0.9),
        (
            r"(?-u:\b)[A-Z][a-z]+Script(?-u:\b)",
            "sparse",
            20 << 10,
            0.9,
        ),
    ];
    println!(
        "corpus {} MiB in {} KiB chunks, best of {RUNS} runs; ratio = whole-buffer time / streaming time",
        CORPUS >> 20,
        CHUNK >> 10
    );
    println!(
        "{:<38} {:<7} {:>11} {:>11} {:>6} {:>7} {:>9}",
        "pattern", "corpus", "whole GiB/s", "stream GiB/s", "ratio", "target", "count"
    );
    let only: Vec<String> = std::env::args()
        .skip(1)
        .filter(|arg| !arg.starts_with("--"))
        .collect();
    let mut corpora: Vec<(&str, Vec<u8>)> = Vec::new();
    for (pattern, name, every, target) in cases {
        if !only.is_empty() && !only.iter().any(|w| pattern.contains(w) || name.contains(w)) {
            continue;
        }
        if !corpora.iter().any(|(n, _)| *n == name) {
            corpora.push((name, corpus(every, 2 << 10)));
        }
        let data = &corpora.iter().find(|(n, _)| *n == name).unwrap().1;
        let whole = regex::bytes::Regex::new(pattern).unwrap();
        let (base_time, base_count) =
            best(RUNS, || whole.find_iter(black_box(data)).count() as u64);
        let mut streaming = StreamRegex::new(pattern).unwrap();
        let (time, count) = best(RUNS, || {
            streaming.reset();
            for piece in black_box(data).chunks(CHUNK) {
                streaming.feed(piece).unwrap();
            }
            streaming.finish().unwrap()
        });
        assert_eq!(
            count, base_count,
            "{pattern}: streaming disagrees with regex"
        );
        let ratio = base_time.as_secs_f64() / time.as_secs_f64();
        println!(
            "{pattern:<38} {name:<7} {:>11.2} {:>11.2} {:>6.2} {:>7} {:>9}",
            gib_per_s(base_time),
            gib_per_s(time),
            ratio,
            format!(">={target}"),
            count
        );
    }
}
