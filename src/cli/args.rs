//! Command-line arguments: what the user asked for, checked, or a usage
//! error. Everything here is decided before anything is fetched.

use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

use lexopt::prelude::*;
use netcount::url::Url;
use netcount::{Client, CounterOptions, DEFAULT_NEEDLE, DEFAULT_URL};

/// Fetches at once when `-j` is not given. (The other defaults are the
/// library's: `netcount::DEFAULT_URL`, `DEFAULT_NEEDLE`, `Client::DEFAULT_*`.)
pub const DEFAULT_CONCURRENCY: usize = 8;

/// A parsed command line.
#[derive(Debug)]
pub enum Command {
    /// Print the help text.
    Help,
    /// Print the version.
    Version,
    /// Count the needle at the URLs.
    Count(CountArgs),
}

/// Where more URLs come from: a file, one URL per line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InputSource {
    /// Standard input (`--input -`).
    Stdin,
    /// A file.
    File(PathBuf),
}

/// What to count, where, and how.
#[derive(Debug)]
pub struct CountArgs {
    /// The URLs given as arguments, in order; each one parsed and checked.
    pub urls: Vec<Url>,
    /// URL lists (`--input`), read after the arguments, in order.
    pub inputs: Vec<InputSource>,
    /// The needle, as bytes (UTF-8 from the command line); never empty.
    pub needle: Vec<u8>,
    /// Case folding and overlap.
    pub options: CounterOptions,
    /// Most fetches at once; at least 1.
    pub concurrency: usize,
    /// One JSON object per URL instead of plain text.
    pub json: bool,
    /// No progress line, even on a terminal.
    pub quiet: bool,
    /// Total deadline per URL, redirects included.
    pub timeout: Duration,
    /// Per-address connect timeout.
    pub connect_timeout: Duration,
    /// Most redirects followed.
    pub max_redirects: u32,
    /// Extra trusted CA certificates (a PEM file).
    pub cacert: Option<PathBuf>,
}

/// A usage error: the message to print before the hint.
#[derive(Debug)]
pub struct UsageError(pub String);

impl From<String> for UsageError {
    fn from(message: String) -> UsageError {
        UsageError(message)
    }
}

impl From<lexopt::Error> for UsageError {
    fn from(error: lexopt::Error) -> UsageError {
        UsageError(error.to_string())
    }
}

/// Parses the arguments (without the program name).
pub fn parse(args: impl IntoIterator<Item = OsString>) -> Result<Command, UsageError> {
    let mut parser = lexopt::Parser::from_args(args);
    let mut urls = Vec::new();
    let mut inputs = Vec::new();
    let mut needle = DEFAULT_NEEDLE.as_bytes().to_vec();
    let mut options = CounterOptions::default();
    let mut concurrency = DEFAULT_CONCURRENCY;
    let mut json = false;
    let mut quiet = false;
    let mut timeout = Client::DEFAULT_TIMEOUT;
    let mut connect_timeout = Client::DEFAULT_CONNECT_TIMEOUT;
    let mut max_redirects = Client::DEFAULT_MAX_REDIRECTS;
    let mut cacert = None;
    while let Some(arg) = parser.next()? {
        match arg {
            Short('h') | Long("help") => return Ok(Command::Help),
            Short('V') | Long("version") => return Ok(Command::Version),
            Short('n') | Long("needle") => {
                needle = text(parser.value()?, "--needle")?.into_bytes();
                if needle.is_empty() {
                    return Err(UsageError(
                        "the needle (-n/--needle) must not be empty".into(),
                    ));
                }
            }
            Short('i') | Long("ignore-case") => options.ignore_case = true,
            Long("overlapping") => options.overlapping = true,
            Long("input") => {
                let value = parser.value()?;
                inputs.push(if value == "-" {
                    InputSource::Stdin
                } else {
                    InputSource::File(value.into())
                });
            }
            Short('j') | Long("concurrency") => {
                concurrency = whole_number(parser.value()?, "-j/--concurrency")?;
                if concurrency == 0 {
                    return Err(UsageError(
                        "-j/--concurrency must be at least 1, got 0".into(),
                    ));
                }
            }
            Long("json") => json = true,
            Short('q') | Long("quiet") => quiet = true,
            Long("timeout") => timeout = seconds(parser.value()?, "--timeout")?,
            Long("connect-timeout") => {
                connect_timeout = seconds(parser.value()?, "--connect-timeout")?
            }
            Long("max-redirects") => {
                max_redirects = whole_number(parser.value()?, "--max-redirects")?
            }
            Long("cacert") => cacert = Some(parser.value()?.into()),
            Value(value) => {
                let value = text(value, "the url")?;
                urls.push(Url::parse(&value).map_err(|e| UsageError(e.to_string()))?);
            }
            _ => return Err(arg.unexpected().into()),
        }
    }
    if urls.is_empty() && inputs.is_empty() {
        urls.push(Url::parse(DEFAULT_URL).expect("the default url is valid"));
    }
    Ok(Command::Count(CountArgs {
        urls,
        inputs,
        needle,
        options,
        concurrency,
        json,
        quiet,
        timeout,
        connect_timeout,
        max_redirects,
        cacert,
    }))
}

/// An argument as UTF-8 text.
pub(super) fn text(value: OsString, what: &str) -> Result<String, UsageError> {
    value.into_string().map_err(|v| {
        UsageError(format!(
            "{what} is not valid utf-8: {:?}",
            v.to_string_lossy()
        ))
    })
}

/// A non-negative whole number (`u32`, `usize`, ...).
fn whole_number<T: std::str::FromStr>(value: OsString, flag: &str) -> Result<T, UsageError> {
    let value = text(value, flag)?;
    value
        .parse()
        .map_err(|_| UsageError(format!("{flag} expects a whole number, got {value:?}")))
}

/// A positive whole number (a count of things, a size limit).
pub(super) fn positive_count(value: OsString, flag: &str) -> Result<usize, UsageError> {
    let value = text(value, flag)?;
    match value.parse::<usize>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(UsageError(format!(
            "{flag} expects a positive whole number, got {value:?}"
        ))),
    }
}

/// A positive number of seconds (fractions allowed).
pub(super) fn seconds(value: OsString, flag: &str) -> Result<Duration, UsageError> {
    let value = text(value, flag)?;
    match value.parse::<f64>() {
        Ok(secs) if secs > 0.0 && secs.is_finite() && secs <= 1e9 => {
            Ok(Duration::from_secs_f64(secs))
        }
        _ => Err(UsageError(format!(
            "{flag} expects a positive number of seconds, got {value:?}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_strs(args: &[&str]) -> Result<Command, UsageError> {
        parse(args.iter().map(OsString::from))
    }

    fn count_args(args: &[&str]) -> CountArgs {
        match parse_strs(args) {
            Ok(Command::Count(args)) => args,
            other => panic!("{args:?}: expected a count, got {other:?}"),
        }
    }

    #[test]
    fn urls_keep_their_order_and_inputs_follow() {
        let args = count_args(&["http://a/", "--input", "-", "http://b/", "--input", "f"]);
        let urls: Vec<String> = args.urls.iter().map(Url::to_string).collect();
        assert_eq!(urls, ["http://a/", "http://b/"]);
        assert_eq!(
            args.inputs,
            [InputSource::Stdin, InputSource::File("f".into())]
        );
    }

    #[test]
    fn no_url_and_no_input_means_the_default_url() {
        let args = count_args(&[]);
        assert_eq!(args.urls, [Url::parse(DEFAULT_URL).unwrap()]);
        assert_eq!(args.needle, b".NET");
        assert_eq!(args.concurrency, DEFAULT_CONCURRENCY);
        assert_eq!(
            (args.timeout, args.connect_timeout, args.max_redirects),
            (
                Client::DEFAULT_TIMEOUT,
                Client::DEFAULT_CONNECT_TIMEOUT,
                Client::DEFAULT_MAX_REDIRECTS
            )
        );
        assert!(count_args(&["--input", "-"]).urls.is_empty());
    }

    #[test]
    fn flags_are_read() {
        let args = count_args(&["-j3", "--json", "-q", "-n", "x", "http://a/"]);
        assert_eq!(
            (args.concurrency, args.json, args.quiet, &args.needle[..]),
            (3, true, true, &b"x"[..])
        );
    }

    #[test]
    fn bad_values_are_usage_errors() {
        for args in [
            &["-j", "0"][..],
            &["-j", "-1"],
            &["-j", "many"],
            &["-j"],
            &["--timeout", "nan"],
            &["--timeout", "inf"],
            &["--connect-timeout", "0"],
            &["-n", ""],
            &["http://a/", "ftp://b/"],
            &["--nope"],
        ] {
            assert!(parse_strs(args).is_err(), "{args:?}");
        }
    }
}
