//! `netcount serve`: run the web API until Ctrl-C or SIGTERM.

use std::ffi::OsString;
use std::net::{SocketAddr, ToSocketAddrs};
use std::time::Duration;

use netcount::server::{AccessLog, Config, Server};
use netcount::url::Url;
use netcount::Proxy;

use super::args::{positive_count, seconds, text, UsageError};
use super::flags::{self, Arg, SERVE_FLAGS};
use super::{help, print, usage_error, version, write_stderr, EXIT_FAILED, EXIT_OK};

/// What the command line asked for.
#[derive(Debug)]
enum Serve {
    /// Print the help text.
    Help,
    /// Print the version.
    Version,
    /// Run the server with `config` on the first of `listen` that binds.
    Run {
        /// The server's settings (its `listen` is set from `listen`);
        /// boxed, being much larger than the other variants.
        config: Box<Config>,
        /// The addresses `--listen` resolved to, in the resolver's order;
        /// never empty.
        listen: Vec<SocketAddr>,
    },
}

/// Runs `netcount serve` with the arguments after `serve`; returns the
/// exit code: `EXIT_OK` after a clean shutdown, `EXIT_FAILED` if the server
/// could not run, `EXIT_USAGE` for a usage error.
pub fn main(args: Vec<OsString>) -> i32 {
    match parse(args) {
        Ok(Serve::Help) => print(&help::serve().text()),
        Ok(Serve::Version) => version(),
        Ok(Serve::Run { config, listen }) => match smol::block_on(run(*config, &listen)) {
            Ok(()) => EXIT_OK,
            Err(message) => {
                write_stderr(&format!("netcount: {message}\n"));
                EXIT_FAILED
            }
        },
        Err(error) => usage_error("netcount serve", &error),
    }
}

/// Binds, announces the address, serves until a signal.
async fn run(mut config: Config, listen: &[SocketAddr]) -> Result<(), String> {
    // Bind the first address that can be bound (`localhost` may name an
    // IPv6 address on a host without IPv6).
    let mut failures = Vec::new();
    let mut bound = None;
    for &addr in listen {
        config.listen = addr;
        match Server::bind(config.clone()).await {
            Ok(server) => {
                bound = Some(server);
                break;
            }
            Err(error) => failures.push(format!("{addr}: {error}")),
        }
    }
    let server = bound.ok_or_else(|| format!("cannot listen on {}", failures.join("; ")))?;
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

/// Completes on the first Ctrl-C, or SIGTERM where there is such a signal.
fn shutdown_signal() -> std::io::Result<impl std::future::Future<Output = ()>> {
    use async_signal::{Signal, Signals};
    use futures_lite::StreamExt;

    #[cfg(unix)]
    let watched = [Signal::Int, Signal::Term];
    #[cfg(not(unix))]
    let watched = [Signal::Int];
    let mut signals = Signals::new(watched)?;
    Ok(async move {
        let _ = signals.next().await;
        write_stderr("netcount: shutting down\n");
    })
}

/// The addresses of a `--listen` value: `HOST:PORT` (a name is resolved,
/// `localhost` included), `[IPv6]:PORT`, `IPv4:PORT`, or `:PORT` for every
/// IPv4 interface.
fn listen_addrs(value: &str) -> Result<Vec<SocketAddr>, UsageError> {
    let bad = |why: &str| {
        UsageError(format!(
            "--listen expects HOST:PORT, [IPv6]:PORT or :PORT, got {value:?}: {why}"
        ))
    };
    if let Ok(addr) = value.parse::<SocketAddr>() {
        return Ok(vec![addr]);
    }
    let (host, port) = value
        .rsplit_once(':')
        .ok_or_else(|| bad("the port goes after a colon, as in :8080"))?;
    let port: u16 = port
        .parse()
        .map_err(|_| bad("the port must be a number from 0 to 65535"))?;
    if host.is_empty() {
        return Ok(vec![SocketAddr::from(([0, 0, 0, 0], port))]);
    }
    if host.contains(':') || host.starts_with('[') {
        return Err(bad("an IPv6 address goes in brackets, as [::1]:8080"));
    }
    let addrs: Vec<SocketAddr> = (host, port)
        .to_socket_addrs()
        .map_err(|e| bad(&format!("cannot resolve {host}: {e}")))?
        .collect();
    if addrs.is_empty() {
        return Err(bad(&format!("{host} has no address")));
    }
    Ok(addrs)
}

/// Parses the flags.
fn parse(args: Vec<OsString>) -> Result<Serve, UsageError> {
    let mut config = Config::default();
    config.access_log = AccessLog::Text;
    let mut listen = vec![config.listen];
    let limits = &mut config.limits;
    let mut parser = lexopt::Parser::from_args(args);
    while let Some(arg) = flags::next(&mut parser, SERVE_FLAGS)? {
        let flag = match arg {
            Arg::Flag(flag) => flag,
            Arg::Value(value) => {
                return Err(UsageError(format!(
                    "serve takes no arguments, got {:?}",
                    value.to_string_lossy()
                )))
            }
        };
        match flag.long {
            "help" => return Ok(Serve::Help),
            "version" => return Ok(Serve::Version),
            "listen" => listen = listen_addrs(&text(parser.value()?, "--listen")?)?,
            "default-url" => {
                config.default_url = Url::parse(&text(parser.value()?, "--default-url")?)
                    .map_err(|e| e.to_string())?;
            }
            "allow-private" => config.guard.allow_private = true,
            "allow-host" => {
                let host = text(parser.value()?, "--allow-host")?;
                let url = Url::parse(&format!("http://{host}/"))
                    .map_err(|_| format!("--allow-host expects a host name, got {host:?}"))?;
                config.guard.allow_hosts.push(url.host_str().to_string());
            }
            "allow-addr" => {
                let text = text(parser.value()?, "--allow-addr")?;
                let addr = text.parse::<SocketAddr>().map_err(|_| {
                    format!("--allow-addr expects IP:PORT such as 127.0.0.1:8081, got {text:?}")
                })?;
                config.guard.allow_addrs.push(addr);
            }
            "proxy" => {
                let url = text(parser.value()?, "--proxy")?;
                config.proxy = Some(Proxy::parse(&url).map_err(|e| format!("--proxy: {e}"))?);
            }
            "threads" => config.threads = positive_count(parser.value()?, "--threads")?,
            "max-connections-per-ip" => {
                limits.max_connections_per_ip =
                    positive_count(parser.value()?, "--max-connections-per-ip")?
            }
            "cache-ttl" => {
                let value = parser.value()?;
                config.cache_ttl = if value == "0" {
                    Duration::ZERO
                } else {
                    seconds(value, "--cache-ttl")?
                };
            }
            "access-log" => {
                config.access_log = text(parser.value()?, "--access-log")?
                    .parse::<AccessLog>()
                    .map_err(|e| format!("--access-log: {e}"))?;
            }
            "max-connections" => {
                limits.max_connections = positive_count(parser.value()?, "--max-connections")?
            }
            "max-head-bytes" => {
                limits.max_head_bytes = positive_count(parser.value()?, "--max-head-bytes")?
            }
            "max-headers" => limits.max_headers = positive_count(parser.value()?, "--max-headers")?,
            "head-timeout" => limits.head_timeout = seconds(parser.value()?, "--head-timeout")?,
            "idle-timeout" => limits.idle_timeout = seconds(parser.value()?, "--idle-timeout")?,
            "max-requests" => {
                limits.max_requests_per_connection =
                    positive_count(parser.value()?, "--max-requests")?
            }
            "max-fetches" => limits.max_fetches = positive_count(parser.value()?, "--max-fetches")?,
            "fetch-wait" => limits.fetch_wait = seconds(parser.value()?, "--fetch-wait")?,
            "upstream-timeout" => {
                limits.upstream_timeout = seconds(parser.value()?, "--upstream-timeout")?
            }
            _ => return Err(flags::unhandled(flag)),
        }
    }
    Ok(Serve::Run {
        config: Box::new(config),
        listen,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addrs(value: &str) -> Vec<String> {
        listen_addrs(value)
            .unwrap_or_else(|UsageError(e)| panic!("{value}: {e}"))
            .iter()
            .map(SocketAddr::to_string)
            .collect()
    }

    #[test]
    fn listen_takes_ip_host_and_bare_ports() {
        assert_eq!(addrs("127.0.0.1:8080"), ["127.0.0.1:8080"]);
        assert_eq!(addrs("[::1]:8080"), ["[::1]:8080"]);
        assert_eq!(addrs(":8080"), ["0.0.0.0:8080"]);
        // `localhost` comes from the hosts file, no DNS server involved.
        let local = listen_addrs("localhost:0").unwrap();
        assert!(!local.is_empty());
        assert!(local.iter().all(|a| a.ip().is_loopback() && a.port() == 0));
    }

    #[test]
    fn listen_refusals_say_why() {
        for (value, why) in [
            ("8080", "after a colon"),
            ("localhost:http", "from 0 to 65535"),
            (":70000", "from 0 to 65535"),
            ("::1:8080", "in brackets"),
            ("[::1]", "the port must be"),
        ] {
            let Err(UsageError(message)) = listen_addrs(value) else {
                panic!("{value} was accepted");
            };
            assert!(
                message.starts_with("--listen expects HOST:PORT"),
                "{message}"
            );
            assert!(message.contains(why), "{value}: {message}");
        }
    }

    #[test]
    fn every_flag_in_the_table_is_handled() {
        for flag in SERVE_FLAGS {
            let mut args = vec![OsString::from(format!("--{}", flag.long))];
            if flag.value.is_some() {
                args.push("1".into());
            }
            if let Err(UsageError(message)) = parse(args) {
                assert_ne!(message, flags::unhandled(flag).0);
                assert!(!message.contains("invalid option"), "{message}");
            }
        }
    }

    #[test]
    fn help_and_version_stop_the_parse() {
        assert!(matches!(parse(vec!["-V".into()]), Ok(Serve::Version)));
        assert!(matches!(
            parse(vec!["--version".into()]),
            Ok(Serve::Version)
        ));
        assert!(matches!(parse(vec!["-h".into()]), Ok(Serve::Help)));
        assert!(parse(vec!["extra".into()]).is_err());
    }
}
