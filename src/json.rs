//! Minimal JSON output: the report and error objects the CLI's `--json` and
//! the web API print ([`Report::to_json`], [`Error::to_json`],
//! [`Error::to_json_with_url`]). Writing is all we need, so no JSON crate is
//! pulled in.

use std::fmt::Write;

use crate::client::Report;
use crate::error::Error;

/// `text` as a JSON string literal, quoted and escaped (RFC 8259 §7).
pub(crate) fn string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c == '\u{7f}' || c == '\u{2028}' || c == '\u{2029}' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

impl Report {
    /// The report as one line of JSON: `{"url","final_url","status","count",
    /// "pattern","pattern_kind","bytes","bytes_received","content_encoding",
    /// "redirects","elapsed_ms","reused"}` (`pattern`: what was counted, as
    /// given; `pattern_kind`: `"literal"` or `"regex"`, both left out when
    /// [`Report::pattern`] is `None`; `reused`: whether the final response
    /// came over a connection kept from an earlier fetch).
    ///
    /// # Example
    ///
    /// ```
    /// # use std::time::Duration;
    /// let url = netcount::url::Url::parse("http://example.org/")?;
    /// let mut report = netcount::Report::new(url);
    /// (report.bytes, report.count, report.elapsed) = (10, 1, Duration::from_millis(12));
    /// (report.bytes_received, report.content_encoding) = (7, "gzip".into());
    /// report.pattern = Some(netcount::Tally::describe(&netcount::Counter::new(".NET")?));
    /// assert_eq!(
    ///     report.to_json(),
    ///     r#"{"url":"http://example.org/","final_url":"http://example.org/","status":200,"count":1,"pattern":".NET","pattern_kind":"literal","bytes":10,"bytes_received":7,"content_encoding":"gzip","redirects":0,"elapsed_ms":12,"reused":false}"#
    /// );
    /// # Ok::<(), netcount::Error>(())
    /// ```
    pub fn to_json(&self) -> String {
        let pattern = match &self.pattern {
            Some(description) => format!(
                r#","pattern":{},"pattern_kind":{}"#,
                string(&description.pattern),
                string(description.kind.as_str())
            ),
            None => String::new(),
        };
        format!(
            r#"{{"url":{},"final_url":{},"status":{},"count":{}{pattern},"bytes":{},"bytes_received":{},"content_encoding":{},"redirects":{},"elapsed_ms":{},"reused":{}}}"#,
            string(&self.url.to_string()),
            string(&self.final_url.to_string()),
            self.status,
            self.count,
            self.bytes,
            self.bytes_received,
            string(&self.content_encoding),
            self.redirects,
            self.elapsed.as_millis(),
            self.reused,
        )
    }
}

impl Error {
    /// The error as a JSON object `{"kind":...,"message":...}`, with
    /// `"status"` added for [`Error::Status`].
    ///
    /// # Example
    ///
    /// ```
    /// let error = netcount::Error::Status { code: 404, reason: "Not Found".into() };
    /// assert_eq!(
    ///     error.to_json(),
    ///     r#"{"kind":"status","message":"http status 404 not found","status":404}"#
    /// );
    /// ```
    pub fn to_json(&self) -> String {
        let status = match self {
            Error::Status { code, .. } => format!(r#","status":{code}"#),
            _ => String::new(),
        };
        format!(
            r#"{{"kind":{},"message":{}{status}}}"#,
            string(self.kind()),
            string(&self.to_string())
        )
    }

    /// The JSON line of a URL that failed, `{"url":url,"error":...}` with
    /// [`Error::to_json`] as the error: the counterpart of
    /// [`Report::to_json`] in a JSON-lines output (the CLI's `--json`).
    ///
    /// # Example
    ///
    /// ```
    /// let error = netcount::Error::Status { code: 404, reason: "Not Found".into() };
    /// assert_eq!(
    ///     error.to_json_with_url("http://a/\"x\""),
    ///     r#"{"url":"http://a/\"x\"","error":{"kind":"status","message":"http status 404 not found","status":404}}"#
    /// );
    /// ```
    pub fn to_json_with_url(&self, url: &str) -> String {
        format!(r#"{{"url":{},"error":{}}}"#, string(url), self.to_json())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_and_control_characters_are_escaped() {
        assert_eq!(string("a\"b\\c\n\u{1}"), r#""a\"b\\c\n\u0001""#);
    }

    #[test]
    fn every_control_character_is_escaped_and_the_result_parses() {
        let text: String = (0u32..0x80)
            .filter_map(char::from_u32)
            .chain("é€😀\u{2028}".chars())
            .collect();
        let quoted = string(&text);
        assert!(!quoted.chars().any(|c| (c as u32) < 0x20));
        let back: String = serde_json::from_str(&quoted).unwrap();
        assert_eq!(back, text);
    }
}
