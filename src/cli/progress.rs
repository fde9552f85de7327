//! The progress line on standard error: URLs done of total, bytes counted,
//! and the rate, redrawn in place and cleared at the end.
//!
//! It is drawn only when standard error is a terminal and `-q` is not given;
//! on a pipe or in a log file a progress line would only be noise.

use super::write_stderr;
use std::time::{Duration, Instant};

/// Erases the current terminal line and returns the cursor to its start.
const ERASE_LINE: &str = "\r\x1b[2K";

/// Least time between two redraws, so many quick fetches do not flood the
/// terminal.
const REDRAW_EVERY: Duration = Duration::from_millis(100);

/// The progress line of one run.
#[derive(Debug)]
pub struct Progress {
    /// Whether to draw at all; fixed at construction.
    enabled: bool,
    /// URLs in the run.
    total: usize,
    /// URLs finished, counted or failed; `done <= total`.
    done: usize,
    /// Body bytes of the URLs counted so far.
    bytes: u64,
    /// When the run started, for the rate.
    started: Instant,
    /// When the line was last drawn; `None` before the first draw.
    drawn_at: Option<Instant>,
    /// Whether the line is on screen now (drawn and not cleared since).
    shown: bool,
}

impl Progress {
    /// A progress line for `total` URLs; draws nothing unless `enabled`.
    pub fn new(enabled: bool, total: usize) -> Progress {
        Progress {
            enabled,
            total,
            done: 0,
            bytes: 0,
            started: Instant::now(),
            drawn_at: None,
            shown: false,
        }
    }

    /// Whether the line is drawn at all.
    pub fn enabled(&self) -> bool {
        self.enabled
    }

    /// Records one finished URL and the body bytes it counted.
    pub fn finished(&mut self, bytes: u64) {
        self.done += 1;
        self.bytes += bytes;
    }

    /// Redraws the line, unless it was drawn less than [`REDRAW_EVERY`] ago.
    pub fn draw(&mut self) {
        let now = Instant::now();
        if !self.enabled || self.drawn_at.is_some_and(|at| now - at < REDRAW_EVERY) {
            return;
        }
        let text = line(self.done, self.total, self.bytes, now - self.started);
        write_stderr(&format!("{ERASE_LINE}{text}"));
        self.drawn_at = Some(now);
        self.shown = true;
    }

    /// Erases the line if it is on screen, before other output or at the end.
    pub fn clear(&mut self) {
        if std::mem::take(&mut self.shown) {
            write_stderr(ERASE_LINE);
        }
    }
}

/// The text of the line: `3/20 URLs, 1.5 MiB, 750.0 KiB/s`.
fn line(done: usize, total: usize, bytes: u64, elapsed: Duration) -> String {
    let secs = elapsed.as_secs_f64();
    let rate = if secs > 0.0 { bytes as f64 / secs } else { 0.0 };
    format!(
        "{done}/{total} URLs, {}, {}/s",
        human_bytes(bytes as f64),
        human_bytes(rate)
    )
}

/// A byte count in binary units: `512 B`, `1.5 KiB`, `3.0 MiB`.
fn human_bytes(bytes: f64) -> String {
    const UNITS: [&str; 5] = ["KiB", "MiB", "GiB", "TiB", "PiB"];
    if bytes < 1024.0 {
        return format!("{} B", bytes as u64);
    }
    let mut value = bytes / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_shows_done_total_bytes_and_rate() {
        assert_eq!(
            line(3, 20, 3 << 19, Duration::from_secs(2)),
            "3/20 URLs, 1.5 MiB, 768.0 KiB/s"
        );
        assert_eq!(line(0, 1, 0, Duration::ZERO), "0/1 URLs, 0 B, 0 B/s");
    }

    #[test]
    fn bytes_in_binary_units() {
        assert_eq!(human_bytes(1023.0), "1023 B");
        assert_eq!(human_bytes(1024.0), "1.0 KiB");
        assert_eq!(human_bytes(5.0 * 1024.0 * 1024.0 * 1024.0), "5.0 GiB");
        assert_eq!(human_bytes(u64::MAX as f64), "16384.0 PiB");
    }

    #[test]
    fn a_disabled_line_is_never_drawn() {
        let mut progress = Progress::new(false, 2);
        progress.finished(10);
        progress.draw();
        assert_eq!((progress.drawn_at, progress.shown), (None, false));
    }
}
