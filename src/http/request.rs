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
//! Connection: close\r\n
//! \r\n
//! ```
//!
//! `Accept-Encoding: identity` asks for the bytes as they are: a compressed
//! body would be counted wrong. `Connection: close` lets the server end a
//! close-delimited body, and tells it not to wait for a second request.

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

/// Writes the GET request head for `url` into a new buffer.
///
/// The request target is the URL's path and query (never its fragment); the
/// `Host` header carries the port only when it is not the scheme's default,
/// and an IPv6 address in brackets. `user_agent` must not contain CR or LF;
/// such a value is replaced by the default user agent.
pub(crate) fn request_head(url: &Url, user_agent: &str) -> Vec<u8> {
    let user_agent = if user_agent.bytes().any(|b| b == b'\r' || b == b'\n') {
        DEFAULT_USER_AGENT
    } else {
        user_agent
    };
    format!(
        "GET {target} HTTP/1.1\r\n\
         Host: {host}\r\n\
         User-Agent: {user_agent}\r\n\
         Accept: */*\r\n\
         Accept-Encoding: identity\r\n\
         Connection: close\r\n\
         \r\n",
        target = url.request_target(),
        host = url.authority(),
    )
    .into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(url: &str) -> String {
        String::from_utf8(request_head(&Url::parse(url).unwrap(), "ua")).unwrap()
    }

    #[test]
    fn the_whole_head() {
        let url = Url::parse("http://[::1]:8080/a?b=c#frag").unwrap();
        assert_eq!(
            request_head(&url, "netcount-test"),
            b"GET /a?b=c HTTP/1.1\r\n\
              Host: [::1]:8080\r\n\
              User-Agent: netcount-test\r\n\
              Accept: */*\r\n\
              Accept-Encoding: identity\r\n\
              Connection: close\r\n\
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
        let url = Url::parse("http://h/").unwrap();
        let head = String::from_utf8(request_head(&url, "x\r\nEvil: 1")).unwrap();
        assert!(!head.contains("Evil"));
        assert!(head.contains(DEFAULT_USER_AGENT));
    }

    #[test]
    fn the_head_ends_with_an_empty_line_and_asks_for_identity() {
        let h = head("http://h/");
        assert!(h.ends_with("\r\nConnection: close\r\n\r\n"));
        assert!(h.contains("\r\nAccept-Encoding: identity\r\n"));
        assert_eq!(h.matches("\r\n\r\n").count(), 1);
    }
}
