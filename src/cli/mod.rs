//! The command-line tool: `main` → parse → run, exit codes decided here.
//!
//! | module | owns |
//! | --- | --- |
//! | [`flags`] | the one table of flags, for both commands |
//! | [`args`] | the count's command line, checked: a [`Command`] or a usage error |
//! | [`input`] | the list of URLs: arguments and `--input` lines, in the order given |
//! | [`run`] | the fetches: `-j` workers on one thread, in-order printing, signals |
//! | [`files`] | the open-file limit `-j` needs |
//! | [`output`] | the lines on stdout and the failures on stderr |
//! | [`progress`] | the progress line on a terminal's stderr |
//! | [`serve`] | `netcount serve`: the web API until a signal |
//! | [`help`] | the help pages, built from the table and the defaults |
//! | [`generate`] | the man page and shell completions, from the same |
//!
//! Both commands write through [`print`] and [`write_stderr`], begin every
//! message with `netcount: `, and end with one of the `EXIT_*` codes below.

mod args;
mod files;
mod flags;
mod generate;
mod help;
mod input;
mod output;
mod progress;
mod run;
mod serve;

use std::ffi::OsString;
use std::io::Write;

use args::{Command, UsageError};

/// Every URL counted (or, for `serve`, a clean shutdown).
const EXIT_OK: i32 = 0;
/// A URL failed (the others were still counted), the output could not be
/// written, or the server could not run.
const EXIT_FAILED: i32 = 1;
/// The command line was wrong; nothing was fetched.
const EXIT_USAGE: i32 = 2;
/// Interrupted by Ctrl-C (128 + SIGINT, as shells report it).
const EXIT_INTERRUPTED: i32 = 130;
/// Stopped by SIGTERM (128 + 15).
const EXIT_TERMINATED: i32 = 143;

/// Runs the tool and returns its exit code.
pub fn main() -> i32 {
    let mut args: Vec<OsString> = std::env::args_os().skip(1).collect();
    // A subcommand is recognized by the first argument and routed from
    // here; everything else is a count.
    match args.first().and_then(|first| first.to_str()) {
        Some("serve") => serve::main(args.split_off(1)),
        Some("help") => help_command(&args[1..]),
        _ => count(args),
    }
}

/// `netcount help [serve]`.
fn help_command(args: &[OsString]) -> i32 {
    match args {
        [] => print(&help::count().text()),
        [command] if command == "serve" => print(&help::serve().text()),
        _ => usage_error(
            "netcount help",
            &UsageError(format!(
                "no help for {:?}; try 'netcount help' or 'netcount help serve'",
                args.join(" ".as_ref())
            )),
        ),
    }
}

/// The counting command: `netcount [OPTIONS] [URL...]`.
fn count(args: Vec<OsString>) -> i32 {
    match args::parse(args) {
        Ok(Command::Help) => print(&help::count().text()),
        Ok(Command::Version) => version(),
        Ok(Command::Generate(text)) => print(&text),
        Ok(Command::Count(args)) => match run::prepare(*args) {
            Ok(job) => run::execute(job),
            Err(error) => usage_error("netcount", &error),
        },
        Err(error) => usage_error("netcount", &error),
    }
}

/// Prints `netcount VERSION`.
fn version() -> i32 {
    print(&format!("netcount {}\n", env!("CARGO_PKG_VERSION")))
}

/// Prints a usage error with a hint at the help of `command` (`netcount`,
/// `netcount serve`); exit code 2.
fn usage_error(command: &str, UsageError(message): &UsageError) -> i32 {
    write_stderr(&format!(
        "netcount: {message}\nTry '{command} --help' for more information.\n"
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
    fn the_readme_shows_both_help_texts_as_printed() {
        let count = help::count().text();
        assert_eq!(readme_block(count.lines().next().unwrap()), count);
        let serve = help::serve().text();
        assert_eq!(readme_block(serve.lines().next().unwrap()), serve);
    }

    #[test]
    fn the_help_texts_show_the_library_defaults_as_flags_take_them() {
        let help = help::count().text();
        for line in [
            "Usage: netcount [OPTIONS] [URL...]",
            "       netcount serve [OPTIONS]",
            "  -n, --needle TEXT           string to count (default: .NET)",
            "      --timeout SECS          time limit per URL and its redirects (default: 30)",
            "      --connect-timeout SECS  time limit per address to connect (default: 10)",
            "      --max-redirects N       redirects to follow (default: 10)",
            "Without URL or --input, counts .NET at https://dotnetfoundation.org.",
            "Exit status: 0 all counted, 1 a URL failed, 2 usage error,",
            "130 interrupted (Ctrl-C), 143 terminated (SIGTERM).",
        ] {
            assert!(help.lines().any(|l| l == line), "{line:?} not in:\n{help}");
        }
        let serve = help::serve().text();
        assert!(serve.contains("(default: 127.0.0.1:8080)"), "{serve}");
        assert!(serve.contains("finish (up to 10 s)."), "{serve}");
    }

    #[test]
    fn help_lines_fit_80_columns() {
        for page in [help::count(), help::serve()] {
            for line in page.text().lines() {
                assert!(line.len() <= 80, "{line:?}");
            }
        }
    }
}
