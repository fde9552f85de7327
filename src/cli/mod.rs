//! The command-line tool: `main` → parse → run, exit codes decided here.
//!
//! | module | owns |
//! | --- | --- |
//! | [`args`] | the command line, checked: a [`Command`] or a usage error |
//! | [`input`] | the list of URLs: arguments, then `--input` lines |
//! | [`run`] | the fetches: `-j` workers on one thread, in-order printing, Ctrl-C |
//! | [`output`] | the lines on stdout and the failures on stderr |
//! | [`progress`] | the progress line on a terminal's stderr |
//! | [`serve`] | `netcount serve`: the web API until a signal |
//!
//! Both commands write through [`print`] and [`write_stderr`] and end with
//! one of the `EXIT_*` codes below. The defaults in the help texts are the
//! library's own (`netcount::DEFAULT_URL`, `Client::DEFAULT_TIMEOUT`, ...),
//! filled in when the text is printed.

mod args;
mod input;
mod output;
mod progress;
mod run;
mod serve;

use std::ffi::OsString;
use std::io::Write;
use std::time::Duration;

use args::{Command, UsageError};
use netcount::{Client, DEFAULT_NEEDLE, DEFAULT_URL};

/// Every URL counted (or, for `serve`, a clean shutdown).
const EXIT_OK: i32 = 0;
/// A URL failed (the others were still counted), the output could not be
/// written, or the server could not run.
const EXIT_FAILED: i32 = 1;
/// The command line was wrong; nothing was fetched.
const EXIT_USAGE: i32 = 2;
/// Interrupted by Ctrl-C (128 + SIGINT, as shells report it).
const EXIT_INTERRUPTED: i32 = 130;

/// Help text (concise, curl-like), with the defaults filled in.
fn help() -> String {
    format!(
        "\
Usage: netcount [OPTIONS] [URL...]

Download each URL and print how many times a string occurs in it.
Without URL or --input, counts {needle} at {url}.

Options:
  -n, --needle TEXT          string to count (default: {needle})
  -i, --ignore-case          match ASCII letters in either case
      --overlapping          count overlapping occurrences
      --input FILE           also read URLs from FILE, one per line (- = stdin)
  -j, --concurrency N        fetch up to N URLs at once (default: {concurrency})
      --json                 print one JSON object per URL
  -q, --quiet                no progress line on a terminal
      --timeout SECS         time limit per URL, redirects included (default: {timeout})
      --connect-timeout SECS time limit per address to connect (default: {connect_timeout})
      --max-redirects N      redirects to follow (default: {max_redirects})
      --cacert FILE          also trust the CA certificates in this PEM file
  -h, --help                 print this help
  -V, --version              print the version

One URL prints its count; several print COUNT<TAB>URL lines in input order,
then SUM<TAB>total. Failures go to stderr as 'netcount: URL: message'.

Exit status: {EXIT_OK} all counted, {EXIT_FAILED} a URL failed, {EXIT_USAGE} usage error, \
{EXIT_INTERRUPTED} interrupted.
",
        needle = DEFAULT_NEEDLE,
        url = DEFAULT_URL,
        concurrency = args::DEFAULT_CONCURRENCY,
        timeout = secs(Client::DEFAULT_TIMEOUT),
        connect_timeout = secs(Client::DEFAULT_CONNECT_TIMEOUT),
        max_redirects = Client::DEFAULT_MAX_REDIRECTS,
    )
}

/// A duration as the number of seconds a `SECS` flag takes: `30`, `0.5`.
fn secs(duration: Duration) -> String {
    duration.as_secs_f64().to_string()
}

/// Runs the tool and returns its exit code.
pub fn main() -> i32 {
    let mut args: Vec<OsString> = std::env::args_os().skip(1).collect();
    // A subcommand is recognized by the first argument and routed from
    // here; everything else is a count.
    if args.first().is_some_and(|first| first == "serve") {
        return serve::main(args.split_off(1));
    }
    count(args)
}

/// The counting command: `netcount [OPTIONS] [URL...]`.
fn count(args: Vec<OsString>) -> i32 {
    match args::parse(args) {
        Ok(Command::Help) => print(&help()),
        Ok(Command::Version) => print(&format!("netcount {}\n", env!("CARGO_PKG_VERSION"))),
        Ok(Command::Count(args)) => match run::prepare(args) {
            Ok(job) => run::execute(job),
            Err(error) => usage_error("netcount", &error),
        },
        Err(error) => usage_error("netcount", &error),
    }
}

/// Prints a usage error of `command` (`netcount`, `netcount serve`) with a
/// hint; exit code 2.
fn usage_error(command: &str, UsageError(message): &UsageError) -> i32 {
    write_stderr(&format!(
        "{command}: {message}\nTry '{command} --help' for more information.\n"
    ));
    EXIT_USAGE
}

/// Writes `text` to stdout; a closed pipe is not an error.
fn print(text: &str) -> i32 {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
    EXIT_OK
}

/// Writes `text` to stderr; if even that fails there is nobody to tell.
fn write_stderr(text: &str) {
    let mut err = std::io::stderr().lock();
    let _ = err.write_all(text.as_bytes()).and_then(|()| err.flush());
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The option lines of a help text: the indented lines that start with
    /// a flag.
    fn option_lines(text: &str) -> Vec<&str> {
        text.lines()
            .filter(|line| line.starts_with("  ") && line.trim_start().starts_with('-'))
            .collect()
    }

    /// The README's `text` block whose first line is `first`.
    fn readme_block(first: &str) -> &'static str {
        let readme = include_str!("../../README.md");
        let start = readme
            .find(&format!("```text\n{first}\n"))
            .unwrap_or_else(|| panic!("README has no block starting with {first:?}"));
        let block = &readme[start + "```text\n".len()..];
        &block[..block.find("```").expect("the block ends")]
    }

    #[test]
    fn the_readme_shows_the_options_of_both_help_texts() {
        let count = option_lines(readme_block("netcount [OPTIONS] [URL...]"));
        assert_eq!(count, option_lines(&help()));
        let serve = option_lines(readme_block("netcount serve [OPTIONS]"));
        assert_eq!(serve, option_lines(&serve::help()));
    }

    #[test]
    fn the_help_texts_show_the_library_defaults_as_flags_take_them() {
        let help = help();
        for line in [
            "  -n, --needle TEXT          string to count (default: .NET)",
            "      --timeout SECS         time limit per URL, redirects included (default: 30)",
            "      --connect-timeout SECS time limit per address to connect (default: 10)",
            "      --max-redirects N      redirects to follow (default: 10)",
            "Without URL or --input, counts .NET at https://dotnetfoundation.org.",
            "Exit status: 0 all counted, 1 a URL failed, 2 usage error, 130 interrupted.",
        ] {
            assert!(help.lines().any(|l| l == line), "{line:?} not in:\n{help}");
        }
        assert_eq!(secs(Duration::from_millis(2500)), "2.5");
        let serve = serve::help();
        assert!(serve.contains("(default: 127.0.0.1:8080)"), "{serve}");
        assert!(serve.contains("finish (up to 10 s)."), "{serve}");
    }
}
