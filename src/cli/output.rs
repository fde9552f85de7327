//! What the user sees: one line per URL on standard output, in input order,
//! and `netcount: <url>: <message>` on standard error for each failure.
//!
//! | format | a counted URL | a failed URL (stdout) | at the end |
//! | --- | --- | --- | --- |
//! | [`Format::Count`] (one URL) | `COUNT` | nothing | nothing |
//! | [`Format::Lines`] (several) | `COUNT<TAB>URL` | nothing | `SUM<TAB>total` (the number, then the word) |
//! | [`Format::Json`] | `Report::to_json()` | `Error::to_json_with_url(url)` | nothing |

use std::io::{self, Write};

use netcount::{Error, Report};

/// How counted URLs are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// One URL: its count alone.
    Count,
    /// Several URLs: `COUNT<TAB>URL` lines, then `SUM<TAB>total`: the sum
    /// first, so column 1 stays numeric (as `wc` and `du -c` print it).
    Lines,
    /// One JSON object per URL per line.
    Json,
}

/// The output of one run.
#[derive(Debug)]
pub struct Output<W: Write, E: Write> {
    /// How lines are printed; fixed at construction.
    format: Format,
    /// Where lines go (standard output), buffered: see [`Output::flush`].
    out: W,
    /// Where failures are described (standard error).
    err: E,
    /// Sum of the counts printed so far.
    sum: u64,
    /// Whether a failure has been printed.
    failed: bool,
}

impl<W: Write, E: Write> Output<W, E> {
    /// An output in `format` to `out`, with failures described on `err`.
    pub fn new(format: Format, out: W, err: E) -> Output<W, E> {
        Output {
            format,
            out,
            err,
            sum: 0,
            failed: false,
        }
    }

    /// Whether any URL failed so far.
    pub fn failed(&self) -> bool {
        self.failed
    }

    /// Prints the outcome of the URL shown as `label`.
    ///
    /// An error from standard output is returned (the caller decides what a
    /// closed pipe means); standard error is best effort.
    pub fn outcome(&mut self, label: &str, outcome: &Result<Report, Error>) -> io::Result<()> {
        match outcome {
            Ok(report) => {
                self.sum += report.count;
                match self.format {
                    Format::Count => writeln!(self.out, "{}", report.count),
                    Format::Lines => writeln!(self.out, "{}\t{label}", report.count),
                    Format::Json => writeln!(self.out, "{}", report.to_json()),
                }
            }
            Err(error) => {
                self.failed = true;
                if self.format == Format::Json {
                    writeln!(self.out, "{}", error.to_json_with_url(label))?;
                }
                // Keep the two streams in order where they share a terminal.
                self.out.flush()?;
                let _ = writeln!(self.err, "netcount: {label}: {error}")
                    .and_then(|()| self.err.flush());
                Ok(())
            }
        }
    }

    /// Writes what is buffered, so every finished line is seen at once.
    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    /// Ends the output: the `SUM<TAB>total` line for [`Format::Lines`],
    /// then a flush.
    pub fn finish(&mut self) -> io::Result<()> {
        if self.format == Format::Lines {
            writeln!(self.out, "{}\ttotal", self.sum)?;
        }
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use netcount::url::Url;

    use super::*;

    fn report(url: &str, count: u64) -> Result<Report, Error> {
        let mut report = Report::new(Url::parse(url).unwrap());
        report.bytes = 10;
        report.count = count;
        report.elapsed = Duration::from_millis(5);
        Ok(report)
    }

    fn failure() -> Result<Report, Error> {
        Err(Error::Status {
            code: 404,
            reason: "Not Found".into(),
        })
    }

    fn run(format: Format) -> (String, String, bool) {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let mut output = Output::new(format, &mut out, &mut err);
        output
            .outcome("http://a/", &report("http://a/", 2))
            .unwrap();
        output.outcome("http://b/", &failure()).unwrap();
        output
            .outcome("http://c/", &report("http://c/", 5))
            .unwrap();
        output.finish().unwrap();
        let failed = output.failed();
        (
            String::from_utf8(out).unwrap(),
            String::from_utf8(err).unwrap(),
            failed,
        )
    }

    #[test]
    fn lines_end_with_the_sum_of_the_counted() {
        let (out, err, failed) = run(Format::Lines);
        assert_eq!(out, "2\thttp://a/\n5\thttp://c/\n7\ttotal\n");
        assert_eq!(err, "netcount: http://b/: http status 404 not found\n");
        assert!(failed);
    }

    #[test]
    fn json_has_one_object_per_url() {
        let (out, err, _) = run(Format::Json);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 3);
        assert_eq!(
            lines[1],
            r#"{"url":"http://b/","error":{"kind":"status","message":"http status 404 not found","status":404}}"#
        );
        assert!(err.contains("http://b/"));
    }

    #[test]
    fn one_url_prints_the_count_alone() {
        let mut out = Vec::new();
        let mut output = Output::new(Format::Count, &mut out, io::sink());
        output
            .outcome("http://a/", &report("http://a/", 3))
            .unwrap();
        output.finish().unwrap();
        assert!(!output.failed());
        assert_eq!(out, b"3\n");
    }
}
