//! Parsing and resolving `http://` and `https://` URLs.
//!
//! This is a small, deliberately strict URL parser written for one job:
//! turning the URL given on the command line (or found in a `Location`
//! header) into the pieces an HTTP/1.1 client needs — the host to look up
//! in DNS, the port to connect to, the `Host` header and the request target.
//! It follows [RFC 3986], not the much more forgiving WHATWG URL standard
//! that browsers use.
//!
//! # What is supported
//!
//! - the schemes `http` and `https`, in any letter case (`HTTP://` is fine);
//! - host names (stored lower-cased), dotted-quad IPv4 addresses
//!   (`http://127.0.0.1/`) and bracketed IPv6 addresses (`http://[::1]/`);
//! - an optional port from 1 to 65535; an empty port (`http://host:/`)
//!   means the default port, as RFC 3986 allows;
//! - a path and a query, kept as written with two exceptions: non-ASCII
//!   characters are percent-encoded as UTF-8 (`/ü` becomes `/%C3%BC`), and
//!   `.` and `..` segments are removed from the path (`/a/../b` becomes `/b`);
//! - resolving a relative reference such as `../next?page=2` against a base
//!   URL with [`Url::join`], following RFC 3986 §5.2.
//!
//! A fragment (`#section`) is accepted and dropped: it is never sent to a
//! server, so there is nothing for an HTTP client to do with it.
//!
//! # Credentials
//!
//! A URL may carry a user name and password (`https://user:secret@host/`);
//! the client sends them as `Authorization: Basic` to that origin only. They
//! are kept, percent-encoded as written, but never shown: `Display` writes
//! the URL without them, `Debug` writes `<redacted>`, and an invalid URL's
//! error replaces them with `***`. Write `@`, `:` (in the user name), `/`,
//! `?` and `#` in them percent-encoded (`%40`, `%3A`, `%2F`, `%3F`, `%23`).
//!
//! # What is refused, and why
//!
//! Every refusal is an [`Error::InvalidUrl`] whose `reason` says what was
//! wrong. Nothing is silently "fixed", because a guess that differs from what
//! the user meant would make us download the wrong thing.
//!
//! - any other scheme (`ftp:`, `file:`, `mailto:`), or no scheme at all:
//!   we only speak HTTP;
//! - spaces, tabs, line breaks and other control characters anywhere in the
//!   input, including leading or trailing whitespace: they are never valid
//!   in a URL, and a line break in a request target could be used to inject
//!   extra header lines;
//! - percent-encoded or non-ASCII host names: internationalized names need
//!   IDNA processing, which this module does not do, so write the punycode
//!   form (`xn--...`) instead;
//! - host names whose last label is a number but that are not a valid
//!   dotted-quad IPv4 address (`256.1.1.1`, `1.2.3`, `0x7f.0.0.1`): the system
//!   resolver may read such names as an IPv4 address in some other notation,
//!   so we refuse instead of guessing;
//! - IPv6 zone identifiers (`[fe80::1%25eth0]`) and `IPvFuture` addresses;
//! - a backslash in the path: some software treats it as `/`, some does not,
//!   so its meaning is ambiguous (write `/` or `%5C`);
//! - inputs longer than 64 KiB, and URLs longer than that after encoding.
//!
//! # Example
//!
//! ```
//! use netcount::url::Url;
//!
//! let url = Url::parse("HTTPS://Example.COM:8443/a/./b/../c?q=1#top")?;
//! assert_eq!(url.host_str(), "example.com");
//! assert_eq!(url.port(), 8443);
//! assert_eq!(url.authority(), "example.com:8443");
//! assert_eq!(url.request_target(), "/a/c?q=1");
//! assert_eq!(url.to_string(), "https://example.com:8443/a/c?q=1");
//!
//! let next = url.join("../d?page=2")?;
//! assert_eq!(next.to_string(), "https://example.com:8443/d?page=2");
//! # Ok::<(), netcount::error::Error>(())
//! ```
//!
//! [RFC 3986]: https://www.rfc-editor.org/rfc/rfc3986

// Layout: this file holds the types and their accessors; `parse.rs` is
// RFC 3986 §3 (`Url::parse`), `join.rs` is §5.2 (`Url::join`, and the dot
// segment removal that parsing also uses); `tests/` has one file per concern.

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

use crate::error::Error;

mod join;
mod parse;
#[cfg(test)]
mod tests;

/// The longest input we accept, and the longest URL we build (64 KiB).
const MAX_URL_LEN: usize = 64 * 1024;

/// How many characters of a bad input are kept in an error.
const MAX_ERROR_URL_CHARS: usize = 200;

/// The reason given when the input does not start with a scheme.
const MISSING_SCHEME: &str = "missing scheme; expected http:// or https://";

/// The two URL schemes this crate can download from.
///
/// # Example
///
/// ```
/// use netcount::url::{Scheme, Url};
///
/// let url = Url::parse("https://example.com/")?;
/// assert_eq!(url.scheme(), Scheme::Https);
/// # Ok::<(), netcount::error::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scheme {
    /// Plain-text HTTP (`http://`), default port 80.
    Http,
    /// HTTP over TLS (`https://`), default port 443.
    Https,
}

impl Scheme {
    /// The scheme name in lower case, without `://`.
    ///
    /// # Example
    ///
    /// ```
    /// use netcount::url::Scheme;
    ///
    /// assert_eq!(Scheme::Http.as_str(), "http");
    /// assert_eq!(Scheme::Https.as_str(), "https");
    /// ```
    pub fn as_str(&self) -> &'static str {
        match self {
            Scheme::Http => "http",
            Scheme::Https => "https",
        }
    }

    /// The port used when the URL does not name one: 80 for HTTP, 443 for HTTPS.
    ///
    /// # Example
    ///
    /// ```
    /// use netcount::url::Scheme;
    ///
    /// assert_eq!(Scheme::Http.default_port(), 80);
    /// assert_eq!(Scheme::Https.default_port(), 443);
    /// ```
    pub fn default_port(&self) -> u16 {
        match self {
            Scheme::Http => 80,
            Scheme::Https => 443,
        }
    }

    /// Recognizes a scheme name in any letter case.
    fn from_name(name: &str) -> Option<Scheme> {
        if name.eq_ignore_ascii_case("http") {
            Some(Scheme::Http)
        } else if name.eq_ignore_ascii_case("https") {
            Some(Scheme::Https)
        } else {
            None
        }
    }
}

/// The host part of a URL: a domain name, an IPv4 address or an IPv6 address.
///
/// `Display` writes the host the way you would pass it to DNS or to TLS
/// (SNI): the lower-cased domain name, or the address in its standard text
/// form. IPv6 addresses are written *without* brackets; use
/// [`Url::authority`] when you need the bracketed form for a `Host` header.
///
/// # Example
///
/// ```
/// use netcount::url::{Host, Url};
///
/// let url = Url::parse("http://[::1]:8080/")?;
/// assert_eq!(url.host(), &Host::Ipv6(std::net::Ipv6Addr::LOCALHOST));
/// assert_eq!(url.host().to_string(), "::1");
/// # Ok::<(), netcount::error::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Host {
    /// A registered name such as `example.com`, always in lower case.
    Domain(String),
    /// An IPv4 address written as a dotted quad, such as `127.0.0.1`.
    Ipv4(Ipv4Addr),
    /// An IPv6 address, written in brackets in the URL: `[::1]`.
    Ipv6(Ipv6Addr),
}

impl fmt::Display for Host {
    /// Writes the domain name or the address, IPv6 without brackets.
    ///
    /// # Example
    ///
    /// ```
    /// use netcount::url::Host;
    ///
    /// assert_eq!(Host::Domain("example.com".into()).to_string(), "example.com");
    /// assert_eq!(Host::Ipv4([10, 0, 0, 1].into()).to_string(), "10.0.0.1");
    /// assert_eq!(Host::Ipv6(std::net::Ipv6Addr::LOCALHOST).to_string(), "::1");
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Host::Domain(name) => f.write_str(name),
            Host::Ipv4(addr) => addr.fmt(f),
            Host::Ipv6(addr) => addr.fmt(f),
        }
    }
}

/// An absolute `http` or `https` URL, parsed and normalized.
///
/// Two URLs that mean the same thing compare equal: the scheme and domain
/// are lower-cased, a port equal to the scheme's default is forgotten, IPv6
/// addresses are stored as addresses, dot segments are removed from the path
/// and the fragment is dropped. Credentials take part in the comparison,
/// but are never displayed (see [the module docs](crate::url#credentials)).
///
/// # Example
///
/// ```
/// use netcount::url::Url;
///
/// let a = Url::parse("HTTP://Example.com:80/a/../b")?;
/// let b = Url::parse("http://example.com/b")?;
/// assert_eq!(a, b);
/// assert_eq!(a.to_string(), "http://example.com/b");
/// # Ok::<(), netcount::error::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Url {
    scheme: Scheme,
    /// `user[:password]` from before the `@`, if the URL had one.
    credentials: Option<Credentials>,
    host: Host,
    /// `host` as text, computed once so that `host_str` can return a `&str`.
    host_text: String,
    /// The port to connect to: the explicit one, or the scheme's default.
    port: u16,
    /// The path, followed by `?` and the query when there is a query.
    target: String,
    /// Length in bytes of the path at the start of `target`.
    path_len: usize,
}

/// The `user[:password]` part of a URL, percent-encoded as written; never
/// empty. Its `Debug` shows nothing of it.
#[derive(Clone, PartialEq, Eq, Hash)]
pub(crate) struct Credentials {
    /// The user name (before the first `:`), percent-encoded.
    user: String,
    /// The password (after the first `:`), percent-encoded; `None` when
    /// there is no `:`.
    password: Option<String>,
}

impl Credentials {
    /// Splits a checked userinfo at its first `:`.
    pub(super) fn new(userinfo: &str) -> Credentials {
        match userinfo.split_once(':') {
            Some((user, password)) => Credentials {
                user: user.to_owned(),
                password: Some(password.to_owned()),
            },
            None => Credentials {
                user: userinfo.to_owned(),
                password: None,
            },
        }
    }

    /// The user name, percent-decoded.
    pub(crate) fn user(&self) -> Vec<u8> {
        percent_decode(&self.user)
    }

    /// The password, percent-decoded; empty when there was none.
    pub(crate) fn password(&self) -> Vec<u8> {
        self.password
            .as_deref()
            .map(percent_decode)
            .unwrap_or_default()
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// Decodes `%XX` escapes (already checked to be valid) into bytes.
fn percent_decode(text: &str) -> Vec<u8> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    out
}

impl Url {
    /// The scheme, `http` or `https`.
    ///
    /// # Example
    ///
    /// ```
    /// use netcount::url::{Scheme, Url};
    ///
    /// assert_eq!(Url::parse("HTTP://example.com/")?.scheme(), Scheme::Http);
    /// # Ok::<(), netcount::error::Error>(())
    /// ```
    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// The host: a domain name, an IPv4 address or an IPv6 address.
    ///
    /// # Example
    ///
    /// ```
    /// use netcount::url::{Host, Url};
    ///
    /// let url = Url::parse("http://127.0.0.1:8000/")?;
    /// assert_eq!(url.host(), &Host::Ipv4([127, 0, 0, 1].into()));
    /// # Ok::<(), netcount::error::Error>(())
    /// ```
    pub fn host(&self) -> &Host {
        &self.host
    }

    /// The host as text, ready for DNS or TLS server name indication.
    ///
    /// Domain names are lower-case; IPv6 addresses come without brackets.
    ///
    /// # Example
    ///
    /// ```
    /// use netcount::url::Url;
    ///
    /// assert_eq!(Url::parse("http://WWW.Example.com/")?.host_str(), "www.example.com");
    /// assert_eq!(Url::parse("http://[2001:DB8::1]/")?.host_str(), "2001:db8::1");
    /// # Ok::<(), netcount::error::Error>(())
    /// ```
    pub fn host_str(&self) -> &str {
        &self.host_text
    }

    /// The port to connect to: the one in the URL, or the scheme's default.
    ///
    /// # Example
    ///
    /// ```
    /// use netcount::url::Url;
    ///
    /// assert_eq!(Url::parse("http://example.com/")?.port(), 80);
    /// assert_eq!(Url::parse("https://example.com/")?.port(), 443);
    /// assert_eq!(Url::parse("http://example.com:8080/")?.port(), 8080);
    /// # Ok::<(), netcount::error::Error>(())
    /// ```
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Whether the port is the scheme's default (80 for HTTP, 443 for HTTPS).
    ///
    /// # Example
    ///
    /// ```
    /// use netcount::url::Url;
    ///
    /// assert!(Url::parse("https://example.com:443/")?.is_default_port());
    /// assert!(!Url::parse("https://example.com:80/")?.is_default_port());
    /// # Ok::<(), netcount::error::Error>(())
    /// ```
    pub fn is_default_port(&self) -> bool {
        self.port == self.scheme.default_port()
    }

    /// The value for the `Host` request header.
    ///
    /// This is the host (IPv6 in brackets) followed by `:port` only when the
    /// port is not the scheme's default.
    ///
    /// # Example
    ///
    /// ```
    /// use netcount::url::Url;
    ///
    /// assert_eq!(Url::parse("http://Example.com:80/")?.authority(), "example.com");
    /// assert_eq!(Url::parse("http://[::1]:8080/")?.authority(), "[::1]:8080");
    /// # Ok::<(), netcount::error::Error>(())
    /// ```
    pub fn authority(&self) -> String {
        let mut out = match self.host {
            Host::Ipv6(_) => format!("[{}]", self.host_text),
            _ => self.host_text.clone(),
        };
        if !self.is_default_port() {
            out.push(':');
            out.push_str(&self.port.to_string());
        }
        out
    }

    /// The path. It always starts with `/`, and is `/` when the URL has none.
    ///
    /// # Example
    ///
    /// ```
    /// use netcount::url::Url;
    ///
    /// assert_eq!(Url::parse("http://example.com")?.path(), "/");
    /// assert_eq!(Url::parse("http://example.com/a/b?c")?.path(), "/a/b");
    /// # Ok::<(), netcount::error::Error>(())
    /// ```
    pub fn path(&self) -> &str {
        self.target.get(..self.path_len).unwrap_or("/")
    }

    /// The query, without the `?`.
    ///
    /// `None` when there is no `?`, and `Some("")` when the URL ends in a
    /// bare `?`: the two are different URLs.
    ///
    /// # Example
    ///
    /// ```
    /// use netcount::url::Url;
    ///
    /// assert_eq!(Url::parse("http://example.com/?a=1&b=2")?.query(), Some("a=1&b=2"));
    /// assert_eq!(Url::parse("http://example.com/?")?.query(), Some(""));
    /// assert_eq!(Url::parse("http://example.com/")?.query(), None);
    /// # Ok::<(), netcount::error::Error>(())
    /// ```
    pub fn query(&self) -> Option<&str> {
        // The byte at `path_len`, if any, is the '?' that starts the query.
        self.target.get(self.path_len..)?.strip_prefix('?')
    }

    /// What goes in the HTTP request line: the path, plus `?query` if any.
    ///
    /// It never contains a fragment.
    ///
    /// # Example
    ///
    /// ```
    /// use netcount::url::Url;
    ///
    /// let url = Url::parse("http://example.com/search?q=rust#results")?;
    /// assert_eq!(url.request_target(), "/search?q=rust");
    /// # Ok::<(), netcount::error::Error>(())
    /// ```
    pub fn request_target(&self) -> &str {
        &self.target
    }

    /// Whether the URL carries a user name (and maybe a password):
    /// `https://user:secret@host/`.
    ///
    /// # Example
    ///
    /// ```
    /// use netcount::url::Url;
    ///
    /// let url = Url::parse("https://ann:s3cret@example.com/private")?;
    /// assert!(url.has_credentials());
    /// // Never shown: not by Display, not by Debug.
    /// assert_eq!(url.to_string(), "https://example.com/private");
    /// assert!(!format!("{url:?}").contains("s3cret"));
    /// assert!(!Url::parse("https://example.com/")?.has_credentials());
    /// # Ok::<(), netcount::error::Error>(())
    /// ```
    pub fn has_credentials(&self) -> bool {
        self.credentials.is_some()
    }

    /// The same URL without its credentials.
    ///
    /// # Example
    ///
    /// ```
    /// use netcount::url::Url;
    ///
    /// let url = Url::parse("http://ann:pw@example.com/a")?;
    /// assert_eq!(url.without_credentials(), Url::parse("http://example.com/a")?);
    /// assert_ne!(url, url.without_credentials());
    /// # Ok::<(), netcount::error::Error>(())
    /// ```
    pub fn without_credentials(&self) -> Url {
        Url {
            credentials: None,
            ..self.clone()
        }
    }

    /// The credentials, if any.
    pub(crate) fn credentials(&self) -> Option<&Credentials> {
        self.credentials.as_ref()
    }

    /// Whether `other` has the same origin (scheme, host and port): where
    /// credentials given for this URL may also be sent.
    pub(crate) fn same_origin(&self, other: &Url) -> bool {
        self.scheme == other.scheme && self.host == other.host && self.port == other.port
    }

    /// The same URL with `port` (for a proxy given without one).
    pub(crate) fn with_port(&self, port: u16) -> Url {
        Url {
            port,
            ..self.clone()
        }
    }

    /// Assembles a `Url` from parts that have already been checked.
    ///
    /// `port` is `None` when the URL gave none (or an empty one); `path` has
    /// already been encoded and had its dot segments removed.
    fn build(
        scheme: Scheme,
        host: Host,
        port: Option<u16>,
        path: &str,
        query: Option<&str>,
    ) -> Result<Url, String> {
        let mut target = String::with_capacity(path.len() + 1);
        if !path.starts_with('/') {
            target.push('/');
        }
        target.push_str(path);
        let path_len = target.len();
        if let Some(query) = query {
            target.push('?');
            target.push_str(query);
        }
        if target.len() > MAX_URL_LEN {
            return Err(format!(
                "is longer than {MAX_URL_LEN} bytes (64 KiB) once encoded"
            ));
        }
        Ok(Url {
            scheme,
            credentials: None,
            host_text: host.to_string(),
            host,
            port: port.unwrap_or(scheme.default_port()),
            target,
            path_len,
        })
    }
}

impl fmt::Display for Url {
    /// Writes the normalized URL: `scheme://authority/path?query`.
    ///
    /// The port appears only when it is not the default, IPv6 addresses are
    /// in brackets, and there is never a fragment, nor any credentials.
    /// Parsing the output gives back an equal `Url` (without its
    /// credentials, if it had some).
    ///
    /// # Example
    ///
    /// ```
    /// use netcount::url::Url;
    ///
    /// let url = Url::parse("HTTPS://[::1]:443/a/./b?x#frag")?;
    /// assert_eq!(url.to_string(), "https://[::1]/a/b?x");
    /// assert_eq!(Url::parse(&url.to_string())?, url);
    /// # Ok::<(), netcount::error::Error>(())
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}://{}{}",
            self.scheme.as_str(),
            self.authority(),
            self.target
        )
    }
}

/// Builds the error for a bad `input`, keeping at most 200 characters of it,
/// with anything that may be credentials replaced by `***`.
fn invalid(input: &str, reason: impl Into<String>) -> Error {
    let input = redact_credentials(input);
    let input = input.as_ref();
    let url = match input.char_indices().nth(MAX_ERROR_URL_CHARS) {
        Some((cut, _)) => format!("{}…", &input[..cut]),
        None => input.to_owned(),
    };
    Error::InvalidUrl {
        url,
        reason: reason.into(),
    }
}

/// `input` with whatever stands before an `@` in its authority replaced by
/// `***`. The authority is taken generously (from the first `//` to the
/// next `/`), so that even a malformed URL does not show a password.
pub(crate) fn redact_credentials(input: &str) -> std::borrow::Cow<'_, str> {
    let Some(start) = input.find("//").map(|i| i + 2) else {
        return input.into();
    };
    let end = input[start..].find('/').map_or(input.len(), |i| start + i);
    match input[start..end].rfind('@') {
        Some(at) => format!("{}***{}", &input[..start], &input[start + at..]).into(),
        None => input.into(),
    }
}
