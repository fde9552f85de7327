//! The one error type of the crate.
//!
//! Every failure a fetch can meet is a variant of [`Error`], so a caller can
//! `match` on what went wrong. Messages are lower-case and specific: they name
//! the limit that was hit, the numbers that disagree, the addresses tried.
//!
//! [`Error`] converts to and from [`std::io::Error`] without losing itself:
//! the body reader is an [`AsyncRead`](futures_lite::AsyncRead), which can
//! only return `io::Error`, so a protocol error inside it travels wrapped in
//! an `io::Error` and is unwrapped again by `Error::from`.
//!
//! # Example
//!
//! ```
//! use netcount::Error;
//!
//! let error = Error::Status { code: 404, reason: "Not Found".into() };
//! assert_eq!(error.to_string(), "http status 404 not found");
//!
//! // Round trip through io::Error.
//! let io: std::io::Error = error.into();
//! assert!(matches!(Error::from(io), Error::Status { code: 404, .. }));
//! ```

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::time::Duration;

/// What the client was waiting for when a timeout fired.
///
/// # Example
///
/// ```
/// use netcount::TimeoutPhase;
///
/// assert_eq!(TimeoutPhase::Connect.to_string(), "connecting");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TimeoutPhase {
    /// Establishing a TCP connection to one address.
    Connect,
    /// The TLS handshake.
    Handshake,
    /// Waiting for (the rest of) the response head.
    Head,
    /// Waiting for the next piece of the body (idle read timeout).
    Body,
    /// The whole fetch, redirects included, took longer than the total
    /// deadline.
    Total,
}

impl fmt::Display for TimeoutPhase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TimeoutPhase::Connect => "connecting",
            TimeoutPhase::Handshake => "the tls handshake",
            TimeoutPhase::Head => "the response head",
            TimeoutPhase::Body => "body data",
            TimeoutPhase::Total => "the whole fetch",
        })
    }
}

/// Why a TLS connection could not be established.
///
/// # Example
///
/// ```
/// use netcount::TlsFailure;
///
/// assert_eq!(TlsFailure::Expired.to_string(), "certificate expired");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TlsFailure {
    /// The certificate chain does not lead to a trusted root.
    UntrustedCertificate,
    /// The certificate is expired (or not yet valid).
    Expired,
    /// The certificate is valid, but not for the host name in the URL.
    NameMismatch,
    /// Any other failure of the handshake (protocol versions, ciphers,
    /// alerts, a peer that does not speak TLS).
    Handshake,
}

impl fmt::Display for TlsFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TlsFailure::UntrustedCertificate => "certificate not trusted",
            TlsFailure::Expired => "certificate expired",
            TlsFailure::NameMismatch => "certificate does not match the host name",
            TlsFailure::Handshake => "tls handshake failed",
        })
    }
}

/// Everything that can go wrong while counting.
///
/// # Example
///
/// ```
/// use netcount::{Counter, Error};
///
/// match Counter::new("").map_err(Error::from) {
///     Err(Error::EmptyNeedle) => {}
///     other => panic!("expected an error, got {other:?}"),
/// }
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The needle was empty; there is nothing to count.
    EmptyNeedle,
    /// The URL could not be parsed or is not an `http`/`https` URL.
    InvalidUrl {
        /// The input as given (shortened if very long).
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// An `https` URL, but the crate was built without the `tls` feature.
    TlsUnavailable,
    /// The host name could not be resolved to any address.
    Resolve {
        /// The host name.
        host: String,
        /// The resolver's error.
        source: io::Error,
    },
    /// A resolved address was refused by the client's address policy (see
    /// [`ClientBuilder::address_policy`](crate::ClientBuilder::address_policy)).
    AddressNotAllowed {
        /// The host name from the URL.
        host: String,
        /// The address (and port) that was refused.
        addr: SocketAddr,
        /// Why the policy refused it.
        reason: String,
    },
    /// No address of the host accepted a connection.
    Connect {
        /// The host name from the URL.
        host: String,
        /// The port.
        port: u16,
        /// Every address tried, in order.
        tried: Vec<SocketAddr>,
        /// The error of the last address tried.
        source: io::Error,
    },
    /// A TLS handshake failed.
    Tls {
        /// The kind of failure.
        kind: TlsFailure,
        /// The TLS library's description.
        message: String,
    },
    /// A CA certificate given to the client could not be used.
    InvalidCertificate(String),
    /// A timeout fired.
    Timeout {
        /// What the client was waiting for.
        phase: TimeoutPhase,
        /// The timeout that elapsed.
        after: Duration,
    },
    /// The server's response broke HTTP/1.1 in a way that makes the body
    /// untrustworthy.
    Protocol(String),
    /// The body ended before its framing said it was complete. The count of
    /// a partial body is never reported.
    Truncated(String),
    /// The response used a content or transfer coding the client cannot
    /// decode, so counting its bytes would count the wrong text.
    UnsupportedEncoding {
        /// The header that named it (`content-encoding` or
        /// `transfer-encoding`).
        header: &'static str,
        /// The coding, as sent.
        coding: String,
    },
    /// The final response had a status other than 2xx.
    Status {
        /// The status code.
        code: u16,
        /// The reason phrase, as sent.
        reason: String,
    },
    /// More redirects than allowed.
    TooManyRedirects {
        /// The limit that was reached.
        max: u32,
    },
    /// A redirect from `https` to `http`, which would drop encryption.
    InsecureRedirect {
        /// The URL that redirected.
        from: String,
        /// Where it redirected to.
        to: String,
    },
    /// An I/O error from the connection.
    Io(io::Error),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::EmptyNeedle => f.write_str("the needle is empty"),
            Error::InvalidUrl { url, reason } => write!(f, "invalid url {url:?}: {reason}"),
            Error::TlsUnavailable => f.write_str(
                "https is not available in this build (built without the `tls` feature)",
            ),
            Error::Resolve { host, source } => write!(f, "cannot resolve {host}: {source}"),
            Error::AddressNotAllowed { host, addr, reason } => {
                write!(f, "destination not allowed: {host} resolves to {addr} ({reason})")
            }
            Error::Connect {
                host,
                port,
                tried,
                source,
            } => {
                write!(f, "cannot connect to {host} port {port}: {source} (tried ")?;
                for (i, addr) in tried.iter().enumerate() {
                    let sep = if i == 0 { "" } else { ", " };
                    write!(f, "{sep}{addr}")?;
                }
                f.write_str(")")
            }
            Error::Tls { kind, message } => write!(f, "{kind}: {}", message.to_lowercase()),
            Error::InvalidCertificate(what) => write!(f, "invalid ca certificate: {what}"),
            Error::Timeout { phase, after } => {
                write!(f, "timed out after {after:?} waiting for {phase}")
            }
            Error::Protocol(what) => write!(f, "invalid http response: {what}"),
            Error::Truncated(what) => write!(f, "body truncated: {what}"),
            Error::UnsupportedEncoding { header, coding } => write!(
                f,
                "unsupported {header} {coding:?}: the body cannot be decoded, so it cannot be counted"
            ),
            Error::Status { code, reason } => {
                write!(f, "http status {code}")?;
                if !reason.is_empty() {
                    write!(f, " {}", reason.to_lowercase())?;
                }
                Ok(())
            }
            Error::TooManyRedirects { max } => write!(f, "too many redirects (more than {max})"),
            Error::InsecureRedirect { from, to } => {
                write!(f, "refusing redirect from https to http ({from} -> {to})")
            }
            Error::Io(error) => write!(f, "i/o error: {error}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Resolve { source, .. } | Error::Connect { source, .. } => Some(source),
            Error::Io(error) => Some(error),
            _ => None,
        }
    }
}

impl Error {
    /// The variant's name in `snake_case`, stable across releases: a short
    /// machine-readable code for JSON output and logs.
    ///
    /// # Example
    ///
    /// ```
    /// use netcount::Error;
    ///
    /// assert_eq!(Error::Truncated("x".into()).kind(), "truncated");
    /// ```
    pub fn kind(&self) -> &'static str {
        match self {
            Error::EmptyNeedle => "empty_needle",
            Error::InvalidUrl { .. } => "invalid_url",
            Error::TlsUnavailable => "tls_unavailable",
            Error::Resolve { .. } => "resolve",
            Error::AddressNotAllowed { .. } => "address_not_allowed",
            Error::Connect { .. } => "connect",
            Error::Tls { .. } => "tls",
            Error::InvalidCertificate(_) => "invalid_certificate",
            Error::Timeout { .. } => "timeout",
            Error::Protocol(_) => "protocol",
            Error::Truncated(_) => "truncated",
            Error::UnsupportedEncoding { .. } => "unsupported_encoding",
            Error::Status { .. } => "status",
            Error::TooManyRedirects { .. } => "too_many_redirects",
            Error::InsecureRedirect { .. } => "insecure_redirect",
            Error::Io(_) => "io",
        }
    }
}

impl From<Error> for io::Error {
    /// Wraps the error so it can travel through `AsyncRead`; `Error::Io` is
    /// unwrapped instead of nested.
    fn from(error: Error) -> io::Error {
        let kind = match error {
            Error::Io(inner) => return inner,
            Error::Timeout { .. } => io::ErrorKind::TimedOut,
            Error::Truncated(_) => io::ErrorKind::UnexpectedEof,
            _ => io::ErrorKind::InvalidData,
        };
        io::Error::new(kind, error)
    }
}

impl From<io::Error> for Error {
    /// Unwraps an [`Error`] that travelled inside an `io::Error`; any other
    /// `io::Error` becomes [`Error::Io`].
    fn from(error: io::Error) -> Error {
        match error.downcast::<Error>() {
            Ok(inner) => inner,
            Err(error) => Error::Io(error),
        }
    }
}

impl From<crate::counter::CounterError> for Error {
    /// The counter's own error, where a function reports the network error
    /// type (so `Counter::new(needle)?` works in it).
    fn from(error: crate::counter::CounterError) -> Error {
        match error {
            crate::counter::CounterError::EmptyNeedle => Error::EmptyNeedle,
        }
    }
}
