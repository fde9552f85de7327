//! An in-memory stream: reads replay a fixed reply, writes are recorded.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_lite::{AsyncRead, AsyncWrite};

/// An in-memory transport for examples and tests: reads return the bytes
/// given to [`Replay::new`] (then end of stream), writes are kept and can be
/// inspected with [`Replay::sent`]. [`Replay::with_read_sizes`] makes reads
/// return small pieces, the way a network splits a reply.
///
/// # Example
///
/// ```
/// use netcount::http::{get, Replay};
///
/// # futures_lite::future::block_on(async {
/// let url = netcount::url::Url::parse("http://example.org/")?;
/// let response = get(Replay::new("HTTP/1.1 200 OK\r\n\r\n.NET"), &url).await?;
/// let mut counter = netcount::Counter::new(".NET")?;
/// response.count(&mut counter).await?;
/// assert_eq!(counter.count(), 1);
/// # Ok::<(), netcount::Error>(())
/// # }).unwrap();
/// ```
#[derive(Debug, Clone, Default)]
pub struct Replay {
    /// The reply; `reply[at..]` is what reads still return.
    reply: Vec<u8>,
    /// How much of `reply` has been read; `at <= reply.len()`.
    at: usize,
    /// The largest size of each successive read, cycled; every entry is at
    /// least 1. Empty: reads are limited only by the caller's buffer.
    read_sizes: Vec<usize>,
    /// Reads so far, to pick the next entry of `read_sizes`.
    reads: usize,
    /// Everything written so far.
    sent: Vec<u8>,
}

impl Replay {
    /// A stream whose reads return `reply`.
    ///
    /// # Example
    ///
    /// ```
    /// let stream = netcount::http::Replay::new(b"HTTP/1.1 204 No Content\r\n\r\n".to_vec());
    /// assert!(stream.sent().is_empty());
    /// ```
    pub fn new(reply: impl Into<Vec<u8>>) -> Replay {
        Replay {
            reply: reply.into(),
            at: 0,
            read_sizes: Vec::new(),
            reads: 0,
            sent: Vec::new(),
        }
    }

    /// Makes successive reads return at most `sizes[0]`, `sizes[1]`, ...
    /// bytes, starting over after the last (a size of 0 counts as 1).
    ///
    /// # Example
    ///
    /// ```
    /// use futures_lite::AsyncReadExt;
    ///
    /// let mut stream = netcount::http::Replay::new("abcdef").with_read_sizes(&[1, 2]);
    /// let mut buf = [0; 8];
    /// futures_lite::future::block_on(async {
    ///     assert_eq!(stream.read(&mut buf).await?, 1);
    ///     assert_eq!(stream.read(&mut buf).await?, 2);
    ///     assert_eq!(stream.read(&mut buf).await?, 1);
    ///     Ok::<(), std::io::Error>(())
    /// }).unwrap();
    /// ```
    pub fn with_read_sizes(mut self, sizes: &[usize]) -> Replay {
        self.read_sizes = sizes.iter().map(|&size| size.max(1)).collect();
        self
    }

    /// Everything written to the stream so far.
    ///
    /// # Example
    ///
    /// ```
    /// use futures_lite::AsyncWriteExt;
    ///
    /// let mut stream = netcount::http::Replay::new("");
    /// futures_lite::future::block_on(stream.write_all(b"hi")).unwrap();
    /// assert_eq!(stream.sent(), b"hi");
    /// ```
    pub fn sent(&self) -> &[u8] {
        &self.sent
    }
}

impl AsyncRead for Replay {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        let limit = match this.read_sizes.len() {
            0 => usize::MAX,
            len => this.read_sizes[this.reads % len],
        };
        this.reads += 1;
        let n = buf.len().min(limit).min(this.reply.len() - this.at);
        buf[..n].copy_from_slice(&this.reply[this.at..this.at + n]);
        this.at += n;
        Poll::Ready(Ok(n))
    }
}

impl AsyncWrite for Replay {
    fn poll_write(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.sent.extend_from_slice(buf);
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_close(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}
