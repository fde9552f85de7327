//! Decoding inside netcount against the decoder alone, on the same data.
//!
//! Run with: `cargo bench --bench decode`
//!
//! The corpus is 256 MiB of HTML-like text, compressed once with gzip
//! (level 6) and br (quality 6, 4 MiB window), as a server would send it.
//! The baseline is the decoder crate's own reader (`flate2::read::GzDecoder`,
//! `brotli_decompressor::Decompressor`) read into a buffer and dropped.
//! netcount reads the same bytes through [`Decoded`] (an `AsyncRead`,
//! polled by `block_on`), once into a sink and once feeding a [`Counter`],
//! as the client would. Each row gives the ratio of throughputs against the
//! baseline with the same read size, measured in the same run (higher is
//! better; the target is at least 0.9). Each figure is the best of several
//! rounds, and each round runs the three readers in turn, to shed noise
//! from a shared machine.
//!
//! [`Decoded`]: netcount::decode::Decoded

use std::hint::black_box;
use std::io::{Read, Write};
use std::time::{Duration, Instant};

use futures_lite::{io::Cursor, AsyncReadExt};
use netcount::decode::ContentDecoder;
use netcount::Counter;

/// Corpus size (decoded).
const CORPUS: usize = 256 << 20;
/// Rounds per measurement; the best time of each reader is kept.
const RUNS: usize = 5;

/// HTML-like text: tags, attributes, words and numbers drawn at random from
/// small vocabularies, with `.NET` among the words.
fn corpus() -> Vec<u8> {
    let words = [
        "the",
        "async",
        "runtime",
        ".NET",
        "stream",
        "count",
        "download",
        "data",
        "server",
        "client",
        "network",
        "example",
        "task",
        "await",
        "future",
        "string",
        "page",
        "body",
        "Foundation",
        "open",
        "source",
        "project",
        "community",
        "release",
        "support",
    ];
    let tags = ["p", "div", "span", "a", "li", "td", "h2", "em"];
    let classes = ["nav", "content", "item", "footer", "card", "link", "muted"];
    let mut out = Vec::with_capacity(CORPUS + 4096);
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = move |n: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % n as u64) as usize
    };
    while out.len() < CORPUS {
        let tag = tags[next(tags.len())];
        let class = classes[next(classes.len())];
        write!(
            out,
            "<{tag} class=\"{class}-{}\" id=\"x{}\">",
            next(100),
            next(100_000)
        )
        .unwrap();
        for _ in 0..4 + next(12) {
            write!(out, "{} ", words[next(words.len())]).unwrap();
            if next(10) == 0 {
                write!(out, "{} ", next(1_000_000)).unwrap();
            }
        }
        writeln!(out, "</{tag}>").unwrap();
    }
    out.truncate(CORPUS);
    out
}

/// What a reader returned: (decoded length, count or 0).
type Outcome = (u64, u64);

/// Best times of `RUNS` rounds, each round calling every one of `readers`
/// in turn (so that they share whatever else the machine is doing), and
/// their outcomes, which must not vary between rounds.
fn best_of(readers: &mut [&mut dyn FnMut() -> Outcome]) -> Vec<(Duration, Outcome)> {
    let mut best = vec![(Duration::MAX, None); readers.len()];
    for _ in 0..RUNS {
        for (reader, (time, outcome)) in readers.iter_mut().zip(&mut best) {
            let started = Instant::now();
            let value = black_box(reader());
            *time = (*time).min(started.elapsed());
            assert!(outcome.is_none_or(|previous| previous == value));
            *outcome = Some(value);
        }
    }
    best.into_iter()
        .map(|(time, outcome)| (time, outcome.unwrap()))
        .collect()
}

fn mib_per_s(bytes: usize, time: Duration) -> f64 {
    bytes as f64 / time.as_secs_f64() / (1 << 20) as f64
}

/// Reads `reader` to its end with `size`-byte reads: the decoded length.
fn drain(mut reader: impl Read, size: usize) -> Outcome {
    let mut buf = vec![0; size];
    let mut total = 0;
    loop {
        let n = reader.read(&mut buf).unwrap();
        if n == 0 {
            return (total, 0);
        }
        black_box(&buf[..n]);
        total += n as u64;
    }
}

/// Reads `body` through `Decoded` with `size`-byte reads, feeding a `.NET`
/// counter if `count`.
fn through_netcount(coding: &str, body: &[u8], size: usize, count: bool) -> Outcome {
    let decoder = ContentDecoder::from_header_values([coding]).unwrap();
    let mut decoded = decoder.decode(Cursor::new(body));
    let mut counter = Counter::new(".NET").unwrap();
    let mut buf = vec![0; size];
    futures_lite::future::block_on(async {
        loop {
            let n = decoded.read(&mut buf).await.unwrap();
            if n == 0 {
                break;
            }
            if count {
                counter.feed(&buf[..n]);
            } else {
                black_box(&buf[..n]);
            }
        }
    });
    assert_eq!(decoded.bytes_in(), body.len() as u64);
    (decoded.bytes_out(), counter.count())
}

fn main() {
    let content = corpus();
    let expected = memchr::memmem::find_iter(&content, ".NET").count() as u64;

    let started = Instant::now();
    let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(6));
    gzip.write_all(&content).unwrap();
    let gzip = gzip.finish().unwrap();
    let mut br = brotli::CompressorWriter::new(Vec::new(), 64 << 10, 6, 22);
    br.write_all(&content).unwrap();
    let br = br.into_inner();
    let mib = |bytes: usize| bytes as f64 / (1 << 20) as f64;
    println!(
        "corpus {} MiB, {expected} x .NET; gzip {:.1} MiB, br {:.1} MiB \
         (compressed in {:.0} s); best of {RUNS} rounds",
        CORPUS >> 20,
        mib(gzip.len()),
        mib(br.len()),
        started.elapsed().as_secs_f64()
    );
    println!(
        "{:<6} {:>6} {:<28} {:>10} {:>7}",
        "coding", "read", "reader", "MiB/s out", "ratio"
    );
    for (coding, body) in [("gzip", &gzip), ("br", &br)] {
        for size in [64 << 10, 256 << 10, 1 << 20] {
            let (baseline_name, mut baseline): (&str, Box<dyn FnMut() -> Outcome>) = match coding {
                "gzip" => (
                    "flate2::read::GzDecoder",
                    Box::new(|| drain(flate2::read::GzDecoder::new(&body[..]), size)),
                ),
                _ => (
                    "brotli_decompressor reader",
                    Box::new(|| {
                        let reader = brotli_decompressor::Decompressor::new(&body[..], 32 << 10);
                        drain(reader, size)
                    }),
                ),
            };
            let mut sink = || through_netcount(coding, body, size, false);
            let mut counting = || through_netcount(coding, body, size, true);
            let results = best_of(&mut [&mut *baseline, &mut sink, &mut counting]);
            assert_eq!(results[0].1 .0, CORPUS as u64);
            assert_eq!(results[1].1 .0, CORPUS as u64);
            assert_eq!(results[2].1, (CORPUS as u64, expected));
            let base_time = results[0].0;
            let names = [baseline_name, "Decoded (sink)", "Decoded + Counter"];
            for (name, (time, _)) in names.iter().zip(&results) {
                println!(
                    "{coding:<6} {:>6} {name:<28} {:>10.0} {:>7.2}",
                    format!("{}K", size >> 10),
                    mib_per_s(CORPUS, *time),
                    base_time.as_secs_f64() / time.as_secs_f64()
                );
            }
        }
    }
}
