//! The request head: the only bytes netcount ever sends.
//!
//! A GET has no body, so the whole request is its head:
//!
//! ```text
//! GET /path?query HTTP/1.1\r\n
//! Host: example.org\r\n
//! User-Agent: netcount/0.1.0\r\n
//! Accept: */*\r\n
//! Accept-Encoding: identity\r\n
//! \r\n
//! ```
//!
//! `Accept-Encoding: identity` asks for the bytes as they are: a compressed
//! body would be counted wrong; a client that asks for compressed bodies
//! (feature `compression`, `ClientBuilder::compressed`) sends `gzip,
//! deflate, br` instead, naming every coding it decodes. There is no `Connection: close`: HTTP/1.1
//! connections persist by default, and the client keeps them for the next
//! request to the same origin when the response allows it (see
//! `Client`'s pool). A server that prefers to close still may: it says so,
//! or ends a body by closing.
//!
//! Through a proxy, an `http` request names the whole URL (`GET
//! http://example.org/path HTTP/1.1`, the absolute form) and carries the
//! proxy's `Proxy-Authorization`. After them come `Authorization` (from
//! the URL's credentials or the caller) and the caller's own headers,
//! checked by [`check_header`] when they were added.

use std::fmt;

use super::field;
use crate::url::Url;

/// The `User-Agent` sent unless the caller sets another one.
///
/// # Example
///
/// ```
/// let version = env!("CARGO_PKG_VERSION");
/// assert_eq!(netcount::http::DEFAULT_USER_AGENT, format!("netcount/{version}"));
/// ```
pub const DEFAULT_USER_AGENT: &str = concat!("netcount/", env!("CARGO_PKG_VERSION"));

/// The `Accept-Encoding` sent unless compression is asked for: the bytes as
/// they are.
pub(crate) const ACCEPT_ENCODING_IDENTITY: &str = "identity";

/// The `Accept-Encoding` a compressed transfer sends: every coding the
/// decoder undoes.
#[cfg(feature = "compression")]
pub(crate) const ACCEPT_ENCODING_COMPRESSED: &str = crate::decode::ACCEPT_ENCODING;

/// Names the caller may not set, each with the reason given.
const REFUSED: &[(&str, &str)] = &[
    ("host", "it is taken from the url"),
    ("content-length", "a GET has no body"),
    ("transfer-encoding", "a GET has no body"),
    (
        "connection",
        "netcount decides when a connection closes, and the body's framing depends on it",
    ),
    (
        "proxy-authorization",
        "inside a tunnel it would reach the server, not the proxy; \
         put proxy credentials in the proxy url (http://user:password@proxy:port)",
    ),
];

/// Header names whose value is a credential: dropped when a redirect
/// leaves the origin, and never shown by `Debug`.
const CREDENTIALS: &[&str] = &["authorization", "cookie", "proxy-authorization"];

/// Checks a header the caller wants to send: the name a token and not one
/// netcount writes itself (`Host`, `Content-Length`, `Transfer-Encoding`,
/// `Connection`, `Proxy-Authorization`), the value free of CR, LF, NUL and
/// other control characters except tab. Returns the reason otherwise
/// (without the name: the caller's message shows it).
pub(crate) fn check_header(name: &str, value: &str) -> Result<(), String> {
    if !field::is_token(name.as_bytes()) {
        return Err("a name is one or more of the letters, digits and !#$%&'*+-.^_`|~".into());
    }
    if let Some((_, why)) = REFUSED.iter().find(|(n, _)| name.eq_ignore_ascii_case(n)) {
        return Err(why.to_string());
    }
    let what = match value.bytes().find(|&b| b.is_ascii_control() && b != b'\t') {
        None => return Ok(()),
        Some(b'\r' | b'\n') => "a line break".to_string(),
        Some(0) => "a nul byte".to_string(),
        Some(byte) => format!("control character 0x{byte:02x}"),
    };
    Err(format!("the value contains {what}"))
}

/// Whether a header named `name` carries credentials.
fn is_credential(name: &str) -> bool {
    CREDENTIALS.iter().any(|c| name.eq_ignore_ascii_case(c))
}

/// Headers the caller added, each checked by [`check_header`], in order.
/// `Debug` hides the values of `Authorization` and `Cookie`.
#[derive(Clone, Default, PartialEq, Eq)]
pub(crate) struct ExtraHeaders(Vec<(String, String)>);

impl ExtraHeaders {
    /// Adds a header (after [`check_header`] accepted it).
    pub(crate) fn push(&mut self, name: String, value: String) {
        self.0.push((name, value));
    }

    /// Sets `name` to `value` (after [`check_header`] accepted it),
    /// replacing every earlier field of that name.
    #[cfg_attr(not(feature = "server"), allow(dead_code))]
    pub(crate) fn set(&mut self, name: &str, value: String) {
        self.0.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        self.0.push((name.to_string(), value));
    }
}

impl fmt::Debug for ExtraHeaders {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(self.0.iter().map(|(name, value)| {
                let shown = if is_credential(name) {
                    "<redacted>"
                } else {
                    value
                };
                (name, shown)
            }))
            .finish()
    }
}

/// What goes into a request head besides the URL. (No `Debug`: it holds
/// credentials.)
#[derive(Clone, Copy)]
pub(crate) struct RequestOptions<'a> {
    /// Sent as `User-Agent` unless `headers` has one. Must not contain CR
    /// or LF; such a value is replaced by [`DEFAULT_USER_AGENT`].
    pub user_agent: &'a str,
    /// The `Authorization` value (`Basic ...`), unless `headers` has one.
    pub authorization: Option<&'a str>,
    /// The caller's headers: a default of the same name is replaced.
    pub headers: &'a ExtraHeaders,
    /// Sent as `Accept-Encoding` unless `headers` has one:
    /// [`ACCEPT_ENCODING_IDENTITY`] or, asking for a compressed transfer,
    /// `ACCEPT_ENCODING_COMPRESSED`.
    pub accept_encoding: &'a str,
    /// Leave out `Authorization` and `Cookie`, whoever set them: the
    /// request goes to another origin than the one they were given for.
    pub drop_credentials: bool,
    /// Through a proxy, for an `http` URL: the request target in absolute
    /// form, and the `Proxy-Authorization` value, if any.
    pub proxy: Option<ProxyForm<'a>>,
}

/// How a request to an `http` URL through a proxy differs.
#[derive(Clone, Copy)]
pub(crate) struct ProxyForm<'a> {
    /// `Proxy-Authorization` (`Basic ...`), if the proxy URL has credentials.
    pub authorization: Option<&'a str>,
}

impl RequestOptions<'static> {
    /// Nothing but the defaults.
    pub(crate) fn plain() -> RequestOptions<'static> {
        static NONE: ExtraHeaders = ExtraHeaders(Vec::new());
        RequestOptions {
            user_agent: DEFAULT_USER_AGENT,
            authorization: None,
            accept_encoding: ACCEPT_ENCODING_IDENTITY,
            headers: &NONE,
            drop_credentials: false,
            proxy: None,
        }
    }
}

/// Writes the GET request head for `url` into a new buffer.
///
/// The request target is the URL's path and query (never its fragment), or
/// the whole URL (absolute form) through a proxy; the `Host` header carries
/// the port only when it is not the scheme's default, and an IPv6 address
/// in brackets. The caller's headers come last; one named like a default
/// (`User-Agent`, `Accept`, `Accept-Encoding`, `Authorization`) replaces it.
pub(crate) fn request_head(url: &Url, options: &RequestOptions<'_>) -> Vec<u8> {
    let user_agent = if options.user_agent.bytes().any(|b| b == b'\r' || b == b'\n') {
        DEFAULT_USER_AGENT
    } else {
        options.user_agent
    };
    let extra: Vec<&(String, String)> = options
        .headers
        .0
        .iter()
        .filter(|(name, _)| !(options.drop_credentials && is_credential(name)))
        .collect();
    let custom = |name: &str| extra.iter().any(|(n, _)| n.eq_ignore_ascii_case(name));

    let mut head = match options.proxy {
        Some(_) => format!("GET {url} HTTP/1.1\r\n"),
        None => format!("GET {} HTTP/1.1\r\n", url.request_target()),
    };
    let mut line = |name: &str, value: &str| {
        head.push_str(name);
        head.push_str(": ");
        head.push_str(value);
        head.push_str("\r\n");
    };
    line("Host", &url.authority());
    if !custom("user-agent") {
        line("User-Agent", user_agent);
    }
    if !custom("accept") {
        line("Accept", "*/*");
    }
    if !custom("accept-encoding") {
        line("Accept-Encoding", options.accept_encoding);
    }
    if let Some(value) = options.authorization {
        if !options.drop_credentials && !custom("authorization") {
            line("Authorization", value);
        }
    }
    if let Some(ProxyForm {
        authorization: Some(value),
    }) = options.proxy
    {
        line("Proxy-Authorization", value);
    }
    for (name, value) in extra {
        line(name, value);
    }
    head.push_str("\r\n");
    head.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(url: &str) -> String {
        head_with(url, &RequestOptions::plain())
    }

    fn head_with(url: &str, options: &RequestOptions<'_>) -> String {
        String::from_utf8(request_head(&Url::parse(url).unwrap(), options)).unwrap()
    }

    fn headers(pairs: &[(&str, &str)]) -> ExtraHeaders {
        let mut headers = ExtraHeaders::default();
        for (name, value) in pairs {
            check_header(name, value).unwrap();
            headers.push(name.to_string(), value.to_string());
        }
        headers
    }

    #[test]
    fn the_whole_head() {
        let url = Url::parse("http://[::1]:8080/a?b=c#frag").unwrap();
        let options = RequestOptions {
            user_agent: "netcount-test",
            ..RequestOptions::plain()
        };
        assert_eq!(
            request_head(&url, &options),
            b"GET /a?b=c HTTP/1.1\r\n\
              Host: [::1]:8080\r\n\
              User-Agent: netcount-test\r\n\
              Accept: */*\r\n\
              Accept-Encoding: identity\r\n\
              \r\n"
        );
    }

    #[test]
    fn host_header_has_the_port_only_when_not_default() {
        assert!(head("http://example.org/").contains("\r\nHost: example.org\r\n"));
        assert!(head("http://example.org:80/").contains("\r\nHost: example.org\r\n"));
        assert!(head("https://example.org:443/").contains("\r\nHost: example.org\r\n"));
        assert!(head("http://example.org:443/").contains("\r\nHost: example.org:443\r\n"));
        assert!(head("https://127.0.0.1:8443/").contains("\r\nHost: 127.0.0.1:8443\r\n"));
        assert!(head("http://[::1]/").contains("\r\nHost: [::1]\r\n"));
    }

    #[test]
    fn request_line_keeps_the_query_and_drops_the_fragment() {
        assert!(head("http://h").starts_with("GET / HTTP/1.1\r\n"));
        assert!(head("http://h/p/q?x=1&y#frag").starts_with("GET /p/q?x=1&y HTTP/1.1\r\n"));
    }

    #[test]
    fn a_user_agent_with_a_line_break_cannot_inject_headers() {
        let options = RequestOptions {
            user_agent: "x\r\nEvil: 1",
            ..RequestOptions::plain()
        };
        let head = head_with("http://h/", &options);
        assert!(!head.contains("Evil"));
        assert!(head.contains(DEFAULT_USER_AGENT));
    }

    #[test]
    fn a_set_field_replaces_earlier_ones_and_comes_last() {
        let mut extra = headers(&[("Via", "1.1 a"), ("X-Trace", "1")]);
        extra.set("via", "1.1 b".to_string());
        let options = RequestOptions {
            headers: &extra,
            ..RequestOptions::plain()
        };
        let head = head_with("http://h/", &options);
        assert!(
            head.ends_with("\r\nX-Trace: 1\r\nvia: 1.1 b\r\n\r\n"),
            "{head}"
        );
        assert!(!head.contains("1.1 a"), "{head}");
    }

    #[test]
    fn the_head_ends_with_an_empty_line_and_asks_for_identity() {
        let h = head("http://h/");
        assert!(h.ends_with("\r\nAccept-Encoding: identity\r\n\r\n"));
        assert!(
            !h.to_ascii_lowercase().contains("connection:"),
            "persistent by default"
        );
        assert!(h.contains("\r\nAccept-Encoding: identity\r\n"));
        assert_eq!(h.matches("\r\n\r\n").count(), 1);
    }

    #[cfg(feature = "compression")]
    #[test]
    fn a_compressed_transfer_names_every_coding_it_decodes() {
        let options = RequestOptions {
            accept_encoding: ACCEPT_ENCODING_COMPRESSED,
            ..RequestOptions::plain()
        };
        let head = head_with("http://h/", &options);
        assert!(head.contains("\r\nAccept-Encoding: gzip, deflate, br\r\n"));
        assert_eq!(head.matches("Accept-Encoding").count(), 1);
    }

    #[test]
    fn caller_headers_come_last_and_replace_defaults_of_the_same_name() {
        let extra = headers(&[
            ("X-Trace", "1"),
            ("user-agent", "curl/8"),
            ("Accept", "text/html"),
            ("X-Trace", "2"),
        ]);
        let options = RequestOptions {
            headers: &extra,
            ..RequestOptions::plain()
        };
        assert_eq!(
            head_with("http://h/", &options),
            "GET / HTTP/1.1\r\nHost: h\r\nAccept-Encoding: identity\r\n\
             X-Trace: 1\r\nuser-agent: curl/8\r\nAccept: text/html\r\nX-Trace: 2\r\n\r\n"
        );
    }

    #[test]
    fn authorization_is_sent_unless_replaced_or_dropped() {
        let none = ExtraHeaders::default();
        let mut options = RequestOptions {
            authorization: Some("Basic dTpw"),
            headers: &none,
            ..RequestOptions::plain()
        };
        assert!(head_with("http://h/", &options).contains("\r\nAuthorization: Basic dTpw\r\n"));
        let own = headers(&[("Authorization", "Bearer t"), ("Cookie", "s=1"), ("X", "y")]);
        options.headers = &own;
        let h = head_with("http://h/", &options);
        assert!(h.contains("\r\nAuthorization: Bearer t\r\n"), "{h}");
        assert!(!h.contains("Basic"), "{h}");
        options.drop_credentials = true;
        let h = head_with("http://h/", &options);
        assert!(!h.contains("Authorization") && !h.contains("Cookie"), "{h}");
        assert!(h.contains("\r\nX: y\r\n"), "{h}");
    }

    #[test]
    fn through_a_proxy_the_target_is_the_whole_url() {
        let options = RequestOptions {
            proxy: Some(ProxyForm {
                authorization: Some("Basic cDpx"),
            }),
            ..RequestOptions::plain()
        };
        let h = head_with("http://u:p@[::1]:8080/a?b#c", &options);
        assert!(
            h.starts_with("GET http://[::1]:8080/a?b HTTP/1.1\r\nHost: [::1]:8080\r\n"),
            "{h}"
        );
        assert!(h.contains("\r\nProxy-Authorization: Basic cDpx\r\n"), "{h}");
        let options = RequestOptions {
            proxy: Some(ProxyForm {
                authorization: None,
            }),
            ..RequestOptions::plain()
        };
        assert!(!head_with("http://h/", &options).contains("Proxy-Authorization"));
    }

    #[test]
    fn headers_are_checked() {
        for (name, value) in [("X-A", "b c"), ("x", ""), ("A", "tab\there"), ("A", "ü")] {
            assert_eq!(check_header(name, value), Ok(()), "{name}: {value}");
        }
        for (name, value, reason) in [
            ("Host", "x", "taken from the url"),
            ("content-length", "0", "no body"),
            ("Transfer-Encoding", "chunked", "no body"),
            (
                "CONNECTION",
                "keep-alive",
                "decides when a connection closes",
            ),
            ("Proxy-Authorization", "Basic x", "in the proxy url"),
            ("X A", "b", "a name is one or more"),
            ("", "b", "a name is one or more"),
            ("X:", "b", "a name is one or more"),
            ("X", "a\r\nEvil: 1", "a line break"),
            ("X", "a\nb", "a line break"),
            ("X", "a\0b", "a nul byte"),
            ("X", "a\x7fb", "control character 0x7f"),
        ] {
            let error = check_header(name, value).unwrap_err();
            assert!(error.contains(reason), "{name}: {error}");
        }
    }

    #[test]
    fn debug_hides_credential_values() {
        let extra = headers(&[
            ("Cookie", "session=s3cret"),
            ("Authorization", "Bearer t0ken"),
            ("X", "shown"),
        ]);
        let debug = format!("{extra:?}");
        assert!(
            !debug.contains("s3cret") && !debug.contains("t0ken"),
            "{debug}"
        );
        assert!(debug.contains("shown"), "{debug}");
    }
}
