//! A response's content: its body, decoded when the server compressed it.
//!
//! What is counted is the content, not the bytes that carried it. A body
//! sent with a `Content-Encoding` the client decodes (gzip, deflate, br:
//! feature `compression`) is decoded as it streams, whether or not the
//! request asked for compression: a server may compress anyway, and
//! counting its compressed bytes would give a wrong number. Any other coding
//! is refused before a byte of the body is read; without the feature, every
//! coding is.
//!
//! A body with no content at all (204, 304, `Content-Length: 0`) has
//! nothing to decode, so its coding is neither checked nor decoded: its
//! count is 0 whatever the label says.

use futures_lite::AsyncRead;

use super::body::Body;
use super::head::Headers;
use crate::error::Error;
use crate::matcher::Tally;

/// The content of a response, read from its body.
#[derive(Debug)]
pub(crate) enum Content<S> {
    /// The body as sent: no coding, or no content to decode.
    Plain(Body<S>),
    /// The body, decoded as it streams.
    #[cfg(feature = "compression")]
    Decoded {
        /// The decoder, reading the body.
        reader: crate::decode::Decoded<Body<S>>,
        /// The codings undone, as [`Content::codings`] names them.
        codings: String,
    },
}

impl<S: AsyncRead + Unpin> Content<S> {
    /// The content of `body`, whose response head has `headers`. Refuses a
    /// coding that cannot be decoded (with nothing read yet).
    pub(crate) fn new(body: Body<S>, headers: &Headers) -> Result<Content<S>, Error> {
        if body.is_complete() {
            return Ok(Content::Plain(body));
        }
        let codings = headers.get_all("content-encoding");
        #[cfg(feature = "compression")]
        {
            let decoder = crate::decode::ContentDecoder::from_header_values(codings)?;
            if decoder.is_identity() {
                return Ok(Content::Plain(body));
            }
            let names: Vec<&str> = decoder.codings().iter().map(|c| c.name()).collect();
            Ok(Content::Decoded {
                reader: decoder.decode(body),
                codings: names.join(", "),
            })
        }
        #[cfg(not(feature = "compression"))]
        {
            for value in codings {
                let identity = super::field::list(value)
                    .all(|coding| coding.is_empty() || coding.eq_ignore_ascii_case(b"identity"));
                if !identity {
                    return Err(Error::UnsupportedEncoding {
                        header: "content-encoding",
                        coding: String::from_utf8_lossy(value).into_owned(),
                    });
                }
            }
            Ok(Content::Plain(body))
        }
    }

    /// Reads the whole content through `counter`, using `buf` as the read
    /// buffer, and returns the number of content bytes (decoded bytes, for
    /// a compressed body).
    pub(crate) async fn count_into<T: Tally + ?Sized>(
        &mut self,
        counter: &mut T,
        buf: &mut [u8],
    ) -> Result<u64, Error> {
        match self {
            Content::Plain(body) => body.count_into(counter, buf).await,
            #[cfg(feature = "compression")]
            Content::Decoded { reader, .. } => {
                super::body::count_reader(reader, counter, buf).await
            }
        }
    }

    /// Body bytes received so far: the payload (without chunked framing),
    /// before decoding.
    pub(crate) fn bytes_received(&self) -> u64 {
        self.body().received()
    }

    /// The content codings being undone, named as `Content-Encoding` names
    /// them, in the order the server applied them (`gzip`, `gzip, br`), or
    /// `identity`.
    pub(crate) fn codings(&self) -> &str {
        match self {
            Content::Plain(_) => "identity",
            #[cfg(feature = "compression")]
            Content::Decoded { codings, .. } => codings,
        }
    }

    /// The connection the body is read from.
    pub(crate) fn stream_mut(&mut self) -> &mut S {
        match self {
            Content::Plain(body) => body.get_mut(),
            #[cfg(feature = "compression")]
            Content::Decoded { reader, .. } => reader.get_mut().get_mut(),
        }
    }

    /// Whether the body ended exactly where its framing said, with nothing
    /// read past it: only then may its connection carry another request.
    pub(crate) fn at_message_end(&self) -> bool {
        self.body().at_message_end()
    }

    /// The body under the content.
    fn body(&self) -> &Body<S> {
        match self {
            Content::Plain(body) => body,
            #[cfg(feature = "compression")]
            Content::Decoded { reader, .. } => reader.get_ref(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::{Framing, Header, Replay};

    fn headers(coding: &str) -> Headers {
        Headers::from(vec![Header {
            name: "Content-Encoding".to_string(),
            value: coding.as_bytes().to_vec(),
        }])
    }

    #[test]
    fn a_body_without_content_is_never_refused_nor_decoded() {
        for framing in [Framing::Empty, Framing::Length(0)] {
            let body = Body::new(Replay::new(""), framing, Vec::new());
            let content = Content::new(body, &headers("zstd")).unwrap();
            assert!(matches!(content, Content::Plain(_)));
            assert_eq!(content.codings(), "identity");
        }
    }

    #[test]
    fn identity_is_the_body_itself() {
        for coding in ["identity", "", " , IDENTITY"] {
            let body = Body::new(Replay::new("abc"), Framing::UntilClose, Vec::new());
            let content = Content::new(body, &headers(coding)).unwrap();
            assert!(matches!(content, Content::Plain(_)), "{coding:?}");
        }
    }

    #[cfg(not(feature = "compression"))]
    #[test]
    fn without_the_decoders_every_coding_is_refused() {
        for coding in ["gzip", "identity, br", "zstd"] {
            let body = Body::new(Replay::new("abc"), Framing::UntilClose, Vec::new());
            let error = Content::new(body, &headers(coding)).unwrap_err();
            assert!(
                matches!(&error, Error::UnsupportedEncoding { coding: c, .. } if c == coding),
                "{error:?}"
            );
        }
    }

    #[cfg(feature = "compression")]
    #[test]
    fn decoding_an_endless_stream_still_lets_a_timer_run() {
        use std::io::Write;
        use std::pin::Pin;
        use std::task::{Context, Poll};
        use std::time::{Duration, Instant};

        /// A stream that is always ready and repeats `bytes` forever.
        struct Endless {
            bytes: Vec<u8>,
            /// Where the next read starts; `at < bytes.len()`.
            at: usize,
        }
        impl AsyncRead for Endless {
            fn poll_read(
                mut self: Pin<&mut Self>,
                _: &mut Context<'_>,
                buf: &mut [u8],
            ) -> Poll<std::io::Result<usize>> {
                let this = &mut *self;
                let n = buf.len().min(this.bytes.len() - this.at);
                buf[..n].copy_from_slice(&this.bytes[this.at..this.at + n]);
                this.at = (this.at + n) % this.bytes.len();
                Poll::Ready(Ok(n))
            }
        }

        // One gzip member of 1 MiB, again and again: a bomb that never
        // ends and never makes a read wait.
        let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        gzip.write_all(&[b'x'; 1 << 20]).unwrap();
        let endless = Endless {
            bytes: gzip.finish().unwrap(),
            at: 0,
        };
        let body = Body::new(endless, Framing::UntilClose, Vec::new());
        let mut content = Content::new(body, &headers("gzip")).unwrap();
        assert_eq!(content.codings(), "gzip");
        let mut counter = crate::Counter::new("x").unwrap();
        let mut buf = vec![0; 64 * 1024];
        let deadline = Instant::now() + Duration::from_millis(50);
        let counting = content.count_into(&mut counter, &mut buf);
        let result = futures_lite::future::block_on(crate::deadline::until(deadline, counting));
        assert!(result.is_err(), "the timer never got its turn");
        assert!(counter.count() > 0, "the content was being counted");
        assert!(content.bytes_received() > 0);
    }
}
