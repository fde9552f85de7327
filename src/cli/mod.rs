//! The command-line tool: `main` → parse → run, exit codes decided here.
//!
//! Exit codes: 0 every URL counted, 1 a fetch failed, 2 usage error.

mod args;
mod serve;

use std::io::Write;

use netcount::{Client, Counter};

use args::{Command, CountArgs, UsageError};

/// Everything counted.
const EXIT_OK: i32 = 0;
/// A fetch failed.
const EXIT_FAILED: i32 = 1;
/// The command line was wrong.
const EXIT_USAGE: i32 = 2;

/// Help text (concise, curl-like).
const HELP: &str = "\
Usage: netcount [OPTIONS] [URL]

Download URL and print how many times a string occurs in it.
Without URL, counts .NET at https://dotnetfoundation.org.

Options:
  -n, --needle TEXT          string to count (default: .NET)
  -i, --ignore-case          match ASCII letters in either case
      --overlapping          count overlapping occurrences
      --timeout SECS         total time limit, redirects included (default: 30)
      --connect-timeout SECS time limit per address to connect (default: 10)
      --max-redirects N      redirects to follow (default: 10)
      --cacert FILE          also trust the CA certificates in this PEM file
  -h, --help                 print this help
  -V, --version              print the version

Exit status: 0 counted, 1 fetch failed, 2 usage error.
";

/// Runs the tool and returns its exit code.
pub fn main() -> i32 {
    let mut args: Vec<_> = std::env::args_os().skip(1).collect();
    if args.first().is_some_and(|first| first == "serve") {
        return serve::main(args.split_off(1));
    }
    match args::parse(args) {
        Ok(Command::Help) => print(HELP),
        Ok(Command::Version) => print(&format!("netcount {}\n", env!("CARGO_PKG_VERSION"))),
        Ok(Command::Count(args)) => run(args),
        Err(UsageError(message)) => usage_error(&message),
    }
}

/// Prints a usage error with a hint; exit code 2.
fn usage_error(message: &str) -> i32 {
    eprintln!("netcount: {message}\nTry 'netcount --help' for more information.");
    EXIT_USAGE
}

/// Writes `text` to stdout; a closed pipe is not an error.
fn print(text: &str) -> i32 {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
    EXIT_OK
}

/// Fetches and counts one URL.
fn run(args: CountArgs) -> i32 {
    let mut counter = match Counter::with_options(&args.needle, args.options) {
        Ok(counter) => counter,
        Err(error) => return usage_error(&error.to_string()),
    };
    let mut builder = Client::builder()
        .timeout(args.timeout)
        .connect_timeout(args.connect_timeout)
        .max_redirects(args.max_redirects);
    if let Some(path) = &args.cacert {
        builder = match load_cacert(builder, path) {
            Ok(builder) => builder,
            Err(message) => return usage_error(&message),
        };
    }
    let client = builder.build();
    match smol::block_on(client.count(&args.url, &mut counter)) {
        Ok(report) => print(&format!("{}\n", report.count)),
        Err(error) => {
            eprintln!("netcount: {}: {error}", args.url);
            EXIT_FAILED
        }
    }
}

/// Adds the CA certificates of a PEM file to the client.
#[cfg(feature = "tls")]
fn load_cacert(
    builder: netcount::ClientBuilder,
    path: &std::path::Path,
) -> Result<netcount::ClientBuilder, String> {
    let pem = std::fs::read(path).map_err(|e| format!("--cacert {}: {e}", path.display()))?;
    builder
        .add_root_certificates_pem(&pem)
        .map_err(|e| format!("--cacert {}: {e}", path.display()))
}

/// Without TLS, a CA file cannot be used.
#[cfg(not(feature = "tls"))]
fn load_cacert(
    _: netcount::ClientBuilder,
    path: &std::path::Path,
) -> Result<netcount::ClientBuilder, String> {
    Err(format!(
        "--cacert {}: https is not available in this build (built without the `tls` feature)",
        path.display()
    ))
}
