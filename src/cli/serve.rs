//! `netcount serve`: run the web API until SIGINT or SIGTERM.

use std::ffi::OsString;
use std::net::SocketAddr;

use lexopt::prelude::*;
use netcount::server::{Config, Server};
use netcount::url::Url;
use netcount::DEFAULT_NEEDLE;

use super::args::{positive_count, seconds, text, UsageError};
use super::{print, secs, usage_error, write_stderr, EXIT_FAILED, EXIT_OK};

/// Help text for `netcount serve`, with the defaults of [`Config`] filled in.
pub(super) fn help() -> String {
    let config = Config::default();
    let limits = &config.limits;
    format!(
        "\
Usage: netcount serve [OPTIONS]

Serve the count over HTTP:
  GET /DotNetCount                   {needle} count at the default URL (JSON number)
  GET /count?url=URL[&needle=TEXT][&ignore_case=1][&overlapping=1]   JSON report
  GET /healthz                       ok

Options:
      --listen ADDR                  address to listen on (default: {listen})
      --default-url URL              URL of /DotNetCount (default: {default_url})
      --allow-private                turn the SSRF guard off (any address, any port)
      --allow-host HOST              fetch only from this host (repeatable)
      --allow-addr IP:PORT           exempt exactly this address from the SSRF guard (repeatable)
      --max-connections N            connections served at once (default: {max_connections})
      --max-head-bytes N             largest request head (default: {max_head_bytes})
      --max-headers N                most request header fields (default: {max_headers})
      --head-timeout SECS            time for a request head to arrive (default: {head_timeout})
      --idle-timeout SECS            keep-alive idle time (default: {idle_timeout})
      --max-requests N               requests per connection (default: {max_requests})
      --max-fetches N                upstream fetches at once (default: {max_fetches})
      --fetch-wait SECS              longest wait for a fetch slot, then 503 (default: {fetch_wait})
      --upstream-timeout SECS        deadline of one request's upstream work (default: {upstream_timeout})
  -h, --help                         print this help

Stops on SIGINT or SIGTERM, letting answers in progress finish (up to {grace} s).
",
        needle = DEFAULT_NEEDLE,
        listen = config.listen,
        default_url = netcount::DEFAULT_URL,
        max_connections = limits.max_connections,
        max_head_bytes = limits.max_head_bytes,
        max_headers = limits.max_headers,
        head_timeout = secs(limits.head_timeout),
        idle_timeout = secs(limits.idle_timeout),
        max_requests = limits.max_requests_per_connection,
        max_fetches = limits.max_fetches,
        fetch_wait = secs(limits.fetch_wait),
        upstream_timeout = secs(limits.upstream_timeout),
        grace = secs(limits.shutdown_grace),
    )
}

/// Runs `netcount serve` with the arguments after `serve`; returns the
/// exit code: `EXIT_OK` after a clean shutdown, `EXIT_FAILED` if the server
/// could not run, `EXIT_USAGE` for a usage error.
pub fn main(args: Vec<OsString>) -> i32 {
    let config = match parse(args) {
        Ok(Some(config)) => config,
        Ok(None) => return print(&help()),
        Err(error) => return usage_error("netcount serve", &error),
    };
    match smol::block_on(run(config)) {
        Ok(()) => EXIT_OK,
        Err(message) => {
            write_stderr(&format!("netcount serve: {message}\n"));
            EXIT_FAILED
        }
    }
}

/// Binds, announces the address, serves until a signal.
async fn run(config: Config) -> Result<(), String> {
    let listen = config.listen;
    let server = Server::bind(config)
        .await
        .map_err(|e| format!("cannot listen on {listen}: {e}"))?;
    let shutdown = shutdown_signal().map_err(|e| format!("cannot handle signals: {e}"))?;
    write_stderr(&format!(
        "netcount: serving on http://{}\n",
        server.local_addr()
    ));
    server
        .run_until(shutdown)
        .await
        .map_err(|e| e.to_string())?;
    write_stderr("netcount: stopped\n");
    Ok(())
}

/// Completes on the first SIGINT or SIGTERM.
#[cfg(unix)]
fn shutdown_signal() -> std::io::Result<impl std::future::Future<Output = ()>> {
    use async_signal::{Signal, Signals};
    use futures_lite::StreamExt;

    let mut signals = Signals::new([Signal::Int, Signal::Term])?;
    Ok(async move {
        let _ = signals.next().await;
        write_stderr("netcount: shutting down\n");
    })
}

/// Without Unix signals the server runs until the process is killed.
#[cfg(not(unix))]
fn shutdown_signal() -> std::io::Result<impl std::future::Future<Output = ()>> {
    Ok(std::future::pending())
}

/// Parses the flags; `Ok(None)` asks for the help text.
fn parse(args: Vec<OsString>) -> Result<Option<Config>, UsageError> {
    let mut config = Config::default();
    let limits = &mut config.limits;
    let mut parser = lexopt::Parser::from_args(args);
    while let Some(arg) = parser.next()? {
        match arg {
            Short('h') | Long("help") => return Ok(None),
            Long("listen") => {
                let text = text(parser.value()?, "--listen")?;
                config.listen = text.parse::<SocketAddr>().map_err(|_| {
                    format!("--listen expects an address such as 127.0.0.1:8080, got {text:?}")
                })?;
            }
            Long("default-url") => {
                config.default_url = Url::parse(&text(parser.value()?, "--default-url")?)
                    .map_err(|e| e.to_string())?;
            }
            Long("allow-private") => config.guard.allow_private = true,
            Long("allow-host") => {
                let host = text(parser.value()?, "--allow-host")?;
                let url = Url::parse(&format!("http://{host}/"))
                    .map_err(|_| format!("--allow-host expects a host name, got {host:?}"))?;
                config.guard.allow_hosts.push(url.host_str().to_string());
            }
            Long("allow-addr") => {
                let text = text(parser.value()?, "--allow-addr")?;
                let addr = text.parse::<SocketAddr>().map_err(|_| {
                    format!("--allow-addr expects IP:PORT such as 127.0.0.1:8081, got {text:?}")
                })?;
                config.guard.allow_addrs.push(addr);
            }
            Long("max-connections") => {
                limits.max_connections = positive_count(parser.value()?, "--max-connections")?
            }
            Long("max-head-bytes") => {
                limits.max_head_bytes = positive_count(parser.value()?, "--max-head-bytes")?
            }
            Long("max-headers") => {
                limits.max_headers = positive_count(parser.value()?, "--max-headers")?
            }
            Long("head-timeout") => {
                limits.head_timeout = seconds(parser.value()?, "--head-timeout")?
            }
            Long("idle-timeout") => {
                limits.idle_timeout = seconds(parser.value()?, "--idle-timeout")?
            }
            Long("max-requests") => {
                limits.max_requests_per_connection =
                    positive_count(parser.value()?, "--max-requests")?
            }
            Long("max-fetches") => {
                limits.max_fetches = positive_count(parser.value()?, "--max-fetches")?
            }
            Long("fetch-wait") => limits.fetch_wait = seconds(parser.value()?, "--fetch-wait")?,
            Long("upstream-timeout") => {
                limits.upstream_timeout = seconds(parser.value()?, "--upstream-timeout")?
            }
            _ => return Err(arg.unexpected().into()),
        }
    }
    Ok(Some(config))
}
