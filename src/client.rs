//! [`Client`]: fetch a URL and count, with timeouts, redirects and policy.
//!
//! One call to [`Client::count`] is a loop over redirect hops:
//!
//! ```text
//! connect (resolve, policy, TCP, TLS) ─► http::get ─► 3xx? join Location, loop
//!                                                  └► 2xx? body ─► Counter
//! ```
//!
//! Three timeouts bound it: each address's connect (and the TLS handshake),
//! an idle timeout on every read, and one total deadline across all hops.

use std::fmt;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use futures_lite::{AsyncRead, AsyncWrite};

use crate::connect::{connect, AddressPolicy, ConnectOptions, Resolver};
use crate::counter::Counter;
use crate::deadline::{self, Elapsed};
use crate::error::{Error, ProtocolErrorKind, TimeoutPhase};
use crate::http::{get_with_agent, DEFAULT_USER_AGENT};
use crate::timeout::IdleTimeout;
use crate::url::{Scheme, Url};

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
    /// Body bytes received and counted.
    pub bytes: u64,
    /// Occurrences of the needle in the body.
    pub count: u64,
    /// Redirects followed.
    pub redirects: u32,
    /// Time from the start of the call to the end of the body.
    pub elapsed: Duration,
}

impl Report {
    /// A report for `url` with nothing counted yet: no redirect
    /// (`final_url` is `url`), status 200, and zero bytes, count and
    /// elapsed time. Set the fields that differ.
    ///
    /// # Example
    ///
    /// ```
    /// let url = netcount::url::Url::parse("http://example.org/")?;
    /// let report = netcount::Report::new(url);
    /// assert_eq!((report.bytes, report.count), (0, 0));
    /// assert!(report.elapsed.is_zero());
    /// # Ok::<(), netcount::Error>(())
    /// ```
    pub fn new(url: Url) -> Report {
        Report {
            final_url: url.clone(),
            url,
            status: 200,
            bytes: 0,
            count: 0,
            redirects: 0,
            elapsed: Duration::ZERO,
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
                progress: None,
            },
            #[cfg(feature = "tls")]
            extra_roots: Vec::new(),
        }
    }
}

impl ClientBuilder {
    /// Limit for each address's TCP connect and for the TLS handshake
    /// (default [`Client::DEFAULT_CONNECT_TIMEOUT`]). When it passes, the
    /// next resolved address is tried.
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
            config: self.config,
        }
    }
}

/// Fetches URLs and counts a needle in their bodies.
///
/// A `Client` holds only settings (and the TLS configuration); it opens one
/// connection per fetch and closes it after. Clone it freely, or share it by
/// reference between tasks.
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
    /// in the final body. The counter is reset first; afterwards it holds
    /// the count, which is also in the [`Report`].
    ///
    /// Fails, rather than returning a count, on anything that makes the
    /// body untrustworthy: a non-2xx final status, an encoding other than
    /// identity, a body shorter than its framing promised, a timeout.
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
    pub async fn count(&self, url: &Url, counter: &mut Counter) -> Result<Report, Error> {
        let deadline = Instant::now().checked_add(self.config.timeout);
        self.count_until(url, counter, deadline).await
    }

    /// [`Client::count`] with the total deadline at `deadline` (`None`:
    /// none) rather than the client's `timeout` from now: the web API
    /// counts its wait for a fetch slot against the same deadline. A
    /// timeout names the client's `timeout` either way.
    pub(crate) async fn count_until(
        &self,
        url: &Url,
        counter: &mut Counter,
        deadline: Option<Instant>,
    ) -> Result<Report, Error> {
        let fetch = self.follow_and_count(url, counter, Instant::now());
        within_total(deadline, self.config.timeout, fetch).await
    }

    /// The redirect loop of [`Client::count`], without the total deadline
    /// (see [`within_total`]).
    async fn follow_and_count(
        &self,
        url: &Url,
        counter: &mut Counter,
        started: Instant,
    ) -> Result<Report, Error> {
        counter.reset();
        let options = ConnectOptions {
            connect_timeout: self.config.connect_timeout,
            policy: self.config.policy.as_ref(),
            resolver: self.config.resolver.as_ref(),
            #[cfg(feature = "tls")]
            tls: &self.tls,
        };
        let mut current = url.clone();
        let mut redirects = 0;
        // Bytes read from the network by this call, every hop included.
        let received = AtomicU64::new(0);
        loop {
            // Connect, send the request, read the head.
            let stream = connect(&current, &options).await?;
            let stream = Metered {
                inner: stream,
                hook: self.config.progress.as_ref(),
                url,
                received: &received,
            };
            let stream = IdleTimeout::new(stream, self.config.read_timeout, TimeoutPhase::Head);
            let response = get_with_agent(stream, &current, &self.config.user_agent).await?;
            let status = response.status();

            // A redirect: work out where to, check it, and go again.
            if matches!(status, 301 | 302 | 303 | 307 | 308) {
                let next = redirect_target(&current, status, response.headers().get("location"))?;
                if redirects == self.config.max_redirects {
                    return Err(Error::TooManyRedirects {
                        max: self.config.max_redirects,
                    });
                }
                redirects += 1;
                current = next;
                continue;
            }

            // The final response: only a 2xx identity body is counted.
            if !(200..300).contains(&status) {
                return Err(Error::Status {
                    code: status,
                    reason: response.reason().to_string(),
                });
            }
            response.check_identity_encoding()?;
            let mut body = response.into_body();
            body.get_mut().set_phase(TimeoutPhase::Body);
            let mut buf = vec![0; self.config.read_buffer];
            let bytes = body.count_into(counter, &mut buf).await?;
            return Ok(Report {
                url: url.clone(),
                final_url: current,
                status,
                bytes,
                count: counter.count(),
                redirects,
                elapsed: started.elapsed(),
            });
        }
    }
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
/// wait, but the body is counted by [`Body::count_into`](crate::http::Body::count_into),
/// which steps aside every few reads, and that is the turn this timer needs.
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
fn redirect_target(current: &Url, status: u16, location: Option<&[u8]>) -> Result<Url, Error> {
    let invalid = |detail: String| Error::protocol(ProtocolErrorKind::Redirect, detail);
    let location =
        location.ok_or_else(|| invalid(format!("redirect {status} without a location header")))?;
    let location = std::str::from_utf8(location)
        .map_err(|_| invalid(format!("redirect {status} to a location that is not utf-8")))?;
    let next = current.join(location)?;
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
