//! Request heads: the request line and the few fields the server acts on.
//!
//! The head is read and split by the same code the client uses for
//! response heads ([`crate::http::head`]); this module adds what only a
//! server checks. Anything it cannot serve safely is refused with the
//! response to send, after which the connection is closed.
//!
//! [`read_request`] is the whole inbound path short of timeouts: it works
//! over any `AsyncRead`, so it can be driven by an in-memory stream.

use futures_lite::AsyncRead;

use crate::http::field::{self, BadLength};
use crate::http::head::{parse_head, read_head, shorten, HeadError};
use crate::http::Headers;
use crate::url::Url;

use super::limits::Limits;
use super::reply::Reply;

/// How many bytes each read of a request head asks for.
const READ_SIZE: usize = 4096;

/// A request the routes can answer: a checked request head.
///
/// # Example
///
/// ```
/// use netcount::fuzzing::{read_request, Request};
/// use netcount::server::Limits;
///
/// let mut stream = netcount::http::Replay::new("GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n");
/// let mut buf = Vec::new();
/// let request = smol::block_on(read_request(&mut stream, &mut buf, &Limits::default()));
/// let expected = Request {
///     method: "GET".into(),
///     path: "/healthz".into(),
///     query: None,
///     keep_alive: true,
/// };
/// assert_eq!(request, Ok(Some(expected)));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// The method, as sent (methods are case-sensitive).
    pub method: String,
    /// The path of the target, still percent-encoded.
    pub path: String,
    /// The query of the target (after `?`), still encoded.
    pub query: Option<String>,
    /// Whether the client lets the connection stay open after the response.
    pub keep_alive: bool,
}

/// Why a request is refused: the response to send before closing.
type Refusal = Reply;

/// Reads one request head from `stream` and checks it.
///
/// `buf` holds bytes read but not yet used: it may already contain the
/// start of this request (pipelined after the previous one), and on
/// success the head is removed from it, leaving whatever followed. It
/// never grows past `limits.max_head_bytes` plus one read of 4 KiB.
///
/// - `Ok(Some(request))`: a request to answer.
/// - `Ok(None)`: the client closed (or the stream failed) before a whole
///   head arrived; there is no one to answer.
/// - `Err(refusal)`: a 4xx or 5xx response to send before closing the
///   connection: a head over `limits.max_head_bytes` (414 when not even
///   the request line fits, 431 otherwise), or any refusal of the head
///   itself (see the module documentation).
///
/// Timeouts are the caller's: wrap the future in a timer.
///
/// # Example
///
/// ```
/// use netcount::{fuzzing::read_request, server::Limits};
///
/// // Two pipelined requests, then a malformed one.
/// let sent = "GET /a HTTP/1.1\r\nHost: h\r\n\r\nGET /b?x=1 HTTP/1.0\r\n\r\nGET\r\n\r\n";
/// let mut stream = netcount::http::Replay::new(sent);
/// let (mut buf, limits) = (Vec::new(), Limits::default());
/// smol::block_on(async {
///     let first = read_request(&mut stream, &mut buf, &limits).await.unwrap().unwrap();
///     assert_eq!((first.path.as_str(), first.keep_alive), ("/a", true));
///     let second = read_request(&mut stream, &mut buf, &limits).await.unwrap().unwrap();
///     assert_eq!((second.query.as_deref(), second.keep_alive), (Some("x=1"), false));
///     let refusal = read_request(&mut stream, &mut buf, &limits).await.unwrap_err();
///     assert_eq!(refusal.status, 400);
///     // The client has nothing more to say.
///     assert_eq!(read_request(&mut stream, &mut buf, &limits).await, Ok(None));
/// });
/// ```
pub async fn read_request<S: AsyncRead + Unpin>(
    stream: &mut S,
    buf: &mut Vec<u8>,
    limits: &Limits,
) -> Result<Option<Request>, Reply> {
    // Read the head, within its size limit.
    let len = match read_head(stream, buf, limits.max_head_bytes, READ_SIZE).await {
        Ok(len) => len,
        Err(HeadError::TooLarge { limit }) => return Err(too_large_head(buf, limit)),
        // The client went away mid-head; there is no one to answer.
        Err(HeadError::Eof { .. } | HeadError::Io(_)) => return Ok(None),
    };

    // Parse and check it; keep what follows for the next request.
    let request = parse_request(&buf[..len], limits.max_headers);
    buf.drain(..len);
    request.map(Some)
}

/// The refusal of a head over the size limit: 414 when not even the
/// request line fits, 431 otherwise.
fn too_large_head(buf: &[u8], limit: usize) -> Refusal {
    let line_fits = memchr::memchr(b'\n', &buf[..buf.len().min(limit)]).is_some();
    if line_fits {
        Reply::error(
            431,
            "header_fields_too_large",
            &format!("the request head is larger than {limit} bytes"),
        )
    } else {
        Reply::error(
            414,
            "uri_too_long",
            &format!("the request line is longer than {limit} bytes"),
        )
    }
}

/// Parses and checks a head as delimited by `read_head`.
///
/// Refuses (always with a response, then the connection closes): a
/// malformed request line or field (400), an HTTP version other than 1.x
/// (505), more than `max_headers` fields (431), a missing or repeated
/// `Host` in HTTP/1.1 (400), `Content-Length` together with
/// `Transfer-Encoding` (400, the classic request-smuggling ambiguity), and
/// any request body (413: none of the routes takes one, and not reading a
/// body means never having to frame one).
fn parse_request(head: &[u8], max_headers: usize) -> Result<Request, Refusal> {
    // Split into lines and fields; the field count is checked here so too
    // many fields is a 431, not a generic 400.
    let parsed = parse_head(head, usize::MAX).map_err(|e| bad_request(&e.detail))?;
    if parsed.headers.len() > max_headers {
        return Err(Reply::error(
            431,
            "header_fields_too_large",
            &format!("more than {max_headers} header fields"),
        ));
    }

    // The request line: method SP target SP version.
    let line = parsed.start_line;
    let parts: Vec<&[u8]> = line.split(|&b| b == b' ').collect();
    let [method, target, version] = parts[..] else {
        return Err(bad_request(&format!(
            "malformed request line {:?}",
            shorten(line)
        )));
    };
    if !field::is_token(method) {
        return Err(bad_request(&format!(
            "invalid method {:?}",
            shorten(method)
        )));
    }
    let http11 = match version {
        b"HTTP/1.1" => true,
        b"HTTP/1.0" => false,
        [b'H', b'T', b'T', b'P', b'/', major, b'.', minor]
            if major.is_ascii_digit() && minor.is_ascii_digit() =>
        {
            return Err(Reply::error(
                505,
                "http_version_not_supported",
                &format!("{} is not supported; use HTTP/1.1", shorten(version)),
            ));
        }
        _ => {
            return Err(bad_request(&format!(
                "invalid version {:?}",
                shorten(version)
            )))
        }
    };
    let (path, query) = split_target(target)?;

    // The fields the server acts on.
    check_host(&parsed.headers, http11)?;
    check_no_body(&parsed.headers)?;
    let keep_alive = http11 && !field::lists_token(parsed.headers.get_all("connection"), "close");

    Ok(Request {
        // Checked above: tchars only, so ASCII.
        method: String::from_utf8_lossy(method).into_owned(),
        path,
        query,
        keep_alive,
    })
}

/// A 400 with `message`.
fn bad_request(message: &str) -> Refusal {
    Reply::error(400, "bad_request", message)
}

/// Splits the request target into path and query. Accepts the origin form
/// (`/path?query`) and, as RFC 9112 §3.2.2 requires of servers, the
/// absolute form (`http://host/path?query`, whose host is ignored).
fn split_target(target: &[u8]) -> Result<(String, Option<String>), Refusal> {
    if target.is_empty() || !target.iter().all(|b| b.is_ascii_graphic()) {
        return Err(bad_request(&format!(
            "invalid request target {:?}",
            shorten(target)
        )));
    }
    // Checked above: visible ASCII, so valid UTF-8.
    let target = std::str::from_utf8(target).expect("ascii");
    let origin_form = if target.starts_with('/') {
        target.to_string()
    } else if target.len() > 8 && target[..8].eq_ignore_ascii_case("https://")
        || target.len() > 7 && target[..7].eq_ignore_ascii_case("http://")
    {
        let url = Url::parse(target).map_err(|e| bad_request(&e.to_string()))?;
        url.request_target().to_string()
    } else {
        return Err(bad_request(&format!(
            "invalid request target {:?}",
            shorten(target.as_bytes())
        )));
    };
    Ok(match origin_form.split_once('?') {
        Some((path, query)) => (path.to_string(), Some(query.to_string())),
        None => (origin_form, None),
    })
}

/// HTTP/1.1 requires exactly one `Host` (RFC 9112 §3.2); HTTP/1.0 at most
/// one.
fn check_host(headers: &Headers, http11: bool) -> Result<(), Refusal> {
    match headers.get_all("host").count() {
        0 if http11 => Err(bad_request("missing host header")),
        0 | 1 => Ok(()),
        _ => Err(bad_request("more than one host header")),
    }
}

/// Refuses a request that has, or might have, a body.
fn check_no_body(headers: &Headers) -> Result<(), Refusal> {
    let has_te = headers.get("transfer-encoding").is_some();
    let lengths: Vec<&[u8]> = headers.get_all("content-length").collect();
    if has_te && !lengths.is_empty() {
        return Err(bad_request(
            "content-length together with transfer-encoding is not allowed",
        ));
    }
    if has_te {
        return Err(too_large());
    }
    for length in lengths {
        match field::content_length(length) {
            Ok(0) => {}
            // A body, or one too long to count: either way, one we refuse.
            Ok(_) | Err(BadLength::TooLarge) => return Err(too_large()),
            Err(BadLength::NotDigits) => {
                return Err(bad_request(&format!(
                    "invalid content-length {:?}",
                    shorten(length)
                )))
            }
        }
    }
    Ok(())
}

/// The refusal of a request body.
fn too_large() -> Refusal {
    Reply::error(413, "content_too_large", "request bodies are not accepted")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every request read from `sent` until a refusal or the end, as
    /// `Ok(path)` or `Err(status)`.
    fn read_all(sent: &[u8], piece: usize, limits: &Limits) -> Vec<Result<String, u16>> {
        let mut stream = crate::http::Replay::new(sent).with_read_sizes(&[piece]);
        let mut buf = Vec::new();
        let mut outcomes = Vec::new();
        smol::block_on(async {
            loop {
                match read_request(&mut stream, &mut buf, limits).await {
                    Ok(Some(request)) => outcomes.push(Ok(request.path)),
                    Ok(None) => return outcomes,
                    Err(refusal) => {
                        outcomes.push(Err(refusal.status));
                        return outcomes;
                    }
                }
            }
        })
    }

    #[test]
    fn pipelined_requests_read_the_same_in_any_split() {
        let sent = b"GET /a HTTP/1.1\r\nHost: h\r\n\r\nGET /b HTTP/1.1\nHost: h\n\nGET /c HTTP/1.1\r\nHost: h\r\n\r";
        let limits = Limits::default();
        let expected = vec![Ok("/a".to_string()), Ok("/b".to_string())];
        for piece in [1, 2, 3, 7, 4096] {
            assert_eq!(read_all(sent, piece, &limits), expected, "piece {piece}");
        }
    }

    #[test]
    fn heads_over_the_size_limit_are_414_or_431_in_any_split() {
        let limits = Limits {
            max_head_bytes: 32,
            ..Limits::default()
        };
        let long_line = format!("GET /{} HTTP/1.1\r\nHost: h\r\n\r\n", "a".repeat(40));
        let long_head = format!("GET / HTTP/1.1\r\nHost: h\r\nX: {}\r\n\r\n", "a".repeat(40));
        // A head that ends exactly at the limit is still read.
        let exact = "GET / HTTP/1.1\r\nHost: hhhhhh\r\n\r\n";
        assert_eq!(exact.len(), 32);
        for piece in [1, 5, 4096] {
            let read = |sent: &str| read_all(sent.as_bytes(), piece, &limits);
            assert_eq!(read(&long_line), [Err(414)]);
            assert_eq!(read(&long_head), [Err(431)]);
            assert_eq!(read(exact), [Ok("/".to_string())]);
        }
    }

    fn parse(head: &str) -> Result<Request, u16> {
        parse_request(head.as_bytes(), 4).map_err(|r| r.status)
    }

    #[test]
    fn accepts_origin_and_absolute_forms() {
        let request = parse("GET /count?url=x HTTP/1.1\r\nHost: a\r\n\r\n").unwrap();
        assert_eq!(
            (request.method.as_str(), request.path.as_str()),
            ("GET", "/count")
        );
        assert_eq!(request.query.as_deref(), Some("url=x"));
        assert!(request.keep_alive);
        let request = parse("HEAD http://a/healthz HTTP/1.1\r\nHost: a\r\n\r\n").unwrap();
        assert_eq!((request.path.as_str(), request.query), ("/healthz", None));
    }

    #[test]
    fn connection_close_and_http_1_0_end_the_connection() {
        let request = parse("GET / HTTP/1.1\r\nHost: a\r\nConnection: x, Close\r\n\r\n");
        assert!(!request.unwrap().keep_alive);
        assert!(!parse("GET / HTTP/1.0\r\n\r\n").unwrap().keep_alive);
    }

    #[test]
    fn refusals_and_their_statuses() {
        let cases = [
            ("GET /\r\n\r\n", 400),
            ("GET  / HTTP/1.1\r\nHost: a\r\n\r\n", 400),
            ("G(T / HTTP/1.1\r\nHost: a\r\n\r\n", 400),
            ("GET x HTTP/1.1\r\nHost: a\r\n\r\n", 400),
            ("GET /\x7f HTTP/1.1\r\nHost: a\r\n\r\n", 400),
            ("GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505),
            ("GET / HTTP/1.1x\r\nHost: a\r\n\r\n", 400),
            ("GET / HTTP/1.1\r\n\r\n", 400),
            ("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
            ("GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n", 431),
            ("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n", 413),
            ("GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n", 413),
            (
                "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\nTransfer-Encoding: chunked\r\n\r\n",
                400,
            ),
            ("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n", 400),
            ("GET / HTTP/1.1\r\nHost: a\r\nBad Name: 1\r\n\r\n", 400),
        ];
        for (head, status) in cases {
            assert_eq!(parse(head).err(), Some(status), "{head:?}");
        }
        assert!(parse("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 00\r\n\r\n").is_ok());
        let huge = "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999999\r\n\r\n";
        assert_eq!(parse(huge).err(), Some(413));
    }
}
