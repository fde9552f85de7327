//! Counting a pattern over the network: the client with a regex, and the
//! command line's `-e`. The engine itself is tested against `regex` in
//! `regex.rs`; here the question is whether the pieces the network delivers
//! reach it whole, in order, and finished.

use netcount::pattern::{PatternError, StreamRegex};
use netcount::url::Url;
use netcount::{Error, Matcher, MatcherKind};

use crate::support::*;

/// `find_iter(whole_body).count()`: the count every path must give.
fn oracle(pattern: &str, body: &[u8]) -> u64 {
    regex::bytes::Regex::new(pattern)
        .unwrap()
        .find_iter(body)
        .count() as u64
}

/// A body whose matches cross every kind of boundary: words of one pattern
/// spread over tiny TCP segments and chunked-encoding chunks.
fn page() -> Vec<u8> {
    let mut body = Vec::new();
    for i in 0..400 {
        body.extend_from_slice(format!("<li>JavaScript{i} TypeScript, .NET {i}x</li>").as_bytes());
    }
    // A match that ends with the body: only `finish` confirms it.
    body.extend_from_slice(b" ActionScript");
    body
}

/// The body sent chunked, in chunks of `size` bytes, each written in
/// pieces of 5 bytes, so reads end inside matches and inside chunk heads.
fn chunked_in_pieces(body: &[u8], size: usize) -> Vec<Step> {
    let mut steps = vec![send(
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
    )];
    for piece in body.chunks(size) {
        let mut chunk = format!("{:x}\r\n", piece.len()).into_bytes();
        chunk.extend_from_slice(piece);
        chunk.extend_from_slice(b"\r\n");
        steps.extend(send_in_pieces(chunk, 5, 0));
    }
    steps.push(send("0\r\n\r\n"));
    steps
}

#[test]
fn the_client_counts_a_regex_across_segments_and_chunks() {
    let body = page();
    let pattern = r"[A-Z][a-z]+Script[0-9]*\z|[A-Z][a-z]+Script[0-9]+";
    let expected = oracle(pattern, &body);
    assert_eq!(expected, 401, "the page has what the test needs");
    for size in [1, 7, 4096] {
        let server = serve(chunked_in_pieces(&body, size));
        let url = Url::parse(&server.url("/")).unwrap();
        let mut regex = StreamRegex::new(pattern).unwrap();
        let report = block_on(quick_client().count(&url, &mut regex)).unwrap();
        assert_eq!(
            (report.count, regex.count()),
            (expected, expected),
            "{size}"
        );
        let described = report.pattern.expect("the client names the pattern");
        assert_eq!(
            (described.pattern.as_str(), described.kind),
            (pattern, MatcherKind::Regex)
        );
        assert_eq!(report.bytes, body.len() as u64);
    }
}

#[test]
fn a_matcher_counts_a_regex_or_a_literal_through_the_same_call() {
    let body = page();
    let server = serve_with({
        let body = body.clone();
        move |_| vec![send(ok_with_length(&body))]
    });
    let url = Url::parse(&server.url("/")).unwrap();
    let settings = StreamRegex::builder();
    for (pattern, kind) in [
        (r"\.NET", MatcherKind::Literal),
        (r"\.NET [0-9]+x", MatcherKind::Regex),
        (r"(?-u:\b)[0-9]{3}(?-u:\b)", MatcherKind::Regex),
    ] {
        let mut matcher = Matcher::from_pattern(pattern, &settings).unwrap();
        let report = block_on(quick_client().count(&url, &mut matcher)).unwrap();
        assert_eq!(report.count, oracle(pattern, &body), "{pattern}");
        assert_eq!(report.pattern.unwrap().kind, kind, "{pattern}");
        // Counting again resets it first.
        let again = block_on(quick_client().count(&url, &mut matcher)).unwrap();
        assert_eq!(again.count, report.count);
    }
}

#[cfg(feature = "compression")]
#[test]
fn a_compressed_body_is_matched_after_decoding() {
    use std::io::Write;
    let body = page();
    let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gzip.write_all(&body).unwrap();
    let gzip = gzip.finish().unwrap();
    let mut response = format!(
        "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: {}\r\n\r\n",
        gzip.len()
    )
    .into_bytes();
    response.extend_from_slice(&gzip);
    let server = serve(send_in_pieces(response, 100, 0));
    let url = Url::parse(&server.url("/")).unwrap();
    let pattern = r"Script[0-9]+ Type";
    let mut regex = StreamRegex::new(pattern).unwrap();
    let report = block_on(quick_client().count(&url, &mut regex)).unwrap();
    assert_eq!(report.count, oracle(pattern, &body));
    assert_eq!(report.content_encoding, "gzip");
}

/// `a.*b` after its last `b` must read to the end of the line to know the
/// match is over: with a small limit and a long line, an error (the kind
/// `pattern`), never a count.
#[test]
fn a_match_needing_too_much_look_ahead_fails_the_fetch() {
    let mut body = b"ab".to_vec();
    body.resize(50_000, b'x');
    let server = serve_with({
        let body = body.clone();
        move |_| vec![send(ok_with_length(&body))]
    });
    let url = Url::parse(&server.url("/")).unwrap();
    let mut regex = StreamRegex::builder()
        .max_match_bytes(1000)
        .build("a.*b")
        .unwrap();
    let error = block_on(quick_client().count(&url, &mut regex)).unwrap_err();
    assert!(
        matches!(
            error,
            Error::Pattern(PatternError::MatchTooLong { limit: 1000 })
        ),
        "{error:?}"
    );
    assert_eq!(error.kind(), "pattern");
    assert!(
        error.to_string().contains("within 1000 bytes past its end"),
        "{error}"
    );
    // With room enough, the same body counts.
    let mut regex = StreamRegex::builder()
        .max_match_bytes(100_000)
        .build("a.*b")
        .unwrap();
    let report = block_on(quick_client().count(&url, &mut regex)).unwrap();
    assert_eq!(report.count, 1);
}

#[cfg(feature = "cli")]
mod cli {
    use super::*;

    fn text(bytes: &[u8]) -> String {
        String::from_utf8_lossy(bytes).into_owned()
    }

    fn page_server() -> (Server, Vec<u8>) {
        let body = page();
        let server = serve_with({
            let body = body.clone();
            move |_| chunked_in_pieces(&body, 1000)
        });
        (server, body)
    }

    #[test]
    fn dash_e_prints_the_regex_count() {
        let (server, body) = page_server();
        let url = server.url("/");
        let pattern = r"[A-Z]\w+Script";
        let output = netcount(&["-e", pattern, &url]);
        assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
        assert_eq!(
            text(&output.stdout),
            format!("{}\n", oracle(pattern, &body))
        );
        // -i folds case the Unicode way, as (?i) does.
        let output = netcount(&["-i", "-e", "typescript", &url]);
        assert_eq!(
            text(&output.stdout),
            format!("{}\n", oracle("(?i)typescript", &body))
        );
    }

    #[test]
    fn unicode_classes_and_alternations_count_as_in_regex() {
        let body = "Ελληνικά: λόγος, ἀρχή; English, Ελλάδα. Κόσμε!".repeat(50);
        let server = serve_with({
            let body = body.clone();
            move |_| chunked_in_pieces(body.as_bytes(), 33)
        });
        let url = server.url("/");
        for pattern in [r"\p{Greek}+", r"\p{Lu}\pL+", "λόγος|ἀρχή|Κόσμε"] {
            let output = netcount(&["-e", pattern, &url]);
            assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
            let expected = oracle(pattern, body.as_bytes());
            assert!(expected > 0, "{pattern}");
            assert_eq!(text(&output.stdout), format!("{expected}\n"), "{pattern}");
        }
    }

    #[test]
    fn json_names_the_pattern_and_its_kind() {
        let (server, body) = page_server();
        let url = server.url("/");
        for (args, pattern, kind) in [
            (&["-e", r"\.NET"][..], r"\.NET", "literal"),
            (&["-e", r"\.NET \d+"][..], r"\.NET \d+", "regex"),
            (&["-n", ".NET"][..], ".NET", "literal"),
        ] {
            let output = netcount(&[args, &["--json", &url]].concat());
            let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
            assert_eq!(report["pattern"], pattern);
            assert_eq!(report["pattern_kind"], kind);
            let expected = oracle(if kind == "literal" { r"\.NET" } else { pattern }, &body);
            assert_eq!(report["count"], expected, "{args:?}");
        }
    }

    #[test]
    fn a_refused_pattern_exits_2_before_any_request() {
        let server = serve(vec![send(ok_with_length("never asked"))]);
        let url = server.url("/");
        for (pattern, says) in [
            ("a*", "empty string"),
            (r"\bnet", r"(?-u:\b)"),
            ("a(b", "regex parse error"),
        ] {
            let output = netcount(&["-e", pattern, &url]);
            assert_eq!(output.status.code(), Some(2), "{pattern}");
            let stderr = text(&output.stderr);
            assert!(
                stderr.contains("-e/--regex: ") && stderr.contains(says),
                "{stderr}"
            );
        }
        let output = netcount(&["-e", "a", "-n", "b", &url]);
        assert_eq!(output.status.code(), Some(2));
        assert!(server.requests().is_empty(), "nothing was fetched");
    }

    #[test]
    fn a_match_past_the_limit_exits_1_and_a_larger_limit_counts_it() {
        let mut body = b"ab".to_vec();
        body.resize(50_000, b'x');
        let server = serve_with(move |_| vec![send(ok_with_length(&body))]);
        let url = server.url("/");
        let output = netcount(&["-e", "a.*b", "--max-match-bytes", "1000", &url]);
        assert_eq!(output.status.code(), Some(1));
        assert_eq!(text(&output.stdout), "");
        let stderr = text(&output.stderr);
        assert!(
            stderr.contains("within 1000 bytes past its end"),
            "{stderr}"
        );
        let output = netcount(&["-e", "a.*b", "--max-match-bytes", "60000", &url]);
        assert_eq!(
            (text(&output.stdout).as_str(), output.status.code()),
            ("1\n", Some(0))
        );
    }
}
