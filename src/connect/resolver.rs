//! Host name → addresses: the system's resolver through async-net, or one
//! the embedder gives ([`Resolver`]).

use std::fmt;
use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;

use crate::error::Error;
use crate::url::{Host, Url};

/// An asynchronous function from a host name and port to the addresses to
/// connect to, used instead of the system resolver.
///
/// For a DNS library, for pinning names to addresses, or for tests that need
/// a name with several addresses (say, one IPv6 and one IPv4) without
/// editing system files. Set it with
/// [`ClientBuilder::resolver`](crate::ClientBuilder::resolver); without one,
/// the client asks the system through async-net.
///
/// The resolver is asked only about domain names: a URL with an IP address
/// (`http://127.0.0.1/`, `http://[::1]/`) connects to that address. The
/// addresses it returns are used as given, ports included, and are checked
/// by the [`AddressPolicy`](crate::AddressPolicy) like any others; the
/// connect races them by family (Happy Eyeballs), starting with the family
/// of the first one.
///
/// # Example
///
/// ```
/// use std::io;
/// use std::net::SocketAddr;
/// use netcount::Resolver;
///
/// let pinned = Resolver::new(|host: String, port: u16| async move {
///     match host.as_str() {
///         "example.test" => Ok(vec![SocketAddr::from(([127, 0, 0, 1], port))]),
///         _ => Err(io::Error::new(io::ErrorKind::NotFound, "unknown host")),
///     }
/// });
/// let addrs = futures_lite::future::block_on(pinned.lookup("example.test", 8080))?;
/// assert_eq!(addrs, [SocketAddr::from(([127, 0, 0, 1], 8080))]);
/// assert!(futures_lite::future::block_on(pinned.lookup("other.test", 80)).is_err());
///
/// let client = netcount::Client::builder().resolver(pinned).build();
/// # drop(client);
/// # Ok::<(), io::Error>(())
/// ```
#[derive(Clone)]
pub struct Resolver(Arc<ResolveFn>);

/// The function inside a [`Resolver`]. The host is owned so that the future
/// it returns can outlive the call.
type ResolveFn = dyn Fn(String, u16) -> Lookup + Send + Sync;

/// The future a [`ResolveFn`] returns, boxed so that every resolver has the
/// same type.
type Lookup = Pin<Box<dyn Future<Output = io::Result<Vec<SocketAddr>>> + Send>>;

impl Resolver {
    /// A resolver from an async function (or a closure returning a future).
    ///
    /// # Example
    ///
    /// ```
    /// use std::net::SocketAddr;
    ///
    /// // Every name is this machine, on the port asked for.
    /// let local = netcount::Resolver::new(|_host, port| async move {
    ///     Ok(vec![SocketAddr::from(([127, 0, 0, 1], port))])
    /// });
    /// let addrs = futures_lite::future::block_on(local.lookup("anything", 1234)).unwrap();
    /// assert_eq!(addrs[0].port(), 1234);
    /// ```
    pub fn new<F, Fut>(resolve: F) -> Resolver
    where
        F: Fn(String, u16) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = io::Result<Vec<SocketAddr>>> + Send + 'static,
    {
        Resolver(Arc::new(move |host, port| Box::pin(resolve(host, port))))
    }

    /// Asks the resolver for the addresses of `host` on `port`.
    ///
    /// # Example
    ///
    /// ```
    /// use std::io;
    ///
    /// let nothing = netcount::Resolver::new(|_, _| async { Ok(Vec::new()) });
    /// let addrs = futures_lite::future::block_on(nothing.lookup("example.test", 80))?;
    /// assert!(addrs.is_empty());
    /// # Ok::<(), io::Error>(())
    /// ```
    pub async fn lookup(&self, host: &str, port: u16) -> io::Result<Vec<SocketAddr>> {
        (self.0)(host.to_string(), port).await
    }
}

impl fmt::Debug for Resolver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Resolver(..)")
    }
}

/// The URL's addresses, in the resolver's order: an IP literal as it is,
/// a domain name from `resolver` or, without one, from the system.
///
/// An empty answer is an error, so a successful lookup always has at least
/// one address.
pub(crate) async fn lookup(
    url: &Url,
    resolver: Option<&Resolver>,
) -> Result<Vec<SocketAddr>, Error> {
    let port = url.port();
    let addrs = match url.host() {
        Host::Ipv4(ip) => vec![SocketAddr::new(IpAddr::V4(*ip), port)],
        Host::Ipv6(ip) => vec![SocketAddr::new(IpAddr::V6(*ip), port)],
        Host::Domain(name) => {
            let answer = match resolver {
                Some(resolver) => resolver.lookup(name, port).await,
                None => async_net::resolve((name.as_str(), port)).await,
            };
            answer.map_err(|source| Error::Resolve {
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
