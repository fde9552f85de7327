//! Command-line arguments: what the user asked for, checked, or a usage
//! error. Everything here is decided before anything is fetched.

use std::ffi::OsString;
use std::fmt::Display;
use std::ops::RangeInclusive;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use netcount::url::Url;
use netcount::{Client, CounterOptions, DEFAULT_NEEDLE, DEFAULT_URL};

use super::flags::{self, Arg, COUNT_FLAGS};
use super::generate;

/// Fetches at once when `-j` is not given. (The other defaults are the
/// library's: `netcount::DEFAULT_URL`, `DEFAULT_NEEDLE`, `Client::DEFAULT_*`.)
pub const DEFAULT_CONCURRENCY: usize = 8;

/// What `-j` accepts. The upper end only catches typos: the open-file limit
/// usually bounds it sooner (see `files`).
const CONCURRENCY: RangeInclusive<usize> = 1..=10_000;

/// What a `SECS` flag accepts: a millisecond to about 31 years.
const SECONDS: RangeInclusive<f64> = 0.001..=1e9;

/// A parsed command line.
#[derive(Debug)]
pub enum Command {
    /// Print the help text.
    Help,
    /// Print the version.
    Version,
    /// Print this generated text (`--generate`).
    Generate(String),
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

/// One place URLs come from, as given on the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A URL argument, parsed and checked.
    Url(Url),
    /// A URL list (`--input`), read when the run is prepared.
    Input(InputSource),
}

/// What to count, where, and how.
#[derive(Debug)]
pub struct CountArgs {
    /// URL arguments and `--input` lists, in the order given; the output
    /// keeps this order.
    pub sources: Vec<Source>,
    /// The needle, as bytes (UTF-8 from the command line); never empty.
    pub needle: Vec<u8>,
    /// Case folding and overlap.
    pub options: CounterOptions,
    /// Most fetches at once; in [`CONCURRENCY`].
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
    let mut sources = Vec::new();
    let mut needle = DEFAULT_NEEDLE.as_bytes().to_vec();
    let mut options = CounterOptions::default();
    let mut concurrency = DEFAULT_CONCURRENCY;
    let mut json = false;
    let mut quiet = false;
    let mut timeout = Client::DEFAULT_TIMEOUT;
    let mut connect_timeout = Client::DEFAULT_CONNECT_TIMEOUT;
    let mut max_redirects = Client::DEFAULT_MAX_REDIRECTS;
    let mut cacert = None;
    while let Some(arg) = flags::next(&mut parser, COUNT_FLAGS)? {
        let flag = match arg {
            Arg::Value(value) => {
                let value = text(value, "the url")?;
                let url = Url::parse(&value).map_err(|e| UsageError(e.to_string()))?;
                sources.push(Source::Url(url));
                continue;
            }
            Arg::Flag(flag) => flag,
        };
        match flag.long {
            "help" => return Ok(Command::Help),
            "version" => return Ok(Command::Version),
            "generate" => {
                let kind = text(parser.value()?, "--generate")?;
                return generate::generate(&kind)
                    .map(Command::Generate)
                    .ok_or_else(|| {
                        UsageError(format!(
                            "--generate expects one of {}, got {kind:?}",
                            generate::KINDS.join(", ")
                        ))
                    });
            }
            "needle" => {
                needle = text(parser.value()?, "--needle")?.into_bytes();
                if needle.is_empty() {
                    return Err(UsageError(
                        "the needle (-n/--needle) must not be empty".into(),
                    ));
                }
            }
            "ignore-case" => options.ignore_case = true,
            "overlapping" => options.overlapping = true,
            "input" => {
                let value = parser.value()?;
                sources.push(Source::Input(if value == "-" {
                    InputSource::Stdin
                } else {
                    InputSource::File(value.into())
                }));
            }
            "concurrency" => {
                concurrency = number(parser.value()?, "-j/--concurrency", CONCURRENCY)?;
            }
            "json" => json = true,
            "quiet" => quiet = true,
            "timeout" => timeout = seconds(parser.value()?, "--timeout")?,
            "connect-timeout" => connect_timeout = seconds(parser.value()?, "--connect-timeout")?,
            "max-redirects" => {
                max_redirects = number(parser.value()?, "--max-redirects", 0..=u32::MAX)?
            }
            "cacert" => cacert = Some(parser.value()?.into()),
            _ => return Err(flags::unhandled(flag)),
        }
    }
    if sources.is_empty() {
        let url = Url::parse(DEFAULT_URL).expect("the default url is valid");
        sources.push(Source::Url(url));
    }
    Ok(Command::Count(CountArgs {
        sources,
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

/// A whole number in `range`; the error names the range.
pub(super) fn number<T>(
    value: OsString,
    flag: &str,
    range: RangeInclusive<T>,
) -> Result<T, UsageError>
where
    T: FromStr + PartialOrd + Display,
{
    let value = text(value, flag)?;
    match value.parse::<T>() {
        Ok(n) if range.contains(&n) => Ok(n),
        _ => Err(UsageError(format!(
            "{flag} expects a whole number from {} to {}, got {value:?}",
            range.start(),
            range.end()
        ))),
    }
}

/// A positive whole number (a count of things, a size limit), up to
/// `u32::MAX` (any more is a typo).
pub(super) fn positive_count(value: OsString, flag: &str) -> Result<usize, UsageError> {
    number(value, flag, 1..=u32::MAX as usize)
}

/// A number of seconds (fractions allowed) in [`SECONDS`].
pub(super) fn seconds(value: OsString, flag: &str) -> Result<Duration, UsageError> {
    let value = text(value, flag)?;
    match value.parse::<f64>() {
        Ok(secs) if SECONDS.contains(&secs) => Ok(Duration::from_secs_f64(secs)),
        _ => Err(UsageError(format!(
            "{flag} expects a number of seconds from {} to {}, got {value:?}",
            SECONDS.start(),
            SECONDS.end()
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
    fn urls_and_inputs_keep_the_order_given() {
        let args = count_args(&["http://a/", "--input", "-", "http://b/", "--input", "f"]);
        assert_eq!(
            args.sources,
            [
                Source::Url(Url::parse("http://a/").unwrap()),
                Source::Input(InputSource::Stdin),
                Source::Url(Url::parse("http://b/").unwrap()),
                Source::Input(InputSource::File("f".into())),
            ]
        );
    }

    #[test]
    fn no_url_and_no_input_means_the_default_url() {
        let args = count_args(&[]);
        assert_eq!(
            args.sources,
            [Source::Url(Url::parse(DEFAULT_URL).unwrap())]
        );
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
        assert_eq!(
            count_args(&["--input", "-"]).sources,
            [Source::Input(InputSource::Stdin)]
        );
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
            &["--generate", "complete-tcsh"],
        ] {
            assert!(parse_strs(args).is_err(), "{args:?}");
        }
    }

    #[test]
    fn numbers_out_of_range_name_the_range() {
        let message = |args: &[&str]| match parse_strs(args) {
            Err(UsageError(message)) => message,
            other => panic!("{args:?}: {other:?}"),
        };
        assert_eq!(
            message(&["--timeout", "1e12"]),
            r#"--timeout expects a number of seconds from 0.001 to 1000000000, got "1e12""#
        );
        assert_eq!(
            message(&["-j", "100000"]),
            r#"-j/--concurrency expects a whole number from 1 to 10000, got "100000""#
        );
        assert_eq!(
            message(&["--max-redirects", "99999999999"]),
            r#"--max-redirects expects a whole number from 0 to 4294967295, got "99999999999""#
        );
        let edges = count_args(&[
            "--timeout",
            "0.001",
            "-j",
            "10000",
            "--connect-timeout",
            "1e9",
        ]);
        assert_eq!(edges.timeout, Duration::from_millis(1));
        assert_eq!(edges.concurrency, 10_000);
    }

    #[test]
    fn every_flag_in_the_table_is_handled() {
        for flag in COUNT_FLAGS {
            let mut args = vec![format!("--{}", flag.long)];
            if flag.value.is_some() {
                args.push("man".into());
            }
            if let Err(UsageError(message)) = parse(args.iter().map(OsString::from)) {
                assert_ne!(message, flags::unhandled(flag).0);
                assert!(!message.contains("invalid option"), "{message}");
            }
        }
    }

    #[test]
    fn generate_and_help_stop_the_parse() {
        assert!(matches!(
            parse_strs(&["--generate", "man"]),
            Ok(Command::Generate(page)) if page.starts_with(".TH NETCOUNT 1")
        ));
        assert!(matches!(
            parse_strs(&["http://a/", "-h"]),
            Ok(Command::Help)
        ));
    }
}
