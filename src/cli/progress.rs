//! The progress line on standard error: URLs done of total, bytes received
//! and the rate, redrawn in place while downloads run, cleared at the end.
//!
//! It is drawn only when standard error is a terminal and `-q` is not given;
//! on a pipe or in a log file a progress line would only be noise. The
//! bytes come from the client's progress hook, so they move during a long
//! download, not only when a URL finishes.

use super::write_stderr;
use std::ffi::OsStr;
use std::time::{Duration, Instant};

/// Erases the current terminal line and returns the cursor to its start.
const ERASE_LINE: &str = "\r\x1b[2K";

/// How often the line is redrawn while downloads run: ten times a second.
pub const REDRAW_EVERY: Duration = Duration::from_millis(100);

/// Least time between two redraws, so many quick fetches do not flood the
/// terminal. A little under [`REDRAW_EVERY`], so that a timer tick that
/// comes a moment early is not skipped.
const LEAST_GAP: Duration = Duration::from_millis(90);

/// How the line is redrawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// With the terminal's erase-line escape.
    Ansi,
    /// Plain text: a carriage return, and spaces over what was longer
    /// before. For terminals that take no escapes (`TERM=dumb`, or no
    /// `TERM` at all, as in some IDE consoles and old Windows consoles).
    Plain,
}

impl Style {
    /// The style for the terminal named by `TERM`.
    pub fn for_term(term: Option<&OsStr>) -> Style {
        match term {
            Some(term) if !term.is_empty() && term != "dumb" => Style::Ansi,
            _ => Style::Plain,
        }
    }
}

/// The progress line of one run.
#[derive(Debug)]
pub struct Progress {
    /// Whether to draw at all; fixed at construction.
    enabled: bool,
    /// How to redraw; fixed at construction.
    style: Style,
    /// URLs in the run.
    total: usize,
    /// URLs finished, counted or failed; `done <= total`.
    done: usize,
    /// When the run started, for the rate.
    started: Instant,
    /// When the line was last drawn; `None` before the first draw.
    drawn_at: Option<Instant>,
    /// Characters of the line on screen now; 0 when none is (never drawn,
    /// or cleared since).
    shown: usize,
}

impl Progress {
    /// A progress line for `total` URLs; draws nothing unless `enabled`.
    pub fn new(enabled: bool, style: Style, total: usize) -> Progress {
        Progress {
            enabled,
            style,
            total,
            done: 0,
            started: Instant::now(),
            drawn_at: None,
            shown: 0,
        }
    }

    /// Whether the line is drawn at all.
    pub fn enabled(&self) -> bool {
        self.enabled
    }

    /// Records one finished URL.
    pub fn finished(&mut self) {
        self.done += 1;
    }

    /// Redraws the line with `bytes` received so far, unless it was drawn
    /// less than [`LEAST_GAP`] ago.
    pub fn draw(&mut self, bytes: u64) {
        let now = Instant::now();
        if !self.enabled || self.drawn_at.is_some_and(|at| now - at < LEAST_GAP) {
            return;
        }
        let text = line(self.done, self.total, bytes, now - self.started);
        let width = text.chars().count();
        write_stderr(&match self.style {
            Style::Ansi => format!("{ERASE_LINE}{text}"),
            Style::Plain => {
                let cover = self.shown.saturating_sub(width);
                format!("\r{text}{:cover$}", "")
            }
        });
        self.drawn_at = Some(now);
        // The plain style leaves the cursor after the padding; what is on
        // screen is as wide as the widest line since the last clear.
        self.shown = width.max(if self.style == Style::Plain {
            self.shown
        } else {
            0
        });
    }

    /// Erases the line if it is on screen, before other output or at the end.
    pub fn clear(&mut self) {
        let shown = std::mem::take(&mut self.shown);
        if shown > 0 {
            write_stderr(&match self.style {
                Style::Ansi => ERASE_LINE.to_string(),
                Style::Plain => format!("\r{:shown$}\r", ""),
            });
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
        let mut progress = Progress::new(false, Style::Ansi, 2);
        progress.finished();
        progress.draw(10);
        assert_eq!((progress.drawn_at, progress.shown), (None, 0));
    }

    #[test]
    fn dumb_or_missing_terminals_get_plain_text() {
        assert_eq!(
            Style::for_term(Some(OsStr::new("xterm-256color"))),
            Style::Ansi
        );
        assert_eq!(Style::for_term(Some(OsStr::new("dumb"))), Style::Plain);
        assert_eq!(Style::for_term(Some(OsStr::new(""))), Style::Plain);
        assert_eq!(Style::for_term(None), Style::Plain);
    }
}
