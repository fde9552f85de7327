//! The command-line tool: `main` → parse → run, exit codes decided here.
//!
//! | module | owns |
//! | --- | --- |
//! | [`args`] | the command line, checked: a [`Command`] or a usage error |
//! | [`input`] | the list of URLs: arguments, then `--input` lines |
//! | [`run`] | the fetches: `-j` workers on one thread, in-order printing, Ctrl-C |
//! | [`output`] | the lines on stdout and the failures on stderr |
//! | [`progress`] | the progress line on a terminal's stderr |

mod args;
mod input;
mod output;
mod progress;
mod run;
mod serve;

use std::ffi::OsString;
use std::io::Write;

use args::{Command, UsageError};

/// Every URL counted.
const EXIT_OK: i32 = 0;
/// A URL failed (the others were still counted), or the output could not be
/// written.
const EXIT_FAILED: i32 = 1;
/// The command line was wrong; nothing was fetched.
const EXIT_USAGE: i32 = 2;
/// Interrupted by Ctrl-C (128 + SIGINT, as shells report it).
const EXIT_INTERRUPTED: i32 = 130;

/// Help text (concise, curl-like).
const HELP: &str = "\
Usage: netcount [OPTIONS] [URL...]

Download each URL and print how many times a string occurs in it.
Without URL or --input, counts .NET at https://dotnetfoundation.org.

Options:
  -n, --needle TEXT          string to count (default: .NET)
  -i, --ignore-case          match ASCII letters in either case
      --overlapping          count overlapping occurrences
      --input FILE           also read URLs from FILE, one per line (- = stdin)
  -j, --concurrency N        fetch up to N URLs at once (default: 8)
      --json                 print one JSON object per URL
  -q, --quiet                no progress line on a terminal
      --timeout SECS         time limit per URL, redirects included (default: 30)
      --connect-timeout SECS time limit per address to connect (default: 10)
      --max-redirects N      redirects to follow (default: 10)
      --cacert FILE          also trust the CA certificates in this PEM file
  -h, --help                 print this help
  -V, --version              print the version

One URL prints its count; several print COUNT<TAB>URL lines in input order,
then SUM<TAB>total. Failures go to stderr as 'netcount: URL: message'.

Exit status: 0 all counted, 1 a URL failed, 2 usage error, 130 interrupted.
";

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
        Ok(Command::Help) => print(HELP),
        Ok(Command::Version) => print(&format!("netcount {}\n", env!("CARGO_PKG_VERSION"))),
        Ok(Command::Count(args)) => match run::prepare(args) {
            Ok(job) => run::execute(job),
            Err(error) => usage_error(&error),
        },
        Err(error) => usage_error(&error),
    }
}

/// Prints a usage error with a hint; exit code 2.
fn usage_error(UsageError(message): &UsageError) -> i32 {
    write_stderr(&format!(
        "netcount: {message}\nTry 'netcount --help' for more information.\n"
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
