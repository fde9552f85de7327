//! The server's limits: what one client, or all of them, may cost it.

use std::time::Duration;

/// Bounds on inbound requests and outbound fetches. Every field is a hard
/// limit; the defaults suit a small public service.
///
/// Start from [`Limits::default`] and set the fields that differ; more
/// limits may be added in later versions (hence `#[non_exhaustive]`).
///
/// # Example
///
/// ```
/// use std::time::Duration;
/// use netcount::server::Limits;
///
/// let mut limits = Limits::default();
/// assert_eq!(limits.max_head_bytes, 8 * 1024);
/// assert_eq!(limits.max_connections, 256);
///
/// limits.head_timeout = Duration::from_secs(2);
/// assert_ne!(limits, Limits::default());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Largest request head, request line included (431 beyond; 414 when
    /// the request line alone does not fit).
    pub max_head_bytes: usize,
    /// Most header fields in a request (431 beyond).
    pub max_headers: usize,
    /// Time for a whole request head to arrive, counted from the
    /// connection's accept for the first request and from its first byte
    /// for later ones (408 after, which stops slow-drip clients).
    pub head_timeout: Duration,
    /// Most connections served at once; one more gets a 503 and is closed.
    pub max_connections: usize,
    /// How long an open connection may wait, idle, for its next request.
    pub idle_timeout: Duration,
    /// Most requests answered on one connection; the last answer carries
    /// `Connection: close`.
    pub max_requests_per_connection: usize,
    /// Most upstream fetches in progress at once; more wait for a slot.
    pub max_fetches: usize,
    /// Longest wait for a fetch slot (503 after; the wait also counts
    /// against the upstream deadline).
    pub fetch_wait: Duration,
    /// Deadline for one request's upstream work: waiting for a fetch slot,
    /// connecting, redirects and the whole body (504 after).
    pub upstream_timeout: Duration,
    /// Time to write one response to a client that does not read it.
    pub write_timeout: Duration,
    /// After a shutdown signal, how long requests in progress may take to
    /// finish before the server stops anyway.
    pub shutdown_grace: Duration,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_head_bytes: 8 * 1024,
            max_headers: 64,
            head_timeout: Duration::from_secs(10),
            max_connections: 256,
            idle_timeout: Duration::from_secs(15),
            max_requests_per_connection: 100,
            max_fetches: 32,
            fetch_wait: Duration::from_secs(10),
            upstream_timeout: Duration::from_secs(30),
            write_timeout: Duration::from_secs(10),
            shutdown_grace: Duration::from_secs(10),
        }
    }
}
