//! Why a body cannot be decoded.

use std::fmt;
use std::io;

use super::Coding;

/// What went wrong, in the terms the caller acts on.
///
/// # Example
///
/// ```
/// use netcount::decode::{ContentDecoder, DecodeErrorKind};
///
/// let error = ContentDecoder::from_header_values(["zstd"]).unwrap_err();
/// assert_eq!(error.kind(), DecodeErrorKind::Unsupported);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DecodeErrorKind {
    /// A coding we cannot decode, or too many stacked codings.
    Unsupported,
    /// The compressed bytes break the format or fail a checksum.
    Corrupt,
    /// The body ended before the compressed stream's end marker.
    Truncated,
    /// Bytes follow the end of the compressed stream.
    TrailingData,
}

/// Why a body cannot be decoded; see [`DecodeErrorKind`].
///
/// # Example
///
/// ```
/// use netcount::decode::{Coding, ContentDecoder, DecodeError, DecodeErrorKind};
/// use futures_lite::AsyncReadExt;
///
/// // A gzip stream cut after its first 3 bytes.
/// let body = netcount::http::Replay::new(vec![0x1f, 0x8b, 8]);
/// let mut decoded = ContentDecoder::from_header_values(["gzip"])?.decode(body);
/// let mut out = Vec::new();
/// let error = futures_lite::future::block_on(decoded.read_to_end(&mut out)).unwrap_err();
/// assert_eq!(error.kind(), std::io::ErrorKind::UnexpectedEof);
///
/// let error = error.downcast::<DecodeError>().unwrap();
/// assert_eq!(error.kind(), DecodeErrorKind::Truncated);
/// assert_eq!(error.coding(), Some(Coding::Gzip));
/// assert!(error.to_string().starts_with("truncated gzip stream"));
/// # Ok::<(), DecodeError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    kind: DecodeErrorKind,
    /// The coding whose stream failed; `None` for [`DecodeErrorKind::Unsupported`].
    coding: Option<Coding>,
    /// The specifics: the whole message for `Unsupported`, else what was
    /// wrong with the stream.
    detail: String,
}

impl DecodeError {
    /// What went wrong.
    ///
    /// # Example
    ///
    /// ```
    /// use netcount::decode::{ContentDecoder, DecodeErrorKind};
    ///
    /// let error = ContentDecoder::from_header_values(["gzip, gzip, gzip, gzip"]).unwrap_err();
    /// assert_eq!(error.kind(), DecodeErrorKind::Unsupported);
    /// ```
    pub fn kind(&self) -> DecodeErrorKind {
        self.kind
    }

    /// The coding whose stream failed (`None` when a coding is unsupported).
    ///
    /// # Example
    ///
    /// ```
    /// let error = netcount::decode::ContentDecoder::from_header_values(["compress"]).unwrap_err();
    /// assert_eq!(error.coding(), None);
    /// assert_eq!(error.to_string(), "unsupported content encoding \"compress\"");
    /// ```
    pub fn coding(&self) -> Option<Coding> {
        self.coding
    }

    pub(super) fn unsupported(message: String) -> DecodeError {
        DecodeError {
            kind: DecodeErrorKind::Unsupported,
            coding: None,
            detail: message,
        }
    }

    pub(super) fn corrupt(coding: Coding, detail: impl Into<String>) -> DecodeError {
        DecodeError {
            kind: DecodeErrorKind::Corrupt,
            coding: Some(coding),
            detail: detail.into(),
        }
    }

    pub(super) fn truncated(coding: Coding) -> DecodeError {
        DecodeError {
            kind: DecodeErrorKind::Truncated,
            coding: Some(coding),
            detail: String::new(),
        }
    }

    pub(super) fn trailing_data(coding: Coding) -> DecodeError {
        DecodeError {
            kind: DecodeErrorKind::TrailingData,
            coding: Some(coding),
            detail: String::new(),
        }
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let coding = self.coding.map_or("", Coding::name);
        match self.kind {
            DecodeErrorKind::Unsupported => f.write_str(&self.detail),
            DecodeErrorKind::Corrupt => write!(f, "corrupt {coding} stream: {}", self.detail),
            DecodeErrorKind::Truncated => write!(
                f,
                "truncated {coding} stream: the body ended before the end of the compressed data"
            ),
            DecodeErrorKind::TrailingData => {
                write!(f, "trailing data after the end of the {coding} stream")
            }
        }
    }
}

impl std::error::Error for DecodeError {}

impl From<DecodeError> for io::Error {
    /// Wraps the error so it can travel through `AsyncRead`: `UnexpectedEof`
    /// for a truncated stream, `InvalidData` for the rest.
    fn from(error: DecodeError) -> io::Error {
        let kind = match error.kind {
            DecodeErrorKind::Truncated => io::ErrorKind::UnexpectedEof,
            _ => io::ErrorKind::InvalidData,
        };
        io::Error::new(kind, error)
    }
}
