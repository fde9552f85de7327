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
//! - credentials (`user:password@host`): they would end up in logs and
//!   shell history, and we have no use for them;
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

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

use crate::error::Error;

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
/// and the fragment is dropped.
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

impl Url {
    /// Parses an absolute `http://` or `https://` URL.
    ///
    /// See the [module documentation](self) for exactly what is accepted.
    ///
    /// # Errors
    ///
    /// Returns [`Error::InvalidUrl`] when the input is not a valid `http` or
    /// `https` URL, or uses a feature this module refuses (credentials, IDN
    /// host names, IPv6 zone identifiers, ...).
    ///
    /// # Example
    ///
    /// ```
    /// use netcount::url::Url;
    ///
    /// let url = Url::parse("http://example.com/index.html")?;
    /// assert_eq!(url.path(), "/index.html");
    ///
    /// assert!(Url::parse("ftp://example.com/").is_err());
    /// assert!(Url::parse("http://user:secret@example.com/").is_err());
    /// # Ok::<(), netcount::error::Error>(())
    /// ```
    pub fn parse(input: &str) -> Result<Url, Error> {
        parse_absolute(input).map_err(|reason| invalid(input, reason))
    }

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

    /// Resolves a reference, such as a `Location` header value, against this URL.
    ///
    /// This is the algorithm of RFC 3986 §5.2 in its "strict" form: a
    /// reference with a scheme is parsed as an absolute URL on its own
    /// (so `http:page` is an error, not a relative path), `//host/path`
    /// keeps this URL's scheme, and anything else is resolved relative to
    /// this URL's path. The same rules as [`Url::parse`] apply to the
    /// reference: no spaces or control characters, fragments dropped.
    ///
    /// # Errors
    ///
    /// Returns [`Error::InvalidUrl`] (whose `url` is the reference) when the
    /// reference is malformed or the result would not be an `http` or `https`
    /// URL.
    ///
    /// # Example
    ///
    /// ```
    /// use netcount::url::Url;
    ///
    /// let base = Url::parse("http://example.com/docs/guide/intro.html")?;
    /// assert_eq!(base.join("setup.html")?.to_string(), "http://example.com/docs/guide/setup.html");
    /// assert_eq!(base.join("../api/")?.to_string(), "http://example.com/docs/api/");
    /// assert_eq!(base.join("/")?.to_string(), "http://example.com/");
    /// assert_eq!(base.join("//cdn.example.net/x")?.to_string(), "http://cdn.example.net/x");
    /// assert_eq!(base.join("https://example.org/")?.to_string(), "https://example.org/");
    /// assert!(base.join("mailto:someone@example.com").is_err());
    /// # Ok::<(), netcount::error::Error>(())
    /// ```
    pub fn join(&self, reference: &str) -> Result<Url, Error> {
        self.resolve(reference)
            .map_err(|reason| invalid(reference, reason))
    }

    /// RFC 3986 §5.2.2, "transform references", with errors as plain reasons.
    fn resolve(&self, reference: &str) -> Result<Url, String> {
        check_characters(reference)?;
        if split_scheme(reference).is_some() {
            // Strict mode: a scheme means an absolute URL, even "http:g".
            return parse_absolute(reference);
        }
        let parts = split_reference(reference);
        let query = parts.query.map(percent_encode_non_ascii);

        if let Some(authority) = parts.authority {
            // "//host/path": everything but the scheme comes from the reference.
            let (host, port) = parse_authority(authority)?;
            let path = remove_dot_segments(&encode_path(parts.path)?);
            return Url::build(self.scheme, host, port, &path, query.as_deref());
        }

        let (path, query) = if parts.path.is_empty() {
            // "" or "?y": keep the base path, and the base query unless replaced.
            let query = match query {
                Some(query) => Some(query),
                None => self.query().map(str::to_owned),
            };
            (self.path().to_owned(), query)
        } else {
            let reference_path = encode_path(parts.path)?;
            let path = if reference_path.starts_with('/') {
                remove_dot_segments(&reference_path)
            } else {
                remove_dot_segments(&merge(self.path(), &reference_path))
            };
            (path, query)
        };
        Url::build(
            self.scheme,
            self.host.clone(),
            Some(self.port),
            &path,
            query.as_deref(),
        )
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
    /// in brackets, and there is never a fragment. Parsing the output gives
    /// back an equal `Url`.
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

impl FromStr for Url {
    type Err = Error;

    /// The same as [`Url::parse`], so that `"...".parse::<Url>()` works.
    ///
    /// # Example
    ///
    /// ```
    /// use netcount::url::Url;
    ///
    /// let url: Url = "http://example.com/".parse()?;
    /// assert_eq!(url.host_str(), "example.com");
    /// # Ok::<(), netcount::error::Error>(())
    /// ```
    fn from_str(input: &str) -> Result<Url, Error> {
        Url::parse(input)
    }
}

/// Builds the error for a bad `input`, keeping at most 200 characters of it.
fn invalid(input: &str, reason: impl Into<String>) -> Error {
    let url = match input.char_indices().nth(MAX_ERROR_URL_CHARS) {
        Some((cut, _)) => format!("{}…", &input[..cut]),
        None => input.to_owned(),
    };
    Error::InvalidUrl {
        url,
        reason: reason.into(),
    }
}

/// Parses an absolute URL; the error is the reason only.
fn parse_absolute(input: &str) -> Result<Url, String> {
    if input.is_empty() {
        return Err(format!("empty url; {MISSING_SCHEME}"));
    }
    check_characters(input)?;
    let (name, rest) = split_scheme(input).ok_or(MISSING_SCHEME)?;
    let scheme = parse_scheme(name, rest)?;
    let parts = split_reference(rest);
    let authority = parts.authority.ok_or_else(|| {
        format!(
            "missing \"//\" after \"{name}:\"; expected {}://host/...",
            scheme.as_str()
        )
    })?;
    let (host, port) = parse_authority(authority)?;
    let path = remove_dot_segments(&encode_path(parts.path)?);
    let query = parts.query.map(percent_encode_non_ascii);
    Url::build(scheme, host, port, &path, query.as_deref())
}

/// Refuses inputs that are too long or contain whitespace or control characters.
///
/// Positions are byte offsets into the input, counted from 0.
fn check_characters(input: &str) -> Result<(), String> {
    if input.len() > MAX_URL_LEN {
        return Err(format!(
            "is {} bytes long; the limit is {MAX_URL_LEN} bytes (64 KiB)",
            input.len()
        ));
    }
    if input.starts_with(|c: char| c.is_ascii_whitespace()) {
        return Err("has leading whitespace (urls are not trimmed)".to_owned());
    }
    if input.ends_with(|c: char| c.is_ascii_whitespace()) {
        return Err("has trailing whitespace (urls are not trimmed)".to_owned());
    }
    // Bytes of multi-byte UTF-8 characters are all >= 0x80, so looking at
    // single bytes cannot mistake part of one for a control character.
    for (position, byte) in input.bytes().enumerate() {
        if byte == b' ' {
            return Err(format!(
                "contains a space at byte {position}; write it as %20"
            ));
        }
        if byte.is_ascii_control() {
            return Err(format!(
                "contains control character 0x{byte:02x} at byte {position}"
            ));
        }
    }
    Ok(())
}

/// Splits `scheme:rest` when the input starts with a syntactically valid
/// scheme (RFC 3986 §3.1: a letter, then letters, digits, `+`, `-` or `.`).
///
/// Returns `None` for relative references such as `page.html`, `/a:b`
/// or `//host`.
fn split_scheme(input: &str) -> Option<(&str, &str)> {
    let (name, rest) = input.split_once(':')?;
    let mut chars = name.chars();
    let first_is_letter = chars.next().is_some_and(|c| c.is_ascii_alphabetic());
    let rest_is_valid = chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    if first_is_letter && rest_is_valid {
        Some((name, rest))
    } else {
        None
    }
}

/// Turns a scheme name into a [`Scheme`], explaining why other names are refused.
fn parse_scheme(name: &str, rest: &str) -> Result<Scheme, String> {
    if let Some(scheme) = Scheme::from_name(name) {
        return Ok(scheme);
    }
    if rest.starts_with(|c: char| c.is_ascii_digit()) {
        // "localhost:8080/" is syntactically the scheme "localhost", but the
        // user almost certainly forgot "http://".
        return Err(format!(
            "{MISSING_SCHEME} (\"{name}:\" followed by a number looks like host:port)"
        ));
    }
    Err(format!(
        "unsupported scheme \"{name}\" (only http and https)"
    ))
}

/// The pieces of a URL or reference after the scheme (RFC 3986 §3).
#[derive(Debug)]
struct Parts<'a> {
    /// What follows `//`, up to the path; `None` when there is no `//`.
    authority: Option<&'a str>,
    /// Possibly empty; starts with `/` whenever there is an authority.
    path: &'a str,
    /// What follows the first `?`, without it.
    query: Option<&'a str>,
}

/// Splits `//authority/path?query#fragment` into parts, dropping the fragment.
fn split_reference(input: &str) -> Parts<'_> {
    let without_fragment = input.split('#').next().unwrap_or("");
    let (before_query, query) = match without_fragment.split_once('?') {
        Some((before, query)) => (before, Some(query)),
        None => (without_fragment, None),
    };
    match before_query.strip_prefix("//") {
        Some(after_slashes) => {
            let end = after_slashes.find('/').unwrap_or(after_slashes.len());
            let (authority, path) = after_slashes.split_at(end);
            Parts {
                authority: Some(authority),
                path,
                query,
            }
        }
        None => Parts {
            authority: None,
            path: before_query,
            query,
        },
    }
}

/// Parses `host`, `host:port`, `[ipv6]` or `[ipv6]:port`.
///
/// The port is `None` when absent or empty.
fn parse_authority(authority: &str) -> Result<(Host, Option<u16>), String> {
    if authority.contains('@') {
        return Err("credentials in urls (user@host) are not supported".to_owned());
    }
    if let Some(bracketed) = authority.strip_prefix('[') {
        let (address, after) = bracketed
            .split_once(']')
            .ok_or("unterminated '[' in host (missing ']')")?;
        let port = if after.is_empty() {
            None
        } else {
            let port = after.strip_prefix(':').ok_or_else(|| {
                format!("unexpected \"{after}\" after ipv6 address; expected ':' and a port")
            })?;
            parse_port(port)?
        };
        return Ok((parse_ipv6(address)?, port));
    }
    match authority.split_once(':') {
        Some((_, port)) if port.contains(':') => Err(
            "more than one ':' in host; ipv6 addresses must be in brackets, e.g. http://[::1]/"
                .to_owned(),
        ),
        Some((host, port)) => Ok((parse_host(host)?, parse_port(port)?)),
        None => Ok((parse_host(authority)?, None)),
    }
}

/// Parses a domain name or a dotted-quad IPv4 address (not in brackets).
fn parse_host(text: &str) -> Result<Host, String> {
    if text.is_empty() {
        return Err("empty host".to_owned());
    }
    if !text.is_ascii() {
        return Err(
            "non-ASCII host names (IDN) are not supported; use the punycode form".to_owned(),
        );
    }
    if text.contains('%') {
        return Err("percent-encoded characters are not allowed in the host".to_owned());
    }
    if let Some(bad) = text.chars().find(|&c| !is_host_char(c)) {
        return Err(format!("invalid character {bad:?} in host"));
    }
    let name = text.to_ascii_lowercase();
    if ends_in_number(&name) {
        return match name.parse::<Ipv4Addr>() {
            Ok(address) => Ok(Host::Ipv4(address)),
            Err(_) => Err(format!(
                "invalid ipv4 address \"{text}\" (expected four numbers 0-255 like 192.0.2.1)"
            )),
        };
    }
    check_labels(&name)?;
    Ok(Host::Domain(name))
}

/// The characters allowed in a host name: letters, digits, `-`, `.`, `_`, `~`.
fn is_host_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '~')
}

/// Whether the last label of a host looks like a number (decimal or `0x` hex).
///
/// Such a host is meant as an IPv4 address (this is the WHATWG URL
/// standard's "ends in a number" test); we then insist on a dotted quad.
fn ends_in_number(name: &str) -> bool {
    let name = name.strip_suffix('.').unwrap_or(name);
    let last = name.rsplit('.').next().unwrap_or("");
    if last.is_empty() {
        return false;
    }
    match last.strip_prefix("0x") {
        Some(hex) => hex.chars().all(|c| c.is_ascii_hexdigit()),
        None => last.chars().all(|c| c.is_ascii_digit()),
    }
}

/// Checks the DNS limits: no empty labels (one trailing dot is fine),
/// labels of at most 63 characters, at most 253 characters in all.
fn check_labels(name: &str) -> Result<(), String> {
    let name = name.strip_suffix('.').unwrap_or(name);
    if name.len() > 253 {
        return Err("host name is longer than 253 characters".to_owned());
    }
    for label in name.split('.') {
        if label.is_empty() {
            return Err(format!("empty label in host \"{name}\""));
        }
        if label.len() > 63 {
            return Err(format!(
                "host name label \"{label}\" is longer than 63 characters"
            ));
        }
    }
    Ok(())
}

/// Parses the text between `[` and `]`.
fn parse_ipv6(address: &str) -> Result<Host, String> {
    if address.contains('%') {
        return Err("ipv6 zone identifiers are not supported".to_owned());
    }
    if address.starts_with(['v', 'V']) {
        return Err("ipvfuture addresses ([v1.x]) are not supported".to_owned());
    }
    address
        .parse::<Ipv6Addr>()
        .map(Host::Ipv6)
        .map_err(|_| format!("invalid ipv6 address \"[{address}]\""))
}

/// Parses the text after `:` in the authority. Empty means "no port".
fn parse_port(text: &str) -> Result<Option<u16>, String> {
    if text.is_empty() {
        return Ok(None);
    }
    if !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("invalid port \"{text}\" (only digits are allowed)"));
    }
    // Only digits, so the only possible parse error is overflow.
    match text.parse::<u16>() {
        Ok(0) => Err("port 0 is not allowed (use 1-65535)".to_owned()),
        Ok(port) => Ok(Some(port)),
        Err(_) => Err(format!("port {text} is out of range (1-65535)")),
    }
}

/// Refuses backslashes and percent-encodes non-ASCII characters of a path.
fn encode_path(path: &str) -> Result<String, String> {
    if path.contains('\\') {
        return Err("backslash in path is ambiguous; write '/' or %5C".to_owned());
    }
    Ok(percent_encode_non_ascii(path))
}

/// Replaces every non-ASCII character by the `%XX` escapes of its UTF-8 bytes.
///
/// ASCII is kept as it is, including existing `%XX` escapes.
fn percent_encode_non_ascii(text: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            let mut buffer = [0; 4];
            for byte in c.encode_utf8(&mut buffer).bytes() {
                out.push('%');
                out.push(char::from(HEX[usize::from(byte >> 4)]));
                out.push(char::from(HEX[usize::from(byte & 0x0f)]));
            }
        }
    }
    out
}

/// RFC 3986 §5.2.3: puts a relative path in place of the last segment of
/// the base path.
///
/// Our base paths always start with `/`, so the special case for a base
/// with an authority and an empty path gives the same answer.
fn merge(base_path: &str, reference_path: &str) -> String {
    match base_path.rfind('/') {
        Some(last_slash) => format!("{}{reference_path}", &base_path[..=last_slash]),
        None => format!("/{reference_path}"),
    }
}

/// RFC 3986 §5.2.4: removes `.` and `..` segments from a path.
///
/// The steps are named after the letters of the RFC's algorithm. Every
/// slice below starts or ends at a `/` or `.` that was just matched, so
/// it always falls on a character boundary.
fn remove_dot_segments(path: &str) -> String {
    let mut input = path;
    let mut output = String::with_capacity(path.len());
    while !input.is_empty() {
        if let Some(rest) = input
            .strip_prefix("../")
            .or_else(|| input.strip_prefix("./"))
        {
            // A: drop a leading "../" or "./".
            input = rest;
        } else if input.starts_with("/./") {
            // B: "/./x" becomes "/x".
            input = &input[2..];
        } else if input == "/." {
            // B: a final "/." becomes "/".
            input = "/";
        } else if input.starts_with("/../") {
            // C: "/../x" becomes "/x", and the last output segment goes.
            input = &input[3..];
            remove_last_segment(&mut output);
        } else if input == "/.." {
            // C: a final "/.." becomes "/", and the last output segment goes.
            input = "/";
            remove_last_segment(&mut output);
        } else if input == "." || input == ".." {
            // D: nothing but dots left.
            input = "";
        } else {
            // E: move the first segment, with its leading '/', to the output.
            let search_from = usize::from(input.starts_with('/'));
            let end = input[search_from..]
                .find('/')
                .map_or(input.len(), |slash| slash + search_from);
            let (segment, rest) = input.split_at(end);
            output.push_str(segment);
            input = rest;
        }
    }
    output
}

/// Removes the last segment of `output` and the `/` before it, if any.
fn remove_last_segment(output: &mut String) {
    match output.rfind('/') {
        Some(last_slash) => output.truncate(last_slash),
        None => output.clear(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Parses a URL that the test expects to be valid.
    fn url(input: &str) -> Url {
        match Url::parse(input) {
            Ok(url) => url,
            Err(error) => panic!("{input:?} should parse, got {error:?}"),
        }
    }

    /// Returns the reason for a URL that the test expects to be refused.
    fn reason(input: &str) -> String {
        reason_of(Url::parse(input), input)
    }

    /// Returns the reason of an error, panicking on success.
    fn reason_of(result: Result<Url, Error>, input: &str) -> String {
        match result {
            Ok(url) => panic!("{input:?} should be refused, got {url}"),
            Err(Error::InvalidUrl { reason, .. }) => reason,
            // The crate's error type has other variants; this module never
            // builds them, but the match must still cover them.
            #[allow(unreachable_patterns)]
            Err(other) => panic!("{input:?} gave an unexpected error: {other:?}"),
        }
    }

    /// Asserts that `input` is refused with a reason containing `expected`.
    fn assert_refused(input: &str, expected: &str) {
        let reason = reason(input);
        assert!(
            reason.contains(expected),
            "{input:?}: reason {reason:?} should contain {expected:?}"
        );
    }

    // ----- scheme -----

    #[test]
    fn scheme_is_recognized_in_any_case() {
        for (input, scheme) in [
            ("http://a/", Scheme::Http),
            ("HTTP://a/", Scheme::Http),
            ("hTtP://a/", Scheme::Http),
            ("https://a/", Scheme::Https),
            ("HTTPS://a/", Scheme::Https),
        ] {
            assert_eq!(url(input).scheme(), scheme, "{input}");
        }
        assert_eq!(url("HTTPS://a/").to_string(), "https://a/");
    }

    #[test]
    fn scheme_names_and_default_ports() {
        assert_eq!(Scheme::Http.as_str(), "http");
        assert_eq!(Scheme::Https.as_str(), "https");
        assert_eq!(Scheme::Http.default_port(), 80);
        assert_eq!(Scheme::Https.default_port(), 443);
    }

    #[test]
    fn other_schemes_are_refused_by_name() {
        assert_refused(
            "ftp://example.com/",
            "unsupported scheme \"ftp\" (only http and https)",
        );
        assert_refused("FTP://example.com/", "unsupported scheme \"FTP\"");
        assert_refused("file:///etc/passwd", "unsupported scheme \"file\"");
        assert_refused("mailto:a@example.com", "unsupported scheme \"mailto\"");
        assert_refused("httpx://a/", "unsupported scheme \"httpx\"");
        assert_refused("g:h", "unsupported scheme \"g\"");
    }

    #[test]
    fn missing_scheme_is_refused() {
        for input in [
            "example.com",
            "example.com/path",
            "//example.com/",
            "/path",
            "?q",
            "1http://a/",
            ":80",
        ] {
            assert_refused(input, "missing scheme");
        }
        assert_refused("", "empty url");
        // Looks like host:port, so we say the scheme is missing.
        assert_refused("localhost:8080/", "missing scheme");
        assert_refused("localhost:8080/", "looks like host:port");
    }

    #[test]
    fn missing_double_slash_is_refused() {
        for input in ["http:example.com", "http:/example.com", "https:", "http:"] {
            assert_refused(input, "missing \"//\"");
        }
    }

    // ----- host -----

    #[test]
    fn domain_is_lower_cased() {
        let u = url("http://WWW.Example.COM/Path");
        assert_eq!(u.host(), &Host::Domain("www.example.com".into()));
        assert_eq!(u.host_str(), "www.example.com");
        // The path keeps its case.
        assert_eq!(u.path(), "/Path");
    }

    #[test]
    fn domain_may_use_dash_underscore_tilde_and_a_trailing_dot() {
        assert_eq!(url("http://a-b_c~d.example/").host_str(), "a-b_c~d.example");
        assert_eq!(url("http://localhost/").host_str(), "localhost");
        assert_eq!(url("http://example.com./").host_str(), "example.com.");
        assert_eq!(url("http://1a.example/").host_str(), "1a.example");
        assert_eq!(url("http://example.1a/").host_str(), "example.1a");
    }

    #[test]
    fn empty_host_is_refused() {
        for input in [
            "http://",
            "http:///path",
            "http://:80/",
            "http://?q",
            "http://#f",
            "http://:/",
        ] {
            assert_refused(input, "empty host");
        }
    }

    #[test]
    fn percent_in_host_is_refused() {
        assert_refused("http://ex%61mple.com/", "percent-encoded");
    }

    #[test]
    fn invalid_host_characters_are_refused() {
        assert_refused("http://a!b/", "invalid character '!' in host");
        assert_refused("http://a,b/", "invalid character ',' in host");
        assert_refused("http://a<b/", "invalid character '<' in host");
        assert_refused("http://a\\b/", "invalid character '\\\\' in host");
        assert_refused("http://a]b/", "invalid character ']' in host");
    }

    #[test]
    fn non_ascii_host_is_refused() {
        assert_refused(
            "http://bücher.example/",
            "non-ASCII host names (IDN) are not supported; use the punycode form",
        );
        // The punycode form is fine.
        assert_eq!(
            url("http://xn--bcher-kva.example/").host_str(),
            "xn--bcher-kva.example"
        );
    }

    #[test]
    fn bad_labels_are_refused() {
        assert_refused("http://a..b/", "empty label");
        assert_refused("http://.a/", "empty label");
        assert_refused("http://./", "empty label");
        assert_refused("http://a../", "empty label");
        let long_label = "a".repeat(64);
        assert_refused(&format!("http://{long_label}.com/"), "longer than 63");
        assert_eq!(
            url(&format!("http://{}.com/", "a".repeat(63)))
                .host_str()
                .len(),
            67
        );
        let long_name = vec!["abcdefghi"; 26].join(".");
        assert_refused(&format!("http://{long_name}/"), "longer than 253");
    }

    #[test]
    fn ipv4_is_parsed() {
        let u = url("http://127.0.0.1:8080/x");
        assert_eq!(u.host(), &Host::Ipv4(Ipv4Addr::new(127, 0, 0, 1)));
        assert_eq!(u.host_str(), "127.0.0.1");
        assert_eq!(u.authority(), "127.0.0.1:8080");
        assert_eq!(url("http://0.0.0.0/").host_str(), "0.0.0.0");
        assert_eq!(url("http://255.255.255.255/").host_str(), "255.255.255.255");
    }

    #[test]
    fn numeric_hosts_that_are_not_dotted_quads_are_refused() {
        for input in [
            "http://256.1.1.1/",
            "http://1.2.3/",
            "http://1.2.3.4.5/",
            "http://1.2.3.4./",
            "http://01.2.3.4/",
            "http://123/",
            "http://2130706433/",
            "http://0x7f.0.0.1/",
            "http://0X7F.0.0.1/",
            "http://127.0.0.0x1/",
            "http://example.123/",
        ] {
            assert_refused(input, "invalid ipv4 address");
        }
    }

    #[test]
    fn ipv6_is_parsed_and_normalized() {
        let u = url("http://[::1]/");
        assert_eq!(u.host(), &Host::Ipv6(Ipv6Addr::LOCALHOST));
        assert_eq!(u.host_str(), "::1");
        assert_eq!(u.authority(), "[::1]");
        assert_eq!(url("http://[0:0:0:0:0:0:0:1]/").host_str(), "::1");
        assert_eq!(url("http://[2001:DB8::A]/").host_str(), "2001:db8::a");
        assert_eq!(url("http://[::ffff:1.2.3.4]/").host_str(), "::ffff:1.2.3.4");
        assert_eq!(url("http://[::1]:8080").port(), 8080);
        assert_eq!(url("http://[::1]:").port(), 80);
    }

    #[test]
    fn ipv6_zone_ids_are_refused() {
        assert_refused(
            "http://[fe80::1%25eth0]/",
            "ipv6 zone identifiers are not supported",
        );
        assert_refused("http://[fe80::1%eth0]/", "zone identifiers");
    }

    #[test]
    fn bad_ipv6_is_refused() {
        assert_refused("http://[::g]/", "invalid ipv6 address");
        assert_refused("http://[1.2.3.4]/", "invalid ipv6 address");
        assert_refused("http://[]/", "invalid ipv6 address");
        assert_refused("http://[::1/", "unterminated '['");
        assert_refused("http://[::1]x/", "unexpected \"x\" after ipv6 address");
        assert_refused("http://[::1]]/", "after ipv6 address");
        assert_refused("http://[v1.x]/", "ipvfuture");
        assert_refused("http://::1/", "must be in brackets");
        assert_refused("http://[::1]:80:80/", "invalid port");
        assert_refused("http://[::ü]/", "invalid ipv6 address");
    }

    #[test]
    fn credentials_are_refused() {
        for input in [
            "http://user@example.com/",
            "http://user:pass@example.com/",
            "http://@example.com/",
            "http://user:pass@[::1]/",
        ] {
            assert_refused(input, "credentials in urls (user@host) are not supported");
        }
        // An '@' in the path or query is just a character.
        assert_eq!(url("http://a/@b?c@d").request_target(), "/@b?c@d");
    }

    // ----- port -----

    #[test]
    fn ports() {
        assert_eq!(url("http://a/").port(), 80);
        assert_eq!(url("https://a/").port(), 443);
        assert_eq!(url("http://a:8080/").port(), 8080);
        assert_eq!(url("http://a:1").port(), 1);
        assert_eq!(url("http://a:65535/").port(), 65535);
        assert_eq!(url("http://a:0080/").port(), 80);
        // An empty port means the default one (RFC 3986 §3.2.3).
        assert_eq!(url("http://a:/").port(), 80);
        assert_eq!(url("https://a:?q").port(), 443);
    }

    #[test]
    fn default_port_detection() {
        assert!(url("http://a/").is_default_port());
        assert!(url("http://a:80/").is_default_port());
        assert!(url("https://a:443/").is_default_port());
        assert!(!url("https://a:80/").is_default_port());
        assert!(!url("http://a:443/").is_default_port());
    }

    #[test]
    fn bad_ports_are_refused() {
        assert_refused("http://a:0/", "port 0 is not allowed");
        assert_refused("http://a:00/", "port 0 is not allowed");
        assert_refused("http://a:65536/", "port 65536 is out of range");
        assert_refused("http://a:99999999999999999999999/", "is out of range");
        assert_refused("http://a:+80/", "invalid port \"+80\"");
        assert_refused("http://a:-1/", "invalid port \"-1\"");
        assert_refused("http://a:8a/", "invalid port \"8a\"");
        assert_refused("http://a:0x50/", "invalid port");
        assert_refused("http://a:８０/", "invalid port");
        assert_refused("http://a:80:80/", "must be in brackets");
    }

    // ----- path, query, fragment -----

    #[test]
    fn path_defaults_to_slash() {
        assert_eq!(url("http://a").path(), "/");
        assert_eq!(url("http://a?q").path(), "/");
        assert_eq!(url("http://a#f").path(), "/");
        assert_eq!(url("http://a").request_target(), "/");
        assert_eq!(url("http://a?q").request_target(), "/?q");
    }

    #[test]
    fn query_is_kept_verbatim() {
        assert_eq!(url("http://a/").query(), None);
        assert_eq!(url("http://a/?").query(), Some(""));
        assert_eq!(url("http://a/?").request_target(), "/?");
        assert_eq!(url("http://a/?").to_string(), "http://a/?");
        assert_eq!(url("http://a/p?x=1&y=2").query(), Some("x=1&y=2"));
        assert_eq!(url("http://a/p?x=?y").query(), Some("x=?y"));
        assert_eq!(url("http://a/p?/../x").query(), Some("/../x"));
        assert_eq!(url("http://a/p?%zz%41").query(), Some("%zz%41"));
        // Backslashes are only ambiguous in the path.
        assert_eq!(url("http://a/p?a\\b").query(), Some("a\\b"));
        assert_ne!(url("http://a/"), url("http://a/?"));
    }

    #[test]
    fn fragment_is_dropped() {
        let u = url("http://a/b?c#d");
        assert_eq!(u.request_target(), "/b?c");
        assert_eq!(u.query(), Some("c"));
        assert_eq!(u.to_string(), "http://a/b?c");
        assert_eq!(url("http://a/b#c?d").query(), None);
        assert_eq!(url("http://a/b#c?d").request_target(), "/b");
        assert_eq!(url("http://a/b#").request_target(), "/b");
        assert_eq!(url("http://a/b?#").query(), Some(""));
        // The fragment may hold anything printable, even non-ASCII.
        assert_eq!(url("http://a/#ü\\#").to_string(), "http://a/");
    }

    #[test]
    fn request_target_has_path_and_query() {
        let u = url("http://example.com/search/?q=a+b&lang=en#top");
        assert_eq!(u.path(), "/search/");
        assert_eq!(u.query(), Some("q=a+b&lang=en"));
        assert_eq!(u.request_target(), "/search/?q=a+b&lang=en");
    }

    #[test]
    fn non_ascii_is_percent_encoded() {
        assert_eq!(url("http://a/ü").path(), "/%C3%BC");
        assert_eq!(url("http://a/?q=ü").query(), Some("q=%C3%BC"));
        assert_eq!(url("http://a/€").path(), "/%E2%82%AC");
        assert_eq!(
            url("http://a/😀?😀").request_target(),
            "/%F0%9F%98%80?%F0%9F%98%80"
        );
        // Non-breaking space is not ASCII whitespace: it is encoded.
        assert_eq!(url("http://a/\u{a0}").path(), "/%C2%A0");
    }

    #[test]
    fn printable_ascii_and_escapes_are_kept() {
        let path = "/a'b\"c{d}|e^f`g[h]i<j>k%41%zz%!$&()*+,;=:@~-._";
        assert_eq!(url(&format!("http://a{path}")).path(), path);
    }

    #[test]
    fn backslash_in_path_is_refused() {
        assert_refused("http://a/b\\c", "backslash in path is ambiguous");
        assert_refused("http://a/\\", "backslash");
    }

    #[test]
    fn dot_segments_are_removed_on_parse() {
        assert_eq!(url("http://a/b/../c").path(), "/c");
        assert_eq!(url("http://a/b/./c").path(), "/b/c");
        assert_eq!(url("http://a/../../c").path(), "/c");
        assert_eq!(url("http://a/b/c/..").path(), "/b/");
        assert_eq!(url("http://a/b/c/.").path(), "/b/c/");
        assert_eq!(url("http://a/.").path(), "/");
        assert_eq!(url("http://a/..").path(), "/");
        assert_eq!(url("http://a/.../..x/x..").path(), "/.../..x/x..");
        // Encoded dots are not dot segments.
        assert_eq!(url("http://a/b/%2e%2e/c").path(), "/b/%2e%2e/c");
    }

    // ----- characters and length -----

    #[test]
    fn spaces_are_refused_with_their_position() {
        assert_refused("http://a/b c", "contains a space at byte 10");
        assert_refused("http://a b/", "contains a space at byte 8");
        assert_refused("http://a/?q=a b", "contains a space at byte 13");
        assert_refused("http://a/#a b", "contains a space");
    }

    #[test]
    fn control_characters_are_refused() {
        assert_refused("http://a/\nx", "contains control character 0x0a at byte 9");
        assert_refused("http://a/\rx", "control character 0x0d");
        assert_refused("http://a/\tx", "control character 0x09");
        assert_refused("http://a/\0x", "control character 0x00");
        assert_refused("http://a/\x7fx", "control character 0x7f");
        assert_refused("http://a/\x1bx", "control character 0x1b");
        assert_refused("http\x01://a/", "control character 0x01 at byte 4");
        assert_refused("http://a/?q#\n", "trailing whitespace");
    }

    #[test]
    fn surrounding_whitespace_is_refused_not_trimmed() {
        assert_refused(" http://a/", "leading whitespace");
        assert_refused("\thttp://a/", "leading whitespace");
        assert_refused("http://a/ ", "trailing whitespace");
        assert_refused("http://a/\r\n", "trailing whitespace");
        assert_refused("\n", "leading whitespace");
    }

    #[test]
    fn long_inputs_are_refused() {
        let prefix = "http://a/";
        let at_limit = format!("{prefix}{}", "x".repeat(MAX_URL_LEN - prefix.len()));
        assert_eq!(url(&at_limit).path().len(), MAX_URL_LEN - prefix.len() + 1);
        let over_limit = format!("{at_limit}x");
        assert_refused(&over_limit, "65537 bytes long; the limit is 65536");
        // Within the limit, but three times longer once encoded.
        let expands = format!("{prefix}{}", "ü".repeat(20_000));
        assert_refused(&expands, "once encoded");
    }

    #[test]
    fn error_keeps_at_most_200_characters_of_the_input() {
        let long = format!("ftp://a/{}", "ü".repeat(300));
        match Url::parse(&long) {
            Err(Error::InvalidUrl { url, reason }) => {
                assert_eq!(url.chars().count(), 201);
                assert!(url.ends_with("ü…"));
                assert!(long.starts_with(url.trim_end_matches('…')));
                assert_eq!(reason, "unsupported scheme \"ftp\" (only http and https)");
            }
            other => panic!("unexpected {other:?}"),
        }
        let exactly_200 = format!("ftp://{}", "a".repeat(194));
        match Url::parse(&exactly_200) {
            Err(Error::InvalidUrl { url, .. }) => assert_eq!(url, exactly_200),
            other => panic!("unexpected {other:?}"),
        }
        match Url::parse("http://a b/") {
            Err(Error::InvalidUrl { url, .. }) => assert_eq!(url, "http://a b/"),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn reasons_start_in_lower_case() {
        for input in [
            "",
            "x",
            "ftp://a/",
            "http:a",
            "http://",
            "http://a b",
            "http://a\n",
            " http://a",
            "http://u@a/",
            "http://ü/",
            "http://a%41/",
            "http://a!/",
            "http://1.2.3/",
            "http://a..b/",
            "http://[::1%251]/",
            "http://[x]/",
            "http://[::1/",
            "http://a:0/",
            "http://a:x/",
            "http://a:70000/",
            "http://a/\\",
        ] {
            let reason = reason(input);
            assert!(
                reason.starts_with(|c: char| !c.is_ascii_uppercase()),
                "{input:?}: {reason:?}"
            );
        }
    }

    // ----- display, authority, equality -----

    #[test]
    fn display_is_normalized() {
        for (input, expected) in [
            ("HTTP://EXAMPLE.com", "http://example.com/"),
            ("http://example.com:80/", "http://example.com/"),
            ("http://example.com:443/", "http://example.com:443/"),
            ("https://example.com:443/", "https://example.com/"),
            (
                "https://example.com:8443/a?b#c",
                "https://example.com:8443/a?b",
            ),
            ("http://[0::1]:80/", "http://[::1]/"),
            ("http://[::1]:8080/", "http://[::1]:8080/"),
            ("http://a:/x/../y", "http://a/y"),
            ("http://a/ü?ü", "http://a/%C3%BC?%C3%BC"),
            ("http://10.0.0.1:81", "http://10.0.0.1:81/"),
        ] {
            assert_eq!(url(input).to_string(), expected, "{input}");
        }
    }

    #[test]
    fn display_round_trips() {
        for input in [
            "http://example.com/",
            "HTTPS://Example.com:8443/a/b/../c?d=e&f#g",
            "http://[::1]:8080/?",
            "http://[2001:db8::1]/x",
            "http://127.0.0.1:1/",
            "http://a//b//c",
            "http://a/b/%2e%2e/",
            "http://a/ü?ü#ü",
            "http://a:/",
            "http://a.b.c./",
        ] {
            let u = url(input);
            assert_eq!(url(&u.to_string()), u, "{input}");
            assert_eq!(url(&u.to_string()).to_string(), u.to_string(), "{input}");
        }
    }

    #[test]
    fn from_str_is_parse() {
        let u: Url = "http://Example.com/x".parse().unwrap();
        assert_eq!(u, url("http://example.com/x"));
        assert!("ftp://a/".parse::<Url>().is_err());
    }

    #[test]
    fn authority_is_the_host_header() {
        assert_eq!(url("http://[::1]:8080/").authority(), "[::1]:8080");
        assert_eq!(url("http://[::1]/").authority(), "[::1]");
        assert_eq!(url("https://x:443/").authority(), "x");
        assert_eq!(url("https://x:80/").authority(), "x:80");
        assert_eq!(url("http://X.Example:80").authority(), "x.example");
        assert_eq!(url("http://x.example:8080").authority(), "x.example:8080");
        assert_eq!(url("http://10.1.2.3:80/").authority(), "10.1.2.3");
    }

    #[test]
    fn host_str_has_no_brackets() {
        assert_eq!(url("http://[::1]:8080/").host_str(), "::1");
        assert_eq!(url("http://X.Example:80").host_str(), "x.example");
        assert_eq!(url("http://1.2.3.4/").host_str(), "1.2.3.4");
    }

    #[test]
    fn host_display() {
        assert_eq!(Host::Domain("a.example".into()).to_string(), "a.example");
        assert_eq!(Host::Ipv4(Ipv4Addr::new(1, 2, 3, 4)).to_string(), "1.2.3.4");
        assert_eq!(Host::Ipv6(Ipv6Addr::LOCALHOST).to_string(), "::1");
    }

    #[test]
    fn equivalent_urls_are_equal() {
        assert_eq!(url("HTTP://A:80"), url("http://a/"));
        assert_eq!(url("https://a:443/x"), url("https://a/x"));
        assert_eq!(url("http://[0:0::1]/"), url("http://[::1]/"));
        assert_eq!(url("http://a/b/../c#x"), url("http://a/c"));
        assert_ne!(url("http://a/"), url("https://a/"));
        assert_ne!(url("http://a:8080/"), url("http://a/"));
        assert_ne!(url("http://a/x?"), url("http://a/x"));
    }

    // ----- remove_dot_segments and merge -----

    #[test]
    fn remove_dot_segments_follows_rfc_3986_examples() {
        // The two worked examples of RFC 3986 §5.2.4.
        assert_eq!(remove_dot_segments("/a/b/c/./../../g"), "/a/g");
        assert_eq!(remove_dot_segments("mid/content=5/../6"), "mid/6");
        assert_eq!(remove_dot_segments(""), "");
        assert_eq!(remove_dot_segments("/"), "/");
        assert_eq!(remove_dot_segments("."), "");
        assert_eq!(remove_dot_segments(".."), "");
        assert_eq!(remove_dot_segments("../a"), "a");
        assert_eq!(remove_dot_segments("/../a"), "/a");
        assert_eq!(remove_dot_segments("/a/b/.."), "/a/");
        assert_eq!(remove_dot_segments("//../x"), "/x");
        assert_eq!(remove_dot_segments("/ü/../é"), "/é");
    }

    #[test]
    fn merge_replaces_the_last_segment() {
        assert_eq!(merge("/b/c/d;p", "g"), "/b/c/g");
        assert_eq!(merge("/", "g"), "/g");
        assert_eq!(merge("/b/", "g"), "/b/g");
        assert_eq!(merge("", "g"), "/g");
    }

    // ----- join -----

    /// The base URI of RFC 3986 §5.4.
    const RFC_BASE: &str = "http://a/b/c/d;p?q";

    /// Compares `base.join(reference)` with an expected result from the RFC.
    ///
    /// The RFC's results are turned into our normalized form first: the
    /// fragment is removed (we never keep one) and an empty path becomes "/"
    /// (the same URL for http, RFC 3986 §6.2.3), so "http://g" is "http://g/".
    fn assert_join(base: &Url, reference: &str, rfc_result: &str) {
        let mut expected = rfc_result.split('#').next().unwrap_or("").to_owned();
        if expected.matches('/').count() == 2 {
            expected.push('/');
        }
        match base.join(reference) {
            Ok(joined) => {
                assert_eq!(joined.to_string(), expected, "reference {reference:?}");
                assert_eq!(joined, url(&expected), "reference {reference:?}");
            }
            Err(error) => panic!("reference {reference:?} failed: {error:?}"),
        }
    }

    #[test]
    fn join_rfc_3986_normal_examples() {
        // RFC 3986 §5.4.1. "g:h" → "g:h" is left out: see join_refuses_rfc_results_that_are_not_http.
        let base = url(RFC_BASE);
        for (reference, result) in [
            ("g", "http://a/b/c/g"),
            ("./g", "http://a/b/c/g"),
            ("g/", "http://a/b/c/g/"),
            ("/g", "http://a/g"),
            ("//g", "http://g"),
            ("?y", "http://a/b/c/d;p?y"),
            ("g?y", "http://a/b/c/g?y"),
            ("#s", "http://a/b/c/d;p?q#s"),
            ("g#s", "http://a/b/c/g#s"),
            ("g?y#s", "http://a/b/c/g?y#s"),
            (";x", "http://a/b/c/;x"),
            ("g;x", "http://a/b/c/g;x"),
            ("g;x?y#s", "http://a/b/c/g;x?y#s"),
            ("", "http://a/b/c/d;p?q"),
            (".", "http://a/b/c/"),
            ("./", "http://a/b/c/"),
            ("..", "http://a/b/"),
            ("../", "http://a/b/"),
            ("../g", "http://a/b/g"),
            ("../..", "http://a/"),
            ("../../", "http://a/"),
            ("../../g", "http://a/g"),
        ] {
            assert_join(&base, reference, result);
        }
    }

    #[test]
    fn join_rfc_3986_abnormal_examples() {
        // RFC 3986 §5.4.2. "http:g" is left out: see join_refuses_rfc_results_that_are_not_http.
        let base = url(RFC_BASE);
        for (reference, result) in [
            ("../../../g", "http://a/g"),
            ("../../../../g", "http://a/g"),
            ("/./g", "http://a/g"),
            ("/../g", "http://a/g"),
            ("g.", "http://a/b/c/g."),
            (".g", "http://a/b/c/.g"),
            ("g..", "http://a/b/c/g.."),
            ("..g", "http://a/b/c/..g"),
            ("./../g", "http://a/b/g"),
            ("./g/.", "http://a/b/c/g/"),
            ("g/./h", "http://a/b/c/g/h"),
            ("g/../h", "http://a/b/c/h"),
            ("g;x=1/./y", "http://a/b/c/g;x=1/y"),
            ("g;x=1/../y", "http://a/b/c/y"),
            ("g?y/./x", "http://a/b/c/g?y/./x"),
            ("g?y/../x", "http://a/b/c/g?y/../x"),
            ("g#s/./x", "http://a/b/c/g#s/./x"),
            ("g#s/../x", "http://a/b/c/g#s/../x"),
        ] {
            assert_join(&base, reference, result);
        }
    }

    #[test]
    fn join_refuses_rfc_results_that_are_not_http() {
        let base = url(RFC_BASE);
        // §5.4.1: "g:h" resolves to "g:h", a URL with scheme "g".
        let reason = reason_of(base.join("g:h"), "g:h");
        assert!(reason.contains("unsupported scheme \"g\""), "{reason}");
        // §5.4.2: in strict mode "http:g" resolves to "http:g": scheme
        // "http" with no authority (no "//host"), which we cannot fetch.
        // (Only non-strict parsers read it as the relative reference "g".)
        let reason = reason_of(base.join("http:g"), "http:g");
        assert!(reason.contains("missing \"//\""), "{reason}");
    }

    #[test]
    fn join_with_a_scheme_parses_an_absolute_url() {
        let base = url("https://a/b/c");
        assert_eq!(base.join("HTTPS://X/y").unwrap().to_string(), "https://x/y");
        assert_eq!(
            base.join("http://x:8080").unwrap().to_string(),
            "http://x:8080/"
        );
        let reason = reason_of(base.join("ftp://x/"), "ftp://x/");
        assert!(reason.contains("unsupported scheme \"ftp\""), "{reason}");
    }

    #[test]
    fn join_network_path_takes_the_base_scheme() {
        let base = url("https://a:8443/b/c?q");
        let joined = base.join("//X.example/p/../q?r#s").unwrap();
        assert_eq!(joined.to_string(), "https://x.example/q?r");
        assert_eq!(joined.port(), 443);
        assert_eq!(
            base.join("//[::1]:9/").unwrap().to_string(),
            "https://[::1]:9/"
        );
        assert!(base.join("//").is_err());
        assert!(base.join("///x").is_err());
        assert!(base.join("//u@h/").is_err());
        assert!(base.join("//h:0/").is_err());
    }

    #[test]
    fn join_keeps_the_base_authority() {
        let base = url("http://[::1]:8080/dir/file?q");
        assert_eq!(
            base.join("other").unwrap().to_string(),
            "http://[::1]:8080/dir/other"
        );
        assert_eq!(base.join("/").unwrap().authority(), "[::1]:8080");
        assert_eq!(
            base.join("?").unwrap().to_string(),
            "http://[::1]:8080/dir/file?"
        );
        assert_eq!(base.join("#x").unwrap(), base);
    }

    #[test]
    fn join_is_as_strict_as_parse() {
        let base = url("http://a/b/c");
        for (reference, expected) in [
            ("/new location", "contains a space at byte 4"),
            ("/x\r\nSet-Cookie: a=b", "control character 0x0d at byte 2"),
            (" /x", "leading whitespace"),
            ("/x\n", "trailing whitespace"),
            ("a\\b", "backslash"),
            ("//a b/", "contains a space"),
            ("mailto:x@y", "unsupported scheme"),
        ] {
            let reason = reason_of(base.join(reference), reference);
            assert!(reason.contains(expected), "{reference:?}: {reason}");
        }
        let too_long = "x".repeat(MAX_URL_LEN + 1);
        assert!(base.join(&too_long).is_err());
    }

    #[test]
    fn join_error_names_the_reference() {
        let base = url("http://a/");
        match base.join("ftp://x/") {
            Err(Error::InvalidUrl { url, .. }) => assert_eq!(url, "ftp://x/"),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn join_encodes_non_ascii() {
        let base = url("http://a/b/c");
        assert_eq!(
            base.join("ü?é#ö").unwrap().request_target(),
            "/b/%C3%BC?%C3%A9"
        );
        assert_eq!(base.join("?ü").unwrap().request_target(), "/b/c?%C3%BC");
    }

    #[test]
    fn join_refuses_results_that_grow_too_long() {
        let half = "x".repeat(MAX_URL_LEN / 2 + 10);
        let base = url(&format!("http://a/{half}/"));
        assert!(base.join(&half).is_err());
        assert!(base.join("y").is_ok());
    }

    // ----- generated inputs -----

    use crate::testing::XorShift;

    fn random_text(rng: &mut XorShift) -> String {
        const PIECES: &[&str] = &[
            "/", "//", ".", "..", "./", "../", "/.", "/..", "?", "#", ":", "@", "[", "]", "%",
            "%25", "a", "B", "g", "1", "0", "255", "::1", "x:1", "http:", "https:", "HTTP://",
            "ftp:", "\\", " ", "\t", "\n", "ü", "😀", ";", "=", "&", "-", "_", "~", "0x",
        ];
        let mut text = String::new();
        for _ in 0..rng.below(12) {
            text.push_str(PIECES[rng.below(PIECES.len())]);
        }
        text
    }

    /// Checks what must hold for every successfully parsed or joined URL.
    fn check_invariants(u: &Url, input: &str) {
        let text = u.to_string();
        assert!(text.is_ascii(), "{input:?} -> {text:?}");
        assert!(u.path().starts_with('/'), "{input:?} -> {text:?}");
        assert!(!u.request_target().contains('#'), "{input:?} -> {text:?}");
        assert!(!u.path().contains('?'), "{input:?} -> {text:?}");
        assert!(!text.contains(' '), "{input:?} -> {text:?}");
        let reparsed = Url::parse(&text)
            .unwrap_or_else(|error| panic!("{input:?} -> {text:?} does not reparse: {error:?}"));
        assert_eq!(&reparsed, u, "{input:?} -> {text:?}");
    }

    #[test]
    fn join_never_panics_on_any_short_reference() {
        // Every string of up to four characters from this alphabet.
        const ALPHABET: [char; 12] = ['/', '.', '?', '#', ':', '@', '[', ']', '%', 'a', '1', 'ü'];
        let base = url(RFC_BASE);
        let mut references = vec![String::new()];
        for _ in 0..4 {
            let longer: Vec<String> = references
                .iter()
                .flat_map(|r| ALPHABET.iter().map(move |&c| format!("{r}{c}")))
                .collect();
            for reference in &longer {
                if let Ok(joined) = base.join(reference) {
                    check_invariants(&joined, reference);
                }
            }
            references = longer;
        }
    }

    #[test]
    fn many_dot_segments_are_handled() {
        let input = format!("http://a{}", "/b/..".repeat(13_000));
        assert_eq!(url(&input).path(), "/");
        let input = format!("http://a/{}", "../".repeat(21_000));
        assert_eq!(url(&input).path(), "/");
    }

    #[test]
    fn join_never_panics_and_round_trips_on_generated_references() {
        let bases = [
            url(RFC_BASE),
            url("https://[::1]:8443/"),
            url("http://a/b/c/?"),
            url("http://10.0.0.1/x/y/z/.."),
        ];
        let mut rng = XorShift(0x2545_f491_4f6c_dd1d);
        let mut resolved = 0;
        for _ in 0..20_000 {
            let reference = random_text(&mut rng);
            let base = &bases[rng.below(bases.len())];
            if let Ok(joined) = base.join(&reference) {
                check_invariants(&joined, &reference);
                resolved += 1;
            }
        }
        // Make sure the generator does not only produce errors.
        assert!(resolved > 2_000, "only {resolved} references resolved");
    }

    #[test]
    fn parse_never_panics_and_round_trips_on_generated_input() {
        let prefixes = [
            "http://",
            "https://",
            "HTTP://a",
            "http://a",
            "http://[::1]",
            "",
        ];
        let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
        let mut parsed_ok = 0;
        for _ in 0..20_000 {
            let input = format!(
                "{}{}",
                prefixes[rng.below(prefixes.len())],
                random_text(&mut rng)
            );
            if let Ok(parsed) = Url::parse(&input) {
                check_invariants(&parsed, &input);
                parsed_ok += 1;
            }
        }
        assert!(parsed_ok > 2_000, "only {parsed_ok} inputs parsed");
    }
}
