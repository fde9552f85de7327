//! Replies: what the server writes back: status, a few headers, a small
//! body, in one piece. (The incoming kind, read by the client, is
//! [`http::Response`](crate::http::Response).)
//!
//! Every error is JSON, `{"error":"<code>","message":"..."}`, so a client
//! can branch on `error` and show `message`. Bodies end with a newline so
//! `curl` output reads well; the JSON is still one valid value.

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
    /// | invalid url, empty needle | 400 |
    /// | address not allowed (the SSRF guard) | 403 |
    /// | timeout | 504 |
    /// | anything else (the upstream failed or misbehaved) | 502 |
    pub(crate) fn fetch_error(error: &Error) -> Reply {
        let status = match error {
            Error::InvalidUrl { .. } | Error::EmptyNeedle => 400,
            Error::AddressNotAllowed { .. } => 403,
            Error::Timeout { .. } => 504,
            _ => 502,
        };
        let upstream = match error {
            Error::Status { code, .. } => format!(r#","upstream_status":{code}"#),
            _ => String::new(),
        };
        Reply::json(
            status,
            format!(
                r#"{{"error":{},"message":{}{upstream}}}"#,
                json::string(error.kind()),
                json::string(&error.to_string())
            ),
        )
    }

    /// Adds a header field.
    pub fn with_header(mut self, name: &'static str, value: impl Into<String>) -> Reply {
        self.headers.push((name, value.into()));
        self
    }

    /// The bytes to write: status line, headers (`Content-Length` always,
    /// `Connection: close` if `close`), empty line, and the body unless
    /// `head_only` (the answer to a `HEAD`).
    pub fn to_bytes(&self, head_only: bool, close: bool) -> Vec<u8> {
        let mut out = format!(
            "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nCache-Control: no-store\r\n",
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
        431 => "Request Header Fields Too Large",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        505 => "HTTP Version Not Supported",
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
    fn the_bytes_carry_length_and_close() {
        let bytes = Reply::text(200, "ok").to_bytes(false, true);
        assert_eq!(
            String::from_utf8(bytes).unwrap(),
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\n\
             Content-Length: 3\r\nCache-Control: no-store\r\nConnection: close\r\n\r\nok\n"
        );
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
