//! The one table of flags. The parsers look every flag up here (so a short
//! name exists in one place), and the help texts, the man page and the shell
//! completions are all written from it (so none of them can forget a flag).
//!
//! Adding a flag is one entry in [`COUNT_FLAGS`] or [`SERVE_FLAGS`] and one
//! arm, matched on the long name, in the command's parser (`args.rs`,
//! `serve.rs`); a test fails for an entry that no arm handles.

use std::ffi::OsString;

use netcount::server::Config;
use netcount::{Client, DEFAULT_NEEDLE, DEFAULT_URL};

use super::args::{UsageError, DEFAULT_CONCURRENCY};
use super::generate::KINDS;

/// One flag: its names, its value, and what the help says about it.
#[derive(Debug, Clone, Copy)]
pub struct Flag {
    /// The one-letter name (`n` for `-n`), if there is one.
    pub short: Option<char>,
    /// The long name without its dashes (`needle`); the parsers match on it.
    pub long: &'static str,
    /// What the value is called in the help (`TEXT`, `N`); `None` for a
    /// switch.
    pub value: Option<&'static str>,
    /// What a shell offers for the value.
    pub complete: Complete,
    /// One line of help: lower-case, no final period.
    pub help: &'static str,
    /// The default, read from the constant the code uses, shown as
    /// `(default: ...)`.
    pub default: Option<fn() -> String>,
}

/// What a shell completes a flag's value to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Complete {
    /// Nothing to offer (a number, a URL, free text).
    Nothing,
    /// File names.
    File,
    /// One of these words.
    Choices(&'static [&'static str]),
}

impl Flag {
    /// A switch named `--long`.
    const fn new(long: &'static str, help: &'static str) -> Flag {
        Flag {
            short: None,
            long,
            value: None,
            complete: Complete::Nothing,
            help,
            default: None,
        }
    }

    /// Also named `-c`.
    const fn short(self, c: char) -> Flag {
        Flag {
            short: Some(c),
            ..self
        }
    }

    /// Takes a value called `name`.
    const fn value(self, name: &'static str) -> Flag {
        Flag {
            value: Some(name),
            ..self
        }
    }

    /// Takes a file name called `name`.
    const fn file(self, name: &'static str) -> Flag {
        Flag {
            value: Some(name),
            complete: Complete::File,
            ..self
        }
    }

    /// Takes one of `choices`, called `name`.
    const fn choice(self, name: &'static str, choices: &'static [&'static str]) -> Flag {
        Flag {
            value: Some(name),
            complete: Complete::Choices(choices),
            ..self
        }
    }

    /// Shows `default()` as its default.
    const fn default(self, default: fn() -> String) -> Flag {
        Flag {
            default: Some(default),
            ..self
        }
    }

    /// How the flag is written in the help: `-n, --needle TEXT`.
    pub fn synopsis(&self) -> String {
        let mut text = match self.short {
            Some(c) => format!("-{c}, --{}", self.long),
            None => format!("    --{}", self.long),
        };
        if let Some(value) = self.value {
            text.push(' ');
            text.push_str(value);
        }
        text
    }

    /// The help line's text: the help and the default.
    pub fn description(&self) -> String {
        self.words().join(" ")
    }

    /// The description in the pieces a help line may break between: the
    /// words of the help, then `(default: ...)` whole.
    fn words(&self) -> Vec<String> {
        let mut words: Vec<String> = self.help.split(' ').map(String::from).collect();
        if let Some(default) = self.default {
            words.push(format!("(default: {})", default()));
        }
        words
    }
}

/// A duration as a `SECS` flag takes it: `30`, `0.5`.
pub fn secs(duration: std::time::Duration) -> String {
    duration.as_secs_f64().to_string()
}

/// The flags of `netcount [OPTIONS] [URL...]`, in help order.
pub static COUNT_FLAGS: &[Flag] = &[
    Flag::new("needle", "string to count")
        .short('n')
        .value("TEXT")
        .default(|| DEFAULT_NEEDLE.to_string()),
    Flag::new(
        "regex",
        "count matches of this regular expression instead (not with -n)",
    )
    .short('e')
    .value("PATTERN"),
    Flag::new(
        "ignore-case",
        "match letters in either case (ASCII with -n, Unicode with -e)",
    )
    .short('i'),
    Flag::new("overlapping", "count overlapping occurrences (not with -e)"),
    Flag::new(
        "max-match-bytes",
        "bytes -e may read past a match to confirm it",
    )
    .value("N")
    .default(|| netcount::pattern::DEFAULT_MAX_MATCH_BYTES.to_string()),
    Flag::new("input", "read URLs from FILE, one per line (- = stdin)").file("FILE"),
    Flag::new("concurrency", "fetch up to N URLs at once")
        .short('j')
        .value("N")
        .default(|| DEFAULT_CONCURRENCY.to_string()),
    Flag::new("json", "print one JSON object per URL"),
    Flag::new("quiet", "no progress line on a terminal").short('q'),
    Flag::new("timeout", "time limit per URL and its redirects")
        .value("SECS")
        .default(|| secs(Client::DEFAULT_TIMEOUT)),
    Flag::new("connect-timeout", "time limit per address to connect")
        .value("SECS")
        .default(|| secs(Client::DEFAULT_CONNECT_TIMEOUT)),
    Flag::new("max-redirects", "redirects to follow")
        .value("N")
        .default(|| Client::DEFAULT_MAX_REDIRECTS.to_string()),
    Flag::new("cacert", "also trust the CA certificates in this PEM file").file("FILE"),
    Flag::new("no-reuse", "open a new connection for every URL"),
    Flag::new("proxy", "use this http proxy, '' for none")
        .short('x')
        .value("URL")
        .default(|| "http_proxy etc.".to_string()),
    Flag::new("noproxy", "hosts to reach directly, comma-separated")
        .value("LIST")
        .default(|| "NO_PROXY".to_string()),
    Flag::new("header", "send this header too (repeatable)")
        .short('H')
        .value("'NAME: VALUE'"),
    Flag::new("user-agent", "send this User-Agent")
        .short('A')
        .value("TEXT")
        .default(|| netcount::http::DEFAULT_USER_AGENT.to_string()),
    Flag::new(
        "user",
        "send these credentials (Basic) to the URL's host only",
    )
    .short('u')
    .value("USER:PASSWORD"),
    Flag::new(
        "compressed",
        "ask for a compressed transfer (gzip, deflate, br)",
    ),
    Flag::new(
        "generate",
        "print a man page or shell completions: man, complete-bash, complete-zsh, complete-fish",
    )
    .choice("KIND", KINDS),
    Flag::new("help", "print this help").short('h'),
    Flag::new("version", "print the version").short('V'),
];

/// The flags of `netcount serve [OPTIONS]`, in help order.
pub static SERVE_FLAGS: &[Flag] = &[
    Flag::new(
        "listen",
        "address to listen on: HOST:PORT, [IPv6]:PORT, or :PORT for every interface",
    )
    .value("ADDR")
    .default(|| Config::default().listen.to_string()),
    Flag::new("default-url", "URL of /DotNetCount")
        .value("URL")
        .default(|| DEFAULT_URL.to_string()),
    Flag::new(
        "allow-private",
        "turn the SSRF guard off (any address, any port)",
    ),
    Flag::new("allow-host", "fetch only from this host (repeatable)").value("HOST"),
    Flag::new(
        "allow-addr",
        "exempt exactly this address from the SSRF guard (repeatable)",
    )
    .value("IP:PORT"),
    Flag::new("max-connections", "connections served at once")
        .value("N")
        .default(|| Config::default().limits.max_connections.to_string()),
    Flag::new("max-head-bytes", "largest request head")
        .value("N")
        .default(|| Config::default().limits.max_head_bytes.to_string()),
    Flag::new("max-headers", "most request header fields")
        .value("N")
        .default(|| Config::default().limits.max_headers.to_string()),
    Flag::new("head-timeout", "time for a request head to arrive")
        .value("SECS")
        .default(|| secs(Config::default().limits.head_timeout)),
    Flag::new("idle-timeout", "keep-alive idle time")
        .value("SECS")
        .default(|| secs(Config::default().limits.idle_timeout)),
    Flag::new("max-requests", "requests per connection")
        .value("N")
        .default(|| {
            Config::default()
                .limits
                .max_requests_per_connection
                .to_string()
        }),
    Flag::new("max-fetches", "upstream fetches at once")
        .value("N")
        .default(|| Config::default().limits.max_fetches.to_string()),
    Flag::new("fetch-wait", "longest wait for a fetch slot, then 503")
        .value("SECS")
        .default(|| secs(Config::default().limits.fetch_wait)),
    Flag::new(
        "upstream-timeout",
        "deadline of one request's upstream work",
    )
    .value("SECS")
    .default(|| secs(Config::default().limits.upstream_timeout)),
    Flag::new(
        "proxy",
        "fetch through this http proxy (the environment is never read)",
    )
    .value("URL"),
    Flag::new("threads", "threads serving connections")
        .value("N")
        .default(|| "the cores".to_string()),
    Flag::new(
        "max-connections-per-ip",
        "connections one client address may hold",
    )
    .value("N")
    .default(|| Config::default().limits.max_connections_per_ip.to_string()),
    Flag::new("cache-ttl", "answer repeated counts from memory this long")
        .value("SECS")
        .default(|| "0, off".to_string()),
    Flag::new("access-log", "a line per request on stderr")
        .choice("FORMAT", &["off", "text", "json"])
        .default(|| "text".to_string()),
    Flag::new("help", "print this help").short('h'),
    Flag::new("version", "print the version").short('V'),
];

/// What the parser found next: a flag of the table, or a plain argument.
#[derive(Debug)]
pub enum Arg {
    /// A flag; its value, if it takes one, is still in the parser.
    Flag(&'static Flag),
    /// An argument that is not a flag.
    Value(OsString),
}

/// The next argument, with flags looked up in `table`; a flag that is not
/// there is a usage error naming it.
pub fn next(
    parser: &mut lexopt::Parser,
    table: &'static [Flag],
) -> Result<Option<Arg>, UsageError> {
    let Some(arg) = parser.next()? else {
        return Ok(None);
    };
    let found = match &arg {
        lexopt::Arg::Short(c) => table.iter().find(|flag| flag.short == Some(*c)),
        lexopt::Arg::Long(name) => table.iter().find(|flag| flag.long == *name),
        lexopt::Arg::Value(value) => return Ok(Some(Arg::Value(value.clone()))),
    };
    match found {
        Some(flag) => Ok(Some(Arg::Flag(flag))),
        None => Err(arg.unexpected().into()),
    }
}

/// The error for a flag in the table that the parser has no arm for: a
/// bug, caught by the tests.
pub fn unhandled(flag: &Flag) -> UsageError {
    UsageError(format!("--{} is listed but not handled", flag.long))
}

/// The width the help text is wrapped to.
const WIDTH: usize = 80;

/// Where the descriptions of `table` start: two spaces of indent, the
/// longest synopsis, two spaces of gap.
pub fn column(table: &[Flag]) -> usize {
    let longest = table.iter().map(|flag| flag.synopsis().len()).max();
    longest.unwrap_or(0) + 4
}

/// The option lines of a help text: each flag's synopsis, then its
/// description in a column, wrapped to [`WIDTH`] (a default is never split).
pub fn option_lines(table: &[Flag]) -> String {
    let column = column(table);
    let mut text = String::new();
    for flag in table {
        let mut line = format!("  {:<width$}", flag.synopsis(), width = column - 2);
        // Whether the line has nothing after the column yet.
        let mut empty = true;
        for word in flag.words() {
            if !empty && line.len() + 1 + word.len() > WIDTH {
                text.push_str(&line);
                text.push('\n');
                line = " ".repeat(column);
                empty = true;
            }
            if !empty {
                line.push(' ');
            }
            line.push_str(&word);
            empty = false;
        }
        text.push_str(&line);
        text.push('\n');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_within_a_table() {
        for table in [COUNT_FLAGS, SERVE_FLAGS] {
            for (i, flag) in table.iter().enumerate() {
                for other in &table[i + 1..] {
                    assert_ne!(flag.long, other.long);
                    assert!(flag.short.is_none() || flag.short != other.short);
                }
            }
        }
    }

    #[test]
    fn help_lines_align_and_wrap() {
        static TABLE: &[Flag] = &[
            Flag::new("needle", "string to count")
                .short('n')
                .value("TEXT")
                .default(|| ".NET".into()),
            Flag::new(
                "long-one",
                "a description long enough that it must be wrapped onto a second line here",
            ),
        ];
        assert_eq!(
            option_lines(TABLE),
            "  -n, --needle TEXT  string to count (default: .NET)\n\
             \x20     --long-one     a description long enough that it must be wrapped onto a\n\
             \x20                    second line here\n"
        );
    }

    #[test]
    fn lookup_finds_short_and_long_names_and_refuses_others() {
        let mut parser = lexopt::Parser::from_args(["-j3", "--json", "u", "--nope"]);
        let mut seen = Vec::new();
        while let Some(arg) = next(&mut parser, COUNT_FLAGS).transpose() {
            match arg {
                Ok(Arg::Flag(flag)) => {
                    seen.push(flag.long.to_string());
                    if flag.value.is_some() {
                        seen.push(parser.value().unwrap().into_string().unwrap());
                    }
                }
                Ok(Arg::Value(value)) => seen.push(value.into_string().unwrap()),
                Err(UsageError(message)) => {
                    seen.push(message);
                    break;
                }
            }
        }
        assert_eq!(
            seen,
            ["concurrency", "3", "json", "u", "invalid option '--nope'"]
        );
    }
}
