//! Content-Encoding decoding as the body streams: gzip, deflate and br.
//!
//! A server may compress what it sends and say so in `Content-Encoding`
//! (RFC 9110 §8.4). The count is about the content, so the body must be
//! decoded before it reaches the counter. [`ContentDecoder`] reads the
//! header's value(s) and refuses what it cannot decode; [`Decoded`] wraps
//! the body (any `AsyncRead`) and hands out the decoded bytes.
//!
//! # How it works
//!
//! Each coding is a *stage*: one decoder (flate2 on miniz_oxide for gzip and
//! deflate, brotli-decompressor for br) and one fixed input buffer, both
//! allocated when the [`Decoded`] is made and never grown. A read asks the
//! last stage for output; a stage decodes what its buffer holds straight
//! into the caller's buffer and, when the buffer is used up, refills it from
//! the stage before (the first stage reads the body). Memory is therefore the
//! same for a 2:1 page and a 1000:1 bomb: output is produced only as fast as
//! the caller reads it.
//!
//! The decoded content ends only where the compressed stream says it ends:
//!
//! * the body ending before the decoder's end marker is
//!   [`DecodeErrorKind::Truncated`], never a short output;
//! * bytes after the end marker are [`DecodeErrorKind::TrailingData`];
//! * a stream that breaks the format, or whose checksum (gzip's CRC-32 and
//!   length, zlib's Adler-32) does not match, is [`DecodeErrorKind::Corrupt`];
//! * a coding other than these is [`DecodeErrorKind::Unsupported`], before
//!   anything is read.
//!
//! Decisions where the specifications leave room:
//!
//! * **Lists of codings.** `Content-Encoding: gzip, br` means gzip was
//!   applied first, then br; they are undone in reverse (br, then gzip), as
//!   RFC 9110 §8.4 describes. At most [`MAX_CODINGS`] codings are stacked,
//!   which keeps memory bounded; `identity` and empty list elements are
//!   skipped, several header lines form one list.
//! * **gzip members.** A gzip stream is a series of members (RFC 1952 §2.2);
//!   like `gunzip`, every member is decoded and checked, and the content is
//!   their concatenation. After a member, anything but the start of another
//!   member is trailing data.
//! * **deflate.** RFC 9110 says zlib-wrapped (RFC 1950), but some servers
//!   send raw deflate (RFC 1951), which browsers accept. The first two bytes
//!   decide: a valid zlib header means zlib, anything else raw deflate.
//! * **br.** The window is whatever the stream declares, up to RFC 7932's
//!   largest (16 MiB); large-window streams (a non-standard extension) are
//!   refused as corrupt, so br memory is at most about 16 MiB per stage.
//! * **An empty body** (no bytes at all) decodes to empty content: servers
//!   label empty responses with their usual coding.
//!
//! Errors travel through `AsyncRead` as `io::Error` (kind `UnexpectedEof`
//! for truncation, `InvalidData` otherwise) carrying a [`DecodeError`];
//! recover it with `io::Error::downcast::<DecodeError>()`. Errors of the
//! body itself pass through untouched.
//!
//! # Example
//!
//! ```
//! use std::io::Write;
//! use futures_lite::AsyncReadExt;
//! use netcount::decode::ContentDecoder;
//! use netcount::http::Replay;
//!
//! // A gzip body, as a server would send it.
//! let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
//! gzip.write_all(b"<p>.NET and .NET</p>")?;
//! let body = Replay::new(gzip.finish()?);
//!
//! let decoder = ContentDecoder::from_header_values(["gzip"])?;
//! let mut decoded = decoder.decode(body);
//! let mut text = String::new();
//! futures_lite::future::block_on(decoded.read_to_string(&mut text))?;
//! assert_eq!(text, "<p>.NET and .NET</p>");
//! assert_eq!(decoded.bytes_out(), 20);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;
use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use futures_lite::AsyncRead;

mod br;
mod deflate;
mod error;
mod gzip;
#[cfg(test)]
mod tests;

pub use error::{DecodeError, DecodeErrorKind};

use br::Brotli;
use deflate::Deflate;
use gzip::Gzip;

/// The most codings [`ContentDecoder`] stacks; a longer list is refused as
/// unsupported, so that memory stays bounded.
pub const MAX_CODINGS: usize = 3;

/// The size of each stage's input buffer: how many compressed bytes one
/// read from the body (or from the stage before) asks for.
pub const INPUT_BUFFER_SIZE: usize = 32 * 1024;

/// The `Accept-Encoding` value that names every coding this module decodes.
///
/// # Example
///
/// ```
/// let decoder = netcount::decode::ContentDecoder::from_header_values(
///     netcount::decode::ACCEPT_ENCODING.split(','),
/// )?;
/// assert_eq!(decoder.codings().len(), 3);
/// # Ok::<(), netcount::decode::DecodeError>(())
/// ```
pub const ACCEPT_ENCODING: &str = "gzip, deflate, br";

/// A content coding this module decodes.
///
/// # Example
///
/// ```
/// use netcount::decode::Coding;
///
/// assert_eq!(Coding::Brotli.name(), "br");
/// assert_eq!(Coding::Gzip.to_string(), "gzip");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Coding {
    /// `gzip` (or its old alias `x-gzip`): RFC 1952 members.
    Gzip,
    /// `deflate`: a zlib stream (RFC 1950), or raw deflate (RFC 1951).
    Deflate,
    /// `br`: Brotli (RFC 7932).
    Brotli,
}

impl Coding {
    /// The coding's name, as `Content-Encoding` spells it.
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(netcount::decode::Coding::Deflate.name(), "deflate");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            Coding::Gzip => "gzip",
            Coding::Deflate => "deflate",
            Coding::Brotli => "br",
        }
    }

    /// The coding a list element names; `Ok(None)` for `identity`.
    fn parse(token: &[u8]) -> Result<Option<Coding>, DecodeError> {
        let coding = match token.to_ascii_lowercase().as_slice() {
            b"identity" => return Ok(None),
            b"gzip" | b"x-gzip" => Coding::Gzip,
            b"deflate" => Coding::Deflate,
            b"br" => Coding::Brotli,
            _ => {
                return Err(DecodeError::unsupported(format!(
                    "unsupported content encoding {:?}",
                    String::from_utf8_lossy(token)
                )))
            }
        };
        Ok(Some(coding))
    }
}

impl fmt::Display for Coding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The codings of a response, read from its `Content-Encoding` header, ready
/// to wrap its body.
///
/// Making one allocates nothing and reads nothing, so an unsupported coding
/// is refused before the body is touched. [`ContentDecoder::decode`] then
/// wraps the body in a [`Decoded`] reader.
///
/// # Example
///
/// ```
/// use netcount::decode::{Coding, ContentDecoder};
///
/// // Two header lines form one list: gzip was applied first, then br.
/// let decoder = ContentDecoder::from_header_values(["gzip", "br"])?;
/// assert_eq!(decoder.codings(), &[Coding::Gzip, Coding::Brotli]);
/// assert!(ContentDecoder::from_header_values(["identity"])?.is_identity());
/// # Ok::<(), netcount::decode::DecodeError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ContentDecoder {
    /// The codings in the order they were applied (as the header lists
    /// them); at most [`MAX_CODINGS`], no `identity`.
    codings: Vec<Coding>,
}

impl ContentDecoder {
    /// No coding: [`ContentDecoder::decode`] passes the body through.
    ///
    /// # Example
    ///
    /// ```
    /// assert!(netcount::decode::ContentDecoder::identity().is_identity());
    /// ```
    pub fn identity() -> ContentDecoder {
        ContentDecoder::default()
    }

    /// The decoder for the `Content-Encoding` field values of a response, in
    /// the order received (each may be a comma-separated list; no values at
    /// all means identity). Names are case-insensitive; `x-gzip` is gzip.
    ///
    /// # Errors
    ///
    /// [`DecodeErrorKind::Unsupported`] for a coding other than gzip,
    /// deflate, br and identity, or more than [`MAX_CODINGS`] codings.
    ///
    /// # Example
    ///
    /// ```
    /// use netcount::decode::{Coding, ContentDecoder};
    ///
    /// let decoder = ContentDecoder::from_header_values([" X-GZIP ,identity,"])?;
    /// assert_eq!(decoder.codings(), &[Coding::Gzip]);
    ///
    /// let error = ContentDecoder::from_header_values(["gzip, zstd"]).unwrap_err();
    /// assert_eq!(error.to_string(), "unsupported content encoding \"zstd\"");
    /// # Ok::<(), netcount::decode::DecodeError>(())
    /// ```
    pub fn from_header_values<I>(values: I) -> Result<ContentDecoder, DecodeError>
    where
        I: IntoIterator,
        I::Item: AsRef<[u8]>,
    {
        let mut codings = Vec::new();
        for value in values {
            for token in value.as_ref().split(|&byte| byte == b',') {
                let token = token.trim_ascii();
                if token.is_empty() {
                    continue;
                }
                if let Some(coding) = Coding::parse(token)? {
                    codings.push(coding);
                }
            }
        }
        if codings.len() > MAX_CODINGS {
            return Err(DecodeError::unsupported(format!(
                "too many stacked content encodings ({}, at most {MAX_CODINGS})",
                codings.len()
            )));
        }
        Ok(ContentDecoder { codings })
    }

    /// The codings, in the order they were applied.
    ///
    /// # Example
    ///
    /// ```
    /// use netcount::decode::{Coding, ContentDecoder};
    ///
    /// let decoder = ContentDecoder::from_header_values(["deflate"])?;
    /// assert_eq!(decoder.codings(), &[Coding::Deflate]);
    /// # Ok::<(), netcount::decode::DecodeError>(())
    /// ```
    pub fn codings(&self) -> &[Coding] {
        &self.codings
    }

    /// Whether there is nothing to decode.
    ///
    /// # Example
    ///
    /// ```
    /// use netcount::decode::ContentDecoder;
    ///
    /// let none: [&str; 0] = [];
    /// assert!(ContentDecoder::from_header_values(none)?.is_identity());
    /// assert!(!ContentDecoder::from_header_values(["br"])?.is_identity());
    /// # Ok::<(), netcount::decode::DecodeError>(())
    /// ```
    pub fn is_identity(&self) -> bool {
        self.codings.is_empty()
    }

    /// Wraps `body` (the compressed bytes) in a reader of the decoded
    /// content. Every buffer and decoder state is allocated here, once.
    ///
    /// # Example
    ///
    /// ```
    /// use futures_lite::AsyncReadExt;
    /// use netcount::decode::ContentDecoder;
    ///
    /// let body = netcount::http::Replay::new("plain");
    /// let mut decoded = ContentDecoder::identity().decode(body);
    /// let mut text = String::new();
    /// futures_lite::future::block_on(decoded.read_to_string(&mut text))?;
    /// assert_eq!(text, "plain");
    /// assert_eq!((decoded.bytes_in(), decoded.bytes_out()), (5, 5));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn decode<R>(&self, body: R) -> Decoded<R> {
        Decoded {
            body,
            // The last coding applied is the first undone.
            stages: self.codings.iter().rev().map(|&c| Stage::new(c)).collect(),
            bytes_in: 0,
            bytes_out: 0,
        }
    }
}

/// A body's decoded content, as an `AsyncRead`; made by
/// [`ContentDecoder::decode`].
///
/// A read returns `Ok(0)` only once every coding's stream has ended at its
/// end marker and the body has ended right after it. Memory is fixed when
/// the reader is made, whatever the compression ratio.
///
/// # Example
///
/// ```
/// use std::io::Write;
/// use futures_lite::AsyncReadExt;
/// use netcount::decode::ContentDecoder;
///
/// let content = ".NET ".repeat(10_000);
/// let mut zlib = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
/// zlib.write_all(content.as_bytes())?;
/// let compressed = zlib.finish()?;
///
/// let body = netcount::http::Replay::new(compressed.clone()).with_read_sizes(&[7]);
/// let mut decoded = ContentDecoder::from_header_values(["deflate"])?.decode(body);
/// let mut counter = netcount::Counter::new(".NET")?;
/// let mut buf = [0; 4096];
/// futures_lite::future::block_on(async {
///     loop {
///         let n = decoded.read(&mut buf).await?;
///         if n == 0 {
///             break;
///         }
///         counter.feed(&buf[..n]);
///     }
///     Ok::<(), std::io::Error>(())
/// })?;
/// assert_eq!(counter.count(), 10_000);
/// assert_eq!(decoded.bytes_out(), 50_000);
/// assert_eq!(decoded.bytes_in(), compressed.len() as u64);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Decoded<R> {
    /// The compressed bytes.
    body: R,
    /// One stage per coding, in decoding order: `stages[0]` reads `body`,
    /// each later stage reads the one before, the last produces the
    /// content. Empty: the body passes through.
    stages: Vec<Stage>,
    /// Bytes read from `body` so far.
    bytes_in: u64,
    /// Decoded bytes handed out so far.
    bytes_out: u64,
}

impl<R> Decoded<R> {
    /// Compressed bytes read from the body so far (what came over the wire).
    ///
    /// # Example
    ///
    /// ```
    /// use netcount::decode::ContentDecoder;
    ///
    /// let decoded = ContentDecoder::identity().decode(netcount::http::Replay::new("x"));
    /// assert_eq!(decoded.bytes_in(), 0); // nothing read yet
    /// ```
    pub fn bytes_in(&self) -> u64 {
        self.bytes_in
    }

    /// Decoded bytes handed out so far (the content that was counted).
    ///
    /// # Example
    ///
    /// ```
    /// use netcount::decode::ContentDecoder;
    ///
    /// let decoded = ContentDecoder::identity().decode(netcount::http::Replay::new("x"));
    /// assert_eq!(decoded.bytes_out(), 0);
    /// ```
    pub fn bytes_out(&self) -> u64 {
        self.bytes_out
    }

    /// The body being read.
    ///
    /// # Example
    ///
    /// ```
    /// use netcount::decode::ContentDecoder;
    ///
    /// let decoded = ContentDecoder::identity().decode(netcount::http::Replay::new("x"));
    /// assert!(decoded.get_ref().sent().is_empty());
    /// ```
    pub fn get_ref(&self) -> &R {
        &self.body
    }

    /// The body being read, mutably; reading from it directly would skip
    /// bytes the decoders expect.
    ///
    /// # Example
    ///
    /// ```
    /// use netcount::decode::ContentDecoder;
    ///
    /// let mut decoded = ContentDecoder::identity().decode(netcount::http::Replay::new("x"));
    /// assert!(decoded.get_mut().sent().is_empty());
    /// ```
    pub fn get_mut(&mut self) -> &mut R {
        &mut self.body
    }

    /// The body back, for instance to return its connection to a pool once
    /// the content has been read to its end.
    ///
    /// # Example
    ///
    /// ```
    /// use netcount::decode::ContentDecoder;
    ///
    /// let decoded = ContentDecoder::identity().decode(netcount::http::Replay::new("x"));
    /// assert!(decoded.into_inner().sent().is_empty());
    /// ```
    pub fn into_inner(self) -> R {
        self.body
    }
}

impl<R: AsyncRead + Unpin> AsyncRead for Decoded<R> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        if buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        let this = &mut *self;
        let n = ready!(poll_stage(
            &mut this.body,
            &mut this.bytes_in,
            &mut this.stages,
            cx,
            buf
        ))?;
        this.bytes_out += n as u64;
        Poll::Ready(Ok(n))
    }
}

/// Fills `out` with the output of the last of `stages` (or with the body's
/// bytes when there is no stage), pulling input through the earlier stages
/// as needed. `Ok(0)` means the end of a complete stream.
fn poll_stage<R: AsyncRead + Unpin>(
    body: &mut R,
    bytes_in: &mut u64,
    stages: &mut [Stage],
    cx: &mut Context<'_>,
    out: &mut [u8],
) -> Poll<io::Result<usize>> {
    let Some((stage, earlier)) = stages.split_last_mut() else {
        let n = ready!(Pin::new(body).poll_read(cx, out))?;
        *bytes_in += n as u64;
        return Poll::Ready(Ok(n));
    };
    if let Some(error) = &stage.failed {
        return Poll::Ready(Err(error.clone().into()));
    }
    loop {
        // Decode what the buffer holds; even with nothing buffered, the
        // decoder may still hold output from earlier input.
        let input = &stage.buf[stage.start..stage.end];
        let step = match stage.codec.decode(input, out) {
            Ok(step) => step,
            Err(error) => return stage.fail(error),
        };
        stage.start += step.consumed;
        if step.produced > 0 {
            return Poll::Ready(Ok(step.produced));
        }
        if stage.start < stage.end {
            if step.consumed == 0 {
                // Input and room for output, yet nothing happened: refuse
                // rather than spin.
                let coding = stage.codec.coding();
                return stage.fail(DecodeError::corrupt(coding, "the decoder made no progress"));
            }
            continue;
        }
        if stage.input_ended {
            // The input is used up and the decoder has nothing more to give.
            if stage.codec.is_done() || !stage.seen_input {
                return Poll::Ready(Ok(0));
            }
            let coding = stage.codec.coding();
            return stage.fail(DecodeError::truncated(coding));
        }
        // Refill the input buffer from the stage before, or the body.
        let n = ready!(poll_stage(body, bytes_in, earlier, cx, &mut stage.buf))?;
        stage.start = 0;
        stage.end = n;
        stage.input_ended = n == 0;
        stage.seen_input |= n > 0;
    }
}

/// One coding being undone: its decoder and the input it has not used yet.
#[derive(Debug)]
struct Stage {
    codec: Codec,
    /// Input buffer, `INPUT_BUFFER_SIZE` bytes, allocated once.
    buf: Box<[u8]>,
    /// `buf[start..end]` is input not yet given to the decoder;
    /// `start <= end <= buf.len()`.
    start: usize,
    end: usize,
    /// The source returned end of stream: no more input will come.
    input_ended: bool,
    /// At least one input byte arrived (an empty body is empty content).
    seen_input: bool,
    /// The error this stage failed with; every later read repeats it.
    failed: Option<DecodeError>,
}

impl Stage {
    fn new(coding: Coding) -> Stage {
        Stage {
            codec: Codec::new(coding),
            buf: vec![0; INPUT_BUFFER_SIZE].into_boxed_slice(),
            start: 0,
            end: 0,
            input_ended: false,
            seen_input: false,
            failed: None,
        }
    }

    fn fail(&mut self, error: DecodeError) -> Poll<io::Result<usize>> {
        self.failed = Some(error.clone());
        Poll::Ready(Err(error.into()))
    }
}

/// What one decoding step did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Step {
    /// Input bytes used.
    consumed: usize,
    /// Output bytes written to the front of the output buffer.
    produced: usize,
}

/// A decoder for one coding: a state machine fed any split of its input.
#[derive(Debug)]
enum Codec {
    Gzip(Gzip),
    Deflate(Deflate),
    Brotli(Brotli),
}

impl Codec {
    fn new(coding: Coding) -> Codec {
        match coding {
            Coding::Gzip => Codec::Gzip(Gzip::new()),
            Coding::Deflate => Codec::Deflate(Deflate::new()),
            Coding::Brotli => Codec::Brotli(Brotli::new()),
        }
    }

    fn coding(&self) -> Coding {
        match self {
            Codec::Gzip(_) => Coding::Gzip,
            Codec::Deflate(_) => Coding::Deflate,
            Codec::Brotli(_) => Coding::Brotli,
        }
    }

    /// Decodes from `input` into `output` (non-empty), stopping at the first
    /// output. Input after the end of the stream is an error.
    fn decode(&mut self, input: &[u8], output: &mut [u8]) -> Result<Step, DecodeError> {
        match self {
            Codec::Gzip(gzip) => gzip.decode(input, output),
            Codec::Deflate(deflate) => deflate.decode(input, output),
            Codec::Brotli(brotli) => brotli.decode(input, output),
        }
    }

    /// Whether the stream has ended at its end marker, all output handed out.
    fn is_done(&self) -> bool {
        match self {
            Codec::Gzip(gzip) => gzip.is_done(),
            Codec::Deflate(deflate) => deflate.is_done(),
            Codec::Brotli(brotli) => brotli.is_done(),
        }
    }
}
