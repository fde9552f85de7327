//! Command-line arguments: what the user asked for, checked, or a usage
//! error. Everything here is decided before anything is fetched.

use std::ffi::OsString;
use std::fmt::Display;
use std::ops::RangeInclusive;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use netcount::url::Url;
use netcount::{Client, Counter, CounterOptions, Matcher, Proxy, DEFAULT_NEEDLE, DEFAULT_URL};

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
    /// Count the needle at the URLs (boxed: it is much larger than the
    /// other variants).
    Count(Box<CountArgs>),
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
    /// What to count: the needle (`-n`, or the default) or the pattern
    /// (`-e`), with `-i`, `--overlapping` and `--max-match-bytes` applied;
    /// a refused pattern is a usage error before any request.
    pub matcher: Matcher,
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
    /// Open a new connection for every URL (no connection pool).
    pub no_reuse: bool,
    /// `-x/--proxy`: a proxy for every URL, none (`-x ''`), or (not
    /// given) the environment's.
    pub proxy: ProxyFlag,
    /// `--noproxy`: hosts reached directly, instead of `NO_PROXY`.
    pub noproxy: Option<String>,
    /// `-H/--header`: headers to send, in order, each checked.
    pub headers: Vec<(String, String)>,
    /// `-A/--user-agent`, checked.
    pub user_agent: Option<String>,
    /// `-u/--user`: user name and password, checked.
    pub user: Option<(String, String)>,
    /// Ask for a compressed transfer (`Accept-Encoding: gzip, deflate, br`).
    pub compressed: bool,
}

/// What `-x/--proxy` said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProxyFlag {
    /// Not given: read the environment, as curl does.
    FromEnvironment,
    /// `-x ''`: no proxy, whatever the environment says.
    Off,
    /// `-x URL`.
    Use(Proxy),
}

impl CountArgs {
    /// The proxy to use, by curl's rules: `-x` wins over `http_proxy`,
    /// `HTTPS_PROXY`, `ALL_PROXY`; `--noproxy` wins over `NO_PROXY`, which
    /// applies to `-x` too. `lookup` reads an environment variable.
    pub fn proxy(
        &self,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Option<Proxy>, UsageError> {
        let proxy = match &self.proxy {
            ProxyFlag::Off => return Ok(None),
            ProxyFlag::Use(proxy) => {
                let from_env = lookup("no_proxy").or_else(|| lookup("NO_PROXY"));
                match from_env {
                    Some(list) => proxy.clone().no_proxy(&list),
                    None => proxy.clone(),
                }
            }
            ProxyFlag::FromEnvironment => match Proxy::from_lookup(lookup) {
                Ok(Some(proxy)) => proxy,
                Ok(None) => return Ok(None),
                Err(error) => return Err(UsageError(error.to_string())),
            },
        };
        Ok(Some(match &self.noproxy {
            Some(list) => proxy.no_proxy(list),
            None => proxy,
        }))
    }
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
    let mut needle = None;
    let mut regex = None;
    let mut options = CounterOptions::default();
    let mut max_match_bytes = None;
    let mut concurrency = DEFAULT_CONCURRENCY;
    let mut json = false;
    let mut quiet = false;
    let mut timeout = Client::DEFAULT_TIMEOUT;
    let mut connect_timeout = Client::DEFAULT_CONNECT_TIMEOUT;
    let mut max_redirects = Client::DEFAULT_MAX_REDIRECTS;
    let mut cacert = None;
    let mut no_reuse = false;
    let mut proxy = ProxyFlag::FromEnvironment;
    let mut noproxy = None;
    let mut headers = Vec::new();
    let mut user_agent = None;
    let mut user = None;
    let mut compressed = false;
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
                let value = text(parser.value()?, "--needle")?.into_bytes();
                if value.is_empty() {
                    return Err(UsageError(
                        "the needle (-n/--needle) must not be empty".into(),
                    ));
                }
                needle = Some(value);
            }
            "regex" => regex = Some(text(parser.value()?, "-e/--regex")?),
            "max-match-bytes" => {
                max_match_bytes = Some(number(
                    parser.value()?,
                    "--max-match-bytes",
                    MAX_MATCH_BYTES,
                )?);
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
            "no-reuse" => no_reuse = true,
            // What the request says, and where it goes (curl's names).
            "proxy" => {
                let url = text(parser.value()?, "-x/--proxy")?;
                proxy = if url.is_empty() {
                    ProxyFlag::Off
                } else {
                    ProxyFlag::Use(
                        Proxy::parse(&url).map_err(|e| UsageError(format!("-x/--proxy: {e}")))?,
                    )
                };
            }
            "noproxy" => noproxy = Some(text(parser.value()?, "--noproxy")?),
            "header" => headers.push(header(&text(parser.value()?, "-H/--header")?)?),
            "user-agent" => {
                let value = text(parser.value()?, "-A/--user-agent")?;
                check(
                    "-A/--user-agent",
                    Client::builder().header("User-Agent", &value),
                )?;
                user_agent = Some(value);
            }
            "user" => user = Some(credentials(&text(parser.value()?, "-u/--user")?)?),
            "compressed" => compressed = true,
            _ => return Err(flags::unhandled(flag)),
        }
    }
    if sources.is_empty() {
        let url = Url::parse(DEFAULT_URL).expect("the default url is valid");
        sources.push(Source::Url(url));
    }
    let matcher = matcher(needle, regex, options, max_match_bytes)?;
    Ok(Command::Count(Box::new(CountArgs {
        sources,
        matcher,
        concurrency,
        json,
        quiet,
        timeout,
        connect_timeout,
        max_redirects,
        cacert,
        compressed,
        no_reuse,
        proxy,
        noproxy,
        headers,
        user_agent,
        user,
    })))
}

/// What `--max-match-bytes` accepts: a byte up to 1 GiB (the re-scan
/// buffer may grow to this size).
const MAX_MATCH_BYTES: RangeInclusive<usize> = 1..=1 << 30;

/// What to count, from `-n`, `-e`, `-i`, `--overlapping` and
/// `--max-match-bytes`: the default needle when neither `-n` nor `-e` is
/// given. Every combination that makes no sense is refused, not ignored.
fn matcher(
    needle: Option<Vec<u8>>,
    regex: Option<String>,
    options: CounterOptions,
    max_match_bytes: Option<usize>,
) -> Result<Matcher, UsageError> {
    match (needle, regex) {
        (Some(_), Some(_)) => Err(UsageError(
            "-n/--needle and -e/--regex cannot be used together: count a string or a pattern"
                .into(),
        )),
        (None, Some(pattern)) => regex_matcher(&pattern, options, max_match_bytes),
        (needle, None) => {
            if max_match_bytes.is_some() {
                return Err(UsageError(
                    "--max-match-bytes applies to -e/--regex only".into(),
                ));
            }
            let needle = needle.unwrap_or_else(|| DEFAULT_NEEDLE.as_bytes().to_vec());
            let counter =
                Counter::with_options(&needle, options).map_err(|e| UsageError(e.to_string()))?;
            Ok(Matcher::from(counter))
        }
    }
}

/// The matcher for `-e PATTERN`: the streaming regex, or the counter when
/// the pattern is a plain string; the library's refusal, if any, with the
/// flag's name.
#[cfg(feature = "regex")]
fn regex_matcher(
    pattern: &str,
    options: CounterOptions,
    max_match_bytes: Option<usize>,
) -> Result<Matcher, UsageError> {
    if options.overlapping {
        return Err(UsageError(
            "--overlapping does not apply to -e/--regex: regex matches never overlap (each \
             search starts where the last match ended)"
                .into(),
        ));
    }
    let settings = netcount::pattern::StreamRegex::builder()
        .case_insensitive(options.ignore_case)
        .max_match_bytes(max_match_bytes.unwrap_or(netcount::pattern::DEFAULT_MAX_MATCH_BYTES));
    Matcher::from_pattern(pattern, &settings).map_err(|e| UsageError(format!("-e/--regex: {e}")))
}

/// Without the `regex` feature, `-e` is refused.
#[cfg(not(feature = "regex"))]
fn regex_matcher(
    _pattern: &str,
    _options: CounterOptions,
    _max_match_bytes: Option<usize>,
) -> Result<Matcher, UsageError> {
    Err(UsageError(
        "-e/--regex: this netcount was built without regular expressions (cargo feature `regex`)"
            .into(),
    ))
}

/// `-H 'Name: value'`, checked as the client will check it.
fn header(text: &str) -> Result<(String, String), UsageError> {
    // Not quoted back: it may hold a token.
    let (name, value) = text
        .split_once(':')
        .ok_or_else(|| UsageError("-H/--header expects 'Name: value' (no ':' found)".into()))?;
    let value = value.trim_matches([' ', '\t']);
    check("-H/--header", Client::builder().header(name, value))?;
    Ok((name.to_string(), value.to_string()))
}

/// `-u user:password`, checked as the client will check it.
fn credentials(text: &str) -> Result<(String, String), UsageError> {
    let (user, password) = text.split_once(':').ok_or_else(|| {
        UsageError("-u/--user expects user:password (netcount does not ask for a password)".into())
    })?;
    check("-u/--user", Client::builder().basic_auth(user, password))?;
    Ok((user.to_string(), password.to_string()))
}

/// A builder call's refusal as a usage error about `flag`.
fn check<T>(flag: &str, result: Result<T, netcount::Error>) -> Result<(), UsageError> {
    result
        .map(drop)
        .map_err(|error| UsageError(format!("{flag}: {error}")))
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
            Ok(Command::Count(args)) => *args,
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
        assert_eq!(args.matcher.describe().pattern, ".NET");
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
        assert_eq!((args.concurrency, args.json, args.quiet), (3, true, true));
        assert_eq!(args.matcher.describe().pattern, "x");
        assert!(!args.compressed);
        assert!(count_args(&["--compressed", "http://a/"]).compressed);
    }

    /// What to count: a needle or a pattern, never both, each with only the
    /// flags that apply to it.
    #[test]
    fn needle_and_pattern_flags() {
        use netcount::MatcherKind;
        let what = |args: &[&str]| count_args(args).matcher.describe();
        assert_eq!(what(&["-n", "x"]).kind, MatcherKind::Literal);
        let refused = |args: &[&str]| match parse_strs(args) {
            Err(UsageError(message)) => message,
            Ok(command) => panic!("{args:?} was accepted: {command:?}"),
        };
        assert!(refused(&["-n", "x", "-e", "y"]).contains("cannot be used together"));
        assert!(refused(&["--max-match-bytes", "10"]).contains("-e/--regex only"));
        #[cfg(feature = "regex")]
        {
            assert_eq!(what(&["-e", "a+b"]).kind, MatcherKind::Regex);
            assert_eq!(what(&["-e", "a+b"]).pattern, "a+b");
            // A plain string in disguise goes to the literal counter.
            assert_eq!(what(&["-e", r"\.NET"]).kind, MatcherKind::Literal);
            assert_eq!(what(&["-i", "-e", "kit"]).kind, MatcherKind::Regex);
            let limited = count_args(&["-e", "a.*b", "--max-match-bytes", "1"]);
            assert_eq!(limited.matcher.describe().kind, MatcherKind::Regex);
            assert!(refused(&["-e", "a", "--overlapping"]).contains("never overlap"));
            assert!(refused(&["-e", "a*"]).contains("empty string"));
            assert!(refused(&[r"-e", r"\bx"]).contains("(?-u:\\b)"));
            assert!(refused(&["-e", "a{"]).starts_with("-e/--regex: regex parse error"));
            assert!(refused(&["-e", "a", "--max-match-bytes", "0"]).contains("from 1 to"));
        }
        #[cfg(not(feature = "regex"))]
        assert!(refused(&["-e", "a+"]).contains("feature `regex`"));
    }

    #[test]
    fn request_flags_are_read_and_checked() {
        let args = count_args(&[
            "-H",
            "X-A: 1",
            "--header",
            "Cookie:  s=1 ",
            "-A",
            "ua/1",
            "-u",
            "ann:pa:ss",
            "-x",
            "proxy:3128",
            "--noproxy",
            "localhost",
            "http://a/",
        ]);
        assert_eq!(
            args.headers,
            [
                ("X-A".to_string(), "1".to_string()),
                ("Cookie".into(), "s=1".into())
            ]
        );
        assert_eq!(args.user_agent.as_deref(), Some("ua/1"));
        assert_eq!(args.user, Some(("ann".into(), "pa:ss".into())));
        assert_eq!(
            args.proxy,
            ProxyFlag::Use(Proxy::parse("http://proxy:3128").unwrap())
        );
        assert_eq!(args.noproxy.as_deref(), Some("localhost"));
        assert_eq!(count_args(&["-x", ""]).proxy, ProxyFlag::Off);
        assert_eq!(count_args(&[]).proxy, ProxyFlag::FromEnvironment);

        for (bad, says) in [
            (&["-H", "Host: x"][..], "taken from the url"),
            (
                &["-H", "Connection: keep-alive"],
                "decides when a connection closes",
            ),
            (&["-H", "Content-Length: 0"], "no body"),
            (&["-H", "Transfer-Encoding: chunked"], "no body"),
            (&["-H", "X-A 1"], "expects 'Name: value'"),
            (&["-H", "X-A: a\nB: c"], "a line break"),
            (&["-A", "a\rb"], "a line break"),
            (&["-u", "ann"], "expects user:password"),
            (&["-x", "socks5://p:1"], "socks proxies"),
            (&["-x", "http://ann:s3cret@p:1/path"], "***@p:1"),
        ] {
            let message = match parse_strs(bad) {
                Err(UsageError(message)) => message,
                other => panic!("{bad:?}: expected a usage error, got {other:?}"),
            };
            assert!(message.contains(says), "{bad:?}: {message}");
            assert!(!message.contains("s3cret"), "{message}");
        }
    }

    fn lookup(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |name| {
            pairs
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.to_string())
        }
    }

    /// The proxy host `url` goes through, with these flags and environment.
    fn via(
        flags: &[&str],
        env: &'static [(&'static str, &'static str)],
        url: &str,
    ) -> Option<String> {
        let proxy = count_args(flags).proxy(lookup(env)).unwrap()?;
        let url = Url::parse(url).unwrap();
        proxy.for_url(&url).map(|p| p.host_str().to_string())
    }

    #[test]
    fn the_proxy_follows_curls_precedence() {
        const ENV: &[(&str, &str)] = &[
            ("https_proxy", "http://env-proxy:1"),
            ("http_proxy", "http://env-proxy:1"),
            ("NO_PROXY", "direct.example"),
        ];
        // The environment, when -x is not given.
        assert_eq!(
            via(&[], ENV, "https://a.example/").as_deref(),
            Some("env-proxy")
        );
        assert_eq!(via(&[], ENV, "https://direct.example/"), None);
        assert_eq!(via(&[], &[], "https://a.example/"), None);
        // -x wins over the proxy variables, but NO_PROXY still applies to it.
        let x = ["-x", "http://flag-proxy:2"];
        assert_eq!(
            via(&x, ENV, "http://a.example/").as_deref(),
            Some("flag-proxy")
        );
        assert_eq!(via(&x, ENV, "http://direct.example/"), None);
        // --noproxy wins over NO_PROXY, with or without -x.
        let xn = ["-x", "http://flag-proxy:2", "--noproxy", "a.example"];
        assert_eq!(
            via(&xn, ENV, "http://direct.example/").as_deref(),
            Some("flag-proxy")
        );
        assert_eq!(via(&xn, ENV, "http://a.example/"), None);
        assert_eq!(via(&["--noproxy", "*"], ENV, "https://b.example/"), None);
        // -x '' turns proxies off.
        assert_eq!(via(&["-x", ""], ENV, "https://a.example/"), None);
        // A bad variable is a usage error that names it.
        let error = count_args(&[])
            .proxy(lookup(&[("ALL_PROXY", "https://p:1")]))
            .unwrap_err();
        assert!(error.0.contains("ALL_PROXY"), "{}", error.0);
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
