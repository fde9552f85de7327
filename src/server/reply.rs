//! Replies: what the server writes back: status, a few headers, a small
//! body, in one piece. (The incoming kind, read by the client, is
//! [`http::Response`](crate::http::Response).)
//!
//! Every error is JSON, `{"error":"<code>","message":"..."}`, so a client
//! can branch on `error` and show `message`. Bodies end with a newline so
//! `curl` output reads well; the JSON is still one valid value.

use std::net::{IpAddr, SocketAddr};

use super::date::http_date;
use crate::error::Error;
use crate::json;

/// A reply to write: everything but the framing headers, which
/// [`Reply::to_bytes`] adds. Public only for the fuzzers
/// ([`fuzzing`](crate::fuzzing)); examples are in the unit tests below.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// The status code.
    pub status: u16,
    /// The `Content-Type`.
    pub content_type: &'static str,
    /// Extra header fields (`Allow`, `Retry-After`).
    pub headers: Vec<(&'static str, String)>,
    /// The body (not sent in answer to `HEAD`; its length still is).
    pub body: String,
}

/// `application/json`, the type of every JSON body.
const JSON: &str = "application/json";

impl Reply {
    /// A JSON reply; `body` is one JSON value (a newline is added).
    pub fn json(status: u16, body: impl Into<String>) -> Reply {
        let mut body = body.into();
        body.push('\n');
        Reply {
            status,
            content_type: JSON,
            headers: Vec::new(),
            body,
        }
    }

    /// A plain-text reply (a newline is added).
    pub fn text(status: u16, body: &str) -> Reply {
        Reply {
            status,
            content_type: "text/plain; charset=utf-8",
            headers: Vec::new(),
            body: format!("{body}\n"),
        }
    }

    /// A JSON error: `{"error":code,"message":message}`.
    pub fn error(status: u16, code: &str, message: &str) -> Reply {
        Reply::json(
            status,
            format!(
                r#"{{"error":{},"message":{}}}"#,
                json::string(code),
                json::string(message)
            ),
        )
    }

    /// The reply to a failed upstream fetch: the status that says
    /// whose fault it was, the error's [`kind`](Error::kind) as the code,
    /// and `upstream_status` when the upstream answered with a non-2xx
    /// status.
    ///
    /// | error | status |
    /// | --- | --- |
    /// | address not allowed (the SSRF guard) | 403 |
    /// | a timeout, or a connect that timed out on every address | 504 |
    /// | anything else (the upstream failed or misbehaved) | 502 |
    ///
    /// The client's own mistakes (a bad URL, an empty needle) are refused
    /// before any fetch starts, so an invalid URL met during a fetch (a
    /// redirect's `Location`) is the upstream's fault: 502
    /// `invalid_redirect`.
    ///
    /// A refusal by the guard does not say which address a host name
    /// resolved to (that would make the server a lookup service for names
    /// only it can resolve); the server's log has it.
    pub(crate) fn fetch_error(error: &Error) -> Reply {
        let status = match error {
            Error::AddressNotAllowed { .. } => 403,
            // The page was fetched; the client's pattern could not count it.
            Error::Pattern(_) => 422,
            Error::Timeout { .. } => 504,
            Error::Connect { tried, .. }
                if !tried.is_empty()
                    && tried
                        .iter()
                        .all(|(_, e)| e.kind() == std::io::ErrorKind::TimedOut) =>
            {
                504
            }
            _ => 502,
        };
        let (code, message) = match error {
            Error::AddressNotAllowed { host, addr, reason } => {
                (error.kind(), not_allowed(host, *addr, reason))
            }
            Error::InvalidUrl { .. } => (
                "invalid_redirect",
                format!("the upstream redirected to an unusable location: {error}"),
            ),
            _ => (error.kind(), error.to_string()),
        };
        let upstream = match error {
            Error::Status { code, .. } => format!(r#","upstream_status":{code}"#),
            _ => String::new(),
        };
        Reply::json(
            status,
            format!(
                r#"{{"error":{},"message":{}{upstream}}}"#,
                json::string(code),
                json::string(&message)
            ),
        )
    }

    /// Adds a header field.
    pub fn with_header(mut self, name: &'static str, value: impl Into<String>) -> Reply {
        self.headers.push((name, value.into()));
        self
    }

    /// The bytes to write: status line, headers (`Date` and
    /// `Content-Length` always, `Connection: close` if `close`), empty
    /// line, and the body unless `head_only` (the answer to a `HEAD`).
    pub fn to_bytes(&self, head_only: bool, close: bool) -> Vec<u8> {
        self.to_bytes_dated(head_only, close, &http_date())
    }

    /// [`Reply::to_bytes`] with a given `Date`.
    fn to_bytes_dated(&self, head_only: bool, close: bool, date: &str) -> Vec<u8> {
        let mut out = format!(
            "HTTP/1.1 {} {}\r\nDate: {date}\r\nContent-Type: {}\r\nContent-Length: {}\r\nCache-Control: no-store\r\n",
            self.status,
            reason(self.status),
            self.content_type,
            self.body.len()
        );
        for (name, value) in &self.headers {
            out.push_str(&format!("{name}: {value}\r\n"));
        }
        if close {
            out.push_str("Connection: close\r\n");
        }
        out.push_str("\r\n");
        if !head_only {
            out.push_str(&self.body);
        }
        out.into_bytes()
    }
}

/// The message of a guard refusal: the guard's reason, unless it names
/// the address a host name resolved to (the guard's reasons that name an
/// address start with it).
fn not_allowed(host: &str, addr: SocketAddr, reason: &str) -> String {
    let literal = host.parse::<IpAddr>().is_ok();
    if literal || !reason.starts_with(&addr.ip().to_string()) {
        format!("destination not allowed: {reason}")
    } else {
        format!(
            "destination not allowed: {host} resolves to an address the server may not fetch from"
        )
    }
}

/// The reason phrase for the statuses this server sends.
fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        413 => "Content Too Large",
        414 => "URI Too Long",
        422 => "Unprocessable Content",
        431 => "Request Header Fields Too Large",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        505 => "HTTP Version Not Supported",
        508 => "Loop Detected",
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constructors_fill_type_and_body() {
        let reply = Reply::error(404, "not_found", "no route for /x");
        assert_eq!(reply.status, 404);
        assert_eq!(
            reply.body,
            "{\"error\":\"not_found\",\"message\":\"no route for /x\"}\n"
        );
        let reply = Reply::json(200, "16");
        assert_eq!(
            (reply.content_type, reply.body.as_str()),
            ("application/json", "16\n")
        );
        assert_eq!(Reply::text(200, "ok").body, "ok\n");
        let reply = Reply::error(400, "bad_request", "say \"please\"");
        assert_eq!(
            reply.body,
            "{\"error\":\"bad_request\",\"message\":\"say \\\"please\\\"\"}\n"
        );
        let reply = Reply::text(200, "ok").with_header("Allow", "GET");
        assert_eq!(reply.headers, vec![("Allow", "GET".to_string())]);
    }

    #[test]
    fn a_failed_fetch_names_whose_fault_it_was() {
        let reply = Reply::fetch_error(&Error::Status {
            code: 404,
            reason: "Not Found".into(),
        });
        assert_eq!(reply.status, 502);
        assert_eq!(
            reply.body,
            "{\"error\":\"status\",\"message\":\"http status 404 not found\",\"upstream_status\":404}\n"
        );
    }

    #[test]
    fn whose_fault_each_failure_is() {
        use crate::error::{ProtocolErrorKind, TimeoutPhase};
        use std::io::{Error as IoError, ErrorKind};
        use std::time::Duration;

        let timed_out = || IoError::new(ErrorKind::TimedOut, "connect timed out after 1s");
        let refused = || IoError::new(ErrorKind::ConnectionRefused, "refused");
        let a: SocketAddr = "192.0.2.1:80".parse().unwrap();
        let b: SocketAddr = "[2001:db8::1]:80".parse().unwrap();
        let connect = |tried| Error::Connect {
            host: "h".into(),
            port: 80,
            tried,
        };
        let cases = [
            (connect(vec![(a, timed_out()), (b, timed_out())]), 504),
            (connect(vec![(a, timed_out()), (b, refused())]), 502),
            (connect(vec![(a, refused())]), 502),
            (
                Error::Timeout {
                    phase: TimeoutPhase::Connect,
                    after: Duration::from_secs(1),
                },
                504,
            ),
            (
                Error::InvalidUrl {
                    url: "http://[x/".into(),
                    reason: "bad".into(),
                },
                502,
            ),
            (
                Error::protocol(ProtocolErrorKind::Redirect, "bad location"),
                502,
            ),
        ];
        for (error, status) in cases {
            assert_eq!(Reply::fetch_error(&error).status, status, "{error}");
        }
    }

    #[test]
    fn a_guard_refusal_hides_what_a_name_resolved_to() {
        let refusal = |host: &str, addr: &str, reason: &str| {
            let error = Error::AddressNotAllowed {
                host: host.into(),
                addr: addr.parse().unwrap(),
                reason: reason.into(),
            };
            let reply = Reply::fetch_error(&error);
            assert_eq!(reply.status, 403);
            reply.body
        };
        let named = refusal(
            "internal.example",
            "10.1.2.3:80",
            "10.1.2.3 is in 10.0.0.0/8 (private-use)",
        );
        assert!(!named.contains("10."), "{named}");
        assert!(
            named.contains("internal.example resolves to an address"),
            "{named}"
        );
        // The client wrote the address itself: nothing to hide, and the
        // range is named.
        let literal = refusal("::1", "[::1]:80", "::1 is in ::1/128 (loopback address)");
        assert!(literal.contains("::1/128 (loopback address)"), "{literal}");
        // Reasons without an address pass through.
        let port = refusal(
            "a.example",
            "192.0.2.1:8080",
            "port 8080 is not allowed (only 80 and 443)",
        );
        assert!(port.contains("port 8080"), "{port}");
    }

    #[test]
    fn the_bytes_carry_length_and_close() {
        let date = "Sun, 06 Nov 1994 08:49:37 GMT";
        let bytes = Reply::text(200, "ok").to_bytes_dated(false, true, date);
        assert_eq!(
            String::from_utf8(bytes).unwrap(),
            "HTTP/1.1 200 OK\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\n\
             Content-Type: text/plain; charset=utf-8\r\n\
             Content-Length: 3\r\nCache-Control: no-store\r\nConnection: close\r\n\r\nok\n"
        );
        let bytes = Reply::text(200, "ok").to_bytes(false, false);
        assert!(String::from_utf8(bytes).unwrap().contains("\r\nDate: "));
    }

    #[test]
    fn error_bodies_are_json() {
        let response = Reply::error(431, "header_fields_too_large", "a\nb");
        let value: serde_json::Value = serde_json::from_str(&response.body).unwrap();
        assert_eq!(value["error"], "header_fields_too_large");
        assert_eq!(value["message"], "a\nb");
    }

    #[test]
    fn head_responses_keep_the_length_and_drop_the_body() {
        let bytes = Reply::json(200, "16").to_bytes(true, false);
        let text = String::from_utf8(bytes).unwrap();
        assert!(text.contains("Content-Length: 3\r\n"), "{text}");
        assert!(text.ends_with("\r\n\r\n"), "{text}");
        assert!(!text.contains("Connection"), "{text}");
    }
}
