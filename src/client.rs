//! [`Client`]: fetch a URL and count, with timeouts, redirects and policy.
//!
//! One call to [`Client::count`] is a loop over redirect hops:
//!
//! ```text
//! idle connection to the origin in the pool? ─┐
//! └─ no: connect (resolve, policy, TCP, TLS) ──┴► http::get ─► 3xx? join Location, loop
//!                                                          └► 2xx? body ─► Counter
//! body read to its framed end, response allows it? connection back to the pool
//! ```
//!
//! Three timeouts bound it: each address's connect (and the TLS handshake),
//! an idle timeout on every read, and one total deadline across all hops.
//!
//! Connections are kept for reuse by the client's pool, shared by its
//! clones. A connection goes back only when nothing about it is in
//! doubt: the response allowed it, its body was read exactly to the end its
//! framing gave, and nothing failed. A request that fails on a reused
//! connection before the first byte of the response (the server closed it
//! as the request went out) is sent once more, on a new connection.
//!
//! Credentials (the URL's `user:password@`, [`ClientBuilder::basic_auth`],
//! and `Authorization` or `Cookie` headers from [`ClientBuilder::header`])
//! are sent only while the redirects stay on the origin they were given
//! for (same scheme, host and port); from the first hop that leaves it
//! on, they are dropped, as curl and reqwest do. Credentials written in a
//! `Location` are never used: a server does not choose what we send.

use std::fmt;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use crate::connect::Stream;
use futures_lite::{AsyncRead, AsyncWrite};

use crate::connect::{connect, AddressPolicy, ConnectOptions, Resolver};
use crate::counter::Counter;
use crate::deadline::{self, Elapsed};
use crate::error::{Error, ProtocolErrorKind, TimeoutPhase};
use crate::http::auth::{self, Secret};
use crate::http::request::{check_header, ExtraHeaders, ProxyForm, RequestOptions};
#[cfg(feature = "compression")]
use crate::http::ACCEPT_ENCODING_COMPRESSED;
use crate::http::ACCEPT_ENCODING_IDENTITY;
use crate::http::{get_with, Body, Response, DEFAULT_USER_AGENT};
use crate::matcher::{Description, Tally};
use crate::pool::{self, Connection, Origin, Pool, PoolLimits};
use crate::proxy::{Proxy, ProxyServer};
use crate::timeout::IdleTimeout;
use crate::url::{Scheme, Url};

/// A connection as one request uses it: borrowed from the fetch, with the
/// idle read timeout around it.
type Exchange<'c> = IdleTimeout<Metered<'c, &'c mut Connection<Stream>>>;

/// The most body bytes read and dropped from a response that is not
/// counted (an error status, a redirect) to keep its connection.
const DRAIN_LIMIT: u64 = 64 * 1024;
/// The longest wait for such a body; a slower one costs its connection.
const DRAIN_TIME: Duration = Duration::from_secs(1);

/// The result of one successful count.
///
/// [`Client::count`] fills it in. The fields are public to read (and to
/// set, for code that builds reports of its own, starting from
/// [`Report::new`]); more may be added in later versions, hence
/// `#[non_exhaustive]`: no struct literals or exhaustive patterns outside
/// this crate.
///
/// # Example
///
/// ```
/// use netcount::{url::Url, Report};
///
/// let url = Url::parse("http://example.org/")?;
/// let mut report = Report::new(url.clone());
/// report.count = 3;
/// report.bytes = 100;
/// assert_eq!(report.final_url, url);
/// assert_eq!((report.status, report.count, report.redirects), (200, 3, 0));
/// assert_eq!(report.content_encoding, "identity");
/// # Ok::<(), netcount::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Report {
    /// The URL asked for.
    pub url: Url,
    /// The URL that answered, after redirects.
    pub final_url: Url,
    /// The final status code (2xx).
    pub status: u16,
    /// Content bytes counted: the body as received, or, for a compressed
    /// body, the decoded content.
    pub bytes: u64,
    /// Body bytes received: the payload (without chunked framing), before
    /// decoding. The same as `bytes` unless the body was compressed.
    pub bytes_received: u64,
    /// The content codings that were decoded, as `Content-Encoding` names
    /// them in the order the server applied them (`gzip`, `gzip, br`), or
    /// `identity` when the body was not compressed (or had no content).
    pub content_encoding: String,
    /// Occurrences of the needle, or matches of the pattern, in the body.
    pub count: u64,
    /// What was counted, and with which engine (a literal, or a regex):
    /// set by [`Client::count`], `None` in a report made with
    /// [`Report::new`] until you set it.
    pub pattern: Option<Description>,
    /// Redirects followed.
    pub redirects: u32,
    /// Time from the start of the call to the end of the body.
    pub elapsed: Duration,
    /// Whether the final response came over a connection that had already
    /// carried an earlier response (kept open by the client's pool).
    pub reused: bool,
}

impl Report {
    /// A report for `url` with nothing counted yet: no redirect
    /// (`final_url` is `url`), status 200, zero bytes, count and elapsed
    /// time, content encoding `identity`, a new connection. Set the fields
    /// that differ.
    ///
    /// # Example
    ///
    /// ```
    /// let url = netcount::url::Url::parse("http://example.org/")?;
    /// let report = netcount::Report::new(url);
    /// assert_eq!((report.bytes, report.bytes_received, report.count), (0, 0, 0));
    /// assert!(report.elapsed.is_zero());
    /// # Ok::<(), netcount::Error>(())
    /// ```
    pub fn new(url: Url) -> Report {
        Report {
            final_url: url.clone(),
            url,
            status: 200,
            bytes: 0,
            bytes_received: 0,
            content_encoding: "identity".to_string(),
            count: 0,
            pattern: None,
            redirects: 0,
            elapsed: Duration::ZERO,
            reused: false,
        }
    }
}

/// Builds a [`Client`] with non-default settings.
///
/// Each setting has a default (the `Client::DEFAULT_*` constants); set only
/// what differs. New settings arrive as new methods, so code written
/// against this builder keeps compiling.
///
/// # Example
///
/// ```
/// use std::time::Duration;
/// use netcount::{url::Url, Client, Counter, Error, TimeoutPhase};
///
/// let client = Client::builder()
///     .timeout(Duration::from_millis(200))
///     .max_redirects(3)
///     .build();
///
/// // A server that accepts connections and never answers.
/// let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
/// let url = Url::parse(&format!("http://{}/", silent.local_addr().unwrap()))?;
/// let mut counter = Counter::new(".NET")?;
/// let error = futures_lite::future::block_on(client.count(&url, &mut counter)).unwrap_err();
/// assert!(matches!(error, Error::Timeout { phase: TimeoutPhase::Total, .. }), "{error}");
/// # Ok::<(), netcount::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct ClientBuilder {
    /// The settings being built.
    config: Config,
    /// Extra trusted CA certificates (feature `tls`).
    #[cfg(feature = "tls")]
    extra_roots: Vec<futures_rustls::pki_types::CertificateDer<'static>>,
}

/// A client's settings.
#[derive(Debug, Clone)]
struct Config {
    /// Limit for each address's connect, and for the TLS handshake.
    connect_timeout: Duration,
    /// Limit for the whole call, all redirect hops included.
    timeout: Duration,
    /// Limit for any single read to make progress.
    read_timeout: Duration,
    /// Most redirects followed before giving up.
    max_redirects: u32,
    /// Sent as `User-Agent`.
    user_agent: String,
    /// Checked on every resolved address of every hop, if set.
    policy: Option<AddressPolicy>,
    /// Looks up domain names instead of the system's resolver, if set.
    resolver: Option<Resolver>,
    /// Size of the buffer the body is read into.
    read_buffer: usize,
    /// How many idle connections are kept, and how long.
    pool: PoolLimits,
    /// Which proxy each URL goes through; directly when `None`.
    proxy: Option<Proxy>,
    /// Headers added to every request, checked when added.
    headers: ExtraHeaders,
    /// `Authorization` for the URL's origin, from `basic_auth`; wins over
    /// credentials in the URL.
    authorization: Option<Secret>,
    /// Ask for compressed bodies (`Accept-Encoding: gzip, deflate, br`)
    /// rather than `identity`.
    #[cfg(feature = "compression")]
    compressed: bool,
    /// Told about every read from the network, if set.
    progress: Option<ProgressHook>,
}

impl Default for ClientBuilder {
    fn default() -> ClientBuilder {
        ClientBuilder {
            config: Config {
                connect_timeout: Client::DEFAULT_CONNECT_TIMEOUT,
                timeout: Client::DEFAULT_TIMEOUT,
                read_timeout: Client::DEFAULT_READ_TIMEOUT,
                max_redirects: Client::DEFAULT_MAX_REDIRECTS,
                user_agent: DEFAULT_USER_AGENT.to_string(),
                policy: None,
                resolver: None,
                read_buffer: Client::DEFAULT_READ_BUFFER_SIZE,
                pool: PoolLimits {
                    max_idle_per_origin: Client::DEFAULT_POOL_MAX_IDLE_PER_ORIGIN,
                    max_idle: Client::DEFAULT_POOL_MAX_IDLE,
                    idle_timeout: Client::DEFAULT_POOL_IDLE_TIMEOUT,
                },
                proxy: None,
                headers: ExtraHeaders::default(),
                authorization: None,
                #[cfg(feature = "compression")]
                compressed: false,
                progress: None,
            },
            #[cfg(feature = "tls")]
            extra_roots: Vec::new(),
        }
    }
}

impl ClientBuilder {
    /// Limit for each address's TCP connect, for the TLS handshake, and
    /// for a proxy's answer to `CONNECT` (default
    /// [`Client::DEFAULT_CONNECT_TIMEOUT`]). When it passes, the next
    /// resolved address is tried.
    ///
    /// # Example
    ///
    /// ```
    /// let builder = netcount::Client::builder().connect_timeout(std::time::Duration::from_secs(2));
    /// assert!(format!("{builder:?}").contains("connect_timeout: 2s"));
    /// ```
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.config.connect_timeout = timeout;
        self
    }

    /// Limit for the whole call, redirects included (default
    /// [`Client::DEFAULT_TIMEOUT`]).
    ///
    /// # Example
    ///
    /// ```
    /// use std::time::Duration;
    /// use netcount::{url::Url, Client, Counter, Error, TimeoutPhase};
    ///
    /// let client = Client::builder().timeout(Duration::from_millis(100)).build();
    /// // A server that accepts connections and never answers.
    /// let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    /// let url = Url::parse(&format!("http://{}/", silent.local_addr().unwrap()))?;
    /// let mut counter = Counter::new("x")?;
    /// let error = futures_lite::future::block_on(client.count(&url, &mut counter)).unwrap_err();
    /// assert!(matches!(
    ///     error,
    ///     Error::Timeout { phase: TimeoutPhase::Total, after } if after == Duration::from_millis(100)
    /// ));
    /// # Ok::<(), netcount::Error>(())
    /// ```
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.config.timeout = timeout;
        self
    }

    /// Limit for any single read of the response to make progress
    /// (default [`Client::DEFAULT_READ_TIMEOUT`]): a server that stalls is
    /// cut off after this long.
    ///
    /// # Example
    ///
    /// ```
    /// use std::time::Duration;
    /// use netcount::{url::Url, Client, Counter, Error, TimeoutPhase};
    ///
    /// let client = Client::builder().read_timeout(Duration::from_millis(100)).build();
    /// // A server that accepts connections and never answers: the head
    /// // never starts, and the read waiting for it gives up.
    /// let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    /// let url = Url::parse(&format!("http://{}/", silent.local_addr().unwrap()))?;
    /// let mut counter = Counter::new("x")?;
    /// let error = futures_lite::future::block_on(client.count(&url, &mut counter)).unwrap_err();
    /// assert!(matches!(error, Error::Timeout { phase: TimeoutPhase::Head, .. }), "{error}");
    /// # Ok::<(), netcount::Error>(())
    /// ```
    pub fn read_timeout(mut self, timeout: Duration) -> Self {
        self.config.read_timeout = timeout;
        self
    }

    /// Most redirects to follow (default [`Client::DEFAULT_MAX_REDIRECTS`];
    /// 0 refuses every redirect).
    ///
    /// # Example
    ///
    /// ```
    /// let builder = netcount::Client::builder().max_redirects(0);
    /// assert!(format!("{builder:?}").contains("max_redirects: 0"));
    /// ```
    pub fn max_redirects(mut self, max: u32) -> Self {
        self.config.max_redirects = max;
        self
    }

    /// The `User-Agent` to send (default
    /// [`DEFAULT_USER_AGENT`],
    /// `netcount/<version>`).
    ///
    /// # Example
    ///
    /// ```
    /// let builder = netcount::Client::builder().user_agent("my-tool/1.0");
    /// assert!(format!("{builder:?}").contains("\"my-tool/1.0\""));
    /// ```
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.config.user_agent = user_agent.into();
        self
    }

    /// A check run on every resolved address, on every redirect hop, before
    /// connecting. Used by the web API's SSRF guard.
    ///
    /// # Example
    ///
    /// ```
    /// use netcount::AddressPolicy;
    ///
    /// let no_loopback = AddressPolicy::new(|_: &str, addr: std::net::SocketAddr| {
    ///     if addr.ip().is_loopback() { Err("loopback".into()) } else { Ok(()) }
    /// });
    /// let client = netcount::Client::builder().address_policy(no_loopback).build();
    ///
    /// // Refused before any connection is attempted.
    /// let url = netcount::url::Url::parse("http://127.0.0.1:9/")?;
    /// let mut counter = netcount::Counter::new("x")?;
    /// let error = futures_lite::future::block_on(client.count(&url, &mut counter)).unwrap_err();
    /// assert!(matches!(error, netcount::Error::AddressNotAllowed { .. }), "{error}");
    /// # Ok::<(), netcount::Error>(())
    /// ```
    pub fn address_policy(mut self, policy: AddressPolicy) -> Self {
        self.config.policy = Some(policy);
        self
    }

    /// Looks up host names with `resolver` instead of the system's resolver
    /// (async-net's `getaddrinfo` on a thread): for a DNS library of your
    /// choice, names pinned to addresses, or tests. See [`Resolver`].
    ///
    /// # Example
    ///
    /// ```
    /// use std::net::SocketAddr;
    /// use netcount::{Client, Resolver};
    ///
    /// let resolver = Resolver::new(|_host, port| async move {
    ///     Ok(vec![SocketAddr::from(([127, 0, 0, 1], port))])
    /// });
    /// let builder = Client::builder().resolver(resolver);
    /// assert!(format!("{builder:?}").contains("Resolver(..)"));
    /// ```
    pub fn resolver(mut self, resolver: Resolver) -> Self {
        self.config.resolver = Some(resolver);
        self
    }

    /// Size of the buffer the body is read into (default
    /// [`Client::DEFAULT_READ_BUFFER_SIZE`], at least 1 KiB). Large reads
    /// mean fewer system calls and wake-ups (README's benchmark section
    /// has the measurement); smaller buffers save memory when many fetches
    /// run at once.
    ///
    /// # Example
    ///
    /// ```
    /// let builder = netcount::Client::builder().read_buffer_size(64 * 1024);
    /// assert!(format!("{builder:?}").contains("read_buffer: 65536"));
    /// // Less than 1 KiB is raised to 1 KiB.
    /// let builder = netcount::Client::builder().read_buffer_size(10);
    /// assert!(format!("{builder:?}").contains("read_buffer: 1024"));
    /// ```
    pub fn read_buffer_size(mut self, size: usize) -> Self {
        self.config.read_buffer = size.max(1024);
        self
    }

    /// Most idle connections kept per origin (scheme, host, port) for
    /// reuse (default [`Client::DEFAULT_POOL_MAX_IDLE_PER_ORIGIN`]); 0 turns
    /// connection reuse off. Fetches at once may open more; the extra ones
    /// are closed when done.
    ///
    /// # Example
    ///
    /// ```
    /// let builder = netcount::Client::builder().pool_max_idle_per_origin(8);
    /// assert!(format!("{builder:?}").contains("max_idle_per_origin: 8"));
    /// ```
    pub fn pool_max_idle_per_origin(mut self, max: usize) -> Self {
        self.config.pool.max_idle_per_origin = max;
        self
    }

    /// Most idle connections kept in all (default
    /// [`Client::DEFAULT_POOL_MAX_IDLE`]); 0 turns connection reuse off.
    /// When the pool is full, the connection idle the longest is closed.
    ///
    /// # Example
    ///
    /// ```
    /// let builder = netcount::Client::builder().pool_max_idle(0);
    /// assert!(format!("{builder:?}").contains("max_idle: 0"));
    /// ```
    pub fn pool_max_idle(mut self, max: usize) -> Self {
        self.config.pool.max_idle = max;
        self
    }

    /// How long an idle connection is kept (default
    /// [`Client::DEFAULT_POOL_IDLE_TIMEOUT`], or less when the server's
    /// `Keep-Alive: timeout=` says so); zero turns connection reuse off.
    ///
    /// # Example
    ///
    /// ```
    /// let builder = netcount::Client::builder().pool_idle_timeout(std::time::Duration::from_secs(5));
    /// assert!(format!("{builder:?}").contains("idle_timeout: 5s"));
    /// ```
    pub fn pool_idle_timeout(mut self, timeout: Duration) -> Self {
        self.config.pool.idle_timeout = timeout;
        self
    }

    /// Sends every request through `proxy`, except to the hosts on its
    /// no-proxy list. `http` URLs are asked of the proxy in absolute form;
    /// `https` URLs go through a `CONNECT` tunnel, with TLS to the server
    /// itself. See [`Proxy`].
    ///
    /// With an [`address_policy`](ClientBuilder::address_policy), the
    /// target's addresses are still looked up and checked before the proxy
    /// is asked (the proxy's own address is not checked: it was chosen by
    /// whoever built the client).
    ///
    /// # Example
    ///
    /// ```
    /// use netcount::{url::Url, Client, Counter, Error, Proxy};
    ///
    /// // A proxy that wants credentials, and was given none.
    /// let proxy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    /// let address = proxy.local_addr().unwrap();
    /// std::thread::spawn(move || {
    ///     use std::io::{Read, Write};
    ///     let (mut socket, _) = proxy.accept().unwrap();
    ///     let _ = socket.read(&mut [0; 1024]);
    ///     let _ = socket.write_all(b"HTTP/1.1 407 Proxy Authentication Required\r\n\r\n");
    /// });
    ///
    /// let client = Client::builder().proxy(Proxy::parse(&format!("http://{address}"))?).build();
    /// // Asked of the proxy: nothing is sent to example.org.
    /// let url = Url::parse("http://example.org/")?;
    /// let error = futures_lite::future::block_on(client.count(&url, &mut Counter::new("x")?))
    ///     .unwrap_err();
    /// assert!(matches!(error, Error::ProxyStatus { code: 407, .. }), "{error}");
    /// assert!(error.to_string().contains("credentials needed"));
    /// # Ok::<(), Error>(())
    /// ```
    pub fn proxy(mut self, proxy: Proxy) -> Self {
        self.config.proxy = Some(proxy);
        self
    }

    /// Takes the proxy from the environment, as curl reads it
    /// ([`Proxy::from_env`]: `http_proxy`, `HTTPS_PROXY`, `ALL_PROXY`,
    /// `NO_PROXY`, ...); no proxy if none is set. The environment is read
    /// only when this is called. Fails if a variable holds a proxy URL
    /// that cannot be used.
    ///
    /// # Example
    ///
    /// ```no_run
    /// let client = netcount::Client::builder().proxy_from_env()?.build();
    /// # Ok::<(), netcount::Error>(())
    /// ```
    pub fn proxy_from_env(mut self) -> Result<Self, Error> {
        self.config.proxy = Proxy::from_env()?;
        Ok(self)
    }

    /// Adds a header to every request (repeat for more). One named like a
    /// header netcount sends (`User-Agent`, `Accept`, `Accept-Encoding`,
    /// `Authorization`) replaces it. Surrounding whitespace is trimmed
    /// from the value.
    ///
    /// Refused: a name that is not a token; `Host`, `Content-Length`,
    /// `Transfer-Encoding` and `Connection` (netcount writes them, and the
    /// framing depends on them); `Proxy-Authorization` (through a tunnel it
    /// would reach the server: give proxy credentials in the proxy URL); a
    /// value with CR, LF, NUL or another control character except tab.
    /// `Authorization` and `Cookie` are dropped when a redirect leaves the
    /// origin.
    ///
    /// # Example
    ///
    /// ```
    /// use netcount::{Client, Error};
    ///
    /// let builder = Client::builder()
    ///     .header("X-Request-Id", "42")?
    ///     .header("Cookie", "session=s3cret")?;
    /// // Debug never shows a credential.
    /// let debug = format!("{builder:?}");
    /// assert!(debug.contains("\"X-Request-Id\": \"42\"") && !debug.contains("s3cret"));
    ///
    /// let error = Client::builder().header("X", "a\r\nInjected: 1").unwrap_err();
    /// assert!(matches!(error, Error::InvalidHeader { .. }), "{error}");
    /// assert!(Client::builder().header("Host", "elsewhere").is_err());
    /// # Ok::<(), Error>(())
    /// ```
    pub fn header(mut self, name: &str, value: &str) -> Result<Self, Error> {
        let value = value.trim_matches([' ', '\t']);
        check_header(name, value).map_err(|reason| Error::InvalidHeader {
            name: name.to_string(),
            reason,
        })?;
        self.config
            .headers
            .push(name.to_string(), value.to_string());
        Ok(self)
    }

    /// Sends `Authorization: Basic` with `user` and `password` (RFC 7617)
    /// to the URL's origin, instead of any credentials in the URL. Refused:
    /// a `:` in the user name, and control characters in either.
    ///
    /// # Example
    ///
    /// ```
    /// let builder = netcount::Client::builder().basic_auth("ann", "s3cret")?;
    /// assert!(!format!("{builder:?}").contains("s3cret"));
    /// assert!(netcount::Client::builder().basic_auth("a:b", "c").is_err());
    /// # Ok::<(), netcount::Error>(())
    /// ```
    pub fn basic_auth(mut self, user: &str, password: &str) -> Result<Self, Error> {
        let invalid = |reason: &str| Error::InvalidHeader {
            name: "Authorization".into(),
            reason: reason.into(),
        };
        if user.contains(':') {
            return Err(invalid("a user name cannot contain ':' (rfc 7617)"));
        }
        if user.chars().chain(password.chars()).any(char::is_control) {
            return Err(invalid(
                "the user name or password contains a control character",
            ));
        }
        let value = auth::basic(user.as_bytes(), password.as_bytes());
        self.config.authorization = Some(Secret(value));
        Ok(self)
    }

    /// Asks servers to compress (feature `compression`): requests send
    /// `Accept-Encoding: gzip, deflate, br` instead of `identity` (the
    /// default). Fewer bytes cross the network; the count is the same,
    /// because the body is decoded as it streams, and so are
    /// [`Report::bytes`] (the decoded content), while
    /// [`Report::bytes_received`] shows what was sent.
    ///
    /// A server may compress even when not asked; such a body is decoded
    /// either way.
    ///
    /// # Example
    ///
    /// ```
    /// use std::io::{Read, Write};
    /// use netcount::{url::Url, Client, Counter};
    ///
    /// // A server that gzips its page when asked to.
    /// let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    /// let url = Url::parse(&format!("http://{}/", listener.local_addr().unwrap()))?;
    /// std::thread::spawn(move || {
    ///     let (mut socket, _) = listener.accept().unwrap();
    ///     let mut head = [0; 4096];
    ///     let n = socket.read(&mut head).unwrap();
    ///     let head = String::from_utf8_lossy(&head[..n]).to_string();
    ///     assert!(head.contains("\r\nAccept-Encoding: gzip, deflate, br\r\n"));
    ///     let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    ///     gzip.write_all(".NET ".repeat(1000).as_bytes()).unwrap();
    ///     let body = gzip.finish().unwrap();
    ///     let reply = format!("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n\r\n");
    ///     socket.write_all(reply.as_bytes()).unwrap();
    ///     socket.write_all(&body).unwrap();
    /// });
    ///
    /// let client = Client::builder().compressed(true).build();
    /// let mut counter = Counter::new(".NET")?;
    /// let report = futures_lite::future::block_on(client.count(&url, &mut counter))?;
    /// assert_eq!((report.count, report.bytes), (1000, 5000));
    /// assert!(report.bytes_received < 100);
    /// assert_eq!(report.content_encoding, "gzip");
    /// # Ok::<(), netcount::Error>(())
    /// ```
    #[cfg(feature = "compression")]
    pub fn compressed(mut self, compressed: bool) -> Self {
        self.config.compressed = compressed;
        self
    }

    /// Sends `name: value` with every request, after the fixed fields (the
    /// web API's `Via`), replacing an earlier one of that name. A field
    /// [`ClientBuilder::header`] would refuse is never sent.
    #[cfg_attr(not(feature = "server"), allow(dead_code))]
    pub(crate) fn extra_header(mut self, name: &str, value: impl Into<String>) -> Self {
        let value = value.into();
        if check_header(name, &value).is_ok() {
            self.config.headers.set(name, value);
        }
        self
    }

    /// Calls `hook` after every read from the network, with the bytes
    /// received so far: for a progress bar, a rate, a byte budget. The hook
    /// runs inside the read, on whatever executor polls the fetch, so it
    /// should be quick (update a counter, not draw); clones of the client
    /// share it.
    ///
    /// # Example
    ///
    /// ```
    /// use std::io::Write;
    /// use std::sync::atomic::{AtomicU64, Ordering};
    /// use std::sync::Arc;
    /// use netcount::{url::Url, Client, Counter};
    ///
    /// // A server with a 100,000-byte body.
    /// let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    /// let url = Url::parse(&format!("http://{}/", listener.local_addr().unwrap()))?;
    /// std::thread::spawn(move || {
    ///     let (mut socket, _) = listener.accept().unwrap();
    ///     let body = vec![b'x'; 100_000];
    ///     write!(socket, "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n", body.len()).unwrap();
    ///     socket.write_all(&body).unwrap();
    ///     std::io::copy(&mut socket, &mut std::io::sink()).ok();
    /// });
    ///
    /// let received = Arc::new(AtomicU64::new(0));
    /// let client = Client::builder()
    ///     .progress({
    ///         let received = received.clone();
    ///         move |progress| received.store(progress.received, Ordering::Relaxed)
    ///     })
    ///     .build();
    /// let mut counter = Counter::new("x")?;
    /// let report = futures_lite::future::block_on(client.count(&url, &mut counter))?;
    /// assert_eq!(report.bytes, 100_000);
    /// // The body and the response head.
    /// assert!(received.load(Ordering::Relaxed) > 100_000);
    /// # Ok::<(), netcount::Error>(())
    /// ```
    pub fn progress(mut self, hook: impl Fn(Progress<'_>) + Send + Sync + 'static) -> Self {
        self.config.progress = Some(ProgressHook(Arc::new(hook)));
        self
    }

    /// Trusts the CA certificates in `pem` in addition to the bundled roots
    /// (feature `tls`). Fails if `pem` holds no usable certificate.
    ///
    /// # Example
    ///
    /// ```
    /// let error = netcount::Client::builder().add_root_certificates_pem(b"not pem").unwrap_err();
    /// assert!(matches!(error, netcount::Error::InvalidCertificate(_)));
    /// ```
    #[cfg(feature = "tls")]
    pub fn add_root_certificates_pem(mut self, pem: &[u8]) -> Result<Self, Error> {
        let certs = crate::tls::parse_pem_certificates(pem)?;
        // Validate now, so a bad file is reported where it was given.
        crate::tls::TlsConnector::new(&certs)?;
        self.extra_roots.extend(certs);
        Ok(self)
    }

    /// Builds the client.
    ///
    /// # Example
    ///
    /// ```
    /// let client = netcount::Client::builder().max_redirects(1).build();
    /// assert!(format!("{client:?}").contains("max_redirects: 1"));
    /// ```
    pub fn build(self) -> Client {
        Client {
            #[cfg(feature = "tls")]
            tls: crate::tls::TlsConnector::new(&self.extra_roots)
                .expect("roots were validated when added"),
            pool: Pool::new(self.config.pool),
            config: self.config,
        }
    }
}

/// Fetches URLs and counts a needle in their bodies.
///
/// A `Client` holds settings, the TLS configuration (with its session
/// cache) and a pool of idle connections. Clones share the pool and the
/// session cache: clone it freely, or share it by reference between tasks,
/// and many URLs of one site reuse connections. No task or timer runs in
/// the background; idle connections past their time are closed by the next
/// fetch, or when the last clone is dropped.
///
/// # Example
///
/// ```no_run
/// use netcount::{url::Url, Client, Counter};
///
/// # futures_lite::future::block_on(async {
/// let client = Client::new();
/// let mut counter = Counter::new(".NET")?;
/// let url = Url::parse("https://dotnetfoundation.org")?;
/// let report = client.count(&url, &mut counter).await?;
/// // The counter holds the count too.
/// assert_eq!(report.count, counter.count());
/// println!("{} occurrences in {} bytes", report.count, report.bytes);
/// # Ok::<(), netcount::Error>(())
/// # });
/// ```
#[derive(Debug, Clone)]
pub struct Client {
    /// Timeouts, redirects, user agent, policy.
    config: Config,
    /// TLS settings shared by every https connection.
    #[cfg(feature = "tls")]
    tls: crate::tls::TlsConnector,
    /// Idle connections, shared by clones.
    pool: Pool<Connection<Stream>>,
}

impl Default for Client {
    fn default() -> Client {
        Client::new()
    }
}

impl Client {
    /// Default limit for each address's connect and for the TLS handshake:
    /// 10 s.
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(netcount::Client::DEFAULT_CONNECT_TIMEOUT.as_secs(), 10);
    /// ```
    pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

    /// Default limit for a whole call, redirects included: 30 s.
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(netcount::Client::DEFAULT_TIMEOUT.as_secs(), 30);
    /// ```
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

    /// Default limit for one read to make progress: 30 s.
    ///
    /// # Example
    ///
    /// ```
    /// use netcount::Client;
    /// assert!(Client::DEFAULT_READ_TIMEOUT <= Client::DEFAULT_TIMEOUT);
    /// ```
    pub const DEFAULT_READ_TIMEOUT: Duration = Duration::from_secs(30);

    /// Default number of redirects followed: 10.
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(netcount::Client::DEFAULT_MAX_REDIRECTS, 10);
    /// ```
    pub const DEFAULT_MAX_REDIRECTS: u32 = 10;

    /// Default size of the buffer a body is read into: 1 MiB.
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(netcount::Client::DEFAULT_READ_BUFFER_SIZE, 1024 * 1024);
    /// ```
    pub const DEFAULT_READ_BUFFER_SIZE: usize = 1024 * 1024;

    /// Default most idle connections kept per origin: 64 (as many as the
    /// CLI's `-j` runs at once in the benchmark of 1,000 URLs).
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(netcount::Client::DEFAULT_POOL_MAX_IDLE_PER_ORIGIN, 64);
    /// ```
    pub const DEFAULT_POOL_MAX_IDLE_PER_ORIGIN: usize = 64;

    /// Default most idle connections kept in all: 256.
    ///
    /// # Example
    ///
    /// ```
    /// use netcount::Client;
    /// assert!(Client::DEFAULT_POOL_MAX_IDLE >= Client::DEFAULT_POOL_MAX_IDLE_PER_ORIGIN);
    /// ```
    pub const DEFAULT_POOL_MAX_IDLE: usize = 256;

    /// Default time an idle connection is kept: 30 s.
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(netcount::Client::DEFAULT_POOL_IDLE_TIMEOUT.as_secs(), 30);
    /// ```
    pub const DEFAULT_POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(30);

    /// A client with the default settings (the `DEFAULT_*` constants).
    ///
    /// # Example
    ///
    /// ```
    /// use netcount::Client;
    ///
    /// let client = Client::new();
    /// let expected = format!("max_redirects: {}", Client::DEFAULT_MAX_REDIRECTS);
    /// assert!(format!("{client:?}").contains(&expected));
    /// ```
    pub fn new() -> Client {
        ClientBuilder::default().build()
    }

    /// A builder for a client with other settings.
    ///
    /// # Example
    ///
    /// ```
    /// let client = netcount::Client::builder().max_redirects(1).build();
    /// assert!(format!("{client:?}").contains("max_redirects: 1"));
    /// ```
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// Fetches `url` (following redirects) and counts the counter's needle
    /// (or the regex's matches: `counter` is any [`Tally`], a
    /// [`Counter`], a [`StreamRegex`](crate::pattern::StreamRegex) or a
    /// [`Matcher`](crate::Matcher)) in the final body. The counter is reset
    /// first; afterwards it holds the count, which is also in the
    /// [`Report`].
    ///
    /// A body compressed with gzip, deflate or br is decoded as it streams
    /// (feature `compression`), asked for or not (see
    /// [`ClientBuilder::compressed`]): the count is of the content.
    ///
    /// Fails, rather than returning a count, on anything that makes the
    /// body untrustworthy: a non-2xx final status, a content coding that
    /// cannot be decoded, a compressed stream that is corrupt, cut short or
    /// followed by stray bytes, a body shorter than its framing promised, a
    /// timeout.
    ///
    /// # Example
    ///
    /// ```no_run
    /// # futures_lite::future::block_on(async {
    /// let url = netcount::url::Url::parse("http://127.0.0.1:8080/")?;
    /// let mut counter = netcount::Counter::new("needle")?;
    /// let report = netcount::Client::new().count(&url, &mut counter).await?;
    /// assert_eq!(report.count, counter.count());
    /// # Ok::<(), netcount::Error>(())
    /// # });
    /// ```
    pub async fn count<T: Tally + ?Sized>(
        &self,
        url: &Url,
        counter: &mut T,
    ) -> Result<Report, Error> {
        let deadline = Instant::now().checked_add(self.config.timeout);
        self.count_until(url, counter, deadline).await
    }

    /// This client with the extra header field `name` set to `value`
    /// (replacing any extra field of that name).
    #[cfg_attr(not(feature = "server"), allow(dead_code))]
    pub(crate) fn with_extra_header(&self, name: &str, value: impl Into<String>) -> Client {
        let mut client = self.clone();
        let value = value.into();
        if check_header(name, &value).is_ok() {
            client.config.headers.set(name, value);
        }
        client
    }

    /// [`Client::count`] with the total deadline at `deadline` (`None`:
    /// none) rather than the client's `timeout` from now: the web API
    /// counts its wait for a fetch slot against the same deadline. A
    /// timeout names the client's `timeout` either way.
    pub(crate) async fn count_until<T: Tally + ?Sized>(
        &self,
        url: &Url,
        counter: &mut T,
        deadline: Option<Instant>,
    ) -> Result<Report, Error> {
        // On the heap: the fetch's state is large (connects, the head, the
        // body), and the deadline's wrappers would otherwise move it around.
        let fetch = Box::pin(self.follow_and_count(url, counter, Instant::now()));
        within_total(deadline, self.config.timeout, fetch).await
    }

    /// The redirect loop of [`Client::count`], without the total deadline
    /// (see [`within_total`]).
    async fn follow_and_count<T: Tally + ?Sized>(
        &self,
        url: &Url,
        counter: &mut T,
        started: Instant,
    ) -> Result<Report, Error> {
        counter.reset();
        // Credentials for the URL's origin: given to the builder, or in the URL.
        let url_authorization = url
            .credentials()
            .map(|c| auth::basic(&c.user(), &c.password()));
        let authorization = match &self.config.authorization {
            Some(Secret(value)) => Some(value.as_str()),
            None => url_authorization.as_deref(),
        };
        #[cfg(feature = "compression")]
        let accept_encoding = if self.config.compressed {
            ACCEPT_ENCODING_COMPRESSED
        } else {
            ACCEPT_ENCODING_IDENTITY
        };
        #[cfg(not(feature = "compression"))]
        let accept_encoding = ACCEPT_ENCODING_IDENTITY;
        let mut current = url.clone();
        let mut redirects = 0;
        // Set on the first hop that leaves `url`'s origin, and never unset:
        // from then on no credential is sent.
        let mut left_origin = false;
        // Bytes read from the network by this call, every hop included.
        let received = AtomicU64::new(0);
        loop {
            // Directly, or through the proxy for this URL. An http URL is
            // asked of the proxy itself; an https one goes through its tunnel.
            let proxy = self
                .config
                .proxy
                .as_ref()
                .and_then(|proxy| proxy.server_for(&current));
            let asked_the_proxy = proxy.filter(|_| current.scheme() == Scheme::Http);
            let request = RequestOptions {
                user_agent: &self.config.user_agent,
                accept_encoding,
                authorization,
                headers: &self.config.headers,
                drop_credentials: left_origin,
                proxy: asked_the_proxy.map(|proxy| ProxyForm {
                    authorization: proxy.authorization(),
                }),
            };

            // A connection to the origin (through that proxy): an idle one,
            // or a new one.
            let proxy_address = proxy.map(|proxy| proxy.address());
            let origin = Origin::new(&current, proxy_address.as_deref());
            let mut conn = match self.pool.take(&origin, Instant::now(), pool::is_open) {
                Some(idle) => idle.reuse(),
                None => self.open(&current, proxy).await?,
            };

            // Send the request and read the head. On a reused connection,
            // a failure before the response's first byte means the server
            // closed it as the request went out: once more, on a new one.
            let before = conn.bytes_read();
            let response = match self
                .request(&mut conn, &current, &request, (url, &received))
                .await
            {
                Ok(response) => response,
                Err(error) => {
                    let silent = conn.bytes_read() == before;
                    if !(conn.reused() && silent && is_stale_connection(&error)) {
                        return Err(error);
                    }
                    conn = self.open(&current, proxy).await?;
                    self.request(&mut conn, &current, &request, (url, &received))
                        .await?
                }
            };
            let status = response.status();

            // Only a proxy asks for proxy credentials (through a tunnel, the
            // answer is the server's, not the proxy's).
            if let (Some(proxy), 407) = (asked_the_proxy, status) {
                return Err(Error::ProxyStatus {
                    proxy: proxy.address(),
                    code: status,
                    reason: response.reason().to_string(),
                    credentials_sent: proxy.authorization().is_some(),
                });
            }
            let keep = self.pool.enabled() && response.allows_reuse();
            let server_timeout = response
                .headers()
                .get("keep-alive")
                .and_then(pool::keep_alive_timeout);

            // A redirect or an error status: its body is not counted, but
            // a short one is read past, so the connection can be reused.
            let redirect = matches!(status, 301 | 302 | 303 | 307 | 308);
            if redirect || !(200..300).contains(&status) {
                let outcome = if redirect {
                    redirect_target(&current, status, response.headers().get("location"))
                } else {
                    Err(Error::Status {
                        code: status,
                        reason: response.reason().to_string(),
                    })
                };
                let mut body = response.into_body();
                let drained = keep && drain(&mut body).await;
                drop(body);
                if drained {
                    self.pool.put(origin, conn, Instant::now(), server_timeout);
                }
                let next = outcome?;
                if redirects == self.config.max_redirects {
                    return Err(Error::TooManyRedirects {
                        max: self.config.max_redirects,
                    });
                }
                redirects += 1;
                left_origin |= !next.same_origin(url);
                current = next;
                continue;
            }

            // The final response: a 2xx body whose content can be read
            // (decoded, if it was compressed), counted.
            let mut content = response.into_content()?;
            content.stream_mut().set_phase(TimeoutPhase::Body);
            let mut buf = vec![0; self.config.read_buffer];
            let bytes = content.count_into(counter, &mut buf).await?;
            let reusable = keep && content.at_message_end();
            let (bytes_received, content_encoding) =
                (content.bytes_received(), content.codings().to_string());
            drop(content);
            let reused = conn.reused();
            if reusable {
                self.pool.put(origin, conn, Instant::now(), server_timeout);
            }
            let mut report = Report::new(url.clone());
            report.final_url = current;
            report.status = status;
            report.bytes = bytes;
            report.bytes_received = bytes_received;
            report.content_encoding = content_encoding;
            report.count = counter.count();
            report.pattern = Some(counter.describe());
            report.redirects = redirects;
            report.elapsed = started.elapsed();
            report.reused = reused;
            return Ok(report);
        }
    }

    /// Opens a new connection to `url`'s host: look up, check, connect, TLS.
    async fn open(
        &self,
        url: &Url,
        proxy: Option<&ProxyServer>,
    ) -> Result<Connection<Stream>, Error> {
        let options = ConnectOptions {
            connect_timeout: self.config.connect_timeout,
            policy: self.config.policy.as_ref(),
            resolver: self.config.resolver.as_ref(),
            #[cfg(feature = "tls")]
            tls: &self.tls,
        };
        Ok(Connection::new(connect(url, proxy, &options).await?))
    }

    /// Sends the GET for `url` over `conn` and reads the response head.
    async fn request<'c>(
        &'c self,
        conn: &'c mut Connection<Stream>,
        url: &Url,
        options: &RequestOptions<'_>,
        (called_for, received): (&'c Url, &'c AtomicU64),
    ) -> Result<Response<Exchange<'c>>, Error> {
        let stream = Metered {
            inner: conn,
            hook: self.config.progress.as_ref(),
            url: called_for,
            received,
        };
        let stream = IdleTimeout::new(stream, self.config.read_timeout, TimeoutPhase::Head);
        get_with(stream, url, options).await
    }
}

/// Whether a request that failed before any response byte arrived failed
/// because the connection was closed under it (end of stream, reset,
/// broken pipe), rather than, say, timed out.
fn is_stale_connection(error: &Error) -> bool {
    matches!(
        error,
        Error::Io(_)
            | Error::Protocol {
                kind: ProtocolErrorKind::EmptyReply,
                ..
            }
    )
}

/// Reads and drops a body nobody will count, so its connection can carry
/// the next request: at most [`DRAIN_LIMIT`] bytes within [`DRAIN_TIME`].
/// Returns whether the body ended at its framed end; anything else (too
/// long, too slow, broken, ended by a close) leaves the connection unusable.
async fn drain(body: &mut Body<Exchange<'_>>) -> bool {
    let read_all = async {
        let mut buf = vec![0u8; 8 * 1024];
        let mut read = 0u64;
        while read <= DRAIN_LIMIT {
            match futures_lite::AsyncReadExt::read(body, &mut buf).await {
                Ok(0) => return true,
                Ok(n) => read += n as u64,
                Err(_) => return false,
            }
        }
        false
    };
    let ended = deadline::within(DRAIN_TIME, read_all)
        .await
        .unwrap_or(false);
    ended && body.at_message_end()
}

/// What a [`ClientBuilder::progress`] hook is told after each read from
/// the network.
///
/// # Example
///
/// ```
/// use netcount::client::Progress;
///
/// // A hook that prints a rough progress line.
/// let hook = |progress: Progress<'_>| {
///     eprint!("\r{}: {} bytes", progress.url, progress.received);
/// };
/// let client = netcount::Client::builder().progress(hook).build();
/// assert!(format!("{client:?}").contains("progress: Some"));
/// ```
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct Progress<'a> {
    /// The URL [`Client::count`] was called with (redirects are followed
    /// under it).
    pub url: &'a Url,
    /// Bytes this read brought; more than 0.
    pub read: usize,
    /// Bytes received by this call so far: response heads and body framing
    /// included, over every redirect hop.
    pub received: u64,
}

/// The hook of [`ClientBuilder::progress`], shared by the client's clones.
#[derive(Clone)]
struct ProgressHook(Arc<dyn Fn(Progress<'_>) + Send + Sync>);

impl fmt::Debug for ProgressHook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ProgressHook(..)")
    }
}

/// A connection that tells the progress hook about every read.
struct Metered<'a, S> {
    /// The connection.
    inner: S,
    /// Told about each read, if set.
    hook: Option<&'a ProgressHook>,
    /// The URL of the call, for the hook.
    url: &'a Url,
    /// Bytes read so far by the whole call (shared by its hops).
    received: &'a AtomicU64,
}

impl<S: AsyncRead + Unpin> AsyncRead for Metered<'_, S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let result = Pin::new(&mut self.inner).poll_read(cx, buf);
        if let (Poll::Ready(Ok(read @ 1..)), Some(hook)) = (&result, self.hook) {
            let received = self.received.fetch_add(*read as u64, Ordering::Relaxed) + *read as u64;
            (hook.0)(Progress {
                url: self.url,
                read: *read,
                received,
            });
        }
        result
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Metered<'_, S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_close(cx)
    }
}

/// Runs a whole fetch until `deadline` (`None`: no limit); past it, the
/// fetch is dropped and the error names `total`.
///
/// This is the one place the total deadline is enforced, for every step
/// at once: resolving, connecting, the handshake, the heads, the body. A
/// timer raced against the work gets its turn whenever the work waits; a
/// server that sends forever, as fast as it is read, never makes a read
/// wait (nor does a small compressed body that decodes to gigabytes), but
/// the content is counted by the loop of [`Body::count_into`](crate::http::Body::count_into),
/// which steps aside every 256 KiB it counts (or 2 ms spent counting), and
/// that is the turn this timer needs.
async fn within_total<T>(
    deadline: Option<Instant>,
    total: Duration,
    fetch: impl Future<Output = Result<T, Error>>,
) -> Result<T, Error> {
    let Some(deadline) = deadline else {
        return fetch.await;
    };
    deadline::until(deadline, fetch)
        .await
        .map_err(|Elapsed| Error::Timeout {
            phase: TimeoutPhase::Total,
            after: total,
        })?
}

/// Resolves a redirect's `Location` against the URL that sent it and
/// refuses a downgrade from https to http.
///
/// Lenient where RFC 9110 lets a client be: raw spaces are percent-encoded
/// (as raw UTF-8 already is by [`Url::join`]). An empty `Location` is an
/// error at once: it would resolve to the same URL, again and again.
/// Credentials are dropped from the result: the client sends those given
/// for the first URL's origin, never any a server names.
fn redirect_target(current: &Url, status: u16, location: Option<&[u8]>) -> Result<Url, Error> {
    let invalid = |detail: String| Error::protocol(ProtocolErrorKind::Redirect, detail);
    let location =
        location.ok_or_else(|| invalid(format!("redirect {status} without a location header")))?;
    if location.is_empty() {
        return Err(invalid(format!(
            "redirect {status} with an empty location header"
        )));
    }
    let location = std::str::from_utf8(location)
        .map_err(|_| invalid(format!("redirect {status} to a location that is not utf-8")))?;
    let next = current
        .join(&location.replace(' ', "%20"))?
        .without_credentials();
    if current.scheme() == Scheme::Https && next.scheme() == Scheme::Http {
        return Err(Error::InsecureRedirect {
            from: current.to_string(),
            to: next.to_string(),
        });
    }
    Ok(next)
}

/// Counts `needle` at `url` with a default [`Client`]: the whole library in
/// one call.
///
/// # Example
///
/// ```no_run
/// # futures_lite::future::block_on(async {
/// let report = netcount::count("https://dotnetfoundation.org", ".NET").await?;
/// // Only a 2xx body is ever counted.
/// assert!((200..300).contains(&report.status));
/// println!("{}", report.count);
/// # Ok::<(), netcount::Error>(())
/// # });
/// ```
pub async fn count(url: &str, needle: &str) -> Result<Report, Error> {
    let url = Url::parse(url)?;
    let mut counter = Counter::new(needle)?;
    Client::new().count(&url, &mut counter).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::{Body, Framing};

    #[test]
    fn redirect_targets() {
        let base = Url::parse("https://a.example/x/y").unwrap();
        let next = redirect_target(&base, 301, Some(b"../z?q")).unwrap();
        assert_eq!(next.to_string(), "https://a.example/z?q");
        let next = redirect_target(&base, 302, Some(b"//b.example/")).unwrap();
        assert_eq!(next.to_string(), "https://b.example/");
        assert!(matches!(
            redirect_target(&base, 301, Some(b"http://a.example/")),
            Err(Error::InsecureRedirect { .. })
        ));
        assert!(matches!(
            redirect_target(&base, 307, None),
            Err(Error::Protocol { kind: ProtocolErrorKind::Redirect, detail })
                if detail.contains("without a location")
        ));
        assert!(matches!(
            redirect_target(&base, 302, Some(b"/\xff")),
            Err(Error::Protocol {
                kind: ProtocolErrorKind::Redirect,
                ..
            })
        ));
        let plain = Url::parse("http://a.example/").unwrap();
        assert!(redirect_target(&plain, 308, Some(b"https://a.example/")).is_ok());
    }

    #[test]
    fn raw_spaces_in_a_location_are_encoded() {
        let base = Url::parse("http://a.example/x/").unwrap();
        let next = redirect_target(&base, 302, Some(b"new page.html?q=a b")).unwrap();
        assert_eq!(
            next.to_string(),
            "http://a.example/x/new%20page.html?q=a%20b"
        );
        let next = redirect_target(&base, 301, Some("/é è".as_bytes())).unwrap();
        assert_eq!(next.to_string(), "http://a.example/%C3%A9%20%C3%A8");
        // Other whitespace is still refused.
        assert!(redirect_target(&base, 302, Some(b"a\tb")).is_err());
    }

    #[test]
    fn an_empty_location_is_an_error_at_once() {
        let base = Url::parse("http://a.example/x").unwrap();
        assert!(matches!(
            redirect_target(&base, 302, Some(b"")),
            Err(Error::Protocol { kind: ProtocolErrorKind::Redirect, detail })
                if detail == "redirect 302 with an empty location header"
        ));
    }

    #[test]
    fn a_location_never_brings_credentials() {
        let plain = Url::parse("http://a.example/x").unwrap();
        for location in [
            &b"http://u:p@b.example/"[..],
            b"//u:p@a.example/y",
            b"http://u:p@a.example/",
        ] {
            let next = redirect_target(&plain, 302, Some(location)).unwrap();
            assert!(
                !next.has_credentials(),
                "{:?}",
                String::from_utf8_lossy(location)
            );
        }
        // Nor does it keep those of the URL it redirects from: the client
        // holds them, and decides where they go.
        let with = Url::parse("http://u:p@a.example/x").unwrap();
        assert!(!redirect_target(&with, 302, Some(b"/y"))
            .unwrap()
            .has_credentials());
    }

    #[test]
    fn a_stream_that_never_waits_still_ends_at_the_total_deadline() {
        // Regression: a server sending forever, as fast as it is read, used
        // to starve the total deadline's timer, so the fetch never ended.
        // The body is read here as `follow_and_count` reads it, from a
        // stream that is always ready.
        let total = Duration::from_millis(50);
        let stream = IdleTimeout::new(
            futures_lite::io::repeat(b'x'),
            Duration::from_secs(10),
            TimeoutPhase::Body,
        );
        let mut body = Body::new(stream, Framing::UntilClose, Vec::new());
        let mut counter = Counter::new("x").unwrap();
        let mut buf = vec![0; 64 * 1024];
        let fetch = body.count_into(&mut counter, &mut buf);
        let result = futures_lite::future::block_on(within_total(
            Instant::now().checked_add(total),
            total,
            fetch,
        ));
        assert!(matches!(
            result,
            Err(Error::Timeout {
                phase: TimeoutPhase::Total,
                after
            }) if after == total
        ));
        assert!(counter.count() > 0, "the body was read until the deadline");
    }

    #[test]
    fn work_done_before_the_total_deadline_passes_through() {
        let fetch = async { Ok::<_, Error>(7) };
        let result = futures_lite::future::block_on(within_total(
            Instant::now().checked_add(Duration::from_secs(10)),
            Duration::from_secs(10),
            fetch,
        ));
        assert_eq!(result.unwrap(), 7);
        let result = futures_lite::future::block_on(within_total(None, Duration::MAX, async {
            Ok::<_, Error>("no deadline")
        }));
        assert_eq!(result.unwrap(), "no deadline");
    }
}
