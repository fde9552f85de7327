//! The help of each command, as a [`Page`]: `netcount --help` prints it as
//! text, and `netcount --generate man` writes the same pages as a man page.
//! Defaults are filled in from the constants the code uses.

use netcount::server::Config;
use netcount::{DEFAULT_NEEDLE, DEFAULT_URL};

use super::flags::{secs, Flag, COUNT_FLAGS, SERVE_FLAGS};
use super::{EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, EXIT_TERMINATED, EXIT_USAGE};

/// What the help of one command says.
#[derive(Debug)]
pub struct Page {
    /// How it is invoked, one line per form, without `Usage:`.
    pub usage: &'static [&'static str],
    /// What it does: a few lines of text.
    pub about: String,
    /// Its flags.
    pub flags: &'static [Flag],
    /// Subcommands and what they do (the count command only).
    pub commands: &'static [(&'static str, &'static str)],
    /// After the options: output, signals, exit status. Lines indented by
    /// two spaces are kept as they are (a table), the rest is prose.
    pub notes: String,
}

/// The help of `netcount [OPTIONS] [URL...]`.
pub fn count() -> Page {
    Page {
        usage: &[
            "netcount [OPTIONS] [URL...]",
            "netcount serve [OPTIONS]",
            "netcount help [serve]",
        ],
        about: format!(
            "Download each URL and print how often a string or a pattern occurs in it.\n\
             Without URL or --input, counts {DEFAULT_NEEDLE} at {DEFAULT_URL}."
        ),
        flags: COUNT_FLAGS,
        commands: &[
            ("serve", "serve the count over HTTP (netcount help serve)"),
            ("help [serve]", "print this help, or the help of serve"),
        ],
        notes: format!(
            "One URL prints its count. Several print COUNT<TAB>URL lines in the order
given (a --input list where it stands among the URLs), then the sum as
SUM<TAB>total. Failures go to stderr as 'netcount: URL: message'.

Exit status: {EXIT_OK} all counted, {EXIT_FAILED} a URL failed, {EXIT_USAGE} usage error,
{EXIT_INTERRUPTED} interrupted (Ctrl-C), {EXIT_TERMINATED} terminated (SIGTERM)."
        ),
    }
}

/// The help of `netcount serve [OPTIONS]`.
pub fn serve() -> Page {
    let grace = secs(Config::default().limits.shutdown_grace);
    Page {
        usage: &["netcount serve [OPTIONS]"],
        about: format!(
            "Serve the count over HTTP:
  GET /DotNetCount   {DEFAULT_NEEDLE} count at the default URL (JSON number)
  GET /count?url=URL[&needle=TEXT][&ignore_case=1][&overlapping=1]
                     JSON report
  GET /count?url=URL&regex=PATTERN[&ignore_case=1]
                     JSON report of the pattern's matches
  GET /healthz       ok
  GET /metrics       counters in the Prometheus text format"
        ),
        flags: SERVE_FLAGS,
        commands: &[],
        notes: format!(
            "Stops on Ctrl-C or SIGTERM, letting answers in progress finish (up to {grace} s)."
        ),
    }
}

impl Page {
    /// The page as `--help` prints it.
    pub fn text(&self) -> String {
        let mut text = String::new();
        for (i, usage) in self.usage.iter().enumerate() {
            let lead = if i == 0 { "Usage: " } else { "       " };
            text.push_str(&format!("{lead}{usage}\n"));
        }
        text.push_str(&format!("\n{}\n\nOptions:\n", self.about));
        text.push_str(&super::flags::option_lines(self.flags));
        if !self.commands.is_empty() {
            text.push_str("\nCommands:\n");
            // In the options' column.
            let width = super::flags::column(self.flags) - 2;
            for (name, help) in self.commands {
                text.push_str(&format!("  {name:<width$}{help}\n"));
            }
        }
        text.push_str(&format!("\n{}\n", self.notes));
        text
    }
}
