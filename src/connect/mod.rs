//! Turning a URL into a connected stream: look up, check, connect, (TLS).
//!
//! 1. Look the host up ([`resolver`]): the embedder's [`Resolver`] if one
//!    was given, else the system's through async-net (an IP literal skips
//!    the lookup).
//! 2. Ask the [`AddressPolicy`], if any, about **every** address before
//!    connecting to any; one refusal refuses the host (a name that resolves
//!    to both a public and a private address is not safe to fetch).
//! 3. Race the addresses, Happy Eyeballs style ([`eyeballs`]): interleaved
//!    by family, a new attempt every 250 ms or as soon as one fails, each
//!    within its own connect timeout; the first to connect wins. Only
//!    checked addresses are ever connected to: there is no second lookup.
//! 4. For `https`, run the TLS handshake over that connection.
//!
//! Through a proxy ([`proxy`]), steps 1–3 connect to the proxy instead,
//! and the policy is still asked first about every address of the
//! *target*: the proxy is never asked for what the policy refuses. (It
//! looks the name up again itself; see the README's note on that.) For
//! `https` the proxy is then asked for a `CONNECT` tunnel, and step 4 runs
//! through it, with the target's name.

mod eyeballs;
mod proxy;
mod resolver;

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use async_net::TcpStream;
use futures_lite::{AsyncRead, AsyncWrite};

use crate::deadline::within;
use crate::error::{Error, TimeoutPhase};
use crate::proxy::ProxyServer;
use crate::url::{Scheme, Url};

pub use resolver::Resolver;

/// A check run on every resolved address before connecting: `Ok(())` to
/// allow, `Err(reason)` to refuse. Receives the host name from the URL and
/// one resolved address with the port that would be connected to. It runs
/// on every redirect hop.
///
/// # Example
///
/// ```
/// use std::net::SocketAddr;
/// use netcount::AddressPolicy;
///
/// let policy = AddressPolicy::new(|_host: &str, addr: SocketAddr| {
///     if addr.ip().is_loopback() { Err("loopback".to_string()) } else { Ok(()) }
/// });
/// assert!(policy.check("h", "127.0.0.1:80".parse().unwrap()).is_err());
/// assert!(policy.check("h", "192.0.2.1:80".parse().unwrap()).is_ok());
/// ```
#[derive(Clone)]
pub struct AddressPolicy(Arc<PolicyFn>);

/// The function inside an [`AddressPolicy`].
type PolicyFn = dyn Fn(&str, SocketAddr) -> Result<(), String> + Send + Sync;

impl AddressPolicy {
    /// A policy from a function.
    ///
    /// # Example
    ///
    /// ```
    /// let allow_all = netcount::AddressPolicy::new(|_: &str, _| Ok(()));
    /// assert!(allow_all.check("h", "10.0.0.1:80".parse().unwrap()).is_ok());
    /// ```
    pub fn new(
        check: impl Fn(&str, SocketAddr) -> Result<(), String> + Send + Sync + 'static,
    ) -> Self {
        AddressPolicy(Arc::new(check))
    }

    /// Runs the check on one address.
    ///
    /// # Example
    ///
    /// ```
    /// let deny_all = netcount::AddressPolicy::new(|_: &str, _| Err("no".into()));
    /// assert_eq!(deny_all.check("h", "192.0.2.1:80".parse().unwrap()), Err("no".to_string()));
    /// ```
    pub fn check(&self, host: &str, addr: SocketAddr) -> Result<(), String> {
        (self.0)(host, addr)
    }
}

impl fmt::Debug for AddressPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AddressPolicy(..)")
    }
}

/// A connected stream: plain TCP, or TLS over TCP.
#[derive(Debug)]
pub(crate) enum Stream {
    /// `http://`.
    Tcp(TcpStream),
    /// `https://`.
    #[cfg(feature = "tls")]
    Tls(Box<crate::tls::TlsStream>),
}

/// What [`connect`] needs besides the URL.
#[derive(Debug)]
pub(crate) struct ConnectOptions<'a> {
    /// Limit for each address's TCP connect (and for the TLS handshake).
    pub connect_timeout: Duration,
    /// Checked on every resolved address, if set.
    pub policy: Option<&'a AddressPolicy>,
    /// Looks up domain names; the system's resolver when `None`.
    pub resolver: Option<&'a Resolver>,
    /// TLS settings for `https`.
    #[cfg(feature = "tls")]
    pub tls: &'a crate::tls::TlsConnector,
}

/// Connects to the URL's host, or to `proxy` on its behalf: look up, check
/// every address, race them, [tunnel,] TLS.
///
/// Through a proxy, an `http` URL's stream leads to the proxy, which
/// expects the request in absolute form; an `https` URL's stream is TLS
/// with the target, inside a tunnel.
pub(crate) async fn connect(
    url: &Url,
    proxy: Option<&ProxyServer>,
    options: &ConnectOptions<'_>,
) -> Result<Stream, Error> {
    // Without TLS support, fail before touching the network.
    #[cfg(not(feature = "tls"))]
    if url.scheme() == Scheme::Https {
        return Err(Error::TlsUnavailable);
    }

    let tcp = match proxy {
        None => open(url, options.policy, options).await?,
        Some(proxy) => {
            // The policy judges the target, before the proxy is asked.
            if let Some(policy) = options.policy {
                let addrs = resolver::lookup(url, options.resolver).await?;
                check_all(policy, url, &addrs)?;
            }
            // The proxy itself was chosen by whoever configured the client.
            let tcp = open(proxy.url(), None, options).await?;
            if url.scheme() == Scheme::Http {
                return Ok(Stream::Tcp(tcp));
            }
            let timeout = options.connect_timeout;
            within(timeout, proxy::tunnel(tcp, url, proxy))
                .await
                .map_err(|_| Error::Timeout {
                    phase: TimeoutPhase::Connect,
                    after: timeout,
                })??
        }
    };

    match url.scheme() {
        Scheme::Http => Ok(Stream::Tcp(tcp)),
        #[cfg(feature = "tls")]
        Scheme::Https => {
            let tls = options
                .tls
                .handshake(url, tcp, options.connect_timeout)
                .await?;
            Ok(Stream::Tls(Box::new(tls)))
        }
        #[cfg(not(feature = "tls"))]
        Scheme::Https => unreachable!("refused above"),
    }
}

/// A TCP connection to `url`'s host and port: look up, check every
/// address with `policy` (if any) before connecting to any, race them.
async fn open(
    url: &Url,
    policy: Option<&AddressPolicy>,
    options: &ConnectOptions<'_>,
) -> Result<TcpStream, Error> {
    // Look the host up once.
    let addrs = resolver::lookup(url, options.resolver).await?;

    // Check every address before connecting to any.
    if let Some(policy) = policy {
        check_all(policy, url, &addrs)?;
    }

    // Race the addresses; keep the first that connects.
    let order = eyeballs::interleave(&addrs);
    let timeout = options.connect_timeout;
    eyeballs::race(&order, eyeballs::ATTEMPT_DELAY, |addr| {
        connect_tcp(addr, timeout)
    })
    .await
    .map_err(|tried| Error::Connect {
        host: url.host_str().to_string(),
        port: url.port(),
        tried,
    })
}

/// Asks `policy` about every address of `url`; the first refusal is the
/// error.
fn check_all(policy: &AddressPolicy, url: &Url, addrs: &[SocketAddr]) -> Result<(), Error> {
    for addr in addrs {
        policy
            .check(url.host_str(), *addr)
            .map_err(|reason| Error::AddressNotAllowed {
                host: url.host_str().to_string(),
                addr: *addr,
                reason,
            })?;
    }
    Ok(())
}

/// One connection attempt, given up after `timeout`.
async fn connect_tcp(addr: SocketAddr, timeout: Duration) -> io::Result<TcpStream> {
    let stream = within(timeout, TcpStream::connect(addr))
        .await
        .map_err(|_| {
            io::Error::new(
                io::ErrorKind::TimedOut,
                format!("connect timed out after {timeout:?}"),
            )
        })??;
    // Small writes (the request head) go out at once.
    stream.set_nodelay(true)?;
    Ok(stream)
}

impl AsyncRead for Stream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        match &mut *self {
            Stream::Tcp(s) => Pin::new(s).poll_read(cx, buf),
            #[cfg(feature = "tls")]
            Stream::Tls(s) => Pin::new(&mut **s).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match &mut *self {
            Stream::Tcp(s) => Pin::new(s).poll_write(cx, buf),
            #[cfg(feature = "tls")]
            Stream::Tls(s) => Pin::new(&mut **s).poll_write(cx, buf),
        }
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match &mut *self {
            Stream::Tcp(s) => Pin::new(s).poll_flush(cx),
            #[cfg(feature = "tls")]
            Stream::Tls(s) => Pin::new(&mut **s).poll_flush(cx),
        }
    }

    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match &mut *self {
            Stream::Tcp(s) => Pin::new(s).poll_close(cx),
            #[cfg(feature = "tls")]
            Stream::Tls(s) => Pin::new(&mut **s).poll_close(cx),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use std::net::TcpListener;
    use std::sync::{Arc, Mutex};

    use futures_lite::future;

    #[cfg(not(feature = "tls"))]
    #[test]
    fn https_without_tls_is_a_clear_error_before_any_connection() {
        let url = Url::parse("https://127.0.0.1:1/").unwrap();
        let options = ConnectOptions {
            connect_timeout: Duration::from_secs(1),
            policy: None,
            resolver: None,
        };
        let error = future::block_on(connect(&url, None, &options)).unwrap_err();
        assert!(matches!(error, Error::TlsUnavailable), "{error}");
        assert!(error.to_string().contains("`tls` feature"));
    }

    #[test]
    fn a_refused_address_is_never_connected_to() {
        let url = Url::parse("http://127.0.0.1:9/").unwrap();
        let policy = AddressPolicy::new(|_: &str, _| Err("denied".into()));
        #[cfg(feature = "tls")]
        let tls = crate::tls::TlsConnector::new(&[]).unwrap();
        let options = ConnectOptions {
            connect_timeout: Duration::from_secs(1),
            policy: Some(&policy),
            resolver: None,
            #[cfg(feature = "tls")]
            tls: &tls,
        };
        let error = future::block_on(connect(&url, None, &options)).unwrap_err();
        assert!(matches!(error, Error::AddressNotAllowed { .. }), "{error}");
    }

    #[test]
    fn the_policy_checks_every_address_before_any_attempt() {
        // Two listeners that would both accept a connection at once.
        let allowed = TcpListener::bind("127.0.0.1:0").unwrap();
        let denied = TcpListener::bind("127.0.0.1:0").unwrap();
        let (allowed_addr, denied_addr) =
            (allowed.local_addr().unwrap(), denied.local_addr().unwrap());
        let resolver =
            Resolver::new(move |_, _| async move { Ok(vec![allowed_addr, denied_addr]) });
        let checked = Arc::new(Mutex::new(Vec::new()));
        let policy = {
            let checked = checked.clone();
            AddressPolicy::new(move |_: &str, addr| {
                checked.lock().unwrap().push(addr);
                if addr == denied_addr {
                    Err("denied".into())
                } else {
                    Ok(())
                }
            })
        };
        #[cfg(feature = "tls")]
        let tls = crate::tls::TlsConnector::new(&[]).unwrap();
        let options = ConnectOptions {
            connect_timeout: Duration::from_secs(5),
            policy: Some(&policy),
            resolver: Some(&resolver),
            #[cfg(feature = "tls")]
            tls: &tls,
        };
        let url = Url::parse("http://two.test/").unwrap();

        let error = future::block_on(connect(&url, None, &options)).unwrap_err();

        assert!(
            matches!(error, Error::AddressNotAllowed { addr, .. } if addr == denied_addr),
            "{error}"
        );
        assert_eq!(*checked.lock().unwrap(), [allowed_addr, denied_addr]);
        // Neither listener has a connection waiting: nothing was attempted,
        // not even to the address the policy allowed.
        for listener in [&allowed, &denied] {
            listener.set_nonblocking(true).unwrap();
            let accepted = listener.accept();
            assert!(
                matches!(&accepted, Err(e) if e.kind() == io::ErrorKind::WouldBlock),
                "{accepted:?}"
            );
        }
    }
}
