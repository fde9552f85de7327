//! Turning a URL into a connected stream: resolve, connect, (TLS).
//!
//! 1. Resolve the host with async-net (an IP literal skips DNS).
//! 2. Ask the [`AddressPolicy`], if any, about **every** resolved address;
//!    one refusal refuses the host (a name that resolves to both a public
//!    and a private address is not safe to fetch).
//! 3. Try the addresses in the resolver's order, each with its own connect
//!    timeout, and keep the first that answers. Only checked addresses are
//!    ever connected to: there is no second lookup.
//! 4. For `https`, run the TLS handshake over that connection.

use std::fmt;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use async_net::TcpStream;
use futures_lite::{future, AsyncRead, AsyncWrite};

use crate::error::Error;
use crate::url::{Host, Scheme, Url};

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
    /// TLS settings for `https`.
    #[cfg(feature = "tls")]
    pub tls: &'a crate::tls::TlsConnector,
}

/// Looks up the URL's host in DNS and returns its addresses, in resolver order.
async fn lookup(url: &Url) -> Result<Vec<SocketAddr>, Error> {
    let port = url.port();
    let addrs = match url.host() {
        Host::Ipv4(ip) => vec![SocketAddr::new(IpAddr::V4(*ip), port)],
        Host::Ipv6(ip) => vec![SocketAddr::new(IpAddr::V6(*ip), port)],
        Host::Domain(name) => {
            async_net::resolve((name.as_str(), port))
                .await
                .map_err(|source| Error::Resolve {
                    host: name.clone(),
                    source,
                })?
        }
    };
    if addrs.is_empty() {
        return Err(Error::Resolve {
            host: url.host_str().to_string(),
            source: io::Error::new(io::ErrorKind::NotFound, "no addresses found"),
        });
    }
    Ok(addrs)
}

/// Connects to the URL's host: resolve, check, try each address, TLS.
pub(crate) async fn connect(url: &Url, options: &ConnectOptions<'_>) -> Result<Stream, Error> {
    // Without TLS support, fail before touching the network.
    #[cfg(not(feature = "tls"))]
    if url.scheme() == Scheme::Https {
        return Err(Error::TlsUnavailable);
    }

    // Resolve once.
    let addrs = lookup(url).await?;

    // Check every address before connecting to any.
    if let Some(policy) = options.policy {
        for addr in &addrs {
            policy
                .check(url.host_str(), *addr)
                .map_err(|reason| Error::AddressNotAllowed {
                    host: url.host_str().to_string(),
                    addr: *addr,
                    reason,
                })?;
        }
    }

    // Try each address in order; keep the first that answers.
    let tcp = connect_any(url, &addrs, options.connect_timeout).await?;

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

/// Tries `addrs` in order, each within `timeout`.
async fn connect_any(
    url: &Url,
    addrs: &[SocketAddr],
    timeout: Duration,
) -> Result<TcpStream, Error> {
    let mut last_error = None;
    for (i, &addr) in addrs.iter().enumerate() {
        let attempt = async { TcpStream::connect(addr).await };
        let expired = async {
            async_io::Timer::after(timeout).await;
            Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!("connect timed out after {timeout:?}"),
            ))
        };
        match future::or(attempt, expired).await {
            Ok(stream) => {
                // Small writes (the request head) go out at once.
                stream.set_nodelay(true)?;
                return Ok(stream);
            }
            Err(error) => last_error = Some((i, error)),
        }
    }
    let (last, source) = last_error.expect("lookup returns at least one address");
    Err(Error::Connect {
        host: url.host_str().to_string(),
        port: url.port(),
        tried: addrs[..=last].to_vec(),
        source,
    })
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

    #[cfg(not(feature = "tls"))]
    #[test]
    fn https_without_tls_is_a_clear_error_before_any_connection() {
        let url = Url::parse("https://127.0.0.1:1/").unwrap();
        let options = ConnectOptions {
            connect_timeout: Duration::from_secs(1),
            policy: None,
        };
        let error = future::block_on(connect(&url, &options)).unwrap_err();
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
            #[cfg(feature = "tls")]
            tls: &tls,
        };
        let error = future::block_on(connect(&url, &options)).unwrap_err();
        assert!(matches!(error, Error::AddressNotAllowed { .. }), "{error}");
    }
}
