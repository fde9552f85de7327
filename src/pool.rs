//! Idle connections kept for reuse, per origin.
//!
//! Opening a connection costs at least one round trip (TCP), and for `https`
//! one or two more (TLS). A [`Pool`] keeps connections whose last response
//! ended cleanly, so the next request to the same origin can skip all that.
//!
//! # How it works
//!
//! The pool is a map from [`Origin`] (scheme, host, port, and the proxy the
//! connection goes through) to a queue of idle connections, oldest first.
//! It is only data behind a mutex: no task, no timer, no executor. Work
//! happens when a fetch calls it:
//!
//! - [`Pool::put`] parks a connection. It gets a deadline: the pool's idle
//!   timeout, or the server's `Keep-Alive: timeout=` if that is sooner. When
//!   an origin or the whole pool is full, the connection idle the longest
//!   is closed to make room.
//! - [`Pool::take`] hands out the connection parked most recently (the one
//!   least likely to have been closed by the server). Before that, it asks
//!   the caller's probe whether the connection is still usable; a
//!   connection the server closed, or one with bytes nobody asked for, is
//!   closed and the next one tried. [`is_open`] is that probe for a stream.
//! - Both first close every connection past its deadline. Without a timer,
//!   an expired connection stays open until the client's next fetch (or
//!   until the client is dropped), but it is never handed out.
//!
//! Connections are closed (dropped) after the lock is released, so closing
//! a socket never holds up another task's fetch.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use futures_lite::{AsyncRead, AsyncWrite};

use crate::url::{Scheme, Url};

/// Where a connection goes: requests to one origin can share connections.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Origin {
    /// `http` or `https`.
    scheme: Scheme,
    /// The host as in the URL: lower-case name, or IP address text.
    host: String,
    /// The port connected to (the scheme's default when the URL has none).
    port: u16,
    /// The proxy the connection goes through, if any (`scheme://host:port`).
    proxy: Option<String>,
}

impl Origin {
    /// The origin of `url`, reached directly (`proxy` `None`) or through a
    /// proxy.
    pub(crate) fn new(url: &Url, proxy: Option<&str>) -> Origin {
        Origin {
            scheme: url.scheme(),
            host: url.host_str().to_string(),
            port: url.port(),
            proxy: proxy.map(str::to_string),
        }
    }
}

/// How many connections a pool keeps, and for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PoolLimits {
    /// Most idle connections per origin.
    pub(crate) max_idle_per_origin: usize,
    /// Most idle connections in all.
    pub(crate) max_idle: usize,
    /// Longest time a connection stays idle.
    pub(crate) idle_timeout: Duration,
}

impl PoolLimits {
    /// Whether these limits keep anything at all (any zero turns pooling
    /// off).
    pub(crate) fn enabled(&self) -> bool {
        self.max_idle_per_origin > 0 && self.max_idle > 0 && !self.idle_timeout.is_zero()
    }
}

/// Idle connections by origin, shared by every clone of the pool.
pub(crate) struct Pool<C> {
    /// The limits, fixed at construction.
    limits: PoolLimits,
    /// The parked connections. Never locked across an `.await`.
    idle: Arc<Mutex<Idle<C>>>,
}

/// The state behind the pool's lock.
struct Idle<C> {
    /// Parked connections per origin, in the order they were parked (front
    /// oldest). No queue is empty and none is longer than
    /// `max_idle_per_origin`.
    by_origin: HashMap<Origin, VecDeque<Parked<C>>>,
    /// The number of connections in all queues; at most `max_idle`.
    total: usize,
}

/// One idle connection.
struct Parked<C> {
    /// The connection, positioned between responses.
    conn: C,
    /// When it was parked; orders evictions across origins.
    since: Instant,
    /// When it must no longer be handed out.
    expires: Instant,
}

impl<C> Clone for Pool<C> {
    fn clone(&self) -> Pool<C> {
        Pool {
            limits: self.limits,
            idle: self.idle.clone(),
        }
    }
}

impl<C> fmt::Debug for Pool<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pool")
            .field("limits", &self.limits)
            .field("idle", &self.lock().total)
            .finish()
    }
}

impl<C> Pool<C> {
    /// An empty pool with these limits.
    pub(crate) fn new(limits: PoolLimits) -> Pool<C> {
        Pool {
            limits,
            idle: Arc::new(Mutex::new(Idle {
                by_origin: HashMap::new(),
                total: 0,
            })),
        }
    }

    /// Whether connections are kept at all.
    pub(crate) fn enabled(&self) -> bool {
        self.limits.enabled()
    }

    /// The number of idle connections, expired ones included.
    #[cfg(test)]
    pub(crate) fn idle_count(&self) -> usize {
        self.lock().total
    }

    /// The pool's state. A panic while it was held cannot have left it
    /// inconsistent (no code that can panic runs between the updates of
    /// `by_origin` and `total`), so a poisoned lock is still used.
    fn lock(&self) -> MutexGuard<'_, Idle<C>> {
        self.idle.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The most recently parked connection to `origin` for which `usable`
    /// says yes, or `None`. Connections past their deadline, and those
    /// `usable` refuses, are closed.
    pub(crate) fn take(
        &self,
        origin: &Origin,
        now: Instant,
        mut usable: impl FnMut(&mut C) -> bool,
    ) -> Option<C> {
        let mut closing = Vec::new();
        let found = {
            let mut idle = self.lock();
            idle.expire(now, &mut closing);
            let mut found = None;
            while let Some(mut parked) = idle.pop_newest(origin) {
                if usable(&mut parked.conn) {
                    found = Some(parked.conn);
                    break;
                }
                closing.push(parked.conn);
            }
            found
        };
        drop(closing);
        found
    }

    /// Parks `conn` for `origin`, for the pool's idle timeout or
    /// `server_timeout` (the server's `Keep-Alive: timeout=`), whichever is
    /// shorter. Closes it instead when pooling is off or the server's
    /// timeout is zero; closes the longest-idle connection of the origin, or
    /// of the whole pool, when either is full.
    pub(crate) fn put(
        &self,
        origin: Origin,
        conn: C,
        now: Instant,
        server_timeout: Option<Duration>,
    ) {
        let keep = server_timeout.map_or(self.limits.idle_timeout, |server| {
            server.min(self.limits.idle_timeout)
        });
        if !self.enabled() || keep.is_zero() {
            return;
        }
        let mut closing = Vec::new();
        {
            let mut idle = self.lock();
            idle.expire(now, &mut closing);
            let queue = idle.by_origin.entry(origin).or_default();
            queue.push_back(Parked {
                conn,
                since: now,
                expires: now + keep,
            });
            let over = queue.len() > self.limits.max_idle_per_origin;
            if over {
                closing.extend(queue.pop_front().map(|p| p.conn));
            } else {
                idle.total += 1;
            }
            if idle.total > self.limits.max_idle {
                closing.extend(idle.pop_oldest());
            }
        }
        drop(closing);
    }
}

impl<C> Idle<C> {
    /// Moves every connection whose deadline is at or before `now` into
    /// `closing`.
    fn expire(&mut self, now: Instant, closing: &mut Vec<C>) {
        let mut removed = 0;
        self.by_origin.retain(|_, queue| {
            let before = queue.len();
            // Deadlines are not in order (each may be cut by the server's
            // keep-alive timeout), so look at every entry.
            for parked in std::mem::take(queue) {
                if parked.expires > now {
                    queue.push_back(parked);
                } else {
                    closing.push(parked.conn);
                }
            }
            removed += before - queue.len();
            !queue.is_empty()
        });
        self.total -= removed;
    }

    /// Removes the most recently parked connection to `origin`.
    fn pop_newest(&mut self, origin: &Origin) -> Option<Parked<C>> {
        let queue = self.by_origin.get_mut(origin)?;
        let parked = queue.pop_back();
        if queue.is_empty() {
            self.by_origin.remove(origin);
        }
        self.total -= usize::from(parked.is_some());
        parked
    }

    /// Removes the connection idle the longest, of any origin.
    fn pop_oldest(&mut self) -> Option<C> {
        let origin = self
            .by_origin
            .iter()
            .filter_map(|(origin, queue)| Some((queue.front()?.since, origin)))
            .min_by_key(|(since, _)| *since)
            .map(|(_, origin)| origin.clone())?;
        let queue = self.by_origin.get_mut(&origin)?;
        let parked = queue.pop_front();
        if queue.is_empty() {
            self.by_origin.remove(&origin);
        }
        self.total -= usize::from(parked.is_some());
        parked.map(|p| p.conn)
    }
}

/// A connection as the client uses it: the stream, whether it was reused,
/// and how many bytes were read from it.
///
/// The byte count tells a failure before the response's first byte (on a
/// reused connection, the server may have closed it just as the request
/// went out: worth one retry on a new connection) from a failure later (a
/// broken response: never retried).
#[derive(Debug)]
pub(crate) struct Connection<S> {
    /// The transport.
    stream: S,
    /// Whether it came out of the pool (it carried an earlier response).
    reused: bool,
    /// Bytes read from `stream` so far; only grows.
    bytes_read: u64,
}

impl<S> Connection<S> {
    /// A newly opened connection.
    pub(crate) fn new(stream: S) -> Connection<S> {
        Connection {
            stream,
            reused: false,
            bytes_read: 0,
        }
    }

    /// Marks the connection as reused, as it leaves the pool.
    pub(crate) fn reuse(mut self) -> Connection<S> {
        self.reused = true;
        self
    }

    /// Whether it came out of the pool.
    pub(crate) fn reused(&self) -> bool {
        self.reused
    }

    /// Bytes read from it so far.
    pub(crate) fn bytes_read(&self) -> u64 {
        self.bytes_read
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Connection<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.stream).poll_read(cx, buf);
        if let Poll::Ready(Ok(n)) = polled {
            self.bytes_read += n as u64;
        }
        polled
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Connection<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_close(cx)
    }
}

/// Whether an idle connection can carry another request: nothing to read
/// and not closed.
///
/// Between responses the server has nothing to say. If a read completes at
/// once, the connection is unusable either way: end of stream (the server
/// closed it), an error (reset), or bytes nobody asked for. Only a read
/// that would have to wait means the connection is open and quiet.
///
/// The read is polled exactly once, with a waker that does nothing, so no
/// executor is involved and nothing is left waiting: a stream that is not
/// ready just remembers a waker that will never be used. For TLS the read
/// goes through rustls, so a `close_notify` alert counts as closed, and
/// session tickets that arrived late are taken in on the way.
pub(crate) fn is_open<S: AsyncRead + Unpin>(stream: &mut S) -> bool {
    let mut cx = Context::from_waker(Waker::noop());
    let mut byte = [0u8; 1];
    let polled: Poll<io::Result<usize>> = Pin::new(stream).poll_read(&mut cx, &mut byte);
    polled.is_pending()
}

/// The `timeout` parameter of a `Keep-Alive` response header
/// (`Keep-Alive: timeout=5, max=100`): how long the server keeps an idle
/// connection open. `None` when absent or not a number of seconds.
pub(crate) fn keep_alive_timeout(value: &[u8]) -> Option<Duration> {
    value.split(|&b| b == b',').find_map(|param| {
        let (name, value) = param.split_at(param.iter().position(|&b| b == b'=')?);
        if !name.trim_ascii().eq_ignore_ascii_case(b"timeout") {
            return None;
        }
        let value = value[1..].trim_ascii();
        let value = value
            .strip_prefix(b"\"")
            .and_then(|v| v.strip_suffix(b"\""))
            .unwrap_or(value);
        if value.is_empty() || value.len() > 9 || !value.iter().all(u8::is_ascii_digit) {
            return None;
        }
        let seconds = value.iter().fold(0u64, |n, d| n * 10 + u64::from(d - b'0'));
        Some(Duration::from_secs(seconds))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    use std::io::Write;
    use std::net::{Shutdown, TcpListener};
    use std::rc::Rc;

    fn origin(url: &str) -> Origin {
        Origin::new(&Url::parse(url).unwrap(), None)
    }

    fn limits(per_origin: usize, total: usize, idle_secs: u64) -> PoolLimits {
        PoolLimits {
            max_idle_per_origin: per_origin,
            max_idle: total,
            idle_timeout: Duration::from_secs(idle_secs),
        }
    }

    fn all(_: &mut u32) -> bool {
        true
    }

    #[test]
    fn origins_differ_by_scheme_host_port_and_proxy() {
        assert_eq!(origin("http://a.test/x"), origin("http://A.test:80/y?z"));
        assert_ne!(origin("http://a.test/"), origin("https://a.test/"));
        assert_ne!(origin("http://a.test/"), origin("http://b.test/"));
        assert_ne!(origin("http://a.test/"), origin("http://a.test:8080/"));
        let url = Url::parse("http://a.test/").unwrap();
        assert_ne!(
            Origin::new(&url, None),
            Origin::new(&url, Some("http://proxy.test:3128"))
        );
    }

    #[test]
    fn a_parked_connection_is_taken_once_and_only_for_its_origin() {
        let pool = Pool::new(limits(64, 256, 30));
        let now = Instant::now();
        pool.put(origin("http://a.test/"), 1u32, now, None);
        assert_eq!(pool.take(&origin("http://b.test/"), now, all), None);
        assert_eq!(pool.take(&origin("https://a.test/"), now, all), None);
        assert_eq!(pool.take(&origin("http://a.test/"), now, all), Some(1));
        assert_eq!(pool.take(&origin("http://a.test/"), now, all), None);
        assert_eq!(pool.idle_count(), 0);
    }

    #[test]
    fn clones_share_the_idle_connections() {
        let pool = Pool::new(limits(64, 256, 30));
        let clone = pool.clone();
        let now = Instant::now();
        clone.put(origin("http://a.test/"), 7u32, now, None);
        assert_eq!(pool.take(&origin("http://a.test/"), now, all), Some(7));
    }

    #[test]
    fn the_most_recently_parked_goes_out_first() {
        let pool = Pool::new(limits(64, 256, 30));
        let now = Instant::now();
        for conn in 1..=3u32 {
            pool.put(origin("http://a.test/"), conn, now, None);
        }
        let order: Vec<_> = (0..3)
            .filter_map(|_| pool.take(&origin("http://a.test/"), now, all))
            .collect();
        assert_eq!(order, [3, 2, 1]);
    }

    #[test]
    fn an_unusable_connection_is_closed_and_the_next_tried() {
        let pool = Pool::new(limits(64, 256, 30));
        let now = Instant::now();
        for conn in 1..=3u32 {
            pool.put(origin("http://a.test/"), conn, now, None);
        }
        let mut probed = Vec::new();
        let taken = pool.take(&origin("http://a.test/"), now, |c| {
            probed.push(*c);
            *c == 1
        });
        assert_eq!((taken, probed), (Some(1), vec![3, 2, 1]));
        assert_eq!(pool.idle_count(), 0);
    }

    #[test]
    fn idle_connections_expire_after_the_pools_timeout_or_the_servers() {
        let pool = Pool::new(limits(8, 8, 30));
        let t0 = Instant::now();
        let a = origin("http://a.test/");
        pool.put(a.clone(), 1u32, t0, None);
        pool.put(a.clone(), 2u32, t0, Some(Duration::from_secs(5)));
        pool.put(a.clone(), 3u32, t0, Some(Duration::from_secs(60)));
        // At 10 s the one the server keeps 5 s is gone; 60 s is cut to 30 s.
        let at_10 = t0 + Duration::from_secs(10);
        assert_eq!(pool.take(&a, at_10, all), Some(3));
        assert_eq!(pool.idle_count(), 1);
        assert_eq!(pool.take(&a, t0 + Duration::from_secs(30), all), None);
        assert_eq!(pool.idle_count(), 0);
    }

    #[test]
    fn a_put_closes_what_has_expired_elsewhere() {
        let pool = Pool::new(limits(8, 8, 1));
        let t0 = Instant::now();
        pool.put(origin("http://a.test/"), 1u32, t0, None);
        pool.put(
            origin("http://b.test/"),
            2u32,
            t0 + Duration::from_secs(2),
            None,
        );
        assert_eq!(pool.idle_count(), 1);
    }

    #[test]
    fn a_full_origin_closes_its_longest_idle_connection() {
        let pool = Pool::new(limits(2, 10, 30));
        let t0 = Instant::now();
        let a = origin("http://a.test/");
        for conn in 1..=3u32 {
            pool.put(
                a.clone(),
                conn,
                t0 + Duration::from_millis(conn.into()),
                None,
            );
        }
        assert_eq!(pool.idle_count(), 2);
        let left: Vec<_> = (0..3).filter_map(|_| pool.take(&a, t0, all)).collect();
        assert_eq!(left, [3, 2]);
    }

    #[test]
    fn a_full_pool_closes_the_longest_idle_connection_of_any_origin() {
        let pool = Pool::new(limits(10, 2, 30));
        let t0 = Instant::now();
        let (a, b) = (origin("http://a.test/"), origin("http://b.test/"));
        pool.put(b.clone(), 1u32, t0, None);
        pool.put(a.clone(), 2u32, t0 + Duration::from_millis(1), None);
        pool.put(a.clone(), 3u32, t0 + Duration::from_millis(2), None);
        assert_eq!(pool.idle_count(), 2);
        assert_eq!(pool.take(&b, t0, all), None);
        assert_eq!(pool.take(&a, t0, all), Some(3));
        assert_eq!(pool.take(&a, t0, all), Some(2));
    }

    #[test]
    fn any_zero_limit_turns_pooling_off() {
        let now = Instant::now();
        for limits in [limits(0, 10, 30), limits(10, 0, 30), limits(10, 10, 0)] {
            let pool = Pool::new(limits);
            assert!(!pool.enabled());
            pool.put(origin("http://a.test/"), 1u32, now, None);
            assert_eq!(pool.take(&origin("http://a.test/"), now, all), None);
        }
        // A server that keeps idle connections for 0 s: nothing to park.
        let pool = Pool::new(limits(64, 256, 30));
        pool.put(origin("http://a.test/"), 1u32, now, Some(Duration::ZERO));
        assert_eq!(pool.idle_count(), 0);
    }

    #[test]
    fn connections_are_closed_when_evicted_and_when_the_pool_goes() {
        // An `Rc` per connection: its strong count shows whether the pool
        // still holds it.
        let pool = Pool::new(limits(1, 1, 30));
        let now = Instant::now();
        let (first, second) = (Rc::new(()), Rc::new(()));
        pool.put(origin("http://a.test/"), first.clone(), now, None);
        pool.put(origin("http://a.test/"), second.clone(), now, None);
        assert_eq!(Rc::strong_count(&first), 1);
        assert_eq!(Rc::strong_count(&second), 2);
        drop(pool);
        assert_eq!(Rc::strong_count(&second), 1);
    }

    #[test]
    fn keep_alive_timeouts_parse() {
        let t = |v: &str| keep_alive_timeout(v.as_bytes());
        assert_eq!(t("timeout=5, max=100"), Some(Duration::from_secs(5)));
        assert_eq!(t("max=100,Timeout = 7"), Some(Duration::from_secs(7)));
        assert_eq!(t("timeout=\"3\""), Some(Duration::from_secs(3)));
        assert_eq!(t("timeout=0"), Some(Duration::ZERO));
        for bad in [
            "",
            "max=5",
            "timeout=",
            "timeout=-1",
            "timeout=1.5",
            "timeout=9999999999",
        ] {
            assert_eq!(t(bad), None, "{bad:?}");
        }
    }

    /// A connected pair over loopback: (our async end, the server's end).
    fn pair() -> (async_net::TcpStream, std::net::TcpStream) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (server, _) = listener.accept().unwrap();
        (async_net::TcpStream::try_from(client).unwrap(), server)
    }

    /// Polls `is_open` until it reports a change or a second has passed:
    /// the server's close or bytes take a moment to arrive even on
    /// loopback.
    fn settles_to(stream: &mut async_net::TcpStream, expected: bool) -> bool {
        let end = Instant::now() + Duration::from_secs(1);
        loop {
            let open = is_open(stream);
            if open == expected || Instant::now() > end {
                return open;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    #[test]
    fn a_quiet_open_connection_is_open() {
        let (mut client, _server) = pair();
        assert!(is_open(&mut client));
        assert!(is_open(&mut client), "probing twice changes nothing");
    }

    #[test]
    fn a_connection_the_server_closed_is_not_open() {
        let (mut client, server) = pair();
        server.shutdown(Shutdown::Both).unwrap();
        drop(server);
        assert!(!settles_to(&mut client, false));
    }

    #[test]
    fn a_connection_with_unrequested_bytes_is_not_open() {
        let (mut client, mut server) = pair();
        server
            .write_all(b"HTTP/1.1 408 Request Timeout\r\n\r\n")
            .unwrap();
        assert!(!settles_to(&mut client, false));
    }
}
