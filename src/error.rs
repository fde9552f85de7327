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
//! A broken response ([`Error::Protocol`]) and a body cut short
//! ([`Error::Truncated`]) carry a kind to match on
//! ([`ProtocolErrorKind`], [`TruncationKind`]) beside the detail to read.
//!
//! A compressed body that cannot be decoded (feature `compression`) is
//! `Error::Decode`, carrying the decoder's
//! [`DecodeError`](crate::decode::DecodeError); like the others, it survives
//! the trip through `io::Error`. A coding the client does not know at all
//! is [`Error::UnsupportedEncoding`], with or without the feature.
//!
//! # Example
//!
//! ```
//! use netcount::{Error, TruncationKind};
//!
//! let error = Error::Status { code: 404, reason: "Not Found".into() };
//! assert_eq!(error.to_string(), "http status 404 not found");
//!
//! // Round trip through io::Error.
//! let io: std::io::Error = error.into();
//! assert!(matches!(Error::from(io), Error::Status { code: 404, .. }));
//!
//! // The kind survives the trip too.
//! let cut = Error::Truncated { kind: TruncationKind::Chunked, detail: "no last chunk".into() };
//! let io: std::io::Error = cut.into();
//! assert_eq!(io.kind(), std::io::ErrorKind::UnexpectedEof);
//! assert!(matches!(Error::from(io), Error::Truncated { kind: TruncationKind::Chunked, .. }));
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

/// Which rule of HTTP/1.1 a response broke (see [`Error::Protocol`]).
///
/// The error's `detail` says what exactly was wrong; the kind says where, so
/// a caller can react without reading the text: retry an
/// [`EmptyReply`](ProtocolErrorKind::EmptyReply), report a broken server
/// otherwise.
///
/// # Example
///
/// ```
/// use netcount::{http, url::Url, Error, ProtocolErrorKind};
///
/// # futures_lite::future::block_on(async {
/// let stream = http::Replay::new("ICY 200 OK\r\n\r\n");
/// let error = http::get(stream, &Url::parse("http://h/")?).await.unwrap_err();
/// assert!(matches!(error, Error::Protocol { kind: ProtocolErrorKind::StatusLine, .. }));
/// # Ok::<(), Error>(())
/// # }).unwrap();
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ProtocolErrorKind {
    /// The connection closed before any byte of a response arrived.
    EmptyReply,
    /// The connection closed in the middle of the response head.
    IncompleteHead,
    /// The head did not end within the size limit
    /// ([`MAX_HEAD_BYTES`](crate::http::MAX_HEAD_BYTES)).
    HeadTooLarge,
    /// The status line is not `HTTP/1.x NNN reason`.
    StatusLine,
    /// A header field line is malformed (no colon, an invalid name, a
    /// forbidden character, a folded line).
    HeaderField,
    /// More header fields than allowed
    /// ([`MAX_HEADERS`](crate::http::MAX_HEADERS)).
    TooManyHeaders,
    /// A `101 Switching Protocols`, though no upgrade was asked for.
    UnexpectedUpgrade,
    /// Too many interim (1xx) responses before the final one.
    TooManyInterim,
    /// The headers that frame the body contradict each other or the
    /// version (`Transfer-Encoding` with `Content-Length`, or in HTTP/1.0).
    Framing,
    /// A `Content-Length` that is not a number, or values that disagree.
    ContentLength,
    /// A chunk-size line that is malformed, too long or overflows.
    ChunkSize,
    /// A chunk's data not followed by CRLF (its size was wrong).
    ChunkData,
    /// A trailer field after the last chunk that is malformed, too long, or
    /// one too many.
    Trailer,
    /// A redirect without a usable `Location`.
    Redirect,
}

/// Which framing a truncated body was cut short in (see
/// [`Error::Truncated`]).
///
/// # Example
///
/// ```
/// use netcount::{http, url::Url, Counter, Error, TruncationKind};
///
/// # futures_lite::future::block_on(async {
/// let stream = http::Replay::new("HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n.NET");
/// let response = http::get(stream, &Url::parse("http://h/")?).await?;
/// let error = response.count(&mut Counter::new(".NET")?).await.unwrap_err();
/// assert!(matches!(error, Error::Truncated { kind: TruncationKind::ContentLength, .. }));
/// # Ok::<(), Error>(())
/// # }).unwrap();
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TruncationKind {
    /// Fewer bytes arrived than `Content-Length` promised.
    ContentLength,
    /// A chunked body ended before its last (zero-size) chunk.
    Chunked,
    /// A chunked body ended inside its trailer section.
    Trailers,
    /// A body delimited by the end of the connection ended without TLS
    /// `close_notify`, so the end may have been forged by cutting the
    /// connection.
    MissingCloseNotify,
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
        /// Every address tried, in the order the attempts started (all of
        /// the host's addresses, interleaved by family), each with why it
        /// failed. The first is the resolver's preferred address; its error
        /// is this error's [`source`](std::error::Error::source).
        tried: Vec<(SocketAddr, io::Error)>,
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
    Protocol {
        /// Which rule was broken, to match on.
        kind: ProtocolErrorKind,
        /// What exactly was wrong, for a person.
        detail: String,
    },
    /// The body ended before its framing said it was complete. The count of
    /// a partial body is never reported.
    Truncated {
        /// Which framing was cut short, to match on.
        kind: TruncationKind,
        /// How much arrived, for a person.
        detail: String,
    },
    /// The response used a content or transfer coding the client cannot
    /// decode, so counting its bytes would count the wrong text. (Without
    /// the `compression` feature, that is every content coding.)
    UnsupportedEncoding {
        /// The header that named it (`content-encoding` or
        /// `transfer-encoding`).
        header: &'static str,
        /// The coding, as sent.
        coding: String,
    },
    /// A compressed body could not be decoded: its stream is corrupt, cut
    /// short, followed by stray bytes, or stacks too many codings (feature
    /// `compression`). The count of such a body is never reported.
    ///
    /// The [`DecodeError`](crate::decode::DecodeError) says which coding
    /// failed and how ([`kind`](crate::decode::DecodeError::kind)). An
    /// unknown coding is [`Error::UnsupportedEncoding`] instead.
    #[cfg(feature = "compression")]
    Decode(crate::decode::DecodeError),
    /// A pattern was refused, or a regex could not count the body (a match
    /// that needed more look-ahead than allowed: see
    /// [`PatternError::MatchTooLong`](crate::pattern::PatternError::MatchTooLong)).
    /// The count of such a body is never reported.
    Pattern(crate::pattern::PatternError),
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
    /// A proxy URL (given, or read from the environment) that cannot be
    /// used.
    InvalidProxy {
        /// The proxy URL as given (credentials replaced by `***`), or the
        /// environment variable that held it.
        proxy: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A request header that cannot be sent (see
    /// [`ClientBuilder::header`](crate::ClientBuilder::header)).
    InvalidHeader {
        /// The header's name, as given.
        name: String,
        /// Why it cannot be sent.
        reason: String,
    },
    /// The proxy would not forward the request: it answered `CONNECT`
    /// with a status other than 2xx, or answered an `http` request with
    /// `407 Proxy Authentication Required`.
    ProxyStatus {
        /// The proxy's address, `host:port`.
        proxy: String,
        /// The status code (407: the proxy wants credentials).
        code: u16,
        /// The reason phrase, as sent.
        reason: String,
        /// Whether credentials (from the proxy URL) were sent.
        credentials_sent: bool,
    },
    /// An I/O error from the connection.
    Io(io::Error),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::EmptyNeedle => f.write_str("the needle is empty"),
            Error::Pattern(error) => write!(f, "cannot count the pattern: {error}"),
            Error::InvalidUrl { url, reason } => write!(f, "invalid url {url:?}: {reason}"),
            Error::TlsUnavailable => f.write_str(
                "https is not available in this build (built without the `tls` feature)",
            ),
            Error::Resolve { host, source } => write!(f, "cannot resolve {host}: {source}"),
            Error::AddressNotAllowed { host, addr, reason } => {
                write!(f, "destination not allowed: {host} resolves to {addr} ({reason})")
            }
            Error::Connect { host, port, tried } => {
                write!(f, "cannot connect to {host} port {port}: ")?;
                for (i, (addr, error)) in tried.iter().enumerate() {
                    let sep = if i == 0 { "" } else { "; " };
                    write!(f, "{sep}{addr}: {error}")?;
                }
                Ok(())
            }
            Error::Tls { kind, message } => write!(f, "{kind}: {}", message.to_lowercase()),
            Error::InvalidCertificate(what) => write!(f, "invalid ca certificate: {what}"),
            Error::Timeout { phase, after } => {
                write!(f, "timed out after {after:?} waiting for {phase}")
            }
            Error::Protocol { detail, .. } => write!(f, "invalid http response: {detail}"),
            Error::Truncated { detail, .. } => write!(f, "body truncated: {detail}"),
            Error::UnsupportedEncoding { header, coding } => write!(
                f,
                "unsupported {header} {coding:?}: the body cannot be decoded, so it cannot be counted"
            ),
            #[cfg(feature = "compression")]
            Error::Decode(error) => write!(f, "{error}"),
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
            Error::InvalidProxy { proxy, reason } => write!(f, "invalid proxy {proxy:?}: {reason}"),
            Error::InvalidHeader { name, reason } => {
                write!(f, "cannot send header {name:?}: {reason}")
            }
            Error::ProxyStatus {
                proxy,
                code,
                reason,
                credentials_sent,
            } => {
                write!(f, "proxy {proxy} refused the request: http status {code}")?;
                if !reason.is_empty() {
                    write!(f, " {}", reason.to_lowercase())?;
                }
                match (code, credentials_sent) {
                    (407, false) => write!(
                        f,
                        " (credentials needed: put them in the proxy url, \
                         http://user:password@{proxy})"
                    ),
                    (407, true) => f.write_str(" (the credentials in the proxy url were refused)"),
                    _ => Ok(()),
                }
            }
            Error::Io(error) => write!(f, "i/o error: {error}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Resolve { source, .. } => Some(source),
            Error::Connect { tried, .. } => tried.first().map(|(_, error)| error as _),
            Error::Io(error) => Some(error),
            #[cfg(feature = "compression")]
            Error::Decode(error) => Some(error),
            _ => None,
        }
    }
}

impl Error {
    /// A [`Error::Protocol`] of `kind`.
    pub(crate) fn protocol(kind: ProtocolErrorKind, detail: impl Into<String>) -> Error {
        Error::Protocol {
            kind,
            detail: detail.into(),
        }
    }

    /// A [`Error::Truncated`] of `kind`.
    pub(crate) fn truncated(kind: TruncationKind, detail: impl Into<String>) -> Error {
        Error::Truncated {
            kind,
            detail: detail.into(),
        }
    }

    /// The variant's name in `snake_case`, stable across releases: a short
    /// machine-readable code for JSON output and logs.
    ///
    /// # Example
    ///
    /// ```
    /// use netcount::{Error, TruncationKind};
    ///
    /// let error = Error::Truncated { kind: TruncationKind::Chunked, detail: "x".into() };
    /// assert_eq!(error.kind(), "truncated");
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
            Error::Protocol { .. } => "protocol",
            Error::Truncated { .. } => "truncated",
            Error::UnsupportedEncoding { .. } => "unsupported_encoding",
            #[cfg(feature = "compression")]
            Error::Decode(_) => "decode",
            Error::Pattern(_) => "pattern",
            Error::Status { .. } => "status",
            Error::TooManyRedirects { .. } => "too_many_redirects",
            Error::InsecureRedirect { .. } => "insecure_redirect",
            Error::InvalidProxy { .. } => "invalid_proxy",
            Error::InvalidHeader { .. } => "invalid_header",
            Error::ProxyStatus { .. } => "proxy_status",
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
            // The decoder's own error goes back in as it came out, so
            // `Error::from` finds it again.
            #[cfg(feature = "compression")]
            Error::Decode(inner) => return inner.into(),
            Error::Timeout { .. } => io::ErrorKind::TimedOut,
            Error::Truncated { .. } => io::ErrorKind::UnexpectedEof,
            _ => io::ErrorKind::InvalidData,
        };
        io::Error::new(kind, error)
    }
}

impl From<io::Error> for Error {
    /// Unwraps an [`Error`] (or a decoder's
    /// [`DecodeError`](crate::decode::DecodeError)) that travelled inside an
    /// `io::Error`; any other `io::Error` becomes [`Error::Io`].
    fn from(error: io::Error) -> Error {
        let error = match error.downcast::<Error>() {
            Ok(inner) => return inner,
            Err(error) => error,
        };
        #[cfg(feature = "compression")]
        let error = match error.downcast::<crate::decode::DecodeError>() {
            Ok(inner) => return Error::from(inner),
            Err(error) => error,
        };
        Error::Io(error)
    }
}

#[cfg(feature = "compression")]
impl From<crate::decode::DecodeError> for Error {
    /// An unknown coding becomes [`Error::UnsupportedEncoding`] (the same
    /// error a build without the `compression` feature gives); every other
    /// decoding failure becomes `Error::Decode`.
    ///
    /// # Example
    ///
    /// ```
    /// use netcount::decode::{ContentDecoder, DecodeErrorKind};
    /// use netcount::Error;
    ///
    /// let unknown = ContentDecoder::from_header_values(["zstd"]).unwrap_err();
    /// assert!(matches!(
    ///     Error::from(unknown),
    ///     Error::UnsupportedEncoding { header: "content-encoding", coding } if coding == "zstd"
    /// ));
    /// let stacked = ContentDecoder::from_header_values(["br, br, br, br"]).unwrap_err();
    /// assert!(matches!(
    ///     Error::from(stacked),
    ///     Error::Decode(e) if e.kind() == DecodeErrorKind::Unsupported
    /// ));
    /// ```
    fn from(error: crate::decode::DecodeError) -> Error {
        if error.unsupported_coding().is_empty() {
            Error::Decode(error)
        } else {
            Error::UnsupportedEncoding {
                header: "content-encoding",
                coding: error.unsupported_coding().to_string(),
            }
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

impl From<crate::pattern::PatternError> for Error {
    /// A pattern's refusal, or a regex's failure while counting.
    fn from(error: crate::pattern::PatternError) -> Error {
        Error::Pattern(error)
    }
}

#[cfg(all(test, feature = "compression"))]
mod tests {
    use super::*;
    use crate::decode::{ContentDecoder, DecodeErrorKind};
    use futures_lite::AsyncReadExt;

    /// The error of decoding `body` under `coding`, as a reader returns it.
    fn decode_failure(coding: &str, body: Vec<u8>) -> io::Error {
        let decoder = ContentDecoder::from_header_values([coding]).unwrap();
        let mut decoded = decoder.decode(crate::http::Replay::new(body));
        let mut out = Vec::new();
        futures_lite::future::block_on(decoded.read_to_end(&mut out)).unwrap_err()
    }

    #[test]
    fn a_decode_error_survives_the_round_trip_through_io_error() {
        let cut = decode_failure("gzip", vec![0x1f, 0x8b, 8]);
        let corrupt = decode_failure("deflate", vec![0x78, 0x9c, 0xff, 0xff, 0xff]);
        for (io_error, kind, io_kind) in [
            (
                cut,
                DecodeErrorKind::Truncated,
                io::ErrorKind::UnexpectedEof,
            ),
            (
                corrupt,
                DecodeErrorKind::Corrupt,
                io::ErrorKind::InvalidData,
            ),
        ] {
            let error = Error::from(io_error);
            assert!(
                matches!(&error, Error::Decode(e) if e.kind() == kind),
                "{error:?}"
            );
            assert_eq!(error.kind(), "decode");
            let message = error.to_string();
            // And back: the same io kind, and the same error once more.
            let io_error = io::Error::from(error);
            assert_eq!(io_error.kind(), io_kind);
            let error = Error::from(io_error);
            assert!(matches!(&error, Error::Decode(e) if e.kind() == kind));
            assert_eq!(error.to_string(), message);
            assert!(std::error::Error::source(&error).is_some());
        }
    }

    #[test]
    fn an_unknown_coding_converts_to_unsupported_encoding_both_ways() {
        let error = Error::from(ContentDecoder::from_header_values(["zstd"]).unwrap_err());
        assert_eq!(error.kind(), "unsupported_encoding");
        let back = Error::from(io::Error::from(error));
        assert!(matches!(
            back,
            Error::UnsupportedEncoding { header: "content-encoding", coding } if coding == "zstd"
        ));
    }
}
