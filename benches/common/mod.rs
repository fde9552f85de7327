//! What the benchmarks share: timing a closure, best of several runs.

use std::hint::black_box;
use std::time::{Duration, Instant};

/// Best time of `runs` calls of `f`, and its result (checked to be the same
/// every run, so a fast wrong answer cannot pass for a fast right one).
pub fn best<T: PartialEq + std::fmt::Debug>(
    runs: usize,
    mut f: impl FnMut() -> T,
) -> (Duration, T) {
    let mut best = Duration::MAX;
    let mut result = None;
    for _ in 0..runs {
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
