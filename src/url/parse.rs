//! Parsing an absolute URL (RFC 3986 §3): split it into scheme, authority,
//! path and query, and check each part.

use std::net::{Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

use super::join::remove_dot_segments;
use super::{invalid, Credentials, Host, Scheme, Url, MAX_URL_LEN, MISSING_SCHEME};
use crate::error::Error;

impl Url {
    /// Parses an absolute `http://` or `https://` URL.
    ///
    /// See the [module documentation](crate::url) for exactly what is accepted.
    ///
    /// # Errors
    ///
    /// Returns [`Error::InvalidUrl`] when the input is not a valid `http` or
    /// `https` URL, or uses a feature this module refuses (IDN host names,
    /// IPv6 zone identifiers, ...). The error never shows credentials.
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
    /// let error = Url::parse("http://user:secret@exa mple.com/").unwrap_err();
    /// assert!(!error.to_string().contains("secret"), "{error}");
    /// # Ok::<(), netcount::error::Error>(())
    /// ```
    pub fn parse(input: &str) -> Result<Url, Error> {
        parse_absolute(input).map_err(|reason| invalid(input, reason))
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

/// Parses an absolute URL; the error is the reason only.
pub(super) fn parse_absolute(input: &str) -> Result<Url, String> {
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
    let (credentials, host, port) =
        parse_authority(authority).map_err(|reason| explain_authority(rest, authority, reason))?;
    let path = remove_dot_segments(&encode_path(parts.path)?);
    let query = parts.query.map(percent_encode_non_ascii);
    let mut url = Url::build(scheme, host, port, &path, query.as_deref())?;
    url.credentials = credentials;
    Ok(url)
}

/// The reason for an authority that does not parse. When an `@` follows
/// it before the path (`//user:pa?ss@host/`), a `?` or `#` in a password
/// ended the authority early, and the reason would quote part of the
/// password as a host or port: say what to fix instead.
fn explain_authority(rest: &str, authority: &str, reason: String) -> String {
    let after_slashes = rest.strip_prefix("//").unwrap_or(rest);
    let first_segment = after_slashes.split('/').next().unwrap_or("");
    if first_segment.len() > authority.len() && first_segment[authority.len()..].contains('@') {
        return "'?' or '#' before an '@': write them as %3F and %23 in a user name or password"
            .to_owned();
    }
    reason
}

/// Refuses inputs that are too long or contain whitespace or control characters.
///
/// Positions are byte offsets into the input, counted from 0.
pub(super) fn check_characters(input: &str) -> Result<(), String> {
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
pub(super) fn split_scheme(input: &str) -> Option<(&str, &str)> {
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
pub(super) struct Parts<'a> {
    /// What follows `//`, up to the path; `None` when there is no `//`.
    pub(super) authority: Option<&'a str>,
    /// Possibly empty; starts with `/` whenever there is an authority.
    pub(super) path: &'a str,
    /// What follows the first `?`, without it.
    pub(super) query: Option<&'a str>,
}

/// Splits `//authority/path?query#fragment` into parts, dropping the fragment.
pub(super) fn split_reference(input: &str) -> Parts<'_> {
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

/// The parts of an authority: credentials, host, port.
pub(super) type Authority = (Option<Credentials>, Host, Option<u16>);

/// Parses `[userinfo@]host[:port]`, the host being a name, a dotted quad or
/// a bracketed IPv6 address.
///
/// The port is `None` when absent or empty.
pub(super) fn parse_authority(authority: &str) -> Result<Authority, String> {
    let (credentials, host_port) = match authority.rsplit_once('@') {
        Some((userinfo, host_port)) => (Some(parse_userinfo(userinfo)?), host_port),
        None => (None, authority),
    };
    let (host, port) = parse_host_port(host_port)?;
    Ok((credentials, host, port))
}

/// Checks a userinfo (`user[:password]`): RFC 3986 §3.2.1 characters, with
/// non-ASCII percent-encoded as UTF-8. The reasons never quote it.
fn parse_userinfo(userinfo: &str) -> Result<Credentials, String> {
    if userinfo.is_empty() {
        return Err("empty user name before '@'".to_owned());
    }
    let encoded = percent_encode_non_ascii(userinfo);
    let bytes = encoded.as_bytes();
    for (i, &byte) in bytes.iter().enumerate() {
        if byte == b'%' {
            let valid = bytes
                .get(i + 1..i + 3)
                .is_some_and(|hex| hex.iter().all(u8::is_ascii_hexdigit));
            if !valid {
                return Err(
                    "invalid percent-encoding in the user name or password (expected %XX)"
                        .to_owned(),
                );
            }
        } else if !(byte.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:".contains(&byte)) {
            return Err(format!(
                "character {:?} is not allowed in a user name or password; percent-encode it",
                char::from(byte)
            ));
        }
    }
    Ok(Credentials::new(&encoded))
}

/// Parses `host`, `host:port`, `[ipv6]` or `[ipv6]:port`.
fn parse_host_port(authority: &str) -> Result<(Host, Option<u16>), String> {
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
pub(super) fn encode_path(path: &str) -> Result<String, String> {
    if path.contains('\\') {
        return Err("backslash in path is ambiguous; write '/' or %5C".to_owned());
    }
    Ok(percent_encode_non_ascii(path))
}

/// Replaces every non-ASCII character by the `%XX` escapes of its UTF-8 bytes.
///
/// ASCII is kept as it is, including existing `%XX` escapes.
pub(super) fn percent_encode_non_ascii(text: &str) -> String {
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
