//! The list of URLs to count: the URL arguments and the lines of each
//! `--input` list, in the order given.
//!
//! A list line that is not a URL is not a usage error: it becomes a
//! [`Target`] whose `url` is the error, reported in its place in the output
//! while the other URLs are still counted.

use std::io::Read;

use netcount::url::Url;
use netcount::Error;

use super::args::InputSource;

/// One URL to count, or a list line that is not one.
#[derive(Debug)]
pub struct Target {
    /// How the URL is shown in the output: the normalized URL, or the line
    /// as written (control characters escaped) when it is not a URL.
    pub label: String,
    /// The parsed URL, or why the line is not one.
    pub url: Result<Url, Error>,
}

impl Target {
    /// A URL that parsed.
    pub fn from_url(url: Url) -> Target {
        Target {
            label: url.to_string(),
            url: Ok(url),
        }
    }

    /// A list line, parsed now.
    fn from_line(line: &str) -> Target {
        match Url::parse(line) {
            Ok(url) => Target::from_url(url),
            Err(error) => Target {
                // The error's copy of the line: credentials replaced by ***.
                label: match &error {
                    Error::InvalidUrl { url, .. } => printable(url),
                    _ => printable(line),
                },
                url: Err(error),
            },
        }
    }
}

/// Reads a URL list: the bytes of `source`, as an error message when it
/// cannot be read.
pub fn read_source(source: &InputSource) -> Result<Vec<u8>, String> {
    let mut bytes = Vec::new();
    let result = match source {
        InputSource::Stdin => std::io::stdin().lock().read_to_end(&mut bytes),
        InputSource::File(path) => {
            std::fs::File::open(path).and_then(|mut f| f.read_to_end(&mut bytes))
        }
    };
    result.map_err(|error| match source {
        InputSource::Stdin => format!("--input -: cannot read standard input: {error}"),
        InputSource::File(path) => format!("--input {}: {error}", path.display()),
    })?;
    Ok(bytes)
}

/// The targets of a URL list: one per line, surrounding whitespace (and the
/// `\r` of CRLF files) trimmed. Blank lines are skipped, and so are
/// comments: a `#` at the start of a line or after whitespace, up to the end
/// of the line (a `#` inside a URL is its fragment). A UTF-8 byte order mark
/// at the start, as some editors write, is skipped too.
pub fn parse_list(bytes: &[u8]) -> Vec<Target> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut targets = Vec::new();
    for line in bytes.split(|&b| b == b'\n') {
        let line = without_comment(line).trim_ascii();
        if line.is_empty() {
            continue;
        }
        targets.push(match std::str::from_utf8(line) {
            Ok(line) => Target::from_line(line),
            Err(_) => {
                let lossy = String::from_utf8_lossy(line);
                Target {
                    label: printable(&lossy),
                    url: Err(Error::InvalidUrl {
                        url: lossy.into_owned(),
                        reason: "not valid utf-8".into(),
                    }),
                }
            }
        });
    }
    targets
}

/// `line` up to its comment: a `#` first on the line or after a space or
/// tab.
fn without_comment(line: &[u8]) -> &[u8] {
    let comment = line
        .iter()
        .enumerate()
        .position(|(i, &b)| b == b'#' && (i == 0 || matches!(line[i - 1], b' ' | b'\t')));
    match comment {
        Some(start) => &line[..start],
        None => line,
    }
}

/// `text` with control characters escaped, safe to print on a terminal.
fn printable(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_lines_and_comments_are_skipped_and_lines_trimmed() {
        let list = b"# a list\n\nhttp://a/\r\n   \n  http://b:81/x  \n#http://c/\n\thttp://d/";
        let labels: Vec<String> = parse_list(list).into_iter().map(|t| t.label).collect();
        assert_eq!(labels, ["http://a/", "http://b:81/x", "http://d/"]);
    }

    #[test]
    fn a_bad_line_is_a_target_with_its_error() {
        let targets = parse_list(b"ftp://a/\nhttp://ok/\nnot a\x07url\n\xff\xfe\n");
        let summary: Vec<(&str, Option<&str>)> = targets
            .iter()
            .map(|t| (t.label.as_str(), t.url.as_ref().err().map(Error::kind)))
            .collect();
        assert_eq!(
            summary,
            [
                ("ftp://a/", Some("invalid_url")),
                ("http://ok/", None),
                ("not a\\u{7}url", Some("invalid_url")),
                ("\u{fffd}\u{fffd}", Some("invalid_url")),
            ]
        );
    }

    #[test]
    fn a_hash_after_whitespace_starts_a_comment_but_a_fragment_stays() {
        let list = b"http://a/   # the first\nhttp://b/#frag\thttp://ignored/\n\
                     http://c/x#y #z\n  # indented comment\nhttp://d/\t#tab\n";
        let labels: Vec<String> = parse_list(list).into_iter().map(|t| t.label).collect();
        assert_eq!(
            labels,
            // The fragment is never sent, so the URL is shown without it.
            [
                "http://a/",
                "http://b/#frag\\thttp://ignored/",
                "http://c/x",
                "http://d/"
            ]
        );
    }

    #[test]
    fn a_leading_byte_order_mark_is_skipped() {
        let targets = parse_list(b"\xEF\xBB\xBFhttp://a/\r\nhttp://b/\r\n");
        let labels: Vec<&str> = targets.iter().map(|t| t.label.as_str()).collect();
        assert_eq!(labels, ["http://a/", "http://b/"]);
        assert!(targets.iter().all(|t| t.url.is_ok()));
        // Only at the start of the list.
        assert!(parse_list(b"http://a/\n\xEF\xBB\xBFhttp://b/\n")[1]
            .url
            .is_err());
    }

    #[test]
    fn an_empty_list_has_no_targets() {
        assert!(parse_list(b"").is_empty());
        assert!(parse_list(b"\n# nothing\n").is_empty());
    }
}
