//! Command-line arguments: what the user asked for, checked, or a usage
//! error.

use std::ffi::OsString;
use std::time::Duration;

use lexopt::prelude::*;
use netcount::{CounterOptions, Url};

/// The URL counted when none is given: the C# guide's example page.
pub const DEFAULT_URL: &str = "https://dotnetfoundation.org";
/// The needle counted when none is given: the C# guide's `.NET`.
pub const DEFAULT_NEEDLE: &str = ".NET";

/// A parsed command line.
#[derive(Debug)]
pub enum Command {
    /// Print the help text.
    Help,
    /// Print the version.
    Version,
    /// Count the needle at the URL.
    Count(CountArgs),
}

/// What to count, where, and how.
#[derive(Debug)]
pub struct CountArgs {
    /// The URL to fetch.
    pub url: Url,
    /// The needle, as bytes (UTF-8 from the command line).
    pub needle: Vec<u8>,
    /// Case folding and overlap.
    pub options: CounterOptions,
    /// Total deadline, redirects included.
    pub timeout: Duration,
    /// Per-address connect timeout.
    pub connect_timeout: Duration,
    /// Most redirects followed.
    pub max_redirects: u32,
    /// Extra trusted CA certificates (a PEM file).
    pub cacert: Option<std::path::PathBuf>,
}

/// A usage error: the message to print before the hint.
#[derive(Debug)]
pub struct UsageError(pub String);

impl From<lexopt::Error> for UsageError {
    fn from(error: lexopt::Error) -> UsageError {
        UsageError(error.to_string())
    }
}

/// Parses the arguments (without the program name).
pub fn parse(args: impl IntoIterator<Item = OsString>) -> Result<Command, UsageError> {
    let mut parser = lexopt::Parser::from_args(args);
    let mut url = None;
    let mut needle = DEFAULT_NEEDLE.as_bytes().to_vec();
    let mut options = CounterOptions::default();
    let mut timeout = Duration::from_secs(30);
    let mut connect_timeout = Duration::from_secs(10);
    let mut max_redirects = 10;
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
            Long("timeout") => timeout = seconds(parser.value()?, "--timeout")?,
            Long("connect-timeout") => {
                connect_timeout = seconds(parser.value()?, "--connect-timeout")?
            }
            Long("max-redirects") => {
                let value = text(parser.value()?, "--max-redirects")?;
                max_redirects = value.parse().map_err(|_| {
                    UsageError(format!(
                        "--max-redirects expects a whole number, got {value:?}"
                    ))
                })?;
            }
            Long("cacert") => cacert = Some(parser.value()?.into()),
            Value(value) if url.is_none() => {
                let value = text(value, "the url")?;
                url = Some(Url::parse(&value).map_err(|e| UsageError(e.to_string()))?);
            }
            Value(value) => {
                return Err(UsageError(format!(
                    "unexpected extra argument {:?} (one url at a time)",
                    value.to_string_lossy()
                )))
            }
            _ => return Err(arg.unexpected().into()),
        }
    }
    let url = match url {
        Some(url) => url,
        None => Url::parse(DEFAULT_URL).expect("the default url is valid"),
    };
    Ok(Command::Count(CountArgs {
        url,
        needle,
        options,
        timeout,
        connect_timeout,
        max_redirects,
        cacert,
    }))
}

/// An argument as UTF-8 text.
fn text(value: OsString, what: &str) -> Result<String, UsageError> {
    value.into_string().map_err(|v| {
        UsageError(format!(
            "{what} is not valid utf-8: {:?}",
            v.to_string_lossy()
        ))
    })
}

/// A positive number of seconds (fractions allowed).
fn seconds(value: OsString, flag: &str) -> Result<Duration, UsageError> {
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
