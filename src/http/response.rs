//! The response head: status line, fields, and the body's framing.
//!
//! [`get`] is the whole client exchange over a stream the caller provides:
//! write the request head, read response heads until a final one (skipping
//! interim 1xx responses), and decide how the body is delimited, in the order
//! of RFC 9112 §6.3:
//!
//! 1. `204 No Content` and `304 Not Modified` have no body;
//! 2. `Transfer-Encoding`: only exactly `chunked` is accepted; any other
//!    coding would hide the real bytes, so it is an error. Together with
//!    `Content-Length` it is an error too (RFC 9112 §6.3 item 3: "ought to be
//!    handled as an error"): a framing we cannot trust gives no count;
//! 3. `Content-Length`: digits only; several values must agree;
//! 4. otherwise the body runs until the server closes the connection.
//!
//! What the body's bytes mean is `content.rs`'s decision: decoded per
//! `Content-Encoding` when compressed, or refused.

use futures_lite::{AsyncRead, AsyncWrite, AsyncWriteExt};

use super::body::{Body, Framing};
use super::content::Content;
use super::field::{self, BadLength};
use super::head::{parse_head_with, read_head, shorten, HeadError, Headers, ObsFold};
use super::request::{request_head, RequestOptions};
use crate::error::{Error, ProtocolErrorKind};
use crate::matcher::Tally;
use crate::url::Url;

/// The largest response head accepted, in bytes.
pub const MAX_HEAD_BYTES: usize = 64 * 1024;
/// The most header fields accepted in one response head.
pub const MAX_HEADERS: usize = 128;
/// The most interim (1xx) responses skipped before the final one.
const MAX_INTERIM: usize = 32;
/// How many bytes one read of the head asks for.
const HEAD_READ: usize = 16 * 1024;

/// A response whose head has been read; the body is still in the stream.
///
/// # Example
///
/// ```
/// use netcount::{http, url::Url, Counter};
///
/// # futures_lite::future::block_on(async {
/// // Any `AsyncRead + AsyncWrite + Unpin` works as the transport; here an
/// // in-memory one (what the server "sends" is fixed in advance).
/// let reply = b"HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n.NET & .NET";
/// let stream = netcount::http::Replay::new(reply.to_vec());
///
/// let url = Url::parse("http://example.org/")?;
/// let response = http::get(stream, &url).await?;
/// assert_eq!(response.status(), 200);
///
/// let mut counter = Counter::new(".NET")?;
/// let bytes = response.count(&mut counter).await?;
/// assert_eq!((counter.count(), bytes), (2, 11));
/// # Ok::<(), netcount::Error>(())
/// # }).unwrap();
/// ```
#[derive(Debug)]
pub struct Response<S> {
    /// The HTTP minor version: 0 or 1.
    minor_version: u8,
    /// The final status code, 200..=999 except 1xx.
    status: u16,
    /// The reason phrase as sent (possibly empty).
    reason: String,
    /// The header fields of the final response.
    headers: Headers,
    /// The body reader, positioned at the first body byte.
    body: Body<S>,
}

impl<S: AsyncRead + Unpin> Response<S> {
    /// The status code.
    ///
    /// # Example
    ///
    /// ```
    /// # futures_lite::future::block_on(async {
    /// let stream = netcount::http::Replay::new(b"HTTP/1.1 404 Not Found\r\n\r\n".to_vec());
    /// let url = netcount::url::Url::parse("http://h/")?;
    /// let response = netcount::http::get(stream, &url).await?;
    /// assert_eq!((response.status(), response.reason()), (404, "Not Found"));
    /// # Ok::<(), netcount::Error>(())
    /// # }).unwrap();
    /// ```
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The reason phrase, as sent.
    ///
    /// # Example
    ///
    /// ```
    /// # futures_lite::future::block_on(async {
    /// let stream = netcount::http::Replay::new(b"HTTP/1.1 200 Fine\r\n\r\n".to_vec());
    /// let url = netcount::url::Url::parse("http://h/")?;
    /// assert_eq!(netcount::http::get(stream, &url).await?.reason(), "Fine");
    /// # Ok::<(), netcount::Error>(())
    /// # }).unwrap();
    /// ```
    pub fn reason(&self) -> &str {
        &self.reason
    }

    /// The HTTP version, as `(1, minor)`.
    ///
    /// # Example
    ///
    /// ```
    /// # futures_lite::future::block_on(async {
    /// let stream = netcount::http::Replay::new(b"HTTP/1.0 200 OK\r\n\r\n".to_vec());
    /// let url = netcount::url::Url::parse("http://h/")?;
    /// assert_eq!(netcount::http::get(stream, &url).await?.version(), (1, 0));
    /// # Ok::<(), netcount::Error>(())
    /// # }).unwrap();
    /// ```
    pub fn version(&self) -> (u8, u8) {
        (1, self.minor_version)
    }

    /// The header fields.
    ///
    /// # Example
    ///
    /// ```
    /// # futures_lite::future::block_on(async {
    /// let stream = netcount::http::Replay::new(b"HTTP/1.1 200 OK\r\nX-A: b\r\n\r\n".to_vec());
    /// let url = netcount::url::Url::parse("http://h/")?;
    /// let response = netcount::http::get(stream, &url).await?;
    /// assert_eq!(response.headers().get("x-a"), Some(&b"b"[..]));
    /// # Ok::<(), netcount::Error>(())
    /// # }).unwrap();
    /// ```
    pub fn headers(&self) -> &Headers {
        &self.headers
    }

    /// Whether the server lets the connection carry another request after
    /// this response (RFC 9112 §9.3): in HTTP/1.1 unless it says
    /// `Connection: close`, in HTTP/1.0 only if it says
    /// `Connection: keep-alive`. The body must still be read to its framed
    /// end (see `Body::at_message_end`) before the connection can be reused.
    pub(crate) fn allows_reuse(&self) -> bool {
        let says = |token| field::lists_token(self.headers.get_all("connection"), token);
        !says("close") && (self.minor_version >= 1 || says("keep-alive"))
    }

    /// The body reader, to read the body yourself.
    ///
    /// # Example
    ///
    /// ```
    /// use futures_lite::AsyncReadExt;
    ///
    /// # futures_lite::future::block_on(async {
    /// let reply = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n";
    /// let stream = netcount::http::Replay::new(reply.to_vec());
    /// let url = netcount::url::Url::parse("http://h/")?;
    /// let mut body = netcount::http::get(stream, &url).await?.into_body();
    /// let mut text = String::new();
    /// body.read_to_string(&mut text).await?;
    /// assert_eq!(text, "abc");
    /// # Ok::<(), netcount::Error>(())
    /// # }).unwrap();
    /// ```
    pub fn into_body(self) -> Body<S> {
        self.body
    }

    /// The body's content: the body, decoded if its `Content-Encoding`
    /// says it was compressed. Refuses a coding that cannot be decoded.
    pub(crate) fn into_content(self) -> Result<Content<S>, Error> {
        Content::new(self.body, &self.headers)
    }

    /// Streams the whole content through `counter` (a
    /// [`Counter`](crate::Counter), a regex, any [`Tally`]) and returns its
    /// length in bytes. The counter is reset first and finished at the end, as
    /// [`Client::count`](crate::Client::count) does: afterwards it holds
    /// this body's count.
    ///
    /// A body compressed with gzip, deflate or br (`Content-Encoding`,
    /// feature `compression`) is decoded as it streams, and the count and
    /// the length are those of the decoded content. Any other coding (any
    /// coding at all, without the feature) is refused before anything is
    /// read. It fails, instead of returning a count, if the body ends
    /// before its framing says it is complete, or the compressed stream is
    /// corrupt, cut short or followed by anything. The status is not
    /// checked: that is the caller's policy.
    ///
    /// # Example
    ///
    /// ```
    /// # futures_lite::future::block_on(async {
    /// // The server promised 100 bytes and sent 4: an error, not a count.
    /// let reply = b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n.NET";
    /// let stream = netcount::http::Replay::new(reply.to_vec());
    /// let url = netcount::url::Url::parse("http://h/")?;
    /// let response = netcount::http::get(stream, &url).await?;
    /// let mut counter = netcount::Counter::new(".NET")?;
    /// let error = response.count(&mut counter).await.unwrap_err();
    /// assert!(matches!(error, netcount::Error::Truncated { .. }));
    /// # Ok::<(), netcount::Error>(())
    /// # }).unwrap();
    /// ```
    pub async fn count<T: Tally + ?Sized>(self, counter: &mut T) -> Result<u64, Error> {
        counter.reset();
        let mut content = self.into_content()?;
        let mut buf = vec![0; 64 * 1024];
        content.count_into(counter, &mut buf).await
    }
}

/// Sends a GET for `url` over `stream` and reads the response head.
///
/// This is the bring-your-own-transport entry: `stream` is any connected
/// byte stream (TCP, TLS, a Unix socket, an in-memory pipe, another
/// runtime's socket wrapped in `AsyncRead + AsyncWrite`). No timeouts are
/// applied here; wrap the future or the stream for that, as
/// [`Client`](crate::Client) does. Interim 1xx responses are skipped;
/// `101 Switching Protocols` is an error (we never asked to upgrade).
///
/// # Example
///
/// ```
/// use netcount::{http, url::Url};
///
/// # futures_lite::future::block_on(async {
/// let reply = b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
/// let stream = netcount::http::Replay::new(reply.to_vec());
/// let response = http::get(stream, &Url::parse("http://h/")?).await?;
/// assert_eq!(response.status(), 200);
/// # Ok::<(), netcount::Error>(())
/// # }).unwrap();
/// ```
pub async fn get<S>(stream: S, url: &Url) -> Result<Response<S>, Error>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    get_with(stream, url, &RequestOptions::plain()).await
}

/// [`get`] with the head's other parts (user agent, credentials, headers,
/// proxy form) chosen.
pub(crate) async fn get_with<S>(
    mut stream: S,
    url: &Url,
    options: &RequestOptions<'_>,
) -> Result<Response<S>, Error>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    // Send the request.
    stream.write_all(&request_head(url, options)).await?;
    stream.flush().await?;

    // Read heads until the final one; what follows it is the body's start.
    let mut buf = Vec::with_capacity(HEAD_READ);
    for _ in 0..=MAX_INTERIM {
        let end = read_head(&mut stream, &mut buf, MAX_HEAD_BYTES, HEAD_READ)
            .await
            .map_err(head_error)?;
        let parsed = parse_head_with(&buf[..end], MAX_HEADERS, ObsFold::Unfold)?;
        let (minor_version, status, reason) = parse_status_line(parsed.start_line)?;
        let headers = parsed.headers;
        match status {
            101 => {
                return Err(Error::protocol(
                    ProtocolErrorKind::UnexpectedUpgrade,
                    "unexpected 101 switching protocols (no upgrade was requested)",
                ))
            }
            100..=199 => {
                // An interim response: drop it and read the next head.
                buf.drain(..end);
                continue;
            }
            _ => {}
        }
        let framing = framing(minor_version, status, &headers)?;
        buf.drain(..end);
        return Ok(Response {
            minor_version,
            status,
            reason,
            headers,
            body: Body::new(stream, framing, buf),
        });
    }
    Err(Error::protocol(
        ProtocolErrorKind::TooManyInterim,
        format!("more than {MAX_INTERIM} interim (1xx) responses"),
    ))
}

/// Turns a failure to read a head into the client's error.
pub(crate) fn head_error(error: HeadError) -> Error {
    match error {
        HeadError::TooLarge { limit } => Error::protocol(
            ProtocolErrorKind::HeadTooLarge,
            format!("response head larger than {limit} bytes"),
        ),
        HeadError::Eof { received: 0 } => Error::protocol(
            ProtocolErrorKind::EmptyReply,
            "empty reply: the server closed the connection without a response",
        ),
        HeadError::Eof { received } => Error::protocol(
            ProtocolErrorKind::IncompleteHead,
            format!(
                "connection closed in the middle of the response head (after {received} bytes)"
            ),
        ),
        HeadError::Io(error) => Error::from(error),
    }
}

/// Parses `HTTP/1.x SP 3DIGIT [SP reason]` into (minor version, status,
/// reason).
pub(crate) fn parse_status_line(line: &[u8]) -> Result<(u8, u16, String), Error> {
    let invalid = |detail: String| Error::protocol(ProtocolErrorKind::StatusLine, detail);
    let not_http = || {
        invalid(format!(
            "not an http/1.x response (starts with {:?})",
            shorten(line)
        ))
    };
    let rest = line.strip_prefix(b"HTTP/1.").ok_or_else(not_http)?;
    let (minor_version, rest) = match rest {
        [b'0', b' ', rest @ ..] => (0, rest),
        [b'1', b' ', rest @ ..] => (1, rest),
        _ => return Err(not_http()),
    };
    let (code, reason) = match rest {
        [a, b, c] => ([*a, *b, *c], &[][..]),
        [a, b, c, b' ', reason @ ..] => ([*a, *b, *c], reason),
        _ => return Err(not_http()),
    };
    if !code.iter().all(u8::is_ascii_digit) || code[0] == b'0' {
        return Err(invalid(format!("invalid status code {:?}", shorten(&code))));
    }
    let status = code.iter().fold(0u16, |n, d| n * 10 + u16::from(d - b'0'));
    if status > 599 {
        return Err(invalid(format!("invalid status code {status}")));
    }
    Ok((
        minor_version,
        status,
        String::from_utf8_lossy(reason).into_owned(),
    ))
}

/// Decides how the body of a response to a GET is delimited (RFC 9112 §6.3).
fn framing(minor_version: u8, status: u16, headers: &Headers) -> Result<Framing, Error> {
    if status == 204 || status == 304 {
        return Ok(Framing::Empty);
    }
    let mut transfer_encodings = headers.get_all("transfer-encoding").peekable();
    if transfer_encodings.peek().is_some() {
        if minor_version == 0 {
            return Err(Error::protocol(
                ProtocolErrorKind::Framing,
                "transfer-encoding in an http/1.0 response",
            ));
        }
        if headers.get("content-length").is_some() {
            return Err(Error::protocol(
                ProtocolErrorKind::Framing,
                "both transfer-encoding and content-length: the length is ambiguous",
            ));
        }
        let codings: Vec<&[u8]> = transfer_encodings.flat_map(field::list).collect();
        return match codings.as_slice() {
            [only] if only.eq_ignore_ascii_case(b"chunked") => Ok(Framing::Chunked),
            _ => Err(Error::UnsupportedEncoding {
                header: "transfer-encoding",
                coding: headers
                    .get_all("transfer-encoding")
                    .map(|v| String::from_utf8_lossy(v).into_owned())
                    .collect::<Vec<_>>()
                    .join(", "),
            }),
        };
    }
    let mut length = None;
    for value in headers.get_all("content-length") {
        for item in field::list(value) {
            let parsed = field::content_length(item).map_err(|_: BadLength| {
                Error::protocol(
                    ProtocolErrorKind::ContentLength,
                    format!("invalid content-length {:?}", shorten(item)),
                )
            })?;
            match length {
                Some(seen) if seen != parsed => {
                    return Err(Error::protocol(
                        ProtocolErrorKind::ContentLength,
                        format!("conflicting content-length values {seen} and {parsed}"),
                    ))
                }
                _ => length = Some(parsed),
            }
        }
    }
    Ok(match length {
        Some(length) => Framing::Length(length),
        None => Framing::UntilClose,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::Header;

    fn headers(fields: &[(&str, &str)]) -> Headers {
        Headers::from(
            fields
                .iter()
                .map(|(n, v)| Header {
                    name: n.to_string(),
                    value: v.as_bytes().to_vec(),
                })
                .collect::<Vec<_>>(),
        )
    }

    #[test]
    fn the_response_decides_whether_the_connection_persists() {
        let allows = |head: &str| {
            let url = Url::parse("http://h/").unwrap();
            let stream = crate::http::Replay::new(format!("{head}\r\n"));
            futures_lite::future::block_on(get(stream, &url))
                .unwrap()
                .allows_reuse()
        };
        assert!(allows("HTTP/1.1 200 OK\r\n"));
        assert!(allows("HTTP/1.1 200 OK\r\nConnection: keep-alive\r\n"));
        assert!(!allows("HTTP/1.1 200 OK\r\nConnection: close\r\n"));
        assert!(!allows("HTTP/1.1 200 OK\r\nConnection: Upgrade, CLOSE\r\n"));
        assert!(!allows(
            "HTTP/1.1 200 OK\r\nConnection: x\r\nConnection: close\r\n"
        ));
        assert!(!allows("HTTP/1.0 200 OK\r\n"));
        assert!(allows("HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\n"));
        assert!(!allows(
            "HTTP/1.0 200 OK\r\nConnection: keep-alive, close\r\n"
        ));
        // Not a token list element: `closed` is not `close`.
        assert!(allows("HTTP/1.1 200 OK\r\nConnection: closed\r\n"));
    }

    #[test]
    fn status_lines() {
        assert_eq!(
            parse_status_line(b"HTTP/1.1 200 OK").unwrap(),
            (1, 200, "OK".into())
        );
        assert_eq!(
            parse_status_line(b"HTTP/1.0 404 Not Found").unwrap(),
            (0, 404, "Not Found".into())
        );
        assert_eq!(
            parse_status_line(b"HTTP/1.1 204").unwrap(),
            (1, 204, "".into())
        );
        assert_eq!(
            parse_status_line(b"HTTP/1.1 200 ").unwrap(),
            (1, 200, "".into())
        );
        for bad in [
            &b"HTTP/2 200 OK"[..],
            b"HTTP/1.1 20 OK",
            b"HTTP/1.1 2000 OK",
            b"HTTP/1.1 abc OK",
            b"HTTP/1.1 099 X",
            b"HTTP/1.1 600 X",
            b"ICY 200 OK",
            b"<html>",
            b"",
            b"http/1.1 200 OK",
        ] {
            assert!(
                matches!(
                    parse_status_line(bad),
                    Err(Error::Protocol {
                        kind: ProtocolErrorKind::StatusLine,
                        ..
                    })
                ),
                "{:?}",
                shorten(bad)
            );
        }
    }

    #[test]
    fn framing_follows_rfc_9112_order() {
        let f = |status, fields: &[(&str, &str)]| framing(1, status, &headers(fields));
        assert_eq!(f(204, &[("content-length", "5")]).unwrap(), Framing::Empty);
        assert_eq!(f(304, &[]).unwrap(), Framing::Empty);
        assert_eq!(
            f(200, &[("Transfer-Encoding", "Chunked")]).unwrap(),
            Framing::Chunked
        );
        assert_eq!(
            f(200, &[("content-length", "5")]).unwrap(),
            Framing::Length(5)
        );
        assert_eq!(
            f(200, &[("content-length", "5"), ("content-length", "5")]).unwrap(),
            Framing::Length(5)
        );
        assert_eq!(
            f(200, &[("content-length", "7, 7")]).unwrap(),
            Framing::Length(7)
        );
        assert_eq!(f(200, &[]).unwrap(), Framing::UntilClose);
    }

    #[test]
    fn untrustworthy_framing_is_an_error() {
        let f = |fields: &[(&str, &str)]| framing(1, 200, &headers(fields));
        for bad in [
            &[("transfer-encoding", "gzip, chunked")][..],
            &[("transfer-encoding", "chunked, gzip")],
            &[
                ("transfer-encoding", "chunked"),
                ("transfer-encoding", "chunked"),
            ],
            &[("transfer-encoding", "identity")],
        ] {
            assert!(
                matches!(f(bad), Err(Error::UnsupportedEncoding { .. })),
                "{bad:?}"
            );
        }
        let kind = |result: Result<Framing, Error>| match result {
            Err(Error::Protocol { kind, .. }) => Some(kind),
            _ => None,
        };
        let framing_error = Some(ProtocolErrorKind::Framing);
        assert_eq!(
            kind(f(&[
                ("transfer-encoding", "chunked"),
                ("content-length", "5")
            ])),
            framing_error
        );
        assert_eq!(
            kind(framing(
                0,
                200,
                &headers(&[("transfer-encoding", "chunked")])
            )),
            framing_error
        );
        for bad in [
            &[("content-length", "5"), ("content-length", "6")][..],
            &[("content-length", "5, 6")],
            &[("content-length", "+5")],
            &[("content-length", "-5")],
            &[("content-length", "0x5")],
            &[("content-length", "")],
            &[("content-length", "5 5")],
            &[("content-length", "5,")],
            &[("content-length", "18446744073709551616")],
        ] {
            assert_eq!(
                kind(f(bad)),
                Some(ProtocolErrorKind::ContentLength),
                "{bad:?}"
            );
        }
        assert_eq!(
            f(&[("content-length", "18446744073709551615")]).unwrap(),
            Framing::Length(u64::MAX)
        );
    }
}
