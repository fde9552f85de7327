//! The web API: `netcount serve`, a small HTTP/1.1 server that is safe to
//! put on a network (feature `server`).
//!
//! ```text
//! accept ─► a place in the table? (per-address cap; idle connections make room)
//!        │    └─no─► 503 + close
//!        └► connection task, on one of N threads: read head (size, count and
//!             time limits) ─► parse + check ─► our own Via? 508
//!             ─► route ─► /count: cache? ─► identical fetch in flight? share it
//!                  ─► wait for a fetch slot ─► Client::count (SSRF guard on every
//!                     resolved address of every hop, one deadline, Via) ─► JSON
//!             ─► write the answer (Date) ─► access log, metrics
//!             ─► keep-alive? next request : close gracefully
//! ```
//!
//! An embedder needs five types: [`Config`] (what to listen on and allow),
//! with its [`Guard`] (which upstream addresses may be fetched from),
//! [`Limits`] (what one client, or all of them, may cost) and
//! [`AccessLog`] (the log's format), and [`Server`] (bind, then serve until
//! a shutdown future completes).
//!
//! | file | owns |
//! | --- | --- |
//! | `mod.rs` | [`Config`], [`Server`]: binding, the accept loop, shutdown |
//! | `limits.rs` | [`Limits`]: every bound and its default |
//! | `table.rs` | the connection table: per-address caps, who makes room |
//! | `connection.rs` | one connection: timeouts, keep-alive, graceful close |
//! | `request.rs` | reading and checking a request head (with [`crate::http`]'s head code) |
//! | `query.rs` | percent-decoding the query string |
//! | `routes.rs` | what each path answers |
//! | `flight.rs` | single flight and the cache |
//! | `guard.rs` | [`Guard`], the SSRF guard, as an [`AddressPolicy`](crate::AddressPolicy) |
//! | `via.rs` | the loop guard: our `Via`, and recognising it |
//! | `reply.rs` | the replies the server writes: answers and JSON errors |
//! | `date.rs` | the `Date` header and log timestamps |
//! | `log.rs` | [`AccessLog`]: one line per request on stderr |
//! | `metrics.rs` | `/metrics` in the Prometheus text format |
//!
//! The server brings its own executor (async-executor) for the connection
//! tasks and runs it on [`Config::threads`] threads of its own from
//! [`Server::run_until`], so any executor (or a plain `block_on`, as below)
//! can drive it; it needs no CLI crate. A count
//! steps aside every 256 KiB or 2 ms, so a long one (or a slow pattern)
//! never holds a thread for long.
//!
//! # Example
//!
//! ```
//! use std::io::{Read, Write};
//! use futures_lite::future::block_on;
//! use netcount::server::{Config, Server};
//!
//! let mut config = Config::default();
//! config.listen = "127.0.0.1:0".parse().unwrap();
//! let server = block_on(Server::bind(config))?;
//! let addr = server.local_addr();
//! let (stop, stopped) = async_channel::bounded::<()>(1);
//! let thread = std::thread::spawn(move || {
//!     block_on(server.run_until(async move { let _ = stopped.recv().await; }))
//! });
//!
//! let mut client = std::net::TcpStream::connect(addr)?;
//! client.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")?;
//! let mut answer = String::new();
//! client.read_to_string(&mut answer)?;
//! assert!(answer.starts_with("HTTP/1.1 200 OK\r\n"));
//! assert!(answer.ends_with("\r\n\r\nok\n"));
//!
//! drop(stop);
//! thread.join().unwrap()?;
//! # Ok::<(), std::io::Error>(())
//! ```

mod connection;
mod date;
mod flight;
mod guard;
mod limits;
mod log;
mod metrics;
pub(crate) mod query;
pub(crate) mod reply;
pub(crate) mod request;
mod routes;
mod table;
mod via;

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::{mpsc, Arc};
use std::thread;
use std::time::{Duration, Instant};

use async_channel as channel;
use async_executor::Executor;
use async_io::Timer;
use async_lock::Semaphore;
use async_net::TcpListener;

use crate::client::Client;
use crate::deadline;
use crate::url::Url;
use crate::DEFAULT_URL;

use connection::Signals;
use flight::{Cache, Flights};
pub use guard::Guard;
pub use limits::Limits;
pub use log::AccessLog;
use metrics::Metrics;
use reply::Reply;
use routes::{Fetched, Key};
use table::{Bounds, Full, Table};

/// Connections being refused (503) at once; beyond this, a connection over
/// the limit is closed without an answer. Each costs a socket and a small
/// buffer for a few seconds at most.
const MAX_REFUSING: usize = 1024;

/// Most answers the cache keeps (`--cache-ttl`): each is a report and its
/// key (a URL and a needle, bounded by the request head size).
const CACHE_ENTRIES: usize = 1024;

/// Longest a 503 written at the end of the shutdown grace may take.
const LAST_WRITE: Duration = Duration::from_secs(1);

/// Where to listen, what to count, what to allow.
///
/// Start from [`Config::default`] and set the fields that differ; more
/// fields may be added in later versions (hence `#[non_exhaustive]`: no
/// struct literals outside this crate).
///
/// # Example
///
/// ```
/// use std::time::Duration;
/// use netcount::server::{AccessLog, Config};
///
/// let mut config = Config::default();
/// assert_eq!(config.listen.to_string(), "127.0.0.1:8080");
/// assert_eq!(config.default_url.to_string(), "https://dotnetfoundation.org/");
/// assert!(!config.guard.allow_private);
/// assert!(config.threads >= 1);
/// assert_eq!((config.cache_ttl, config.access_log), (Duration::ZERO, AccessLog::Off));
///
/// config.listen = "127.0.0.1:0".parse().unwrap();
/// config.limits.max_connections = 16;
/// assert_eq!(config.limits.max_connections, 16);
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Config {
    /// The address to listen on (port 0 picks a free port).
    pub listen: SocketAddr,
    /// The URL `/DotNetCount` counts `.NET` at (default [`DEFAULT_URL`]).
    pub default_url: Url,
    /// Which upstream destinations may be fetched from.
    pub guard: Guard,
    /// Bounds on clients and fetches.
    pub limits: Limits,
    /// The forward proxy upstream fetches go through, if any. Never read
    /// from the environment: only what is set here. The guard still checks
    /// every target's addresses before the proxy is asked.
    pub proxy: Option<crate::Proxy>,
    /// Threads that run the connections (default: the available cores;
    /// 0 counts as 1). The thread calling [`Server::run_until`] is not one
    /// of them: it only watches for the shutdown.
    pub threads: usize,
    /// How long a count is answered from memory after it was fetched
    /// (default zero: off). Identical requests in flight share one fetch
    /// either way.
    pub cache_ttl: Duration,
    /// The access log on stderr (default off).
    pub access_log: AccessLog,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            default_url: Url::parse(DEFAULT_URL).expect("the default url is valid"),
            guard: Guard::default(),
            limits: Limits::default(),
            proxy: None,
            threads: thread::available_parallelism().map_or(1, |n| n.get()),
            cache_ttl: Duration::ZERO,
            access_log: AccessLog::Off,
        }
    }
}

/// What every connection task shares.
#[derive(Debug)]
pub(crate) struct App {
    /// Fetches upstream; its address policy is the guard, and it sends
    /// this process's `Via`.
    client: Client,
    /// The guard, for the allow-list check before a fetch starts.
    guard: Guard,
    /// The URL of `/DotNetCount`.
    default_url: Url,
    /// One permit per upstream fetch allowed at once.
    fetches: Semaphore,
    /// The limits in force.
    limits: Limits,
    /// The connections and their places.
    table: Arc<Table>,
    /// Counters for `/metrics`.
    metrics: Metrics,
    /// Fetches in flight, shared by identical requests.
    flights: Flights<Key, Fetched>,
    /// Finished counts, if `cache_ttl` is not zero.
    cache: Cache<Key, crate::Report>,
    /// The access log.
    log: log::Logger,
}

/// A bound listener, ready to serve.
///
/// # Example
///
/// ```
/// use netcount::server::{Config, Server};
///
/// let mut config = Config::default();
/// config.listen = "127.0.0.1:0".parse().unwrap();
/// let server = futures_lite::future::block_on(Server::bind(config))?;
/// assert_ne!(server.local_addr().port(), 0);
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub struct Server {
    /// The listening socket.
    listener: TcpListener,
    /// Shared with every connection.
    app: Arc<App>,
    /// Writes the access log once the server runs.
    log_writer: log::Writer,
    /// Threads to run connections on.
    threads: usize,
}

impl Server {
    /// Binds the listening socket (so its address is known before serving).
    ///
    /// # Example
    ///
    /// ```
    /// use futures_lite::future::block_on;
    /// use netcount::server::{Config, Server};
    ///
    /// // The port is taken: binding fails before anything is served.
    /// let taken = std::net::TcpListener::bind("127.0.0.1:0")?;
    /// let mut config = Config::default();
    /// config.listen = taken.local_addr()?;
    /// assert!(block_on(Server::bind(config)).is_err());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub async fn bind(config: Config) -> io::Result<Server> {
        let listener = TcpListener::bind(config.listen).await?;
        let limits = config.limits;
        let upstream = limits.upstream_timeout;
        let mut client = Client::builder()
            .timeout(upstream)
            .connect_timeout(limits.connect_timeout)
            .read_timeout(upstream.min(Duration::from_secs(10)))
            .address_policy(config.guard.clone().into_policy())
            // Many fetches share the process: a modest buffer each.
            .read_buffer_size(128 * 1024)
            .extra_header("Via", via::upstream_via(&[]));
        if let Some(proxy) = config.proxy {
            client = client.proxy(proxy);
        }
        let client = client.build();
        let table = Table::new(Bounds {
            max: limits.max_connections.max(1),
            per_ip: limits.max_connections_per_ip.max(1),
            head_timeout: limits.head_timeout,
            busy_head_timeout: limits.busy_head_timeout,
            idle_timeout: limits.idle_timeout,
        });
        let (log, log_writer) = log::Logger::new(config.access_log);
        let app = App {
            client,
            guard: config.guard,
            default_url: config.default_url,
            fetches: Semaphore::new(limits.max_fetches.max(1)),
            limits,
            table: Arc::new(table),
            metrics: Metrics::default(),
            flights: Flights::new(),
            cache: Cache::new(config.cache_ttl, CACHE_ENTRIES),
            log,
        };
        Ok(Server {
            listener,
            app: Arc::new(app),
            log_writer,
            threads: config.threads.max(1),
        })
    }

    /// The address the server listens on.
    ///
    /// # Example
    ///
    /// ```
    /// let mut config = netcount::server::Config::default();
    /// config.listen = "127.0.0.1:0".parse().unwrap();
    /// let server = futures_lite::future::block_on(netcount::server::Server::bind(config))?;
    /// assert!(server.local_addr().ip().is_loopback());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    /// Serves until `shutdown` completes, then shuts down gracefully: stops
    /// accepting, closes idle connections, and lets answers in progress
    /// finish within [`Limits::shutdown_grace`]. Near the end of the grace
    /// (a fifth of it before, at most 1 s), answers still being worked on
    /// are replaced by a 503, and it returns within the grace.
    ///
    /// Connections are served by tasks on an executor of its own, run by
    /// [`Config::threads`] threads of its own; the calling thread only
    /// waits for `shutdown` and keeps the grace.
    ///
    /// # Example
    ///
    /// ```
    /// use futures_lite::future::block_on;
    ///
    /// let mut config = netcount::server::Config::default();
    /// config.listen = "127.0.0.1:0".parse().unwrap();
    /// let server = block_on(netcount::server::Server::bind(config))?;
    /// let addr = server.local_addr();
    /// // Shut down at once: the listener is closed when it returns.
    /// block_on(server.run_until(async {}))?;
    /// assert!(std::net::TcpStream::connect(addr).is_err());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub async fn run_until(self, shutdown: impl Future<Output = ()>) -> io::Result<()> {
        let Server {
            listener,
            app,
            log_writer,
            threads,
        } = self;
        let log = log_writer.start()?;
        let executor = Arc::new(Executor::new());
        let grace = app.limits.shutdown_grace;
        let last_write = (grace / 5).min(LAST_WRITE);

        // Closed when the grace is nearly over.
        let (cut_tx, cut) = channel::bounded::<()>(1);
        // Closed when the last connection's sender is dropped.
        let (alive_tx, alive_rx) = channel::bounded::<()>(1);
        let signals = Signals {
            cut,
            cut_write: last_write,
            _alive: alive_tx,
        };

        // Worker threads run the executor until the end. The calling
        // thread runs none of its tasks: it only watches for the shutdown
        // and keeps the time, so a long step of some task cannot delay
        // either.
        let (workers_stop, workers_stopped) = channel::bounded::<()>(1);
        let workers = match Workers::start(&executor, threads, workers_stopped) {
            Ok(workers) => workers,
            Err(error) => {
                app.log.close();
                return Err(error);
            }
        };

        // Accept in a task like any other, so that whichever worker is free
        // runs it.
        let accepting = executor.spawn(accept_loop(
            executor.clone(),
            listener,
            app.clone(),
            signals.clone(),
        ));
        drop(signals);
        // Time out connections that wait too long, a few times a second.
        let sweeping = executor.spawn(sweep_loop(app.table.clone()));

        // Serve until told to stop.
        shutdown.await;

        // Stop accepting (the task owns the listener); tell connections;
        // wait for them, within the grace.
        let began = Instant::now();
        let end = began + grace;
        let _ = deadline::until(end, accepting.cancel()).await;
        app.table.stop();
        let cut_at = began + grace.saturating_sub(last_write);
        if deadline::until(cut_at, alive_rx.recv()).await.is_err() {
            // Out of time: what is still running answers 503.
            drop(cut_tx);
            let _ = deadline::until(end, alive_rx.recv()).await;
        }
        drop(sweeping);

        // Let the workers go, and the log be written, within what is left
        // of the grace; a worker still inside a long step of a task is not
        // waited for.
        let left = |most: Duration| end.saturating_duration_since(Instant::now()).min(most);
        drop(workers_stop);
        workers.wait(left(Duration::from_millis(100)));
        app.log.close();
        log.wait(left(Duration::from_millis(500)));
        Ok(())
    }
}

/// The threads that run the executor.
#[derive(Debug)]
struct Workers {
    /// Disconnected when every worker thread has ended.
    done: mpsc::Receiver<()>,
}

impl Workers {
    /// Starts `count` threads running `executor` until `stop` closes.
    fn start(
        executor: &Arc<Executor<'static>>,
        count: usize,
        stop: channel::Receiver<()>,
    ) -> io::Result<Workers> {
        let (done_tx, done) = mpsc::channel::<()>();
        for i in 0..count {
            let executor = executor.clone();
            let stop = stop.clone();
            let done_tx = done_tx.clone();
            thread::Builder::new()
                .name(format!("netcount-worker-{i}"))
                .spawn(move || {
                    let _done = done_tx;
                    // `async_io::block_on` also drives the I/O reactor
                    // while this thread has nothing to run.
                    async_io::block_on(executor.run(async {
                        let _ = stop.recv().await;
                    }));
                })?;
        }
        Ok(Workers { done })
    }

    /// Waits up to `limit` for every worker to end.
    fn wait(self, limit: Duration) {
        let _ = self.done.recv_timeout(limit);
    }
}

/// Sweeps the connection table forever (see [`Table::sweep`]).
async fn sweep_loop(table: Arc<Table>) {
    let every = table.sweep_every();
    loop {
        Timer::after(every).await;
        table.sweep(Instant::now());
    }
}

/// Accepts connections forever, one task each; a connection that gets no
/// place in the table is answered 503 and closed.
async fn accept_loop(
    executor: Arc<Executor<'static>>,
    listener: TcpListener,
    app: Arc<App>,
    signals: Signals,
) {
    let refusing = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    loop {
        // Accept. Errors (such as running out of file descriptors) pass;
        // pause so they do not turn into a busy loop.
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(_) => {
                Timer::after(Duration::from_millis(50)).await;
                continue;
            }
        };

        // A place in the table: serve it.
        let full = match app.table.admit(peer.ip(), Instant::now()) {
            Ok(place) => {
                let task = connection::serve(stream, peer, app.clone(), signals.clone(), place);
                executor.spawn(task).detach();
                continue;
            }
            Err(full) => full,
        };

        // No place: a 503 from a small task of its own, if there is room
        // for one; otherwise just close.
        app.metrics.refused_connection();
        use std::sync::atomic::Ordering::SeqCst;
        if refusing.load(SeqCst) >= MAX_REFUSING {
            continue;
        }
        refusing.fetch_add(1, SeqCst);
        let (refusing, app) = (refusing.clone(), app.clone());
        let (message, detail) = match full {
            Full::PerIp => (
                "too many connections from your address; try again",
                "the address's share of the connection table is full",
            ),
            Full::Table => (
                "too many connections; try again",
                "the connection table is full and no connection is idle",
            ),
        };
        let busy = Reply::error(503, "busy", message).with_header("Retry-After", "1");
        let timeout = app.limits.write_timeout.min(Duration::from_secs(1));
        let task = async move {
            let detail = Some(detail.to_string());
            connection::refuse_within(stream, peer, &app, busy, Instant::now(), detail, timeout)
                .await;
            refusing.fetch_sub(1, SeqCst);
        };
        executor.spawn(task).detach();
    }
}
