//! The web API: `netcount serve`, a small HTTP/1.1 server that is safe to
//! put on a network (feature `server`).
//!
//! ```text
//! accept ─► too many connections? 503 + close
//!        └► connection task: read head (size, count and time limits) ─► parse + check
//!             ─► route ─► /count: wait for a fetch slot ─► Client::count (SSRF guard
//!                  on every resolved address of every hop, one deadline) ─► JSON
//!             ─► write the answer ─► keep-alive? next request : close gracefully
//! ```
//!
//! An embedder needs four types: [`Config`] (what to listen on and allow),
//! with its [`Guard`] (which upstream addresses may be fetched from) and
//! [`Limits`] (what one client, or all of them, may cost), and [`Server`]
//! (bind, then serve until a shutdown future completes).
//!
//! | file | owns |
//! | --- | --- |
//! | `mod.rs` | [`Config`], [`Server`]: binding, the accept loop, shutdown |
//! | `limits.rs` | [`Limits`]: every bound and its default |
//! | `connection.rs` | one connection: timeouts, keep-alive, graceful close |
//! | `request.rs` | reading and checking a request head (with [`crate::http`]'s head code) |
//! | `query.rs` | percent-decoding the query string |
//! | `routes.rs` | what each path answers |
//! | `guard.rs` | [`Guard`], the SSRF guard, as an [`AddressPolicy`](crate::AddressPolicy) |
//! | `reply.rs` | the replies the server writes: answers and JSON errors |
//!
//! The server brings its own executor (async-executor) for the connection
//! tasks and runs it inside [`Server::run_until`], so any executor (or a
//! plain `block_on`, as below) can drive it; it needs no CLI crate.
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
mod guard;
mod limits;
pub(crate) mod query;
pub(crate) mod reply;
pub(crate) mod request;
mod routes;

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use async_channel as channel;
use async_executor::Executor;
use async_io::Timer;
use async_lock::Semaphore;
use async_net::{TcpListener, TcpStream};
use futures_lite::future;

use crate::client::Client;
use crate::deadline;
use crate::url::Url;
use crate::DEFAULT_URL;

pub use guard::Guard;
pub use limits::Limits;
use reply::Reply;

/// Connections being refused (503) at once; beyond this, a connection over
/// the limit is closed without an answer. Each costs a socket and a small
/// buffer for a few seconds at most.
const MAX_REFUSING: usize = 1024;

/// Where to listen, what to count, what to allow.
///
/// Start from [`Config::default`] and set the fields that differ; more
/// fields may be added in later versions (hence `#[non_exhaustive]`: no
/// struct literals outside this crate).
///
/// # Example
///
/// ```
/// use netcount::server::Config;
///
/// let mut config = Config::default();
/// assert_eq!(config.listen.to_string(), "127.0.0.1:8080");
/// assert_eq!(config.default_url.to_string(), "https://dotnetfoundation.org/");
/// assert!(!config.guard.allow_private);
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
}

impl Default for Config {
    fn default() -> Config {
        Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            default_url: Url::parse(DEFAULT_URL).expect("the default url is valid"),
            guard: Guard::default(),
            limits: Limits::default(),
        }
    }
}

/// What every connection task shares.
#[derive(Debug)]
pub(crate) struct App {
    /// Fetches upstream; its address policy is the guard.
    client: Client,
    /// The guard, for the allow-list check before a fetch starts.
    guard: Guard,
    /// The URL of `/DotNetCount`.
    default_url: Url,
    /// One permit per upstream fetch allowed at once.
    fetches: Semaphore,
    /// The limits in force.
    limits: Limits,
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
        let client = Client::builder()
            .timeout(upstream)
            .connect_timeout(upstream.min(Duration::from_secs(10)))
            .read_timeout(upstream.min(Duration::from_secs(10)))
            .address_policy(config.guard.clone().into_policy())
            // Many fetches share the process: a modest buffer each.
            .read_buffer_size(128 * 1024)
            .build();
        let app = App {
            client,
            guard: config.guard,
            default_url: config.default_url,
            fetches: Semaphore::new(limits.max_fetches.max(1)),
            limits,
        };
        Ok(Server {
            listener,
            app: Arc::new(app),
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
    /// accepting, closes idle connections, lets answers in progress finish
    /// (within [`Limits::shutdown_grace`]), and returns.
    ///
    /// Connections are served by tasks on an executor of its own, driven
    /// by the calling thread.
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
        let executor = Executor::new();
        // Closed (by dropping the sender) when the server stops.
        let (stop_tx, stop_rx) = channel::bounded::<()>(1);
        // Closed when the last connection's sender is dropped.
        let (alive_tx, alive_rx) = channel::bounded::<()>(1);
        let Server { listener, app } = self;
        let grace = app.limits.shutdown_grace;

        executor
            .run(async {
                // Accept until told to stop.
                let accepting = accept_loop(&executor, &listener, &app, &stop_rx, &alive_tx);
                future::or(accepting, shutdown).await;

                // Stop accepting; tell connections; wait for them (bounded).
                drop(listener);
                drop(stop_tx);
                drop(alive_tx);
                let _ = deadline::within(grace, alive_rx.recv()).await;
            })
            .await;
        // Dropping the executor cancels whatever is still running.
        Ok(())
    }
}

/// Accepts connections forever, one task each; over the connection limit,
/// answers 503 and closes.
async fn accept_loop<'a>(
    executor: &Executor<'a>,
    listener: &TcpListener,
    app: &Arc<App>,
    stop: &channel::Receiver<()>,
    alive: &channel::Sender<()>,
) {
    let active = Arc::new(AtomicUsize::new(0));
    let refusing = Arc::new(AtomicUsize::new(0));
    loop {
        // Accept. Errors (such as running out of file descriptors) pass;
        // pause so they do not turn into a busy loop.
        let stream = match listener.accept().await {
            Ok((stream, _peer)) => stream,
            Err(_) => {
                Timer::after(Duration::from_millis(50)).await;
                continue;
            }
        };

        // Over the limit: a 503 from a small task of its own, if there is
        // room for one; otherwise just close.
        if active.load(Ordering::SeqCst) >= app.limits.max_connections {
            if refusing.load(Ordering::SeqCst) < MAX_REFUSING {
                refusing.fetch_add(1, Ordering::SeqCst);
                let refusing = refusing.clone();
                let timeout = app.limits.write_timeout.min(Duration::from_secs(1));
                executor
                    .spawn(async move {
                        refuse_busy(stream, timeout).await;
                        refusing.fetch_sub(1, Ordering::SeqCst);
                    })
                    .detach();
            }
            continue;
        }

        // Serve it.
        active.fetch_add(1, Ordering::SeqCst);
        let slot = connection::Slot {
            active: active.clone(),
            _alive: alive.clone(),
        };
        executor
            .spawn(connection::serve(stream, app.clone(), stop.clone(), slot))
            .detach();
    }
}

/// Answers a connection over the limit with 503 and closes it.
async fn refuse_busy(stream: TcpStream, timeout: Duration) {
    let busy = Reply::error(503, "busy", "too many connections; try again")
        .with_header("Retry-After", "1");
    connection::refuse(stream, &busy, timeout).await;
}
