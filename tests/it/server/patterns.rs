//! `/count?regex=`: a client's pattern counted within the server's bounds.

use std::time::Instant;

use super::*;

/// `find_iter(body).count()`, the count the server must answer.
fn oracle(pattern: &str, body: &[u8]) -> u64 {
    regex::bytes::Regex::new(pattern)
        .unwrap()
        .find_iter(body)
        .count() as u64
}

#[test]
fn a_regex_is_counted_and_named_in_the_report() {
    let body = "JavaScript TypeScript .NET 8, .NET 9, .net ActionScript".repeat(50);
    let upstream = serve_with({
        let body = body.clone();
        move |_| vec![send(ok_with_length(&body))]
    });
    let server = start(config_allowing(&upstream));
    let url = upstream.url("/");
    for (pattern, extra, expected_pattern, kind, oracle_pattern) in [
        (
            r"[A-Z]\w+Script",
            "",
            r"[A-Z]\w+Script",
            "regex",
            r"[A-Z]\w+Script",
        ),
        (r"\.NET \d", "", r"\.NET \d", "regex", r"\.NET \d"),
        (r"\.NET", "", r"\.NET", "literal", r"\.NET"),
        (
            r"\.net",
            "&ignore_case=1",
            r"\.net",
            "literal",
            r"(?i)\.net",
        ),
        (
            "script",
            "&ignore_case=true",
            "script",
            "regex",
            "(?i)script",
        ),
    ] {
        let target = count_target(&url, &format!("&regex={}{extra}", encode(pattern)));
        let answer = get(server.addr, &target);
        assert_eq!(answer.status, 200, "{answer:?}");
        let report = answer.json();
        assert_eq!(
            report["count"],
            oracle(oracle_pattern, body.as_bytes()),
            "{pattern}"
        );
        assert_eq!(report["pattern"], expected_pattern);
        assert_eq!(report["pattern_kind"], kind, "{pattern}");
    }
    // A needle is named too.
    let report = get(server.addr, &count_target(&url, "&needle=Script")).json();
    assert_eq!(
        (&report["pattern"], &report["pattern_kind"]),
        (&"Script".into(), &"literal".into())
    );
}

#[test]
fn refused_patterns_are_400_with_the_reason_and_fetch_nothing() {
    let canary = Canary::new();
    let mut config = Config::default();
    let addr = canary.0.local_addr().unwrap();
    config.guard.allow_addrs.push(addr);
    let server = start(config);
    let url = format!("http://{addr}/");
    for (extra, says) in [
        ("&regex=a%2A", "empty string"),
        ("&regex=%5Cbnet", r"(?-u:\b)"),
        ("&regex=a%28b", "regex parse error"),
        ("&regex=%5Cw%7B100%7D", "too big"),
        ("&regex=a&needle=a", "exclude each other"),
        ("&regex=a&overlapping=1", "never overlap"),
    ] {
        let value = get(server.addr, &count_target(&url, extra)).error(400, "bad_request");
        let message = value["message"].as_str().unwrap();
        assert!(message.contains(says), "{extra}: {message}");
    }
    canary.assert_untouched();
}

#[test]
fn a_pattern_that_cannot_count_the_page_is_422() {
    // `a.*b` must read to the end of the line after the `b`: 100 KB of
    // line is more than the look-ahead limit.
    let mut long_line = b"ab".to_vec();
    long_line.resize(100_000, b'x');
    // Random binary digits make `[01]*1[01]{20}` build a new DFA state for
    // almost every byte: the server gives up instead of counting slowly.
    let mut digits = Vec::with_capacity(4 << 20);
    let mut x: u32 = 1;
    while digits.len() < 4 << 20 {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        digits.push(b'0' + (x & 1) as u8);
    }
    let upstream = serve_with(move |request| {
        let body = if request.target == "/line" {
            &long_line
        } else {
            &digits
        };
        vec![send(ok_with_length(body))]
    });
    let server = start(config_allowing(&upstream));
    let target = count_target(&upstream.url("/line"), "&regex=a.%2Ab");
    let value = get(server.addr, &target).error(422, "pattern");
    assert!(
        value["message"].as_str().unwrap().contains("past its end"),
        "{value}"
    );

    let started = Instant::now();
    let target = count_target(
        &upstream.url("/digits"),
        "&regex=%5B01%5D%2A1%5B01%5D%7B20%7D",
    );
    let value = get(server.addr, &target).error(422, "pattern");
    assert!(
        value["message"].as_str().unwrap().contains("too costly"),
        "{value}"
    );
    eprintln!("thrashing pattern refused after {:?}", started.elapsed());
}
