//! Responses: status, a few headers, a small body, written in one piece.
//!
//! Every error is JSON, `{"error":"<code>","message":"..."}`, so a client
//! can branch on `error` and show `message`. Bodies end with a newline so
//! `curl` output reads well; the JSON is still one valid value.

use crate::error::Error;
use crate::json;

/// A response to write: everything but the framing headers, which
/// [`Response::to_bytes`] adds.
///
/// # Example
///
/// ```
/// use netcount::server::Response;
///
/// let response = Response::error(404, "not_found", "no route for /x");
/// assert_eq!(response.status, 404);
/// assert_eq!(response.body, "{\"error\":\"not_found\",\"message\":\"no route for /x\"}\n");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
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

impl Response {
    /// A JSON response; `body` is one JSON value (a newline is added).
    ///
    /// # Example
    ///
    /// ```
    /// let response = netcount::server::Response::json(200, "16");
    /// assert_eq!((response.content_type, response.body.as_str()), ("application/json", "16\n"));
    /// ```
    pub fn json(status: u16, body: impl Into<String>) -> Response {
        let mut body = body.into();
        body.push('\n');
        Response {
            status,
            content_type: JSON,
            headers: Vec::new(),
            body,
        }
    }

    /// A plain-text response (a newline is added).
    ///
    /// # Example
    ///
    /// ```
    /// let response = netcount::server::Response::text(200, "ok");
    /// assert_eq!(response.body, "ok\n");
    /// ```
    pub fn text(status: u16, body: &str) -> Response {
        Response {
            status,
            content_type: "text/plain; charset=utf-8",
            headers: Vec::new(),
            body: format!("{body}\n"),
        }
    }

    /// A JSON error: `{"error":code,"message":message}`.
    ///
    /// # Example
    ///
    /// ```
    /// let response = netcount::server::Response::error(400, "bad_request", "say \"please\"");
    /// assert_eq!(response.body, "{\"error\":\"bad_request\",\"message\":\"say \\\"please\\\"\"}\n");
    /// ```
    pub fn error(status: u16, code: &str, message: &str) -> Response {
        Response::json(
            status,
            format!(
                r#"{{"error":{},"message":{}}}"#,
                json::string(code),
                json::string(message)
            ),
        )
    }

    /// The response for a failed upstream fetch: the status that says
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
    ///
    /// # Example
    ///
    /// ```
    /// use netcount::{server::Response, Error};
    ///
    /// let response = Response::fetch_error(&Error::Status { code: 404, reason: "Not Found".into() });
    /// assert_eq!(response.status, 502);
    /// assert_eq!(
    ///     response.body,
    ///     "{\"error\":\"status\",\"message\":\"http status 404 not found\",\"upstream_status\":404}\n"
    /// );
    /// ```
    pub fn fetch_error(error: &Error) -> Response {
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
        Response::json(
            status,
            format!(
                r#"{{"error":{},"message":{}{upstream}}}"#,
                json::string(error.kind()),
                json::string(&error.to_string())
            ),
        )
    }

    /// Adds a header field.
    ///
    /// # Example
    ///
    /// ```
    /// let response = netcount::server::Response::text(200, "ok").with_header("Allow", "GET");
    /// assert_eq!(response.headers, vec![("Allow", "GET".to_string())]);
    /// ```
    pub fn with_header(mut self, name: &'static str, value: impl Into<String>) -> Response {
        self.headers.push((name, value.into()));
        self
    }

    /// The bytes to write: status line, headers (`Content-Length` always,
    /// `Connection: close` if `close`), empty line, and the body unless
    /// `head_only` (the answer to a `HEAD`).
    ///
    /// # Example
    ///
    /// ```
    /// let bytes = netcount::server::Response::text(200, "ok").to_bytes(false, true);
    /// assert_eq!(
    ///     String::from_utf8(bytes).unwrap(),
    ///     "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\n\
    ///      Content-Length: 3\r\nCache-Control: no-store\r\nConnection: close\r\n\r\nok\n"
    /// );
    /// ```
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
    fn error_bodies_are_json() {
        let response = Response::error(431, "header_fields_too_large", "a\nb");
        let value: serde_json::Value = serde_json::from_str(&response.body).unwrap();
        assert_eq!(value["error"], "header_fields_too_large");
        assert_eq!(value["message"], "a\nb");
    }

    #[test]
    fn head_responses_keep_the_length_and_drop_the_body() {
        let bytes = Response::json(200, "16").to_bytes(true, false);
        let text = String::from_utf8(bytes).unwrap();
        assert!(text.contains("Content-Length: 3\r\n"), "{text}");
        assert!(text.ends_with("\r\n\r\n"), "{text}");
        assert!(!text.contains("Connection"), "{text}");
    }
}
