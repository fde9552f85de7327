//! The response body as an [`AsyncRead`], one explicit state per framing.
//!
//! [`Body`] hands out the body's bytes (the *payload*) and nothing else: no
//! chunk-size lines, no trailers, nothing past a Content-Length. It ends
//! (returns `Ok(0)`) only when the framing says the body is complete. A
//! stream that closes earlier produces [`Error::Truncated`], wrapped in an
//! `io::Error`; convert it back with `Error::from`.
//!
//! # How it works
//!
//! The body keeps a small buffer: bytes read past the response head, and the
//! chunked framing's size lines. Payload is served from that buffer first;
//! once it is empty, large reads go straight from the stream into the
//! caller's buffer, so the common case (a big Content-Length or
//! close-delimited body) copies nothing. Both paths count what they hand
//! out with the same `advance` step, which also moves the state on at the
//! end of a chunk or of the body. One `poll_read` returns as many payload
//! bytes as are available without waiting, across as many small chunks as
//! the buffer holds.

use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use std::time::{Duration, Instant};

use futures_lite::{AsyncRead, AsyncReadExt};

use crate::error::{Error, ProtocolErrorKind, TruncationKind};
use crate::matcher::Tally;

/// The longest chunk-size line (size plus extensions) accepted.
pub const MAX_CHUNK_LINE: usize = 4096;
/// The most bytes of trailer fields accepted after the last chunk.
pub const MAX_TRAILER_BYTES: usize = 64 * 1024;
/// The longest single trailer line accepted (it must fit the buffer).
const MAX_TRAILER_LINE: usize = 8 * 1024;
/// The most trailer fields accepted after the last chunk.
const MAX_TRAILERS: usize = 128;
/// Size of the framing buffer (at least; it may start larger when the head
/// was read with a larger buffer).
const BUF_SIZE: usize = 16 * 1024;
/// A read that wants fewer payload bytes than this goes through the framing
/// buffer, so the next chunk-size line arrives in the same read.
const DIRECT_READ_MIN: usize = 4096;

/// [`Body::count_into`] lets other tasks, and timers raced against it, run
/// after counting this many bytes: a bound on how long one count holds its
/// thread, whatever the read sizes.
const YIELD_EVERY_BYTES: usize = 256 * 1024;

/// ... or after counting for this long, whichever comes first: a regex can
/// be slow enough (kilobytes per second on a thrashing pattern) that
/// 256 KiB would hold the thread for seconds.
const YIELD_EVERY: Duration = Duration::from_millis(2);

/// The smallest piece fed to the counter at once (the clock is read around
/// each piece): for the slowest patterns.
const FEED_MIN: usize = 4 * 1024;

/// The largest: for memmem, which counts 256 KiB in tens of microseconds.
const FEED_MAX: usize = YIELD_EVERY_BYTES;

/// A piece counted faster than this doubles the next one's size; one
/// slower than `FEED_SLOW` halves it.
const FEED_QUICK: Duration = Duration::from_micros(250);

/// See [`FEED_QUICK`].
const FEED_SLOW: Duration = Duration::from_millis(1);

/// How much [`count_reader`] feeds the counter at once, and when it steps
/// aside for other tasks: big pieces for a fast counter (fewer calls), small
/// ones for a slow regex (a yield is never far off).
#[derive(Debug)]
struct Pace {
    /// Bytes per piece, in `FEED_MIN..=FEED_MAX`.
    piece: usize,
    /// Bytes counted since the last yield; below `YIELD_EVERY_BYTES`.
    bytes: usize,
    /// Time spent counting since the last yield; below `YIELD_EVERY`.
    spent: Duration,
}

impl Pace {
    fn new() -> Pace {
        Pace {
            piece: 64 * 1024,
            bytes: 0,
            spent: Duration::ZERO,
        }
    }

    /// Takes note of a piece of `len` bytes counted in `took`; returns
    /// whether to yield now.
    fn counted(&mut self, len: usize, took: Duration) -> bool {
        if took < FEED_QUICK {
            self.piece = (self.piece * 2).min(FEED_MAX);
        } else if took > FEED_SLOW {
            self.piece = (self.piece / 2).max(FEED_MIN);
        }
        self.bytes += len;
        self.spent += took;
        let due = self.bytes >= YIELD_EVERY_BYTES || self.spent >= YIELD_EVERY;
        if due {
            (self.bytes, self.spent) = (0, Duration::ZERO);
        }
        due
    }
}

/// How the body is delimited, decided from the response head.
///
/// # Example
///
/// ```
/// use netcount::http::Framing;
///
/// assert_ne!(Framing::Length(0), Framing::Empty);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// No body at all (204, 304).
    Empty,
    /// Exactly this many bytes (`Content-Length`).
    Length(u64),
    /// `Transfer-Encoding: chunked`.
    Chunked,
    /// Everything until the server closes the connection.
    UntilClose,
}

/// Where the reader is within the framing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Content-Length: `remaining` payload bytes still to come, of `total`.
    Length { remaining: u64, total: u64 },
    /// Close-delimited: payload until the stream ends.
    UntilClose,
    /// Chunked: expecting a chunk-size line.
    ChunkSize,
    /// Chunked: inside a chunk's data, `remaining` bytes of it left (> 0).
    ChunkData { remaining: u64 },
    /// Chunked: after a chunk's data, expecting its CRLF.
    ChunkDataEnd,
    /// Chunked: after the last chunk, reading trailer lines; `bytes` and
    /// `fields` count what was read so far, against the limits.
    Trailers { bytes: usize, fields: usize },
    /// The body is complete: every further read returns 0.
    Done,
}

impl State {
    /// Payload bytes this state may still hand out before the framing
    /// changes: the rest of the Content-Length or of the chunk, no limit
    /// for a close-delimited body, none between chunks.
    fn payload_left(self) -> u64 {
        match self {
            State::Length { remaining, .. } | State::ChunkData { remaining } => remaining,
            State::UntilClose => u64::MAX,
            _ => 0,
        }
    }
}

/// What one parsing step achieved.
enum Step {
    /// `n` payload bytes were written to the output.
    Payload(usize),
    /// The state advanced without payload (a size line, a CRLF, a trailer).
    Framing,
    /// The buffer does not hold enough to go on: read more.
    NeedInput,
}

/// The response body, readable with `AsyncRead`.
///
/// It hands out the payload and nothing else: no chunk-size lines, no
/// trailers, nothing past a Content-Length. A read returns `Ok(0)` only when
/// the framing says the body is complete; a stream that closes earlier gives
/// [`Error::Truncated`] inside an `io::Error` (convert back with
/// `Error::from`). Payload is served from a small framing buffer first, then
/// read straight from the stream into the caller's buffer, without a copy.
///
/// # Example
///
/// ```
/// use futures_lite::AsyncReadExt;
/// use netcount::http::{get, Replay};
///
/// # futures_lite::future::block_on(async {
/// let reply = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello, and more";
/// let url = netcount::url::Url::parse("http://h/")?;
/// let mut body = get(Replay::new(reply), &url).await?.into_body();
/// let mut text = String::new();
/// body.read_to_string(&mut text).await?;
/// assert_eq!(text, "hello"); // exactly Content-Length bytes
/// # Ok::<(), netcount::Error>(())
/// # }).unwrap();
/// ```
#[derive(Debug)]
pub struct Body<S> {
    /// The connection, positioned after the bytes in `buf`.
    stream: S,
    /// Framing buffer: `buf[start..end]` holds bytes read from the stream
    /// and not yet consumed. `buf.len()` is fixed after construction.
    buf: Vec<u8>,
    /// Start of the unconsumed bytes in `buf`; `start <= end`.
    start: usize,
    /// End of the unconsumed bytes in `buf`; `end <= buf.len()`.
    end: usize,
    /// Where the reader is within the framing.
    state: State,
    /// Payload bytes handed out so far.
    received: u64,
    /// Whether the framing marks the body's end (Content-Length, chunked,
    /// no body), rather than the server's close.
    self_delimited: bool,
}

impl<S: AsyncRead + Unpin> Body<S> {
    /// A body delimited by `framing`, whose first bytes (already read from
    /// `stream` along with the head) are `leftover`.
    pub(crate) fn new(stream: S, framing: Framing, mut leftover: Vec<u8>) -> Body<S> {
        let end = leftover.len();
        let size = leftover.capacity().max(end).max(BUF_SIZE);
        leftover.resize(size, 0);
        let state = match framing {
            Framing::Empty | Framing::Length(0) => State::Done,
            Framing::Length(total) => State::Length {
                remaining: total,
                total,
            },
            Framing::Chunked => State::ChunkSize,
            Framing::UntilClose => State::UntilClose,
        };
        Body {
            stream,
            buf: leftover,
            start: 0,
            end,
            state,
            received: 0,
            self_delimited: framing != Framing::UntilClose,
        }
    }

    /// Payload bytes read so far.
    ///
    /// # Example
    ///
    /// ```
    /// use futures_lite::AsyncReadExt;
    /// use netcount::http::{get, Replay};
    ///
    /// # futures_lite::future::block_on(async {
    /// let reply = "HTTP/1.1 200 OK\r\n\r\nuntil close";
    /// let url = netcount::url::Url::parse("http://h/")?;
    /// let mut body = get(Replay::new(reply), &url).await?.into_body();
    /// body.read_to_end(&mut Vec::new()).await?;
    /// assert_eq!(body.received(), 11);
    /// # Ok::<(), netcount::Error>(())
    /// # }).unwrap();
    /// ```
    pub fn received(&self) -> u64 {
        self.received
    }

    /// Whether the framing says the whole body has been read.
    ///
    /// # Example
    ///
    /// ```
    /// use netcount::http::{get, Replay};
    ///
    /// # futures_lite::future::block_on(async {
    /// let reply = "HTTP/1.1 204 No Content\r\n\r\n";
    /// let url = netcount::url::Url::parse("http://h/")?;
    /// assert!(get(Replay::new(reply), &url).await?.into_body().is_complete());
    /// # Ok::<(), netcount::Error>(())
    /// # }).unwrap();
    /// ```
    pub fn is_complete(&self) -> bool {
        self.state == State::Done
    }

    /// Whether the stream is positioned exactly at the end of this
    /// response, so it could carry another: the framing (not the server's
    /// close) ended the body, all of it was read, and nothing was read past
    /// it. A body that failed is never complete, so this is false after an
    /// error too.
    pub(crate) fn at_message_end(&self) -> bool {
        self.self_delimited && self.state == State::Done && self.start == self.end
    }

    /// The underlying stream.
    ///
    /// # Example
    ///
    /// ```
    /// use netcount::http::{get, Replay};
    ///
    /// # futures_lite::future::block_on(async {
    /// let url = netcount::url::Url::parse("http://h/")?;
    /// let mut body = get(Replay::new("HTTP/1.1 204 X\r\n\r\n"), &url).await?.into_body();
    /// assert!(body.get_mut().sent().starts_with(b"GET / HTTP/1.1\r\n"));
    /// # Ok::<(), netcount::Error>(())
    /// # }).unwrap();
    /// ```
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.stream
    }

    /// Reads the whole body through `counter` (a [`Counter`](crate::Counter),
    /// a regex, any [`Tally`]), using `buf` as the read buffer, and returns
    /// the number of payload bytes. The tally is finished at the end of the
    /// body (not reset first: that is the caller's choice).
    ///
    /// # Example
    ///
    /// ```
    /// use netcount::http::{get, Replay};
    ///
    /// # futures_lite::future::block_on(async {
    /// let reply = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\
    ///              2\r\n.N\r\n2\r\nET\r\n0\r\n\r\n";
    /// let url = netcount::url::Url::parse("http://h/")?;
    /// let mut body = get(Replay::new(reply), &url).await?.into_body();
    /// let mut counter = netcount::Counter::new(".NET")?;
    /// let bytes = body.count_into(&mut counter, &mut [0; 1024]).await?;
    /// assert_eq!((counter.count(), bytes), (1, 4));
    /// # Ok::<(), netcount::Error>(())
    /// # }).unwrap();
    /// ```
    pub async fn count_into<T: Tally + ?Sized>(
        &mut self,
        counter: &mut T,
        buf: &mut [u8],
    ) -> Result<u64, Error> {
        count_reader(self, counter, buf).await?;
        Ok(self.received)
    }

    /// One parsing step over the buffered bytes, writing payload to `out`.
    fn step(&mut self, out: &mut [u8]) -> Result<Step, Error> {
        let available = self.end - self.start;
        match self.state {
            State::Done => Ok(Step::Payload(0)),
            State::Length { .. } | State::UntilClose | State::ChunkData { .. } => {
                if available == 0 {
                    return Ok(Step::NeedInput);
                }
                Ok(Step::Payload(self.copy_payload(out)))
            }
            State::ChunkDataEnd => match &self.buf[self.start..self.end] {
                [b'\r', b'\n', ..] => {
                    self.start += 2;
                    self.state = State::ChunkSize;
                    Ok(Step::Framing)
                }
                [] | [b'\r'] => Ok(Step::NeedInput),
                _ => Err(Error::protocol(
                    ProtocolErrorKind::ChunkData,
                    "chunk data not followed by crlf (the chunk size is wrong)",
                )),
            },
            State::ChunkSize => {
                let Some(line) = self.take_line(
                    MAX_CHUNK_LINE,
                    ProtocolErrorKind::ChunkSize,
                    "chunk size line",
                )?
                else {
                    return Ok(Step::NeedInput);
                };
                let size = parse_chunk_size(line)?;
                self.state = match size {
                    0 => State::Trailers {
                        bytes: 0,
                        fields: 0,
                    },
                    remaining => State::ChunkData { remaining },
                };
                Ok(Step::Framing)
            }
            State::Trailers { bytes, fields } => {
                let room = (MAX_TRAILER_BYTES - bytes).min(MAX_TRAILER_LINE);
                let Some(line) =
                    self.take_line(room, ProtocolErrorKind::Trailer, "trailer field")?
                else {
                    return Ok(Step::NeedInput);
                };
                let (length, empty) = (line.len() + 2, line.is_empty());
                if !empty && !line.contains(&b':') {
                    return Err(Error::protocol(
                        ProtocolErrorKind::Trailer,
                        "malformed trailer field",
                    ));
                }
                self.state = if empty {
                    State::Done
                } else if fields == MAX_TRAILERS {
                    return Err(Error::protocol(
                        ProtocolErrorKind::Trailer,
                        format!("more than {MAX_TRAILERS} trailer fields"),
                    ));
                } else {
                    State::Trailers {
                        bytes: bytes + length,
                        fields: fields + 1,
                    }
                };
                Ok(Step::Framing)
            }
        }
    }

    /// Copies as many buffered payload bytes into `out` as it and the
    /// state allow, and advances past them.
    fn copy_payload(&mut self, out: &mut [u8]) -> usize {
        let available = self.end - self.start;
        let left = usize::try_from(self.state.payload_left()).unwrap_or(usize::MAX);
        let n = available.min(out.len()).min(left);
        out[..n].copy_from_slice(&self.buf[self.start..self.start + n]);
        self.start += n;
        self.advance(n);
        n
    }

    /// Counts `n` payload bytes as handed out (from the buffer or a direct
    /// read; at most the state's `payload_left`) and moves to the state
    /// that follows: the end of a Content-Length body is the end, the end
    /// of a chunk's data expects its CRLF.
    fn advance(&mut self, n: usize) {
        let n = n as u64;
        self.received += n;
        self.state = match self.state {
            State::Length { remaining, total } => match remaining - n {
                0 => State::Done,
                remaining => State::Length { remaining, total },
            },
            State::ChunkData { remaining } => match remaining - n {
                0 => State::ChunkDataEnd,
                remaining => State::ChunkData { remaining },
            },
            other => other,
        };
    }

    /// Takes one CRLF-terminated line (without the CRLF) from the buffer, or
    /// `None` if the buffer holds no complete line yet. A line longer than
    /// `max` bytes, or ending in a bare LF, is an error of `kind` naming
    /// `what`.
    fn take_line(
        &mut self,
        max: usize,
        kind: ProtocolErrorKind,
        what: &str,
    ) -> Result<Option<&[u8]>, Error> {
        let pending = &self.buf[self.start..self.end];
        let too_long = || Error::protocol(kind, format!("{what} longer than {max} bytes"));
        let Some(lf) = memchr::memchr(b'\n', pending) else {
            if pending.len() > max {
                return Err(too_long());
            }
            return Ok(None);
        };
        if lf + 1 > max {
            return Err(too_long());
        }
        if lf == 0 || pending[lf - 1] != b'\r' {
            return Err(Error::protocol(kind, format!("{what} ends in a bare lf")));
        }
        let line = self.start..self.start + lf - 1;
        self.start += lf + 1;
        Ok(Some(&self.buf[line]))
    }

    /// Payload bytes the current state can still take from one direct read
    /// into the caller's buffer, or 0 if the framing buffer should be used.
    fn direct_read_limit(&self, out_len: usize) -> usize {
        let wanted = usize::try_from(self.state.payload_left()).unwrap_or(usize::MAX);
        let n = wanted.min(out_len);
        if self.start == self.end && n >= DIRECT_READ_MIN {
            n
        } else {
            0
        }
    }

    /// The error for a stream that ended in the current state.
    fn eof_error(&self, tls_unclean: bool) -> Error {
        let received = self.received;
        match self.state {
            State::Length { total, .. } => Error::truncated(
                TruncationKind::ContentLength,
                format!("connection closed after {received} of {total} bytes (content-length)"),
            ),
            State::UntilClose if tls_unclean => Error::truncated(
                TruncationKind::MissingCloseNotify,
                "connection closed without tls close_notify; body may be truncated",
            ),
            State::Trailers { .. } => Error::truncated(
                TruncationKind::Trailers,
                "connection closed in the chunked trailer section",
            ),
            _ => Error::truncated(
                TruncationKind::Chunked,
                format!(
                    "connection closed before the last chunk (after {received} bytes of chunked body)"
                ),
            ),
        }
    }

    /// Handles the result of one read from the stream (`Ok(0)` is EOF).
    /// Returns `Ok(true)` when the body ended cleanly.
    fn after_read(&mut self, result: io::Result<usize>) -> io::Result<usize> {
        match result {
            Ok(0) if self.state == State::UntilClose => {
                self.state = State::Done;
                Ok(0)
            }
            Ok(0) => Err(self.eof_error(false).into()),
            // rustls reports a close without close_notify as UnexpectedEof.
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => Err(self.eof_error(true).into()),
            other => other,
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Body<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        out: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        let mut written = 0;
        loop {
            if written == out.len() || this.state == State::Done {
                return Poll::Ready(Ok(written));
            }
            // Parse what is buffered, without waiting.
            match this.step(&mut out[written..])? {
                Step::Payload(n) => {
                    written += n;
                    continue;
                }
                Step::Framing => continue,
                Step::NeedInput if written > 0 => return Poll::Ready(Ok(written)),
                Step::NeedInput => {}
            }

            // Nothing buffered and nothing handed out yet: read. A large
            // payload read goes straight into `out`, without a copy.
            let direct = this.direct_read_limit(out.len());
            if direct > 0 {
                let result = ready!(Pin::new(&mut this.stream).poll_read(cx, &mut out[..direct]));
                let n = this.after_read(result)?;
                if n == 0 {
                    return Poll::Ready(Ok(0));
                }
                this.advance(n);
                return Poll::Ready(Ok(n));
            }

            // Otherwise refill the framing buffer: move the unconsumed bytes
            // to the front and read after them.
            if this.start == this.end {
                (this.start, this.end) = (0, 0);
            } else if this.start > 0 {
                this.buf.copy_within(this.start..this.end, 0);
                (this.start, this.end) = (0, this.end - this.start);
            }
            let end = this.end;
            let result = ready!(Pin::new(&mut this.stream).poll_read(cx, &mut this.buf[end..]));
            let n = this.after_read(result)?;
            if n == 0 {
                return Poll::Ready(Ok(0));
            }
            this.end += n;
        }
    }
}

/// Reads `reader` to its end through `counter`, using `buf` as the read
/// buffer, finishes the tally and returns the number of bytes read: the one
/// counting loop, for a body ([`Body::count_into`]) and for its decoded
/// content.
pub(crate) async fn count_reader<R: AsyncRead + Unpin, T: Tally + ?Sized>(
    reader: &mut R,
    counter: &mut T,
    buf: &mut [u8],
) -> Result<u64, Error> {
    let mut total = 0;
    let mut pace = Pace::new();
    loop {
        let n = reader.read(buf).await?;
        if n == 0 {
            break;
        }
        total += n as u64;
        // A fast stream may never make a read wait, and a task that
        // never returns `Pending` keeps every other task on its
        // executor thread, and every timer raced against this one
        // (the client's total deadline), from running. Step aside
        // after `YIELD_EVERY_BYTES` counted or `YIELD_EVERY` spent.
        let mut rest = &buf[..n];
        while !rest.is_empty() {
            let (piece, after) = rest.split_at(pace.piece.min(rest.len()));
            let started = Instant::now();
            counter.feed(piece)?;
            if pace.counted(piece.len(), started.elapsed()) {
                futures_lite::future::yield_now().await;
            }
            rest = after;
        }
    }
    // A regex confirms a match that ends with the body only now.
    counter.finish()?;
    Ok(total)
}

/// Parses a chunk-size line: hex digits, then optional whitespace and
/// `;extensions` (ignored).
fn parse_chunk_size(line: &[u8]) -> Result<u64, Error> {
    let digits = line
        .iter()
        .position(|b| !b.is_ascii_hexdigit())
        .unwrap_or(line.len());
    let rest = line[digits..].trim_ascii_start();
    let invalid = || {
        Error::protocol(
            ProtocolErrorKind::ChunkSize,
            format!("invalid chunk size line {:?}", super::head::shorten(line)),
        )
    };
    if digits == 0 || !(rest.is_empty() || rest[0] == b';') {
        return Err(invalid());
    }
    line[..digits].iter().try_fold(0u64, |size, &d| {
        let digit = (d as char).to_digit(16).unwrap_or(0);
        size.checked_mul(16)
            .map(|size| size + u64::from(digit))
            .ok_or_else(|| {
                Error::protocol(ProtocolErrorKind::ChunkSize, "chunk size overflows 64 bits")
            })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_lite::future::block_on;

    /// Pieces grow while the counter is quick, shrink while it is slow,
    /// within bounds; a yield is due after 256 KiB or 2 ms of counting.
    #[test]
    fn the_pace_follows_the_counter() {
        let mut pace = Pace::new();
        let quick = Duration::from_micros(10);
        let slow = Duration::from_millis(3);
        for _ in 0..10 {
            pace.counted(1, quick);
        }
        assert_eq!(pace.piece, FEED_MAX);
        for _ in 0..10 {
            pace.counted(1, slow);
        }
        assert_eq!(pace.piece, FEED_MIN);
        let mut pace = Pace::new();
        assert!(!pace.counted(YIELD_EVERY_BYTES - 1, quick));
        assert!(pace.counted(1, quick), "256 KiB counted");
        assert!(!pace.counted(1, Duration::from_millis(1)));
        assert!(pace.counted(1, Duration::from_millis(1)), "2 ms spent");
    }

    fn read_body(
        framing: Framing,
        wire: &[u8],
        sizes: &[usize],
        out: usize,
    ) -> Result<Vec<u8>, Error> {
        let stream = crate::http::Replay::new(wire).with_read_sizes(sizes);
        let mut body = Body::new(stream, framing, Vec::new());
        let mut all = Vec::new();
        let mut buf = vec![0; out];
        block_on(async {
            loop {
                let n = body.read(&mut buf).await?;
                if n == 0 {
                    return Ok::<_, std::io::Error>(all);
                }
                all.extend_from_slice(&buf[..n]);
            }
        })
        .map_err(Error::from)
    }

    /// Reads a body over `wire` (with `leftover` already buffered) as far
    /// as it goes, and says whether it ended at the message's end.
    fn ends_at_message_end(
        framing: Framing,
        leftover: &[u8],
        wire: &[u8],
        sizes: &[usize],
    ) -> bool {
        let stream = crate::http::Replay::new(wire).with_read_sizes(sizes);
        let mut body = Body::new(stream, framing, leftover.to_vec());
        let _ = block_on(body.read_to_end(&mut Vec::new()));
        body.at_message_end()
    }

    #[test]
    fn only_a_self_delimited_body_read_to_its_end_leaves_the_connection_reusable() {
        let wire = chunked(b"hello world", 4, ";x=1", "T: 1\r\n");
        for sizes in [&[1][..], &[3], &[100]] {
            assert!(ends_at_message_end(
                Framing::Length(5),
                b"",
                b"hello",
                sizes
            ));
            assert!(ends_at_message_end(
                Framing::Length(5),
                b"he",
                b"llo",
                sizes
            ));
            assert!(ends_at_message_end(Framing::Chunked, b"", &wire, sizes));
            assert!(ends_at_message_end(Framing::Empty, b"", b"", sizes));
            // Ended by the close: the connection is gone.
            assert!(!ends_at_message_end(
                Framing::UntilClose,
                b"",
                b"hello",
                sizes
            ));
            // Cut short, or broken.
            assert!(!ends_at_message_end(
                Framing::Length(6),
                b"",
                b"hello",
                sizes
            ));
            assert!(!ends_at_message_end(
                Framing::Chunked,
                b"",
                &wire[..wire.len() - 1],
                sizes
            ));
            assert!(!ends_at_message_end(
                Framing::Chunked,
                b"",
                b"zz\r\n",
                sizes
            ));
        }
        // Bytes after the body, already buffered: the server sent more than
        // one response's worth, so what follows cannot be trusted.
        assert!(!ends_at_message_end(
            Framing::Length(5),
            b"helloHTTP",
            b"",
            &[100]
        ));
        // Not read yet.
        let stream = crate::http::Replay::new("hello");
        assert!(!Body::new(stream, Framing::Length(5), Vec::new()).at_message_end());
    }

    /// Encodes `payload` as chunks of the given sizes.
    fn chunked(payload: &[u8], size: usize, ext: &str, trailers: &str) -> Vec<u8> {
        let mut wire = Vec::new();
        for chunk in payload.chunks(size) {
            wire.extend_from_slice(format!("{:x}{ext}\r\n", chunk.len()).as_bytes());
            wire.extend_from_slice(chunk);
            wire.extend_from_slice(b"\r\n");
        }
        wire.extend_from_slice(format!("0{ext}\r\n{trailers}\r\n").as_bytes());
        wire
    }

    #[test]
    fn chunked_decoding_survives_every_read_size() {
        let payload: Vec<u8> = (0..5000u32).map(|i| (i % 251) as u8).collect();
        for chunk in [1, 2, 7, 100, 4096, 5000] {
            for (ext, trailers) in [("", ""), (";a=b ; c", "X-T: 1\r\nY: 2\r\n")] {
                let wire = chunked(&payload, chunk, ext, trailers);
                for sizes in [&[1][..], &[2, 3], &[17], &[9000], &[1, 5000, 3]] {
                    for out in [1, 10, 8192] {
                        let got = read_body(Framing::Chunked, &wire, sizes, out).unwrap();
                        assert_eq!(got, payload, "chunk {chunk} sizes {sizes:?} out {out}");
                    }
                }
            }
        }
    }

    #[test]
    fn length_stops_at_exactly_n_bytes() {
        let got = read_body(Framing::Length(5), b"helloEXTRA", &[3], 64).unwrap();
        assert_eq!(got, b"hello");
        let got = read_body(Framing::Length(5000), &[7; 6000], &[6000], 8192).unwrap();
        assert_eq!(got.len(), 5000);
    }

    #[test]
    fn early_eof_is_truncation_in_every_framing() {
        let error = read_body(Framing::Length(10), b"12345", &[2], 64).unwrap_err();
        assert_eq!(
            error.to_string(),
            "body truncated: connection closed after 5 of 10 bytes (content-length)"
        );
        assert!(matches!(
            error,
            Error::Truncated {
                kind: TruncationKind::ContentLength,
                ..
            }
        ));
        let wire = chunked(b"hello world", 4, "", "");
        // The last chunk's line `0\r\n` is whole from `wire.len() - 2` on.
        for cut in 0..wire.len() {
            let expected = if cut >= wire.len() - 2 {
                TruncationKind::Trailers
            } else {
                TruncationKind::Chunked
            };
            let result = read_body(Framing::Chunked, &wire[..cut], &[3], 64);
            assert!(
                matches!(result, Err(Error::Truncated { kind, .. }) if kind == expected),
                "cut at {cut}: {result:?}"
            );
        }
        assert_eq!(
            read_body(Framing::UntilClose, b"all of it", &[4], 64).unwrap(),
            b"all of it"
        );
    }

    #[test]
    fn malformed_chunked_framing_is_an_error() {
        use ProtocolErrorKind::{ChunkData, ChunkSize, Trailer};
        for (wire, expected) in [
            (&b"x\r\n"[..], ChunkSize),
            (b"\r\n", ChunkSize),
            (b"-1\r\n", ChunkSize),
            (b"5 5\r\nhello\r\n0\r\n\r\n", ChunkSize),
            (b"10000000000000000\r\n", ChunkSize),
            (b"3\r\nabcX\r\n0\r\n\r\n", ChunkData),
            (b"3\r\nabc\n0\r\n\r\n", ChunkData),
            (b"3\nabc\r\n0\r\n\r\n", ChunkSize),
            (b"0\r\nno colon\r\n\r\n", Trailer),
        ] {
            let result = read_body(Framing::Chunked, wire, &[64], 64);
            assert!(
                matches!(result, Err(Error::Protocol { kind, .. }) if kind == expected),
                "{wire:?}: {result:?}"
            );
        }
        // A size line longer than the limit, even without a line end.
        let long = [b"1;".as_slice(), &[b'a'; MAX_CHUNK_LINE]].concat();
        let result = read_body(Framing::Chunked, &long, &[100_000], 64);
        assert!(matches!(
            result,
            Err(Error::Protocol { kind: ChunkSize, detail }) if detail.contains("longer than")
        ));
        // Endless trailers.
        let mut wire = b"0\r\n".to_vec();
        for _ in 0..10_000 {
            wire.extend_from_slice(b"X-Trailer: aaaaaaaaaa\r\n");
        }
        let result = read_body(Framing::Chunked, &wire, &[1000], 64);
        assert!(
            matches!(result, Err(Error::Protocol { kind: Trailer, .. })),
            "{result:?}"
        );
    }

    #[test]
    fn chunk_sizes_parse_strictly() {
        assert_eq!(parse_chunk_size(b"0").unwrap(), 0);
        assert_eq!(parse_chunk_size(b"fF").unwrap(), 255);
        assert_eq!(parse_chunk_size(b"a ;ext=1").unwrap(), 10);
        assert_eq!(parse_chunk_size(b"ffffffffffffffff").unwrap(), u64::MAX);
        assert!(parse_chunk_size(b"10000000000000000").is_err());
        assert!(parse_chunk_size(b"0x5").is_err());
        assert!(parse_chunk_size(b"+5").is_err());
        assert!(parse_chunk_size(b"").is_err());
    }
}
