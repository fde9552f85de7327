//! Command-line arguments: what the user asked for, checked, or a usage
//! error. Everything here is decided before anything is fetched.

use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

use lexopt::prelude::*;
use netcount::url::Url;
use netcount::{Client, CounterOptions, Proxy, DEFAULT_NEEDLE, DEFAULT_URL};

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
    let mut no_reuse = false;
    let mut proxy = ProxyFlag::FromEnvironment;
    let mut noproxy = None;
    let mut headers = Vec::new();
    let mut user_agent = None;
    let mut user = None;
    let mut compressed = false;
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
            Long("no-reuse") => no_reuse = true,
            // What the request says, and where it goes (curl's names).
            Short('x') | Long("proxy") => {
                let url = text(parser.value()?, "-x/--proxy")?;
                proxy = if url.is_empty() {
                    ProxyFlag::Off
                } else {
                    ProxyFlag::Use(
                        Proxy::parse(&url).map_err(|e| UsageError(format!("-x/--proxy: {e}")))?,
                    )
                };
            }
            Long("noproxy") => noproxy = Some(text(parser.value()?, "--noproxy")?),
            Short('H') | Long("header") => {
                headers.push(header(&text(parser.value()?, "-H/--header")?)?)
            }
            Short('A') | Long("user-agent") => {
                let value = text(parser.value()?, "-A/--user-agent")?;
                check(
                    "-A/--user-agent",
                    Client::builder().header("User-Agent", &value),
                )?;
                user_agent = Some(value);
            }
            Short('u') | Long("user") => {
                user = Some(credentials(&text(parser.value()?, "-u/--user")?)?)
            }
            Long("compressed") => compressed = true,
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
    Ok(Command::Count(Box::new(CountArgs {
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
        compressed,
        no_reuse,
        proxy,
        noproxy,
        headers,
        user_agent,
        user,
    })))
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
            Ok(Command::Count(args)) => *args,
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
        assert!(!args.compressed);
        assert!(count_args(&["--compressed", "http://a/"]).compressed);
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
        ] {
            assert!(parse_strs(args).is_err(), "{args:?}");
        }
    }
}
