//! Reading and splitting an HTTP/1.1 message head, for both directions.
//!
//! A head is a start line, header fields, and an empty line. Both the client
//! (reading a response) and the server (reading a request) need the same two
//! steps, kept here so they are written once:
//!
//! 1. [`read_head`]: read from the stream until the empty line, never holding
//!    more than a fixed number of bytes. Whatever was read past the empty
//!    line is the start of the body and stays in the buffer.
//! 2. [`parse_head`]: split the head into its start line and [`Headers`],
//!    refusing malformed fields and counting them against a limit.
//!
//! Lines may end in CRLF or a bare LF (RFC 9112 §2.2 allows a recipient to
//! accept bare LF); a bare CR anywhere else is an error.

use std::io;

use futures_lite::{AsyncRead, AsyncReadExt};

use super::field;
use crate::error::{Error, ProtocolErrorKind};

/// One header field, as received.
///
/// # Example
///
/// ```
/// use netcount::http::Header;
///
/// let header = Header { name: "Content-Length".into(), value: b"42".to_vec() };
/// assert_eq!(header.value_str(), Some("42"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// The field name, as sent (compare with `eq_ignore_ascii_case`).
    pub name: String,
    /// The field value, without surrounding whitespace. Usually ASCII, but
    /// HTTP allows other bytes, so it is kept as bytes.
    pub value: Vec<u8>,
}

impl Header {
    /// The value as text, if it is valid UTF-8.
    ///
    /// # Example
    ///
    /// ```
    /// use netcount::http::Header;
    ///
    /// let header = Header { name: "X".into(), value: vec![0xff] };
    /// assert_eq!(header.value_str(), None);
    /// ```
    pub fn value_str(&self) -> Option<&str> {
        std::str::from_utf8(&self.value).ok()
    }
}

/// The header fields of a message, in the order received.
///
/// # Example
///
/// ```
/// use netcount::http::{Header, Headers};
///
/// let headers = Headers::from(vec![
///     Header { name: "Content-Type".into(), value: b"text/html".to_vec() },
/// ]);
/// assert_eq!(headers.get("content-type"), Some(&b"text/html"[..]));
/// assert_eq!(headers.len(), 1);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Headers(Vec<Header>);

impl Headers {
    /// The value of the first field named `name` (case-insensitive).
    ///
    /// # Example
    ///
    /// ```
    /// use netcount::http::{Header, Headers};
    ///
    /// let headers = Headers::from(vec![Header { name: "Host".into(), value: b"a".to_vec() }]);
    /// assert_eq!(headers.get("HOST"), Some(&b"a"[..]));
    /// assert_eq!(headers.get("accept"), None);
    /// ```
    pub fn get<'a>(&'a self, name: &'a str) -> Option<&'a [u8]> {
        self.get_all(name).next()
    }

    /// The values of every field named `name` (case-insensitive), in order.
    ///
    /// # Example
    ///
    /// ```
    /// use netcount::http::{Header, Headers};
    ///
    /// let headers = Headers::from(vec![
    ///     Header { name: "Via".into(), value: b"a".to_vec() },
    ///     Header { name: "via".into(), value: b"b".to_vec() },
    /// ]);
    /// assert_eq!(headers.get_all("via").collect::<Vec<_>>(), [b"a", b"b"]);
    /// ```
    pub fn get_all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a [u8]> + 'a {
        self.0
            .iter()
            .filter(move |h| h.name.eq_ignore_ascii_case(name))
            .map(|h| h.value.as_slice())
    }

    /// Every field, in the order received.
    ///
    /// # Example
    ///
    /// ```
    /// use netcount::http::Headers;
    ///
    /// assert_eq!(Headers::default().iter().count(), 0);
    /// ```
    pub fn iter(&self) -> std::slice::Iter<'_, Header> {
        self.0.iter()
    }

    /// The number of fields.
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(netcount::http::Headers::default().len(), 0);
    /// ```
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are no fields.
    ///
    /// # Example
    ///
    /// ```
    /// assert!(netcount::http::Headers::default().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<Vec<Header>> for Headers {
    fn from(headers: Vec<Header>) -> Headers {
        Headers(headers)
    }
}

/// Why a head could not be read; the caller turns it into its own error
/// (the client into [`Error`](crate::Error), the server into a status code).
#[derive(Debug)]
pub(crate) enum HeadError {
    /// No empty line within the byte limit.
    TooLarge { limit: usize },
    /// The stream ended; `received` bytes of the head had arrived.
    Eof { received: usize },
    /// The stream failed.
    Io(io::Error),
}

/// Where a head ends in `buf`: the index just past its empty line.
///
/// `from` is where to resume looking (bytes before it were already checked).
fn find_head_end(buf: &[u8], from: usize) -> Option<usize> {
    // An empty line is a LF followed by an optional CR and a LF. Start up to
    // three bytes early so a terminator split across two reads is found.
    let mut at = from.saturating_sub(3);
    while let Some(i) = memchr::memchr(b'\n', &buf[at..]) {
        let lf = at + i;
        match buf.get(lf + 1..) {
            Some([b'\n', ..]) => return Some(lf + 2),
            Some([b'\r', b'\n', ..]) => return Some(lf + 3),
            _ => at = lf + 1,
        }
    }
    None
}

/// Reads from `stream` into `buf` until it holds a whole head.
///
/// `buf` may already hold bytes (read past a previous head); they are looked
/// at first. Returns the head's length: `buf[..len]` is the head and
/// `buf[len..]` is whatever came after it. Reads at most `limit` bytes of
/// head; a head that does not end within `limit` is [`HeadError::TooLarge`].
pub(crate) async fn read_head<S: AsyncRead + Unpin>(
    stream: &mut S,
    buf: &mut Vec<u8>,
    limit: usize,
    read_size: usize,
) -> Result<usize, HeadError> {
    let mut checked = 0;
    loop {
        if let Some(end) = find_head_end(buf, checked) {
            return if end > limit {
                Err(HeadError::TooLarge { limit })
            } else {
                Ok(end)
            };
        }
        if buf.len() >= limit {
            return Err(HeadError::TooLarge { limit });
        }
        checked = buf.len();
        // Read into the spare room, never past what the limit could need
        // (plus one read of body bytes, which we keep).
        let old = buf.len();
        buf.resize(old + read_size, 0);
        let n = match stream.read(&mut buf[old..]).await {
            Ok(n) => n,
            Err(error) => {
                buf.truncate(old);
                return Err(HeadError::Io(error));
            }
        };
        buf.truncate(old + n);
        if n == 0 {
            return Err(HeadError::Eof { received: old });
        }
    }
}

/// A head split into its start line and fields.
#[derive(Debug)]
pub(crate) struct ParsedHead<'a> {
    /// The first line, without its line ending.
    pub start_line: &'a [u8],
    /// The header fields.
    pub headers: Headers,
}

/// A head that breaks the message grammar: which rule, and what exactly.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Malformed {
    /// The rule broken, in the client's terms (the server answers any of
    /// them with a 400 and only shows the detail).
    pub kind: ProtocolErrorKind,
    /// A short lower-case description.
    pub detail: String,
}

impl Malformed {
    /// A violation of `kind`.
    fn new(kind: ProtocolErrorKind, detail: impl Into<String>) -> Malformed {
        Malformed {
            kind,
            detail: detail.into(),
        }
    }
}

impl From<Malformed> for Error {
    fn from(malformed: Malformed) -> Error {
        Error::protocol(malformed.kind, malformed.detail)
    }
}

/// Splits a head (as delimited by [`read_head`]) into lines and fields.
///
/// Refuses: a bare CR; a field line without a colon; whitespace before the
/// colon; an empty or non-token field name; a line folded onto the previous
/// one (obs-fold, RFC 9112 §5.2); NUL in a value; more than `max_headers`
/// fields.
pub(crate) fn parse_head(head: &[u8], max_headers: usize) -> Result<ParsedHead<'_>, Malformed> {
    let mut lines = head.split(|&b| b == b'\n').map(|line| match line {
        [rest @ .., b'\r'] => rest,
        line => line,
    });
    let start_line = lines.next().unwrap_or_default();
    if start_line.contains(&b'\r') {
        return Err(Malformed::new(
            ProtocolErrorKind::StatusLine,
            "bare cr in the start line",
        ));
    }
    let mut headers = Vec::new();
    for line in lines {
        if line.is_empty() {
            break; // the empty line that ends the head
        }
        if headers.len() == max_headers {
            return Err(Malformed::new(
                ProtocolErrorKind::TooManyHeaders,
                format!("more than {max_headers} header fields"),
            ));
        }
        headers.push(parse_field(line)?);
    }
    Ok(ParsedHead {
        start_line,
        headers: Headers(headers),
    })
}

/// Parses one `name: value` line.
fn parse_field(line: &[u8]) -> Result<Header, Malformed> {
    let malformed = |detail: String| Malformed::new(ProtocolErrorKind::HeaderField, detail);
    if line[0] == b' ' || line[0] == b'\t' {
        return Err(malformed(
            "folded header line (obs-fold) is not allowed".into(),
        ));
    }
    let colon = memchr::memchr(b':', line)
        .ok_or_else(|| malformed(format!("header line without a colon: {:?}", shorten(line))))?;
    let (name, value) = (&line[..colon], &line[colon + 1..]);
    if !field::is_token(name) {
        return Err(malformed(format!(
            "invalid header name {:?}",
            shorten(name)
        )));
    }
    if value.iter().any(|&b| b == b'\r' || b == 0) {
        return Err(malformed(format!(
            "invalid character in the value of header {:?}",
            shorten(name)
        )));
    }
    let value = value.trim_ascii();
    Ok(Header {
        // Names are tchars only: ASCII, so this never fails.
        name: String::from_utf8_lossy(name).into_owned(),
        value: value.to_vec(),
    })
}

/// Renders at most 60 bytes of `bytes` for an error message.
pub(crate) fn shorten(bytes: &[u8]) -> String {
    let cut = &bytes[..bytes.len().min(60)];
    let mut text = String::from_utf8_lossy(cut).into_owned();
    if cut.len() < bytes.len() {
        text.push('…');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_lite::future::block_on;

    #[test]
    fn finds_the_end_with_crlf_bare_lf_and_mixed_endings() {
        assert_eq!(find_head_end(b"A\r\n\r\nbody", 0), Some(5));
        assert_eq!(find_head_end(b"A\n\nbody", 0), Some(3));
        assert_eq!(find_head_end(b"A\r\n\nbody", 0), Some(4));
        assert_eq!(find_head_end(b"A\n\r\nbody", 0), Some(4));
        assert_eq!(find_head_end(b"A\r\nB: c\r\n", 0), None);
        // Resuming after a split terminator still finds it.
        assert_eq!(find_head_end(b"A\r\n\r\n", 4), Some(5));
        assert_eq!(find_head_end(b"A\r\n\r\n", 5), Some(5));
    }

    #[test]
    fn reads_a_head_byte_by_byte_and_keeps_what_follows() {
        let input = b"HTTP/1.1 200 OK\r\nA: b\r\n\r\nbody";
        let mut buf = Vec::new();
        let mut stream = crate::http::Replay::new(&input[..]).with_read_sizes(&[1]);
        let end = block_on(read_head(&mut stream, &mut buf, 1024, 8)).unwrap();
        assert_eq!(&buf[..end], &input[..25]);
        // One byte at a time: nothing past the head was read yet.
        assert_eq!(&buf[end..], b"");
        let mut stream = &input[..];
        let mut buf = Vec::new();
        let end = block_on(read_head(&mut stream, &mut buf, 1024, 64)).unwrap();
        assert_eq!(&buf[end..], b"body");
    }

    #[test]
    fn a_head_over_the_limit_is_refused() {
        let input = [
            b"HTTP/1.1 200 OK\r\nX: ".as_slice(),
            &[b'a'; 100],
            b"\r\n\r\n",
        ]
        .concat();
        let mut stream = &input[..];
        let mut buf = Vec::new();
        let result = block_on(read_head(&mut stream, &mut buf, 64, 16));
        assert!(matches!(result, Err(HeadError::TooLarge { limit: 64 })));
        // The terminator is found in the same read that passes the limit.
        let mut stream = &input[..];
        let mut buf = Vec::new();
        let result = block_on(read_head(&mut stream, &mut buf, 64, 4096));
        assert!(matches!(result, Err(HeadError::TooLarge { limit: 64 })));
    }

    #[test]
    fn eof_reports_how_much_arrived() {
        let mut stream = &b"HTTP/1.1 200"[..];
        let mut buf = Vec::new();
        let result = block_on(read_head(&mut stream, &mut buf, 64, 16));
        assert!(matches!(result, Err(HeadError::Eof { received: 12 })));
    }

    #[test]
    fn parses_fields_and_trims_whitespace() {
        let head = b"HTTP/1.1 200 OK\r\nA:  b c \r\nContent-Length:5\n\r\n";
        let parsed = parse_head(head, 10).unwrap();
        assert_eq!(parsed.start_line, b"HTTP/1.1 200 OK");
        assert_eq!(parsed.headers.get("a"), Some(&b"b c"[..]));
        assert_eq!(parsed.headers.get("content-length"), Some(&b"5"[..]));
    }

    #[test]
    fn refuses_malformed_fields() {
        let bad: [&[u8]; 6] = [
            b"S\r\nNo colon\r\n\r\n",
            b"S\r\nName : v\r\n\r\n",
            b"S\r\n: v\r\n\r\n",
            b"S\r\nA: b\r\n folded\r\n\r\n",
            b"S\r\nA: b\rc\r\n\r\n",
            b"S\r\nA: \0\r\n\r\n",
        ];
        for head in bad {
            let error = parse_head(head, 10).unwrap_err();
            assert_eq!(
                error.kind,
                ProtocolErrorKind::HeaderField,
                "{:?}",
                shorten(head)
            );
        }
        let error = parse_head(b"S\rX\r\n\r\n", 10).unwrap_err();
        assert_eq!(error.kind, ProtocolErrorKind::StatusLine);
    }

    #[test]
    fn counts_fields_against_the_limit() {
        let head = b"S\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n";
        assert!(parse_head(head, 3).is_ok());
        assert_eq!(
            parse_head(head, 2).unwrap_err(),
            Malformed::new(
                ProtocolErrorKind::TooManyHeaders,
                "more than 2 header fields"
            )
        );
    }
}
